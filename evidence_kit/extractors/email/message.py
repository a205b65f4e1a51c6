"""Reading one RFC 822 message (``.eml``): large base64 runs elided before parsing, then
headers, relay path, authentication claims and the MIME tree, each read separately."""

from __future__ import annotations

import mmap
import re
import secrets
from collections.abc import Iterator
from datetime import datetime
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from evidence_kit.extractors.email import common
from evidence_kit.extractors.email.auth import _authentication
from evidence_kit.extractors.email.common import (
    _ADDRESS_KEYS,
    _HEADERS,
    _IDENT_KEYS,
    AUTH_NOTE,
    MAX_HOPS,
    MAX_IDENTIFIERS,
    MAX_MIME_DEPTH,
    MAX_MISMATCHES,
    MAX_URLS,
    TEXT_CAP,
    _err,
    _Source,
    _State,
)
from evidence_kit.extractors.email.headers import (
    _date_info,
    _json_safe_raw,
    _read_addresses,
    _read_headers,
    _unfold,
)
from evidence_kit.extractors.email.mime import _walk
from evidence_kit.extractors.email.parts import _payload
from evidence_kit.extractors.email.received import _origin, _parse_received, _worth_reporting
from evidence_kit.extractors.identifiers import find_identifiers, merge
from evidence_kit.extractors.interface import ExtractContext, Extraction, Identifier, TimeFact

# .eml
# ============================================================================================

# Possessive "++": the plain "+" makes the regex engine keep a backtracking record per line,
# which for a 50 MB attachment costs about three times the file size in memory.
_B64_RUN_RE = re.compile(rb"(?m)(?:^[A-Za-z0-9+/=]{40,}\r?\n)++")
# The same runs after the first byte, found from the newline before them: a pattern that starts
# with a literal is searched for in C, one that starts with "^" is tried at every byte (~1 ms
# for a 20 kB message). A run never starts where the previous one ended (it would have taken
# that line), so the two find the same runs.
_B64_RUN_AFTER_NL_RE = re.compile(rb"(?m)\n((?:^[A-Za-z0-9+/=]{40,}\r?\n)++)")


def _b64_runs(buf: mmap.mmap) -> Iterator[tuple[int, int]]:
    """The spans _B64_RUN_RE.finditer(buf) would give."""
    pos = 0
    first = _B64_RUN_RE.match(buf)
    if first is not None:
        yield first.span()
        pos = first.end()
    for m in _B64_RUN_AFTER_NL_RE.finditer(buf, pos):
        yield m.span(1)


def _extract_eml(path: Path, ctx: ExtractContext, result: Extraction) -> None:
    size = path.stat().st_size
    result.metadata["format"] = "eml"
    if size == 0:
        result.errors.append("the file is empty")
        _empty_metadata(result.metadata)
        return
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        src = _build_source(mm)
        skeleton = _skeleton(mm, src)
        msg = _parse(skeleton, result)
        del skeleton
        state = _State(ctx=ctx, result=result, src=src)
        _read_message(msg, state, is_msg=False)


def _build_source(buf: mmap.mmap) -> _Source:
    ranges: list[tuple[int, int]] = []
    for a, b in _b64_runs(buf):
        # Leave the run's final line ending in the skeleton, so the placeholder sits on its own
        # line and the parser's boundary handling sees exactly what it would have seen.
        end = b - (2 if buf[b - 2 : b] == b"\r\n" else 1)
        if end - a >= common.ELIDE_MIN:
            ranges.append((a, end))
    head = buf[: min(len(buf), 65536)]
    crlf = head.count(b"\r\n") * 2 > head.count(b"\n")
    return _Source(
        buf=buf, ranges=ranges, token="EVKIT-ELIDED-" + secrets.token_hex(8) + "-", crlf=crlf
    )


def _skeleton(buf: mmap.mmap, src: _Source) -> bytes:
    pieces: list[bytes] = []
    last = 0
    for i, (a, b) in enumerate(src.ranges):
        pieces.append(buf[last:a])
        pieces.append(f"{src.token}{i}".encode("ascii"))
        last = b
    pieces.append(buf[last:])
    return b"".join(pieces)


def _parse(data: bytes, result: Extraction) -> Message:
    parser = BytesParser(policy=email_policy.compat32)
    try:
        return parser.parsebytes(data)
    except RecursionError:
        result.errors.append(
            "the message has parts nested too deeply to read; only its headers "
            "were read (the rest is kept in this file exactly as received)"
        )
    # The stdlib parser is very tolerant, but a parser bug must still not cost us the headers.
    except Exception as exc:
        result.errors.append(
            _err("the MIME structure could not be parsed; only the headers were read", exc)
        )
    return parser.parsebytes(data, headersonly=True)


def _empty_metadata(md: dict[str, Any]) -> None:
    md.update(
        {
            "headers": dict.fromkeys(_HEADERS),
            "headers_raw": dict.fromkeys(_HEADERS),
            "header_count": 0,
            "repeated_headers": [],
            "addresses": {k: [] for k in _ADDRESS_KEYS},
            "date": {
                "raw": None,
                "utc": None,
                "offset": None,
                "problem": "missing",
                "reason": "the message has no Date header",
            },
            "received": [],
            "origin_ip": None,
            "authentication": {
                "note": AUTH_NOTE,
                "results": [],
                "arc_results": [],
                "received_spf": [],
                "dkim_signatures": [],
                "summary": {"spf": [], "dkim": [], "dmarc": []},
            },
            "body": {
                "text": "",
                "html_text": "",
                "charset_errors": False,
                "text_truncated": False,
                "html_truncated": False,
                "charset_notes": [],
            },
            "urls": [],
            "urls_truncated": False,
            "link_mismatches": [],
            "attachments": [],
            "parts": 0,
            "mime_defects": [],
            "warnings": [],
        }
    )


def _read_message(
    msg: Message,
    state: _State,
    *,
    is_msg: bool,
    fallback_headers: dict[str, str | None] | None = None,
    fallback_date: datetime | None = None,
) -> None:
    """Fill ``state.result`` from a parsed message (headers, hops, auth, body, attachments)."""
    result = state.result
    md = result.metadata
    _empty_metadata(md)
    md["format"] = "msg" if is_msg else "eml"
    idents: list[list[Identifier]] = []
    times: list[TimeFact] = []

    raw_items: list[tuple[str, str]] = []
    try:
        raw_items = [(str(k), v if isinstance(v, str) else str(v)) for k, v in msg.raw_items()]
    except Exception as exc:
        result.errors.append(_err("the headers could not be listed", exc))
    md["header_count"] = len(raw_items)
    unixfrom = msg.get_unixfrom()
    if unixfrom:
        md["envelope_from_line"] = _json_safe_raw(unixfrom)[:1000]

    # --- individual headers -----------------------------------------------------------
    try:
        _read_headers(raw_items, md, fallback_headers or {})
    except Exception as exc:
        result.errors.append(_err("some headers could not be decoded", exc))
    headers: dict[str, str | None] = md["headers"]

    # --- addresses and spoofing tells --------------------------------------------------
    try:
        _read_addresses(raw_items, md, state.warnings, fallback_headers or {})
    except Exception as exc:
        result.errors.append(_err("the address headers could not be parsed", exc))

    # --- Date ---------------------------------------------------------------------------
    try:
        md["date"] = _date_info(md["headers_raw"].get("date"), fallback_date)
        d = md["date"]
        if d["utc"] is not None:
            times.append(
                TimeFact(
                    at=d["utc"],
                    label="e-mail sent (Date header)",
                    raw=d["raw"] or "",
                    field="headers.date",
                )
            )
        elif d["problem"] == "implausible":
            state.warnings.append(f"the Date header is implausible: {d['reason']}")
    except Exception as exc:
        result.errors.append(_err("the Date header could not be read", exc))

    # --- Received chain ------------------------------------------------------------------
    try:
        received = [_unfold(v) for k, v in raw_items if k.lower() == "received"]
        if len(received) > MAX_HOPS:
            # Keep the newest (topmost) hops: they were added by the recipient's own servers
            # and are the ones that cannot have been forged by the sender.
            result.errors.append(
                f"only the {MAX_HOPS} most recent of {len(received)} Received headers were read"
            )
            received = received[:MAX_HOPS]
        hops = [_parse_received(r) for r in reversed(received)]
        for i, hop in enumerate(hops):
            hop["index"] = i
        md["received"] = hops
        md["origin_ip"] = _origin(hops)
        for i, hop in enumerate(hops):
            if _worth_reporting(hop["from_ip"]):
                idents.append([Identifier("ip", hop["from_ip"], f"received[{i}]")])
            if hop["at"]:
                times.append(
                    TimeFact(
                        at=hop["at"],
                        label=f"relay hop {i} received",
                        raw=hop["date_raw"] or "",
                        field=f"received[{i}]",
                    )
                )
    except Exception as exc:
        result.errors.append(_err("the Received headers could not be read", exc))

    # --- authentication claims -----------------------------------------------------------
    try:
        md["authentication"] = _authentication(raw_items)
        # The signing domain is a lead too; "x@" makes the finder treat it as a host name.
        for sig in md["authentication"]["dkim_signatures"]:
            if sig.get("d"):
                found = find_identifiers("x@" + sig["d"], "headers.dkim-signature")
                idents.append([i for i in found if i.kind == "domain"])
    except Exception as exc:
        result.errors.append(_err("the authentication headers could not be read", exc))

    # --- header identifiers --------------------------------------------------------------
    header_idents = [find_identifiers(headers.get(k) or "", f"headers.{k}") for k in _IDENT_KEYS]

    # --- MIME body and attachments -------------------------------------------------------
    if not is_msg:
        try:
            _walk(msg, "", 0, state)
        except RecursionError:
            result.errors.append(
                "the message has parts nested too deeply to read completely; "
                "they are kept in this file exactly as received"
            )
        except Exception as exc:
            result.errors.append(_err("the message body could not be read completely", exc))
        _collect_defects(msg, state, 0)
    body_idents = _finish_body(state)
    result.identifiers = merge(*header_idents, *idents, *body_idents)[:MAX_IDENTIFIERS]
    result.times.extend(times)


def _collect_defects(part: Message, state: _State, depth: int) -> None:
    if depth > MAX_MIME_DEPTH or len(state.defects) > 50:
        return
    for d in getattr(part, "defects", []) or []:
        state.defects[type(d).__name__] = None
    payload = _payload(part)
    if isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                _collect_defects(sub, state, depth + 1)


def _finish_body(state: _State) -> list[list[Identifier]]:
    """Store the body, URL and attachment sections; return the identifiers found in the body."""
    md = state.result.metadata
    md["body"] = {
        "text": "\n\n".join(state.text_parts).strip()[:TEXT_CAP],
        "html_text": "\n\n".join(state.html_parts)[:TEXT_CAP],
        "charset_errors": state.charset_errors,
        "text_truncated": state.text_truncated,
        "html_truncated": state.html_truncated,
        "charset_notes": state.charset_notes[:50],
    }
    body_idents = [
        find_identifiers(md["body"]["text"], "body.text"),
        find_identifiers(md["body"]["html_text"], "body.html"),
        find_identifiers("\n".join(state.hrefs[:MAX_URLS]), "body.html"),
    ]
    # URLs: every link target and source in the HTML first, then URLs written in the text.
    urls = list(state.urls)
    for ident in body_idents[0] + body_idents[1]:
        if ident.kind == "url" and len(urls) < MAX_URLS and ident.value not in state.urls:
            state.urls[ident.value] = None
            urls.append(ident.value)
    md["urls"] = urls[:MAX_URLS]
    md["urls_truncated"] = state.urls_truncated or len(urls) >= MAX_URLS
    md["link_mismatches"] = state.mismatches[:MAX_MISMATCHES]
    md["attachments"] = state.attachments
    md["parts"] = state.parts
    md["mime_defects"] = list(state.defects)[:50]
    md["warnings"] = state.warnings[:100]
    return body_idents
