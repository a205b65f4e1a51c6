"""MHTML (``.mhtml``/``.mht``): a browser's "Save as single file", a MIME multipart/related.

The top headers carry the capture's claims: ``Snapshot-Content-Location`` (the page's address,
Chrome/Edge), ``Subject`` (its title), ``Date`` (the saving computer's clock) and ``From``
(``<Saved by Blink>``: the saving engine). The first ``text/html`` part is the page; the others
are its resources (style sheets, images, frames), described by address, type and size.
"""

from __future__ import annotations

import email
import re
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from pathlib import Path
from typing import Any

from evidence_kit.extractors.interface import ExtractContext, Extraction
from evidence_kit.extractors.web.common import HTML_INPUT_CAP, MAX_RESOURCES
from evidence_kit.extractors.web.html import decode_html
from evidence_kit.extractors.web.pages import Pages

#: MHTML files larger than this are described from their headers only.
MAX_MHTML_BYTES = 64 * 1024 * 1024
_MAX_FRAMES = 20

_DEFECT_WORDS = {
    "StartBoundaryNotFoundDefect": "the parts' separator declared in the header never appears",
    "CloseBoundaryNotFoundDefect": "the file ends before its last part is closed (cut short?)",
    "NoBoundaryInMultipartDefect": "the file declares several parts but no separator for them",
    "MissingHeaderBodySeparatorDefect": "a part has no blank line between headers and content",
    "MultipartInvariantViolationDefect": "the parts could not be separated",
    "InvalidBase64PaddingDefect": "a base64-encoded resource is damaged",
    "InvalidBase64CharactersDefect": "a base64-encoded resource holds stray characters",
    "InvalidBase64LengthDefect": "a base64-encoded resource is damaged",
}


_HEADER_LINE_RE = re.compile(rb"^[!-9;-~]{1,200}:")


def _repair_headers(data: bytes) -> tuple[bytes, bool]:
    """Join a top-header line that lost its folding space onto the header before it.

    Some savers fold an encoded title over two lines without the leading white space RFC 5322
    requires (``X-Snapshot-Title: =?utf-8?Q?This is on multiple`` / ``lines``); a strict parser
    then takes the rest of the file as the body, and the page is lost.
    """
    end = data.find(b"\n\n")
    crlf_end = data.find(b"\r\n\r\n")
    if crlf_end != -1 and (end == -1 or crlf_end < end):
        end = crlf_end
    if end <= 0 or end > 256 * 1024:
        return data, False
    lines = data[:end].split(b"\n")
    fixed = False
    for i in range(1, len(lines)):
        line = lines[i]
        if line[:1] in (b" ", b"\t") or not line.strip(b"\r"):
            continue
        if not _HEADER_LINE_RE.match(line):
            lines[i] = b" " + line
            fixed = True
    if not fixed:
        return data, False
    return b"\n".join(lines) + data[end:], True


def _header(msg: Message, name: str) -> str | None:
    raw = msg.get(name)
    if raw is None:
        return None
    text = str(raw)
    try:
        text = str(make_header(decode_header(text)))
    # Lenient: a malformed encoded word is kept as written.
    except Exception:  # noqa: S110
        pass
    return " ".join(text.split())[:4000] or None


def _payload(part: Message, limit: int) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data[:limit] if isinstance(data, bytes) else b""


def _unseparated_page(msg: Message) -> Message | None:
    """The page of an MHTML whose parts lost their separators, if its first part is one.

    The body then starts with the first part's own headers (``Content-Type: text/html``...);
    read as a message of its own, it gives the page with its ``Content-Location``.
    """
    body = msg.get_payload()
    if not isinstance(body, str):
        return None
    raw = body.encode("utf-8", "surrogateescape").lstrip(b"\r\n")
    if not raw[:200].lower().startswith(b"content-"):
        return None
    inner = email.message_from_bytes(raw, policy=compat32)
    return inner if inner.get_content_type() == "text/html" else None


def extract_mhtml(path: Path, ctx: ExtractContext, result: Extraction) -> None:
    """Read an MHTML file into ``result``."""
    md = result.metadata
    md["format"] = "mhtml"
    size = path.stat().st_size
    with path.open("rb") as fh:
        data = fh.read(64 * 1024 if size > MAX_MHTML_BYTES else MAX_MHTML_BYTES)
    if size > MAX_MHTML_BYTES:
        result.errors.append("the file is too large to read its parts; only its headers were read")
    data, repaired = _repair_headers(data)
    if repaired:
        result.errors.append(
            "a header line of the file is broken (a folded line without its leading space); "
            "it was read as part of the header before it"
        )
    msg = email.message_from_bytes(data, policy=compat32)
    url = _header(msg, "Snapshot-Content-Location")
    title = _header(msg, "Subject")
    snapshot_title = _header(msg, "X-Snapshot-Title")
    date_raw = _header(msg, "Date")
    md["mhtml"] = {
        "snapshot_content_location": url,
        "subject": title,
        "x_snapshot_title": snapshot_title,
        "date": date_raw,
        "saved_by": _header(msg, "From"),
        "content_type": msg.get_content_type(),
    }
    pages = Pages(result)
    resources: list[dict[str, Any]] = []
    defects: dict[str, None] = {}
    html_parts: list[tuple[Message, str | None]] = []
    count = 0
    for part in msg.walk():
        for d in getattr(part, "defects", []) or []:
            defects[type(d).__name__] = None
        if part.is_multipart():
            continue
        count += 1
        ctype = part.get_content_type()
        loc = _header(part, "Content-Location")
        if ctype == "text/html" and len(html_parts) < _MAX_FRAMES + 1:
            html_parts.append((part, loc))
        if len(resources) < MAX_RESOURCES:
            raw = part.get_payload()
            resources.append(
                {
                    "location": loc,
                    "content_id": _header(part, "Content-ID"),
                    "type": ctype,
                    "encoded_size": len(raw) if isinstance(raw, str) else None,
                }
            )
    md["resources"] = resources
    md["resources_found"] = count
    if not html_parts and msg.get_content_type() == "text/html":
        html_parts.append((msg, url))
    if not html_parts and "StartBoundaryNotFoundDefect" in defects:
        inner = _unseparated_page(msg)
        if inner is not None:
            html_parts.append((inner, _header(inner, "Content-Location")))
            result.errors.append(
                "the page was read from a part without its separator line (the file is "
                "damaged); its resources could not be told apart"
            )
    main_url = url
    for i, (part, loc) in enumerate(html_parts):
        data = _payload(part, HTML_INPUT_CAP)
        charset = part.get_content_charset()
        html, _used = decode_html(data, charset)
        is_main = i == 0
        pages.add_html(
            html,
            url=(main_url or loc) if is_main else loc,
            url_source=(
                "Snapshot-Content-Location"
                if is_main and main_url
                else "Content-Location of the page part"
            ),
            claimed_raw=date_raw if is_main else None,
            claimed_source="MHTML Date header" if is_main else None,
            role="page" if is_main else "frame",
            extra={"subject_title": title} if is_main else None,
        )
    if not html_parts:
        result.errors.append("no page (text/html part) was found in this MHTML file")
        if url or date_raw:
            pages.add_other(
                {
                    "role": "page",
                    "url": url,
                    "url_source": "Snapshot-Content-Location" if url else None,
                    "title": title,
                    "_claimed_raw": date_raw,
                    "_claimed_source": "MHTML Date header",
                }
            )
    elif pages.pages and not pages.pages[0].get("title") and title:
        pages.pages[0]["title"] = title  # the Subject is Chrome's copy of the page title
        pages.pages[0]["title_source"] = "MHTML Subject header"
    for name in defects if size <= MAX_MHTML_BYTES else ():  # a cut read is not damage
        result.errors.append(
            "the MHTML structure is damaged: " + _DEFECT_WORDS.get(name, f"{name} (email parser)")
        )
    pages.finish()
    del ctx
