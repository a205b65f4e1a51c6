"""Telegram Desktop's HTML export (``messages.html``, ``messages2.html``, ...), read streaming
with the standard library's HTML tokenizer (nothing is rendered, no script can run).

Each ``<div class="message default" id="message123">`` is a message: ``from_name`` (absent on
a "joined" message, which continues the previous sender), the ``date details`` element whose
``title`` holds the time (``24.04.2025 13:49:04 UTC+06:00`` in current versions), ``text``,
``media_wrap`` links to files, ``forwarded`` and ``reply_to`` blocks. ``message service``
divs are notices from the app. The chat's name is the ``page_header``'s text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from evidence_kit.extractors.chat.model import (
    ZONE_IN_FILE,
    ZONE_UNKNOWN,
    Attachment,
    Message,
    Summary,
    utc_iso,
)

_TITLE = re.compile(
    r"^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: UTC([+-])(\d{2}):(\d{2}))?$"
)


def looks_like(head: bytes) -> bool:
    """Telegram Desktop's export pages say ``<title>Exported Data</title>``."""
    return b"<title>Exported Data</title>" in head and b"page_wrap" in head


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, frozenset[str]]] = []
        self.done: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.depth = 0  # stack depth of the current message's div
        self.capture: tuple[str, int] | None = None  # (field, depth) while reading its text
        self.title: list[str] = []
        self.in_header_title = False

    def _inside(self, cls: str) -> bool:
        return any(cls in classes for _tag, classes in self.stack[self.depth :])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = frozenset(a.get("class", "").split())
        if tag in ("br",):
            self._text("\n")
            return
        if tag in ("img", "meta", "link", "hr", "input"):
            return
        self.stack.append((tag, classes))
        here = len(self.stack)
        if tag == "div" and "message" in classes and a.get("id", "").startswith("message"):
            self.current = {
                "id": a["id"],
                "line": self.getpos()[0],
                "service": "service" in classes,
                "joined": "joined" in classes,
                "sender": None,
                "title": None,
                "text": [],
                "files": [],
                "forwarded": False,
                "reply": False,
            }
            self.depth = here - 1
            return
        if self.current is None:
            if "page_header" in classes or (self.in_header_title and "text" in classes):
                self.in_header_title = True
            return
        if "forwarded" in classes:
            self.current["forwarded"] = True
        if "reply_to" in classes:
            self.current["reply"] = True
        if (
            "date" in classes
            and "details" in classes
            and a.get("title")
            and self.current["title"] is None
            and not self._inside("forwarded")
        ):
            self.current["title"] = a["title"]
        if "from_name" in classes and not self._inside("forwarded") and self.capture is None:
            self.capture = ("sender", here)
            self.current["sender"] = ""
        elif "text" in classes and self.capture is None and not self._inside("reply_to"):
            self.capture = ("text", here)
        elif self.current["service"] and "body" in classes and self.capture is None:
            self.capture = ("text", here)
        if tag == "a" and self._inside("media_wrap") and a.get("href"):
            self.current["files"].append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or tag in ("br", "img", "meta", "link", "hr", "input"):
            return
        # Close up to the matching tag (hostile or sloppy HTML may leave tags open).
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        else:
            return
        if self.capture is not None and len(self.stack) < self.capture[1]:
            self.capture = None
        if self.in_header_title and not self._header_open():
            self.in_header_title = False
        if self.current is not None and len(self.stack) <= self.depth:
            self.current["end"] = self.getpos()[0]
            self.done.append(self.current)
            self.current = None
            self.capture = None

    def _header_open(self) -> bool:
        return any("page_header" in classes for _t, classes in self.stack)

    def handle_data(self, data: str) -> None:
        if self.current is None:
            if self.in_header_title and data.strip() and not self.title:
                self.title.append(data.strip())
            return
        self._text(data)

    def _text(self, data: str) -> None:
        if self.current is None or self.capture is None:
            return
        if self.capture[0] == "sender":
            self.current["sender"] = (self.current["sender"] or "") + data
        else:
            self.current["text"].append(data)


def _time(title: str | None) -> tuple[str | None, str | None, str]:
    m = _TITLE.match(title or "")
    if m is None:
        return None, None, ZONE_UNKNOWN
    d, mo, y, h, mi, s = (int(x) for x in m.groups()[:6])
    try:
        local = datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None, None, ZONE_UNKNOWN
    if m.group(7) is None:
        return None, local.isoformat(timespec="seconds"), ZONE_UNKNOWN
    sign = 1 if m.group(7) == "+" else -1
    off = timedelta(hours=int(m.group(8)), minutes=int(m.group(9))) * sign
    try:
        at = utc_iso(local.replace(tzinfo=timezone(off)))
    except ValueError:
        return None, local.isoformat(timespec="seconds"), ZONE_UNKNOWN
    return at, local.isoformat(timespec="seconds"), ZONE_IN_FILE


def read(path: Path | Callable[[], IO[bytes]], summaries: list[Summary]) -> Iterator[Message]:
    """The messages of one export page, in file order, streaming (64 KiB at a time); ``path``
    may also be a function opening it (a page inside a zip)."""
    summary = Summary("telegram")
    summaries.append(summary)
    reader = _Reader()
    n = 0
    last_sender: str | None = None
    with path.open("rb") if isinstance(path, Path) else path() as fh:
        import codecs

        decode = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            chunk = fh.read(1 << 16)
            reader.feed(decode.decode(chunk, final=not chunk))
            if summary.title is None and reader.title:
                summary.title = reader.title[0]
            for raw in reader.done:
                n += 1
                msg, last_sender = _message(n, raw, last_sender)
                yield msg
            reader.done.clear()
            if not chunk:
                break
    reader.close()


def _message(n: int, raw: dict[str, Any], last: str | None) -> tuple[Message, str | None]:
    at, local, zone = _time(raw["title"])
    sender = (raw["sender"] or "").strip() or None
    flags: list[str] = []
    if raw["service"]:
        flags.append("system")
        sender = None
    elif sender is None and raw["joined"]:
        sender = last  # a "joined" message continues the one before: same sender
    if raw["forwarded"]:
        flags.append("forwarded")
    if raw["reply"]:
        flags.append("reply")
    attachments = tuple(Attachment(href, present=False) for href in raw["files"])
    if attachments:
        flags.append("media")
    text = "".join(raw["text"]).strip()
    msg = Message(
        n=n,
        sender=sender,
        written=raw["title"] or "",
        at=at,
        local=local,
        zone=zone,
        text=text,
        where={"lines": [raw["line"], raw.get("end", raw["line"])], "html_id": raw["id"]},
        attachments=attachments,
        flags=tuple(flags),
    )
    return msg, sender if not raw["service"] else last
