"""Time zones: the collector's zone, local renderings, and parsing user-given times."""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from pathlib import Path


def system_timezone() -> str:
    """The IANA name of this machine's zone (``Europe/London``), or ``UTC`` if unknown."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and _valid(tz):
        return tz
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        name = target.split("zoneinfo/", 1)[1]
        if _valid(name):
            return name
    try:
        name = Path("/etc/timezone").read_text().strip()
        if _valid(name):
            return name
    except OSError:
        pass
    return "UTC"


def _valid(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def zone(name: str) -> tzinfo:
    """A tzinfo for an IANA name; ValueError with a plain message if unknown."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use a name like Europe/London)") from exc


def local_iso(moment: datetime, tz_name: str) -> str:
    """``moment`` in the named zone, ISO 8601 with its offset."""
    try:
        return moment.astimezone(zone(tz_name)).isoformat(timespec="seconds")
    except ValueError:
        return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_user_time(text: str, tz_name: str) -> datetime:
    """Parse ``2026-11-20 14:05`` (in the collector's zone) or ISO with an offset; aware UTC."""
    t = text.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            naive = datetime.strptime(t, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=zone(tz_name)).astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"cannot read the time {text!r}; write it like 2026-11-20 14:05") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz_name))
    return parsed.astimezone(UTC)


def when_text(moment: datetime, tz_name: str) -> str:
    """``19 Nov 2026 13:15 GMT (13:15 UTC)``: the collector's zone first, UTC beside."""
    utc = moment.astimezone(UTC)
    if tz_name.upper() in ("UTC", "Z", "GMT", ""):
        return f"{utc:%d %b %Y %H:%M} UTC"
    try:
        local = utc.astimezone(zone(tz_name))
    except ValueError:
        return f"{utc:%d %b %Y %H:%M} UTC"
    if (local.tzname() or "").upper() in ("UTC", "UCT", "Z") and not local.utcoffset():
        return f"{utc:%d %b %Y %H:%M} UTC"  # Etc/UTC and the like: once is enough
    same_day = local.date() == utc.date()
    utc_part = f"{utc:%H:%M}" if same_day else f"{utc:%d %b %H:%M}"
    return f"{local:%d %b %Y %H:%M} {local.tzname() or tz_name} ({utc_part} UTC)"


def time_text(value: object, tz_name: str) -> str:
    """A time from a record, for people to read: an instant (ISO 8601 with ``Z`` or an offset)
    in the collector's zone with UTC beside (:func:`when_text`); a date alone stays a date
    (``20 Nov 2026``: no time is invented); nothing gives ``""``; anything else as written."""
    from datetime import date

    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return when_text(moment, tz_name)
    text = str(value).strip()
    if len(text) == 10 and text[4:5] == "-" and text[7:8] == "-":
        try:
            return f"{date.fromisoformat(text):%d %b %Y}"
        except ValueError:
            return text
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None or moment.utcoffset() is None:
        return text  # a zone-less time: shown as written rather than guessed
    return when_text(moment, tz_name)
