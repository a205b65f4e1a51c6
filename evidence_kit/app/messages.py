"""Use case: the messages of a chat export or mailbox in the case (``evkit messages``).

The messages are read, streaming, from the preserved copy (they are not in the item record; see
docs/FORMAT.md, "Conversations"). Times without a zone in the file are read in the case's zone,
and each message says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_kit.app.session import GetSigner, OnRecover, reading
from evidence_kit.errors import UsageError

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.extractors.chat.model import Message
    from evidence_kit.models import Item


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """Which messages to list: all of them by default."""

    sender: str | None = None  # part of the sender's name, any case
    since: str | None = None  # a date or time, in the case's zone unless it has one
    grep: str | None = None  # part of the text (or an attachment's name), any case


@dataclass(frozen=True, slots=True)
class MessagesResult:
    """What was read: the item, its conversations' summaries, the counts, and any doubt."""

    item_id: str
    name: str
    conversations: tuple[dict[str, Any], ...]
    total: int
    shown: int
    timezone: str
    reading_differs: bool  # the messages read now differ from those recorded at extraction
    messages: tuple[Message, ...]  # empty when an ``each`` callback took them


def list_messages(
    start: Path,
    item_id: str,
    wanted: MessageFilter,
    *,
    get_signer: GetSigner,
    on_recover: OnRecover,
    each: Callable[[Message], None] | None = None,
) -> MessagesResult:
    """The messages of one item that match ``wanted``, in file order.

    With ``each``, every matching message is handed to it as it is read and none is kept
    (a 100,000-message chat stays small in memory); else they are returned.
    """
    from evidence_kit.extractors.chat import NotAChatError, read_messages
    from evidence_kit.extractors.chat.model import Summary, resolve_zone
    from evidence_kit.timeutil import parse_user_time

    with reading(start, get_signer, on_recover) as case:
        item = case.item(item_id)
        tz = str(case.info.get("timezone") or "UTC")
        extraction = item.extraction or {}
        convs = (extraction.get("metadata") or {}).get("conversations")
        if extraction.get("extractor") != "chat" or not isinstance(convs, list) or not convs:
            raise UsageError(
                f"{item.id} is not a conversation evkit could read.",
                hint=f"See what was recorded with: evkit show {item.id}",
            )
        links = _child_links(case.items().values(), item)
        stored = case.root / item.stored
        since_at: str | None = None
        if wanted.since:
            try:
                since_at = _utc(parse_user_time(wanted.since, tz))
            except ValueError as exc:
                raise UsageError(f"--since: {exc}") from exc
        sender = (wanted.sender or "").casefold()
        grep = (wanted.grep or "").casefold()
        kept: list[Message] = []
        total = shown = 0
        try:
            reading_, stack = read_messages(stored, item.name)
        except NotAChatError as exc:
            raise UsageError(f"{item.id} could not be read as a conversation: {exc}") from exc
        checks = [Summary(str(c.get("platform"))) for c in convs]
        with stack:
            for raw in reading_.messages:
                total += 1
                if raw.conversation < len(checks):
                    checks[raw.conversation].add(raw)
                if sender and sender not in (raw.sender or "").casefold():
                    continue
                if grep and not _has(raw, grep):
                    continue
                msg = resolve_zone(raw, tz)
                if since_at and (msg.at is None or msg.at < since_at):
                    continue
                msg = _linked(msg, links)
                shown += 1
                if each is not None:
                    each(msg)
                else:
                    kept.append(msg)
        differs = len(checks) != len(convs) or any(
            c.to_dict()["messages_sha256"] != r.get("messages_sha256")
            for c, r in zip(checks, convs, strict=False)
        )
        return MessagesResult(
            item_id=item.id,
            name=item.name,
            conversations=tuple(convs),
            total=total,
            shown=shown,
            timezone=tz,
            reading_differs=differs,
            messages=tuple(kept),
        )


def _utc(moment: datetime) -> str:
    from evidence_kit.extractors.chat.model import utc_iso

    return utc_iso(moment)


def _has(msg: Message, needle: str) -> bool:
    return needle in msg.text.casefold() or any(
        needle in a.name.casefold() for a in msg.attachments
    )


def _child_links(items: Any, chat: Item) -> dict[str, str]:
    """Where in the export each child item came from (``zip:IMG-1.jpg``, ``mbox.bytes[..]``),
    and, for a chat added as an unzipped folder, the files added from the same folder
    and the folders inside it (Telegram's ``photos/``, Messenger's ``photos/``), by name."""
    links: dict[str, str] = {}
    folder = _folder(chat)
    for it in items:
        if it.parent and it.parent.get("id") == chat.id:
            where = str(it.original.get("field") or "")
            if where.startswith("zip:"):
                entry = _SENT_IN.sub("", where[4:])
                links["zip:" + entry.rsplit("/", 1)[-1]] = it.id
                # A zipped export's paths ("photos/1.jpg" beside "files/1.jpg"): by every
                # ending of the entry's path, so that two files of one name stay apart.
                parts = entry.split("/")
                for i in range(len(parts) - 1):
                    links.setdefault("path:" + "/".join(parts[i:]), it.id)
            elif where:
                links[where] = it.id
        elif folder is not None and not it.parent and it.id != chat.id:
            theirs = _folder(it)
            if theirs is not None and (theirs == folder or theirs.startswith(folder + "/")):
                links.setdefault("zip:" + it.name, it.id)
    return links


#: The note after a media child's zip entry name: " (message 16, _chat.txt, lines 16-16)".
_SENT_IN = re.compile(r" \(message \d+, [^()]*\)$")


def _key(name: str) -> str:
    """A file a message names (``photos/photo_1.jpg``, ``IMG-1.jpg``) by its last part."""
    return "zip:" + name.replace("\\", "/").rsplit("/", 1)[-1]


def _path_key(name: str) -> str:
    """A file a message names by its relative path (``photos/1.jpg``), as written."""
    return "path:" + "/".join(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))


def _folder(item: Item) -> str | None:
    path = item.original.get("path") if not item.parent else None
    return path.rsplit("/", 1)[0] if isinstance(path, str) and "/" in path else None


def _linked(msg: Message, links: dict[str, str]) -> Message:
    """The message with its attachments' and its own child item IDs filled in."""
    if not links:
        return msg
    from dataclasses import replace

    from evidence_kit.extractors.chat.model import Attachment

    where = msg.where
    if "bytes" in where:
        item = links.get(f"mbox.bytes[{where['bytes'][0]}:{where['bytes'][1]}]")
        if item is not None:
            where = {**where, "item": item}
    attachments = tuple(
        Attachment(a.name, True, links[key])
        if (key := _path_key(a.name)) in links or (key := _key(a.name)) in links
        else a
        for a in msg.attachments
    )
    return replace(msg, where=where, attachments=attachments)
