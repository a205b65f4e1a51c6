"""Outlook ``.msg`` files (OLE compound documents), read with ``extract_msg``."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from evidence_kit.extractors.email.common import (
    _NO_PLACEHOLDER,
    HEADER_VALUE_CAP,
    HTML_INPUT_CAP,
    TEXT_CAP,
    _err,
    _Source,
    _State,
    _to_bytes,
)
from evidence_kit.extractors.email.headers import _decode_bytes
from evidence_kit.extractors.email.html import _add_html_links, _html_text
from evidence_kit.extractors.email.message import _empty_metadata, _read_message
from evidence_kit.extractors.email.mime import _store
from evidence_kit.extractors.interface import Child, ExtractContext, Extraction

# ============================================================================================
# Outlook .msg
# ============================================================================================


def _extract_msg(path: Path, ctx: ExtractContext, result: Extraction) -> None:
    result.metadata["format"] = "msg"
    try:
        import extract_msg
    except ImportError as exc:  # pragma: no cover - a declared dependency
        result.errors.append(_err("Outlook .msg support is not installed", exc))
        return
    try:
        msg: Any = extract_msg.openMsg(str(path), strict=False)
    except Exception as exc:
        result.errors.append(_err("could not be opened as an Outlook .msg file", exc))
        _empty_metadata(result.metadata)
        result.metadata["format"] = "msg"
        return
    try:
        _read_msg(msg, ctx, result)
    finally:
        with contextlib.suppress(Exception):
            msg.close()


def _safe(getter: Callable[[], Any], result: Extraction, what: str) -> Any:
    try:
        return getter()
    except Exception as exc:
        result.errors.append(_err(f"the .msg {what} could not be read", exc))
        return None


def _read_msg(msg: Any, ctx: ExtractContext, result: Extraction) -> None:
    header_text = _safe(lambda: msg.headerText, result, "transport headers")
    if isinstance(header_text, str) and header_text.strip():
        headers_msg = BytesParser(policy=email_policy.compat32).parsebytes(
            _to_bytes(header_text.strip("\r\n") + "\r\n\r\n"), headersonly=True
        )
    else:
        headers_msg = Message()
    fallback: dict[str, str | None] = {}
    for key, attr in (
        ("from", "sender"),
        ("to", "to"),
        ("cc", "cc"),
        ("subject", "subject"),
        ("message_id", "messageId"),
        ("in_reply_to", "inReplyTo"),
    ):
        value = _safe(functools.partial(getattr, msg, attr), result, attr)
        fallback[key] = str(value)[:HEADER_VALUE_CAP] if value else None
    date = _safe(lambda: msg.date, result, "date")
    src = _Source(buf=b"", ranges=[], token=_NO_PLACEHOLDER, crlf=True)
    state = _State(ctx=ctx, result=result, src=src)

    # Body text: plain body, HTML body (bytes in an unknown charset), RTF is not rendered.
    body = _safe(lambda: msg.body, result, "plain-text body")
    if isinstance(body, str) and body:
        state.text_parts.append(body[:TEXT_CAP].replace("\x00", ""))
        state.text_truncated = len(body) > TEXT_CAP
        state.text_len = len(body)
    html = _safe(lambda: msg.htmlBody, result, "HTML body")
    if isinstance(html, bytes) and html:
        text, used, clean = _decode_bytes(html[:HTML_INPUT_CAP], None)
        if not clean:
            state.charset_errors = True
            state.charset_notes.append(f"HTML body: no charset declared, decoded as {used}")
        visible, anchors, urls, error = _html_text(text)
        if error:
            result.errors.append(f"the HTML body could not be read completely ({error})")
        _add_html_links(state, urls, anchors)
        state.html_parts.append(visible[:TEXT_CAP])
        state.html_truncated = len(visible) > TEXT_CAP or len(html) > HTML_INPUT_CAP

    attachments = _safe(lambda: list(msg.attachments), result, "attachment list") or []
    for i, att in enumerate(attachments, 1):
        try:
            _msg_attachment(att, i, state)
        except Exception as exc:
            result.errors.append(_err(f"attachment {i} of the .msg could not be read", exc))

    _read_message(
        headers_msg,
        state,
        is_msg=True,
        fallback_headers=fallback,
        fallback_date=date if isinstance(date, datetime) else None,
    )
    state.parts = len(attachments) + (1 if body or html else 0)
    result.metadata["parts"] = state.parts


def _msg_attachment(att: Any, index: int, state: _State) -> None:
    section = str(index)
    name = None
    for attr in ("longFilename", "shortFilename", "displayName"):
        value = getattr(att, attr, None)
        if isinstance(value, str) and value.strip():
            name = value.strip()[:1000]
            break
    mime = getattr(att, "mimetype", None)
    mime = str(mime).lower()[:200] if mime else None
    cid = getattr(att, "contentId", None)
    hidden = bool(getattr(att, "hidden", False))
    entry: dict[str, Any] = {
        "filename": name,
        "declared_type": mime,
        "size": None,
        "sha256": None,
        "disposition": "inline" if hidden or cid else "attachment",
        "role": "inline" if hidden or cid else "attachment",
        "part": section,
        "content_id": str(cid)[:500] if cid else None,
        "transfer_encoding": None,
        "child": None,
    }
    state.attachments.append(entry)
    data = att.data
    if isinstance(data, bytes):
        chunks: Iterable[bytes] = (data,)
    elif hasattr(data, "exportBytes"):
        # An attached Outlook message: preserved as a .msg of its own.
        entry["role"] = "message/rfc822"
        entry["declared_type"] = "application/vnd.ms-outlook"
        chunks = (data.exportBytes(),)
    else:
        state.result.errors.append(
            f".msg attachment {index} ({name or 'unnamed'}) is of a kind "
            f"that cannot be extracted ({type(data).__name__})"
        )
        return
    path, size, sha = _store(chunks, state, section, name or "unnamed")
    entry.update(size=size, sha256=sha, child=path.name if path else None)
    if path is not None:
        state.result.children.append(
            Child(
                path=path,
                filename=name or f"attachment-{section}.bin",
                mime=entry["declared_type"],
                role=entry["role"],
                field=f"msg.attachment[{section}]",
            )
        )
