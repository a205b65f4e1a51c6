"""Transfer decoders that stream: base64, quoted-printable and uuencode, from the mapped file."""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Iterator
from email.message import Message

from evidence_kit.extractors.email.common import _CHUNK, _Source, _to_bytes
from evidence_kit.extractors.email.parts import _cte, _payload

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
