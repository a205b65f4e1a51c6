"""Reading one MIME part: raw headers, content type and parameters, disposition, transfer
encoding; re-serialising a part with a repaired boundary."""

from __future__ import annotations

import re
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any

from evidence_kit.extractors.email.common import MAX_MIME_DEPTH, _State, _to_bytes
from evidence_kit.extractors.email.headers import _decode_bytes, _decode_words, _unfold

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
    except Exception:
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
    except Exception:
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
    except Exception:
        return None
    if v is None:
        return None
    try:
        if isinstance(v, tuple):
            v = collapse_rfc2231_value(v, errors="replace", fallback_charset="latin-1")
    except Exception:
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


_BOUNDARY_PARAM_RE = re.compile(r"""(?i)(;\s*boundary\s*=\s*)("[^"]*"|[^;\s]*)""")


def _serialize(
    msg: Message,
    nl: bytes,
    replace_boundary: str | None = None,
    depth: int = 0,
    cut: list[int] | None = None,
) -> bytes:
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
            out.extend(
                b"--" + boundary + nl + _serialize(p, nl, depth=depth + 1, cut=cut) + nl
                for p in subs
            )
            out.append(b"--" + boundary + b"--" + nl)
            if msg.epilogue:
                out.append(_to_bytes(msg.epilogue))
    elif isinstance(payload, str):
        out.append(_to_bytes(payload))
    return b"".join(out)
