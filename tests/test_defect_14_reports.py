"""Issue 12, defect 14: statement rows kept with an unreadable date or amount never crash the
timeline or the reports, and show there in plain words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evidence_kit.verify.checks import FolderSource, verify_source

STATEMENT = (
    "Date,Description,Amount\n"
    "2024-03-01,Salary,2000.00\n"
    '2024-13-45,=HYPERLINK("http://evil.example") scammer,-950.00\n'
    "2024-03-03,Crypto deposit to scammer,-1x00.00\n"
)


def test_defect_14_partial_rows_in_timeline_and_reports(evkit: Any, tmp_path: Path) -> None:
    root = tmp_path / "case"
    assert evkit("init", str(root), "--title", "t", "--collector", "Jane").exit_code == 0
    src = tmp_path / "statement.csv"
    src.write_text(STATEMENT)
    r = evkit("add", str(src), cwd=root)
    assert r.exit_code == 0, r.output
    (item,) = json.loads(evkit("list", "--json", cwd=root).stdout)
    meta = item["extraction"]["metadata"]
    assert len(meta["transactions"]) == 1 and len(meta["partial_transactions"]) == 2

    r = evkit("timeline", "--json", cwd=root)
    assert r.exit_code == 0, r.output
    facts = [e for e in json.loads(r.stdout) if "transaction" in (e.get("what") or "")]
    assert len(facts) == 2  # the full row, and the row with a date but no readable amount
    assert any("amount could not be read" in e["what"] and "-1x00.00" in e["what"] for e in facts)
    assert evkit("timeline", cwd=root).exit_code == 0

    r = evkit("report", cwd=root)
    assert r.exit_code == 0, r.output
    page = (root / "evkit/report/index.html").read_text("utf-8")
    assert "the date could not be read" in page and "2024-13-45" in page
    assert "the amount could not be read" in page and "left_out_of_totals" in page
    assert "=HYPERLINK" in page  # shown as text
    snapshot = json.loads((root / "evkit/report/case.json").read_text("utf-8"))
    (snap_item,) = snapshot["items"]
    partial = snap_item["extraction"]["metadata"]["partial_transactions"]
    assert [p["unreadable"] for p in partial] == [["date"], ["amount"]]
    assert verify_source(FolderSource(root)).intact
