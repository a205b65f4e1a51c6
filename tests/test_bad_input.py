"""Bad input gets a clear one-line message, no traceback, and nothing half-written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from evidence_kit.verify.checks import FolderSource, verify_source


@pytest.fixture
def case(evkit, tmp_path: Path) -> Path:
    root = tmp_path / "case"
    assert evkit("init", str(root), "--title", "t", "--collector", "Jane").exit_code == 0
    return root


def items(evkit, case: Path) -> list[dict[str, object]]:
    return json.loads(evkit("list", "--json", cwd=case).stdout)  # type: ignore[no-any-return]


def test_missing_path_is_usage_error_and_others_still_added(
    evkit, case: Path, evidence: Path
) -> None:
    r = evkit("add", str(evidence / "nope.png"), str(evidence / "note.txt"), cwd=case)
    assert r.exit_code == 2
    assert "nope.png does not exist" in r.stderr
    assert "Traceback" not in r.output
    assert len(items(evkit, case)) == 1
    assert verify_source(FolderSource(case)).intact


def test_only_missing_paths_adds_nothing(evkit, case: Path, tmp_path: Path) -> None:
    before = (case / "evkit" / "custody.jsonl").read_bytes()
    r = evkit("add", str(tmp_path / "ghost.eml"), cwd=case)
    assert r.exit_code == 2
    assert (case / "evkit" / "custody.jsonl").read_bytes() == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_directory_of_fifos_and_a_symlink(evkit, case: Path, tmp_path: Path) -> None:
    d = tmp_path / "pipes"
    d.mkdir()
    os.mkfifo(d / "pipe1")
    os.mkfifo(d / "pipe2")
    (d / "real.txt").write_text("real")
    os.symlink(d / "real.txt", d / "link.txt")
    r = evkit("add", str(d), cwd=case)  # must not block on the FIFOs
    assert r.exit_code == 3
    assert r.stderr.count("named pipe (FIFO)") == 2
    assert "symbolic link" in r.stderr
    assert [i["original"]["name"] for i in items(evkit, case)] == ["real.txt"]
    r = evkit("add", str(d / "pipe1"), cwd=case)
    assert r.exit_code == 3 and "named pipe" in r.stderr


def test_permission_denied(evkit, case: Path, evidence: Path, monkeypatch) -> None:
    secret = evidence / "note.txt"
    real_open = os.open

    def deny(path, flags, *a, **k):
        if str(path) == str(secret):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", deny)  # root ignores chmod, so simulate the refusal
    r = evkit("add", str(evidence), cwd=case)
    monkeypatch.undo()
    assert r.exit_code == 3
    assert "note.txt cannot be read (permission denied)" in r.stderr
    assert len(items(evkit, case)) == 2
    assert verify_source(FolderSource(case)).intact


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files whatever their mode")
def test_permission_denied_real(evkit, case: Path, evidence: Path) -> None:
    (evidence / "note.txt").chmod(0)
    r = evkit("add", str(evidence), cwd=case)
    assert r.exit_code == 3 and "permission denied" in r.stderr


def test_zero_byte_file_is_preserved_with_a_note(evkit, case: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    r = evkit("add", str(empty), cwd=case)
    assert r.exit_code == 0
    assert "is empty (0 bytes)" in r.stderr
    (item,) = items(evkit, case)
    assert item["size"] == 0 and item["mime"] == "inode/x-empty"
    assert verify_source(FolderSource(case)).intact


def test_path_given_twice(evkit, case: Path, evidence: Path) -> None:
    p = str(evidence / "note.txt")
    r = evkit("add", p, p, str(evidence), cwd=case)
    assert r.exit_code == 0
    assert "given twice" in r.stderr
    assert len(items(evkit, case)) == 3


def test_adding_the_case_itself_is_refused(evkit, case: Path) -> None:
    r = evkit("add", str(case / "bagit.txt"), cwd=case)
    assert r.exit_code == 3 and "inside the case folder" in r.stderr


def test_source_files_are_never_written(evkit, case: Path, evidence: Path) -> None:
    before = {
        p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode) for p in evidence.iterdir()
    }
    assert evkit("add", str(evidence), cwd=case).exit_code == 0
    after = {
        p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode) for p in evidence.iterdir()
    }
    assert before == after
    for p in (case / "data").iterdir():
        assert p.stat().st_mode & 0o222 == 0, "stored evidence must be read-only"


def test_wrong_key_cannot_change_a_case(
    evkit, case: Path, evidence: Path, tmp_path: Path, monkeypatch
) -> None:
    other = tmp_path / "other-home"
    monkeypatch.setenv("EVKIT_HOME", str(other))
    from evidence_kit.store.signing import create_key

    create_key(None, other)
    r = evkit("add", str(evidence), cwd=case)
    assert r.exit_code == 3 and "another signing key" in r.stderr


def test_locked_case(evkit, case: Path, evidence: Path) -> None:
    from evidence_kit.store.fsutil import CaseLock

    lock = CaseLock(case / "evkit" / "lock")
    lock.acquire(exclusive=True)
    try:
        r = evkit("add", str(evidence), cwd=case)
    finally:
        lock.release()
    assert r.exit_code == 3 and "Another evkit command" in r.stderr
