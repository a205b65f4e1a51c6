"""One chronological view of the case, saying where every time came from and how far to trust it.

Sources, from least to most trustworthy:

* ``collector statement``: times the collector typed (notes, losses). Self-asserted.
* ``file metadata``: times written inside the evidence (e-mail ``Date:``, EXIF, statement
  transactions). Whoever made the file chose them; they can be forged or wrong.
* ``acquisition clock``: when evkit copied each file, from the collector's computer clock.
  Self-asserted: the clock can be wrong or set deliberately.
* ``trusted timestamp``: an RFC 3161 timestamp authority's signed time over the case seal.
  Independent of the collector.

Ordering compares instants in UTC. A date without a time ("2026-11-20") sorts at the start of
its day, before the timed entries of that day. A local time whose zone the file did not record
is placed as if in the collector's zone and flagged. Times that cannot be read go last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

from evidence_kit.models import Item
from evidence_kit.story.narrative import Narrative

STATEMENT = "collector statement"
FILE_METADATA = "file metadata"
ACQUISITION = "acquisition clock"
TRUSTED = "trusted timestamp"

TRUST_TEXT = {
    STATEMENT: "self-asserted: stated by the collector",
    FILE_METADATA: "self-asserted by the file: written by whoever made it; can be forged",
    ACQUISITION: "self-asserted: the collector's computer clock when evkit copied the file",
    TRUSTED: "trusted: signed by an independent RFC 3161 timestamp authority",
}

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXIF = re.compile(r"^(\d{4}):(\d{2}):(\d{2})([ T].*)?$")
_HAS_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class When:
    """A parsed time: an instant (UTC), a day, or nothing readable."""

    instant: datetime | None  # aware UTC for instants (and for zone-unknown, as assumed)
    day: date | None  # for precision "day"
    precision: str  # "instant" | "day" | "unreadable"
    zone_known: bool
    offset: str | None  # the offset the value was written with, e.g. "+09:00"


def parse_time(text: str, assume: tzinfo) -> When:
    """Read ISO 8601, ``YYYY-MM-DD``, EXIF ``YYYY:MM:DD HH:MM:SS`` or RFC 2822 times."""
    t = text.strip()
    if not t:
        return When(None, None, "unreadable", False, None)
    if _DATE_ONLY.match(t):
        try:
            return When(None, date.fromisoformat(t), "day", True, None)
        except ValueError:
            return When(None, None, "unreadable", False, None)
    m = _EXIF.match(t)
    if m:
        t = f"{m.group(1)}-{m.group(2)}-{m.group(3)}{m.group(4) or ''}"
        if not m.group(4):
            return parse_time(t, assume)
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(t.replace(" ", "T", 1) if " " in t[:11] else t)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(t)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        return When(None, None, "unreadable", False, None)
    try:
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            return When(parsed.replace(tzinfo=assume).astimezone(UTC), None, "instant", False, None)
        off = parsed.utcoffset() or timedelta(0)
        return When(parsed.astimezone(UTC), None, "instant", True, _offset_text(off))
    except (OverflowError, ValueError):
        return When(None, None, "unreadable", False, None)


def _offset_text(off: timedelta) -> str:
    total = int(off.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def _zone(tz_name: str) -> tzinfo:
    from evidence_kit.timeutil import zone

    try:
        return zone(tz_name)
    except ValueError:
        return UTC


def _entry(
    when: When,
    tz: tzinfo,
    tz_name: str,
    *,
    source: str,
    what: str,
    item: str | None = None,
    seq: int | None = None,
    raw: str | None = None,
    field: str | None = None,
    flags: Sequence[str] = (),
) -> dict[str, Any]:
    flags = list(flags)
    if when.precision == "instant" and when.instant is not None:
        at = when.instant.strftime("%Y-%m-%dT%H:%M:%SZ")
        local_dt = when.instant.astimezone(tz)
        local = local_dt.strftime("%Y-%m-%d %H:%M:%S ") + (local_dt.tzname() or tz_name)
        day = local_dt.date()
        rank, stamp = 1, when.instant.timestamp()
        if not when.zone_known:
            flags.append(f"time zone not recorded: read as {tz_name} time")
    elif when.precision == "day" and when.day is not None:
        at, local, day, rank, stamp = when.day.isoformat(), when.day.isoformat(), when.day, 0, 0.0
        flags.append("date only (no time of day)")
    else:
        at, local, day, rank, stamp = None, "unknown", date.max, 2, 0.0
        flags.append("time could not be read")
    return {
        "at": at,
        "local": local,
        "precision": when.precision,
        "zone_known": when.zone_known,
        "offset": when.offset,
        "source": source,
        "trust": "trusted" if source == TRUSTED else "self-asserted",
        "trust_text": TRUST_TEXT[source],
        "what": what,
        "item": item,
        "seq": seq,
        "raw": raw,
        "field": field,
        "flags": flags,
        "_key": (day.toordinal(), rank, stamp),
    }


_SOURCE_ORDER = {TRUSTED: 0, FILE_METADATA: 1, STATEMENT: 2, ACQUISITION: 3}


def build_timeline(
    info: Mapping[str, Any],
    items: Iterable[Item],
    narrative: Narrative,
    events: Sequence[Mapping[str, Any]],
    *,
    include_sensitive: bool = True,
    message_rows: Callable[[Item], Iterable[Mapping[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """Every dated fact in the case, in order. See the module docstring for the sources.

    A conversation (a chat export, a mailbox) gives one entry per conversation and day, from
    its record; with ``message_rows`` (the messages of an item, as ``evkit messages --json``
    writes them) one entry per message instead.

    With ``include_sensitive=False`` (reports), times read from inside sensitive items are left
    out; their acquisition time is kept (it says nothing about their content).
    """
    tz_name = str(info.get("timezone") or "UTC")
    tz = _zone(tz_name)
    out: list[dict[str, Any]] = []

    for e in narrative.current("note"):
        text = str(e.data.get("text") or "")
        ids = [str(i) for i in e.data.get("item_ids") or []]
        about = f" (about {', '.join(ids)})" if ids else ""
        if e.data.get("at"):
            when = parse_time(str(e.data["at"]), tz)
            out.append(
                _entry(
                    when,
                    tz,
                    tz_name,
                    source=STATEMENT,
                    what=f"Note: {text}{about}",
                    item=ids[0] if ids else None,
                    seq=e.seq,
                    raw=str(e.data.get("at_given") or e.data["at"]),
                    field="note.at",
                )
            )
        else:
            when = parse_time(e.recorded_at, tz)
            out.append(
                _entry(
                    when,
                    tz,
                    tz_name,
                    source=ACQUISITION,
                    what=f"Note written (no time given): {text}{about}",
                    item=ids[0] if ids else None,
                    seq=e.seq,
                    raw=e.recorded_at,
                    field="event.at",
                )
            )
    for e in narrative.current("loss"):
        d = e.data
        what = (
            f"Money lost: {d.get('amount')} {d.get('currency')}"
            + (f" by {d['method']}" if d.get("method") else "")
            + (f" to {d['to_account']}" if d.get("to_account") else "")
            + (f" (reference {d['reference']})" if d.get("reference") else "")
        )
        stated = d.get("at") or d.get("date")
        if stated:
            out.append(
                _entry(
                    parse_time(str(stated), tz),
                    tz,
                    tz_name,
                    source=STATEMENT,
                    what=what,
                    seq=e.seq,
                    raw=str(d.get("at_given") or stated),
                    field="loss.at",
                )
            )

    for item in items:
        acq = item.acquired or {}
        if acq.get("at"):
            how = str(acq.get("method") or "copied by evkit add")
            out.append(
                _entry(
                    parse_time(str(acq["at"]), tz),
                    tz,
                    tz_name,
                    source=ACQUISITION,
                    what=f"{item.id} preserved ({how})"
                    + (f" by {acq['by']}" if acq.get("by") else ""),
                    item=item.id,
                    raw=str(acq["at"]),
                    field="acquired.at",
                )
            )
        if item.sensitive and not include_sensitive:
            continue
        ex = item.extraction or {}
        times = ex.get("times")
        for t in times if isinstance(times, list) else []:
            if not isinstance(t, dict):
                continue
            at, raw = str(t.get("at") or ""), str(t.get("raw") or "")
            when = parse_time(at, tz)
            if when.precision == "unreadable" and raw:
                when = parse_time(raw, tz)
            out.append(
                _entry(
                    when,
                    tz,
                    tz_name,
                    source=FILE_METADATA,
                    what=f"{item.id}: {t.get('label') or 'time in the file'}",
                    item=item.id,
                    raw=raw or at,
                    field=str(t.get("field") or ""),
                )
            )
        if message_rows is not None and _conversations(ex):
            out.extend(_message_entry(item.id, row, tz, tz_name) for row in message_rows(item))
        else:
            out.extend(_day_entries(item.id, _conversations(ex), tz, tz_name))
        modified = (item.original or {}).get("modified")
        if modified and not item.parent:
            out.append(
                _entry(
                    parse_time(str(modified), tz),
                    tz,
                    tz_name,
                    source=FILE_METADATA,
                    what=f"{item.id}: file last modified (file system of the collector's computer)",
                    item=item.id,
                    raw=str(modified),
                    field="original.modified",
                )
            )

    out.extend(
        _entry(
            parse_time(str(ts["time"]), tz),
            tz,
            tz_name,
            source=TRUSTED,
            what=f"Trusted timestamp by {ts.get('authority') or 'a TSA'}"
            + (f" over {ts['covers']}" if ts.get("covers") else ""),
            seq=ts.get("seq"),
            raw=str(ts["time"]),
            field="timestamp",
            flags=()
            if ts.get("verified")
            else ("the authority's signature was not checked (no CA certificate given)",),
        )
        for ts in trusted_timestamps(events)
        if ts.get("time")
    )

    out.sort(
        key=lambda row: (
            *row["_key"],
            _SOURCE_ORDER.get(row["source"], 9),
            row["item"] or "",
            row["seq"] or 0,
        )
    )
    for row in out:
        del row["_key"]
    return out


_PLATFORM_WORDS = {
    "whatsapp": "WhatsApp chat",
    "signal": "Signal chat",
    "telegram": "Telegram chat",
    "messenger/instagram": "Messenger/Instagram chat",
    "discord": "Discord channel",
    "mbox": "mailbox",
}


def _conversations(extraction: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if extraction.get("extractor") != "chat":
        return []
    convs = (extraction.get("metadata") or {}).get("conversations")
    return [c for c in convs if isinstance(c, Mapping)] if isinstance(convs, list) else []


def _day_entries(
    item_id: str, convs: Sequence[Mapping[str, Any]], tz: tzinfo, tz_name: str
) -> Iterable[dict[str, Any]]:
    """One entry per conversation and day: how many messages, the first and last time."""
    for i, conv in enumerate(convs):
        days = conv.get("days")
        if not isinstance(days, Mapping):
            continue
        kind = _PLATFORM_WORDS.get(str(conv.get("platform")), "conversation")
        title = f" {conv['title']!r}" if conv.get("title") else ""
        which = f" #{i + 1}" if len(convs) > 1 else ""
        for day, value in days.items():
            if not (isinstance(value, list) and len(value) == 3):
                continue
            count, first, last = value
            yield _entry(
                parse_time(str(first), tz),
                tz,
                tz_name,
                source=FILE_METADATA,
                what=f"{item_id}: {kind}{which}{title}: {count} message(s) on {day}, "
                f"the last at {str(last)[11:19]} (evkit messages {item_id} --since {day})",
                item=item_id,
                raw=str(first),
                field=f"conversations[{i}].days.{day}",
            )


def _message_entry(
    item_id: str, row: Mapping[str, Any], tz: tzinfo, tz_name: str
) -> dict[str, Any]:
    """One message in the timeline (``evkit timeline --all``)."""
    when = str(row.get("at") or row.get("local") or "")
    from evidence_kit.extractors.chat.model import where_text

    spot = where_text(row.get("where"))
    who = row.get("sender") if row.get("sender") is not None else "(notice from the app)"
    text = str(row.get("text") or "").replace("\n", " / ")
    zone = str(row.get("zone") or "")
    flags = (
        [f"time zone not in the file: read as {zone[10:]} time"]
        if zone.startswith("collector:")
        else []
    )
    entry = _entry(
        parse_time(when, tz),
        tz,
        tz_name,
        source=FILE_METADATA,
        what=f"{item_id} message {row.get('n')}: {who}: {text[:300]}",
        item=item_id,
        raw=str(row.get("written") or ""),
        field=spot,
        flags=flags,
    )
    if row.get("at"):
        entry["zone_known"] = not flags
    return entry


def trusted_timestamps(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """RFC 3161 tokens recorded by ``timestamp`` events, read defensively.

    Understands the events of :mod:`evidence_kit.timestamp.rfc3161` (``tsa``, ``gen_time``,
    ``covers`` {seal_sha256, events, ...}, ``files`` {token}, ``signature``) and tolerates other
    shapes.
    """
    out: list[dict[str, Any]] = []
    for ev in events:
        if ev.get("action") != "timestamp":
            continue
        data = ev.get("data")
        if not isinstance(data, dict):
            continue
        tokens = data.get("tokens")
        entries = [t for t in tokens if isinstance(t, dict)] if isinstance(tokens, list) else []
        out.extend(_token_view(ev, t, data) for t in entries or [data])
    return out


def _token_view(
    ev: Mapping[str, Any], t: Mapping[str, Any], data: Mapping[str, Any]
) -> dict[str, Any]:
    covers_raw = t.get("covers", data.get("covers"))
    covers: str | None
    covered_events: Any = None
    if isinstance(covers_raw, Mapping):
        covers = _first(covers_raw, {}, "seal_sha256", "sha256", "digest")
        covered_events = covers_raw.get("events")
    else:
        covers = _first(t, data, "covers", "seal_sha256", "imprint", "message_imprint", "digest")
    files = t.get("files", data.get("files"))
    token = _first(files, {}, "token") if isinstance(files, Mapping) else None
    signature = t.get("signature", data.get("signature"))
    verified = t.get("verified", data.get("verified"))
    if verified is None and isinstance(signature, str):
        verified = signature == "verified"
    return {
        "seq": ev.get("seq"),
        "recorded_at": ev.get("at"),
        "id": _first(t, data, "id"),
        "authority": _first(t, data, "tsa", "authority", "tsa_name", "tsa_subject", "url"),
        "time": _first(t, data, "gen_time", "genTime", "time", "timestamp"),
        "serial": _first(t, data, "serial"),
        "token": token or _first(t, data, "token", "path", "file"),
        "covers": covers,
        "covers_events": covered_events,
        "signature": signature if isinstance(signature, str) else None,
        "verified": verified,
    }


def _first(primary: Mapping[str, Any], fallback: Mapping[str, Any], *keys: str) -> str | None:
    for src in (primary, fallback):
        for k in keys:
            v = src.get(k)
            if isinstance(v, str | int | float) and not isinstance(v, bool) and str(v):
                return str(v)
    return None
