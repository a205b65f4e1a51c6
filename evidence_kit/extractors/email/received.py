"""``Received`` headers: the relay hops and the first public IP on the path."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from evidence_kit.extractors.email.common import HEADER_VALUE_CAP, ORIGIN_NOTE, _to_bytes
from evidence_kit.extractors.email.headers import _decode_bytes, _json_safe_raw, _parse_date
from evidence_kit.extractors.identifiers import normalize_ip

# ============================================================================================
# Received
# ============================================================================================

_KEYWORDS = frozenset({"from", "by", "via", "with", "id", "for"})
_BRACKET_IP_RE = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.%a-zA-Z]{2,64})\]", re.I)
_IPV4_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w]|\.\d)")
_COMMENT_MARK_RE = re.compile(r"[\\()]")
_WORD_RE = re.compile(r"[^\s(]+")
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
            # Jump from one backslash or bracket to the next (a comment is mostly plain text).
            depth, j = 0, i
            while True:
                m = _COMMENT_MARK_RE.search(s, j)
                if m is None:
                    j = n
                    break
                j = m.start()
                if m.group() == "\\":
                    j += 2
                    continue
                if m.group() == "(":
                    depth += 1
                else:
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append((s[i + 1 : j], True))
            i = j + 1
        else:
            m = _WORD_RE.match(s, i)  # \s is str.isspace(); c is neither space nor "("
            j = m.end() if m is not None else i
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
    return not (
        addr.is_loopback
        or addr.is_link_local
        or addr.is_unspecified
        or addr.is_multicast
        or addr.is_reserved
    )


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
            return {
                "ip": ip,
                "hop": hop["index"],
                "from_host": hop.get("from_host"),
                "note": ORIGIN_NOTE,
            }
    return None
