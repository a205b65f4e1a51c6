"""Verify's explicit check list: the numbered checks in order, and extra checks from the caller."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from evidence_kit.ingest.add import add_files
from evidence_kit.models import Check, Finding
from evidence_kit.store.signing import Signer
from evidence_kit.verify.checks import (
    CHECKS,
    CheckResult,
    FolderSource,
    VerifyContext,
    verify_source,
)
from evidence_kit.verify.verify_extras import standard_checks

FORMAT = Path(__file__).resolve().parents[1] / "docs" / "FORMAT.md"


@pytest.fixture
def case_root(make_case, signer: Signer, evidence: Path) -> Path:
    case = make_case("checks")
    add_files(case, signer, [str(evidence)])
    return case.root


def test_checks_are_numbered_as_the_format_documents_them() -> None:
    assert [c.number for c in CHECKS] == list(range(1, 9))
    section = FORMAT.read_text("utf-8").split("## What `evkit verify` checks", 1)[1]
    numbered = re.findall(r"^(\d+)\. ", section.split("\n## ", 1)[0], flags=re.MULTILINE)
    assert numbered == [str(n) for n in range(1, 11)]


def test_the_report_lists_the_checks_in_their_order(case_root: Path) -> None:
    rep = verify_source(FolderSource(case_root))
    assert [c.name for c in rep.checks] == [
        "BagIt declaration",
        "Tag manifest",
        "Evidence files present",
        "Evidence hashes",
        "Collector key",
        "Custody log",
        "Item records",
        "Seal",
    ]


class _Always:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[VerifyContext] = []

    def applies(self, ctx: VerifyContext) -> bool:
        return True

    def run(self, ctx: VerifyContext) -> CheckResult | None:
        self.seen.append(ctx)
        return Check(self.name, False, "1 problem(s)"), [Finding("x.test", "a test", None)]


def test_extra_checks_come_from_the_caller_in_order(case_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(case_root, root)
    (root / "evkit" / "report").mkdir(exist_ok=True)
    (root / "evkit" / "report" / "page.html").write_text("<script>alert(1)</script>")
    first, second = _Always("First"), _Always("Second")
    rep = verify_source(FolderSource(root), extra_checks=(first, second))
    assert [c.name for c in rep.checks][-2:] == ["First", "Second"]
    assert "report.active" not in {f.code for f in rep.findings}  # not passed: not run
    ctx = first.seen[0]
    assert ctx.log.events and ctx.seal and ctx.items and ctx.key is not None
    standard = verify_source(FolderSource(root), extra_checks=standard_checks())
    assert "report.active" in {f.code for f in standard.findings}
    assert standard == verify_source(FolderSource(root))  # the default is the standard list
