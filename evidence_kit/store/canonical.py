"""Canonical JSON (RFC 8785, JCS): the exact bytes that are hashed and signed.

Using the RFC's scheme (via the ``rfc8785`` package) rather than an ad-hoc ``json.dumps``
means anyone can reproduce the signed bytes from the parsed object with any JCS library.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON-compatible object.

    For objects without floats and whose keys are all in the Basic Multilingual Plane, Python's
    sorted, compact ``json.dumps`` produces exactly the JCS bytes (same escapes, same key order,
    same integers) at a fraction of the cost; anything else goes through ``rfc8785``. A test
    checks the two agree on generated objects.
    """
    if _fast_ok(obj):
        return json.dumps(
            obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    import rfc8785

    return bytes(rfc8785.dumps(obj))


_SAFE_INT = 2**53


def _fast_ok(obj: Any) -> bool:
    """True if ``json.dumps`` and RFC 8785 give the same bytes for ``obj`` (see above)."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str) or item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not -_SAFE_INT < item < _SAFE_INT:
                return False
        elif isinstance(item, dict):
            for key, value in item.items():
                # JCS sorts keys by UTF-16 code units: same as code points only inside the BMP.
                if not isinstance(key, str) or (not key.isascii() and max(key) > "\uffff"):
                    return False
                stack.append(value)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        else:  # floats (number formatting differs) and anything unexpected
            return False
    return True


def record_bytes(obj: Any) -> bytes:
    """Compact, key-sorted UTF-8 JSON for unsigned records (fast; stable enough to hash)."""
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """Parse JSON, refusing NaN/Infinity which canonical JSON cannot represent."""

    def _reject(value: str) -> Any:
        raise ValueError(f"not allowed in evkit JSON: {value}")

    return json.loads(data, parse_constant=_reject)


def _safe_str(s: str) -> str:
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        pass
    try:  # undecodable bytes from file names/e-mails (surrogateescape): show them as \xNN
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return s.encode("utf-8", "replace").decode("utf-8")


def json_safe(obj: Any) -> Any:
    """A copy of ``obj`` that JSON and RFC 8785 accept: valid UTF-8 text, finite numbers.

    Extractors read attacker-written bytes and file names may hold undecodable bytes; those
    become ``\\xNN`` escapes rather than failing the whole record.
    """
    if isinstance(obj, str):
        return _safe_str(obj)
    if isinstance(obj, dict):
        return {_safe_str(str(k)): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, int):  # JCS allows only integers a double can hold exactly
        return obj if -(2**53) < obj < 2**53 else str(obj)
    return _safe_str(str(obj))
