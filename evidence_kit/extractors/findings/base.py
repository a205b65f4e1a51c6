"""The shared part of findings: type names in plain words, times, and the dispatcher."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from evidence_kit.extractors.interface import (
    SEVERITIES,
    Description,
    Finding,
    LossView,
    RecordView,
)

if TYPE_CHECKING:
    from evidence_kit.models import Item

#: MIME types in the words a victim uses (PLAIN-WORDS.md).
_TYPE_NAMES = {
    "message/rfc822": "E-mail",
    "message/global": "E-mail",
    "message/news": "E-mail",
    "application/vnd.ms-outlook": "Outlook e-mail",
    "application/pdf": "PDF document",
    "application/x-pdf": "PDF document",
    "text/plain": "Text file",
    "text/csv": "Spreadsheet (CSV)",
    "application/csv": "Spreadsheet (CSV)",
    "text/tab-separated-values": "Spreadsheet (tab-separated)",
    "text/html": "Web page",
    "application/xhtml+xml": "Web page",
    "application/json": "Data file (JSON)",
    "application/xml": "Data file (XML)",
    "text/xml": "Data file (XML)",
    "application/zip": "Zip archive",
    "application/x-ofx": "Bank statement (OFX)",
    "application/x-dosexec": "Windows program",
    "application/vnd.microsoft.portable-executable": "Windows program",
    "application/x-msdownload": "Windows program",
    "application/x-executable": "Program",
    "application/x-pie-executable": "Program",
    "application/x-sharedlib": "Program library",
    "application/msword": "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.ms-excel": "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/octet-stream": "File of unknown type",
    "inode/x-empty": "Empty file",
    "image/jpeg": "JPEG image",
    "image/svg+xml": "SVG drawing",
    "image/heic": "HEIC image (iPhone photo)",
    "image/heif": "HEIF image",
    "audio/mpeg": "MP3 audio",
    "video/mp4": "MP4 video",
    "video/quicktime": "QuickTime video",
}


def type_label(mime: str) -> str:
    """``image/png`` -> ``PNG image``; ``message/rfc822`` -> ``E-mail``; unknown types say
    their family and keep the exact type in brackets."""
    m = (mime or "").split(";", 1)[0].strip().lower()
    if m in _TYPE_NAMES:
        return _TYPE_NAMES[m]
    family, _, sub = m.partition("/")
    sub = sub.removeprefix("x-").removeprefix("vnd.")
    words = {"image": "image", "audio": "audio", "video": "video", "text": "text file"}
    if family in words and sub and sub.isalnum() and len(sub) <= 6:
        return f"{sub.upper()} {words[family]}"
    if family in words:
        return f"{words[family].capitalize()} ({m})"
    return f"File ({m})" if m else "File of unknown type"


def parse_utc(text: Any) -> datetime | None:
    """An ISO 8601 time from a record, as aware UTC; None if absent, unreadable or zoneless."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def when_text(moment: datetime, tz_name: str) -> str:
    """``19 Nov 2026 13:15 GMT (13:15 UTC)``: the collector's zone first, UTC beside."""
    from evidence_kit.timeutil import when_text as shown

    return shown(moment, tz_name)


def when_iso(text: Any, tz_name: str) -> str | None:
    """:func:`when_text` of an ISO time from a record, or None."""
    moment = parse_utc(text)
    return when_text(moment, tz_name) if moment else None


def quoted(text: Any, limit: int = 80) -> str:
    """A value from the evidence, shortened and in single quotes (it is never an instruction)."""
    s = " ".join(str(text or "").split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return f"'{s}'"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def ordered(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Warnings first, then notable, then facts; the order within each kind is kept."""
    found = list(findings)
    return tuple(f for sev in SEVERITIES for f in found if f.severity == sev)


def _common(view: RecordView) -> list[Finding]:
    """Findings every record can have: a name that hides the real type, parts unread."""
    out: list[Finding] = []
    mismatch = view.metadata.get("type_mismatch")
    if isinstance(mismatch, Mapping):
        real = type_label(str(mismatch.get("content_type") or ""))
        ext = str(mismatch.get("extension") or "")
        out.append(
            Finding(
                "file.type-mismatch",
                "warning",
                f"The name ends in {ext} but the file is really a {real} "
                f"({mismatch.get('content_type')}): a disguised file is a common trick.",
            )
        )
    errors = view.extraction.get("errors")
    if isinstance(errors, list) and errors:
        first = str(errors[0])
        more = f" (and {plural(len(errors) - 1, 'more problem')})" if len(errors) > 1 else ""
        out.append(
            Finding(
                "file.partly-unread",
                "notable",
                f"Part of this file could not be read: {first[:200]}{more}. The file itself "
                "is kept exactly as it was.",
            )
        )
    return out


def describe_record(view: RecordView) -> Description:
    """The summary and findings of one stored record, from its extractor's describer.

    Never raises for a damaged or hostile record: a describer that fails leaves a plain
    summary (the type and name) and the common findings.
    """
    from evidence_kit.extractors.registry import by_name

    kind = type_label(view.mime)
    base = Description(kind, f"{kind}: {quoted(view.name, 120)}")
    entry = by_name(str(view.extraction.get("extractor") or ""))
    described = base
    if entry is not None and entry.describe is not None:
        # Records come from hostile files: a describer bug must not hide the item.
        try:
            described = entry.describe(view)
        except Exception:
            described = base
    return Description(
        described.kind or kind,
        described.summary or base.summary,
        ordered([*described.findings, *_common(view)]),
    )


def losses_of(entries: Iterable[Mapping[str, Any]]) -> tuple[LossView, ...]:
    """Recorded losses (the current narrative entries) as describers see them."""
    out: list[LossView] = []
    for e in entries:
        date = e.get("date") or (str(e.get("at_local") or e.get("at") or "")[:10] or None)
        out.append(
            LossView(
                int(e.get("seq") or 0),
                str(e.get("amount") or ""),
                str(e.get("currency") or ""),
                str(date) if date else None,
            )
        )
    return tuple(out)


def view_of(
    item: Item,
    items: Mapping[str, Item],
    timezone: str = "UTC",
    losses: tuple[LossView, ...] = (),
) -> RecordView:
    """The describer's view of one item record (its children found among ``items``)."""
    children = tuple(
        (other.id, other.name)
        for other in items.values()
        if other.parent and str(other.parent.get("id")) == item.id
    )
    ex = item.extraction if isinstance(item.extraction, Mapping) else {}
    return RecordView(item.id, item.name, item.mime, ex, children, timezone, losses)


def describe_item(
    item: Item,
    items: Mapping[str, Item],
    timezone: str = "UTC",
    losses: tuple[LossView, ...] = (),
) -> Description:
    """:func:`describe_record` of one item of a case."""
    return describe_record(view_of(item, items, timezone, losses))
