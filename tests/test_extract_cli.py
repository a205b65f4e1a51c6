"""``evkit extract`` re-reads stored copies, logs it, and the case still verifies."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SAMPLES

from evidence_kit.verify.checks import FolderSource, verify_source


def test_reextract_revises_records_and_keeps_case_valid(evkit, tmp_path: Path) -> None:
    case = tmp_path / "c"
    assert evkit("init", str(case), "--title", "t", "--collector", "Jane").exit_code == 0
    eml = SAMPLES / "scam-email.eml"
    assert evkit("add", "--no-extract", str(eml), cwd=case).exit_code == 0
    (item,) = json.loads(evkit("list", "--json", cwd=case).stdout)
    assert item["extraction"] is None
    before = (case / item["stored"]).read_bytes()
    r = evkit("extract", "E0001", cwd=case)
    assert r.exit_code == 0, r.output
    items = json.loads(evkit("list", "--json", cwd=case).stdout)
    first = items[0]
    assert first["rev"] == 2 and first["extraction"]["extractor"] == "email"
    assert (case / first["stored"]).read_bytes() == before
    # The attachment, not extracted at add time, is now an item of its own.
    assert any(i.get("parent") and i["parent"]["id"] == "E0001" for i in items)
    events = json.loads(evkit("log", "--json", cwd=case).stdout)
    assert events[-1]["action"] == "extract"
    assert verify_source(FolderSource(case)).intact
    assert evkit("extract", "--all", cwd=case).exit_code == 0
    assert verify_source(FolderSource(case)).intact


def test_extract_needs_items_or_all(evkit, tmp_path: Path) -> None:
    case = tmp_path / "c"
    evkit("init", str(case), "--title", "t", "--collector", "Jane")
    assert evkit("extract", cwd=case).exit_code == 2
    r = evkit("extract", "E0042", cwd=case)
    assert r.exit_code == 2 and "no item E0042" in r.stderr
