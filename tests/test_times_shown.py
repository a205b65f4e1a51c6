"""Times a victim or an officer reads are in the collector's time zone with UTC beside, and a
date given without a time stays a date (issue 16, deliverable 7): the report's payments and its
fingerprint and integrity tables (HTML and PDF form), the police report drafts, ``evkit status``,
``evkit show``, the note and loss lists and the timeline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence_kit.timeutil import time_text
from tests.conftest import SAMPLES, Run

PDFTOTEXT = shutil.which("pdftotext")

#: 21:30 in New York on 14 July (summer time, EDT = UTC-4) is 01:30 UTC on the 15th.
PAID_AT = "2026-07-14 21:30"
PAID_SHOWN = "14 Jul 2026 21:30 EDT (15 Jul 01:30 UTC)"
#: A payment given as a date only: shown as that date, with no time made up for it.
PAID_ON = "2026-07-16"
PAID_ON_SHOWN = "16 Jul 2026"
NOTE_AT = "2026-07-13 09:15"
NOTE_SHOWN = "13 Jul 2026 09:15 EDT (13:15 UTC)"
#: "Local time, then UTC in brackets" in New York, whatever the season (EST or EDT).
NY_TIME = re.compile(
    r"\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d E[SD]T \((\d\d [A-Z][a-z]{2} )?\d\d:\d\d UTC\)"
)


def test_time_text_zones_and_dates() -> None:
    # London in summer is BST (UTC+1); in winter GMT, which is UTC.
    assert time_text("2026-07-14T13:05:00Z", "Europe/London") == "14 Jul 2026 14:05 BST (13:05 UTC)"
    assert time_text("2026-12-01T13:05:00Z", "Europe/London") == "01 Dec 2026 13:05 GMT (13:05 UTC)"
    # Across midnight the UTC side names its own day.
    assert time_text("2026-07-15T01:30:00Z", "America/New_York") == PAID_SHOWN
    # An ISO time with an offset (acquired "local") is the same instant.
    assert time_text("2026-07-14T21:30:00-04:00", "America/New_York") == PAID_SHOWN
    assert time_text(datetime(2026, 7, 15, 1, 30, tzinfo=UTC), "America/New_York") == PAID_SHOWN
    assert time_text("2026-07-14T13:05:00Z", "UTC") == "14 Jul 2026 13:05 UTC"
    # A date stays a date; nothing is shown as nothing; an unreadable or zone-less value as
    # written (never guessed).
    assert time_text("2026-07-16", "America/New_York") == PAID_ON_SHOWN
    assert time_text(None, "Europe/London") == ""
    assert time_text("", "Europe/London") == ""
    assert time_text("2026-07-14 13:05", "Europe/London") == "2026-07-14 13:05"
    assert time_text("yesterday", "Europe/London") == "yesterday"
    # An unknown zone falls back to UTC rather than failing.
    assert time_text("2026-07-14T13:05:00Z", "Mars/Olympus") == "14 Jul 2026 13:05 UTC"


def _section(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}"[^>]*>(.*?)</section>', html, re.S)
    assert m, sid
    return re.sub(r"<[^>]+>", "", m.group(1))  # the words, as a reader sees them


@pytest.fixture
def ny_case(evkit: Callable[..., Run], tmp_path: Path) -> Path:
    """A case collected in New York: two photos, a note and two payments (one a date only)."""
    case = tmp_path / "case"
    r = evkit(
        "init",
        str(case),
        "--title",
        "Gift card scam",
        "--collector",
        "Ana Ruiz",
        "--email",
        "ana@example.org",
        "--incident",
        "A caller said he was from my bank",
        "--timezone",
        "America/New_York",
        input="",
    )
    assert r.exit_code == 0, r.output
    files = tmp_path / "files"
    files.mkdir()
    for name in ("photo-of-receipt.jpg", "scam-email.eml"):
        shutil.copy(SAMPLES / name, files / name)
    assert evkit("add", str(files), cwd=case).exit_code == 0
    steps = [
        ("note", "He called from a withheld number", "--at", NOTE_AT),
        ("loss", "add", "--amount", "500", "--currency", "USD", "--date", PAID_AT),
        ("loss", "add", "--amount", "200", "--currency", "USD", "--date", PAID_ON),
    ]
    for args in steps:
        r = evkit(*args, cwd=case)
        assert r.exit_code == 0, (args, r.output)
    return case


def test_report_html_payments_and_fingerprints_in_the_collectors_zone(
    evkit: Callable[..., Run], ny_case: Path
) -> None:
    assert evkit("report", "--format", "html,json", cwd=ny_case).exit_code == 0
    html = (ny_case / "evkit/report/index.html").read_text(encoding="utf-8")
    money = _section(html, "money")
    assert PAID_SHOWN in money and PAID_ON_SHOWN in money
    assert "America/New_York; UTC" in money  # the column says which zone
    assert "2026-07-16 00:00" not in html and "16 Jul 2026 00:00" not in html
    # The fingerprint table: when each file was added, local with UTC beside.
    snapshot = json.loads((ny_case / "evkit/report/case.json").read_text(encoding="utf-8"))
    fp = _section(html, "items")
    for it in snapshot["items"]:
        assert time_text(it["acquired"]["at"], "America/New_York") in fp
    assert len(NY_TIME.findall(fp)) >= len(snapshot["items"])
    # A narrow column may wrap a time between its two halves, never inside either.
    assert html.count('<span class="nw">') >= 2 * len(snapshot["items"]) + 2
    # The integrity table: when the case was started and when it was last signed.
    integrity = _section(html, "summary")
    assert time_text(snapshot["case"]["created_at"], "America/New_York") in integrity
    assert time_text(snapshot["seal"]["sealed_at"], "America/New_York") in integrity
    # The key events on the first pages, across UTC midnight too.
    events = _section(html, "key-events")
    assert NOTE_SHOWN in events and PAID_SHOWN in events
    # The appendix's list of payments says the same.
    assert PAID_SHOWN in _section(html, "losses")


@pytest.mark.skipif(PDFTOTEXT is None, reason="poppler-utils not installed")
def test_custody_form_times_in_the_collectors_zone(
    evkit: Callable[..., Run], ny_case: Path
) -> None:
    assert evkit("report", "--format", "pdf", cwd=ny_case).exit_code == 0
    out = subprocess.run(
        [str(PDFTOTEXT), "-layout", str(ny_case / "evkit/report/custody-form.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(out.split())
    # Table cells wrap, so look for the pieces of each time rather than one line.
    for piece in ("14 Jul 2026 21:30 EDT", "(15 Jul 01:30", "16 Jul 2026"):
        assert piece in flat, piece
    assert "Created (UTC)" not in flat
    assert re.search(r"Created \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d E[SD]T", flat), flat[:3000]


def test_drafts_times_in_the_collectors_zone(evkit: Callable[..., Run], ny_case: Path) -> None:
    assert evkit("report", "--for", "ic3", cwd=ny_case).exit_code == 0
    text = (ny_case / "evkit/report/draft-ic3.txt").read_text(encoding="utf-8")
    assert f"{PAID_SHOWN}, 500.00 USD" in text
    assert f"{PAID_ON_SHOWN}, 200.00 USD" in text
    assert f"{NOTE_SHOWN}: Note: He called from a withheld number" in text
    html = (ny_case / "evkit/report/draft-ic3.html").read_text(encoding="utf-8")
    assert PAID_SHOWN in html


def test_status_show_and_lists_in_the_collectors_zone(
    evkit: Callable[..., Run], ny_case: Path
) -> None:
    # Both payments have no evidence item: the checklist names them by their time.
    r = evkit("status", cwd=ny_case)
    assert r.exit_code == 0, r.output
    flat = " ".join(r.stdout.split())
    assert f"The payment of 500.00 USD on {PAID_SHOWN} has" in flat
    assert f"The payment of 200.00 USD on {PAID_ON_SHOWN} has" in flat
    # evkit show: when the file was added, in New York time with UTC beside.
    r = evkit("show", "E0001", cwd=ny_case)
    assert r.exit_code == 0, r.output
    added = re.search(r"; added (.*?) by ", r.stdout)
    assert added and NY_TIME.fullmatch(added.group(1)), r.stdout
    r = evkit("show", "E0001", "--full", cwd=ny_case)
    acquired = re.search(r"^\s+Acquired\s+(.*)$", r.stdout, re.M)
    assert acquired and NY_TIME.fullmatch(acquired.group(1).strip()), r.stdout
    # The note and loss lists and the timeline.
    assert NOTE_SHOWN in evkit("note", "--list", cwd=ny_case).stdout
    losses = evkit("loss", "list", cwd=ny_case).stdout
    assert PAID_SHOWN in losses and PAID_ON_SHOWN in losses
    timeline = evkit("timeline", cwd=ny_case).stdout
    assert "with UTC beside" in timeline and NOTE_SHOWN in timeline


def test_a_case_kept_in_utc_shows_the_time_once() -> None:
    """A computer set to Etc/UTC (common on servers and some laptops) gets '04:02 UTC', not
    '04:02 UTC (04:02 UTC)'; London in winter still says GMT with UTC beside."""
    from datetime import UTC, datetime

    from evidence_kit.timeutil import when_text

    moment = datetime(2017, 3, 6, 4, 2, tzinfo=UTC)
    assert when_text(moment, "Etc/UTC") == "06 Mar 2017 04:02 UTC"
    assert when_text(moment, "UTC") == "06 Mar 2017 04:02 UTC"
    assert when_text(moment, "Europe/London") == "06 Mar 2017 04:02 GMT (04:02 UTC)"
