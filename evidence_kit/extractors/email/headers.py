"""Header decoding: charsets, RFC 2047 encoded words, addresses, and the Date header."""

from __future__ import annotations

import binascii
import codecs
import re
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses, parsedate_tz
from typing import Any

from evidence_kit.extractors.email.common import (
    _ADDRESS_KEYS,
    _GUESS_MIN,
    _HEADERS,
    _SINGLETONS,
    HEADER_VALUE_CAP,
    _to_bytes,
)

# ============================================================================================
# Header decoding
# ============================================================================================

_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]{1,75})\?([BbQq])\?([^?\s]*)\?=")
_BETWEEN_WORDS_RE = re.compile(r"(\?=)[ \t\r\n]+(?==\?[^?\s]{1,75}\?[BbQq]\?)")
_UNKNOWN_CHARSETS = frozenset(
    {
        "unknown-8bit",
        "x-unknown",
        "unknown",
        "8bit",
        "default",
        "x-user-defined",
        "charset",
        "none",
        "",
    }
)
# Codecs that are not character sets, or that are slow on hostile input (punycode is quadratic).
_REFUSED_CODECS = frozenset(
    {
        "idna",
        "punycode",
        "unicode-escape",
        "raw-unicode-escape",
        "undefined",
        "mbcs",
        "oem",
        "escape",
    }
)
_CHARSET_ALIASES = {
    "x-sjis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-gbk": "gbk",
    "unicode-1-1-utf-7": "utf-7",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-e": "iso-8859-6",
    "utf8": "utf-8",
    "ansi_x3.4-1968": "ascii",
}
# Wider charsets that real mailers mean when they write the narrower name.
_SUPERSETS = {
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "latin_1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "big5": "big5hkscs",
    "euc_jp": "euc_jis_2004",
    "iso2022_jp": "iso2022_jp_ext",
}


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
    except Exception:
        return None
    if best is None:
        return None
    return _codec(best.encoding)


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


def _read_headers(
    raw_items: list[tuple[str, str]], md: dict[str, Any], fallback: dict[str, str | None]
) -> None:
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


def _read_addresses(
    raw_items: list[tuple[str, str]],
    md: dict[str, Any],
    warnings: list[str],
    fallback: dict[str, str | None],
) -> None:
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
        warnings.extend(
            f"the From display name shows the address {s} but the message is from "
            f"{real or '(no address)'}"
            for s in shown
            if s.lower() != real
        )
    for key, label in (("reply_to", "Reply-To"), ("return_path", "Return-Path")):
        for entry in addresses.get(key, [])[:3]:
            dom = entry["address"].lower().rpartition("@")[2]
            if from_domain and dom and dom != from_domain:
                warnings.append(
                    f"{label} goes to a different domain ({dom}) than From ({from_domain})"
                )


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
            return {
                "raw": None,
                "utc": dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "offset": None,
                "problem": None,
                "reason": "from the Outlook message properties",
            }
        return {
            "raw": None,
            "utc": None,
            "offset": None,
            "problem": "missing",
            "reason": "the message has no Date header",
        }
    utc, offset, problem, reason = _parse_date(raw)
    return {"raw": raw, "utc": utc, "offset": offset, "problem": problem, "reason": reason}
