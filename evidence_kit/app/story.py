"""Use cases for the story police read: notes, suspects, losses, references, marks, the
timeline and the report. Each change is one signed custody event; lists read the log."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_kit.app.session import GetSigner, OnRecover, open_case, reading

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.extractors.interface import Finding
    from evidence_kit.models import Item
    from evidence_kit.report import WrittenFile
    from evidence_kit.story.checklist import Missing
    from evidence_kit.story.narrative import Entry


# ---- notes ------------------------------------------------------------------------------------
def add_note(
    start: Path,
    text: str,
    *,
    at: str | None,
    item_ids: Sequence[str],
    correct: int | None,
    get_signer: GetSigner,
    on_recover: OnRecover,
) -> int:
    """Record (or, with ``correct``, replace) a note; returns its event number."""
    from evidence_kit.story import narrative

    case = open_case(start, get_signer, on_recover)
    return narrative.add_note(
        case, get_signer(), text, at=at, item_ids=tuple(item_ids), correct=correct
    )


def list_notes(start: Path, *, get_signer: GetSigner, on_recover: OnRecover) -> list[Entry]:
    """Every note, replaced and withdrawn ones included, in log order."""
    from evidence_kit.story.narrative import read_narrative

    case = open_case(start, get_signer, on_recover)
    return read_narrative(case.read_log().events).all("note")


# ---- suspects, losses, references ------------------------------------------------------------
def add_suspect(
    start: Path,
    details: Mapping[str, str | None],
    *,
    item_ids: Sequence[str],
    from_identifier: str | None,
    supersedes: int | None,
    get_signer: GetSigner,
    on_recover: OnRecover,
    contact: Mapping[str, str | None] | None = None,
) -> int:
    """Record a suspect (``contact``: how the victim met them, earlier contact, what made them
    realise); returns the event number."""
    from evidence_kit.story import narrative

    case = open_case(start, get_signer, on_recover)
    return narrative.add_suspect(
        case,
        get_signer(),
        details,
        item_ids=tuple(item_ids),
        from_identifier=from_identifier,
        supersedes=supersedes,
        contact=contact,
    )


def list_suspects(
    start: Path, *, include_replaced: bool, get_signer: GetSigner, on_recover: OnRecover
) -> list[Entry]:
    """The suspects recorded (current ones, or every entry with ``include_replaced``)."""
    from evidence_kit.story.narrative import read_narrative

    with reading(start, get_signer, on_recover) as case:
        nar = read_narrative(case.read_log().events)
    return nar.all("suspect") if include_replaced else nar.current("suspect")


@dataclass(frozen=True, slots=True)
class Loss:
    """A payment the person lost, as they give it."""

    amount: str
    currency: str
    when: str | None = None
    method: str | None = None
    to_account: str | None = None
    reference: str | None = None


def add_loss(
    start: Path,
    loss: Loss,
    *,
    item_ids: Sequence[str],
    supersedes: int | None,
    get_signer: GetSigner,
    on_recover: OnRecover,
) -> int:
    """Record a loss; returns the event number."""
    from evidence_kit.story import narrative

    case = open_case(start, get_signer, on_recover)
    return narrative.add_loss(
        case,
        get_signer(),
        amount=loss.amount,
        currency=loss.currency,
        when=loss.when,
        method=loss.method,
        to_account=loss.to_account,
        reference=loss.reference,
        item_ids=tuple(item_ids),
        supersedes=supersedes,
    )


@dataclass(frozen=True, slots=True)
class Losses:
    """The current losses and their totals per currency."""

    entries: tuple[Entry, ...]
    totals: dict[str, str]


def list_losses(start: Path, *, get_signer: GetSigner, on_recover: OnRecover) -> Losses:
    """The current losses, with totals per currency."""
    from evidence_kit.story.narrative import loss_totals, read_narrative

    with reading(start, get_signer, on_recover) as case:
        entries = read_narrative(case.read_log().events).current("loss")
    return Losses(tuple(entries), loss_totals(entries))


def add_reference(
    start: Path,
    *,
    agency: str,
    number: str,
    supersedes: int | None,
    get_signer: GetSigner,
    on_recover: OnRecover,
) -> int:
    """Record a reference number; returns the event number."""
    from evidence_kit.story import narrative

    case = open_case(start, get_signer, on_recover)
    return narrative.add_reference(
        case, get_signer(), agency=agency, number=number, supersedes=supersedes
    )


def list_references(
    start: Path, *, get_signer: GetSigner, on_recover: OnRecover
) -> list[dict[str, Any]]:
    """The reference numbers (from ``init --ref`` and ``ref add``)."""
    from evidence_kit.story.narrative import read_narrative, references

    with reading(start, get_signer, on_recover) as case:
        return references(case.info, read_narrative(case.read_log().events))


def withdraw(
    start: Path,
    action: str,
    event: int,
    reason: str | None,
    *,
    get_signer: GetSigner,
    on_recover: OnRecover,
) -> int:
    """Withdraw the ``action`` (suspect, loss, ref) recorded as ``event``; returns the new
    event's number (the withdrawn record stays in the log)."""
    from evidence_kit.story import narrative

    case = open_case(start, get_signer, on_recover)
    return narrative.withdraw(case, get_signer(), action, event, reason)


# ---- marks ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Marked:
    """One item marked: ``rev`` is None when it already was in that state (nothing logged)."""

    item_id: str
    rev: int | None
    embedded: tuple[str, ...]  # files inside it marked too


@dataclass(frozen=True, slots=True)
class MarkResult:
    """Every item marked, and whether a report in the case now describes an older state."""

    marked: tuple[Marked, ...]
    report_outdated: bool


def mark(
    start: Path,
    item_ids: Sequence[str],
    sensitive: bool,
    reason: str | None,
    *,
    get_signer: GetSigner,
    on_recover: OnRecover,
    on_marked: Callable[[Marked], None] | None = None,
) -> MarkResult:
    """Mark items sensitive or not; every ID is checked before anything changes.

    ``on_marked`` is told about each item as soon as it is marked.
    """
    from evidence_kit.story.narrative import mark_sensitive

    case = open_case(start, get_signer, on_recover)
    for raw in item_ids:
        case.item(raw)  # every ID exists before anything changes
    signer = get_signer()
    done: list[Marked] = []
    for raw in item_ids:
        item = mark_sensitive(case, signer, raw, sensitive, reason)
        if item is None:
            outcome = Marked(case.item(raw).id, None, ())
        else:
            last = case.read_log().events[-1].get("data") or {}
            embedded = tuple(str(i) for i in last.get("embedded") or [])
            outcome = Marked(item.id, item.rev, embedded)
        done.append(outcome)
        if on_marked is not None:
            on_marked(outcome)
    changed = any(m.rev is not None for m in done)
    return MarkResult(tuple(done), changed and (case.root / "evkit" / "report").is_dir())


# ---- timeline and report ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Timeline:
    """Everything dated in the case, ordered by UTC, shown in the case's time zone."""

    timezone: str
    entries: tuple[dict[str, Any], ...]
    #: Item ID -> its findings that are worth a look (warnings, notable), as ``evkit show``
    #: gives them; the timeline shows them beside the item's first entry.
    findings: Mapping[str, tuple[Finding, ...]] = field(default_factory=dict)


def timeline(
    start: Path,
    *,
    get_signer: GetSigner,
    on_recover: OnRecover,
    all_messages: bool = False,
) -> Timeline:
    """Everything dated in the case, with where each time came from, and the findings of the
    items it mentions.

    Conversations give one entry per conversation and day; ``all_messages`` gives one entry
    per message instead (read from the stored copies).
    """
    from evidence_kit.extractors.findings.base import describe_item, losses_of
    from evidence_kit.story.narrative import read_narrative
    from evidence_kit.story.timeline import build_timeline

    with reading(start, get_signer, on_recover) as case:
        events = case.read_log().events
        items = case.items()
        narrative = read_narrative(events)
        tz = str(case.info.get("timezone") or "UTC")
        rows: Callable[[Item], Iterator[dict[str, Any]]] | None = None
        if all_messages:
            from evidence_kit.extractors.chat.extractor import message_rows

            root = case.root

            def each_message(item: Item) -> Iterator[dict[str, Any]]:
                return message_rows(root / item.stored, item.name, tz)

            rows = each_message

        entries = build_timeline(case.info, items.values(), narrative, events, message_rows=rows)
    losses = losses_of(e.to_dict() for e in narrative.current("loss"))
    flagged = {
        iid: tuple(f for f in describe_item(it, items, tz, losses).findings if f.severity != "fact")
        for iid, it in items.items()
    }
    return Timeline(tz, tuple(entries), {k: v for k, v in flagged.items() if v})


@dataclass(frozen=True, slots=True)
class ReportWritten:
    """The report files written into the case, the seal they describe and their event."""

    root: Path
    files: tuple[WrittenFile, ...]
    seal_sha256: str | None
    event_seq: int


def write_report(
    start: Path,
    formats: str | None,
    *,
    get_signer: GetSigner,
    on_recover: OnRecover,
    full: bool = False,
    drafts: Sequence[str] = (),
) -> ReportWritten:
    """Write the chain-of-custody report (``formats``: comma-separated, None for all;
    ``full``: the appendix of every recorded detail is printed too; ``drafts``: police report
    drafts, ``ic3``, ``reportfraud``, ``police``, ``interpol``; with drafts and no formats,
    only the drafts)."""
    from evidence_kit.report import parse_formats, write_reports

    chosen = parse_formats(formats) if formats is not None or not drafts else []
    case = open_case(start, get_signer, on_recover)
    result = write_reports(case, get_signer(), chosen, full=full, drafts=tuple(drafts))
    return ReportWritten(case.root, result.files, result.seal_sha256, result.event_seq)


@dataclass(frozen=True, slots=True)
class CaseStatus:
    """Where the case stands: its size, the money recorded, and what is still missing."""

    title: str
    items: int
    losses: dict[str, str]  # total per currency
    missing: tuple[Missing, ...]


def status(start: Path, *, get_signer: GetSigner, on_recover: OnRecover) -> CaseStatus:
    """The case at a glance and the checklist of what police will ask for that is missing."""
    from evidence_kit.story.checklist import still_missing
    from evidence_kit.story.narrative import loss_totals, read_narrative

    with reading(start, get_signer, on_recover) as case:
        info = case.info
        items = case.items()
        narrative = read_narrative(case.read_log().events)
    return CaseStatus(
        str(info.get("title") or ""),
        len(items),
        loss_totals(narrative.current("loss")),
        tuple(still_missing(info, items, narrative)),
    )


def set_incident(start: Path, text: str, *, get_signer: GetSigner, on_recover: OnRecover) -> int:
    """Record what happened, in the victim's words; returns the event number."""
    from evidence_kit.story import narrative

    case = open_case(start, get_signer, on_recover)
    return narrative.set_incident(case, get_signer(), text)


def record_person(
    start: Path,
    role: str,
    details: Mapping[str, str | None],
    *,
    get_signer: GetSigner,
    on_recover: OnRecover,
) -> int:
    """Record the victim's or the collector's details (``role``); returns the event number."""
    from evidence_kit.story import narrative

    case = open_case(start, get_signer, on_recover)
    return narrative.add_person(case, get_signer(), role, details)
