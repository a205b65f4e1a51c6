"""Conversations (issue 14): the chat readers against the shared corpus's golden values, the
projects' own expected parses, hostile input, and a generated WhatsApp export read back exactly.

Golden counts were made without the code under test: WhatsApp lines starting a message were
counted with grep, JSON messages with ``len(json.load(...)["messages"])``, mailbox separators
with ``grep -c '^From '`` and checked by eye (see the comments).
"""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_kit.extractors import ExtractContext, extract
from evidence_kit.extractors.chat import EXTRACTOR, read_messages, whatsapp
from evidence_kit.extractors.chat.model import Message, Summary

ROOT = Path(__file__).resolve().parents[2]
CHATS = ROOT.parent / "shared" / "corpus" / "chats"
EXPECTED = CHATS / "expected"


def _chats() -> Path:
    if not CHATS.is_dir():
        pytest.skip("shared corpus not available")
    return CHATS


def _read(path: Path) -> tuple[list[dict[str, Any]], list[Message]]:
    reading, stack = read_messages(path, path.name)
    with stack:
        msgs = list(reading.messages)
    for m in msgs:
        reading.summaries[m.conversation].add(m)
    return [s.to_dict() for s in reading.summaries], msgs


# name -> (messages per conversation, first, last, senders of the first conversation)
# Times: UTC (Z) where the file states the instant; else the wall-clock time as written.
GOLDEN: dict[str, tuple[list[int], str, str, set[str]]] = {
    "chatanalytics__2A_5M.txt": (
        [5],
        "2021-01-01T12:00:00",
        "2021-01-01T12:03:00",
        {"A", "B"},
    ),
    "chatanalytics__4A_11M.txt": (
        [14],  # 11 messages + E2E notice, "created group", "added you"
        "2020-09-12T23:16:00",  # 12/9/20 read day first: undecided (see below)
        "2020-09-12T23:56:00",
        {"Alice", "Bob", "Eve", "Mallory", "Trent"},
    ),
    "chatanalytics__4A_11M.zip": (
        [14],
        "2020-09-12T23:16:00",
        "2020-09-12T23:56:00",
        {"Alice", "Bob", "Eve", "Mallory", "Trent"},
    ),
    "chatminer__test_ddmmyy_24hrs.txt": (
        [9],
        "2019-01-01T11:25:00",
        "2021-12-30T22:01:00",
        {"John Doe", "Jahn Doe", "John-John Doe", "John Doe 🤓", "🤓"},
    ),
    "pustur-wcp__short-chat.txt": (
        [5],
        "2017-03-06T00:45:00",
        "2017-05-08T01:48:00",
        {"Sample User", "TestBot", "+410123456789"},
    ),
    "whatsjson__WhatsApp Chat - Elon Musk (EN+Media).txt": (
        [25],
        "2022-03-18T14:56:01",
        "2023-01-07T23:32:30",
        {"Elon Musk", "Dmitry S"},
    ),
    "whatsjson__WhatsApp Chat - Elon Musk (Arabic).txt": (
        [25],
        "2022-03-18T14:56:01",
        "2023-01-07T23:32:30",
        {"Elon Musk", "Dmitry S"},
    ),
    "whatsjson__arabic_ios.txt": (
        [23],  # Arabic-Indic digits, 12-hour م: 2:56:00 م is 14:56
        "2022-03-18T14:56:00",
        "2022-03-27T21:56:45",
        {"+40 521 028 61 88", "Dmitry S"},
    ),
    "whatsjson__Buddhist iOS.txt": (
        [28],  # 2565 BE is 2022
        "2022-03-18T14:56:01",
        "2023-01-12T15:35:15",
        {"Elon Musk", "Dmitry S"},
    ),
    "whatsjson__Japanese iOS.txt": (
        [28],  # R4 (Reiwa 4) is 2022
        "2022-03-18T14:56:01",
        "2023-01-12T15:35:15",
        {"Elon Musk", "Dmitry S"},
    ),
    "whatsjson__iOS Vietnamese.txt": (
        [28],
        "2022-03-18T14:56:01",
        "2023-01-12T15:35:15",
        {"Musk Elon", "Dmitry S"},
    ),
    "whatsjson__iOS Thai.txt": ([28], "2022-03-18T14:56:01", "2023-01-12T15:35:15", set()),
    "whatsjson__czech_android.txt": (
        [60],
        "2022-03-18T14:56:00",
        "2023-01-07T23:32:00",
        {"Dmitry S", "Elon"},
    ),
    "whatsjson__deutch_android_media.txt": (
        [41],
        "2022-03-18T14:56:00",
        "2023-01-07T23:32:00",
        set(),
    ),
    "whatsjson__WhatsApp Chat with Group Chat XXX Android.txt": (
        [20],
        "2023-01-11T16:11:00",
        "2023-01-11T16:57:00",
        {"Dmitry S"},
    ),
    "whatsjson__WhatsApp Chat - Elon Musk (RU).zip": (
        [25],
        "2022-03-18T14:56:00",
        "2023-01-07T23:32:30",
        {"Elon Musk", "Dmitry Starkov"},
    ),
    "pustur-wcp-web__whatsapp-chat-parser-example.zip": (
        [52],
        "2019-06-20T15:58:47",
        "2019-06-20T16:45:28",
        {"Loris", "John", "Emily"},
    ),
    "whatstk__lorem.txt": (
        [500],
        "2020-01-15T02:22:56",
        "2020-05-11T22:32:48",
        {"Mary", "Giuseppe", "John", "+1 123 456 789"},
    ),
    "whatstk__pokemon.txt": ([20], "2016-04-15T15:04:00", "2016-10-31T12:23:00", set()),
    "chatminer-signal__test_export.txt": (
        [2],
        "2019-12-24T12:23:00",
        "2020-01-17T21:49:00",
        {"Jane Doe", "John Doe"},
    ),
    "chatanalytics__DM_2A_7M.json": (
        [8],
        "2022-05-09T22:23:53Z",
        "2023-08-11T02:11:02Z",
        {"Alice", "Bob"},
    ),
    "chatanalytics__MultiChat_2C_6M.json": (
        [2, 4],
        "2023-01-01T12:00:00Z",
        "2023-01-01T12:01:00Z",
        set(),
    ),
    "chatanalytics__BIG_20A_5475M.json": (
        [5475],
        "2017-01-01T06:20:09.248Z",
        "2019-12-31T18:19:24.288Z",
        set(),
    ),
    "chatminer-telegram__test_single_export.json": (
        [2],
        "2018-12-05T10:39:10Z",
        "2018-12-05T10:49:24Z",
        {"Author 1", "Author 2"},
    ),
    "chatminer-telegram__test_batch_export.json": (
        [2],
        "2018-12-05T10:39:10Z",
        "2018-12-05T10:49:24Z",
        {"Author 1", "Author 2"},
    ),
    "chatanalytics__2A_7M.json": (
        [7],
        "2014-11-05T00:27:20.411Z",
        "2014-11-05T00:35:32.056Z",
        set(),
    ),
    "chatminer-instagram__test_export.json": (
        [2],
        "2019-12-24T11:23:00Z",
        "2020-01-17T20:49:00Z",
        {"John Doe", "Jane Doe"},
    ),
    "chatminer-messenger__testlog.json": (
        [2],
        "2022-11-16T19:50:03.612Z",
        "2022-11-16T19:50:03.612Z",
        {"John Doe", "Allan Smith"},
    ),
    "chatanalytics__DM_2A_2M.json": (
        [3],
        "2019-01-04T17:52:39.762Z",
        "2020-07-17T17:03:14.366Z",
        set(),
    ),
    "chatanalytics__GC_3A_5M.json": (
        [6],
        "2023-01-17T19:33:07.489Z",
        "2023-03-03T14:47:59.187Z",
        set(),
    ),
    "chatanalytics__SV_5A_5M.json": (
        [5],
        "2018-05-20T16:09:44.209Z",
        "2018-05-20T16:09:51.118Z",
        set(),
    ),
    # Mailboxes: separators counted by eye (grep -n '^From ', minus body lines).
    "mimekit__content-length.mbox.txt": (
        [29],
        "1992-09-25T21:13:02Z",
        "1997-08-19T04:07:07Z",
        set(),
    ),
    "mimekit__issue1189.mbox.txt": ([4], "2025-09-26T17:18:40Z", "2025-09-26T17:19:54Z", set()),
    "mimekit__unmunged.mbox.txt": ([2], "", "", set()),  # "From Russia with love" is body
    "gmime__substring.mbox": ([3], "2002-08-23T06:32:53Z", "2002-08-23T06:32:53Z", set()),
    "mailpile__tests.mbx": ([9], "2013-09-16T00:27:03Z", "2015-04-28T09:35:25Z", set()),
    "perl-mailbox__mbox.src": ([45], "1999-08-08T08:04:17Z", "2000-10-04T18:22:35Z", set()),
    "perl-mailbox__mbox.win": ([45], "1999-08-08T08:04:17Z", "2000-10-04T18:22:35Z", set()),
    "neomutt__banana.mbox": ([1], "2020-02-18T16:41:40Z", "2020-02-18T16:41:40Z", set()),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_counts_periods_and_senders(name: str) -> None:
    counts, first, last, senders = GOLDEN[name]
    convs, msgs = _read(_chats() / name)
    assert [c["count"] for c in convs] == counts
    assert len(msgs) == sum(counts)
    assert (convs[0]["first"] or convs[0]["first_local"] or "") == first
    assert (convs[0]["last"] or convs[0]["last_local"] or "") == last
    if senders:
        assert set(convs[0]["participants"]) == senders


def _by_text(msgs: list[Message]) -> set[tuple[str, str | None, str]]:
    return {(str(m.at or m.local)[:19], m.sender, " ".join(m.text.split())) for m in msgs}


@pytest.mark.parametrize(
    "name",
    [
        "chatminer__test_[mmddyy]_24hrs.txt",
        "chatminer__test_ddmmyy_24hrs.txt",
        "chatminer__test_mmddyy_24hrs.txt",
        "chatminer__test_mmddyyyy_12hrs.txt",
        "chatminer__test_yyyymmdd_24hrs.txt",
    ],
)
def test_chatminer_whatsapp_target(name: str) -> None:
    """chat-miner's expected parse (the same messages in five date formats) is in ours."""
    target = json.loads((EXPECTED / "chatminer-whatsapp__target.json").read_text("utf-8"))
    _convs, msgs = _read(_chats() / name)
    ours = _by_text(msgs)
    for row in target:
        assert (row["timestamp"], row["author"], " ".join(row["message"].split())) in ours


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_chatminer_dateformat_targets(n: int) -> None:
    _convs, msgs = _read(_chats() / f"chatminer__test_dateformat{n}.txt")
    ours = _by_text(msgs)
    with (EXPECTED / f"chatminer__test_dateformat{n}_target.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["author"] == "System" or row["message"] == "<Disappearing Message>":
            continue  # chat-miner's own labels, not text from the file
        when = row["timestamp"].replace(" ", "T")
        assert (when, row["author"], " ".join(row["message"].split())) in ours, row


def test_chatminer_unicode_target() -> None:
    _convs, msgs = _read(_chats() / "chatminer__test_unicode.txt")
    with (EXPECTED / "chatminer__test_unicode_target.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ours = {(m.sender, " ".join(m.text.replace("\xa0", " ").split())) for m in msgs}
    for row in rows:
        assert (row["author"], " ".join(row["message"].split())) in ours


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("chatminer-telegram__test_single_export.json", "chatminer-telegram__target.json"),
        ("chatminer-telegram__test_batch_export.json", "chatminer-telegram__target.json"),
        ("chatminer-instagram__test_export.json", "chatminer-instagram__target.json"),
        ("chatminer-signal__test_export.txt", "chatminer-signal__target.json"),
    ],
)
def test_chatminer_json_targets(name: str, target: str) -> None:
    rows = json.loads((EXPECTED / target).read_text("utf-8"))
    _convs, msgs = _read(_chats() / name)
    # Spaces are left out of the comparison: chat-miner joins Telegram's entity array with
    # spaces ("Link: https://..."), evkit joins it as written ("Link:https://...").
    ours = {(t, s, x.replace(" ", "")) for t, s, x in _by_text(msgs)}
    for row in rows:
        assert (row["timestamp"], row["author"], "".join(row["message"].split())) in ours


def test_messenger_target_and_mojibake_repaired() -> None:
    rows = json.loads((EXPECTED / "chatminer-messenger__target.json").read_text("utf-8"))
    _convs, msgs = _read(_chats() / "chatminer-messenger__testlog.json")
    assert {(m.sender, m.text, m.written) for m in msgs} == {
        (r["author"], r["message"], str(r["datetime"])) for r in rows
    }
    _convs, msgs = _read(_chats() / "chatminer-instagram__testlog.json")
    senders = {m.sender for m in msgs}
    assert "J\u2764\ufe0fhn Doe" in senders and "\u2764\ufe0f" in senders


def test_date_order_is_decided_from_the_whole_file_or_said_undecided() -> None:
    chats = _chats()
    convs, _ = _read(chats / "chatminer__test_mmddyy_24hrs.txt")
    order = convs[0]["date_order"]
    assert order["order"] == "MDY" and order["decided"] and "line 2" in order["basis"]
    convs, _ = _read(chats / "chatanalytics__4A_11M.txt")  # only 12/9/20: both readings work
    assert convs[0]["date_order"]["decided"] is False
    assert any(w["code"] == "date-order" for w in convs[0]["warnings"])
    convs, _ = _read(chats / "chatanalytics__2A_5M.txt")  # 1/1/21: either order, same date
    assert convs[0]["date_order"]["decided"] is True


def test_whatsapp_details_media_deleted_system_and_lines() -> None:
    _convs, msgs = _read(_chats() / "whatsjson__WhatsApp Chat - Elon Musk (EN+Media).txt")
    assert "system" in msgs[0].flags  # the iOS end-to-end notice, marked with U+200E
    assert msgs[2].attachments[0].name == "00000035-PHOTO-2022-03-27-21-41-55.jpg"
    assert msgs[2].where == {"lines": [3, 3]} and msgs[2].written == "3/27/22, 21:41:55"
    assert "deleted" in msgs[20].flags
    _convs, msgs = _read(_chats() / "whatsjson__WhatsApp Chat with Dmitry S EN+Media Android.txt")
    assert msgs[0].sender is None and "system" in msgs[0].flags
    assert msgs[3].text == "<Media omitted>\nCaption" and msgs[3].where == {"lines": [4, 5]}
    assert msgs[6].attachments[0].name == "PTT-20220323-WA0000.opus"


def test_zip_media_become_children_linked_by_name(tmp_path: Path) -> None:
    path = _chats() / "pustur-wcp-web__whatsapp-chat-parser-example.zip"
    ex = EXTRACTOR.extract(path, ExtractContext(tmp_path / "s", path.name))
    names = sorted(c.filename for c in ex.children)
    assert names == [
        "00000001-PHOTO-2019-06-20-16-00-15.jpg",
        "00000002-VIDEO-2019-06-20-16-01-42.mp4",
        "00000003-AUDIO-2019-06-20-16-03-55.mp3",
        "00000004-whatsapp-chat-parser-example.zip",
    ]  # not __MACOSX/._chat.txt, not the chat itself
    for child in ex.children:
        assert (tmp_path / "s") in child.path.parents
        with zipfile.ZipFile(path) as zf:
            entry = child.field.removeprefix("zip:").split(" (message ")[0]
            assert child.path.read_bytes() == zf.read(entry)
    fields = sorted(c.field for c in ex.children)
    assert fields[0] == (
        "zip:00000001-PHOTO-2019-06-20-16-00-15.jpg (message 16, _chat.txt, lines 16-16)"
    )
    _convs, msgs = _read(path)
    attached = [a for m in msgs for a in m.attachments]
    assert [a.present for a in attached] == [True] * 4


@pytest.mark.parametrize("name", ["neomutt__cherry.mbox", "neomutt__fig.mbox"])
def test_damaged_mailboxes_are_preserved_with_a_reason(name: str, tmp_path: Path) -> None:
    path = _chats() / name
    ex = extract(path, "text/plain", ExtractContext(tmp_path / "s", path.name))
    assert ex.extractor == "chat" and ex.errors and not ex.children
    assert "not read as a chat export" in ex.errors[0]


def test_mbox_children_are_the_exact_byte_ranges(tmp_path: Path) -> None:
    path = _chats() / "mimekit__unmunged.mbox.txt"
    ex = EXTRACTOR.extract(path, ExtractContext(tmp_path / "s", path.name))
    data = path.read_bytes()
    assert len(ex.children) == 2
    for child in ex.children:
        start, end = child.field.removeprefix("mbox.bytes[").rstrip("]").split(":")
        assert child.path.read_bytes() == data[int(start) : int(end)]
        assert b"From Russia with love" in child.path.read_bytes()


# ---- hostile input ------------------------------------------------------------------------
_ODD = st.text(
    alphabet=st.sampled_from(
        list('0123456789/.,:-[] apmAPM<>\n\r\t~"{}') + ["\u200e", "\u202f", "\u060c", "\u0661"]
    ),
    max_size=300,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(st.text(max_size=300), _ODD))
def test_arbitrary_text_never_raises(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    summary = Summary("whatsapp")
    for m in whatsapp.read(lambda: iter(data.splitlines(keepends=True)), summary):
        summary.add(m)
    summary.to_dict()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        _ODD.map(lambda t: t.encode()),
        st.builds(lambda t: b'{"messages": ' + t.encode() + b"}", st.text(max_size=80)),
        st.builds(lambda t: b"From x@y Mon Jan  1\nA: b\n\n" + t, st.binary(max_size=200)),
        st.builds(
            lambda t: (
                b'<title>Exported Data</title><div class="page_wrap">'
                b'<div class="message default" id="message1">' + t.encode()
            ),
            st.text(
                alphabet=st.sampled_from(list('<>/="divclassmessagetextfrom_name ')), max_size=200
            ),
        ),
    ),
    name=st.sampled_from(["a.txt", "a.json", "a.mbox", "a.zip", "_chat.txt"]),
)
def test_arbitrary_bytes_never_escape_the_extractor(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / "in"
    path.write_bytes(data)
    ex = EXTRACTOR.extract(path, ExtractContext(tmp_path / "s", name))
    json.dumps(ex.to_dict())


# ---- a generated export reads back exactly ------------------------------------------------
_FORMATS = [
    # (header template, date order, seconds, 12-hour)
    ("{d}/{m}/{y2}, {H}:{M} - ", "DMY", False, False),
    ("{m}/{d}/{y2}, {H}:{M} - ", "MDY", False, False),
    ("{d}.{m}.{y4}, {H}:{M} - ", "DMY", False, False),
    ("{d}-{m}-{y4} {H}:{M} - ", "DMY", False, False),
    ("{y4}/{m}/{d}, {H}:{M} - ", "YMD", False, False),
    ("[{d}/{m}/{y4}, {H}:{M}:{S}] ", "DMY", True, False),
    ("[{m}/{d}/{y2}, {h}:{M}:{S}\u202f{ampm}] ", "MDY", True, True),
    ("\u200e[{d}.{m}.{y2}, {H}:{M}:{S}] ", "DMY", True, False),
    ("{m}/{d}/{y4}, {h}:{M}\u00a0{ampm} - ", "MDY", False, True),
    # iOS in Arabic: RLM marks inside the date, the Arabic comma, and (below) Arabic-Indic digits
    ("\u200f[{d}\u200f/{m}\u200f/{y4}\u060c {H}:{M}:{S}] ", "DMY", True, False),
    ("[{d}\u200f/{m}\u200f/{y4}\u060c {h}:{M}:{S}\u00a0{ampm}] ", "DMY", True, True),
]
_ARABIC_DIGITS = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)
_NAME = st.text(
    alphabet=st.characters(
        whitelist_categories=("L", "N"), blacklist_characters="\u0660\u0661\u0662\u0663"
    ),
    min_size=1,
    max_size=12,
).map(lambda s: s.strip() or "x")
_LINE = (
    st.text(
        alphabet=st.characters(
            whitelist_categories=("L", "N", "P", "Zs"),
            blacklist_characters="\u00a0\u202f\u2007\u2009\u3000\u1680[<",
        ),
        min_size=1,
        max_size=40,
    )
    .map(lambda s: s.strip() or "x")
    .filter(lambda s: not s[0].isdigit())
)


@st.composite
def _export(draw: st.DrawFn) -> tuple[str, list[tuple[str, str, str]], str]:
    template, order, seconds, twelve = draw(st.sampled_from(_FORMATS))
    n = draw(st.integers(min_value=1, max_value=12))
    people = draw(st.lists(_NAME, min_size=1, max_size=3, unique=True))
    out: list[str] = []
    expected: list[tuple[str, str, str]] = []
    # One day above 12 in the first message, so the day/month order is decidable.
    day0 = 13 if order != "YMD" else 5
    for i in range(n):
        day, month = (day0 if i == 0 else draw(st.integers(1, 28))), draw(st.integers(1, 12))
        year = draw(st.integers(2010, 2030))
        hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
        second = draw(st.integers(0, 59)) if seconds else 0
        h12 = hour % 12 or 12
        header = template.format(
            d=f"{day:02d}",
            m=f"{month:02d}",
            y2=f"{year % 100:02d}",
            y4=f"{year}",
            H=f"{hour:02d}",
            M=f"{minute:02d}",
            S=f"{second:02d}",
            h=f"{h12}",
            ampm="PM" if hour >= 12 else "AM",
        )
        if "\u060c" in template and draw(st.booleans()):
            header = (
                header.translate(_ARABIC_DIGITS).replace("PM", "\u0645").replace("AM", "\u0635")
            )
        sender = draw(st.sampled_from(people))
        lines = draw(st.lists(_LINE, min_size=1, max_size=3))
        text = "\n".join(lines)
        out.append(f"{header}{sender}: {text}")
        expected.append(
            (f"{year}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}", sender, text)
        )
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(out) + newline, expected, order


@settings(max_examples=150, deadline=None)
@given(export=_export())
def test_generated_export_parses_back_exactly(
    export: tuple[str, list[tuple[str, str, str]], str],
) -> None:
    text, expected, order = export
    data = text.encode("utf-8")
    summary = Summary("whatsapp")
    msgs = list(whatsapp.read(lambda: iter(data.splitlines(keepends=True)), summary))
    assert [(m.local, m.sender, m.text) for m in msgs] == expected
    assert summary.notes["date_order"]["order"] == order
    assert summary.notes["date_order"]["decided"]


def test_reading_is_the_same_twice() -> None:
    path = _chats() / "whatstk__lorem.txt"
    with ExitStack():
        first, _ = _read(path)
        second, _ = _read(path)
    assert first[0]["messages_sha256"] == second[0]["messages_sha256"]


# ---- Discord's own data package (no public sample exists: made here from its documented
# columns ID,Timestamp,Contents,Attachments) --------------------------------------------------
def test_discord_package_csv_and_json(tmp_path: Path) -> None:
    csv_path = tmp_path / "messages.csv"
    csv_path.write_text(
        "ID,Timestamp,Contents,Attachments\n"
        "1001,2021-06-12 18:52:33.146000+00:00,send the code,\n"
        '1002,2021-06-12 19:53:00.000000+01:00,"two\nlines",https://cdn.example/a.png\n'
    )
    convs, msgs = _read(csv_path)
    assert convs[0]["platform"] == "discord" and convs[0]["count"] == 2
    assert [m.at for m in msgs] == ["2021-06-12T18:52:33.146Z", "2021-06-12T18:53:00Z"]
    assert msgs[1].text == "two\nlines" and msgs[1].where == {"row": 2}
    assert msgs[1].attachments[0].name == "https://cdn.example/a.png"
    assert any(w["code"] == "discord-package" for w in _warnings(csv_path))
    json_path = tmp_path / "messages.json"
    json_path.write_text('[{"ID": 1, "Timestamp": "2024-01-02 10:00:00", "Contents": "hi"}]')
    convs, msgs = _read(json_path)
    assert msgs[0].local == "2024-01-02T10:00:00" and msgs[0].at is None  # no zone written
    assert msgs[0].where == {"json": "[0]"}


def _warnings(path: Path) -> list[dict[str, str]]:
    ex = EXTRACTOR.extract(path, ExtractContext(path.parent / "s", path.name))
    return list(ex.metadata["conversations"][0]["warnings"])


# ---- Telegram Desktop HTML (no public sample: tests/assets/chats/telegram_messages.html was
# written here after the export's template: page_header, message default/joined/service,
# date details title "DD.MM.YYYY HH:MM:SS UTC+hh:mm", media_wrap, forwarded, reply_to) --------
def test_telegram_html_export() -> None:
    path = ROOT / "tests" / "assets" / "chats" / "telegram_messages.html"
    convs, msgs = _read(path)
    assert convs[0]["platform"] == "telegram" and convs[0]["title"] == "Mark Investments"
    assert [m.sender for m in msgs] == [None, "Mark <Support>", "Mark <Support>", "Jane"]
    assert "system" in msgs[0].flags
    assert msgs[1].at == "2026-11-20T08:14:05Z" and msgs[1].zone == "file"
    assert msgs[1].text == "Send 500 to scam.example/pay\ntoday"
    assert msgs[1].where == {"lines": [47, 77], "html_id": "message101"}
    assert msgs[2].attachments[0].name == "photos/photo_1@20-11-2026_09-15-00.jpg"
    assert msgs[3].at == "2026-11-20T09:00:00Z"  # its own time, not the forwarded one's
    assert {"forwarded", "reply"} <= set(msgs[3].flags)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("WhatsApp Chat with Mark.txt", "Mark"),
        ("WhatsApp Chat with Mark (2).zip", "Mark"),
        ("WhatsApp Chat - Elon Musk.zip", "Elon Musk"),
        ("Chat de WhatsApp con Mark.txt", "Mark"),
        ("WhatsApp-Chat mit Oma.txt", "Oma"),
        (
            "\u0427\u0430\u0442 WhatsApp \u0441\u00a0"
            "\u043a\u043e\u043d\u0442\u0430\u043a\u0442\u043e\u043c Dmitry.txt",
            "Dmitry",
        ),
        ("_chat.txt", None),
        ("notes.txt", None),
    ],
)
def test_chat_title_from_the_export_name(name: str, title: str | None) -> None:
    assert whatsapp.title_from_name(name) == title


def test_an_export_at_whatsapps_cap_is_said_to_be_probably_incomplete() -> None:
    lines = b"".join(
        b"13/01/2026, 10:%02d - Mark: message %d\n" % (i % 60, i) for i in range(40_000)
    )
    summary = Summary("whatsapp")
    for m in whatsapp.read(lambda: iter(lines.splitlines(keepends=True)), summary):
        summary.add(m)
    whatsapp.cap_warnings(summary, with_media=False)
    assert summary.count == 40_000
    assert any(w["code"] == "export-cap" for w in summary.warnings)
    small = Summary("whatsapp")
    small.count = 9_600
    whatsapp.cap_warnings(small, with_media=False)
    assert not any(w["code"] == "export-cap" for w in small.warnings)
    whatsapp.cap_warnings(small, with_media=True)  # 10,000 with media: 9,600 is close to it
    assert any(w["code"] == "export-cap" for w in small.warnings)


def test_a_line_without_end_is_read_in_pieces(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(b"13/01/2026, 10:00 - Mark: " + b"x" * (3 * 1024 * 1024))
    convs, msgs = _read(path)
    assert convs[0]["count"] == 1 and len(msgs[0].text) == 3 * 1024 * 1024 + 3  # 3 joins
    assert msgs[0].where == {"lines": [1, 4]}  # four pieces of at most 1 MiB


def test_zip_entry_names_never_become_paths(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat with Mark.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("_chat.txt", "13/01/2026, 10:00 - Mark: ../../evil.jpg (file attached)\n")
        zf.writestr("../../evil.jpg", b"\xff\xd8\xffevil")
        zf.writestr("/etc/passwd", b"root")
        zf.writestr("a/\x1b[31mred.jpg", b"red")
    scratch = tmp_path / "deep" / "scratch"
    ex = EXTRACTOR.extract(path, ExtractContext(scratch, path.name))
    assert len(ex.children) == 3
    for child in ex.children:
        assert child.path.parent == scratch and child.path.name.startswith("media-")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [path.name, *(c.path.name for c in ex.children)]
    )
    assert {c.filename for c in ex.children} == {"evil.jpg", "passwd", "\x1b[31mred.jpg"}


def test_a_uk_national_number_in_a_whatsapp_message_is_read_in_the_cases_plan(
    tmp_path: Path,
) -> None:
    """Deliverable 3: "07400 123456" is +44 7400 123456 in a case in England and Wales, and
    not a phone number at all when the case says nothing about where it is."""
    chat = tmp_path / "WhatsApp Chat with Mark.txt"
    chat.write_text(
        "20/11/2026, 09:14 - Mark: hello\n"
        "20/11/2026, 09:15 - Mark: my new number is 07400 123456\n"
        "pay to DE89 3704 0044 0532 0130 00 or DE89 3704 0044 0532 0130 01\n"
    )
    ctx = ExtractContext(tmp_path / "s", chat.name, jurisdiction="England and Wales")
    ex = EXTRACTOR.extract(chat, ctx)
    phones = [i for i in ex.identifiers if i.kind == "phone"]
    assert [(i.value, i.country, i.field) for i in phones] == [
        ("+447400123456", "GB", "message 2 (lines 2-3)")
    ]
    ibans = [i for i in ex.identifiers if i.kind == "iban"]
    assert [(i.value, i.country, i.bank) for i in ibans] == [
        ("DE89370400440532013000", "DE", "Commerzbank")
    ]
    assert ex.metadata["phone_region"]["region"] == "GB"
    ex = EXTRACTOR.extract(chat, ExtractContext(tmp_path / "s", chat.name))
    assert not [i for i in ex.identifiers if i.kind == "phone"]
    assert ex.metadata["phone_region"] == {"region": None, "jurisdiction": None}


def _telegram_zip(path: Path) -> None:
    """A zipped Telegram Desktop export: one photo present, and references that must not
    become files (missing, ``..``, absolute, not downloaded, a link entry)."""
    import stat

    refs = [
        ("photo", "photos/p1.jpg"),
        ("file", "files/missing.pdf"),
        ("file", "../../outside.txt"),
        ("file", "/etc/passwd"),
        ("photo", "(File not included. Change data exporting settings to download.)"),
        ("file", "files/link.txt"),
    ]
    doc = {
        "name": "Mark",
        "type": "personal_chat",
        "messages": [
            {
                "id": n,
                "type": "message",
                "date": "2026-11-20T09:14:00",
                "date_unixtime": str(1795165440 + n),
                "from": "Mark",
                key: ref,
                "text": "",
            }
            for n, (key, ref) in enumerate(refs, 1)
        ],
    }
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ChatExport_2026-11-20/result.json", json.dumps(doc))
        zf.writestr("ChatExport_2026-11-20/photos/p1.jpg", b"\xff\xd8\xffjpeg")
        zf.writestr("ChatExport_2026-11-20/unreferenced.jpg", b"\xff\xd8\xffother")
        zf.writestr("outside.txt", b"not the chat's")
        link = zipfile.ZipInfo("ChatExport_2026-11-20/files/link.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")


def test_a_zipped_telegram_export_links_the_files_it_holds_and_lists_the_others(
    tmp_path: Path,
) -> None:
    z = tmp_path / "Telegram Desktop.zip"
    _telegram_zip(z)
    scratch = tmp_path / "scratch"
    ex = extract(z, "application/zip", ExtractContext(scratch, z.name))
    assert ex.extractor == "chat" and not ex.errors, ex.errors
    assert ex.metadata["chat_format"] == "telegram json zip"
    (child,) = ex.children
    assert child.filename == "p1.jpg" and child.role == "chat media"
    assert child.field == "zip:ChatExport_2026-11-20/photos/p1.jpg (message 1, messages[0])"
    assert child.path.parent == scratch and child.path.read_bytes() == b"\xff\xd8\xffjpeg"
    absent = ex.metadata["referenced_absent"]
    assert absent["count"] == 5
    assert [(f["name"], f["message"], f["why"]) for f in absent["files"]] == [
        ("files/missing.pdf", 2, "not in the export"),
        ("../../outside.txt", 3, "the path is not inside the export"),
        ("/etc/passwd", 4, "the path is not inside the export"),
        (
            "(File not included. Change data exporting settings to download.)",
            5,
            "not included in the export (the export settings left it out)",
        ),
        ("files/link.txt", 6, "a link inside the export, not a file (not followed)"),
    ]
    reading, stack = read_messages(z, z.name)
    with stack:
        msgs = list(reading.messages)
    assert [a.present for m in msgs for a in m.attachments] == [True] + [False] * 5
    # Read again later (evkit messages), the same messages: the recorded reading holds.
    digest = hashlib.sha256(b"".join(m.line() for m in msgs)).hexdigest()
    assert ex.metadata["conversations"][0]["messages_sha256"] == "sha256:" + digest
    # The limit on parts holds: nothing is unpacked beyond it, and the record says so.
    ex = extract(z, "application/zip", ExtractContext(tmp_path / "s2", z.name, max_parts=0))
    assert not ex.children and any("only 0 media files" in e for e in ex.errors)


def test_a_zipped_messenger_download_finds_photos_from_the_downloads_top_folder(
    tmp_path: Path,
) -> None:
    inbox = "facebook-jane/your_activity_across_facebook/messages/inbox/mark_123"
    uri = "your_activity_across_facebook/messages/inbox/mark_123/photos/1.jpg"
    doc = {
        "participants": [{"name": "Mark"}, {"name": "Jane"}],
        "messages": [
            {"sender_name": "Mark", "timestamp_ms": 1795165440000, "photos": [{"uri": uri}]},
            {
                "sender_name": "Mark",
                "timestamp_ms": 1795165450000,
                "videos": [{"uri": "messages/inbox/mark_123/videos/gone.mp4"}],
            },
        ],
        "title": "Mark",
    }
    z = tmp_path / "facebook-jane.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(f"{inbox}/message_1.json", json.dumps(doc))
        zf.writestr(f"facebook-jane/{uri}", b"\xff\xd8\xffphoto")
        zf.writestr("facebook-jane/your_activity_across_facebook/other/1.jpg", b"x")
        zf.writestr(f"{inbox}/message_2.json", json.dumps(doc))  # a later part: not read
    ex = extract(z, "application/zip", ExtractContext(tmp_path / "s", z.name))
    assert ex.metadata["chat_format"] == "messenger/instagram json zip", ex.errors
    assert [c.field.split(" (")[0] for c in ex.children] == [f"zip:facebook-jane/{uri}"]
    absent = ex.metadata["referenced_absent"]
    assert absent["count"] == 1 and absent["files"][0]["message"] == 2
    # What was not read is said, never silently left out.
    assert ex.metadata["chat_files_not_read"] == [f"{inbox}/message_2.json"]
    (conv,) = ex.metadata["conversations"]
    assert conv["source"] == f"{inbox}/message_1.json"
    assert any(w["code"] == "zip-more-chats" for w in conv["warnings"])


def test_a_zipped_telegram_html_export_links_its_photo(tmp_path: Path) -> None:
    page = (ROOT / "tests" / "assets" / "chats" / "telegram_messages.html").read_bytes()
    z = tmp_path / "ChatExport.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("ChatExport_2026-11-20/messages.html", page)
        zf.writestr("ChatExport_2026-11-20/photos/photo_1@20-11-2026_09-15-00.jpg", b"\xff\xd8")
    ex = extract(z, "application/zip", ExtractContext(tmp_path / "s", z.name))
    assert ex.metadata["chat_format"] == "telegram html zip", ex.errors
    assert ex.metadata["conversations"][0]["count"] == 4
    (child,) = ex.children
    assert child.filename == "photo_1@20-11-2026_09-15-00.jpg"
    assert "(message 3, lines " in child.field
    assert ex.metadata["referenced_absent"] == {"count": 0, "files": []}


def test_a_sender_written_as_a_phone_number_is_an_identifier(tmp_path: Path) -> None:
    """An unsaved contact appears under its number: that number points at the sender."""
    chat = tmp_path / "WhatsApp Chat with Mark.txt"
    chat.write_text(
        "20/11/2026, 09:14 - \u202a+44\u00a07400\u00a0123456\u202c: hello\n"
        "20/11/2026, 09:15 - \u202a+44\u00a07400\u00a0123456\u202c: it's me\n"
        "20/11/2026, 09:16 - Mum 2: ok\n"
    )
    ex = EXTRACTOR.extract(chat, ExtractContext(tmp_path / "s", chat.name))
    phones = [(i.value, i.field, i.country) for i in ex.identifiers if i.kind == "phone"]
    assert phones == [("+447400123456", "sender of message 1 (lines 1-1)", "GB")]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.sampled_from(["..", ".", "", "secret", "link", "export", "a", "inside", "C:"]),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["/", "\\"]),
)
def test_a_referenced_path_never_leaves_the_exports_folder(
    tmp_path: Path, parts: list[str], sep: str
) -> None:
    from evidence_kit.extractors.chat.extractor import _beside

    folder = tmp_path / "export"
    if not folder.exists():
        (folder / "a").mkdir(parents=True)
        (folder / "a" / "inside").write_bytes(b"in")
        (tmp_path / "secret").write_bytes(b"out")
        (folder / "link").symlink_to(tmp_path / "secret")
    ref = sep.join(parts)
    why = _beside(folder, ref)
    if "secret" in parts or "link" in parts:
        assert why, ref  # only the file outside, or the link to it, is named: never found
    if why == "":
        assert [p for p in parts if p not in ("", ".")][-2:] == ["a", "inside"], ref
