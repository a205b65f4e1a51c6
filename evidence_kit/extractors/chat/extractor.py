"""The chat extractor: which export a file is, its conversations' summaries, and its children.

:func:`read_messages` is the one way to get a conversation's messages, for the extractor
(while summarising) and later for ``evkit messages``, the timeline and the report: it streams
them from the preserved copy.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import stat
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence_kit.extractors.chat import jsonchats, mbox, telegram_html, whatsapp
from evidence_kit.extractors.chat.model import (
    Attachment,
    Message,
    Summary,
    resolve_zone,
    where_text,
)
from evidence_kit.extractors.chat.sniff import (
    looks_like_chat_json,
    looks_like_discord_csv,
    looks_like_mbox,
    looks_like_whatsapp,
)
from evidence_kit.extractors.interface import Child, ExtractContext, Extraction, Identifier

#: Most identifiers kept per item (each points at the first message it was seen in).
MAX_IDENTIFIERS = 500
#: Most distinct sender names searched for a phone number (a huge public group has more).
MAX_SENDERS_CHECKED = 2_000
#: A zip entry bigger than this, or compressed more than this ratio, is not unpacked.
MAX_RATIO = 200
#: The largest chat text read from inside a zip (a real 40,000-message chat is a few MB).
MAX_TEXT_BYTES = 2 * 1024 * 1024 * 1024
#: Longer lines are read in pieces of this size (each piece a line of its own), so that a
#: file without line ends never has to fit in memory.
MAX_LINE = 1 << 20


def lines_of(fh: Any) -> Iterator[bytes]:
    """The lines of a binary file, each at most :data:`MAX_LINE` bytes."""
    return iter(lambda: bytes(fh.readline(MAX_LINE)), b"")


_MEDIA_ROLE = "chat media"

#: Text that may hold an identifier (a digit, an @, a web address or a domain): only such
#: messages are given to the identifier finder, which is slow on 100,000 messages.
_MAY_POINT = re.compile(r"[0-9@]|://|www\.|\w\.[A-Za-z]{2,}")


class NotAChatError(Exception):
    """The file is not a chat export evkit can read; the message says why, in plain words."""


@dataclass(slots=True)
class Reading:
    """One export being read: its format, the conversations' summaries, and its messages.

    The summaries are complete once :attr:`messages` has been consumed.
    """

    format: str
    summaries: list[Summary]
    messages: Iterator[Message]
    media: dict[str, str] = field(default_factory=dict)  # zip entry basename -> entry name
    #: A zipped Telegram/Meta export: the files its messages point at, found or not.
    refs: _ZipRefs | None = None


def _whatsapp_entry(zf: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The chat text of a WhatsApp export zip: ``_chat.txt`` or ``WhatsApp Chat with X.txt``."""
    texts = [
        i
        for i in zf.infolist()
        if not i.is_dir()
        and i.filename.lower().endswith(".txt")
        and not i.filename.startswith("__MACOSX/")
        and "/" not in i.filename.strip("/")
    ]
    named = [i for i in texts if posixpath.basename(i.filename) == "_chat.txt"]
    chosen = named or texts
    return chosen[0] if chosen else None


def open_reading(path: Path, name: str, stack: ExitStack) -> Reading:
    """Start reading ``path`` (the stored copy of a file named ``name``), or NotAChatError."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return _zip(path, stack, name)
    if looks_like_mbox(head):
        summary = Summary("mbox", title=None)
        return Reading("mbox", [summary], (m for _span, m in mbox.messages(path)))
    if looks_like_chat_json(head) or name.lower().endswith(".json"):
        return _json(path)
    if telegram_html.looks_like(head):
        summaries: list[Summary] = []
        return Reading("telegram html", summaries, telegram_html.read(path, summaries))
    if looks_like_discord_csv(head):
        return _discord_csv(path)
    if looks_like_whatsapp(head):
        return _text(path, name)
    if name.lower().endswith((".mbox", ".mbx")):
        if head.startswith(b"\x01\x01\x01\x01"):
            raise NotAChatError("this looks like an MMDF mailbox, which evkit cannot read yet")
        raise NotAChatError("it is named like a mailbox but does not start with a 'From ' line")
    raise NotAChatError("no line looks like the start of a chat message")


def _text(path: Path, name: str) -> Reading:
    # The text format does not say which app wrote it; Signal export tools write the same
    # lines, and only the file name can tell them apart.
    summary = Summary("signal" if "signal" in name.lower() else "whatsapp")
    _title(summary, name)

    def source() -> Iterator[bytes]:
        with path.open("rb") as fh:
            yield from lines_of(fh)

    return Reading(summary.platform, [summary], whatsapp.read(source, summary))


def _title(summary: Summary, name: str) -> bool:
    title = whatsapp.title_from_name(name)
    if title:
        summary.title = title
        summary.notes["title_from"] = "the export's file name"
    return bool(title)


def _zip(path: Path, stack: ExitStack, path_name: str) -> Reading:
    try:
        zf = stack.enter_context(zipfile.ZipFile(path))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise NotAChatError(f"the zip file could not be opened ({exc})") from exc
    entry = _whatsapp_entry(zf)
    whatsapp_named = entry is not None and (
        posixpath.basename(entry.filename) == "_chat.txt" or "whatsapp" in entry.filename.lower()
    )
    if not whatsapp_named and (export := _export_entry(zf)) is not None:
        return _zip_export(zf, export)  # a Telegram or Messenger/Instagram export
    if entry is None:
        raise NotAChatError("the zip holds no chat text (no _chat.txt or WhatsApp .txt file)")
    if entry.flag_bits & 0x1:
        raise NotAChatError("the chat text inside the zip is encrypted")
    summary = Summary("whatsapp", source=entry.filename)
    if not _title(summary, entry.filename):
        _title(summary, path_name)
    if entry.file_size > MAX_TEXT_BYTES or (
        entry.compress_size and entry.file_size / entry.compress_size > MAX_RATIO
    ):
        raise NotAChatError(
            "the chat text inside the zip is too large or compressed too much to unpack safely"
        )

    def source() -> Iterator[bytes]:
        with zf.open(entry) as fh:
            yield from lines_of(fh)

    media = {
        posixpath.basename(i.filename): i.filename
        for i in zf.infolist()
        if not i.is_dir() and i is not entry and not i.filename.startswith("__MACOSX/")
    }
    messages = whatsapp.read(source, summary, entry=entry.filename)
    return Reading("whatsapp zip", [summary], _mark_present(messages, media), media)


#: Exports whose messages point at files beside them when added as a folder.
_FOLDERED = ("telegram json", "telegram html", "messenger/instagram json", "whatsapp", "signal")
#: A Telegram export names a file it did not download like this instead of its path.
_NOT_INCLUDED = "(File not included"
#: How many referenced-but-absent files the record lists by name (all are counted).
MAX_ABSENT_LISTED = 500
_EXPORT_NAME = re.compile(r"(?:result\.json|message_\d+\.json|messages\d*\.html)")


def _unsafe_entry(name: str) -> bool:
    """A zip entry name that could point outside the export: absolute, a drive, ``..``."""
    n = name.replace("\\", "/")
    return n.startswith("/") or (len(n) > 1 and n[1] == ":") or ".." in n.split("/")


def _is_link(info: zipfile.ZipInfo) -> bool:
    return (info.external_attr >> 16) & 0o170000 == 0o120000


def _export_entry(zf: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The chat file of a zipped Telegram Desktop or Messenger/Instagram export: the
    shallowest ``result.json``, ``message_1.json`` or ``messages.html`` (first page)."""
    found = [
        i
        for i in zf.infolist()
        if not i.is_dir()
        and not i.filename.startswith("__MACOSX/")
        and not _unsafe_entry(i.filename)
        and not _is_link(i)
        and _EXPORT_NAME.fullmatch(posixpath.basename(i.filename))
    ]
    rank = {"result.json": 0, "message_1.json": 1, "messages.html": 2}
    found.sort(
        key=lambda i: (
            i.filename.count("/"),
            rank.get(posixpath.basename(i.filename), 3),
            i.filename,
        )
    )
    return found[0] if found else None


@dataclass(slots=True)
class _ZipRefs:
    """Files a zipped export's messages point at (``photos/photo_1.jpg``), found inside the zip
    by their relative path only: never outside it, never through a link entry."""

    zf: zipfile.ZipFile
    base: str  # the folder of the chat file inside the zip ("ChatExport_2026-11-20/")
    entries: dict[str, zipfile.ZipInfo]
    media: dict[str, str]
    absent: list[dict[str, Any]] = field(default_factory=list)
    absent_count: int = 0
    #: The zip's other chat files (more conversations, or later pages), not read.
    unread: list[str] = field(default_factory=list)
    source: str | None = None  # the chat file read

    def find(self, ref: str) -> tuple[str | None, str]:
        """(zip entry name, "") for a file the export holds, or (None, why not)."""
        parts, why = _relative(ref)
        if parts is None:
            return None, why
        rel = "/".join(parts)
        # Telegram paths are relative to result.json's folder; Meta's to the download's top
        # folder, an ancestor of the chat file's: only those folders are tried, so a path
        # never reaches into another part of the zip.
        folder = self.base.rstrip("/")
        while True:
            info = self.entries.get(f"{folder}/{rel}" if folder else rel)
            if info is not None:
                return self._usable(info)
            if not folder:
                return None, "not in the export"
            folder = folder.rsplit("/", 1)[0] if "/" in folder else ""

    @staticmethod
    def _usable(info: zipfile.ZipInfo) -> tuple[str | None, str]:
        if _is_link(info):
            return None, "a link inside the export, not a file (not followed)"
        return info.filename, ""

    def mark(self, messages: Iterator[Message]) -> Iterator[Message]:
        for m in messages:
            if not m.attachments:
                yield m
                continue
            marked = []
            for a in m.attachments:
                entry, why = self.find(a.name)
                if entry is not None:
                    self.media.setdefault(a.name, entry)
                else:
                    self.absent_count += 1
                    if len(self.absent) < MAX_ABSENT_LISTED:
                        self.absent.append(
                            {"name": a.name, "message": m.n, "where": m.where, "why": why}
                        )
                marked.append(Attachment(a.name, entry is not None))
            yield _with_attachments(m, tuple(marked))


def _relative(ref: str) -> tuple[list[str] | None, str]:
    """The parts of a relative path a message points at, or (None, why it is not one)."""
    if ref.startswith(_NOT_INCLUDED):
        return None, "not included in the export (the export settings left it out)"
    r = ref.replace("\\", "/")
    if r.startswith("/") or (len(r) > 1 and r[1] == ":") or "://" in r or "\0" in r:
        return None, "the path is not inside the export"
    parts = [p for p in r.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None, "the path is not inside the export"
    return parts, ""


def _beside(folder: Path, ref: str) -> str:
    """Whether the file ``ref`` (relative, as the export writes it) exists in the export's
    folder on disk: "" if it does, else why not. Only looked at (lstat), never read; never
    outside the folder, never through a link. Meta's paths start at the download's top folder,
    so the folder's own trailing names may be the path's first ones."""
    parts, why = _relative(ref)
    if parts is None:
        return why
    tail = folder.parts
    roots = [folder] + [
        Path(*tail[:-k])
        for k in range(1, min(len(parts), len(tail)))
        if list(tail[-k:]) == parts[:k]
    ]
    for root in roots:
        cur = root
        try:
            for part in parts:
                cur = cur / part
                st = os.lstat(cur)
                if stat.S_ISLNK(st.st_mode):
                    return "a link in the export's folder, not a file (not followed)"
        except (OSError, ValueError):
            continue
        return "" if stat.S_ISREG(st.st_mode) else "not a file"
    return "not in the export's folder"


def _zip_export(zf: zipfile.ZipFile, entry: zipfile.ZipInfo) -> Reading:
    """A zipped Telegram Desktop (JSON or HTML) or Messenger/Instagram export."""
    if entry.flag_bits & 0x1:
        raise NotAChatError("the chat file inside the zip is encrypted")
    if entry.file_size > jsonchats.MAX_JSON_BYTES or (
        entry.compress_size and entry.file_size / entry.compress_size > MAX_RATIO
    ):
        raise NotAChatError(
            "the chat file inside the zip is too large or compressed too much to unpack safely"
        )
    entries = {
        i.filename: i
        for i in zf.infolist()
        if not i.is_dir() and i is not entry and not _unsafe_entry(i.filename)
    }
    base = entry.filename.rsplit("/", 1)[0] + "/" if "/" in entry.filename else ""
    refs = _ZipRefs(zf, base, entries, {})
    refs.unread = sorted(
        n for n in entries if _EXPORT_NAME.fullmatch(posixpath.basename(n)) is not None
    )
    if entry.filename.lower().endswith(".html"):
        summaries: list[Summary] = []
        messages = telegram_html.read(lambda: zf.open(entry), summaries)
        fmt = "telegram html zip"
    else:
        try:
            with zf.open(entry) as fh:
                raw = fh.read(jsonchats.MAX_JSON_BYTES + 1)
            doc = json.loads(raw.removeprefix(b"\xef\xbb\xbf"))
        except (ValueError, RecursionError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise NotAChatError(
                f"the chat file inside the zip is not valid JSON ({type(exc).__name__})"
            ) from exc
        reading = _json_doc(doc)
        summaries, messages = reading.summaries, reading.messages
        fmt = reading.format + " zip"
    refs.source = entry.filename
    return Reading(fmt, summaries, refs.mark(messages), refs.media, refs)


def _with_attachments(m: Message, attachments: tuple[Attachment, ...]) -> Message:
    from dataclasses import replace

    return replace(m, attachments=attachments)


def _mark_present(messages: Iterator[Message], media: dict[str, str]) -> Iterator[Message]:
    for m in messages:
        if m.attachments and any(a.name in media for a in m.attachments):
            m = Message(
                n=m.n,
                sender=m.sender,
                written=m.written,
                at=m.at,
                local=m.local,
                zone=m.zone,
                text=m.text,
                where=m.where,
                attachments=tuple(Attachment(a.name, a.name in media) for a in m.attachments),
                flags=m.flags,
                conversation=m.conversation,
            )
        yield m


def _discord_csv(path: Path) -> Reading:
    import csv
    import io

    summaries: list[Summary] = []

    def rows() -> Iterator[dict[str, str]]:
        with path.open("rb") as fh:
            text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="replace", newline="")
            yield from csv.DictReader(text)

    return Reading(
        "discord package csv", summaries, jsonchats.discord_package(rows(), summaries, "row")
    )


def _json(path: Path) -> Reading:
    if path.stat().st_size > jsonchats.MAX_JSON_BYTES:
        raise NotAChatError(
            f"it is larger than {jsonchats.MAX_JSON_BYTES // (1024 * 1024)} MB, more than this "
            "version of evkit reads as a chat export"
        )
    try:
        raw = path.read_bytes()
        doc = json.loads(raw.removeprefix(b"\xef\xbb\xbf"))
    except (ValueError, RecursionError) as exc:
        raise NotAChatError(f"it is not valid JSON ({type(exc).__name__})") from exc
    return _json_doc(doc)


def _json_doc(doc: Any) -> Reading:
    kind = jsonchats.kind(doc)
    summaries: list[Summary] = []
    if kind == "telegram":
        return Reading("telegram json", summaries, jsonchats.telegram(doc, summaries))
    if kind == "meta":
        return Reading("messenger/instagram json", summaries, jsonchats.meta(doc, summaries))
    if kind == "discord":
        return Reading("discordchatexporter json", summaries, jsonchats.discord(doc, summaries))
    if kind == "discord package":
        rows = jsonchats.discord_package(doc, summaries, "json")
        return Reading("discord package json", summaries, rows)
    raise NotAChatError("it is JSON, but not a chat export evkit knows")


def read_messages(path: Path, name: str) -> tuple[Reading, ExitStack]:
    """Open a stored export for reading; close the returned stack when done."""
    stack = ExitStack()
    try:
        return open_reading(path, name, stack), stack
    except BaseException:
        stack.close()
        raise


def message_rows(stored: Path, name: str, tz: str) -> Iterator[dict[str, Any]]:
    """Every message of a stored export as a dict (``evkit messages --json``'s form), streamed;
    nothing if it cannot be read as a conversation (its record says why)."""
    try:
        reading_, stack = read_messages(stored, name)
    except (NotAChatError, OSError):
        return
    with stack:
        for msg in reading_.messages:
            yield resolve_zone(msg, tz).to_dict()


class ChatExtractor:
    """Chat exports and mailboxes: conversations' summaries, identifiers, media as children."""

    name = "chat"

    def extract(self, path: Path, ctx: ExtractContext) -> Extraction:
        out = Extraction(extractor=self.name)
        with ExitStack() as stack:
            try:
                reading = open_reading(path, ctx.original_name, stack)
            except NotAChatError as exc:
                out.errors.append(f"not read as a chat export: {exc}")
                return out
            found: dict[tuple[str, str], Identifier] = {}
            from evidence_kit.extractors.textids import TextFinder

            finder = TextFinder(ctx.jurisdiction)

            spans: list[mbox.Span] = []
            if reading.format == "mbox":
                messages: Iterator[Message] = self._mbox(path, spans, reading.summaries[0])
            else:
                messages = reading.messages
            sent_in: dict[str, str] = {}  # media file name -> the message that attached it
            # An export added from a folder: which files its messages point at are not there.
            beside = (
                ctx.source_dir if reading.refs is None and reading.format in _FOLDERED else None
            )
            absent: list[dict[str, Any]] = []
            absent_count = checked = 0
            named: set[str] = set()  # senders already searched for a phone number
            for msg in messages:
                if beside is not None:
                    for a in msg.attachments:
                        if "<" in a.name or checked >= ctx.max_parts:
                            continue  # "<Media omitted>" names no file
                        checked += 1
                        if why := _beside(beside, a.name):
                            absent_count += 1
                            if len(absent) < MAX_ABSENT_LISTED:
                                absent.append(
                                    {
                                        "name": a.name,
                                        "message": msg.n,
                                        "where": msg.where,
                                        "why": why,
                                    }
                                )
                for a in msg.attachments:
                    if a.present and a.name not in sent_in:
                        sent_in[a.name] = f"message {msg.n}, {where_text(msg.where)}"
                if reading.format != "mbox":
                    reading.summaries[msg.conversation].add(msg)
                if (
                    msg.sender
                    and msg.sender not in named
                    and len(named) < MAX_SENDERS_CHECKED
                    and len(found) < MAX_IDENTIFIERS
                ):
                    # An unsaved contact is written as its number ("+44 7400 123456"): the
                    # one sign of who wrote a message that is not an address-book name.
                    named.add(msg.sender)
                    if any(c.isdigit() for c in msg.sender):
                        at = f"sender of {_where_text(msg)}"
                        for ident in finder.find(msg.sender, at):
                            found.setdefault((ident.kind, ident.value), ident)
                if (
                    len(found) < MAX_IDENTIFIERS
                    and "system" not in msg.flags
                    and _MAY_POINT.search(msg.text) is not None
                ):
                    where = _where_text(msg)
                    for ident in finder.find(msg.text, where):
                        found.setdefault((ident.kind, ident.value), ident)
            out.identifiers = list(found.values())[:MAX_IDENTIFIERS]
            for s in reading.summaries:
                if s.platform == "whatsapp":
                    whatsapp.cap_warnings(s, with_media=bool(reading.media))
                _platform_warnings(s)
            out.metadata["chat_format"] = reading.format
            out.metadata["phone_region"] = finder.describe()
            if finder.cut_short:
                out.errors.append(
                    "phone numbers were looked for only in the first part of very long "
                    "messages or very large chats; the messages themselves are kept whole"
                )
            if reading.refs is not None:
                for s in reading.summaries:  # made while the messages were read
                    s.source = s.source or reading.refs.source
            if reading.refs is not None and reading.refs.unread:
                unread = reading.refs.unread
                read = reading.summaries[0].source if reading.summaries else None
                out.metadata["chat_files_not_read"] = unread[:MAX_ABSENT_LISTED]
                for s in reading.summaries:
                    s.warn(
                        "zip-more-chats",
                        f"This zip holds {len(unread) + 1} chat files (more conversations, or "
                        f"later parts of this one); evkit read only '{read}'. "
                        "The zip is kept whole. To read the others, unzip it and add the folder "
                        "of each conversation with evkit add.",
                    )
            out.metadata["conversations"] = [s.to_dict() for s in reading.summaries]
            if not any(s.count for s in reading.summaries):
                out.errors.append("no messages could be read from this chat export")
            if reading.refs is not None:
                out.metadata["referenced_absent"] = {
                    "count": reading.refs.absent_count,
                    "files": reading.refs.absent,
                }
            elif beside is not None:
                out.metadata["referenced_absent"] = {"count": absent_count, "files": absent}
            if reading.media:
                self._media(path, reading, ctx, out, sent_in)
            if spans:
                self._mbox_children(path, spans, ctx, out)
        return out

    @staticmethod
    def _mbox(path: Path, spans: list[mbox.Span], summary: Summary) -> Iterator[Message]:
        for span, msg in mbox.messages(path):
            spans.append(span)
            summary.add(msg)
            yield msg

    @staticmethod
    def _mbox_children(
        path: Path, spans: list[mbox.Span], ctx: ExtractContext, out: Extraction
    ) -> None:
        ctx.scratch_dir.mkdir(parents=True, exist_ok=True)
        with path.open("rb") as fh:
            for i, span in enumerate(spans, 1):
                if i > ctx.max_parts:
                    out.errors.append(
                        f"only the first {ctx.max_parts} messages were saved as separate "
                        "items; the others stay inside the mailbox, unchanged"
                    )
                    break
                if span.end - span.start > ctx.max_child_bytes:
                    out.errors.append(f"message {i} is too large to save as a separate item")
                    continue
                target = ctx.scratch_dir / f"mbox-{i:06d}.eml"
                fh.seek(span.start)
                with target.open("wb") as w:
                    left = span.end - span.start
                    while left > 0:
                        chunk = fh.read(min(1 << 20, left))
                        if not chunk:
                            break
                        w.write(chunk)
                        left -= len(chunk)
                out.children.append(
                    Child(
                        path=target,
                        filename=f"message-{i:05d}.eml",
                        mime="message/rfc822",
                        role="mailbox message",
                        field=f"mbox.bytes[{span.start}:{span.end}]",
                    )
                )

    @staticmethod
    def _media(
        path: Path,
        reading: Reading,
        ctx: ExtractContext,
        out: Extraction,
        sent_in: dict[str, str],
    ) -> None:
        """Every file beside the chat text in the zip becomes a child item (never outside
        the scratch folder: the entry's name is only recorded, never used as a path)."""
        ctx.scratch_dir.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path) as zf:
            for i, (base, entry) in enumerate(sorted(reading.media.items()), 1):
                if i > ctx.max_parts:
                    out.errors.append(
                        f"only {ctx.max_parts} media files were saved as separate items; "
                        "the others stay inside the zip, unchanged"
                    )
                    break
                info = zf.getinfo(entry)
                if info.flag_bits & 0x1:
                    out.errors.append(f"{base}: encrypted inside the zip, kept inside it")
                    continue
                if info.file_size > ctx.max_child_bytes or (
                    info.compress_size and info.file_size / info.compress_size > MAX_RATIO
                ):
                    out.errors.append(f"{base}: too large to unpack, kept inside the zip")
                    continue
                target = ctx.scratch_dir / f"media-{i:06d}"
                try:
                    with zf.open(info) as src, target.open("wb") as dst:
                        written = 0
                        while chunk := src.read(1 << 20):
                            written += len(chunk)
                            if written > ctx.max_child_bytes:
                                raise ValueError("larger than declared")
                            dst.write(chunk)
                except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
                    target.unlink(missing_ok=True)
                    out.errors.append(f"{base}: could not be unpacked ({exc})")
                    continue
                out.children.append(
                    Child(
                        path=target,
                        filename=posixpath.basename(entry),
                        mime=None,
                        role=_MEDIA_ROLE,
                        field=f"zip:{entry}" + (f" ({sent_in[base]})" if base in sent_in else ""),
                    )
                )


def _where_text(msg: Message) -> str:
    return f"message {msg.n} ({where_text(msg.where)})"


def _platform_warnings(s: Summary) -> None:
    if s.notes.get("discord_package"):
        s.warn(
            "discord-package",
            "Discord's data package holds only the messages of the account that asked for it: "
            "the other people's messages are not in it. Keep screenshots of the whole "
            "conversation as well.",
        )
    elif s.platform == "discord":
        s.warn(
            "discord-export",
            "This file was made by an export tool, not by Discord. Also ask Discord for "
            "your data package (Settings, Privacy, Request data): it holds only your own "
            "messages, so keep this file too.",
        )
    if s.platform == "messenger/instagram":
        s.warn(
            "meta-e2ee",
            "End-to-end encrypted Messenger chats are missing from the normal 'Download your "
            "information' file. Download them separately from Messenger's settings "
            "(End-to-end encrypted chats, Message storage) if the chat was encrypted.",
        )
    if s.platform in ("telegram", "messenger/instagram", "discord"):
        s.warn(
            "names",
            "Names are display names the people chose; they are not proof of identity. "
            "Write down the account's username or ID shown in the app.",
        )


EXTRACTOR = ChatExtractor()
