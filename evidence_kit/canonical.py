"""Canonical JSON (RFC 8785, JCS): the exact bytes that are hashed and signed.

Using the RFC's scheme (via the ``rfc8785`` package) rather than an ad-hoc ``json.dumps``
means anyone can reproduce the signed bytes from the parsed object with any JCS library.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_bytes(obj: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON-compatible object."""
    import rfc8785

    return bytes(rfc8785.dumps(obj))


def record_bytes(obj: Any) -> bytes:
    """Compact, key-sorted UTF-8 JSON for unsigned records (fast; stable enough to hash)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """Parse JSON, refusing NaN/Infinity which canonical JSON cannot represent."""

    def _reject(value: str) -> Any:
        raise ValueError(f"not allowed in evkit JSON: {value}")

    return json.loads(data, parse_constant=_reject)
