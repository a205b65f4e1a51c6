"""WhatsApp "Export chat" text (Android and iOS, every locale we have seen), read in two passes.

Pass 1 reads only the time stamps, to decide the order of day and month from the whole file
(a day above 12 anywhere decides it; when nothing does, the record says so and which order was
assumed, never a silent guess). Pass 2 yields the messages, one at a time, so memory stays
bounded whatever the size of the chat. Lines that do not start a message continue the one
before (multi-line messages); each message records its first and last line in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evidence_kit.extractors.chat.model import (
    ZONE_UNKNOWN,
    Attachment,
    Message,
    Summary,
)
from evidence_kit.extractors.chat.sniff import HEADERS, NORMALISE, normalise

#: Opens the export's text again from the start (raw lines, with their line ends).
LineSource = Callable[[], Iterable[bytes]]

#: WhatsApp's documented limits: an export holds at most about this many messages.
CAP_WITHOUT_MEDIA = 40_000
CAP_WITH_MEDIA = 10_000

_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"

_ATTACHED = re.compile(r"<[^<>:\n]{1,40}:\s(?P<name>[^<>\n]+)>$")
_FILE_ATTACHED = re.compile(
    r"^(?P<name>\S[^()\n]*?\.[A-Za-z0-9]{2,5})\s\((?P<what>[^()\n]{3,40})\)$"
)
_OMITTED_ANDROID = re.compile(r"^<[^<>]{3,40}>$")
_OMITTED_WORDS = re.compile(
    r"omitted|weggelassen|ausgelassen|omitid|omis|omess|отсутствует|пропущен|\u0625\u062f\u0631\u0627\u062c"
    r"|\u0e44\u0e21\u0e48\u0e21\u0e35|b\u1ecf qua|b\u1ecf video|ukryt|vynech",
    re.IGNORECASE,
)
_DELETED = re.compile(
    r"^(?:this message was deleted|you deleted this message|diese nachricht wurde gel\u00f6scht"
    r"|du hast diese nachricht gel\u00f6scht|se elimin\u00f3 este mensaje|eliminaste este mensaje"
    r"|ce message a \u00e9t\u00e9 supprim\u00e9|\u044d\u0442\u043e \u0441\u043e\u043e\u0431\u0449"
    r"\u0435\u043d\u0438\u0435 \u0443\u0434\u0430\u043b\u0435\u043d\u043e"
    r"|questo messaggio \u00e8 stato eliminato|mensagem apagada|dit bericht is verwijderd)\.?$",
    re.IGNORECASE,
)
_EDITED = re.compile(
    r"<(?:this message was edited|nachricht bearbeitet|se edit\u00f3 este mensaje)>$", re.IGNORECASE
)
_SENDER = re.compile(r"^(?P<sender>[^\n]{1,120}?):\s(?P<text>.*)$", re.DOTALL)
_SENDER_BARE = re.compile(r"^(?P<sender>[^:\"\u201c\n]{1,60}):(?P<text>\S{0,3})$")
_SYSTEM_HINTS = re.compile(r"[\"\u201c\u201d]")
_ERA = {"R": 2018, "H": 1988, "S": 1925, "T": 1911}


@dataclass(slots=True)
class _Header:
    d1: str
    d2: str
    d3: str
    era: bool
    time: str
    ampm: str | None
    written: str
    rest: str
    ios: bool


#: What a message's first line can start with (most continuation lines are rejected here).
_STARTS = frozenset("[0123456789" + _MARKS + "\u061c" + "".join(map(chr, range(0x0660, 0x066A))))


def _header(raw: str) -> _Header | None:
    """The message header at the start of a line, or None for a continuation line."""
    if not raw or raw[0] not in _STARTS:
        return None
    norm = raw if raw.isascii() else normalise(raw)
    for pattern in HEADERS[1:] if norm[:1] == "[" else HEADERS[:1]:
        m = pattern.match(norm)
        if m is not None:
            g = m.groupdict()
            start = min(m.start("date"), m.start("time"))
            last = max(m.end("date"), m.end("ampm") if g["ampm"] else m.end("time"))
            rest_at = m.start("rest")
            return _Header(
                d1=g["d1"],
                d2=g["d2"],
                d3=g["d3"],
                era=bool(g["era"]),
                time=g["time"],
                ampm=g["ampm"],
                written=norm[start:last] if norm is raw else _original_span(raw, start, last),
                rest=raw[rest_at:] if norm is raw else raw[_orig_index(raw, rest_at) :],
                ios=pattern is not HEADERS[0],
            )
    return None


def _orig_index(raw: str, pos: int) -> int:
    """The index in ``raw`` of the character that normalises to position ``pos``."""
    if raw.isascii():
        return pos
    count = 0
    for i, ch in enumerate(raw):
        width = len(ch.translate(NORMALISE))
        if count == pos and width:
            return i
        count += width
    return len(raw)


def _original_span(raw: str, start: int, end: int) -> str:
    """The characters of ``raw`` that normalise to ``norm[start:end]``, as written."""
    if raw.isascii():
        return raw[start:end]
    first = _orig_index(raw, start)
    last = _orig_index(raw, end - 1) + 1 if end > start else first
    return raw[first:last]


def _lines(source: LineSource) -> Iterator[tuple[int, str]]:
    """(line number from 1, text without its line end), decoded as UTF-8."""
    for n, raw in enumerate(source(), 1):
        line = raw.decode("utf-8", "replace")
        if n == 1:
            line = line.removeprefix("\ufeff")
        yield n, line.rstrip("\n").removesuffix("\r")


@dataclass(slots=True)
class DateOrder:
    """The order of the date's fields, and how evkit decided it."""

    order: str  # "DMY", "MDY" or "YMD"
    decided: bool
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return {"order": self.order, "decided": self.decided, "basis": self.basis}


def decide_order(source: LineSource) -> tuple[DateOrder, int, bool]:
    """Pass 1: the date order from every time stamp in the file; also the count and iOS-ness."""
    count = 0
    ios = 0
    year_first = 0
    first_big: tuple[int, str] | None = None  # (line, written) where the first field > 12
    second_big: tuple[int, str] | None = None
    all_equal = True
    changes1 = changes2 = 0
    prev: tuple[str, str] | None = None
    for n, line in _lines(source):
        h = _header(line)
        if h is None:
            continue
        count += 1
        ios += h.ios
        if len(h.d1) >= 3:
            year_first += 1
            continue
        a, b = int(h.d1), int(h.d2)
        if a > 12 and first_big is None:
            first_big = (n, h.written)
        if b > 12 and second_big is None:
            second_big = (n, h.written)
        if a != b:
            all_equal = False
        if prev is not None:
            changes1 += prev[0] != h.d1
            changes2 += prev[1] != h.d2
        prev = (h.d1, h.d2)
    is_ios = ios * 2 > count
    if count and year_first == count:
        return DateOrder("YMD", True, "the year is written first"), count, is_ios
    if first_big and not second_big:
        at_line, shown = first_big
        why = f"line {at_line} reads {shown!r}: its first number is above 12, so it is the day"
        return DateOrder("DMY", True, why), count, is_ios
    if second_big and not first_big:
        at_line, shown = second_big
        why = f"line {at_line} reads {shown!r}: its second number is above 12, so it is the day"
        return DateOrder("MDY", True, why), count, is_ios
    if not first_big and all_equal:
        return (
            DateOrder("DMY", True, "day and month are the same in every date"),
            count,
            is_ios,
        )
    why = (
        "some dates only make sense day first and others only month first"
        if first_big and second_big
        else "no day in the file is above 12"
    )
    if changes1 != changes2:
        order = "DMY" if changes1 > changes2 else "MDY"
        how = "the field that changes more often between messages was taken as the day"
    else:
        order, how = "DMY", "day first was assumed"
    return DateOrder(order, False, f"{why}; {how}"), count, is_ios


def _year(d: str, era: bool) -> int | None:
    if d[:1].isalpha():
        base = _ERA.get(d[0])
        return None if base is None or not d[1:].isdigit() else base + int(d[1:])
    y = int(d)
    if len(d) <= 2:
        y += 2000
    if era or y > 2400:  # the Thai Buddhist era (2565 BE = 2022)
        y -= 543
    return y


def _local(h: _Header, order: DateOrder) -> str | None:
    """The wall-clock time of a header as ISO 8601, or None if it is not a real date."""
    try:
        if order.order == "YMD":
            year, month, day = _year(h.d1, h.era), int(h.d2), int(h.d3)
        elif order.order == "MDY":
            month, day, year = int(h.d1), int(h.d2), _year(h.d3, h.era)
        else:
            day, month, year = int(h.d1), int(h.d2), _year(h.d3, h.era)
        if year is None:
            return None
        parts = [int(p) for p in re.split(r"[:.]", h.time)]
        hour, minute, second = parts[0], parts[1], parts[2] if len(parts) > 2 else 0
        if h.ampm:
            pm = (
                h.ampm[0] in "pP"
                or h.ampm in ("\u0645", "\u5348\u5f8c", "\uc624\ud6c4")
                or (h.ampm.startswith("\u0e2b") or h.ampm.startswith("nachm"))
            )
            if pm and hour < 12:
                hour += 12
            elif not pm and hour == 12:
                hour = 0
        return datetime(year, month, day, hour, minute, second).isoformat(timespec="seconds")
    except (ValueError, TypeError):
        return None


def _classify(text: str, ios_marked: bool) -> tuple[str, tuple[Attachment, ...], tuple[str, ...]]:
    """The message text with its attachments and flags (media, deleted, edited, system)."""
    first, _, more = text.partition("\n")
    flags: list[str] = []
    attachments: tuple[Attachment, ...] = ()
    bare = first.strip(_MARKS + " ")
    if m := _ATTACHED.search(bare):
        attachments = (Attachment(m.group("name").strip(_MARKS), present=False),)
        flags.append("media")
    elif m := _FILE_ATTACHED.match(bare):
        attachments = (Attachment(m.group("name").strip(_MARKS), present=False),)
        flags.append("media")
    elif _OMITTED_ANDROID.match(bare) and not more:
        attachments = (Attachment(bare, present=False),)
        flags.append("media")
    elif _OMITTED_ANDROID.match(bare) or (ios_marked and _OMITTED_WORDS.search(bare)):
        attachments = (Attachment(bare, present=False),)
        flags.append("media")
    elif _DELETED.match(bare) and not more:
        flags.append("deleted")
    elif ios_marked and "://" not in bare:
        flags.append("system")
    if _EDITED.search(text.rstrip()):
        flags.append("edited")
    return text, attachments, tuple(flags)


def _message(
    n: int, h: _Header, body: list[str], first: int, last: int, order: DateOrder, entry: str | None
) -> Message:
    rest = "\n".join([h.rest, *body])
    sender: str | None = None
    text = rest
    m = _SENDER.match(rest)
    if m is not None and not _SYSTEM_HINTS.search(m.group("sender")):
        sender, text = m.group("sender"), m.group("text")
    elif (m2 := _SENDER_BARE.match(rest)) is not None:
        sender, text = m2.group("sender"), m2.group("text")
    ios_marked = text.startswith(("\u200e", "\u200f"))
    text = text.lstrip("\u200e\u200f")
    text, attachments, flags = _classify(text, ios_marked)
    if sender is None:
        flags = ("system", *(f for f in flags if f != "system"))
    else:
        sender = sender.translate(_SENDER_TABLE).strip()
    local = _local(h, order)
    where: dict[str, Any] = {"lines": [first, last]}
    if entry is not None:
        where = {"entry": entry, "lines": [first, last]}
    return Message(
        n=n,
        sender=sender,
        written=h.written,
        at=None,
        local=local,
        zone=ZONE_UNKNOWN,
        text=text,
        where=where,
        attachments=attachments,
        flags=flags,
    )


_SENDER_TABLE = {ord(c): None for c in _MARKS} | {0x00A0: " ", 0x202F: " "}


def read(source: LineSource, summary: Summary, entry: str | None = None) -> Iterator[Message]:
    """Pass 2: the messages, one at a time; ``summary`` gets the date-order decision first."""
    order, headers, ios = decide_order(source)
    summary.notes["date_order"] = order.to_dict()
    summary.notes["variant"] = "ios" if ios else "android"
    summary.notes["time_zone_in_file"] = False
    if not order.decided:
        summary.warn(
            "date-order",
            "The order of day and month could not be told from this chat: every date "
            f"reads both ways. evkit read them {_ORDER_WORDS[order.order]}. "
            "Check one message against the phone to be sure.",
        )
    n = 0
    current: _Header | None = None
    body: list[str] = []
    first = last = 0
    before = 0
    for line_no, line in _lines(source):
        h = _header(line)
        if h is None:
            if current is None:
                before += bool(line.strip())
            else:
                body.append(line)
                last = line_no
            continue
        if current is not None:
            n += 1
            yield _message(n, current, _trim(body), first, last, order, entry)
        current, body, first, last = h, [], line_no, line_no
    if current is not None:
        n += 1
        yield _message(n, current, _trim(body), first, last, order, entry)
    if before:
        summary.notes["lines_before_first_message"] = before
    if not headers:
        summary.notes["unread"] = "no line starts like a WhatsApp message"


def _trim(body: list[str]) -> list[str]:
    """A multi-line message without the empty lines after it (kept: empty lines inside)."""
    while body and not body[-1].strip():
        body.pop()
    return body


_ORDER_WORDS = {"DMY": "day first (day/month/year)", "MDY": "month first (month/day/year)"}


def cap_warnings(summary: Summary, with_media: bool) -> None:
    """The warnings every WhatsApp conversation carries, in plain words."""
    summary.warn(
        "names",
        "Names are the ones saved in the address book of the phone that exported the chat "
        "(a name starting with ~ is the name the person chose for themselves). They are not "
        "proof of who wrote a message. Write down the phone number shown in the chat's "
        "contact details on the phone.",
    )
    cap = CAP_WITH_MEDIA if with_media else CAP_WITHOUT_MEDIA
    if summary.count >= cap * 0.95:
        summary.warn(
            "export-cap",
            f"WhatsApp puts at most about {cap:,} messages in an export, and this one has "
            f"{summary.count:,}: older messages are probably missing. Keep the phone, and "
            "take screenshots of the earlier messages.",
        )
    if summary.notes.get("variant") == "ios" or summary.notes.get("variant") == "android":
        summary.warn(
            "zone",
            "The export does not say which time zone its times are in. evkit reads them in "
            "your case's time zone; if the phone was elsewhere, say so in a note.",
        )


_TITLE_WITH = re.compile(
    r"WhatsApp.{0,12}?\b(?:with|mit|con|avec|met|com|ile|\u0441)\s+"
    r"(?:\u043a\u043e\u043d\u0442\u0430\u043a\u0442\u043e\u043c\s+|"
    r"\u0433\u0440\u0443\u043f\u043f\u043e\u0439\s+)?(?P<t>.+?)(?:\s\(\d+\))?\.(?:txt|zip)$",
    re.IGNORECASE,
)
_TITLE_DASH = re.compile(r"WhatsApp Chat - (?P<t>.+?)(?:\s\(\d+\))?\.(?:txt|zip)$", re.IGNORECASE)


def title_from_name(name: str) -> str | None:
    """The chat's name as WhatsApp puts it in the export's file name ("WhatsApp Chat with
    Mark.txt", "Chat de WhatsApp con Mark.zip", "WhatsApp Chat - Mark.zip"), or None."""
    base = name.replace("\u00a0", " ").rsplit("/", 1)[-1]
    m = _TITLE_WITH.search(base) or _TITLE_DASH.search(base)
    return m.group("t").strip() if m else None
