"""items.csv says what each item shows (issue 16): a plain ``summary`` column and a
``findings`` column (one a line, the severity in words), the same as ``evkit show`` and the HTML
report, empty for a sensitive item, and every such cell guarded against spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from evidence_kit.report.csv import COLUMNS, FORMULA_START, findings_text, item_row
from tests.conftest import SAMPLES, Run


def _rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    header, body = rows[0], rows[1 : rows.index([])]
    return [dict(zip(header, row, strict=True)) for row in body]


def test_items_csv_has_summary_and_findings(evkit: Callable[..., Run], tmp_path: Path) -> None:
    case = tmp_path / "case"
    r = evkit(
        "init",
        str(case),
        "--title",
        "Romance scam",
        "--collector",
        "Jane Doe",
        "--timezone",
        "Europe/London",
        input="",
    )
    assert r.exit_code == 0, r.output
    files = tmp_path / "files"
    files.mkdir()
    for p in SAMPLES.iterdir():
        if p.suffix in (".png", ".jpg", ".eml", ".csv"):
            shutil.copy(p, files / p.name)
    assert evkit("add", str(files), cwd=case).exit_code == 0
    listed = json.loads(evkit("list", "--json", cwd=case).stdout)
    ids = {it["original"]["name"]: it["id"] for it in listed if not it.get("parent")}
    photo = ids["photo-of-receipt.jpg"]
    r = evkit("mark", photo, "--sensitive", "--reason", "shows the victim's address", cwd=case)
    assert r.exit_code == 0, r.output
    assert evkit("report", "--format", "csv,json", cwd=case).exit_code == 0

    header = next(csv.reader(io.StringIO((case / "evkit/report/items.csv").read_text("utf-8-sig"))))
    assert header == list(COLUMNS)
    assert header.index("summary") == header.index("sha256") + 1
    assert header.index("findings") == header.index("summary") + 1
    rows = {row["id"]: row for row in _rows(case / "evkit/report/items.csv")}
    snapshot = json.loads((case / "evkit/report/case.json").read_text(encoding="utf-8"))

    # Each row says what the report says: the same summary and findings, in the same order.
    for item in snapshot["items"]:
        row = rows[item["id"]]
        if item["withheld"]:
            continue
        assert row["summary"] == item["summary"] and row["summary"]
        assert row["findings"].splitlines() == [
            {"warning": "Warning: ", "notable": "Worth a look: "}.get(f["severity"], "") + f["text"]
            for f in item["findings"]
        ]
    # The scam e-mail, read by hand from samples/scam-email.eml.
    email = rows[ids["scam-email.eml"]]
    assert email["summary"].startswith("E-mail from 'Mark Williams'")
    assert "replies go to a different address (m.williams.private@example.com)" in email["summary"]
    lines = email["findings"].splitlines()
    assert lines[0].startswith("Warning: ")
    assert any(line.startswith("Warning: ") and "SPF" in line for line in lines)
    assert any("198.51.100.23" in line for line in lines)
    # A sensitive item shows nothing of what it holds.
    assert rows[photo]["summary"] == "(withheld: sensitive)"
    assert rows[photo]["findings"] == ""


def test_summary_and_findings_cells_cannot_run_formulas() -> None:
    item = {
        "id": "E0001",
        "name": "x.eml",
        "mime": "message/rfc822",
        "size": 1,
        "sha256": "0" * 64,
        "withheld": False,
        "summary": '=HYPERLINK("http://203.0.113.9/x","click")',
        "findings": [
            {"severity": "fact", "text": "-2+3+cmd|' /C calc'!A0"},
            {"severity": "warning", "text": "@SUM(1)"},
        ],
    }
    row = dict(zip(COLUMNS, item_row(item), strict=True))
    assert row["summary"] == "'" + item["summary"]
    assert row["findings"] == "'-2+3+cmd|' /C calc'!A0\nWarning: @SUM(1)"
    hidden = {**item, "summary": "\u200b\u202e=1+1", "findings": [{"text": "\ufeff+1"}]}
    row = dict(zip(COLUMNS, item_row(hidden), strict=True))
    assert row["summary"].startswith("'") and row["findings"].startswith("'")
    for cell in item_row(item):
        assert not cell.startswith(FORMULA_START), cell
    # Nothing to say is an empty cell, not the word None.
    assert findings_text([]) is None and findings_text(None) is None
    assert dict(zip(COLUMNS, item_row({**item, "findings": []}), strict=True))["findings"] == ""
