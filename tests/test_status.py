"""``evkit status``: the "what is still missing" checklist changes as the collector adds what it
asks for, each point's own command fixes it, and a case walks it to empty."""

from __future__ import annotations

import io
import json
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, Run

HEADERS = (
    "From: Mark Williams <mark.williams.oilrig@example.net>\r\n"
    "To: Jane Doe <jane.doe@example.org>\r\nSubject: customs fee\r\n"
    "Date: Thu, 19 Nov 2026 13:15:03 +0000\r\nMessage-ID: <fee-1@example.net>\r\n"
)
RELAY = (
    "Received: from mail-out.example.net (mail-out.example.net [198.51.100.23]) by "
    "mx1.example.org with ESMTPS id X1; Thu, 19 Nov 2026 13:15:07 +0000\r\n"
)


def missing(evkit: Callable[..., Run], case: Path) -> list[dict[str, object]]:
    r = evkit("status", "--json", cwd=case)
    assert r.exit_code == 0, r.output
    found: list[dict[str, object]] = json.loads(r.stdout)["missing"]
    return found


def run_fix(evkit: Callable[..., Run], case: Path, fix: str, **fill: str) -> None:
    """Run the command a point gives, with its placeholders filled in as a user would."""
    command = fix.split(": ", 1)[-1] if not fix.startswith("evkit ") else fix
    for placeholder, value in fill.items():
        command = command.replace(placeholder, value)
    args = shlex.split(command)
    assert args[0] == "evkit", fix
    r = evkit(*args[1:], cwd=case)
    assert r.exit_code == 0, (command, r.output)


def test_the_checklist_walks_to_empty(evkit: Callable[..., Run], tmp_path: Path) -> None:
    from PIL import Image

    case = tmp_path / "case"
    r = evkit(
        "init",
        str(case),
        "--title",
        "Scam",
        "--collector",
        "Jane Doe",
        "--jurisdiction",
        "England and Wales",
        "--timezone",
        "Europe/London",
        input="",
    )
    assert r.exit_code == 0, r.output
    files = tmp_path / "files"
    files.mkdir()
    (files / "forwarded.eml").write_bytes((HEADERS + "\r\nPay the fee.\r\n").encode())
    buf = io.BytesIO()
    Image.new("RGB", (390, 844), "white").save(buf, "PNG")
    (files / "Screenshot chat.png").write_bytes(buf.getvalue())
    shutil.copy(SAMPLES / "statement.csv", files / "statement.csv")
    assert evkit("add", *map(str, sorted(files.iterdir())), cwd=case).exit_code == 0
    ids = {
        i["original"]["name"]: i["id"] for i in json.loads(evkit("list", "--json", cwd=case).stdout)
    }
    assert (
        evkit(
            "loss",
            "add",
            "--amount",
            "250.00",
            "--currency",
            "GBP",
            "--date",
            "2026-11-19",
            cwd=case,
        ).exit_code
        == 0
    )
    assert evkit("suspect", "add", "--name", "Mark Williams", cwd=case).exit_code == 0

    points = missing(evkit, case)
    assert [p["code"] for p in points] == [
        "incident",
        "collector-contact",
        "reference",
        "loss-evidence",
        "suspect-contact",
        "email-headers",
        "screenshot-date",
    ]
    by_code = {str(p["code"]): p for p in points}
    # The statement holds the payment (-250.00 on 2026-11-19, read by hand): the fix links it.
    loss_fix = str(by_code["loss-evidence"]["fix"])
    assert f"--item {ids['statement.csv']}" in loss_fix
    assert loss_fix.endswith("--supersedes 3")  # step 1 created, 2 added the files, 3 the loss
    assert by_code["email-headers"]["items"] == [ids["forwarded.eml"]]
    assert f"--item {ids['Screenshot chat.png']}" in str(by_code["screenshot-date"]["fix"])
    assert "Report Fraud" in str(by_code["reference"]["fix"])
    text = evkit("status", cwd=case).stdout
    assert "Still missing (7)" in text and "To fix: evkit incident" in text

    steps = [
        ("incident", {"In my own words: ...": "I met Mark online; he asked for a customs fee."}),
        (
            "collector-contact",
            {"you@example.org": "jane@example.org", "+44 ...": "+44 7700 900999"},
        ),
        ("reference", {"NFRC...": "NFRC261100123"}),
        ("loss-evidence", {"ACCOUNT OR WALLET": "12-34-56 12345678"}),
        (
            "suspect-contact",
            {"ADDRESS": "mark.williams.oilrig@example.net", "NUMBER": "+447700900123"},
        ),
    ]
    for code, fill in steps:
        before = [p["code"] for p in missing(evkit, case)]
        point = next(p for p in missing(evkit, case) if p["code"] == code)
        run_fix(evkit, case, str(point["fix"]), **fill)
        after = [p["code"] for p in missing(evkit, case)]
        assert after == [c for c in before if c != code], (code, after)

    # The original e-mail, with its relay lines, answers the forwarded copy.
    original = tmp_path / "original.eml"
    original.write_bytes((RELAY + HEADERS + "\r\nPay the fee.\r\n").encode())
    run_fix(evkit, case, "evkit add MESSAGE.eml", **{"MESSAGE.eml": str(original)})
    assert [p["code"] for p in missing(evkit, case)] == ["screenshot-date"]
    point = missing(evkit, case)[0]
    run_fix(
        evkit,
        case,
        str(point["fix"]),
        **{
            "What this screenshot shows": "Chat where Mark asks for the fee",
            "YYYY-MM-DD HH:MM": "2026-11-19 21:30",
        },
    )
    assert missing(evkit, case) == []
    done = evkit("status", cwd=case)
    assert "Nothing on the police checklist is missing" in done.stdout
    assert "money lost: 250.00 GBP" in done.stdout

    # The report shows what the checklist asked for.
    assert evkit("report", "--format", "html", cwd=case).exit_code == 0
    page = (case / "evkit/report/index.html").read_text(encoding="utf-8")
    assert "I met Mark online; he asked for a customs fee." in page
    assert "+44 7700 900999" in page and "NFRC261100123" in page


def test_victim_and_collector_details(evkit: Callable[..., Run], tmp_path: Path) -> None:
    case = tmp_path / "case"
    assert (
        evkit(
            "init",
            str(case),
            "--title",
            "T",
            "--collector",
            "Sam Advocate",
            "--email",
            "sam@support.example",
            input="",
        ).exit_code
        == 0
    )
    r = evkit(
        "victim",
        "--name",
        "Ann Lee",
        "--phone",
        "+44 7700 900111",
        "--age-band",
        "60+",
        "--may-contact",
        "no",
        cwd=case,
    )
    assert r.exit_code == 0, r.output
    assert evkit("victim", "--may-contact", "maybe", cwd=case).exit_code == 2
    assert evkit("victim", cwd=case).exit_code == 2  # nothing given
    assert evkit("report", "--format", "html", cwd=case).exit_code == 0
    page = (case / "evkit/report/index.html").read_text(encoding="utf-8")
    assert "Ann Lee" in page and "60+" in page and "no: contact the collector instead" in page
    assert "sam@support.example" in page
    log = json.loads(evkit("log", "--json", cwd=case).stdout)
    assert [e["action"] for e in log][-2:] == ["person", "report"]


def test_init_records_the_victim_and_suspect_contact_story(
    evkit: Callable[..., Run], tmp_path: Path
) -> None:
    case = tmp_path / "case"
    r = evkit(
        "init",
        str(case),
        "--title",
        "T",
        "--collector",
        "Sam Advocate",
        "--email",
        "sam@support.example",
        "--victim",
        "Ann Lee",
        "--victim-phone",
        "+44 7700 900111",
        input="",
    )
    assert r.exit_code == 0, r.output
    log = json.loads(evkit("log", "--json", cwd=case).stdout)
    assert [e["action"] for e in log] == ["case.created", "person"]
    assert log[1]["data"] == {
        "role": "victim",
        "details": {"name": "Ann Lee", "phone": "+44 7700 900111"},
    }
    r = evkit(
        "suspect",
        "add",
        "--name",
        "Mark",
        "--email",
        "mark@example.net",
        "--first-contact",
        "Messaged her on a dating app in October 2026",
        "--realised",
        "Her bank said the account belonged to someone else",
        cwd=case,
    )
    assert r.exit_code == 0, r.output
    assert evkit("report", "--format", "html", "--for", "ic3", cwd=case).exit_code == 0
    page = (case / "evkit/report/index.html").read_text(encoding="utf-8")
    assert "Messaged her on a dating app in October 2026" in page
    assert "The victim (the collector is reporting for them)" in page and "Ann Lee" in page
    ic3 = (case / "evkit/report/draft-ic3.txt").read_text(encoding="utf-8")
    assert "Victim information" in ic3 and "- Name: Ann Lee [recorded with evkit victim]" in ic3
    assert "Filed on behalf of the victim by" in ic3 and "Sam Advocate" in ic3
    assert (
        "Subject Mark: What made the victim realise it was a crime: Her bank said the account "
        "belonged to someone else"
    ) in ic3


def test_status_shows_hostile_text_escaped(evkit: Callable[..., Run], tmp_path: Path) -> None:
    case = tmp_path / "case"
    assert evkit("init", str(case), "--title", "T", "--collector", "J", input="").exit_code == 0
    r = evkit("suspect", "add", "--name", "Eve\u202e\u200bgnp.exe", cwd=case)
    assert r.exit_code == 0, r.output
    out = evkit("status", cwd=case)
    assert out.exit_code == 0
    assert "\u202e" not in out.stdout and "\\u202e" in out.stdout
    # The fix command quotes the name for a shell: pasting it cannot run anything else.
    point = next(p for p in missing(evkit, case) if p["code"] == "suspect-contact")
    assert shlex.split(str(point["fix"]))[4] == "Eve\u202e\u200bgnp.exe"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_custody_form_names_the_victim(evkit: Callable[..., Run], tmp_path: Path) -> None:
    import subprocess

    case = tmp_path / "case"
    r = evkit(
        "init",
        str(case),
        "--title",
        "T",
        "--collector",
        "Sam Advocate",
        "--victim",
        "Ann Lee",
        input="",
    )
    assert r.exit_code == 0, r.output
    assert evkit("victim", "--may-contact", "no", cwd=case).exit_code == 0
    assert evkit("report", "--format", "pdf", cwd=case).exit_code == 0
    text = subprocess.run(
        ["pdftotext", str(case / "evkit/report/custody-form.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    assert "Victim (collected for them) Ann Lee; police may contact them directly: no" in flat
