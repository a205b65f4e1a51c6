"""A few large files are copied two at a time on threads: same records, same bytes, and an
interruption in the middle still leaves a case that recovers and verifies."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from evidence_kit import ingest
from evidence_kit.case import Case
from evidence_kit.ingest import add_files
from evidence_kit.signing import Signer
from evidence_kit.verify import FolderSource, verify_source

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _records(case: Case) -> dict[str, tuple[str, str, int]]:
    return {it.name: (it.mime, it.sha256, it.size) for it in case.items().values()}


def test_threaded_copies_match_the_inline_ones(make_case, signer: Signer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    (src / "video.bin").write_bytes(os.urandom(9 << 20))  # several early-writeback steps
    inline = make_case("inline")
    monkeypatch.setattr(ingest, "THREADED_MIN_BYTES", 1 << 62)
    add_files(inline, signer, [str(src)])
    threaded = make_case("threaded")
    monkeypatch.setattr(ingest, "THREADED_MIN_BYTES", 0)
    report = add_files(threaded, signer, [str(src)])
    assert not report.problems
    assert _records(threaded) == _records(inline)  # same types (libmagic shared safely) too
    for item in threaded.items().values():
        if item.parent is None:
            original = src / item.name
            assert (threaded.root / item.stored).read_bytes() == original.read_bytes()
    assert verify_source(FolderSource(threaded.root)).intact


def test_interrupted_threaded_add_recovers(make_case, signer: Signer, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "big"
    src.mkdir()
    for i in range(4):
        (src / f"video-{i}.bin").write_bytes(os.urandom(20 << 20))
    monkeypatch.setattr(ingest, "THREADED_MIN_BYTES", 0)
    case = make_case()

    def stop(_size: int, _name: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        add_files(case, signer, [str(src)], progress=stop)
    reopened = Case.open(case.root)
    assert reopened.recover_if_needed(signer) is None  # the interrupted command recovered
    last = reopened.read_log().events[-1]
    assert last["action"] == "recover" and last["data"]["not_added"]
    assert verify_source(FolderSource(case.root)).intact
    assert not list(case.root.rglob("*.part"))
    for item in reopened.items().values():
        assert (case.root / item.stored).read_bytes() == (src / item.name).read_bytes()
    assert add_files(reopened, signer, [str(src)]).problems == []  # the rest can be added
    assert len(Case.open(case.root).items()) == 4
