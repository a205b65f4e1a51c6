"""Use cases about the evidence: add, list, show, the custody log, extract, identifiers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_kit.app.session import GetSigner, OnRecover, Progress, Step, open_case, reading
from evidence_kit.errors import UsageError

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.extractors.interface import Description
    from evidence_kit.ingest.add import Problem
    from evidence_kit.models import Item


@dataclass(frozen=True, slots=True)
class AddResult:
    """What ``add`` did: items added, duplicates not stored twice, files left out."""

    added: tuple[Item, ...]
    duplicates: tuple[dict[str, Any], ...]
    notes: tuple[Problem, ...]  # files skipped for a harmless reason (empty, given twice)
    failures: tuple[Problem, ...]  # files NOT added, the unreadable dragged lines first
    skipped_system: int

    @property
    def anything_added(self) -> bool:
        return bool(self.added or self.duplicates)


@dataclass(frozen=True, slots=True)
class AddOptions:
    """How the files are recorded."""

    note: str | None = None
    source: str | None = None
    sensitive: bool = False
    extract: bool = True


def add_files(
    start: Path,
    read_paths: Callable[[], tuple[list[str], list[Problem]]],
    options: AddOptions,
    *,
    get_signer: GetSigner,
    on_recover: OnRecover,
    progress: Progress | None = None,
) -> AddResult:
    """Copy files and folders into the case at ``start``, hashed, recorded and sealed.

    ``read_paths`` gives the paths to add and the given lines that could not be read as
    paths (asked for after the case is opened); ``progress`` shows the copying.
    """
    from evidence_kit.ingest.add import add_files as ingest_files
    from evidence_kit.ingest.add import total_size

    case = open_case(start, get_signer, on_recover)
    given, unread = read_paths()
    if not given and not unread:
        raise UsageError("No files given.")
    if not given:
        return AddResult((), (), (), tuple(unread), 0)
    total = total_size(given) if progress is not None else 0  # only a progress bar needs it
    signer = get_signer()
    show = progress if progress is not None else _no_progress
    with show(total, "Copying") as step:
        report = ingest_files(
            case,
            signer,
            given,
            note=options.note,
            source=options.source,
            sensitive=options.sensitive,
            extract=options.extract,
            progress=step,
            on_recover=on_recover,
        )
    return AddResult(
        added=tuple(report.added),
        duplicates=tuple(report.duplicates),
        notes=tuple(p for p in report.problems if not p.is_failure),
        failures=tuple(unread + report.failures),
        skipped_system=report.skipped_system,
    )


def _no_progress(_total: int, _label: str) -> AbstractContextManager[Step | None]:
    return nullcontext(None)


def list_items(start: Path, *, get_signer: GetSigner, on_recover: OnRecover) -> list[Item]:
    """The items of the case, in ID order."""
    with reading(start, get_signer, on_recover) as case:
        return list(case.items().values())


def show_item(start: Path, item_id: str, *, get_signer: GetSigner, on_recover: OnRecover) -> Item:
    """Everything recorded about one item (``E3``, ``e0003`` and ``E0003`` are the same)."""
    with reading(start, get_signer, on_recover) as case:
        return case.item(item_id)


@dataclass(frozen=True, slots=True)
class ItemView:
    """One item's record and what it shows in plain words (summary and findings)."""

    item: Item
    description: Description
    timezone: str = "UTC"  # the case's (the collector's) zone, for showing times


def describe_item(
    start: Path, item_id: str, *, get_signer: GetSigner, on_recover: OnRecover
) -> ItemView:
    """One item's record with its plain summary and findings (computed from the record)."""
    from evidence_kit.extractors.findings.base import describe_item as describe
    from evidence_kit.extractors.findings.base import losses_of
    from evidence_kit.story.narrative import read_narrative

    with reading(start, get_signer, on_recover) as case:
        item = case.item(item_id)
        items = case.items()
        tz = str(case.info.get("timezone") or "UTC")
        narrative = read_narrative(case.read_log().events)
    losses = losses_of(e.to_dict() for e in narrative.current("loss"))
    return ItemView(item, describe(item, items, tz, losses), tz)


def read_log(start: Path, *, get_signer: GetSigner, on_recover: OnRecover) -> list[dict[str, Any]]:
    """The custody log, every event in order (a duplicate with where the copy was found)."""
    with reading(start, get_signer, on_recover) as case:
        return case.events_with_duplicates()


@dataclass(frozen=True, slots=True)
class ExtractResult:
    """What ``extract`` did: items re-read, attachments found now, what could not be read."""

    updated: tuple[str, ...]
    new_items: tuple[Item, ...]
    errors: dict[str, list[str]]


def extract(
    start: Path, item_ids: Sequence[str] | None, *, get_signer: GetSigner, on_recover: OnRecover
) -> ExtractResult:
    """Re-run the metadata extractors on the stored copies of ``item_ids`` (None: every item)."""
    from evidence_kit.ingest.add import reextract

    case = open_case(start, get_signer, on_recover)
    report = reextract(
        case, get_signer(), None if item_ids is None else list(item_ids), on_recover=on_recover
    )
    return ExtractResult(tuple(report.updated), tuple(report.new_children), report.errors)


def identifiers(
    start: Path, kind: str | None, *, get_signer: GetSigner, on_recover: OnRecover
) -> list[dict[str, Any]]:
    """E-mail addresses, URLs, IPs, phones, accounts and wallets found in the evidence."""
    from evidence_kit.story.narrative import collect_identifiers

    with reading(start, get_signer, on_recover) as case:
        found = collect_identifiers(case.items().values())
    if kind:
        found = [i for i in found if i["kind"] == kind.strip().lower()]
    return found
