"""The one small interface every file-type extractor implements.

An extractor reads a *stored copy* of an evidence file (never the user's original) and returns
what it could learn: JSON-serialisable metadata, identifiers police ask about, dated facts for the
timeline, embedded files to be preserved as items of their own, and the reasons for anything it
could not read. Extractors fail soft: a broken or hostile file is still preserved, and its record
says what could not be read and why. They never write outside ``ExtractContext.scratch_dir``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

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
    "bic",
)


@dataclass(frozen=True, slots=True)
class Identifier:
    """Something that points at a person or account: an e-mail address, an IP, a wallet..."""

    kind: str  # one of IDENTIFIER_KINDS
    value: str  # normalised value (e-mail lower-cased, URL as written, IP canonical)
    field: str  # where in the item it was found, e.g. "headers.from", "body.html", "exif.gps"
    #: The country it belongs to (ISO 3166 alpha-2: a phone's numbering plan, an IBAN's
    #: country), when known; only written to the record when set.
    country: str | None = None
    #: The bank an IBAN or BIC belongs to, from schwifty's bank directory, when known.
    bank: str | None = None
    #: The bank's BIC (SWIFT code) for an IBAN, when the directory knows it.
    bic: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {"kind": self.kind, "value": self.value, "field": self.field}
        for key in ("country", "bank", "bic"):
            if (v := getattr(self, key)) is not None:
                out[key] = v
        return out


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
    #: Children of a container whose parts are many by nature (a chat's media, a mailbox's
    #: messages): a WhatsApp export with media holds up to about 10,000 files.
    max_parts: int = 50_000
    #: The case's jurisdiction as the collector wrote it ("England and Wales", "Germany"):
    #: phone numbers written without a country code are read in its numbering plan
    #: (see :mod:`evidence_kit.extractors.textids`). None: only "+44 ..." style numbers.
    jurisdiction: str | None = None
    #: The folder the collector added the file from (None for an embedded file or a stored
    #: copy read again): a chat export checks there, read only and never outside it, whether
    #: the files its messages point at exist. Nothing there is read or copied.
    source_dir: Path | None = None


#: How many leading bytes a :attr:`Accepts.sniff` function is given.
SNIFF_BYTES = 4096


def normalize_mime(mime: str) -> str:
    """libmagic's MIME type without parameters, lower-cased (``""`` stays ``""``)."""
    return (mime or "").split(";", 1)[0].strip().lower()


def _matches(mime: str, patterns: frozenset[str]) -> bool:
    return mime in patterns or any(p.endswith("/*") and mime.startswith(p[:-1]) for p in patterns)


@dataclass(frozen=True, slots=True)
class Accepts:
    """What an extractor reads, declared up front so the registry can choose without importing it.

    A file is accepted when its (normalised) libmagic MIME type is in ``mime_types``; or when its
    lower-case name suffix is a key of ``extensions`` and its MIME type is one of that key's
    types (libmagic's generic answers, such as ``text/*`` or ``application/octet-stream``, under
    which the name decides; ``""`` is the key for a name without suffix); or, failing both, when
    ``sniff`` says yes to the first :data:`SNIFF_BYTES` bytes of the file.
    """

    mime_types: frozenset[str] = frozenset()
    extensions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    sniff: Callable[[bytes], bool] | None = None

    def by_type(self, mime: str, suffix: str) -> bool:
        """True if the MIME type, or the name under a generic MIME type, says this extractor."""
        m = normalize_mime(mime)
        if _matches(m, self.mime_types):
            return True
        under = self.extensions.get(suffix.lower())
        return under is not None and _matches(m, under)


class Extractor(Protocol):
    """A file-type extractor. Implementations live one per module (or subpackage) in this
    package; each module exposes its one instance as ``EXTRACTOR``, and
    :mod:`evidence_kit.extractors.registry` declares what it accepts."""

    name: str

    def extract(self, path: Path, ctx: ExtractContext) -> Extraction:
        """Read ``path`` and return what was learned. May raise; the registry records why."""
        ...


# ---- findings: what an item shows, in plain words -------------------------------------------

#: How much a finding matters to the person reading it: a plain ``fact``, something ``notable``
#: (worth a look), or a ``warning`` (a common sign of deception, or something that needs doing).
Severity = Literal["fact", "notable", "warning"]
SEVERITIES: tuple[Severity, ...] = ("warning", "notable", "fact")


@dataclass(frozen=True, slots=True)
class Finding:
    """One short, human-readable statement about an item, read from its stored record.

    ``code`` is stable (``email.reply-to``), for tests and machines; ``text`` is one plain
    sentence for the victim and the officer; ``items`` are the other items it refers to.
    """

    code: str
    severity: Severity
    text: str
    items: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "text": self.text,
            "items": list(self.items),
        }


@dataclass(frozen=True, slots=True)
class Description:
    """What one item shows: a one-line plain summary and its findings, warnings first."""

    kind: str  # the file type in plain words: "E-mail", "PNG image", "PDF document"
    summary: str
    findings: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class LossView:
    """A loss the collector recorded, for matching against statement transactions."""

    seq: int
    amount: str
    currency: str
    date: str | None  # YYYY-MM-DD in the collector's zone, or None


@dataclass(frozen=True, slots=True)
class RecordView:
    """What a describer reads: one item's *stored* record (nothing is re-read from the file).

    ``children`` are the items found inside it (ID, name), ``timezone`` the collector's zone
    (times are shown in it with UTC beside), ``losses`` the recorded losses.
    """

    item_id: str
    name: str
    mime: str
    extraction: Mapping[str, Any]
    children: tuple[tuple[str, str], ...] = ()
    timezone: str = "UTC"
    losses: tuple[LossView, ...] = ()

    @property
    def metadata(self) -> Mapping[str, Any]:
        md = self.extraction.get("metadata")
        return md if isinstance(md, Mapping) else {}


#: Turns a stored record into its summary and findings (one per extractor family). Must not
#: raise for a damaged or hostile record; the dispatcher falls back to a plain summary if it does.
Describer = Callable[[RecordView], Description]
