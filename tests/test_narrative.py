"""Narrative records (notes, suspects, losses, references, marks), identifiers and the timeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_kit.ingest.add import add_files
from evidence_kit.store.case import Case
from evidence_kit.store.signing import Signer, load_signer
from evidence_kit.story.narrative import (
    add_loss,
    add_note,
    parse_amount,
    read_narrative,
)
from evidence_kit.story.timeline import parse_time
from evidence_kit.verify.checks import FolderSource, verify_source


# ---- helpers ---------------------------------------------------------------------------------
def init(evkit: Any, tmp_path: Path, *extra: str) -> Path:
    root = tmp_path / "case"
    r = evkit(
        "init",
        str(root),
        "--title",
        "Romance scam",
        "--collector",
        "Jane Doe",
        "--timezone",
        "Europe/London",
        *extra,
    )
    assert r.exit_code == 0, r.output
    return root


def add(evkit: Any, root: Path, *paths: Path) -> None:
    r = evkit("add", *[str(p) for p in paths], cwd=root)
    assert r.exit_code == 0, r.output


def inject_extraction(case: Case, signer: Signer, item_id: str, extraction: dict[str, Any]) -> None:
    """A new record revision with the given extraction, as an extractor would produce it."""
    with case.session(signer, "test") as sess:
        item = sess.items[item_id]
        rec = item.to_dict()
        rec["rev"] = item.rev + 1
        rec["extraction"] = extraction
        sess.commit("extract", {"item": item_id}, records=[rec])


def intact(root: Path) -> None:
    import bagit

    rep = verify_source(FolderSource(root))
    assert rep.intact, [f.message for f in rep.findings]
    bagit.Bag(str(root)).validate()


def events(root: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (root / "evkit/custody.jsonl").read_text().splitlines()]


@pytest.fixture
def case_root(evkit: Any, tmp_path: Path, evidence: Path) -> Path:
    root = init(evkit, tmp_path)
    add(evkit, root, evidence)
    return root


# ---- notes -----------------------------------------------------------------------------------
def test_note_is_a_signed_event_with_utc_and_local_time(evkit: Any, case_root: Path) -> None:
    r = evkit(
        "note",
        "He called from the 'bank'",
        "--at",
        "2026-07-20 14:05",
        "--item",
        "e1",
        cwd=case_root,
    )
    assert r.exit_code == 0, r.output
    ev = events(case_root)[-1]
    assert ev["action"] == "note" and ev["sig"]
    d = ev["data"]
    assert d["text"] == "He called from the 'bank'"
    assert d["at"] == "2026-07-20T13:05:00Z"  # London is on BST (+01:00) in July
    assert d["at_local"] == "2026-07-20T14:05:00+01:00"
    assert d["item_ids"] == ["E0001"] and d["timezone"] == "Europe/London"
    assert f"step {ev['seq']} of the case history" in r.stdout
    intact(case_root)


def test_note_correction_supersedes_and_keeps_the_original(evkit: Any, case_root: Path) -> None:
    evkit("note", "Call at 14:05", "--at", "2026-11-20 14:05", cwd=case_root)
    first = events(case_root)[-1]["seq"]
    r = evkit("note", "--correct", str(first), "Call at 14:50", cwd=case_root)
    assert r.exit_code == 0, r.output
    second = events(case_root)[-1]
    assert second["data"]["supersedes"] == first
    assert second["data"]["at"] == "2026-11-20T14:05:00Z"  # time carried over
    nar = read_narrative(events(case_root))
    assert [e.text if hasattr(e, "text") else e.data["text"] for e in nar.current("note")] == [
        "Call at 14:50"
    ]
    assert nar.by_seq(first).superseded_by == second["seq"]  # type: ignore[union-attr]
    # the original is still in the log, byte for byte
    assert any(e["data"].get("text") == "Call at 14:05" for e in events(case_root))
    again = evkit("note", "--correct", str(first), "x", cwd=case_root)
    assert again.exit_code == 2 and f"already replaced by event {second['seq']}" in again.stderr
    listed = evkit("note", "--list", "--json", cwd=case_root)
    rows = json.loads(listed.stdout)
    assert [r["current"] for r in rows] == [False, True]
    intact(case_root)


@pytest.mark.parametrize(
    "args, message",
    [
        (("note", "x", "--item", "E0099"), "no item E0099"),
        (("note", "x", "--at", "yesterday-ish"), "Cannot read the time"),
        (("note", "x", "--at", "2999-01-01 10:00"), "in the future"),
        (("note", "   "), "empty"),
        (("note", "x", "--correct", "1"), "not a note"),
        (("loss", "add", "--amount", "-5", "--currency", "GBP"), "not a positive number"),
        (("loss", "add", "--amount", "0", "--currency", "GBP"), "more than zero"),
        (("loss", "add", "--amount", "1e5", "--currency", "GBP"), "not a positive number"),
        (("loss", "add", "--amount", "NaN", "--currency", "GBP"), "not a positive number"),
        (("loss", "add", "--amount", "10", "--currency", "POUND"), "3-letter code"),
        (("loss", "add", "--amount", "10", "--currency", "GBP", "--item", "E9"), "no item E9"),
        (("suspect", "add"), "at least one detail"),
        (("suspect", "add", "--email", "not-an-address"), "not an e-mail address"),
        (("suspect", "add", "--ip", "300.1.1.1"), "not an IP address"),
        (("suspect", "add", "--phone", "call me"), "not a phone number"),
        (("suspect", "add", "--from-identifier", "email:nobody@example.net"), "No item has"),
        (("suspect", "add", "--from-identifier", "nonsense"), "KIND:VALUE"),
        (("ref", "add", "--agency", "", "--number", "1"), "empty"),
        (("mark", "E0001"), "--sensitive or --not-sensitive"),
        (("mark", "E0042", "--sensitive"), "no item E0042"),
    ],
)
def test_bad_input_is_a_one_line_usage_error_and_changes_nothing(
    evkit: Any, case_root: Path, args: tuple[str, ...], message: str
) -> None:
    before = (case_root / "evkit/custody.jsonl").read_bytes()
    r = evkit(*args, cwd=case_root)
    assert r.exit_code == 2, r.output
    assert message in r.stderr
    assert r.stderr.startswith("evkit: ")
    assert "Traceback" not in r.output
    assert (case_root / "evkit/custody.jsonl").read_bytes() == before


# ---- suspects, losses, references ------------------------------------------------------------
def test_suspects_and_promotion_from_identifier(evkit: Any, case_root: Path) -> None:
    case, signer = Case.open(case_root), load_signer(None)
    inject_extraction(
        case,
        signer,
        "E0002",
        {
            "extractor": "email",
            "metadata": {},
            "times": [],
            "errors": [],
            "identifiers": [
                {"kind": "email", "value": "mark@example.net", "field": "headers.from"},
                {"kind": "ip", "value": "203.0.113.77", "field": "received[1]"},
            ],
        },
    )
    r = evkit(
        "suspect",
        "add",
        "--name",
        "Mark Williams",
        "--phone",
        "+44 7700 900123",
        "--item",
        "E0003",
        cwd=case_root,
    )
    assert r.exit_code == 0, r.output
    r = evkit(
        "suspect",
        "add",
        "--from-identifier",
        "email:MARK@example.net",
        "--username",
        "@mark_oilrig",
        cwd=case_root,
    )
    assert r.exit_code == 0, r.output
    promoted = events(case_root)[-1]["data"]
    assert promoted["details"] == {"email": "mark@example.net", "username": "@mark_oilrig"}
    assert promoted["from_identifier"]["item_ids"] == ["E0002"]
    assert promoted["item_ids"] == ["E0002"]
    listed = json.loads(evkit("suspect", "list", "--json", cwd=case_root).stdout)
    assert len(listed) == 2
    seq = listed[0]["seq"]
    r = evkit("suspect", "withdraw", str(seq), "--reason", "wrong person", cwd=case_root)
    assert r.exit_code == 0, r.output
    listed = json.loads(evkit("suspect", "list", "--json", cwd=case_root).stdout)
    assert [e["details"].get("email") for e in listed] == ["mark@example.net"]
    everything = json.loads(evkit("suspect", "list", "--json", "--all", cwd=case_root).stdout)
    assert len(everything) == 3
    intact(case_root)


def test_losses_total_exactly_per_currency(evkit: Any, case_root: Path) -> None:
    for amount, cur in (("0.10", "GBP"), ("0.20", "gbp"), ("1,000.05", "GBP"), ("99.99", "EUR")):
        r = evkit(
            "loss",
            "add",
            "--amount",
            amount,
            "--currency",
            cur,
            "--date",
            "2026-11-20",
            "--method",
            "bank transfer",
            "--to-account",
            "12-34-56 12345678",
            "--reference",
            "CUSTOMS",
            "--item",
            "E0001",
            cwd=case_root,
        )
        assert r.exit_code == 0, r.output
    out = json.loads(evkit("loss", "list", "--json", cwd=case_root).stdout)
    assert out["totals"] == {"EUR": "99.99", "GBP": "1000.35"}
    first = out["losses"][0]
    assert first["amount"] == "0.10" and first["currency"] == "GBP"
    assert first["at"] == "2026-11-20" and first["precision"] == "day"
    r = evkit(
        "loss",
        "add",
        "--amount",
        "0.15",
        "--currency",
        "GBP",
        "--supersedes",
        str(first["seq"]),
        cwd=case_root,
    )
    assert r.exit_code == 0, r.output
    out = json.loads(evkit("loss", "list", "--json", cwd=case_root).stdout)
    assert out["totals"]["GBP"] == "1000.40"
    text = evkit("loss", "list", cwd=case_root).stdout
    assert "Total GBP: 1000.40" in text and "Total EUR: 99.99" in text
    intact(case_root)


def test_references_several_and_from_init(evkit: Any, tmp_path: Path) -> None:
    root = init(evkit, tmp_path, "--ref", "Action Fraud=NFRC261100123")
    for agency, number in (("Police Scotland", "PS-1"), ("Bank", "FR-77")):
        assert evkit("ref", "add", "--agency", agency, "--number", number, cwd=root).exit_code == 0
    refs = json.loads(evkit("ref", "list", "--json", cwd=root).stdout)
    assert [(r["agency"], r["number"]) for r in refs] == [
        ("Action Fraud", "NFRC261100123"),
        ("Police Scotland", "PS-1"),
        ("Bank", "FR-77"),
    ]
    text = evkit("ref", "list", cwd=root).stdout
    assert "Bank: FR-77" in text
    intact(root)


@settings(max_examples=60, deadline=None)
@given(
    st.decimals(
        min_value=Decimal("0.00000001"),
        max_value=Decimal("1e12"),
        places=8,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_amount_parsing_is_exact(value: Decimal) -> None:
    text = format(value, "f")
    assert Decimal(parse_amount(text)) == value


# ---- mark ------------------------------------------------------------------------------------
def test_mark_appends_a_revision_and_keeps_the_bag_valid(evkit: Any, case_root: Path) -> None:
    before = Case.open(case_root).item("E0002")
    r = evkit("mark", "E2", "--sensitive", "--reason", "private photo", cwd=case_root)
    assert r.exit_code == 0, r.output
    after = Case.open(case_root).item("E0002")
    assert after.sensitive and after.rev == before.rev + 1
    assert (after.sha256, after.size) == (before.sha256, before.size)
    # Issue 12, defect 7: a sensitive item's stored name says only its ID and type; the copy
    # is renamed within data/, its bytes untouched.
    assert before.stored == "data/E0002_note.txt" and after.stored == "data/E0002.txt"
    assert (case_root / after.stored).read_bytes() and not (case_root / before.stored).exists()
    ev = events(case_root)[-1]
    assert ev["action"] == "mark" and ev["data"]["sensitive"] is True
    assert ev["data"]["items"][0]["rev"] == after.rev
    n = len(events(case_root))
    again = evkit("mark", "E0002", "--sensitive", cwd=case_root)
    assert again.exit_code == 0 and "already" in again.stdout
    assert len(events(case_root)) == n
    assert evkit("mark", "E0002", "--not-sensitive", cwd=case_root).exit_code == 0
    assert not Case.open(case_root).item("E0002").sensitive
    intact(case_root)


# ---- identifiers -----------------------------------------------------------------------------
def test_identifiers_deduplicated_with_their_items(evkit: Any, case_root: Path) -> None:
    case, signer = Case.open(case_root), load_signer(None)
    for iid, value, fld in (
        ("E0001", "Mark@Example.net", "body.text"),
        ("E0003", "mark@example.net", "headers.reply_to"),
    ):
        inject_extraction(
            case,
            signer,
            iid,
            {
                "extractor": "test",
                "metadata": {},
                "times": [],
                "errors": [],
                "identifiers": [
                    {"kind": "email", "value": value, "field": fld},
                    {"kind": "url", "value": "http://evil.example/login", "field": "body.html"},
                ],
            },
        )
    out = json.loads(evkit("identifiers", "--json", cwd=case_root).stdout)
    emails = [i for i in out if i["kind"] == "email"]
    assert len(emails) == 1
    assert emails[0]["item_ids"] == ["E0001", "E0003"]
    assert {o["field"] for o in emails[0]["occurrences"]} == {"body.text", "headers.reply_to"}
    urls = [i for i in out if i["kind"] == "url"]
    assert urls[0]["item_ids"] == ["E0001", "E0003"]
    text = evkit("identifiers", "--kind", "url", cwd=case_root).stdout
    assert "http://evil.example/login  in E0001, E0003" in text


# ---- timeline --------------------------------------------------------------------------------
def test_parse_time_forms() -> None:
    from evidence_kit.timeutil import zone

    london = zone("Europe/London")
    w = parse_time("2026-11-20T18:05:00+09:00", london)
    assert w.instant == datetime(2026, 11, 20, 9, 5, tzinfo=UTC) and w.zone_known
    assert w.offset == "+09:00"
    w = parse_time("Fri, 20 Nov 2026 18:05:00 +0900", london)
    assert w.instant == datetime(2026, 11, 20, 9, 5, tzinfo=UTC)
    w = parse_time("2026:07:20 10:00:00", london)  # EXIF, no zone: read as London (BST)
    assert w.instant == datetime(2026, 7, 20, 9, 0, tzinfo=UTC) and not w.zone_known
    w = parse_time("2026-11-20", london)
    assert w.precision == "day" and w.day is not None and w.day.isoformat() == "2026-11-20"
    assert parse_time("garbage", london).precision == "unreadable"
    assert parse_time("2026-02-30", london).precision == "unreadable"


def test_timeline_orders_across_time_zones(evkit: Any, case_root: Path) -> None:
    case, signer = Case.open(case_root), load_signer(None)
    inject_extraction(
        case,
        signer,
        "E0002",
        {
            "extractor": "email",
            "metadata": {},
            "identifiers": [],
            "errors": [],
            "times": [
                {
                    "at": "2026-11-20T18:05:00+09:00",
                    "label": "e-mail sent (Date header)",
                    "raw": "Fri, 20 Nov 2026 18:05:00 +0900",
                    "field": "headers.date",
                },
                {
                    "at": "2026-11-20",
                    "label": "transaction: M WILLIAMS -250.00",
                    "raw": "20/11/2026",
                    "field": "transactions[0]",
                },
                {
                    "at": "2026-11-20T07:30:00",
                    "label": "photo taken, zone unknown",
                    "raw": "2026:11:20 07:30:00",
                    "field": "exif.DateTimeOriginal",
                },
                {"at": "not a time", "label": "broken", "raw": "??", "field": "x"},
            ],
        },
    )
    # 09:30 London (GMT in November) is 09:30Z: after the e-mail sent at 18:05 +0900 (09:05Z)
    assert (
        evkit("note", "Read the e-mail", "--at", "2026-11-20 09:30", cwd=case_root).exit_code == 0
    )
    assert evkit("note", "Woke up", "--at", "2026-11-20 08:00", cwd=case_root).exit_code == 0
    assert (
        evkit(
            "loss",
            "add",
            "--amount",
            "250",
            "--currency",
            "GBP",
            "--date",
            "2026-11-20 11:00",
            cwd=case_root,
        ).exit_code
        == 0
    )
    rows = json.loads(evkit("timeline", "--json", cwd=case_root).stdout)
    story = [
        r["what"]
        for r in rows
        if r["source"] != "acquisition clock" and "last modified" not in r["what"]
    ]
    assert story == [
        "E0002: transaction: M WILLIAMS -250.00",  # a date alone sorts at the start of its day
        "E0002: photo taken, zone unknown",  # 07:30, zone assumed London
        "Note: Woke up",  # 08:00Z
        "E0002: e-mail sent (Date header)",  # 09:05Z
        # the fixture's chat export: 09:14, zone assumed London (issue 14)
        "E0001: WhatsApp chat: 1 message(s) on 2026-11-20, the last at 09:14:00 "
        "(evkit messages E0001 --since 2026-11-20)",
        "Note: Read the e-mail",  # 09:30Z
        "Money lost: 250.00 GBP",  # 11:00Z
        "E0002: broken",  # unreadable: last
    ]
    by_what = {r["what"]: r for r in rows}
    email = by_what["E0002: e-mail sent (Date header)"]
    assert email["at"] == "2026-11-20T09:05:00Z" and email["source"] == "file metadata"
    assert email["trust"] == "self-asserted" and email["offset"] == "+09:00"
    assert any(
        "time zone not recorded" in f for f in by_what["E0002: photo taken, zone unknown"]["flags"]
    )
    assert by_what["Note: Woke up"]["source"] == "collector statement"
    acquisitions = [r for r in rows if r["source"] == "acquisition clock"]
    assert {r["item"] for r in acquisitions} == {"E0001", "E0002", "E0003"}
    assert all("computer clock" in r["trust_text"] for r in acquisitions)
    text = evkit("timeline", cwd=case_root).stdout
    assert "Europe/London" in text and "collector statement" in text


def test_timeline_with_a_real_email_dated_plus_0900(evkit: Any, tmp_path: Path) -> None:
    root = init(evkit, tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "offer.eml").write_bytes(
        b"From: Mark <mark@example.net>\r\nTo: Jane <jane@example.org>\r\n"
        b"Subject: hello\r\nDate: Fri, 20 Nov 2026 18:05:00 +0900\r\n"
        b"Message-ID: <1@example.net>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nSend the money.\r\n"
    )
    add(evkit, root, src / "offer.eml")
    evkit("note", "Read it", "--at", "2026-11-20 09:30", cwd=root)
    evkit("note", "Before", "--at", "2026-11-20 09:00", cwd=root)
    rows = json.loads(evkit("timeline", "--json", cwd=root).stdout)
    dated = [r for r in rows if r["field"] == "headers.date"]
    if not dated:
        pytest.skip("the e-mail extractor did not report a Date header time")
    order = [r["what"] for r in rows if r["what"].startswith("Note") or r in dated]
    assert order[0] == "Note: Before" and order[-1] == "Note: Read it"
    assert dated[0]["at"] == "2026-11-20T09:05:00Z"


def test_core_functions_without_the_cli(make_case: Any, signer: Signer, tmp_path: Path) -> None:
    case = make_case()
    f = tmp_path / "a.txt"
    f.write_text("evidence")
    add_files(case, signer, [str(f)])
    seq = add_note(case, signer, "plain note")
    assert read_narrative(case.read_log().events).by_seq(seq) is not None
    add_loss(case, signer, amount="12.5", currency="usd")
    nar = read_narrative(case.read_log().events)
    assert nar.current("loss")[0].data["currency"] == "USD"
    intact(case.root)
