"""Shared pieces of the web-capture readers: limits, claimed times, plain error text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from evidence_kit.extractors.interface import Child, Extraction, Identifier, TimeFact

#: Visible text kept per page (for search and identifiers).
TEXT_CAP = 100 * 1024
#: HTML read per page: enough for any real page, bounded for hostile ones.
HTML_INPUT_CAP = 4 * 1024 * 1024
#: Pages described in one record (a WARC or WACZ may hold thousands).
MAX_PAGES = 200
#: Links out kept per page.
MAX_LINKS = 500
#: Forms described per page.
MAX_FORMS = 50
#: Resources (MHTML parts, WARC records, WACZ files) described in one record.
MAX_RESOURCES = 1000
#: A claimed capture time further than this from the acquisition is pointed out (in the report).
LARGE_GAP = timedelta(days=30)

CLAIMED_NOTE = (
    "capture times are as the file states them (the saving computer's clock); "
    "they are not the time evkit acquired the file"
)


def err(what: str, exc: BaseException) -> str:
    """One plain-language line for an exception, bounded."""
    return f"{what}: {type(exc).__name__}: {exc}"[:500]


_JS_DATE_RE = re.compile(
    r"(?:[A-Za-z]{3},?\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})"
    r"\s*(?:GMT|UTC)?\s*([+-]\d{2}):?(\d{2})?"
)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_WARC14_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$")


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_claimed(raw: str) -> datetime | None:
    """An aware datetime for a time written by a saving tool, or None if it cannot be read.

    Reads ISO 8601 (WARC-Date, WACZ), RFC 5322 (MHTML ``Date``), JavaScript's
    ``Date.toString()`` (SingleFile: ``Tue Dec 20 2022 11:17:50 GMT+0200 (...)``) and the
    14-digit ``YYYYMMDDhhmmss`` of ARC files and CDX indexes (UTC). A time without a zone is
    not guessed: None.
    """
    text = (raw or "").strip()[:200]
    if not text:
        return None
    m = _WARC14_RE.match(text)
    if m:
        y, mo, d, h, mi, sec = (int(g) for g in m.groups())
        try:
            return datetime(y, mo, d, h, mi, sec, tzinfo=UTC)
        except ValueError:
            return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed if parsed.tzinfo is not None else None
    m = _JS_DATE_RE.search(text)
    if m and m.group(1).lower() in _MONTHS:
        mon, day, year, hh, mm, ss, oh, om = m.groups()
        sign = -1 if oh.startswith("-") else 1
        offset = timedelta(hours=abs(int(oh)), minutes=int(om or 0)) * sign
        try:
            return datetime(
                int(year), _MONTHS[mon.lower()], int(day), int(hh), int(mm), int(ss),
                tzinfo=timezone(offset),
            )  # fmt: skip
        except ValueError:
            return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None and re.search(r"[-+]0000\s*$", text):
        # RFC 5322 "-0000": UTC, source zone unknown (Chrome writes MHTML dates this way).
        return parsed.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo is not None else None


def claimed_time(raw: str, label: str, field: str) -> TimeFact | None:
    """A timeline fact for a capture time the file claims, or None if unreadable."""
    when = parse_claimed(raw)
    if when is None:
        return None
    try:
        at = iso_utc(when)
    except (OverflowError, ValueError):
        return None
    return TimeFact(at=at, label=label, raw=raw[:200], field=field)


def _clean(obj: Any) -> Any:
    """Lone surrogates out of every string (records are canonical JSON)."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            return obj.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return obj
    if isinstance(obj, dict):
        return {_clean(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def make_json_safe(result: Extraction) -> None:
    """Last line of defence before the record is written."""
    result.metadata = _clean(result.metadata)
    result.errors = _clean(result.errors)
    result.identifiers = [
        Identifier(_clean(i.kind), _clean(i.value), _clean(i.field)) for i in result.identifiers
    ]
    result.times = [
        TimeFact(_clean(t.at), _clean(t.label), _clean(t.raw), _clean(t.field))
        for t in result.times
    ]
    result.children = [
        Child(c.path, _clean(c.filename), _clean(c.mime), c.role, c.field) for c in result.children
    ]
