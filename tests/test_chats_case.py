"""Conversations in a case (issue 14): every corpus chat and mailbox is added, the case verifies
(evkit, bagit, sha256sum -c), and ``evkit messages`` / ``evkit show`` read them back."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from conftest import CaseFactory, Runner, corpus_or_skip
from test_external_validators import check_with_external_tools

from evidence_kit.app.messages import MessageFilter, list_messages
from evidence_kit.ingest.add import add_files
from evidence_kit.store.signing import Signer
from evidence_kit.verify.checks import FolderSource, verify_source


def _quiet(_message: str) -> None:
    return None


def test_every_chat_is_added_and_the_case_verifies(make_case: CaseFactory, signer: Signer) -> None:
    chats = corpus_or_skip() / "chats"
    case = make_case()
    report = add_files(case, signer, [str(chats)])
    assert not report.failures, report.failures
    items = case.items()
    top = {Path(str(it.original.get("path"))).name: it for it in items.values() if not it.parent}
    for path in chats.iterdir():
        if path.is_file():
            assert path.name in top, path
    for name in ("neomutt__cherry.mbox", "neomutt__fig.mbox"):
        ex = top[name].extraction or {}
        assert ex["extractor"] == "chat" and ex["errors"], name  # preserved, with the reason
    # The WhatsApp zip's media are items of their own, linked to the messages that sent them.
    z = top["pustur-wcp-web__whatsapp-chat-parser-example.zip"]
    children = {it.name: it.id for it in items.values() if it.parent and it.parent["id"] == z.id}
    assert "00000001-PHOTO-2019-06-20-16-00-15.jpg" in children
    found = list_messages(
        case.root,
        z.id,
        MessageFilter(grep="PHOTO"),
        get_signer=lambda: signer,
        on_recover=_quiet,
    )
    assert found.total == 52 and found.shown == 1 and not found.reading_differs
    att = found.messages[0].attachments[0]
    assert att.item == children[att.name]
    assert found.messages[0].at == "2019-06-20T15:00:15Z"  # 16:00:15 in Europe/London (BST)
    assert found.messages[0].zone == "collector:Europe/London"
    # Each mailbox message is a child e-mail, read by the e-mail extractor, with its byte range.
    mb = top["perl-mailbox__mbox.src"]
    mails = [it for it in items.values() if it.parent and it.parent["id"] == mb.id]
    assert len(mails) == 45
    assert all((it.extraction or {}).get("extractor") == "email" for it in mails)
    assert all(str(it.original.get("field")).startswith("mbox.bytes[") for it in mails)
    assert verify_source(FolderSource(case.root)).intact
    check_with_external_tools(case.root)


def test_messages_and_show_from_the_command_line(
    make_case: CaseFactory, signer: Signer, evk: Runner
) -> None:
    chats = corpus_or_skip() / "chats"
    case = make_case()
    add_files(
        case, signer, [str(chats / "whatsjson__WhatsApp Chat with Dmitry S EN+Media Android.txt")]
    )
    code, out = evk("-C", case.root, "messages", "E0001", "--from", "elon", "--since", "2022-03-23")
    assert code == 0, out
    assert "2022-03-23T13:32:00Z  Elon: IMG-20220323-WA0002.jpg (file attached)" in out
    assert "Dmitry S:" not in out
    code, out = evk("-C", case.root, "messages", "E0001", "--grep", "caption", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["shown"] == 4 and doc["total"] == 60  # "Caption" and three captioned files
    assert doc["messages"][0]["where"] == {"lines": [4, 5]}
    assert doc["messages"][0]["zone"] == "collector:Europe/London"
    code, out = evk("-C", case.root, "show", "E0001")
    assert code == 0, out
    assert "Participants   2: Dmitry S, Elon" in out
    assert "address book" in out
    code, out = evk("-C", case.root, "messages", "E0009")
    assert code == 2, out


def test_hostile_names_and_text_are_shown_visibly(
    make_case: CaseFactory, signer: Signer, evk: Runner, tmp_path: Path
) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text("[13/01/2026, 10:00:00] Mark\x1b[31m: pay now\x1b]0;x\x07 \u202eIBAN\n")
    case = make_case()
    add_files(case, signer, [str(chat)])
    code, out = evk("-C", case.root, "messages", "E0001")
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out
    assert "\\x1b" in out and "\\u202e" in out


def test_timeline_groups_messages_per_conversation_and_day(
    make_case: CaseFactory, signer: Signer, evk: Runner
) -> None:
    chats = corpus_or_skip() / "chats"
    case = make_case()
    add_files(
        case,
        signer,
        [
            str(chats / "whatsjson__WhatsApp Chat with Dmitry S EN+Media Android.txt"),
            str(chats / "chatminer-telegram__test_single_export.json"),
        ],
    )
    code, out = evk("-C", case.root, "timeline", "--json")
    assert code == 0, out
    rows = [r for r in json.loads(out) if str(r["field"]).startswith("conversations[")]
    # 60 WhatsApp messages on 4 days (counted by hand: 7 + 7 + 44 + 2), 2 Telegram on 1 day.
    assert [(r["item"], r["field"][-10:]) for r in rows] == [
        ("E0002", "2018-12-05"),
        ("E0001", "2022-03-18"),
        ("E0001", "2022-03-23"),
        ("E0001", "2022-03-27"),
        ("E0001", "2023-01-07"),
    ]
    assert "44 message(s) on 2022-03-27" in rows[3]["what"]
    assert rows[0]["zone_known"] and not rows[1]["zone_known"]
    code, out = evk("-C", case.root, "timeline", "--all", "--json")
    assert code == 0, out
    messages = [r for r in json.loads(out) if " message " in r["what"]]
    assert len(messages) == 62
    first = next(r for r in messages if r["item"] == "E0001")
    assert first["at"] == "2022-03-18T14:56:00Z" and first["field"] == "lines 2-2"
    assert any("read as Europe/London" in f for f in first["flags"])


def test_report_has_the_conversations_escaped_and_withholds_sensitive_ones(
    make_case: CaseFactory, signer: Signer, evk: Runner, tmp_path: Path
) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "[13/01/2026, 10:00:00] Mark<script>: pay GB33BUKB20201555555555 <img src=x>\n"
        "[13/01/2026, 10:01:00] Jane: no\n"
    )
    secret = tmp_path / "secret.txt"
    secret.write_text("[14/01/2026, 10:00:00] Ex: private words\n")
    case = make_case()
    add_files(case, signer, [str(chat)])
    add_files(case, signer, [str(secret)], sensitive=True)
    code, out = evk("-C", case.root, "report")
    assert code == 0, out
    page = (case.root / "evkit" / "report" / "index.html").read_text("utf-8")
    section = page[page.index('id="conversations"') :]
    section = section[: section.index("</section>")]
    assert "Mark&lt;script&gt;" in section and "<script" not in section
    assert "&lt;img src=x&gt;" in section and "<img" not in section
    assert "iban: GB33BUKB20201555555555" in section and "lines 1-1" in section
    assert "private words" not in page and "Ex" not in section
    assert "1 conversation(s) in sensitive items are withheld" in section
    snapshot = json.loads((case.root / "evkit" / "report" / "case.json").read_text("utf-8"))
    assert snapshot["conversations"]["withheld"] == 1
    assert [c["item"] for c in snapshot["conversations"]["conversations"]] == ["E0001"]
    assert verify_source(FolderSource(case.root)).intact


def test_an_unzipped_export_links_the_files_beside_it(
    make_case: CaseFactory, signer: Signer, tmp_path: Path
) -> None:
    folder = tmp_path / "WhatsApp Chat - Mark"
    folder.mkdir()
    (folder / "_chat.txt").write_text(
        "[20/11/2026, 09:14:00] Mark: \u200e<attached: 00000001-PHOTO-2026-11-20-09-14-00.jpg>\n"
        "[20/11/2026, 09:15:00] Mark: \u200e<attached: 00000002-missing.jpg>\n"
    )
    (folder / "00000001-PHOTO-2026-11-20-09-14-00.jpg").write_bytes(b"\xff\xd8\xff\xe0photo")
    case = make_case()
    add_files(case, signer, [str(folder)])
    chat = next(it for it in case.items().values() if it.name == "_chat.txt")
    photo = next(it for it in case.items().values() if it.name.endswith(".jpg"))
    found = list_messages(
        case.root, chat.id, MessageFilter(), get_signer=lambda: signer, on_recover=_quiet
    )
    first, second = (m.attachments[0] for m in found.messages)
    assert (first.present, first.item) == (True, photo.id)
    assert (second.present, second.item) == (False, None)


def test_damaged_exports_are_preserved_with_the_reason(
    make_case: CaseFactory, signer: Signer, tmp_path: Path
) -> None:
    chats = corpus_or_skip() / "chats"
    whole = (chats / "pustur-wcp-web__whatsapp-chat-parser-example.zip").read_bytes()
    (tmp_path / "WhatsApp Chat with Mark.zip").write_bytes(whole[:3000])  # cut short
    tg = (chats / "chatminer-telegram__test_single_export.json").read_bytes()
    (tmp_path / "result.json").write_bytes(tg[:200])  # cut short
    (tmp_path / "other.zip").write_bytes(
        b"PK\x03\x04" + b"\x00" * 26 + b"WhatsApp Chat.txt" + b"\x00" * 50
    )
    case = make_case()
    report = add_files(case, signer, [str(tmp_path)])
    assert not report.failures
    items = {it.name: it for it in case.items().values() if not it.parent}
    for name in ("WhatsApp Chat with Mark.zip", "result.json", "other.zip"):
        ex = items[name].extraction or {}
        assert ex.get("extractor") == "chat", name
        assert any("not read as a chat export" in e for e in ex["errors"]), (name, ex)
        stored = (case.root / items[name].stored).read_bytes()
        assert stored == (tmp_path / name).read_bytes()
    assert verify_source(FolderSource(case.root)).intact


def test_messages_json_on_an_item_that_is_not_a_chat_prints_no_half_json(
    make_case: CaseFactory, signer: Signer, evk: Runner, tmp_path: Path
) -> None:
    note = tmp_path / "note.txt"
    note.write_text("just a note\n")
    case = make_case()
    add_files(case, signer, [str(note)])
    code, out = evk("-C", case.root, "messages", "E0001", "--json")
    assert code == 2 and "messages" not in out.split("evkit:")[0]


def test_a_telegram_folder_links_photos_in_its_subfolder(
    make_case: CaseFactory, signer: Signer, tmp_path: Path
) -> None:
    folder = tmp_path / "ChatExport_2026-11-20"
    (folder / "photos").mkdir(parents=True)
    (folder / "result.json").write_text(
        json.dumps(
            {
                "name": "Mark",
                "type": "personal_chat",
                "messages": [
                    {
                        "id": 1,
                        "type": "message",
                        "date": "2026-11-20T09:14:00",
                        "date_unixtime": "1795165440",
                        "from": "Mark",
                        "photo": "photos/photo_1@20-11-2026_09-14-00.jpg",
                        "text": "",
                    }
                ],
            }
        )
    )
    (folder / "photos" / "photo_1@20-11-2026_09-14-00.jpg").write_bytes(b"\xff\xd8\xffjpeg")
    case = make_case()
    add_files(case, signer, [str(folder)])
    items = {it.name: it for it in case.items().values()}
    found = list_messages(
        case.root,
        items["result.json"].id,
        MessageFilter(),
        get_signer=lambda: signer,
        on_recover=_quiet,
    )
    att = found.messages[0].attachments[0]
    assert att.item == items["photo_1@20-11-2026_09-14-00.jpg"].id and att.present
    assert found.messages[0].at == "2026-11-20T09:04:00Z"  # date_unixtime, not "date"


def test_a_different_reading_is_noticed_and_said(
    make_case: CaseFactory, signer: Signer, evk: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    chats = corpus_or_skip() / "chats"
    case = make_case()
    add_files(case, signer, [str(chats / "chatanalytics__2A_5M.txt")])
    code, out = evk("-C", case.root, "messages", "E0001")
    assert code == 0 and "differently" not in out
    from evidence_kit.extractors.chat import whatsapp

    real = whatsapp._classify
    monkeypatch.setattr(  # a later evkit that reads the same bytes into other messages
        whatsapp, "_classify", lambda text, marked: (text.upper(), *real(text, marked)[1:])
    )
    code, out = evk("-C", case.root, "messages", "E0001")
    assert code == 0
    assert "reads these messages differently" in out and "evkit extract E0001" in out


def test_a_chat_is_summed_up_in_plain_words(
    make_case: CaseFactory, signer: Signer, evk: Runner
) -> None:
    """`evkit show` opens with what the chat is (not "Zip archive"), then the conversation."""
    chats = corpus_or_skip() / "chats"
    case = make_case()
    add_files(case, signer, [str(chats / "chatanalytics__4A_11M.zip")])
    code, out = evk("-C", case.root, "show", "E0001")
    assert code == 0, out
    first = out.splitlines()[1]
    assert first == (
        "WhatsApp chat: 14 messages; 5 people ('Alice', 'Bob', 'Eve', 'Mallory', 'Trent'); "
        "2020-09-12"
    )
    assert "Participants   5: Alice, Bob, Eve, Mallory, Trent" in out


def test_the_cases_jurisdiction_reaches_the_chat_reader_in_add_and_extract(
    make_case: CaseFactory, signer: Signer, evk: Runner, tmp_path: Path
) -> None:
    """Deliverable 3: national numbers are read in the case's jurisdiction's plan, by the
    forked copy workers of ``evkit add`` and by ``evkit extract``."""
    from evidence_kit.ingest.add import reextract

    chat = tmp_path / "WhatsApp Chat with Mark.txt"
    chat.write_text("20/11/2026, 09:15 - Mark: call me on 07400 123456\n")
    for extract in (True, False):
        case = make_case(jurisdiction="England and Wales")
        add_files(case, signer, [str(chat)], extract=extract)
        if not extract:
            reextract(case, signer, ["E0001"])
        ex = case.item("E0001").extraction or {}
        assert {
            "kind": "phone",
            "value": "+447400123456",
            "field": "message 1 (lines 1-1)",
            "country": "GB",
        } in ex["identifiers"], extract
    code, out = evk("-C", case.root, "identifiers", "--kind", "phone")
    assert code == 0 and "+447400123456 (GB)  in E0001" in out, out
    case = make_case()  # no jurisdiction: a national number cannot be read
    add_files(case, signer, [str(chat)])
    ex = case.item("E0001").extraction or {}
    assert not [i for i in ex["identifiers"] if i["kind"] == "phone"]


def test_a_zipped_telegram_export_in_a_case_links_its_photo_to_the_message(
    make_case: CaseFactory, signer: Signer, evk: Runner, tmp_path: Path
) -> None:
    from extractors.test_chat import _telegram_zip

    z = tmp_path / "Telegram Desktop.zip"
    _telegram_zip(z)
    case = make_case()
    report = add_files(case, signer, [str(z)])
    assert not report.failures
    items = {it.name: it for it in case.items().values()}
    chat, photo = items["Telegram Desktop.zip"], items["p1.jpg"]
    assert photo.parent == {"id": chat.id, "role": "chat media"}
    assert "unreferenced.jpg" not in items and "outside.txt" not in items
    found = list_messages(
        case.root, chat.id, MessageFilter(), get_signer=lambda: signer, on_recover=_quiet
    )
    assert not found.reading_differs
    first = found.messages[0].attachments[0]
    assert (first.name, first.present, first.item) == ("photos/p1.jpg", True, photo.id)
    assert all(not m.attachments[0].present for m in found.messages[1:])
    assert (chat.extraction or {})["metadata"]["referenced_absent"]["count"] == 5
    code, out = evk("-C", case.root, "show", chat.id)
    assert code == 0 and "5 files the messages point at are not in this export" in out, out
    assert verify_source(FolderSource(case.root)).intact


def test_a_messenger_folder_lists_the_files_its_messages_point_at_that_are_not_there(
    make_case: CaseFactory, signer: Signer, tmp_path: Path
) -> None:
    top = tmp_path / "facebook-jane"
    folder = top / "your_activity_across_facebook" / "messages" / "inbox" / "mark_123"
    (folder / "photos").mkdir(parents=True)
    rel = "your_activity_across_facebook/messages/inbox/mark_123"
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(b"outside the export")
    (folder / "photos" / "link.jpg").symlink_to(secret)
    (folder / "photos" / "1.jpg").write_bytes(b"\xff\xd8\xffphoto")
    uris = ["photos/1.jpg", "photos/gone.jpg", "photos/link.jpg", "../../../../../secret.jpg"]
    doc = {
        "participants": [{"name": "Mark"}, {"name": "Jane"}],
        "title": "Mark",
        "messages": [
            {"sender_name": "Mark", "timestamp_ms": 1795165440000 + n, "photos": [{"uri": u}]}
            for n, u in enumerate(f"{rel}/{u}" if u[0] != "." else u for u in uris)
        ],
    }
    (folder / "message_1.json").write_text(json.dumps(doc))
    case = make_case()
    add_files(case, signer, [str(folder)])
    items = {it.name: it for it in case.items().values()}
    absent = (items["message_1.json"].extraction or {})["metadata"]["referenced_absent"]
    assert absent["count"] == 3
    assert [(f["name"].rsplit("/", 1)[-1], f["why"]) for f in absent["files"]] == [
        ("gone.jpg", "not in the export's folder"),
        ("link.jpg", "a link in the export's folder, not a file (not followed)"),
        ("secret.jpg", "the path is not inside the export"),
    ]
    found = list_messages(
        case.root,
        items["message_1.json"].id,
        MessageFilter(),
        get_signer=lambda: signer,
        on_recover=_quiet,
    )
    first = found.messages[0].attachments[0]
    assert first.present and first.item == items["1.jpg"].id


def test_two_files_of_one_name_in_a_zipped_export_stay_apart(
    make_case: CaseFactory, signer: Signer, tmp_path: Path
) -> None:
    doc = {
        "name": "Mark",
        "type": "personal_chat",
        "messages": [
            {"id": 1, "type": "message", "date_unixtime": "1795165440", "from": "Mark"}
            | {"photo": "photos/1.jpg", "text": ""},
            {"id": 2, "type": "message", "date_unixtime": "1795165441", "from": "Mark"}
            | {"file": "files/1.jpg", "text": ""},
        ],
    }
    z = tmp_path / "ChatExport.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("result.json", json.dumps(doc))
        zf.writestr("photos/1.jpg", b"\xff\xd8\xffphoto")
        zf.writestr("files/1.jpg", b"\xff\xd8\xfffile")
    case = make_case()
    add_files(case, signer, [str(z)])
    items = case.items().values()
    by_field = {str(it.original.get("field")).split(" (")[0]: it.id for it in items if it.parent}
    found = list_messages(
        case.root, "E0001", MessageFilter(), get_signer=lambda: signer, on_recover=_quiet
    )
    assert [m.attachments[0].item for m in found.messages] == [
        by_field["zip:photos/1.jpg"],
        by_field["zip:files/1.jpg"],
    ]
