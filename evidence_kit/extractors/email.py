"""E-mail extractor: RFC 822/MIME ``.eml`` files and Outlook ``.msg`` files.

What police ask of a scam e-mail is mostly in its headers: who it claims to be from, where the
replies go, the relay path (``Received``) and the first public IP on it, and what the receiving
servers said about SPF/DKIM/DMARC. Attachments and forwarded messages are evidence in their own
right, so they are written out as children and preserved as items of their own.

Everything here reads criminal-authored bytes, so the rules are:

* never crash: each section is read separately and a failure becomes a plain-language entry in
  ``Extraction.errors`` while the other sections are still returned;
* never trust names: attachment bytes go to generated names (``child-0001.bin``) inside
  ``ExtractContext.scratch_dir``; the declared file name is only recorded as data;
* never hold a large attachment several times over: long base64 runs are cut out of the message
  before parsing and streamed from the memory-mapped file when the attachment is written;
* report header claims as claims: authentication verdicts are "as stated", never re-checked.

Header access uses :data:`email.policy.compat32` because it keeps raw values and never raises on
malformed headers (``policy.default`` raises on some of them when a header is read); every value
is decoded here with an explicit, lenient RFC 2047 / charset step.
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import functools
import hashlib
import ipaddress
import mmap
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_tz
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from evidence_kit.extractors import registry
from evidence_kit.extractors.identifiers import find_identifiers, merge, normalize_ip
from evidence_kit.extractors.interface import (
    Child,
    ExtractContext,
    Extraction,
    Identifier,
    TimeFact,
)

__all__ = ["EXTRACTOR", "EmailExtractor"]

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
_IDENT_KEYS = ("from", "sender", "reply_to", "return_path", "to", "cc", "subject",
               "x_originating_ip")


class EmailExtractor:
    """Reads ``.eml`` (RFC 822/MIME) and Outlook ``.msg`` files."""

    name = "email"

    def accepts(self, mime: str, suffix: str) -> bool:
        """E-mail by type, or ``.eml``/``.msg`` when libmagic is unsure (see the registry)."""
        return registry.EMAIL.accepts(mime, suffix)

    def extract(self, path: Path, ctx: ExtractContext) -> Extraction:
        """Read the message; never raises for bad content (errors are recorded instead)."""
        result = Extraction(extractor=self.name)
        try:
            with path.open("rb") as fh:
                head = fh.read(8)
            if head == _OLE_MAGIC:
                _extract_msg(path, ctx, result)
            else:
                _extract_eml(path, ctx, result)
        except MemoryError:
            raise
        except RecursionError:
            result.errors.append("the message is nested too deeply to read completely; it is "
                                 "kept in this file exactly as received")
        # Hostile input: whatever went wrong is a finding about the file, not a crash.
        except Exception as exc:  # noqa: BLE001
            result.errors.append(_err("could not be read completely as an e-mail", exc))
        _make_json_safe(result)
        return result


#: The extractor this module provides, for the registry.
EXTRACTOR = EmailExtractor()


def _clean(obj: Any) -> Any:
    """Replace lone surrogates (undecodable bytes that slipped through) in any nested string."""
    if isinstance(obj, str):
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
    result.identifiers = [Identifier(_clean(i.kind), _clean(i.value), _clean(i.field))
                          for i in result.identifiers]
    result.times = [TimeFact(_clean(t.at), _clean(t.label), _clean(t.raw), _clean(t.field))
                    for t in result.times]
    result.children = [Child(path=c.path, filename=_clean(c.filename), mime=_clean(c.mime),
                             role=c.role, field=c.field) for c in result.children]


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
# .eml
# ============================================================================================

# Possessive "++": the plain "+" makes the regex engine keep a backtracking record per line,
# which for a 50 MB attachment costs about three times the file size in memory.
_B64_RUN_RE = re.compile(rb"(?m)(?:^[A-Za-z0-9+/=]{40,}\r?\n)++")


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
    for m in _B64_RUN_RE.finditer(buf):
        a, b = m.span()
        # Leave the run's final line ending in the skeleton, so the placeholder sits on its own
        # line and the parser's boundary handling sees exactly what it would have seen.
        end = b - (2 if buf[b - 2 : b] == b"\r\n" else 1)
        if end - a >= ELIDE_MIN:
            ranges.append((a, end))
    head = buf[: min(len(buf), 65536)]
    crlf = head.count(b"\r\n") * 2 > head.count(b"\n")
    return _Source(buf=buf, ranges=ranges, token="EVKIT-ELIDED-" + secrets.token_hex(8) + "-",
                   crlf=crlf)


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
        result.errors.append("the message has parts nested too deeply to read; only its headers "
                             "were read (the rest is kept in this file exactly as received)")
    # The stdlib parser is very tolerant, but a parser bug must still not cost us the headers.
    except Exception as exc:  # noqa: BLE001
        result.errors.append(_err("the MIME structure could not be parsed; only the headers "
                                  "were read", exc))
    return parser.parsebytes(data, headersonly=True)


def _empty_metadata(md: dict[str, Any]) -> None:
    md.update({
        "headers": dict.fromkeys(_HEADERS),
        "headers_raw": dict.fromkeys(_HEADERS),
        "header_count": 0,
        "repeated_headers": [],
        "addresses": {k: [] for k in _ADDRESS_KEYS},
        "date": {"raw": None, "utc": None, "offset": None, "problem": "missing",
                 "reason": "the message has no Date header"},
        "received": [],
        "origin_ip": None,
        "authentication": {"note": AUTH_NOTE, "results": [], "arc_results": [],
                           "received_spf": [], "dkim_signatures": [],
                           "summary": {"spf": [], "dkim": [], "dmarc": []}},
        "body": {"text": "", "html_text": "", "charset_errors": False,
                 "text_truncated": False, "html_truncated": False, "charset_notes": []},
        "urls": [],
        "urls_truncated": False,
        "link_mismatches": [],
        "attachments": [],
        "parts": 0,
        "mime_defects": [],
        "warnings": [],
    })


def _read_message(msg: Message, state: _State, *, is_msg: bool,
                  fallback_headers: dict[str, str | None] | None = None,
                  fallback_date: datetime | None = None) -> None:
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
    except Exception as exc:  # noqa: BLE001 - hostile input, see module docstring
        result.errors.append(_err("the headers could not be listed", exc))
    md["header_count"] = len(raw_items)
    unixfrom = msg.get_unixfrom()
    if unixfrom:
        md["envelope_from_line"] = _json_safe_raw(unixfrom)[:1000]

    # --- individual headers -----------------------------------------------------------
    try:
        _read_headers(raw_items, md, fallback_headers or {})
    except Exception as exc:  # noqa: BLE001
        result.errors.append(_err("some headers could not be decoded", exc))
    headers: dict[str, str | None] = md["headers"]

    # --- addresses and spoofing tells --------------------------------------------------
    try:
        _read_addresses(raw_items, md, state.warnings, fallback_headers or {})
    except Exception as exc:  # noqa: BLE001
        result.errors.append(_err("the address headers could not be parsed", exc))

    # --- Date ---------------------------------------------------------------------------
    try:
        md["date"] = _date_info(md["headers_raw"].get("date"), fallback_date)
        d = md["date"]
        if d["utc"] is not None:
            times.append(TimeFact(at=d["utc"], label="e-mail sent (Date header)",
                                  raw=d["raw"] or "", field="headers.date"))
        elif d["problem"] == "implausible":
            state.warnings.append(f"the Date header is implausible: {d['reason']}")
    except Exception as exc:  # noqa: BLE001
        result.errors.append(_err("the Date header could not be read", exc))

    # --- Received chain ------------------------------------------------------------------
    try:
        received = [_unfold(v) for k, v in raw_items if k.lower() == "received"]
        if len(received) > MAX_HOPS:
            # Keep the newest (topmost) hops: they were added by the recipient's own servers
            # and are the ones that cannot have been forged by the sender.
            result.errors.append(f"only the {MAX_HOPS} most recent of {len(received)} "
                                 "Received headers were read")
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
                times.append(TimeFact(at=hop["at"], label=f"relay hop {i} received",
                                      raw=hop["date_raw"] or "", field=f"received[{i}]"))
    except Exception as exc:  # noqa: BLE001
        result.errors.append(_err("the Received headers could not be read", exc))

    # --- authentication claims -----------------------------------------------------------
    try:
        md["authentication"] = _authentication(raw_items)
        # The signing domain is a lead too; "x@" makes the finder treat it as a host name.
        for sig in md["authentication"]["dkim_signatures"]:
            if sig.get("d"):
                found = find_identifiers("x@" + sig["d"], "headers.dkim-signature")
                idents.append([i for i in found if i.kind == "domain"])
    except Exception as exc:  # noqa: BLE001
        result.errors.append(_err("the authentication headers could not be read", exc))

    # --- header identifiers --------------------------------------------------------------
    header_idents = [find_identifiers(headers.get(k) or "", f"headers.{k}") for k in _IDENT_KEYS]

    # --- MIME body and attachments -------------------------------------------------------
    if not is_msg:
        try:
            _walk(msg, "", 0, state)
        except RecursionError:
            result.errors.append("the message has parts nested too deeply to read completely; "
                                 "they are kept in this file exactly as received")
        except Exception as exc:  # noqa: BLE001
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


# ============================================================================================
# Header decoding
# ============================================================================================

_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]{1,75})\?([BbQq])\?([^?\s]*)\?=")
_BETWEEN_WORDS_RE = re.compile(r"(\?=)[ \t\r\n]+(?==\?[^?\s]{1,75}\?[BbQq]\?)")
_UNKNOWN_CHARSETS = frozenset({"unknown-8bit", "x-unknown", "unknown", "8bit", "default",
                               "x-user-defined", "charset", "none", ""})
# Codecs that are not character sets, or that are slow on hostile input (punycode is quadratic).
_REFUSED_CODECS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape",
                             "undefined", "mbcs", "oem", "escape"})
_CHARSET_ALIASES = {
    "x-sjis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "windows-31j": "cp932",
    "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "x-gbk": "gbk",
    "unicode-1-1-utf-7": "utf-7", "x-mac-roman": "mac-roman", "macintosh": "mac-roman",
    "iso-8859-8-i": "iso-8859-8", "iso-8859-6-i": "iso-8859-6", "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-e": "iso-8859-6", "utf8": "utf-8", "ansi_x3.4-1968": "ascii",
}
# Wider charsets that real mailers mean when they write the narrower name.
_SUPERSETS = {"shift_jis": "cp932", "euc_kr": "cp949", "gb2312": "gb18030", "gbk": "gb18030",
              "latin_1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252",
              "big5": "big5hkscs", "euc_jp": "euc_jis_2004", "iso2022_jp": "iso2022_jp_ext"}


def _codec(name: str | None) -> str | None:
    """A Python codec name for a declared charset, or None if unknown or refused."""
    if not name:
        return None
    n = name.strip().strip("\"'").strip().lower()
    if n in _UNKNOWN_CHARSETS or len(n) > 64:
        return None
    n = _CHARSET_ALIASES.get(n, n)
    try:
        info = codecs.lookup(n)
    except (LookupError, ValueError, TypeError):
        return None
    # Only text encodings: bytes-to-bytes codecs (zlib, base64) must never be applied.
    if info.name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_bytes(b: bytes, declared: str | None, *, short: bool = False) -> tuple[str, str, bool]:
    """Decode untrusted bytes leniently: returns (text, charset used, decoded exactly as declared).

    Order: the declared charset (unless the bytes are valid UTF-8 mislabelled as something
    else, a common spam trait), UTF-8, the declared charset's usual superset, the declared
    charset with replacement characters for the few bad bytes, and only when nothing usable is
    declared a statistical guess (for texts long enough to guess from) or Windows-1252.
    Never raises.
    """
    codec = _codec(declared)
    if codec is not None:
        try:
            text = b.decode(codec)
        except (UnicodeDecodeError, LookupError, ValueError):
            pass
        else:
            if codec != "utf-8" and not b.isascii() and _is_utf8(b):
                return b.decode("utf-8"), "utf-8", False
            return text, codec, True
    if b.isascii():
        return b.decode("ascii"), "ascii", declared is None or codec is not None
    if _is_utf8(b):
        return b.decode("utf-8"), "utf-8", declared is None
    if codec in _SUPERSETS:
        try:
            return b.decode(_SUPERSETS[codec]), _SUPERSETS[codec], False
        except (UnicodeDecodeError, LookupError):
            pass
    if codec is not None:
        try:
            return b.decode(codec, errors="replace"), codec, False
        except (LookupError, ValueError):
            pass
    if not short and len(b) >= _GUESS_MIN:
        guess = _guess_charset(b)
        if guess is not None:
            try:
                return b.decode(guess), guess, False
            except (UnicodeDecodeError, LookupError, ValueError):
                pass
    return b.decode("cp1252", errors="replace"), "cp1252", False


def _guess_charset(b: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(b[:65536]).best()
    except Exception:  # noqa: BLE001 - a detection failure just means "no guess"
        return None
    if best is None:
        return None
    return _codec(best.encoding)


def _to_bytes(s: str) -> bytes:
    """The original bytes of a header/payload string from the bytes parser (surrogate-escaped)."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "replace")


def _json_safe_raw(s: str) -> str:
    """Raw value for the record: undecodable bytes shown as \\xNN, never lone surrogates."""
    return _to_bytes(s).decode("utf-8", "backslashreplace")


def _unfold(s: str) -> str:
    s = re.sub(r"\r?\n(?=[ \t])", "", s)
    return s.replace("\r", " ").replace("\n", " ")


def _decode_words(s: str) -> str:
    """Decode RFC 2047 encoded words leniently (unknown charsets, bad base64 and all)."""
    if "=?" not in s:
        return s
    s = _BETWEEN_WORDS_RE.sub(r"\1", s)

    def one(m: re.Match[str]) -> str:
        charset = m.group(1).split("*", 1)[0]
        enc = m.group(2).upper()
        data = m.group(3).encode("ascii", "ignore")
        try:
            if enc == "B":
                data = data.rstrip(b"=")
                data += b"=" * (-len(data) % 4)
                if len(data) % 4 == 1:
                    data = data[:-1]
                raw = binascii.a2b_base64(data)
            else:
                raw = binascii.a2b_qp(data, header=True)
        except (binascii.Error, ValueError):
            return m.group(0)
        return _decode_bytes(raw, charset, short=True)[0]

    return _ENCODED_WORD_RE.sub(one, s)


def _decode_header(raw: str) -> str:
    text = _decode_bytes(_to_bytes(_unfold(raw)), None, short=True)[0]
    text = _decode_words(text).replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return text.strip()[:HEADER_VALUE_CAP]


def _read_headers(raw_items: list[tuple[str, str]], md: dict[str, Any],
                  fallback: dict[str, str | None]) -> None:
    by_name: dict[str, list[str]] = {}
    for k, v in raw_items:
        by_name.setdefault(k.strip().lower(), []).append(v)
    headers: dict[str, str | None] = {}
    raw: dict[str, str | None] = {}
    repeated: list[str] = []
    for key, name in _HEADERS.items():
        values = by_name.get(name.lower())
        if values:
            raw[key] = _json_safe_raw(values[0])[:HEADER_VALUE_CAP]
            headers[key] = _decode_header(values[0])
            if len(values) > 1 and key in _SINGLETONS:
                repeated.append(key)
        else:
            raw[key] = None
            headers[key] = fallback.get(key)
    md["headers"] = headers
    md["headers_raw"] = raw
    md["repeated_headers"] = repeated


def _read_addresses(raw_items: list[tuple[str, str]], md: dict[str, Any], warnings: list[str],
                    fallback: dict[str, str | None]) -> None:
    addresses: dict[str, list[dict[str, str]]] = {}
    for key in _ADDRESS_KEYS:
        name = _HEADERS[key].lower()
        values = [v for k, v in raw_items if k.strip().lower() == name]
        if not values and fallback.get(key):
            values = [fallback[key] or ""]
        found: list[dict[str, str]] = []
        for v in values[:5]:
            # Split addresses before decoding encoded words: a decoded display name may contain
            # commas ("Doe, John") that would otherwise split one address in two.
            text = _decode_bytes(_to_bytes(_unfold(v)), None, short=True)[0][:HEADER_VALUE_CAP]
            for disp, addr in getaddresses([text])[:200]:
                if not disp and not addr:
                    continue
                found.append({"name": _decode_words(disp).strip(), "address": addr.strip()})
        addresses[key] = found
    md["addresses"] = addresses
    if "from" in md.get("repeated_headers", []):
        warnings.append("the message has more than one From header")
    frm = addresses.get("from") or []
    from_addr = frm[0]["address"].lower() if frm else ""
    from_domain = from_addr.rpartition("@")[2]
    # Check the display name on the header text itself: parsers disagree on how to read
    # "alice@example.com <bob@example.com>", but the deception is the same.
    from_raw = (md.get("headers") or {}).get("from") or ""
    m = re.match(r"^\s*(.*?)\s*<([^<>]*)>\s*$", from_raw, re.S)
    if m:
        real = m.group(2).strip().lower()
        shown = re.findall(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+", m.group(1))
        warnings.extend(f"the From display name shows the address {s} but the message is from "
                        f"{real or '(no address)'}"
                        for s in shown if s.lower() != real)
    for key, label in (("reply_to", "Reply-To"), ("return_path", "Return-Path")):
        for entry in addresses.get(key, [])[:3]:
            dom = entry["address"].lower().rpartition("@")[2]
            if from_domain and dom and dom != from_domain:
                warnings.append(f"{label} goes to a different domain ({dom}) than From "
                                f"({from_domain})")


# ============================================================================================
# Dates
# ============================================================================================


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_date(raw: str) -> tuple[str | None, str | None, str | None, str | None]:
    """Parse an RFC 5322 date: (utc iso, offset as written, problem, reason)."""
    text = " ".join(_unfold(raw).split())
    if not text:
        return None, None, "unparseable", "the date is empty"
    try:
        tup = parsedate_tz(text)
    except (ValueError, IndexError, TypeError, OverflowError):
        tup = None
    if tup is None:
        return None, None, "unparseable", f"not a date in e-mail format: {text[:80]!r}"
    offset = tup[9]
    try:
        dt = datetime(*tup[:6], tzinfo=UTC)
        if offset is not None:
            dt -= timedelta(seconds=offset)
    except (ValueError, OverflowError) as exc:
        return None, None, "unparseable", f"not a valid date ({exc})"
    off_text = None
    if offset is not None:
        sign = "-" if offset < 0 else "+"
        h, m = divmod(abs(offset) // 60, 60)
        off_text = f"{sign}{h:02d}{m:02d}"
    if dt.year < 1971:
        return None, off_text, "implausible", f"year {dt.year} is before e-mail existed"
    if dt > _now() + timedelta(days=2):
        return None, off_text, "implausible", f"{dt.isoformat()} is in the future"
    note = None if offset is not None else "no time zone given; read as UTC"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ"), off_text, None, note


def _date_info(raw: str | None, fallback: datetime | None) -> dict[str, Any]:
    if raw is None:
        if fallback is not None:
            dt = fallback.astimezone(UTC) if fallback.tzinfo else fallback.replace(tzinfo=UTC)
            return {"raw": None, "utc": dt.strftime("%Y-%m-%dT%H:%M:%SZ"), "offset": None,
                    "problem": None, "reason": "from the Outlook message properties"}
        return {"raw": None, "utc": None, "offset": None, "problem": "missing",
                "reason": "the message has no Date header"}
    utc, offset, problem, reason = _parse_date(raw)
    return {"raw": raw, "utc": utc, "offset": offset, "problem": problem, "reason": reason}


# ============================================================================================
# Received
# ============================================================================================

_KEYWORDS = frozenset({"from", "by", "via", "with", "id", "for"})
_BRACKET_IP_RE = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.%a-zA-Z]{2,64})\]", re.I)
_IPV4_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w]|\.\d)")
_IPV6ISH_RE = re.compile(r"(?<![\w:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:])")


def _tokens(s: str) -> list[tuple[str, bool]]:
    """Split a Received clause into top-level words and (comments), as (text, is_comment)."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(s)
    while i < n and len(out) < 400:
        c = s[i]
        if c.isspace():
            i += 1
        elif c == "(":
            depth, j = 0, i
            while j < n:
                if s[j] == "\\":
                    j += 2
                    continue
                if s[j] == "(":
                    depth += 1
                elif s[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append((s[i + 1 : j], True))
            i = j + 1
        else:
            j = i
            while j < n and not s[j].isspace() and s[j] != "(":
                j += 1
            out.append((s[i:j], False))
            i = j
    return out


def _parse_received(raw: str) -> dict[str, Any]:
    decoded = _decode_bytes(_to_bytes(raw), None, short=True)[0]
    text = " ".join(decoded.split())[:HEADER_VALUE_CAP]
    clause, sep, date_part = text.rpartition(";")
    if not sep:
        clause, date_part = text, ""
    segments: dict[str, list[tuple[str, bool]]] = {}
    current: str | None = None
    for tok, is_comment in _tokens(clause):
        low = tok.lower()
        if not is_comment and low in _KEYWORDS and low not in segments:
            current = low
            segments[current] = []
        elif current is not None:
            segments[current].append((tok, is_comment))

    def first_word(key: str) -> str | None:
        for tok, is_comment in segments.get(key, []):
            if not is_comment:
                return tok.strip(";<>") or None
        return None

    from_ip = _hop_ip(segments.get("from", []))
    at, _offset, problem, reason = (None, None, None, None)
    date_raw = date_part.strip() or None
    if date_raw:
        at, _offset, problem, reason = _parse_date(date_raw)
    hop: dict[str, Any] = {
        "index": 0,
        "from_host": first_word("from"),
        "from_ip": from_ip,
        "by_host": first_word("by"),
        "with": first_word("with"),
        "id": first_word("id"),
        "for": first_word("for"),
        "at": at,
        "date_raw": date_raw,
        "raw": _json_safe_raw(raw)[:4000],
    }
    if date_raw and at is None:
        hop["at_problem"] = f"{problem}: {reason}"
    return hop


def _hop_ip(tokens: list[tuple[str, bool]]) -> str | None:
    """The connecting IP of a hop, preferring what the receiving server saw over HELO claims.

    Candidates in order: ``[a.b.c.d]`` in brackets (Postfix, Sendmail, Exim), a bare address in a
    comment (Exchange "(10.1.2.3)", qmail), the host word itself when it is an address; an
    address given after HELO/EHLO is only the sender's claim and comes last.
    """
    ranked: list[tuple[int, int, str]] = []
    for pos, (tok, is_comment) in enumerate(tokens):
        helo = bool(re.match(r"(?i)\s*(?:helo|ehlo)\b|\s*helo=", tok)) if is_comment else False
        for m in _BRACKET_IP_RE.finditer(tok):
            ip = normalize_ip(m.group(1))
            if ip:
                ranked.append((0 if not helo else 3, pos, ip))
        if is_comment:
            for rx in (_IPV4_RE, _IPV6ISH_RE):
                for m in rx.finditer(_BRACKET_IP_RE.sub(" ", tok)):
                    ip = normalize_ip(m.group(1))
                    if ip:
                        ranked.append((1 if not helo else 3, pos, ip))
        elif pos == 0:
            ip = normalize_ip(tok)
            if ip:
                ranked.append((2, pos, ip))
    if not ranked:
        return None
    ranked.sort()
    return ranked[0][2]


def _worth_reporting(ip: str | None) -> bool:
    """Relay IPs worth listing as identifiers: not loopback, link-local or otherwise meaningless
    outside the machine (private addresses stay: they can identify a host inside a company)."""
    if not ip:
        return False
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return not (addr.is_loopback or addr.is_link_local or addr.is_unspecified
                or addr.is_multicast or addr.is_reserved)


def _origin(hops: list[dict[str, Any]]) -> dict[str, Any] | None:
    for hop in hops:
        ip = hop.get("from_ip")
        if not ip:
            continue
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            continue
        if addr.is_global:
            return {"ip": ip, "hop": hop["index"], "from_host": hop.get("from_host"),
                    "note": ORIGIN_NOTE}
    return None


# ============================================================================================
# Authentication claims
# ============================================================================================

_RESINFO_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*=\s*([A-Za-z0-9_.\-]+)(.*)$", re.S)
_PROP_RE = re.compile(r"([A-Za-z0-9_.\-]+)\s*=\s*(\"[^\"]*\"|[^\s;()]+)")


def _split_semicolons(s: str) -> list[str]:
    """Split on ';' outside comments and quotes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    cur: list[str] = []
    for c in s:
        if c == '"' and depth == 0:
            quoted = not quoted
        elif c == "(" and not quoted:
            depth += 1
        elif c == ")" and not quoted and depth:
            depth -= 1
        if c == ";" and depth == 0 and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _strip_comments(s: str) -> str:
    prev = None
    while prev != s:
        prev = s
        s = re.sub(r"\([^()]*\)", " ", s)
    return s


def _auth_results(raw: str, arc: bool) -> dict[str, Any]:
    text = " ".join(_decode_header(raw).split())
    segs = _split_semicolons(text)
    out: dict[str, Any] = {"authserv_id": None, "verdicts": [], "raw": text[:4000]}
    if arc and segs and re.match(r"(?i)^i\s*=\s*\d+$", segs[0]):
        out["instance"] = segs.pop(0).split("=", 1)[1].strip()
    if segs and not _RESINFO_RE.match(_strip_comments(segs[0])):
        out["authserv_id"] = _strip_comments(segs.pop(0)).strip() or None
    for seg in segs[:50]:
        clean = _strip_comments(seg)
        m = _RESINFO_RE.match(clean)
        if not m:
            if clean.strip().lower() == "none":
                out["verdicts"].append({"method": "none", "result": "none", "properties": {}})
            continue
        props = {k.lower(): v.strip('"') for k, v in _PROP_RE.findall(m.group(3))}
        out["verdicts"].append({"method": m.group(1).lower(), "result": m.group(2).lower(),
                                "properties": dict(list(props.items())[:20])})
    return out


def _authentication(raw_items: list[tuple[str, str]]) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    arc: list[dict[str, Any]] = []
    spf: list[dict[str, Any]] = []
    dkim: list[dict[str, Any]] = []
    summary: dict[str, list[str]] = {"spf": [], "dkim": [], "dmarc": []}
    for k, v in raw_items:
        name = k.strip().lower()
        if name == "authentication-results" and len(results) < 50:
            r = _auth_results(v, arc=False)
            results.append(r)
            for verdict in r["verdicts"]:
                if verdict["method"] in summary:
                    summary[verdict["method"]].append(verdict["result"])
        elif name == "arc-authentication-results" and len(arc) < 50:
            arc.append(_auth_results(v, arc=True))
        elif name == "received-spf" and len(spf) < 50:
            text = " ".join(_decode_header(v).split())
            words = text.split(None, 1)
            result = words[0].lower().strip(";") if words else ""
            spf.append({"result": result, "raw": text[:4000]})
            if result:
                summary["spf"].append(result)
        elif name == "dkim-signature" and len(dkim) < 50:
            text = " ".join(_decode_header(v).split())
            tags: dict[str, str] = {}
            for seg in text.split(";"):
                key, eq, val = seg.partition("=")
                if eq:
                    tags.setdefault(key.strip().lower(), "".join(val.split()))
            dkim.append({"d": (tags.get("d") or "").lower() or None, "s": tags.get("s"),
                         "a": tags.get("a"), "i": tags.get("i"), "raw": text[:4000]})
    return {"note": AUTH_NOTE, "results": results, "arc_results": arc, "received_spf": spf,
            "dkim_signatures": dkim, "summary": summary}


# ============================================================================================
# MIME walk
# ============================================================================================


def _payload(part: Message) -> Any:
    """The payload exactly as parsed: a list of parts, or a str holding the original bytes.

    ``Message.get_payload()`` re-decodes 8-bit bodies with the declared charset and replaces
    what does not fit, which would corrupt binary attachments and hide the real bytes, so the
    stored value is read directly.
    """
    return getattr(part, "_payload", None)


def _raw_header(part: Message, name: str) -> str | None:
    try:
        for k, v in part.raw_items():
            if str(k).strip().lower() == name:
                return v if isinstance(v, str) else str(v)
    except Exception:  # noqa: BLE001
        return None
    return None


def _content_type(part: Message) -> str | None:
    """The declared content type (lower-case ``type/subtype``), None if absent or unusable."""
    raw = _raw_header(part, "content-type")
    if raw is None:
        return None
    value = _decode_bytes(_to_bytes(_unfold(raw)), None, short=True)[0]
    ctype = value.split(";", 1)[0].strip().lower()
    return ctype if ctype.count("/") == 1 and " " not in ctype else None


def _effective_type(part: Message) -> str:
    try:
        return str(part.get_content_type()).lower()
    except Exception:  # noqa: BLE001
        return _content_type(part) or "text/plain"


def _param(part: Message, name: str, header: str) -> str | None:
    """A header parameter (``filename``, ``charset``...), RFC 2231 and RFC 2047 decoded.

    The raw header is decoded to text first: compat32 turns 8-bit bytes in a header into
    replacement characters when asked for a parameter, which would lose a raw UTF-8 file name.
    """
    raw = _raw_header(part, header)
    if raw is None:
        return None
    tmp = Message()
    tmp[header] = _decode_bytes(_to_bytes(_unfold(raw)), None, short=True)[0]
    try:
        v: Any = tmp.get_param(name, None, header)
    except Exception:  # noqa: BLE001 - malformed parameters are simply absent
        return None
    if v is None:
        return None
    try:
        if isinstance(v, tuple):
            v = collapse_rfc2231_value(v, errors="replace", fallback_charset="latin-1")
    except Exception:  # noqa: BLE001
        v = v[2] if isinstance(v, tuple) and len(v) == 3 else None
    if not isinstance(v, str):
        return None
    text = _decode_bytes(_to_bytes(v), None, short=True)[0]
    return _decode_words(text).strip().strip('"').strip()[:1000] or None


def _filename(part: Message) -> str | None:
    return _param(part, "filename", "content-disposition") or _param(part, "name", "content-type")


def _disposition(part: Message) -> str | None:
    raw = _raw_header(part, "content-disposition")
    if raw is None:
        return None
    value = _decode_bytes(_to_bytes(_unfold(raw)), None, short=True)[0]
    return value.split(";", 1)[0].strip().lower()[:50] or None


def _cte(part: Message) -> str:
    raw = _raw_header(part, "content-transfer-encoding")
    if raw is None:
        return ""
    return _decode_bytes(_to_bytes(_unfold(raw)), None, short=True)[0].strip().lower()[:40]


def _error_once(state: _State, message: str) -> None:
    if message not in state.result.errors:
        state.result.errors.append(message)


def _walk(part: Message, section: str, depth: int, state: _State) -> None:
    """Visit a MIME entity: body text/HTML is collected, anything else becomes a child."""
    if depth > MAX_MIME_DEPTH:
        _error_once(state, f"parts of the message nested more than {MAX_MIME_DEPTH} levels deep "
                    "were not read; they are kept in this file exactly as received")
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
            report = "\n".join(_serialize(b, b"\n").decode("utf-8", "replace")
                               for b in payload if isinstance(b, Message))
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
            state.warnings.append(f"part {section or '1'}: declared {ctype} but no parts were "
                                  "found; its content is shown as plain text")
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
    for m in re.finditer(r"(?m)^--([^\s]{1,200}?)(--)?\r?\n([\w\-]{1,76}:)?",
                         payload[: 4 * 1024 * 1024]):
        if m.group(3) or m.group(1) in counts:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    if not counts:
        return None
    # Most used wins; on a tie the first seen (dicts keep insertion order, max keeps the first).
    boundary = max(counts.items(), key=lambda kv: kv[1])[0]
    declared = part.get_boundary()
    try:
        clone = BytesParser(policy=email_policy.compat32).parsebytes(
            _serialize(part, b"\n", replace_boundary=boundary))
    except Exception:  # noqa: BLE001
        return None
    if not isinstance(_payload(clone), list):
        return None
    state.warnings.append(f"the declared MIME boundary {declared!r} never occurs; the parts "
                          f"were read using the boundary actually used ({boundary!r})")
    return clone


_BOUNDARY_PARAM_RE = re.compile(r"""(?i)(;\s*boundary\s*=\s*)("[^"]*"|[^;\s]*)""")


def _serialize(msg: Message, nl: bytes, replace_boundary: str | None = None,
               depth: int = 0, cut: list[int] | None = None) -> bytes:
    """The bytes of a parsed (sub)message: raw headers as written, bodies as parsed.

    The stdlib generator re-folds headers and fails on 8-bit bytes inside a multipart whose
    parts could not be found, so this small serialiser writes the stored raw values instead.
    Parts nested deeper than :data:`MAX_MIME_DEPTH` are left out; each level where that happened
    is appended to ``cut`` so the caller can say so in the record.
    """
    out: list[bytes] = []
    for k, v in msg.raw_items():
        value = v if isinstance(v, str) else str(v)
        if replace_boundary is not None and str(k).lower() == "content-type":
            quoted = '"' + replace_boundary.replace('"', "") + '"'
            value, n = _BOUNDARY_PARAM_RE.subn(lambda m: m.group(1) + quoted, value, count=1)
            if not n:
                value += "; boundary=" + quoted
        out.append(_to_bytes(f"{k}: {value}") + nl)
    out.append(nl)
    payload = _payload(msg)
    if isinstance(payload, list) and depth >= MAX_MIME_DEPTH:
        if cut is not None and any(isinstance(p, Message) for p in payload):
            cut.append(depth)
    elif isinstance(payload, list):
        subs = [p for p in payload if isinstance(p, Message)]
        if _effective_type(msg).startswith("message/"):
            out.extend(_serialize(p, nl, depth=depth + 1, cut=cut) for p in subs[:1])
        else:
            boundary = _to_bytes(msg.get_boundary() or "EVKIT-BOUNDARY")
            if msg.preamble:
                out.append(_to_bytes(msg.preamble) + nl)
            out.extend(b"--" + boundary + nl + _serialize(p, nl, depth=depth + 1, cut=cut) + nl
                       for p in subs)
            out.append(b"--" + boundary + b"--" + nl)
            if msg.epilogue:
                out.append(_to_bytes(msg.epilogue))
    elif isinstance(payload, str):
        out.append(_to_bytes(payload))
    return b"".join(out)


# --- payload decoding ------------------------------------------------------------------------

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_B64 = bytes(c for c in range(256) if c not in _B64_ALPHABET)


def _raw_chunks(payload: str, src: _Source) -> Iterator[bytes]:
    """The original bytes of a part body, with elided runs streamed back from the file."""
    pos = 0
    marks = src.placeholder_re.finditer(payload) if src.ranges else iter(())
    for m in marks:
        yield from _literal_chunks(payload[pos : m.start()])
        idx = int(m.group(1))
        if idx < len(src.ranges):
            a, b = src.ranges[idx]
            for off in range(a, b, _CHUNK):
                yield bytes(src.buf[off : min(off + _CHUNK, b)])
        else:
            yield from _literal_chunks(m.group(0))
        pos = m.end()
    yield from _literal_chunks(payload[pos:])


def _literal_chunks(s: str) -> Iterator[bytes]:
    for i in range(0, len(s), _CHUNK):
        yield _to_bytes(s[i : i + _CHUNK])


def _b64_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lenient streaming base64: junk bytes are skipped, "=" ends a segment (some mailers
    concatenate separately padded pieces), a dangling partial quantum is decoded as padded."""
    left = b""
    for chunk in chunks:
        data = left + chunk.translate(None, _NOT_B64)
        out: list[bytes] = []
        while True:
            eq = data.find(b"=")
            if eq < 0:
                break
            out.append(_b64_final(data[:eq]))
            data = data[eq:].lstrip(b"=")
        cut = len(data) - len(data) % 4
        if cut:
            out.append(binascii.a2b_base64(data[:cut]))
        left = data[cut:]
        if out:
            yield b"".join(out)
    if left:
        yield _b64_final(left)


def _b64_final(data: bytes) -> bytes:
    rem = len(data) % 4
    if rem == 1:
        data = data[:-1]  # one stray character carries no whole byte
    elif rem:
        data += b"=" * (4 - rem)
    try:
        return binascii.a2b_base64(data) if data else b""
    except binascii.Error:
        return b""


def _qp_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    left = b""
    for chunk in chunks:
        data = left + chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            yield binascii.a2b_qp(data[:cut])
        left = data[cut:]
    if left:
        yield binascii.a2b_qp(left)


def _uu_decode(data: bytes) -> bytes:
    """uudecode leniently (the stdlib uu module is gone in 3.13); lines outside begin/end are
    ignored when a begin line exists."""
    lines = data.splitlines()
    start = next((i + 1 for i, ln in enumerate(lines) if ln.startswith(b"begin ")), 0)
    out: list[bytes] = []
    for ln in lines[start:]:
        if ln.strip() == b"end":
            break
        if not ln.strip():
            continue
        try:
            out.append(binascii.a2b_uu(ln))
        except binascii.Error:
            # Some encoders pad lines oddly; decode only as many characters as the length says.
            nbytes = (((ln[0] - 32) & 63) * 4 + 5) // 3
            try:
                out.append(binascii.a2b_uu(ln[:nbytes]))
            except binascii.Error:
                continue
    return b"".join(out)


def _decoded_chunks(part: Message, src: _Source) -> Iterator[bytes]:
    payload = _payload(part)
    if not isinstance(payload, str):
        return iter(())
    raw = _raw_chunks(payload, src)
    cte = _cte(part)
    if cte == "base64":
        return _b64_stream(raw)
    if cte == "quoted-printable":
        return _qp_stream(raw)
    if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
        return iter((_uu_decode(b"".join(raw)),))
    return raw


def _part_bytes(part: Message, src: _Source, limit: int) -> tuple[bytes, bool]:
    """Decoded bytes of a part, at most ``limit`` (and whether it was cut)."""
    out = bytearray()
    for chunk in _decoded_chunks(part, src):
        out += chunk
        if len(out) > limit:
            return bytes(out[:limit]), True
    return bytes(out), False


# --- bodies ----------------------------------------------------------------------------------


def _body_part(part: Message, section: str, ctype: str, state: _State) -> None:
    limit = TEXT_CAP * 4 if ctype == "text/plain" else HTML_INPUT_CAP
    data, cut = _part_bytes(part, state.src, limit)
    declared = _param(part, "charset", "content-type")
    if declared is None and ctype == "text/html":
        declared = _meta_charset(data)
    text, used, clean = _decode_bytes(data, declared)
    if not clean:
        state.charset_errors = True
        state.charset_notes.append(
            f"part {section}: declared charset {declared or '(none)'}, decoded as {used}")
    if "\ufffd" in text and clean:
        state.charset_errors = True
    text = text.replace("\x00", "").replace("\r\n", "\n")
    if ctype == "text/html":
        visible, anchors, urls, error = _html_text(text)
        if error:
            state.result.errors.append(f"part {section}: the HTML could not be read "
                                       f"completely ({error})")
        _add_html_links(state, urls, anchors)
        if state.html_len < TEXT_CAP:
            state.html_parts.append(visible[: TEXT_CAP - state.html_len])
            state.html_len += len(visible)
        if state.html_len > TEXT_CAP or cut:
            state.html_truncated = True
    else:
        _add_text(state, text)
        if cut:
            state.text_truncated = True


def _add_text(state: _State, text: str) -> None:
    if state.text_len < TEXT_CAP:
        state.text_parts.append(text[: TEXT_CAP - state.text_len])
    state.text_len += len(text)
    if state.text_len > TEXT_CAP:
        state.text_truncated = True


_META_CHARSET_RE = re.compile(
    rb"""(?i)<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{1,40})"""
)


def _meta_charset(data: bytes) -> str | None:
    """The charset an HTML body declares for itself (what a browser would use)."""
    m = _META_CHARSET_RE.search(data[:8192])
    return m.group(1).decode("ascii") if m else None


def _add_html_links(state: _State, urls: list[str], anchors: list[tuple[str, str]]) -> None:
    for href in urls:
        state.hrefs.append(href)  # mailto: included, for the e-mail identifiers
        if not href.lower().startswith("mailto:"):
            _add_url(state, href)
    for anchor_text, href in anchors:
        if _is_mismatch(anchor_text, href) and len(state.mismatches) < MAX_MISMATCHES:
            state.mismatches.append({"text": anchor_text[:500], "href": href[:2000]})


def _add_url(state: _State, url: str) -> None:
    if url in state.urls:
        return
    if len(state.urls) >= MAX_URLS:
        state.urls_truncated = True
        return
    state.urls[url] = None


_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "background", "poster", "data",
                        "longdesc", "cite", "srcset"})
_SKIP_TAGS = frozenset({"script", "style", "template", "title"})
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5",
                         "h6", "table", "ul", "ol", "blockquote", "hr", "section", "article",
                         "header", "footer", "pre", "form", "center", "dd", "dt"})
_ABS_URL_RE = re.compile(r"(?i)^(?:(?:https?|hxxps?|ftp)://|www\.|//)")


class _HTMLText(HTMLParser):
    """Visible text, anchors and referenced URLs of an HTML body (nothing is fetched)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.size = 0
        self.skip = 0
        self.anchors: list[tuple[str, str]] = []
        self.urls: list[str] = []
        self._anchor: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "body":
            self.skip = 0  # an unclosed <title> must not hide the whole body
        if tag in _BLOCK_TAGS:
            self._emit("\n")
        for name, value in attrs:
            if name in _URL_ATTRS and value and len(self.urls) < MAX_URLS:
                cands = [c.split()[0] for c in value.split(",") if c.split()] \
                    if name == "srcset" else [value]
                for cand in cands:
                    cand = cand.strip()
                    if _ABS_URL_RE.match(cand) or cand.lower().startswith("mailto:"):
                        self.urls.append(cand)
        if tag == "a":
            self._close_anchor()
            href = dict(attrs).get("href")
            if href:
                self._anchor = (href.strip(), [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            return  # <title/> opens nothing
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self.skip:
            self.skip -= 1
        if tag in _BLOCK_TAGS:
            self._emit("\n")
        if tag == "a":
            self._close_anchor()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self._emit(data)
        if self._anchor is not None and sum(map(len, self._anchor[1])) < 2000:
            self._anchor[1].append(data)

    def _emit(self, s: str) -> None:
        if self.size < TEXT_CAP * 2:
            self.pieces.append(s)
            self.size += len(s)

    def _close_anchor(self) -> None:
        if self._anchor is not None:
            href, parts = self._anchor
            text = " ".join("".join(parts).split())
            if text and len(self.anchors) < 5000:
                self.anchors.append((text, href))
            self._anchor = None


def _html_text(html: str) -> tuple[str, list[tuple[str, str]], list[str], str | None]:
    parser = _HTMLText()
    error = None
    try:
        parser.feed(html[:HTML_INPUT_CAP])
        parser.close()
    # html.parser has raised AssertionError and others on hostile markup in some versions.
    except Exception as exc:  # noqa: BLE001
        error = f"{type(exc).__name__}: {exc}"[:200]
    parser._close_anchor()
    raw = "".join(parser.pieces).replace("\xa0", " ")
    lines = [" ".join(ln.split()) for ln in raw.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, parser.anchors, parser.urls, error


_LOOKS_URL_RE = re.compile(r"(?i)^(?:(?:https?|hxxps?)://|www\.)\S+$")
_LOOKS_DOMAIN_RE = re.compile(r"(?i)^(?:[\w\-]+\.)+[^\W\d_]{2,63}\.?(?:[/:?#]\S*)?$")


def _host_of(url: str) -> str | None:
    u = url.strip()
    if u[:4].lower() == "hxxp":
        u = "http" + u[4:]
    if u.startswith("//"):
        u = "http:" + u
    elif "://" not in u:
        u = "http://" + u
    try:
        host = urlsplit(u).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    return host[4:] if host.startswith("www.") else host


def _is_mismatch(text: str, href: str) -> bool:
    """True when link text shows a web address whose host differs from where the link goes."""
    t = text.strip().strip("<>[]()\"'").strip()
    if "@" in t or not (_LOOKS_URL_RE.match(t) or _LOOKS_DOMAIN_RE.match(t)):
        return False
    shown = _host_of(t)
    if not shown:
        return False
    h = href.strip()
    scheme = h.split(":", 1)[0].lower() if ":" in h else ""
    if scheme in ("javascript", "data", "vbscript", "file"):
        return True
    if not (_ABS_URL_RE.match(h)):
        return False  # relative links and mailto: cannot be compared
    actual = _host_of(h)
    if not actual:
        return False
    return not (actual == shown or actual.endswith("." + shown) or shown.endswith("." + actual))


# --- attachments and nested messages ---------------------------------------------------------


def _open_child(state: _State) -> tuple[Path, IO[bytes]] | None:
    """Create a new child file with a generated name, or None if the limit is reached."""
    ctx = state.ctx
    if state.children_written >= ctx.max_children:
        if not state.children_limit_noted:
            state.result.errors.append(
                f"the message has more than {ctx.max_children} attachments; the rest were "
                "listed and hashed but not extracted")
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


def _store(chunks: Iterable[bytes], state: _State, section: str, what: str
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
            "allowed for an embedded file; it was hashed but not extracted")
        path = None
    if path is not None:
        state.children_written += 1
    return path, size, digest.hexdigest()


def _attachment(part: Message, section: str, ctype: str, filename: str | None,
                disposition: str | None, state: _State) -> None:
    content_id = _raw_header(part, "content-id")
    role = "inline" if disposition == "inline" or (disposition is None and content_id) \
        else "attachment"
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
        path, size, sha = _store(_decoded_chunks(part, state.src), state, section,
                                 filename or declared or "unnamed")
    except OSError as exc:
        state.result.errors.append(_err(f"part {section} could not be written out", exc))
        return
    entry.update(size=size, sha256=sha, child=path.name if path else None)
    if path is not None:
        state.result.children.append(Child(
            path=path, filename=filename or _fallback_name(section, ctype), mime=declared,
            role=role, field=f"mime.part[{section}]"))


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
    except Exception as exc:  # noqa: BLE001
        state.result.errors.append(_err(f"the attached message in part {section} could not be "
                                        "written out", exc))
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
            "file exactly as received, but was not read")
    if filename is None:
        subj = _raw_header(sub, "subject")
        entry["subject"] = _decode_header(subj)[:300] if subj else None
    if path is not None:
        state.result.children.append(Child(
            path=path, filename=filename or _fallback_name(section, "message/rfc822"),
            mime="message/rfc822", role="message/rfc822", field=f"mime.part[{section}]"))


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
    except Exception as exc:  # noqa: BLE001 - extract-msg raises many types on broken files
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
    except Exception as exc:  # noqa: BLE001 - extract-msg property access can raise anything
        result.errors.append(_err(f"the .msg {what} could not be read", exc))
        return None


def _read_msg(msg: Any, ctx: ExtractContext, result: Extraction) -> None:
    header_text = _safe(lambda: msg.headerText, result, "transport headers")
    if isinstance(header_text, str) and header_text.strip():
        headers_msg = BytesParser(policy=email_policy.compat32).parsebytes(
            _to_bytes(header_text.strip("\r\n") + "\r\n\r\n"), headersonly=True)
    else:
        headers_msg = Message()
    fallback: dict[str, str | None] = {}
    for key, attr in (("from", "sender"), ("to", "to"), ("cc", "cc"), ("subject", "subject"),
                      ("message_id", "messageId"), ("in_reply_to", "inReplyTo")):
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
        except Exception as exc:  # noqa: BLE001
            result.errors.append(_err(f"attachment {i} of the .msg could not be read", exc))

    _read_message(headers_msg, state, is_msg=True, fallback_headers=fallback,
                  fallback_date=date if isinstance(date, datetime) else None)
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
        state.result.errors.append(f".msg attachment {index} ({name or 'unnamed'}) is of a kind "
                                   f"that cannot be extracted ({type(data).__name__})")
        return
    path, size, sha = _store(chunks, state, section, name or "unnamed")
    entry.update(size=size, sha256=sha, child=path.name if path else None)
    if path is not None:
        state.result.children.append(Child(
            path=path, filename=name or f"attachment-{section}.bin",
            mime=entry["declared_type"], role=entry["role"], field=f"msg.attachment[{section}]"))
