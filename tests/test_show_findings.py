"""``evkit show ITEM``: a plain summary and the findings first, every detail on --full, the
stored record unchanged on --json."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import SAMPLES, Run


def test_show_puts_the_story_first(evkit: Callable[..., Run], tmp_path: Path) -> None:
    case = tmp_path / "case"
    r = evkit(
        "init",
        str(case),
        "--title",
        "T",
        "--collector",
        "Jane Doe",
        "--timezone",
        "UTC",
        input="",
    )
    assert r.exit_code == 0, r.output
    mail = tmp_path / "scam-email.eml"
    shutil.copy(SAMPLES / "scam-email.eml", mail)
    assert evkit("add", str(mail), cwd=case).exit_code == 0
    shown = evkit("show", "E0001", cwd=case)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0] == "E0001  scam-email.eml"
    assert lines[1].startswith("E-mail from 'Mark Williams' <mark.williams.oilrig@example.net>")
    assert lines[3] == "What it shows:"
    assert lines[4].startswith("  Warning: Replies go to a different address")
    # No raw field names or JSON in the plain view; they come with --full.
    assert "looks_like_screenshot" not in shown.stdout and "{" not in shown.stdout
    assert "transfer_encoding" not in shown.stdout
    assert "evkit show E0001 --full" in shown.stdout
    full = evkit("show", "E0001", "--full", cwd=case)
    assert '"transfer_encoding": "base64"' in full.stdout
    assert full.stdout.startswith(shown.stdout.rsplit("Everything recorded", 1)[0])
    record = json.loads(evkit("show", "E0001", "--json", cwd=case).stdout)
    assert "findings" not in record and record["extraction"]["extractor"] == "email"
    assert set(record) >= {"id", "sha256", "extraction", "original", "acquired"}


def test_hostile_text_in_findings_is_shown_escaped(
    evkit: Callable[..., Run], tmp_path: Path
) -> None:
    case = tmp_path / "case"
    assert evkit("init", str(case), "--title", "T", "--collector", "J", input="").exit_code == 0
    mail = tmp_path / "m.eml"
    mail.write_bytes(
        b"From: Eve <eve@example.net>\r\nReply-To: <x\x1b]0;PWNED\x07@evil.example.com>\r\n"
        b"Subject: hi \x1b[2J\r\nDate: Thu, 19 Nov 2026 13:15:03 +0000\r\n\r\nbody\r\n"
    )
    assert evkit("add", str(mail), cwd=case).exit_code == 0
    shown = evkit("show", "E0001", cwd=case)
    assert shown.exit_code == 0
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "\\x1b" in shown.stdout


def test_timeline_shows_findings_beside_the_item(evkit: Callable[..., Run], tmp_path: Path) -> None:
    case = tmp_path / "case"
    assert evkit("init", str(case), "--title", "T", "--collector", "J", input="").exit_code == 0
    mail = tmp_path / "scam-email.eml"
    shutil.copy(SAMPLES / "scam-email.eml", mail)
    assert evkit("add", str(mail), cwd=case).exit_code == 0
    out = evkit("timeline", cwd=case).stdout.splitlines()
    sent = next(n for n, line in enumerate(out) if "E0001: e-mail sent (Date header)" in line)
    assert out[sent + 1].strip().startswith("Warning (E0001): Replies go to a different address")
    assert sum("Replies go to a different address" in line for line in out) == 1
    entries = json.loads(evkit("timeline", "--json", cwd=case).stdout)
    assert isinstance(entries, list) and all("what" in e for e in entries)
    assert not any("Replies go" in json.dumps(e) for e in entries)
