"""Frozen data models shared by the core: items, events, findings and verification reports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NewType

ItemId = NewType("ItemId", str)
_HEX = re.compile(r"[0-9a-f]{64}")

ITEM_TYPE = "evkit/item/v1"
DUPLICATE_TYPE = "evkit/duplicate/v1"
EVENT_TYPE = "evkit/custody-event/v1"
SEAL_TYPE = "evkit/seal/v1"
CASE_TYPE = "evkit/case/v1"
GENESIS = "sha256:" + "0" * 64


def digest(hexvalue: str) -> str:
    """How a digest prints everywhere: ``sha256:<hex>``."""
    return "sha256:" + hexvalue


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
            if len(sha) != 64 or not _HEX.fullmatch(sha):
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
        return {"code": self.code, "message": self.message, "path": self.path,
                "kind": "changed" if self.integrity else "unchecked"}


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
            "result": "intact" if self.intact else (
                "changed" if self.exit_code == 1 else "not-verified"),
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
