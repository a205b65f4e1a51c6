"""Stress: kill ``add``, ``export``, ``report`` and ``note`` at random points (SIGKILL and
SIGINT); after each kill the next command recovers and the case passes every check.

Bounded for CI: one seeded kill per command and signal. Run more by hand, e.g.

    EVKIT_STRESS_TRIALS=25 EVKIT_STRESS_SEED=7 pytest -q tests/test_stress_kill.py

Each kill point is "the command has started changing the case (its transaction folder exists)
plus a random delay", or, for a quarter of the trials, a random delay from the start (which
also lands in start-up, locking and sealing).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import bagit
import pytest

from evidence_kit.ingest.hashing import sha256_file
from evidence_kit.store.case import Case
from evidence_kit.store.layout import has_pending
from evidence_kit.verify.checks import FolderSource, verify_source

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

TRIALS = int(os.environ.get("EVKIT_STRESS_TRIALS", "1"))
SEED = int(os.environ.get("EVKIT_STRESS_SEED", "20261203"))
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGINT": signal.SIGINT}


def _env(key_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["EVKIT_HOME"] = str(key_home)
    env.pop("EVKIT_PASSPHRASE", None)
    return env


def _evkit(root: Path, *args: str, key_home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evidence_kit", "-C", str(root), *args],
        env=_env(key_home),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    src = tmp_path / "phone-export"
    src.mkdir()
    rnd = random.Random(5)
    for i in range(1100):  # more than one journalled batch (1,000 files)
        (src / "chats" / f"msg-{i:04d}.txt").parent.mkdir(exist_ok=True)
        (src / "chats" / f"msg-{i:04d}.txt").write_bytes(f"message {i}\n".encode() * 30)
    for i in range(2):
        (src / f"video-{i}.bin").write_bytes(rnd.randbytes(3 << 20))
    (src / "scam.eml").write_bytes(
        b"From: a@example.org\r\nTo: b@example.org\r\nSubject: pay\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain"
        b"\r\n\r\nSend it.\r\n--XX\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename=invoice.bin\r\n\r\nINVOICE\r\n--XX--\r\n"
    )
    return src


def _command(name: str, src: Path, out_dir: Path, n: int) -> list[str]:
    if name == "add":
        return ["add", str(src), "--source", "phone"]
    if name == "export":
        return ["export", "--recipient", "DC Sam Patel", "--to", str(out_dir / f"h{n}.zip")]
    if name == "report":
        return ["report"]
    return ["note", f"called the bank ({n})"]


#: How long after a command starts changing the case its kill may come (its usual duration
#: here, so that kills spread over its work: copying, journals, records, the seal, the zip).
WINDOW = {"add": 0.5, "export": 0.3, "report": 0.3, "note": 0.03}


def _kill_during(
    root: Path,
    args: list[str],
    key_home: Path,
    sig: signal.Signals,
    rng: random.Random,
    window: float,
) -> int | None:
    """Run ``evkit ARGS`` and send ``sig`` at a random point; its exit code (None: killed)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "evidence_kit", "-C", str(root), *args],
        env=_env(key_home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if rng.random() < 0.25:
            time.sleep(rng.uniform(0.0, 1.5))
        else:
            deadline = time.monotonic() + 30
            while not has_pending(root) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0.0, window))
        if proc.poll() is None:
            proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert b"Traceback" not in err, err.decode(errors="replace")
    if sig == signal.SIGINT and proc.returncode not in (0, -signal.SIGINT):
        assert proc.returncode == 3, err  # stopped: said so, case left consistent
    return proc.returncode


def _check_case(root: Path, key_home: Path) -> None:
    out = _evkit(root, "list", key_home=key_home)  # the next command recovers
    assert out.returncode == 0, out.stderr
    assert not has_pending(root)
    out = _evkit(root, "verify", key_home=key_home)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr
    assert verify_source(FolderSource(root)).intact
    bagit.Bag(str(root)).validate()
    if shutil.which("sha256sum") and (root / "manifest-sha256.txt").read_text().strip():
        subprocess.run(
            ["sha256sum", "--strict", "-c", "manifest-sha256.txt"],
            cwd=root,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["sha256sum", "--strict", "-c", "tagmanifest-sha256.txt"],
            cwd=root,
            check=True,
            capture_output=True,
        )


def _all_sources_present(root: Path, src: Path, key_home: Path) -> None:
    out = _evkit(root, "add", str(src), "--source", "phone", key_home=key_home)
    assert out.returncode == 0, out.stderr
    stored = {it.sha256 for it in Case.open(root).items().values()}
    assert {sha256_file(p)[0] for p in src.rglob("*") if p.is_file()} <= stored
    _check_case(root, key_home)


@pytest.mark.parametrize("signame", list(SIGNALS))
@pytest.mark.parametrize("command", ["add", "export", "report", "note"])
def test_kill_at_random_points(
    command: str, signame: str, make_case, key_home: Path, sources: Path, tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}-{command}-{signame}")
    out_dir = tmp_path / "handovers"
    out_dir.mkdir()
    root = make_case().root
    if command != "add":  # something to hand over and report on (a few files: quick)
        given = [str(p) for p in sources.iterdir() if p.is_file()]
        assert _evkit(root, "add", *given, key_home=key_home).returncode == 0
    for n in range(TRIALS):
        if command == "add" and n:
            root = make_case().root  # each add trial starts from an empty case
        code = _kill_during(
            root,
            _command(command, sources, out_dir, n),
            key_home,
            SIGNALS[signame],
            rng,
            WINDOW[command],
        )
        print(f"{command} {signame} trial {n}: exit {code}")  # shown with pytest -s
        _check_case(root, key_home)
        if command == "add":  # the same add again ends with every source present
            _all_sources_present(root, sources, key_home)
