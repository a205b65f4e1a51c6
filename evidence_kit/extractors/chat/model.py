"""The one message model every chat reader produces (WhatsApp, Telegram, Messenger, ...).

A conversation's messages are *not* copied into the item record: a 100,000-message export would
make ``items.jsonl`` (read by every command) large and slow. The preserved copy of the export is
the storage; a reader turns it, streaming, into :class:`Message` values each time they are
needed (``evkit messages``, the timeline, the report). The record keeps the conversation's
summary (:class:`Summary`) and ``messages_sha256``, the SHA-256 of the messages as JSON lines, so
a later reading that differs from the one recorded (another evkit version) is detected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: The version of the readers' output. Bump it when a reader's messages change for the same
#: bytes, so records say which reading their ``messages_sha256`` describes.
READER_VERSION = "evkit-chat/1"

#: Flags a message may carry.
FLAGS = ("system", "edited", "deleted", "forwarded", "media", "reply")

#: Most sender names a summary lists (the messages themselves keep every name).
MAX_SENDERS = 2_000

#: Most days a summary counts messages for (the timeline's one line per conversation and day).
MAX_DAYS = 20_000

#: How a message's UTC time was decided (``Message.zone``).
ZONE_IN_FILE = "file"  # the file states the instant (Unix time, an offset, a Z)
ZONE_UNKNOWN = "unknown"  # local time with no zone in the file; see resolve_zone
ZONE_COLLECTOR = "collector"  # read in the collector's (the case's) zone, by assumption


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a message points at: the name as written, and whether the export holds it."""

    name: str  # as written in the export ("IMG-20201120-WA0001.jpg", "<Media omitted>")
    present: bool  # the file is inside the preserved export (then it is a child item)
    item: str | None = None  # the child item's ID, filled in when read from a case

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "present": self.present, "item": self.item}


@dataclass(frozen=True, slots=True)
class Message:
    """One message as the export shows it, and where it is in the preserved file."""

    n: int  # 1, 2, 3... in the order of the file
    sender: str | None  # as written (the exporter's address-book name); None for system lines
    written: str  # the time exactly as written in the file ("12/24/19, 11:23", "1668628203612")
    at: str | None  # UTC, ISO 8601 with Z; None when the zone is unknown or the time unreadable
    local: str | None  # the wall-clock time read from the file, ISO 8601 without offset
    zone: str  # how ``at`` was decided: ZONE_IN_FILE, ZONE_COLLECTOR (+ name) or ZONE_UNKNOWN
    text: str
    where: dict[str, Any]  # {"lines": [first, last]} / {"bytes": [start, end]} / {"json": path}
    attachments: tuple[Attachment, ...] = ()
    flags: tuple[str, ...] = ()
    conversation: int = 0  # index into the item's conversations (a Telegram account has many)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "conversation": self.conversation,
            "sender": self.sender,
            "written": self.written,
            "at": self.at,
            "local": self.local,
            "zone": self.zone,
            "text": self.text,
            "attachments": [a.to_dict() for a in self.attachments],
            "flags": list(self.flags),
            "where": self.where,
        }

    def line(self) -> bytes:
        """The message as one canonical JSON line (what ``messages_sha256`` hashes)."""
        return (_CANONICAL.encode(self.to_dict()) + "\n").encode("utf-8", "surrogatepass")


@dataclass(slots=True)
class Summary:
    """What the record keeps about one conversation (built while the messages stream past)."""

    platform: str  # "whatsapp", "telegram", "messenger", "instagram", "discord", "signal"
    title: str | None = None
    exporter: str | None = None
    source: str | None = None  # the file inside a zip the messages come from ("_chat.txt")
    count: int = 0
    senders: dict[str, int] = field(default_factory=dict)
    first: str | None = None  # earliest UTC time (or local time when the zone is unknown)
    last: str | None = None
    first_local: str | None = None
    last_local: str | None = None
    system: int = 0
    with_attachments: int = 0
    unreadable_times: int = 0
    zone: str = ZONE_UNKNOWN
    notes: dict[str, Any] = field(default_factory=dict)  # reader-specific facts (date order...)
    warnings: list[dict[str, str]] = field(default_factory=list)
    days: dict[str, list[Any]] = field(default_factory=dict)  # day -> [count, first, last]
    _digest: Any = field(default_factory=hashlib.sha256, repr=False)

    def add(self, msg: Message) -> None:
        self.count += 1
        self._digest.update(msg.line())
        if msg.sender is not None:
            if msg.sender in self.senders or len(self.senders) < MAX_SENDERS:
                self.senders[msg.sender] = self.senders.get(msg.sender, 0) + 1
            else:  # a huge public group: the record stays small, the messages keep every name
                self.notes["senders_not_listed"] = self.notes.get("senders_not_listed", 0) + 1
        if "system" in msg.flags:
            self.system += 1
        if msg.attachments:
            self.with_attachments += 1
        if msg.at is None and msg.local is None:
            self.unreadable_times += 1
        if msg.at is not None:
            self.first = msg.at if self.first is None else min(self.first, msg.at)
            self.last = msg.at if self.last is None else max(self.last, msg.at)
        when = msg.at or msg.local
        if when is not None:
            day = self.days.get(when[:10])
            if day is not None:
                day[0] += 1
                day[1], day[2] = min(day[1], when), max(day[2], when)
            elif len(self.days) < MAX_DAYS:
                self.days[when[:10]] = [1, when, when]
        if msg.local is not None:
            lo = msg.local
            self.first_local = lo if self.first_local is None else min(self.first_local, lo)
            self.last_local = lo if self.last_local is None else max(self.last_local, lo)

    def warn(self, code: str, text: str) -> None:
        if all(w["code"] != code for w in self.warnings):
            self.warnings.append({"code": code, "text": text})

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "title": self.title,
            "exporter": self.exporter,
            "source": self.source,
            "participants": sorted(self.senders),
            "senders": dict(sorted(self.senders.items())),
            "count": self.count,
            "system_messages": self.system,
            "with_attachments": self.with_attachments,
            "unreadable_times": self.unreadable_times,
            "first": self.first,
            "last": self.last,
            "first_local": self.first_local,
            "last_local": self.last_local,
            "zone": self.zone,
            "reader": READER_VERSION,
            "messages_sha256": "sha256:" + self._digest.hexdigest(),
            "days": dict(sorted(self.days.items())),
            **self.notes,
            "warnings": list(self.warnings),
        }


#: A reader: given a way to open the stored file, yields (conversation summaries, messages).
#: The summaries are complete only once the message iterator is exhausted.
Opener = Callable[[], Any]


def where_text(where: Any) -> str:
    """Where a message is in its file, for people: ``lines 3-4``, ``bytes 8-1889``, ``row 2``
    or the JSON path."""
    if not isinstance(where, dict):
        return ""
    if isinstance(where.get("lines"), list) and len(where["lines"]) == 2:
        text = f"lines {where['lines'][0]}-{where['lines'][1]}"
        return f"{where['entry']}, {text}" if where.get("entry") else text
    if isinstance(where.get("bytes"), list) and len(where["bytes"]) == 2:
        return f"bytes {where['bytes'][0]}-{where['bytes'][1]}"
    if where.get("row") is not None:
        return f"row {where['row']}"
    return str(where.get("json") or "")


def utc_iso(moment: datetime) -> str:
    """A UTC ISO 8601 time with Z, to the second (milliseconds when present)."""
    m = moment.astimezone(UTC)
    spec = "milliseconds" if m.microsecond else "seconds"
    return m.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def resolve_zone(msg: Message, tz_name: str | None) -> Message:
    """A message whose time had no zone, read in the collector's zone (``tz_name``), said so.

    WhatsApp and Signal text exports write the phone's wall-clock time without a zone. evkit
    assumes the phone was in the collector's zone and says so in ``zone``
    (``"collector:Europe/London"``); without a zone name the UTC time stays unknown.
    """
    if msg.at is not None or msg.local is None or not tz_name:
        return msg
    from evidence_kit.timeutil import zone

    try:
        tz = zone(tz_name)
        moment = datetime.fromisoformat(msg.local).replace(tzinfo=tz)
    except ValueError:
        return msg
    return Message(
        n=msg.n,
        sender=msg.sender,
        written=msg.written,
        at=utc_iso(moment),
        local=msg.local,
        zone=f"{ZONE_COLLECTOR}:{tz_name}",
        text=msg.text,
        where=msg.where,
        attachments=msg.attachments,
        flags=msg.flags,
        conversation=msg.conversation,
    )


def summarise(
    summaries: list[Summary], messages: Iterator[Message]
) -> Iterator[tuple[Summary, Message]]:
    """Feed each message into its conversation's summary as it passes."""
    for msg in messages:
        summary = summaries[msg.conversation]
        summary.add(msg)
        yield summary, msg
