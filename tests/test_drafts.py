"""``evkit report --for ic3|reportfraud|police|interpol``: each draft holds every recorded
loss, suspect identifier and reference number; every line says what supports it, every item it
cites exists, and nothing appears that is not in the case."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.test_report_story import build_story, demo_files, new_case

TARGETS = ("ic3", "reportfraud", "police", "interpol")


@pytest.fixture
def story_case(evkit: Callable[..., Run], tmp_path: Path) -> Path:
    case = new_case(evkit, tmp_path)
    assert evkit("add", *map(str, demo_files(tmp_path)), cwd=case).exit_code == 0
    build_story(evkit, case)
    return case


def test_each_draft_holds_the_case_and_cites_it(
    evkit: Callable[..., Run], story_case: Path
) -> None:
    case = story_case
    r = evkit(
        "report",
        "--for",
        "ic3",
        "--for",
        "reportfraud",
        "--for",
        "police",
        "--for",
        "interpol",
        cwd=case,
    )
    assert r.exit_code == 0, r.output
    ids = {i["id"] for i in json.loads(evkit("list", "--json", cwd=case).stdout)}
    log = json.loads(evkit("log", "--json", cwd=case).stdout)
    # Only the drafts were written, in one signed step; the case still verifies.
    files = [f["path"] for f in log[-1]["data"]["files"]]
    assert files == [f"evkit/report/draft-{t}.{k}" for t in TARGETS for k in ("txt", "html")]
    assert evkit("verify", cwd=case).exit_code == 0
    recorded = json.dumps(log, ensure_ascii=False) + json.dumps(
        json.loads(evkit("list", "--json", cwd=case).stdout), ensure_ascii=False
    )
    for target in TARGETS:
        text = (case / f"evkit/report/draft-{target}.txt").read_text(encoding="utf-8")
        # Every recorded loss, suspect identifier and reference number.
        for needed in (
            "250.00 GBP",
            "0.0125 BTC",
            "12-34-56 12345678",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "Mark Williams",
            "mark.williams.oilrig@example.net",
            "+44 7700 900123",
            "Action Fraud: NFRC261100123",
            "Metropolitan Police: CAD 4471/20NOV",
        ):
            assert needed in text, (target, needed)
        lines = [ln for ln in text.splitlines() if ln.startswith("- ")]
        assert lines
        for line in lines:
            assert re.search(r"\[[^\[\]]+\]$", line), (target, line)  # says what supports it
        cited = set(re.findall(r"\bE\d{4}\b", text))
        assert cited and cited <= ids, (target, cited - ids)
        # Nothing invented: every address and amount is one the case holds.
        for address in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
            assert address in recorded, (target, address)
        for amount in re.findall(r"\b\d+\.\d+ [A-Z]{3}\b", text):
            assert amount in {"250.00 GBP", "0.0125 BTC"}, (target, amount)
        html = (case / f"evkit/report/draft-{target}.html").read_bytes()
        from evidence_kit.verify.reportcheck import active_content

        assert active_content(html) == []
    ic3 = (case / "evkit/report/draft-ic3.txt").read_text(encoding="utf-8")
    # The e-mail's headers, cited to the e-mail (E0003: the third file by name; values read
    # by hand from samples/scam-email.eml).
    assert "Reply-To: Mark Williams <m.williams.private@example.com> [evidence: E0003]" in ic3
    assert "relay: from mail-out.example.net (198.51.100.23) to mx1.example.org" in ic3
    # A payment with its evidence cites it; the collector's own words cite their step.
    assert re.search(
        r"250\.00 GBP, by bank transfer, to 12-34-56 12345678 \[your statement, "
        r"step \d+; no evidence item yet\]",
        ic3,
    )
    interpol = (case / "evkit/report/draft-interpol.txt").read_text(encoding="utf-8")
    assert interpol.index("Earlier reports and reference numbers") < interpol.index("Case\n")
    assert "Bitcoin wallet found in the evidence: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" in (
        interpol
    )


def test_draft_of_a_hostile_case_stays_data(evkit: Callable[..., Run], tmp_path: Path) -> None:
    from evidence_kit.verify.reportcheck import active_content

    case = new_case(evkit, tmp_path)
    for args in (
        (
            "suspect",
            "add",
            "--name",
            "<script>alert(1)</script>\u202e",
            "--url",
            "javascript:alert(2)",
        ),
        ("ref", "add", "--agency", "<img src=x onerror=alert(3)>", "--number", "=HYPERLINK(1)"),
    ):
        assert evkit(*args, cwd=case).exit_code == 0
    assert evkit("report", "--for", "police", cwd=case).exit_code == 0
    html = (case / "evkit/report/draft-police.html").read_bytes()
    assert active_content(html) == []
    assert b"<script" not in html.lower() and b"<img" not in html
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = (case / "evkit/report/draft-police.txt").read_text(encoding="utf-8")
    assert "\u202e" not in text and "\\u202e" in text


def test_preservation_sheet(evkit: Callable[..., Run], story_case: Path) -> None:
    case = story_case
    assert evkit("report", "--for", "police", cwd=case).exit_code == 0
    text = (case / "evkit/report/draft-police.txt").read_text(encoding="utf-8")
    sheet = text.split("Data to ask services to keep (preservation)", 1)[1].split("\n\n", 1)[0]
    assert "90 days" in sheet and "18 U.S.C. § 2703(f)" in sheet and "Article 29" in sheet
    # From the e-mail's relay chain and addresses (read by hand from samples/scam-email.eml).
    assert (
        "relay1.example.net (mail server operator), 2026-11-19: message received by "
        "relay1.example.net, queue ID 5E6F7A8B9C, from 203.0.113.77 [evidence: E0003]"
    ) in sheet
    assert "example.com (e-mail provider), 2026-11-19: m.williams.private@example.com" in sheet
    # From the losses: the bank and the wallet, never a guessed company name.
    assert "the bank holding account 12-34-56 12345678 (bank), 2026-11-20" in sheet
    assert (
        "the service holding wallet bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq "
        "(crypto-currency service), 2026-11-22"
    ) in sheet
    assert evkit("report", "--format", "html", cwd=case).exit_code == 0
    page = (case / "evkit/report/index.html").read_text(encoding="utf-8")
    assert '<section id="preservation">' in page and "the bank holding account" in page
