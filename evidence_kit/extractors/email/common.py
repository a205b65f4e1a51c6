"""What the e-mail modules share: limits, header tables, the state of one extraction, and
the step that makes a record JSON-safe."""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass, field
from typing import Any

from evidence_kit.extractors.interface import (
    Child,
    ExtractContext,
    Extraction,
    Identifier,
    TimeFact,
)

#: Caps on what goes into the record (the full message is preserved byte for byte anyway).
TEXT_CAP = 200 * 1024
HTML_INPUT_CAP = 4 * 1024 * 1024
HEADER_VALUE_CAP = 16 * 1024
MAX_URLS = 1000
MAX_MISMATCHES = 200
MAX_HOPS = 200
MAX_MIME_DEPTH = 60
MAX_PARTS = 20000
MAX_IDENTIFIERS = 2000
#: Runs of base64-looking lines at least this long are cut out before parsing (see _Source).
ELIDE_MIN = 256 * 1024
_CHUNK = 1 << 20
#: Below this many bytes a statistical charset guess is noise; Windows-1252 is the better bet.
_GUESS_MIN = 256

AUTH_NOTE = "as stated in the headers; not re-checked offline"
ORIGIN_NOTE = (
    "the earliest public IP in the Received chain; hops added before it reached the first "
    "trustworthy server can be forged by the sender, so treat it as a lead, not proof"
)

_NO_PLACEHOLDER = "EVKIT-NONE-"  # placeholder prefix when nothing was cut out (.msg bodies)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Headers reported individually: metadata key -> header name.
_HEADERS = {
    "from": "From",
    "to": "To",
    "cc": "Cc",
    "reply_to": "Reply-To",
    "return_path": "Return-Path",
    "sender": "Sender",
    "subject": "Subject",
    "date": "Date",
    "message_id": "Message-ID",
    "in_reply_to": "In-Reply-To",
    "references": "References",
    "x_mailer": "X-Mailer",
    "user_agent": "User-Agent",
    "x_originating_ip": "X-Originating-IP",
}
_ADDRESS_KEYS = ("from", "sender", "reply_to", "return_path", "to", "cc")
# Headers that should appear once; a second From is a classic spoofing trick.
_SINGLETONS = ("from", "sender", "reply_to", "subject", "date", "message_id", "return_path")
# Headers scanned for identifiers, in report order.
_IDENT_KEYS = (
    "from",
    "sender",
    "reply_to",
    "return_path",
    "to",
    "cc",
    "subject",
    "x_originating_ip",
)


def _clean(obj: Any) -> Any:
    """Replace lone surrogates (undecodable bytes that slipped through) in any nested string."""
    if isinstance(obj, str):
        if obj.isascii():  # no surrogate (most strings)
            return obj
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            return _to_bytes(obj).decode("utf-8", "replace")
        return obj
    if isinstance(obj, dict):
        return {_clean(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def _make_json_safe(result: Extraction) -> None:
    """Last line of defence: the record is canonical JSON, which cannot hold lone surrogates."""
    result.metadata = _clean(result.metadata)
    result.errors = _clean(result.errors)
    result.identifiers = [
        Identifier(_clean(i.kind), _clean(i.value), _clean(i.field)) for i in result.identifiers
    ]
    result.times = [
        TimeFact(_clean(t.at), _clean(t.label), _clean(t.raw), _clean(t.field))
        for t in result.times
    ]
    result.children = [
        Child(
            path=c.path,
            filename=_clean(c.filename),
            mime=_clean(c.mime),
            role=c.role,
            field=c.field,
        )
        for c in result.children
    ]


# ============================================================================================
# Shared state for one extraction
# ============================================================================================


@dataclass
class _Source:
    """The message bytes, with very long base64 runs replaced by placeholders.

    The stdlib parser keeps every line of a body as a separate string before joining them, so a
    50 MB attachment costs several hundred MB while parsing. Cutting long runs of base64-only
    lines out first (they can never contain a header or a boundary, which need ":" or "-") keeps
    the parsed skeleton small; the cut ranges are streamed back from the memory map only when
    a part is decoded. The placeholder carries a random token so a message cannot forge one.
    """

    buf: bytes | mmap.mmap
    ranges: list[tuple[int, int]]
    token: str
    crlf: bool

    @property
    def placeholder_re(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.token) + r"(\d+)")


@dataclass
class _State:
    ctx: ExtractContext
    result: Extraction
    src: _Source
    child_seq: int = 0
    children_written: int = 0
    children_limit_noted: bool = False
    parts: int = 0
    text_parts: list[str] = field(default_factory=list)
    text_len: int = 0
    text_truncated: bool = False
    html_parts: list[str] = field(default_factory=list)
    html_len: int = 0
    html_truncated: bool = False
    hrefs: list[str] = field(default_factory=list)
    urls: dict[str, None] = field(default_factory=dict)
    urls_truncated: bool = False
    mismatches: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    charset_errors: bool = False
    charset_notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    defects: dict[str, None] = field(default_factory=dict)


def _err(what: str, exc: BaseException) -> str:
    return f"{what}: {type(exc).__name__}: {exc}"[:500]


# ============================================================================================


def _to_bytes(s: str) -> bytes:
    """The original bytes of a header/payload string from the bytes parser (surrogate-escaped)."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "replace")
