"""Mailboxes (mbox: mboxo, mboxrd, Thunderbird, Gmail Takeout), read in one streaming pass.

Each message's bytes (between its ``From `` separator line and the next) become a child item
that the e-mail extractor reads like any ``.eml``; its byte range in the mailbox is recorded.
A ``From `` line counts as a separator when it is Thunderbird's ``From -`` or the classic
``From addr Www Mmm dd ...``, or, after an empty line, when it holds an address or a date: an
unescaped ``From Russia with love`` in a body (the mboxo ambiguity) stays body text. Bytes
are copied as they are (no ``>From`` unescaping), so each child is exactly the bytes of the
mailbox at its range.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO

from evidence_kit.extractors.chat.model import (
    ZONE_IN_FILE,
    ZONE_UNKNOWN,
    Message,
    utc_iso,
)

_STRONG = re.compile(rb"^From (?:-(?:\s|$)|\S+\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s)")
_WEAK = re.compile(rb"^From (?:\S*@\S*|\S+\s.*\d)")
_MAX_HEADER = 64 * 1024


@dataclass(frozen=True, slots=True)
class Span:
    """One message of the mailbox: its separator line and the byte range after it."""

    from_line: bytes
    start: int  # first byte after the separator line
    end: int  # one past the last byte (the empty line before the next separator excluded)
    line: int  # the separator's line number


def spans(fh: BinaryIO) -> Iterator[Span]:
    """Every message's byte range, streaming (bounded memory)."""
    offset = 0
    line_no = 0
    prev_blank = True
    current: tuple[bytes, int, int] | None = None
    blank_at: int | None = None  # where the last empty line began, to cut it off
    for raw in iter(lambda: fh.readline(1 << 20), b""):  # a line without an end: in pieces
        line_no += 1
        stripped = raw.rstrip(b"\r\n")
        check = stripped.removeprefix(b"\xef\xbb\xbf") if line_no == 1 else stripped
        if _STRONG.match(check) or (prev_blank and _WEAK.match(check)):
            if current is not None:
                end = blank_at if blank_at is not None else offset
                yield Span(current[0], current[1], end, current[2])
            current = (check, offset + len(raw), line_no)
            blank_at = None
        elif not stripped:
            blank_at = offset
        else:
            blank_at = None
        prev_blank = not stripped
        offset += len(raw)
    if current is not None:
        yield Span(current[0], current[1], offset, current[2])


def _header(fh: BinaryIO, span: Span) -> tuple[str | None, str | None, str]:
    """(From, Date, Subject) of one message, from its first 64 KiB only."""
    fh.seek(span.start)
    head = fh.read(min(_MAX_HEADER, span.end - span.start))
    cut = re.search(rb"\r?\n\r?\n", head)
    msg = BytesHeaderParser().parsebytes(head[: cut.end()] if cut else head)

    def get(name: str) -> str | None:
        try:
            value = msg.get(name)
        except Exception:  # a malformed header is data, not a crash
            return None
        return None if value is None else str(value)

    return get("From"), get("Date"), get("Subject") or ""


def messages(path: Path) -> Iterator[tuple[Span, Message]]:
    """Each mailbox message as a :class:`Message` (sender, date, subject) with its span."""
    with path.open("rb") as scan, path.open("rb") as read:
        for n, span in enumerate(spans(scan), 1):
            sender, date, subject = _header(read, span)
            at = None
            if date:
                try:
                    moment = parsedate_to_datetime(date)
                    if moment.tzinfo is not None:
                        at = utc_iso(moment)
                except (TypeError, ValueError, IndexError, OverflowError):
                    at = None
            yield (
                span,
                Message(
                    n=n,
                    sender=sender,
                    written=date or "",
                    at=at,
                    local=None,
                    zone=ZONE_IN_FILE if at else ZONE_UNKNOWN,
                    text=subject,
                    where={"bytes": [span.start, span.end], "line": span.line},
                ),
            )
