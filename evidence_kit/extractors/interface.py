"""The one small interface every file-type extractor implements.

An extractor reads a *stored copy* of an evidence file (never the user's original) and returns
what it could learn: JSON-serialisable metadata, identifiers police ask about, dated facts for the
timeline, embedded files to be preserved as items of their own, and the reasons for anything it
could not read. Extractors fail soft: a broken or hostile file is still preserved, and its record
says what could not be read and why. They never write outside ``ExtractContext.scratch_dir``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

#: Kinds of identifier, as stored in records and shown by ``evkit identifiers``.
IDENTIFIER_KINDS = (
    "email",
    "url",
    "domain",
    "ip",
    "phone",
    "handle",
    "iban",
    "account",
    "btc",
    "eth",
    "crypto",
)


@dataclass(frozen=True, slots=True)
class Identifier:
    """Something that points at a person or account: an e-mail address, an IP, a wallet..."""

    kind: str  # one of IDENTIFIER_KINDS
    value: str  # normalised value (e-mail lower-cased, URL as written, IP canonical)
    field: str  # where in the item it was found, e.g. "headers.from", "body.html", "exif.gps"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "field": self.field}


@dataclass(frozen=True, slots=True)
class TimeFact:
    """A dated fact found in a file, for the case timeline."""

    at: str  # ISO 8601 in UTC ("2026-11-20T09:14:00Z"), or with offset if only that is known
    label: str  # what happened: "e-mail Date header", "photo taken (EXIF DateTimeOriginal)"
    raw: str  # the value as written in the file
    field: str  # where it came from, e.g. "headers.date", "exif.DateTimeOriginal"

    def to_dict(self) -> dict[str, str]:
        return {"at": self.at, "label": self.label, "raw": self.raw, "field": self.field}


@dataclass(frozen=True, slots=True)
class Child:
    """An embedded file (an e-mail attachment, a forwarded message) to preserve as its own item.

    The extractor writes the decoded bytes to ``path`` inside ``ExtractContext.scratch_dir``;
    the case store copies, hashes and records it like any other item, with a parent link.
    """

    path: Path
    filename: str  # as declared in the container (untrusted: the store makes it safe)
    mime: str | None  # as declared in the container
    role: str  # "attachment", "inline", "message/rfc822"
    field: str = ""  # where in the parent, e.g. "mime.part[2]"


@dataclass(slots=True)
class Extraction:
    """What one extractor learned from one file."""

    extractor: str
    metadata: dict[str, Any] = field(default_factory=dict)
    identifiers: list[Identifier] = field(default_factory=list)
    times: list[TimeFact] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # plain-language reasons, one per problem

    def to_dict(self) -> dict[str, Any]:
        """The JSON-serialisable form stored in the item record (children are stored as items)."""
        return {
            "extractor": self.extractor,
            "metadata": self.metadata,
            "identifiers": [i.to_dict() for i in self.identifiers],
            "times": [t.to_dict() for t in self.times],
            "errors": list(self.errors),
        }


@dataclass(frozen=True, slots=True)
class ExtractContext:
    """What an extractor may use besides the file itself."""

    scratch_dir: Path  # write children here, nowhere else (create it first: it may not exist)
    original_name: str  # the user's file name (for extension checks); untrusted
    max_child_bytes: int = 512 * 1024 * 1024
    max_children: int = 1000


class Extractor(Protocol):
    """A file-type extractor. Implementations live one per module in this package."""

    name: str

    def accepts(self, mime: str, suffix: str) -> bool:
        """True if this extractor reads files of this libmagic MIME type / lower-case suffix."""
        ...

    def extract(self, path: Path, ctx: ExtractContext) -> Extraction:
        """Read ``path`` and return what was learned. May raise; the registry records why."""
        ...
