"""Kill -9 and Ctrl-C during a large ``add``: the next command recovers and the case verifies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest

from evidence_kit.store.case import Case
from evidence_kit.verify.checks import FolderSource, verify_source

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture
def many_files(tmp_path: Path) -> Path:
    src = tmp_path / "many"
    src.mkdir()
    for i in range(2600):  # more than two journalled batches (1000 files each)
        (src / f"msg-{i:05d}.txt").write_bytes(f"message {i}\n".encode() * 40)
    return src


def _env(key_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["EVKIT_HOME"] = str(key_home)
    env.pop("EVKIT_PASSPHRASE", None)
    return env


def _start_add(root: Path, src: Path, key_home: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "evidence_kit", "-C", str(root), "add", str(src)],
        env=_env(key_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(cond: Callable[[], bool], proc: subprocess.Popen[bytes], limit: float = 60) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if cond():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.0005)
    return False


def _staged(root: Path) -> bool:
    txn = root / "evkit" / "txn"
    return txn.is_dir() and any(txn.glob("*/*.part"))


def _one_batch_committed(root: Path) -> bool:
    p = root / "evkit" / "items.jsonl"
    return p.exists() and p.stat().st_size > 0


def _after_recovery_checks(root: Path, src: Path, key_home: Path) -> None:
    # Any next command (here: list) brings the case back to a consistent, verifiable state.
    out = subprocess.run(
        [sys.executable, "-m", "evidence_kit", "-C", str(root), "list", "--json"],
        env=_env(key_home),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "finished an interrupted 'add'" in out.stderr
    assert not (root / "evkit" / "txn").exists() or not any((root / "evkit" / "txn").iterdir())
    report = verify_source(FolderSource(root))
    assert report.intact, report.findings
    bagit.Bag(str(root)).validate()
    case = Case.open(root)
    events = case.read_log().events
    assert events[-1]["action"] == "recover"
    for item in case.items().values():  # whatever was kept is byte-identical to its source
        assert (root / item.stored).read_bytes() == Path(item.original["path"]).read_bytes()
    # Adding the folder again completes the set; nothing is stored twice.
    out = subprocess.run(
        [sys.executable, "-m", "evidence_kit", "-C", str(root), "add", str(src)],
        env=_env(key_home),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert len(Case.open(root).items()) == 2600
    assert verify_source(FolderSource(root)).intact


@pytest.mark.parametrize("moment", ["while copying", "after a batch was committed"])
def test_kill_9_during_large_add(moment: str, make_case, key_home: Path, many_files: Path) -> None:
    root = make_case().root
    proc = _start_add(root, many_files, key_home)
    cond = _staged if moment == "while copying" else _one_batch_committed
    reached = _wait_for(lambda: cond(root), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert reached, "the add finished before the kill point; the test needs more files"
    _after_recovery_checks(root, many_files, key_home)


def test_ctrl_c_during_large_add(make_case, key_home: Path, many_files: Path) -> None:
    root = make_case().root
    proc = _start_add(root, many_files, key_home)
    assert _wait_for(lambda: _one_batch_committed(root), proc)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    assert b"Traceback" not in err
    assert b"stopped" in err and b"left consistent" in err
    # The interrupted command recovered by itself: nothing pending, the case verifies.
    assert not (root / "evkit" / "txn").exists() or not any((root / "evkit" / "txn").iterdir())
    assert verify_source(FolderSource(root)).intact
    events = Case.open(root).read_log().events
    assert events[-1]["action"] == "recover"
    assert "Ctrl-C" in json.dumps(events[-1]["data"])
