"""Find the identifiers police ask about in free text: e-mail addresses, URLs, IPs, phones...

Every extractor that has text (e-mail headers and bodies, PDF text, statement memos) runs it
through :func:`find_identifiers`. The finders are deliberately conservative: a false "phone
number" that is really a date or an amount wastes an investigator's time and undermines trust in
the whole list, so anything with a checksum (IBAN, Bitcoin) is verified and ambiguous digit runs
are skipped. The input is attacker-written, so every pattern is linear-time and the scan is
bounded in both input size and output count.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

from evidence_kit.extractors.interface import Identifier

__all__ = [
    "MAX_IDENTIFIERS",
    "MAX_SCAN_CHARS",
    "find_identifiers",
    "merge",
    "normalize_ip",
    "text_file_identifiers",
]

#: Only this much of a text is scanned: enough for any real message, bounded for hostile ones.
MAX_SCAN_CHARS = 2 * 1024 * 1024
#: At most this many identifiers are returned per call.
MAX_IDENTIFIERS = 500

# --- patterns -------------------------------------------------------------------------------
# All quantifiers are bounded or over disjoint character classes, so none can backtrack
# catastrophically on hostile input.

_EMAIL_RE = re.compile(
    r"(?<![\w.%+\-])([\w.%+\-]{1,64}@(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.){1,10}[^\W\d_]{2,63})"
    r"(?![\w\-]|\.[^\W_])"
)
# "[.]" is how security people defang a link ("hxxp://evil[.]com"); it stays part of the URL.
_URL_RE = re.compile(
    r"(?i)(?<![\w@])((?:https?|hxxps?)://(?:[^\s<>\"'`{}|\\^\[\]]|\[\.\]){1,2048}"
    r"|www\.(?:[^\s<>\"'`{}|\\^\[\]@]|\[\.\]){3,2048})"
)
_IPV4_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w]|\.\d)")
# Loose candidate for IPv6 (optionally "IPv6:" as in Received headers); ipaddress decides.
_IPV6_RE = re.compile(
    r"(?:(?i:ipv6:)|(?<![0-9A-Za-z:.]))([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?)(?![0-9A-Za-z:])"
)
_ETH_RE = re.compile(r"(?<![0-9A-Za-z])(0x[0-9a-fA-F]{40})(?![0-9A-Za-z])")
_BTC_B58_RE = re.compile(r"(?<![0-9A-Za-z])([13][1-9A-HJ-NP-Za-km-z]{25,34})(?![0-9A-Za-z])")
_BTC_BECH32_RE = re.compile(
    r"(?<![0-9A-Za-z])((?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,71})(?![0-9A-Za-z])"
)
# Country code, check digits, then 11-30 alphanumerics optionally grouped by single spaces.
_IBAN_START_RE = re.compile(r"(?<![0-9A-Za-z])([A-Z]{2}\d{2})(?=[ ]?[0-9A-Z])")
# A handle only counts when it starts a word (so never the middle of an e-mail address).
_HANDLE_RE = re.compile(
    r"(?:(?<=\s)|^)@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@])"
)
# Phones: "+CC ..." (or "00CC ...") international forms, "0xx ..." national trunk forms and the
# North American "(555) 123-4567" form. Separators are single spaces, dots, dashes or slashes.
_PHONE_INTL_RE = re.compile(
    r"(?<![\w+\-./,])((?>(?:\+|00)[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,5}\)?){1,6}))"
    r"(?![\w\-/]|[.,:]\d)"
)
_PHONE_NATIONAL_RE = re.compile(
    r"(?<![\w+\-./,])(\(?0\d{1,4}\)?(?:[ .\-/]\d{2,5}){1,4})(?![\w\-/]|[.,:]\d)"
)
_PHONE_NANP_RE = re.compile(
    r"(?<![\w+\-./,()])(\(\d{3}\)[ ]?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4})(?![\w\-/]|[.,:]\d)"
)

_DIGIT_RE = re.compile(r"\d")  # what every \d in the patterns above can match

_DATE_PREFIX_RE = re.compile(
    r"\(?(?:\d{1,2}([./\-])\d{1,2}\1(?:19|20)\d\d|(?:19|20)\d\d([./\-])\d{1,2}\2\d{1,2})(?!\d)"
)

_TRAILING_PUNCT = ".,;:!?'\")]}>*"
_HANDLE_NOT_TLDS = frozenset(
    "com net org edu gov info biz io co uk de fr ru cn br in it es nl jp au ca ch me us eu pl "
    "tv xyz app dev ly be at se no dk fi".split()
)

# Lengths of IBANs per country (SWIFT IBAN registry). The length lets us stop at the right place
# even when the next word is made of capitals and digits too.
_IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BI": 27,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DJ": 27,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FK": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HN": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MN": 20,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NI": 28,
    "NL": 18,
    "NO": 15,
    "OM": 23,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "RU": 33,
    "SA": 24,
    "SC": 31,
    "SD": 18,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "SO": 23,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "YE": 30,
}

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


# --- public helpers -------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def normalize_ip(s: str) -> str | None:
    """Return the canonical form of an IPv4/IPv6 address written in ``s``, or None.

    Accepts the decorations mail servers put around addresses: ``[203.0.113.5]``,
    ``IPv6:2001:db8::1``, a zone suffix ``fe80::1%eth0`` (dropped) and surrounding space.
    IPv4 needs all four octets, so version strings such as ``1.2.3`` are never addresses.
    """
    if not isinstance(s, str):
        return None
    v = s.strip().strip("[]()<>").strip()
    if v[:5].lower() == "ipv6:":
        v = v[5:]
    v = v.split("%", 1)[0]
    if not v or len(v) > 64:
        return None
    if ":" not in v and v.count(".") != 3:
        return None
    try:
        return str(ipaddress.ip_address(v))
    except ValueError:
        return None


def merge(*lists: list[Identifier]) -> list[Identifier]:
    """Concatenate identifier lists, keeping the first occurrence of each (kind, value)."""
    seen: set[tuple[str, str]] = set()
    out: list[Identifier] = []
    for lst in lists:
        for ident in lst:
            key = (ident.kind, ident.value)
            if key not in seen:
                seen.add(key)
                out.append(ident)
    return out


def find_identifiers(text: str, field: str) -> list[Identifier]:
    """Find identifiers in ``text``, each tagged with ``field``; never raises for any text.

    Returns (kind, value) pairs deduplicated, in order of first appearance, at most
    :data:`MAX_IDENTIFIERS`, scanning at most :data:`MAX_SCAN_CHARS` characters.
    """
    if not isinstance(text, str) or not text:
        return []
    text = text[:MAX_SCAN_CHARS]
    # (kind, value) -> (position, sub-order) of its first appearance; a dict rather than a list
    # so that text repeating one address 10^5 times stays cheap.
    found: dict[tuple[str, str], tuple[int, int]] = {}
    # Spans already claimed by a URL, e-mail, IBAN or wallet: their digits must not be read
    # again as phone numbers or IPs (an IBAN is full of phone-like digit groups).
    claimed = _Mask(len(text))

    def add(pos: int, kind: str, value: str, sub: int = 0) -> None:
        key = (kind, value)
        if key not in found or (pos, sub) < found[key]:
            found[key] = (pos, sub)

    # Each finder runs only when the text holds what every one of its matches must contain (a
    # cheap test in C): most texts are short header values, most finders find nothing there.
    at = "@" in text
    digit = _DIGIT_RE.search(text) is not None
    url_like = "://" in text or "www." in text.lower()  # _URL_RE's (?i) "w" is only w or W

    for m in _URL_RE.finditer(text) if url_like else ():
        url = _strip_url(m.group(1))
        if len(url) < 8:
            continue
        add(m.start(1), "url", url)
        claimed.mark((m.start(1), m.start(1) + len(url)))
        for i, (kind, value) in enumerate(_url_host(url)):
            add(m.start(1), kind, value, i + 1)

    for m in _EMAIL_RE.finditer(text) if at else ():
        if text[max(0, m.start(1) - 3) : m.start(1)] == "://":
            # Userinfo in a URL ("http://paypal.com@evil.example") is a disguise, not a mailbox;
            # an address elsewhere in a URL ("?victim=jo@example.com") is kept.
            continue
        addr = m.group(1).strip(".").lower()
        local, _, domain = addr.rpartition("@")
        if not local or not domain:
            continue
        add(m.start(1), "email", addr)
        claimed.mark((m.start(1), m.end(1)))
        for i, d in enumerate(_domain_forms(domain)):
            add(m.start(1), "domain", d, i + 1)

    for m in _IBAN_START_RE.finditer(text) if digit else ():
        if _inside(m.start(1), claimed):
            continue
        iban, end, valid = _iban_at(text, m.start(1))
        if iban is not None:
            # A well-shaped IBAN with a wrong checksum is not reported, but its digits are
            # still kept away from the phone finder.
            claimed.mark((m.start(1), end))
            if valid:
                add(m.start(1), "iban", iban)

    for m in _ETH_RE.finditer(text) if "0x" in text else ():
        add(m.start(1), "eth", m.group(1).lower())
        claimed.mark(m.span(1))

    for m in _BTC_B58_RE.finditer(text) if "1" in text or "3" in text else ():
        if _inside(m.start(1), claimed):
            continue
        if _base58check_ok(m.group(1)):
            add(m.start(1), "btc", m.group(1))
            claimed.mark(m.span(1))

    for m in _BTC_BECH32_RE.finditer(text) if "bc1" in text or "BC1" in text else ():
        if _inside(m.start(1), claimed):
            continue
        cand = m.group(1)
        if (cand.islower() or cand.isupper()) and _bech32_ok(cand.lower()):
            add(m.start(1), "btc", cand.lower())
            claimed.mark(m.span(1))

    for m in _IPV4_RE.finditer(text) if digit and "." in text else ():
        if _inside(m.start(1), claimed):
            continue
        ip = normalize_ip(m.group(1))
        if ip is not None:
            add(m.start(1), "ip", ip)
            claimed.mark(m.span(1))

    # A candidate needs two colons, and a digit (_plausible_v6): hex digits, or \d in the tail.
    for m in _IPV6_RE.finditer(text) if digit and text.count(":") >= 2 else ():
        cand = m.group(1)
        if _inside(m.start(1), claimed) or not _plausible_v6(cand):
            continue
        ip = normalize_ip(cand)
        if ip is not None:
            add(m.start(1), "ip", ip)
            claimed.mark(m.span(1))

    for m in _HANDLE_RE.finditer(text) if at else ():
        name = m.group(1)
        if len(name) < 2 or _inside(m.start(), claimed):
            continue
        if "." in name and name.rsplit(".", 1)[1].lower() in _HANDLE_NOT_TLDS:
            continue  # "@gmail.com" is a domain fragment, not a handle
        add(m.start(), "handle", "@" + name.lower())

    phone_finders = (
        (_PHONE_INTL_RE, "+" in text or "00" in text),
        (_PHONE_NANP_RE, "(" in text or "." in text or "-" in text),
        (_PHONE_NATIONAL_RE, "0" in text),
    )
    phone_spans = _Mask(len(text) if digit else 0)
    for rx, possible in phone_finders:
        for m in rx.finditer(text) if digit and possible else ():
            if _inside(m.start(1), claimed) or _inside(m.start(1), phone_spans):
                continue
            phone = _phone_value(m.group(1))
            if phone is not None:
                add(m.start(1), "phone", phone)
                phone_spans.mark(m.span(1))

    ordered = sorted(found.items(), key=lambda kv: kv[1])[:MAX_IDENTIFIERS]
    return [Identifier(kind=kind, value=value, field=field) for (kind, value), _ in ordered]


# --- internals ------------------------------------------------------------------------------


class _Mask:
    """Which characters of the text are already claimed: O(1) look-ups even for 10^5 matches."""

    __slots__ = ("_bits",)

    def __init__(self, size: int) -> None:
        self._bits = bytearray(size)

    def mark(self, span: tuple[int, int]) -> None:
        a, b = span
        self._bits[a:b] = b"\x01" * (b - a)

    def __contains__(self, pos: int) -> bool:
        return 0 <= pos < len(self._bits) and self._bits[pos] == 1


def _inside(pos: int, mask: _Mask) -> bool:
    return pos in mask


def _strip_url(url: str) -> str:
    """Drop punctuation that ends the sentence rather than the URL, and unbalanced brackets."""
    while url and url[-1] in _TRAILING_PUNCT:
        last = url[-1]
        if last == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    # "&gt;" and friends appear when a URL is copied from HTML source.
    for ent in ("&gt;", "&lt;", "&quot;", "&#39;"):
        if url.lower().endswith(ent):
            url = url[: -len(ent)]
    return url


def _url_host(url: str) -> list[tuple[str, str]]:
    """The host of a URL as identifiers: an ``ip`` or one or two ``domain`` forms."""
    u = url.replace("[.]", ".")
    if u[:4].lower() == "hxxp":
        u = "http" + u[4:]
    if "://" not in u:
        u = "http://" + u
    try:
        host = urlsplit(u).hostname
    except ValueError:
        return []
    if not host:
        return []
    ip = normalize_ip(host)
    if ip is not None:
        return [("ip", ip)]
    return [("domain", d) for d in _domain_forms(host)]


@lru_cache(maxsize=4096)
def _domain_forms(host: str) -> tuple[str, ...]:
    """A host name lower-cased; punycode labels decoded, with the ASCII form kept as well.

    Both forms are returned for internationalised names because a homograph (Cyrillic "а" in
    "pаypal.com") is only visible in one form and WHOIS look-ups need the other.
    """
    h = host.strip().rstrip(".").lower()
    if not _valid_domain(h):
        return ()
    if h.isascii():
        if "xn--" not in h:
            return (h,)
        try:
            decoded = ".".join(
                lab.encode("ascii").decode("idna") if lab.startswith("xn--") else lab
                for lab in h.split(".")
            )
        except (UnicodeError, ValueError):
            return (h,)
        return (decoded, h) if decoded != h else (h,)
    try:
        ascii_form = h.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return (h,)
    return (h, ascii_form)


def _valid_domain(h: str) -> bool:
    if len(h) > 253 or "." not in h:
        return False
    labels = h.split(".")
    if any(not lab or len(lab) > 63 or lab[0] == "-" or lab[-1] == "-" for lab in labels):
        return False
    tld = labels[-1]
    return (
        len(tld) >= 2
        and not tld.isdigit()
        and all(c.isalnum() or c == "-" for c in h.replace(".", ""))
    )


def _plausible_v6(cand: str) -> bool:
    """Reject IPv6-shaped noise: bare "::", "add::" in code, times like "12:30:45"."""
    groups = [g for g in cand.split(":") if g]
    return cand.count(":") >= 2 and len(groups) >= 2 and any(c.isdigit() for c in cand)


def _iban_at(text: str, start: int) -> tuple[str | None, int, bool]:
    """Read an IBAN-shaped run at ``start``: (compact form, end position, checksum valid).

    Returns (None, 0, False) when the text there does not even have the shape of an IBAN.
    """
    country = text[start : start + 2]
    want = _IBAN_LENGTHS.get(country)
    chars: list[str] = []
    pos = start
    limit = min(len(text), start + 34 * 2 + 2)
    while pos < limit:
        c = text[pos]
        if c == " ":
            if pos + 1 < len(text) and text[pos + 1] != " " and (want is None or len(chars) < want):
                pos += 1
                continue
            break
        if not ("0" <= c <= "9" or "A" <= c <= "Z"):
            break
        if want is not None and len(chars) == want:
            break
        chars.append(c)
        pos += 1
    # Strip a trailing space we may have stepped over.
    while pos > start and text[pos - 1] == " ":
        pos -= 1
    iban = "".join(chars)
    if want is not None:
        if len(iban) != want:
            return None, 0, False
        # Characters glued to the end ("...3000X") mean this is not where the IBAN stops.
        if pos < len(text) and text[pos].isalnum():
            return None, 0, False
    elif not 15 <= len(iban) <= 34:
        return None, 0, False
    return iban, pos, _iban_checksum_ok(iban)


def _iban_checksum_ok(iban: str) -> bool:
    """ISO 13616 mod-97 check: move the first four characters to the end, letters to numbers."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def _base58check_ok(addr: str) -> bool:
    """Legacy Bitcoin address (version 0x00 or 0x05) with a valid double-SHA256 checksum."""
    n = 0
    for c in addr:
        idx = _B58_INDEX.get(c)
        if idx is None:
            return False
        n = n * 58 + idx
    try:
        body = n.to_bytes(25, "big")
    except OverflowError:
        return False
    leading = len(addr) - len(addr.lstrip("1"))
    if leading != len(body) - len(body.lstrip(b"\0")):
        return False
    if body[0] not in (0x00, 0x05):
        return False
    check = hashlib.sha256(hashlib.sha256(body[:21]).digest()).digest()[:4]
    return check == body[21:]


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def _bech32_ok(addr: str) -> bool:
    """BIP-173 (bech32, witness v0) or BIP-350 (bech32m, v1+) checksum on a ``bc1`` address."""
    hrp, _, data = addr.rpartition("1")
    if hrp != "bc" or len(data) < 7:
        return False
    try:
        values = [_BECH32_CHARSET.index(c) for c in data]
    except ValueError:
        return False
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    const = _bech32_polymod(expanded + values)
    version = values[0]
    if version == 0:
        return const == 1 and len(addr) in (42, 62)
    return const == 0x2BC830A3 and version <= 16


def _phone_value(raw: str) -> str | None:
    """Normalise a phone candidate ("+" and digits, or national digits), or None to reject it."""
    if raw.count("(") != raw.count(")"):
        raw = raw.replace("(", "").replace(")", "")
    digits = "".join(c for c in raw if c.isdigit())
    if raw.startswith("+"):
        if not 9 <= len(digits) <= 15:
            return None
        return "+" + digits
    if raw.startswith("00") and len(digits) > 2 and digits[2] != "0":
        intl = digits[2:]
        if not 9 <= len(intl) <= 15:
            return None
        return "+" + intl
    if not 9 <= len(digits) <= 13:
        return None
    # A national number needs separators or brackets: a bare run of digits is as likely an order
    # number, a timestamp or an account number.
    if raw.isdigit():
        return None
    if _DATE_PREFIX_RE.match(raw):
        return None  # "05.11.2026 10" is a date and a time, not a number to call
    # "0x-xx-xxxx" style date-like groups (2026-11-20) never start with 0 and are too short;
    # reject shapes where every group has 4+ digits except a leading 2-digit one, as bank
    # account groups look like that.
    groups = [g for g in re.split(r"[ .\-/()]+", raw) if g]
    if len(groups) >= 4 and all(len(g) == 4 for g in groups[1:]):
        return None
    return digits


def text_file_identifiers(data: bytes) -> list[Identifier]:
    """Identifiers in a plain-text file (a note, a pasted chat), each pointing at its line.

    Reads at most :data:`MAX_SCAN_CHARS` bytes, as UTF-8 (undecodable bytes replaced); the
    first line an identifier is on is its ``field`` (``"text line 3"``).
    """
    found: dict[tuple[str, str], Identifier] = {}
    text = data[:MAX_SCAN_CHARS].decode("utf-8", "replace")
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        for ident in find_identifiers(line, f"text line {n}"):
            found.setdefault((ident.kind, ident.value), ident)
        if len(found) >= MAX_IDENTIFIERS:
            break
    return list(found.values())[:MAX_IDENTIFIERS]
