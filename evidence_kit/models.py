"""Frozen data models shared by the core: items, custody events, seals, findings and reports.

Every model is a ``@dataclass(frozen=True, slots=True)``. Those read from disk have a
``from_dict`` that validates (raising ``ValueError`` naming the bad field) and never mutates its
input, and a ``to_dict`` that gives back exactly the dict evkit writes, so the canonical bytes
of a model are the bytes on disk. A digest prints as ``sha256:<hex>`` through :func:`digest`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NewType

from evidence_kit.store.canonical import canonical_bytes, loads

ItemId = NewType("ItemId", str)
KeyId = NewType("KeyId", str)  # ``sha256:<hex>`` of the raw Ed25519 public key
CaseId = NewType("CaseId", str)
ExportId = NewType("ExportId", str)
_HEX = re.compile(r"[0-9a-f]{64}")

ITEM_TYPE = "evkit/item/v1"
DUPLICATE_TYPE = "evkit/duplicate/v1"
EVENT_TYPE = "evkit/custody-event/v1"
SEAL_TYPE = "evkit/seal/v1"
CASE_TYPE = "evkit/case/v1"

DIGEST_PREFIX = "sha256:"


def digest(hexvalue: str) -> str:
    """How a digest prints everywhere: ``sha256:<hex>``."""
    return DIGEST_PREFIX + hexvalue


def digest_hex(value: str) -> str:
    """The hex part of a ``sha256:<hex>`` digest (a bare value is returned unchanged)."""
    return value.removeprefix(DIGEST_PREFIX)


def is_hex(value: object) -> bool:
    """True for 64 lower-case hex digits (a SHA-256 as the manifests and seals write it)."""
    return isinstance(value, str) and _HEX.fullmatch(value) is not None


def is_digest(value: object) -> bool:
    """True for ``sha256:`` followed by 64 lower-case hex digits."""
    return (
        isinstance(value, str)
        and value.startswith(DIGEST_PREFIX)
        and is_hex(value[len(DIGEST_PREFIX) :])
    )


GENESIS = digest("0" * 64)


@dataclass(frozen=True, slots=True)
class Item:
    """One preserved evidence file: the latest revision of its record in ``items.jsonl``."""

    id: ItemId
    rev: int
    sha256: str
    size: int
    stored: str  # bag-relative path, e.g. "data/E0001_Screenshot.png"
    mime: str
    original: dict[str, Any]
    acquired: dict[str, Any]
    parent: dict[str, Any] | None
    sensitive: bool
    extraction: dict[str, Any] | None
    raw: dict[str, Any] = field(compare=False, repr=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Item:
        """Validate a record read from disk; raises ValueError naming the bad field."""
        if d.get("type") != ITEM_TYPE:
            raise ValueError("not an evkit item record")
        try:
            sha = str(d["sha256"])
            if not is_hex(sha):
                raise ValueError("sha256 is not 64 lower-case hex digits")
            return cls(
                id=ItemId(str(d["id"])),
                rev=int(d.get("rev", 1)),
                sha256=sha,
                size=int(d["size"]),
                stored=str(d["stored"]),
                mime=str(d.get("mime", "")),
                original=dict(d.get("original") or {}),
                acquired=dict(d.get("acquired") or {}),
                parent=dict(d["parent"]) if d.get("parent") else None,
                sensitive=bool(d.get("sensitive", False)),
                extraction=dict(d["extraction"]) if d.get("extraction") else None,
                raw=dict(d),
            )
        except KeyError as exc:
            raise ValueError(f"item record lacks {exc.args[0]!r}") from exc

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)

    @property
    def name(self) -> str:
        return str(self.original.get("name") or self.stored.rsplit("/", 1)[-1])


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by verification, in plain words, with a stable machine code."""

    code: str  # e.g. "payload.changed"; the list is in docs/FORMAT.md
    message: str  # a plain sentence for a person
    path: str | None = None  # the file (bag-relative) or zip entry concerned
    integrity: bool = True  # False: could not check (exit 3) rather than changed (exit 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "kind": "changed" if self.integrity else "unchecked",
        }


@dataclass(frozen=True, slots=True)
class Check:
    """One step of verification that passed or failed, for the human summary."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Everything verification found: every problem, not just the first."""

    target: str
    case_id: str | None
    title: str | None
    key_id: str | None
    items: int
    events: int
    payload_bytes: int
    sealed_at: str | None
    seal_sha256: str | None
    checks: tuple[Check, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def exit_code(self) -> int:
        if any(f.integrity for f in self.findings):
            return 1
        return 3 if self.findings else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "result": "intact"
            if self.intact
            else ("changed" if self.exit_code == 1 else "not-verified"),
            "case_id": self.case_id,
            "title": self.title,
            "key_id": self.key_id,
            "items": self.items,
            "events": self.events,
            "payload_bytes": self.payload_bytes,
            "sealed_at": self.sealed_at,
            "seal_sha256": self.seal_sha256,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.notes),
        }


# ---- validation helpers (from_dict) ----------------------------------------------------------
def _obj(d: object, what: str) -> Mapping[str, Any]:
    if not isinstance(d, Mapping):
        raise ValueError(f"{what} is not a JSON object")
    return d


def _fields(
    d: Mapping[str, Any], what: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> None:
    for name in required:
        if name not in d:
            raise ValueError(f"{what} lacks {name!r}")
    unknown = sorted(str(k) for k in d if k not in required and k not in optional)
    if unknown:
        raise ValueError(f"{what} has an unknown field {unknown[0]!r}")


def _str(d: Mapping[str, Any], name: str, what: str) -> str:
    value = d[name]
    if not isinstance(value, str):
        raise ValueError(f"{what} field {name!r} is not text")
    return value


def _int(d: Mapping[str, Any], name: str, what: str, minimum: int = 0) -> int:
    value = d[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} field {name!r} is not a whole number >= {minimum}")
    return value


def _digest(d: Mapping[str, Any], name: str, what: str) -> str:
    value = d[name]
    if not is_digest(value):
        raise ValueError(f"{what} field {name!r} is not sha256:<64 hex digits>")
    return str(value)


def _hex(d: Mapping[str, Any], name: str, what: str) -> str:
    value = d[name]
    if not is_hex(value):
        raise ValueError(f"{what} field {name!r} is not 64 lower-case hex digits")
    return str(value)


def _type(d: Mapping[str, Any], expected: str, what: str) -> None:
    if d.get("type") != expected:
        raise ValueError(f"{what} field 'type' is not {expected!r}")


# ---- the custody log -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LogHead:
    """Where the chain ends: the number of events and the hash of the last line."""

    events: int
    head: str  # ``sha256:<hex>`` of the last line (GENESIS for an empty log)


@dataclass(frozen=True, slots=True)
class CustodyEvent:
    """One signed line of ``evkit/custody.jsonl`` (the fields are in docs/FORMAT.md).

    ``actor`` and ``data`` are plain JSON objects shared with the dict ``to_dict`` returns:
    treat them as read-only.
    """

    seq: int
    prev: str  # ``sha256:<hex>`` of the previous line (GENESIS for the first)
    at: str
    action: str
    actor: Mapping[str, Any]
    key_id: KeyId
    host: str
    tool: str
    data: Mapping[str, Any]
    sig: str = ""  # base64 Ed25519 signature over the canonical body (empty: not yet signed)

    _WHAT = "custody event"
    _REQUIRED = (
        "type",
        "seq",
        "prev",
        "at",
        "action",
        "actor",
        "key_id",
        "host",
        "tool",
        "data",
        "sig",
    )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CustodyEvent:
        """Validate a parsed log line; raises ValueError naming the bad field."""
        what = cls._WHAT
        d = _obj(d, what)
        _fields(d, what, cls._REQUIRED)
        _type(d, EVENT_TYPE, what)
        actor, data = d["actor"], d["data"]
        if not isinstance(actor, dict):
            raise ValueError(f"{what} field 'actor' is not a JSON object")
        if not isinstance(data, dict):
            raise ValueError(f"{what} field 'data' is not a JSON object")
        return cls(
            seq=_int(d, "seq", what, 1),
            prev=_digest(d, "prev", what),
            at=_str(d, "at", what),
            action=_str(d, "action", what),
            actor=dict(actor),
            key_id=KeyId(_digest(d, "key_id", what)),
            host=_str(d, "host", what),
            tool=_str(d, "tool", what),
            data=dict(data),
            sig=_str(d, "sig", what),
        )

    @classmethod
    def from_line(cls, line: bytes) -> CustodyEvent:
        """Parse and validate one log line (without its newline)."""
        return cls.from_dict(loads(line))

    def body(self) -> dict[str, Any]:
        """The event without ``sig``: what the signature is over (as canonical JSON)."""
        return {
            "type": EVENT_TYPE,
            "seq": self.seq,
            "prev": self.prev,
            "at": self.at,
            "action": self.action,
            "actor": self.actor,
            "key_id": self.key_id,
            "host": self.host,
            "tool": self.tool,
            "data": self.data,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "sig": self.sig}

    def line(self) -> bytes:
        """The log line as written (canonical JSON, no newline)."""
        return canonical_bytes(self.to_dict())


# ---- the seal --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SealPayload:
    """The seal's ``payload`` block: evidence file count, total bytes, the manifest's hash."""

    items: int
    size: int  # written as "bytes"
    manifest_sha256: str  # hex of manifest-sha256.txt

    _WHAT = "seal payload"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SealPayload:
        what = cls._WHAT
        d = _obj(d, what)
        _fields(d, what, ("items", "bytes", "manifest_sha256"))
        return cls(_int(d, "items", what), _int(d, "bytes", what), _hex(d, "manifest_sha256", what))

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "bytes": self.size, "manifest_sha256": self.manifest_sha256}


@dataclass(frozen=True, slots=True)
class SealExport:
    """A package seal's ``export`` block: which handover, from which case seal."""

    id: ExportId
    transfer_event: int  # seq of the signed transfer event
    case_seal_sha256: str  # hex of the case's seal.json the package was made from
    withheld: int
    supplementary_to: ExportId | None

    _WHAT = "seal export"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SealExport:
        what = cls._WHAT
        d = _obj(d, what)
        _fields(
            d, what, ("id", "transfer_event", "case_seal_sha256", "withheld", "supplementary_to")
        )
        base = d["supplementary_to"]
        if base is not None and not isinstance(base, str):
            raise ValueError(f"{what} field 'supplementary_to' is not text or null")
        return cls(
            ExportId(_str(d, "id", what)),
            _int(d, "transfer_event", what, 1),
            _hex(d, "case_seal_sha256", what),
            _int(d, "withheld", what),
            ExportId(base) if base is not None else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "transfer_event": self.transfer_event,
            "case_seal_sha256": self.case_seal_sha256,
            "withheld": self.withheld,
            "supplementary_to": self.supplementary_to,
        }


@dataclass(frozen=True, slots=True)
class Seal:
    """``evkit/seal.json``: the signed statement binding the log head and every record file.

    A package's seal is the same plus an ``export`` block. ``files`` maps bag-relative paths to
    the hex SHA-256 of each tag file (a private copy, typed read-only; a plain dict so that
    a Seal pickles and deep-copies).
    """

    case_id: CaseId
    sealed_at: str
    key_id: KeyId
    custody: LogHead
    payload: SealPayload
    files: Mapping[str, str]
    export: SealExport | None = None

    _WHAT = "seal"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Seal:
        """Validate a parsed seal; raises ValueError naming the bad field."""
        what = cls._WHAT
        d = _obj(d, what)
        _fields(
            d,
            what,
            ("type", "case_id", "sealed_at", "key_id", "custody", "payload", "files"),
            ("export",),
        )
        _type(d, SEAL_TYPE, what)
        custody = _obj(d["custody"], "seal custody")
        _fields(custody, "seal custody", ("events", "head"))
        files = _obj(d["files"], "seal files")
        for rel, value in files.items():
            if not isinstance(rel, str) or not is_hex(value):
                raise ValueError(
                    f"seal field 'files' entry {rel!r} is not 64 lower-case hex digits"
                )
        return cls(
            case_id=CaseId(_str(d, "case_id", what)),
            sealed_at=_str(d, "sealed_at", what),
            key_id=KeyId(_digest(d, "key_id", what)),
            custody=LogHead(
                _int(custody, "events", "seal custody"), _digest(custody, "head", "seal custody")
            ),
            payload=SealPayload.from_dict(_obj(d["payload"], "seal payload")),
            files=dict(files),
            export=SealExport.from_dict(_obj(d["export"], "seal export"))
            if "export" in d
            else None,
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> Seal:
        """Parse and validate the bytes of a seal.json; raises ValueError if damaged."""
        return cls.from_dict(loads(raw))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": SEAL_TYPE,
            "case_id": self.case_id,
            "sealed_at": self.sealed_at,
            "key_id": self.key_id,
            "custody": {"events": self.custody.events, "head": self.custody.head},
            "payload": self.payload.to_dict(),
            "files": dict(self.files),
        }
        if self.export is not None:
            out["export"] = self.export.to_dict()
        return out

    def to_bytes(self) -> bytes:
        """The canonical JSON written as seal.json (and signed)."""
        return canonical_bytes(self.to_dict())
