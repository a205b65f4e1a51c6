"""Cheap tests on a file's first bytes: is this a chat export or a mailbox? (stdlib ``re`` only)

Used by the registry's declaration, before any reader is imported, like plaso's
``CheckRequiredFormat``: read the first lines, commit to a parse only if they look right.
"""

from __future__ import annotations

import re

#: Invisible marks WhatsApp writes around times and names (LRM, RLM, embeddings, isolates, BOM,
#: Arabic letter mark), removed before matching; other spaces become plain spaces; Arabic-Indic
#: digits become ASCII digits and the Arabic comma a comma.
NORMALISE = {
    **dict.fromkeys(
        (0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069),
        None,
    ),
    0xFEFF: None,
    0x061C: None,
    0x00A0: " ",
    0x202F: " ",
    0x2007: " ",
    0x2009: " ",
    0x060C: ",",
    **{0x0660 + i: str(i) for i in range(10)},
    **{0x06F0 + i: str(i) for i in range(10)},
}

_AMPM = (
    r"(?:[AaPp]\.?\s?[Mm]\.?|\u0645|\u0635|\u5348\u524d|\u5348\u5f8c|\uc624\uc804|\uc624\ud6c4"
    r"|\u0e01\u0e48\u0e2d\u0e19\u0e40\u0e17\u0e35\u0e48\u0e22\u0e07"
    r"|\u0e2b\u0e25\u0e31\u0e07\u0e40\u0e17\u0e35\u0e48\u0e22\u0e07|vorm\.|nachm\.)"
)
TIME = rf"(?P<time>\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?)\.?(?:\s?(?P<ampm>{_AMPM}))?"
DATE = (
    r"(?P<date>(?P<d1>\d{1,4})(?P<sep>[./-])\s?(?P<d2>\d{1,2})(?P=sep)\s?"
    r"(?P<d3>[RHST]?\d{1,4})(?P<era>\s?BE)?\.?)"
)
_JOIN = r"(?:,\s?|\s)(?:\u00e0\s|klo\s|um\s|at\s|a\s las\s|alle\s)?"
#: Android: ``20/01/19, 11:23 - Name: text``.
ANDROID = re.compile(rf"^{DATE}{_JOIN}{TIME}\s?[-\u2013]\s(?P<rest>.*)$", re.DOTALL)
#: iOS: ``[20/01/2019, 11:23:45] Name: text``.
IOS = re.compile(rf"^\[{DATE}{_JOIN}{TIME}\]\s(?P<rest>.*)$", re.DOTALL)
#: iOS with the time first (Vietnamese): ``[21:41:55, 3/27/22] Name: text``.
IOS_TIME_FIRST = re.compile(rf"^\[{TIME},?\s{DATE}\]\s(?P<rest>.*)$", re.DOTALL)
HEADERS = (ANDROID, IOS, IOS_TIME_FIRST)


def normalise(line: str) -> str:
    """The line with invisible marks removed and digits, spaces and commas made plain."""
    return line.translate(NORMALISE)


def looks_like_whatsapp(head: bytes) -> bool:
    """True if one of the first lines starts like a WhatsApp (or Signal-text) message."""
    text = head.decode("utf-8", "replace")
    lines = [ln for ln in text.split("\n")[:6] if ln.strip()]
    return any(h.match(normalise(ln).strip("\r")) for ln in lines[:5] for h in HEADERS)


_MBOX_FROM = re.compile(rb"^From \S*")
_HEADER = re.compile(rb"^[!-9;-~]+:[ \t]", re.MULTILINE)


def looks_like_mbox(head: bytes) -> bool:
    """A ``From `` separator line first, then e-mail headers."""
    h = head.removeprefix(b"\xef\xbb\xbf")
    if not _MBOX_FROM.match(h):
        return False
    rest = h.split(b"\n", 1)[1] if b"\n" in h else b""
    return bool(_HEADER.search(rest[:2048]))


_JSON_KEYS = (
    b'"messages"',
    b'"chats"',
    b'"sender_name"',
    b'"date_unixtime"',
    b'"timestamp_ms"',
)


def looks_like_chat_json(head: bytes) -> bool:
    """A JSON object with the keys of a Telegram, Meta or Discord chat export near the top,
    or the list of messages of Discord's own data package."""
    h = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if h.startswith(b"["):
        return re.match(rb'\[\s*\{\s*"ID"\s*:', h) is not None and b'"Timestamp"' in h
    return h.startswith(b"{") and any(k in h for k in _JSON_KEYS)


def looks_like_discord_csv(head: bytes) -> bool:
    """Discord's data package ``messages.csv``: ``ID,Timestamp,Contents,Attachments``."""
    return head.removeprefix(b"\xef\xbb\xbf").startswith(b"ID,Timestamp,Contents,Attachments")


def looks_like_chat_zip(head: bytes) -> bool:
    """A zip whose first entries look like a WhatsApp export (``_chat.txt``, ``-WA0001.jpg``)."""
    return head.startswith(b"PK\x03\x04") and (
        b"_chat.txt" in head
        or b"WhatsApp" in head
        or re.search(rb"-WA\d{4}\.", head) is not None
        or re.search(rb"\d{8}-(?:PHOTO|VIDEO|AUDIO|STICKER)-", head) is not None
        # Telegram Desktop (result.json, messages.html) and Messenger/Instagram (message_1.json)
        or re.search(rb"(?:^|/|\x00|[^\w])(?:result\.json|messages\d*\.html)", head) is not None
        or re.search(rb"message_\d+\.json", head) is not None
    )


def looks_like_chat(head: bytes) -> bool:
    """Any of the chat or mailbox shapes above."""
    if head.startswith(b"PK\x03\x04"):
        return looks_like_chat_zip(head)
    return (
        (b"<title>Exported Data</title>" in head and b"page_wrap" in head)  # Telegram HTML
        or looks_like_mbox(head)
        or looks_like_chat_json(head)
        or looks_like_discord_csv(head)
        or looks_like_whatsapp(head)
    )
