"""Issue 12, defect 13: nested messages become items only so deep, and the record says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence_kit.ingest import add as ingest
from evidence_kit.ingest.add import DEPTH_LIMIT_NOTE, MAX_CHILD_DEPTH, add_files, reextract
from evidence_kit.store.signing import Signer
from evidence_kit.verify.checks import FolderSource, verify_source


def _chain(levels: int) -> bytes:
    msg = b"From: bottom@example.com\r\nSubject: innermost\r\n\r\nthe innermost text\r\n"
    for i in range(levels):
        msg = (
            f"From: level{i}@example.com\r\nSubject: wrapper {i}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: message/rfc822\r\n\r\n"
        ).encode() + msg
    return msg


@pytest.mark.parametrize("forked", [False, True])
def test_defect_13_nested_items_stop_at_the_depth_limit_with_a_note(
    make_case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    monkeypatch.setattr(ingest, "FORK_WORKERS", forked)
    src = tmp_path / "chain.eml"
    src.write_bytes(_chain(200))
    case = make_case()
    add_files(case, signer, [str(src)])
    items = case.items()
    assert len(items) == MAX_CHILD_DEPTH + 1  # the file, then one item per level down to 3
    deepest = [i for i in items.values() if DEPTH_LIMIT_NOTE in (i.extraction or {})["errors"]]
    assert len(deepest) == 1 and deepest[0].parent
    assert "kept inside this file exactly as received" in DEPTH_LIMIT_NOTE
    top = next(i for i in items.values() if not i.parent)
    assert any("not read" in e for e in top.extraction["errors"])  # the cut at 60 levels
    assert verify_source(FolderSource(case.root)).intact

    # Re-reading the deepest item must not add the levels `evkit add` left out.
    report = reextract(case, signer, [deepest[0].id])
    assert report.new_children == []
    assert DEPTH_LIMIT_NOTE in report.errors[deepest[0].id]
    reopened = type(case).open(case.root)
    assert len(reopened.items()) == MAX_CHILD_DEPTH + 1
    assert DEPTH_LIMIT_NOTE in reopened.item(deepest[0].id).extraction["errors"]
    assert verify_source(FolderSource(case.root)).intact
