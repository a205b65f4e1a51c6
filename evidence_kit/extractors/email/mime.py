"""The MIME walk: bodies, attachments and nested messages, written out as children."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import IO, Any

from evidence_kit.extractors.email.common import MAX_MIME_DEPTH, MAX_PARTS, _err, _State
from evidence_kit.extractors.email.decode import (
    _b64_stream,
    _decoded_chunks,
    _qp_stream,
    _raw_chunks,
)
from evidence_kit.extractors.email.headers import _decode_header, _json_safe_raw
from evidence_kit.extractors.email.html import _add_text, _body_part
from evidence_kit.extractors.email.parts import (
    _content_type,
    _cte,
    _disposition,
    _effective_type,
    _error_once,
    _filename,
    _payload,
    _raw_header,
    _serialize,
)
from evidence_kit.extractors.interface import Child


def _walk(part: Message, section: str, depth: int, state: _State) -> None:
    """Visit a MIME entity: body text/HTML is collected, anything else becomes a child."""
    if depth > MAX_MIME_DEPTH:
        _error_once(
            state,
            f"parts of the message nested more than {MAX_MIME_DEPTH} levels deep "
            "were not read; they are kept in this file exactly as received",
        )
        return
    if state.parts >= MAX_PARTS:
        _error_once(state, f"only the first {MAX_PARTS} MIME parts were read")
        return
    ctype = _effective_type(part)
    payload = _payload(part)
    if isinstance(payload, list):
        if ctype == "message/delivery-status":
            # A bounce report: blocks of "Status: 5.1.1" fields, shown with the body text.
            state.parts += 1
            report = "\n".join(
                _serialize(b, b"\n").decode("utf-8", "replace")
                for b in payload
                if isinstance(b, Message)
            )
            _add_text(state, report)
            return
        if ctype.startswith("message/"):
            state.parts += 1
            _nested_message(part, section or "1", state)
            return
        for i, sub in enumerate(payload, 1):
            if isinstance(sub, Message):
                _walk(sub, f"{section}.{i}" if section else str(i), depth + 1, state)
        return
    if ctype.startswith("multipart/"):
        repaired = _repair_boundary(part, state)
        if repaired is not None:
            _walk(repaired, section, depth + 1, state)
            return
        # A multipart whose parts cannot be found: keep its text as body text, flagged.
        if isinstance(payload, str) and payload.strip():
            state.warnings.append(
                f"part {section or '1'}: declared {ctype} but no parts were "
                "found; its content is shown as plain text"
            )
            _body_part(part, section or "1", "text/plain", state)
        return
    state.parts += 1
    sec = section or "1"
    filename = _filename(part)
    disposition = _disposition(part)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        _body_part(part, sec, ctype, state)
        return
    if ctype == "message/delivery-status":
        _body_part(part, sec, "text/plain", state)
        return
    _attachment(part, sec, ctype, filename, disposition, state)


def _repair_boundary(part: Message, state: _State) -> Message | None:
    """Re-read a multipart whose declared boundary never occurs, using the one that does.

    Spam tools sometimes declare one boundary and use another; the parts are then invisible to
    a strict parser even though any mail client shows them. The repaired structure is used for
    the body and attachments only; the headers are always read as written.
    """
    payload = _payload(part)
    if not isinstance(payload, str) or not payload:
        return None
    # Candidate delimiters: "--x" lines followed by a header line, i.e. the start of a part.
    counts: dict[str, int] = {}
    for m in re.finditer(
        r"(?m)^--([^\s]{1,200}?)(--)?\r?\n([\w\-]{1,76}:)?", payload[: 4 * 1024 * 1024]
    ):
        if m.group(3) or m.group(1) in counts:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    if not counts:
        return None
    # Most used wins; on a tie the first seen (dicts keep insertion order, max keeps the first).
    boundary = max(counts.items(), key=lambda kv: kv[1])[0]
    declared = part.get_boundary()
    try:
        clone = BytesParser(policy=email_policy.compat32).parsebytes(
            _serialize(part, b"\n", replace_boundary=boundary)
        )
    except Exception:
        return None
    if not isinstance(_payload(clone), list):
        return None
    state.warnings.append(
        f"the declared MIME boundary {declared!r} never occurs; the parts "
        f"were read using the boundary actually used ({boundary!r})"
    )
    return clone


# --- attachments and nested messages ---------------------------------------------------------


def _open_child(state: _State) -> tuple[Path, IO[bytes]] | None:
    """Create a new child file with a generated name, or None if the limit is reached."""
    ctx = state.ctx
    if state.children_written >= ctx.max_children:
        if not state.children_limit_noted:
            state.result.errors.append(
                f"the message has more than {ctx.max_children} attachments; the rest were "
                "listed and hashed but not extracted"
            )
            state.children_limit_noted = True
        return None
    ctx.scratch_dir.mkdir(parents=True, exist_ok=True)
    for _ in range(100000):
        state.child_seq += 1
        path = ctx.scratch_dir / f"child-{state.child_seq:04d}.bin"
        try:
            return path, path.open("xb")
        except FileExistsError:
            continue
    return None


def _store(
    chunks: Iterable[bytes], state: _State, section: str, what: str
) -> tuple[Path | None, int, str]:
    """Write decoded chunks to a new child file; return (path or None, size, sha256).

    The size and hash cover the whole part even when it is too large to keep as a child, so
    the record still identifies the attachment.
    """
    opened = _open_child(state)
    path, fh = opened if opened is not None else (None, None)
    digest = hashlib.sha256()
    size = 0
    over = False
    try:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            if fh is not None:
                if size > state.ctx.max_child_bytes:
                    over = True
                    fh.close()
                    fh = None
                else:
                    fh.write(chunk)
    finally:
        if fh is not None:
            fh.close()
    if over and path is not None:
        path.unlink(missing_ok=True)
        state.result.errors.append(
            f"part {section} ({what}) is larger than the {state.ctx.max_child_bytes} bytes "
            "allowed for an embedded file; it was hashed but not extracted"
        )
        path = None
    if path is not None:
        state.children_written += 1
    return path, size, digest.hexdigest()


def _attachment(
    part: Message,
    section: str,
    ctype: str,
    filename: str | None,
    disposition: str | None,
    state: _State,
) -> None:
    content_id = _raw_header(part, "content-id")
    role = (
        "inline"
        if disposition == "inline" or (disposition is None and content_id)
        else "attachment"
    )
    declared = _content_type(part)
    entry: dict[str, Any] = {
        "filename": filename,
        "declared_type": declared,
        "size": None,
        "sha256": None,
        "disposition": disposition,
        "role": role,
        "part": section,
        "content_id": _json_safe_raw(content_id).strip()[:500] if content_id else None,
        "transfer_encoding": _cte(part) or None,
        "child": None,
    }
    state.attachments.append(entry)
    try:
        path, size, sha = _store(
            _decoded_chunks(part, state.src), state, section, filename or declared or "unnamed"
        )
    except OSError as exc:
        state.result.errors.append(_err(f"part {section} could not be written out", exc))
        return
    entry.update(size=size, sha256=sha, child=path.name if path else None)
    if path is not None:
        state.result.children.append(
            Child(
                path=path,
                filename=filename or _fallback_name(section, ctype),
                mime=declared,
                role=role,
                field=f"mime.part[{section}]",
            )
        )


def _nesting_depth(msg: Message) -> int:
    """How many levels of parts or messages lie inside ``msg`` (walked without recursion, so
    any depth the parser managed to build can be counted; at most :data:`MAX_PARTS` parts)."""
    deepest = 0
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack and seen < MAX_PARTS:
        part, depth = stack.pop()
        seen += 1
        deepest = max(deepest, depth)
        payload = _payload(part)
        if isinstance(payload, list):
            stack.extend((p, depth + 1) for p in payload if isinstance(p, Message))
    return deepest


def _fallback_name(section: str, ctype: str) -> str:
    import mimetypes

    ext = ".eml" if ctype.startswith("message/") else (mimetypes.guess_extension(ctype) or ".bin")
    return f"part-{section}{ext}"


def _nested_message(part: Message, section: str, state: _State) -> None:
    """A forwarded/attached message: preserved whole as a child (its own parts are read when
    the child itself is extracted, so they are not repeated here)."""
    filename = _filename(part)
    inner = _payload(part)
    entry: dict[str, Any] = {
        "filename": filename,
        "declared_type": _content_type(part) or "message/rfc822",
        "size": None,
        "sha256": None,
        "disposition": _disposition(part),
        "role": "message/rfc822",
        "part": section,
        "content_id": None,
        "transfer_encoding": _cte(part) or None,
        "child": None,
    }
    state.attachments.append(entry)
    if not isinstance(inner, list) or not inner or not isinstance(inner[0], Message):
        return
    sub = inner[0]
    cut: list[int] = []
    try:
        data = _serialize(sub, b"\r\n" if state.src.crlf else b"\n", cut=cut)
    except Exception as exc:
        state.result.errors.append(
            _err(f"the attached message in part {section} could not be written out", exc)
        )
        return
    try:
        text = data.decode("utf-8", "surrogateescape")
        del data
        chunks: Iterable[bytes] = _raw_chunks(text, state.src)
        cte = _cte(part)
        # RFC 2046 forbids encoding a message/rfc822 part, but mailers do it; the parser then
        # "parsed" base64 text as a message, so undo that and decode what it really holds.
        if cte == "base64":
            chunks = _b64_stream(chunks)
        elif cte == "quoted-printable":
            chunks = _qp_stream(chunks)
        path, size, sha = _store(chunks, state, section, "attached message")
    except OSError as exc:
        state.result.errors.append(_err(f"part {section} could not be written out", exc))
        return
    entry.update(size=size, sha256=sha, child=path.name if path else None)
    if cut:
        levels = _nesting_depth(sub)
        entry["nesting_cut_at"] = MAX_MIME_DEPTH
        state.result.errors.append(
            f"the attached message in part {section} has messages or parts inside each other "
            f"{levels} levels deep; evkit read only the first {MAX_MIME_DEPTH} levels, and the "
            f"copy saved as a separate file stops there. Everything deeper is kept in this "
            "file exactly as received, but was not read"
        )
    if filename is None:
        subj = _raw_header(sub, "subject")
        entry["subject"] = _decode_header(subj)[:300] if subj else None
    if path is not None:
        state.result.children.append(
            Child(
                path=path,
                filename=filename or _fallback_name(section, "message/rfc822"),
                mime="message/rfc822",
                role="message/rfc822",
                field=f"mime.part[{section}]",
            )
        )
