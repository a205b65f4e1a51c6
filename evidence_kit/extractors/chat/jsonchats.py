"""Chat exports in JSON: Telegram Desktop, Meta "Download your information" (Messenger and
Instagram) and DiscordChatExporter.

These files are read whole with ``json`` (the standard library has no streaming JSON reader);
the extractor refuses files above :data:`MAX_JSON_BYTES` with a plain reason instead (they are
preserved, unread: reading one would need several times its size in memory).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from evidence_kit.extractors.chat.model import (
    ZONE_IN_FILE,
    ZONE_UNKNOWN,
    Attachment,
    Message,
    Summary,
    utc_iso,
)

MAX_JSON_BYTES = 128 * 1024 * 1024


def kind(doc: Any) -> str | None:
    """Which export this JSON document is, or None."""
    if isinstance(doc, list):
        first = next((m for m in doc if isinstance(m, dict)), None)
        if first is not None and "ID" in first and "Timestamp" in first:
            return "discord package"
        return None
    if not isinstance(doc, dict):
        return None
    msgs = doc.get("messages")
    if isinstance(doc.get("chats"), dict) and isinstance(doc["chats"].get("list"), list):
        return "telegram"
    if isinstance(msgs, list):
        if isinstance(doc.get("guild"), dict) or isinstance(doc.get("channel"), dict):
            return "discord"
        sample = next((m for m in msgs if isinstance(m, dict)), {})
        if "timestamp_ms" in sample or "sender_name" in sample or "participants" in doc:
            return "meta"
        if "date_unixtime" in sample or "date" in sample or doc.get("type") in _TG_TYPES:
            return "telegram"
    return None


_TG_TYPES = (
    "personal_chat",
    "private_group",
    "public_group",
    "private_supergroup",
    "saved_messages",
)


def _text(value: Any) -> str:
    """Telegram's ``text``: a string, or a list of strings and ``{"type","text"}`` entities."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            v if isinstance(v, str) else str(v.get("text", "")) if isinstance(v, dict) else ""
            for v in value
        )
    return ""


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None if value is None else str(value)


def telegram(doc: dict[str, Any], summaries: list[Summary]) -> Iterator[Message]:
    """Telegram Desktop ``result.json``: one chat, or a whole account (``chats.list``)."""
    if isinstance(doc.get("chats"), dict):
        chats = [c for c in doc["chats"].get("list", []) if isinstance(c, dict)]
        base = "chats.list"
        info = doc.get("personal_information")
        exporter = None
        if isinstance(info, dict):
            names = [_str(info.get(k)) or "" for k in ("first_name", "last_name")]
            exporter = " ".join(n for n in names if n) or None
    else:
        chats, base, exporter = [doc], "", None
    n = 0
    for ci, chat in enumerate(chats):
        summary = Summary("telegram", title=_str(chat.get("name")), exporter=exporter)
        summary.zone = ZONE_IN_FILE
        summaries.append(summary)
        index = len(summaries) - 1
        prefix = f"{base}[{ci}]." if base else ""
        messages = chat.get("messages")
        if not isinstance(messages, list):
            continue
        for mi, m in enumerate(messages):
            if not isinstance(m, dict):
                continue
            n += 1
            yield _telegram_message(n, index, m, f"{prefix}messages[{mi}]")


def _telegram_message(n: int, index: int, m: dict[str, Any], where: str) -> Message:
    flags: list[str] = []
    at: str | None = None
    local: str | None = None
    zone = ZONE_UNKNOWN
    unix = m.get("date_unixtime")
    written = _str(unix) or _str(m.get("date")) or ""
    if isinstance(unix, (str, int)) and str(unix).lstrip("-").isdigit():
        try:
            at = utc_iso(datetime.fromtimestamp(int(unix), UTC))
            zone = ZONE_IN_FILE
        except (OverflowError, OSError, ValueError):
            at = None
    date = m.get("date")
    if isinstance(date, str):
        try:
            parsed = datetime.fromisoformat(date.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                at = at or utc_iso(parsed)
                zone = ZONE_IN_FILE
            else:
                local = parsed.isoformat(timespec="seconds")
        except ValueError:
            pass
    sender = _str(m.get("from"))
    text = _text(m.get("text"))
    if m.get("type") == "service":
        flags.append("system")
        sender = sender or _str(m.get("actor"))
        if not text and isinstance(m.get("action"), str):
            text = m["action"]
    if m.get("edited") or m.get("edited_unixtime"):
        flags.append("edited")
    if m.get("forwarded_from") is not None:
        flags.append("forwarded")
    if m.get("reply_to_message_id") is not None:
        flags.append("reply")
    attachments = []
    for key in ("photo", "file", "thumbnail"):
        v = m.get(key)
        if isinstance(v, str) and key != "thumbnail":
            attachments.append(Attachment(v, present=False))
    if attachments:
        flags.append("media")
    return Message(
        n=n,
        sender=sender,
        written=written,
        at=at,
        local=local,
        zone=zone,
        text=text,
        where={"json": where},
        attachments=tuple(attachments),
        flags=tuple(flags),
        conversation=index,
    )


def repair_mojibake(text: str) -> str:
    """Meta's exports write UTF-8 bytes as Latin-1 characters (``Ã©`` for ``é``): undo that."""
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def meta(doc: dict[str, Any], summaries: list[Summary]) -> Iterator[Message]:
    """Messenger / Instagram ``message_N.json`` (newest first in the file; kept in file order)."""
    title = doc.get("title")
    summary = Summary(
        "messenger/instagram", title=repair_mojibake(title) if isinstance(title, str) else None
    )
    summary.zone = ZONE_IN_FILE
    summaries.append(summary)
    parts = doc.get("participants")
    if isinstance(parts, list):
        names = [
            repair_mojibake(p["name"])
            for p in parts
            if isinstance(p, dict) and isinstance(p.get("name"), str)
        ]
        summary.notes["listed_participants"] = names
    n = 0
    for mi, m in enumerate(doc.get("messages") or []):
        if not isinstance(m, dict):
            continue
        n += 1
        ts = m.get("timestamp_ms")
        at = None
        if isinstance(ts, int) and not isinstance(ts, bool):
            try:
                at = utc_iso(datetime.fromtimestamp(ts / 1000, UTC))
            except (OverflowError, OSError, ValueError):
                at = None
        sender = m.get("sender_name")
        content = m.get("content")
        flags: list[str] = []
        attachments: list[Attachment] = []
        for key in ("photos", "videos", "audio_files", "files", "gifs"):
            attachments.extend(
                Attachment(f["uri"], present=False)
                for f in m.get(key) or []
                if isinstance(f, dict) and isinstance(f.get("uri"), str)
            )
        sticker = m.get("sticker")
        if isinstance(sticker, dict) and isinstance(sticker.get("uri"), str):
            attachments.append(Attachment(sticker["uri"], present=False))
        if attachments:
            flags.append("media")
        if m.get("is_unsent"):
            flags.append("deleted")
        share = m.get("share")
        text = repair_mojibake(content) if isinstance(content, str) else ""
        if (
            isinstance(share, dict)
            and isinstance(share.get("link"), str)
            and share["link"] not in text
        ):
            text = (text + "\n" if text else "") + share["link"]
        yield Message(
            n=n,
            sender=repair_mojibake(sender) if isinstance(sender, str) else None,
            written=str(ts),
            at=at,
            local=None,
            zone=ZONE_IN_FILE if at else ZONE_UNKNOWN,
            text=text,
            where={"json": f"messages[{mi}]"},
            attachments=tuple(attachments),
            flags=tuple(flags),
        )


def discord(doc: dict[str, Any], summaries: list[Summary]) -> Iterator[Message]:
    """A DiscordChatExporter JSON file (one channel)."""
    channel = doc.get("channel") if isinstance(doc.get("channel"), dict) else {}
    guild = doc.get("guild") if isinstance(doc.get("guild"), dict) else {}
    assert isinstance(channel, dict) and isinstance(guild, dict)  # noqa: S101 (narrowing)
    title = " / ".join(str(x) for x in (guild.get("name"), channel.get("name")) if x)
    summary = Summary("discord", title=title or None)
    summary.zone = ZONE_IN_FILE
    summaries.append(summary)
    n = 0
    for mi, m in enumerate(doc.get("messages") or []):
        if not isinstance(m, dict):
            continue
        n += 1
        written = _str(m.get("timestamp")) or ""
        at = None
        try:
            parsed = datetime.fromisoformat(written.replace("Z", "+00:00"))
            at = utc_iso(parsed) if parsed.tzinfo is not None else None
        except ValueError:
            at = None
        author = m.get("author") if isinstance(m.get("author"), dict) else {}
        assert isinstance(author, dict)  # noqa: S101 (narrowing)
        sender = _str(author.get("nickname")) or _str(author.get("name"))
        flags: list[str] = []
        if m.get("type") not in (None, "Default", "Reply"):
            flags.append("system")
        if m.get("timestampEdited"):
            flags.append("edited")
        if m.get("reference"):
            flags.append("reply")
        attachments = tuple(
            Attachment(str(a.get("fileName") or a.get("url")), present=False)
            for a in m.get("attachments") or []
            if isinstance(a, dict)
        )
        if attachments:
            flags.append("media")
        yield Message(
            n=n,
            sender=sender,
            written=written,
            at=at,
            local=None,
            zone=ZONE_IN_FILE if at else ZONE_UNKNOWN,
            text=_str(m.get("content")) or "",
            where={"json": f"messages[{mi}]"},
            attachments=attachments,
            flags=tuple(flags),
        )


def discord_package(rows: Iterable[Any], summaries: list[Summary], where: str) -> Iterator[Message]:
    """Discord's own data package: ``messages/c<id>/messages.json`` (a list of ``{"ID",
    "Timestamp","Contents","Attachments"}``) or ``messages.csv`` (the same columns). It holds
    only the account owner's messages, so the sender is not written in it."""
    summary = Summary("discord", title=None)
    summary.notes["discord_package"] = True
    summaries.append(summary)
    n = 0
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        n += 1
        written = _str(row.get("Timestamp")) or ""
        at = local = None
        zone = ZONE_UNKNOWN
        try:
            parsed = datetime.fromisoformat(written.replace("Z", "+00:00"))
            if parsed.tzinfo is not None:
                at, zone = utc_iso(parsed), ZONE_IN_FILE
            else:
                local = parsed.isoformat(timespec="seconds")
        except ValueError:
            pass
        links = _str(row.get("Attachments")) or ""
        attachments = tuple(Attachment(u, present=False) for u in links.split() if u)
        yield Message(
            n=n,
            sender=OWNER,
            written=written,
            at=at,
            local=local,
            zone=zone,
            text=_str(row.get("Contents")) or "",
            where={where: i + 1} if where == "row" else {"json": f"[{i}]"},
            attachments=attachments,
            flags=("media",) if attachments else (),
        )
    summary.zone = ZONE_IN_FILE if n else ZONE_UNKNOWN


#: The sender of every message in a Discord data package (only the owner's are in it).
OWNER = "(the account owner)"
