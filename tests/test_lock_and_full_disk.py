"""Issue 12, "Trust under stress": verify while another command works, and a full disk late in
an ``add``. Real processes, a real small file system; each test is bounded in time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import bagit
import pytest

from evidence_kit.ingest.hashing import sha256_file
from evidence_kit.store.case import Case, Session, StagedItem, new_item_record
from evidence_kit.store.signing import Signer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and flock")


def _env(key_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["EVKIT_HOME"] = str(key_home)
    env.pop("EVKIT_PASSPHRASE", None)
    return env


def _evkit(
    root: Path, *args: str, key_home: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evidence_kit", "-C", str(root), *args],
        env=_env(key_home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _events(root: Path) -> list[dict[str, object]]:
    return [
        json.loads(line) for line in (root / "evkit" / "custody.jsonl").read_bytes().splitlines()
    ]


def _mid_change(root: Path) -> bool:
    """The add has committed a batch (records and copies in place) but not sealed it yet."""
    items = root / "evkit" / "items.jsonl"
    return items.exists() and items.stat().st_size > 0


# ---- defect 1: verify during another command said CHANGED -----------------------------------
def test_defect_1_verify_during_add_never_reports_work_in_progress(
    make_case, key_home: Path, tmp_path: Path
) -> None:
    root = make_case().root
    src = tmp_path / "many"
    src.mkdir()
    for i in range(3000):  # several journalled batches: seconds of work
        (src / f"msg-{i:05d}.txt").write_bytes(f"message {i}\n".encode() * 20)
    add = subprocess.Popen(
        [sys.executable, "-m", "evidence_kit", "-C", str(root), "add", str(src)],
        env=_env(key_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not _mid_change(root) and add.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        assert add.poll() is None, "the add finished before verify could run beside it"
        seen = set()
        for command in (("verify",), ("verify", "--json"), ("list",), ("log",)):
            out = _evkit(root, *command, key_home=key_home, timeout=60)
            seen.add(out.returncode)
            # Either it waited for the add to seal (0), or it said it could not check yet (3);
            # never "changed" (1) for work in progress.
            assert out.returncode in (0, 3), (command, out.returncode, out.stdout[-2000:])
            if out.returncode == 3:
                assert "Another evkit command is" in out.stderr, out.stderr
                assert "CHANGED" not in out.stdout
        _out, err = add.communicate(timeout=120)
    finally:
        if add.poll() is None:
            add.kill()
            add.wait()
    assert add.returncode == 0, err
    out = _evkit(root, "verify", key_home=key_home)
    assert out.returncode == 0, out.stdout
    assert sum(1 for e in _events(root) if e["action"] == "recover") == 0


def _leave_mid_change(case: Case, signer: Signer, src: Path) -> None:
    """A change stopped (as by a power cut) after one batch was applied, before the seal."""
    sess = Session(case, signer, "add")
    part = sess.new_part(str(src))
    part.write_bytes(src.read_bytes())
    digest, size = sha256_file(part)
    record = new_item_record(
        item_id="E0001",
        sha256=digest,
        size=size,
        original_name=src.name,
        stored=f"data/E0001_{src.name}",
        mime="text/plain",
        original={},
        acquired={},
    )
    sess.commit("acquire", {"source": None, "note": None}, [StagedItem(part, record)])
    sess.abort()  # no seal, no recovery: the process is gone


def test_defect_1_verify_mid_change_without_the_key_is_could_not_check(
    make_case, signer: Signer, key_home: Path, tmp_path: Path
) -> None:
    case = make_case()
    src = tmp_path / "statement.txt"
    src.write_text("I sent the money on Tuesday.\n")
    _leave_mid_change(case, signer, src)
    stranger = tmp_path / "officer-home"  # no collector key here: recovery is not possible
    stranger.mkdir()
    out = _evkit(case.root, "verify", "--json", key_home=stranger)
    assert out.returncode == 3, out.stdout
    report = json.loads(out.stdout)
    assert report["result"] == "not-verified"
    assert [f["code"] for f in report["findings"]] == ["case.interrupted"]
    assert all(f["kind"] == "unchecked" for f in report["findings"])
    # Read commands refuse rather than show a half-written case: the key is needed to finish.
    assert _evkit(case.root, "list", key_home=stranger).returncode == 3
    # With the collector's key, the next command finishes the work and the case verifies.
    out = _evkit(case.root, "verify", key_home=key_home)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "finished an interrupted 'add'" in out.stderr
    assert [e["action"] for e in _events(case.root)][-2:] == ["acquire", "recover"]
    bagit.Bag(str(case.root)).validate()


def test_defect_1_verify_waits_for_a_command_that_is_just_finishing(
    make_case, key_home: Path
) -> None:
    """A writer holding the lock briefly: verify waits for it instead of failing."""
    root = make_case().root
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(0.6)\n",
            str(root / "evkit" / "lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        out = _evkit(root, "verify", key_home=key_home)
        assert out.returncode == 0, out.stdout + out.stderr
    finally:
        holder.kill()
        holder.wait()


def test_defect_1_verify_while_a_command_holds_the_case_is_could_not_check(
    make_case, key_home: Path
) -> None:
    root = make_case().root
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(30)\n",
            str(root / "evkit" / "lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        out = _evkit(root, "verify", key_home=key_home)
        assert time.monotonic() - started < 15
        assert out.returncode == 3, out.stdout
        assert "changing this case" in out.stderr and "evkit verify' again" in out.stderr
        out = _evkit(root, "verify", "--json", key_home=key_home)  # a program gets JSON too
        assert out.returncode == 3
        doc = json.loads(out.stdout)
        assert doc["result"] == "not-verified" and doc["findings"][0]["code"] == "case.busy"
        for command in (("list",), ("show", "E0001"), ("log",)):
            out = _evkit(root, *command, key_home=key_home)
            assert out.returncode == 3 and "Another evkit command" in out.stderr, command
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert _evkit(root, "verify", key_home=key_home).returncode == 0


# ---- defect 3: a full disk late in add left the case CHANGED ---------------------------------
@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real 30 MB file system (tmpfs), so that the disk really fills up."""
    if sys.platform != "linux":
        pytest.skip("needs Linux tmpfs")
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CAP_SYS_ADMIN); not root here")
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    out = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=30m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        pytest.skip(f"mount is not permitted here (no CAP_SYS_ADMIN?): {out.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _free(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _fill_to(mnt: Path, free: int) -> Path:
    """Take space until only ``free`` bytes are left."""
    filler = mnt / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        take = _free(mnt) - free
        if take > 0:
            os.posix_fallocate(fd, 0, take)
    finally:
        os.close(fd)
    return filler


@pytest.fixture
def disk_sources(tmp_path: Path) -> Path:
    src = tmp_path / "statements"
    src.mkdir()
    rnd = __import__("random").Random(12)
    for i in range(1100):  # first in name order: one full batch (1,000 files) commits first
        (src / f"chat-{i:04d}.txt").write_bytes(f"message {i}\n".encode() * 50)
    for i in range(18):
        (src / f"video-{i:02d}.bin").write_bytes(rnd.randbytes(1 << 20))
    return src


def _disk_use(src: Path) -> int:
    """What the sources take on the small disk (tmpfs counts whole 4 KiB pages)."""
    return sum(-(-p.stat().st_size // 4096) * 4096 for p in src.iterdir())


MiB = 1 << 20


@pytest.mark.parametrize(
    "slack",
    [-3 * MiB, 0, 150 * 1024, 300 * 1024, 450 * 1024, 600 * 1024],
    ids=["copying", "last-copy", "journal", "log", "seal", "seal-late"],
)
def test_defect_3_full_disk_late_in_add_leaves_the_case_verifiable(
    small_disk: Path, disk_sources: Path, signer: Signer, key_home: Path, slack: int
) -> None:
    from evidence_kit.store.case import create_case

    total = _disk_use(disk_sources)
    root = create_case(
        small_disk / "case",
        {
            "title": "Disk full",
            "collector": {"name": "Jane Doe"},
            "timezone": "UTC",
            "references": [],
        },
        signer,
    ).root
    filler = _fill_to(small_disk, max(total + slack, 20 * 1024))
    free_before = _free(small_disk)
    out = _evkit(root, "add", "--no-extract", str(disk_sources), key_home=key_home)
    assert out.returncode == 3, out.stdout + out.stderr
    add_err = out.stderr
    message_ok = "The disk is full." in add_err and "No space left" not in add_err
    started = any(e["action"] == "recover" for e in _events(root))
    assert _free(small_disk) <= free_before  # still full: the filler is still there
    # The case is consistent now, with the disk still full.
    out = _evkit(root, "verify", key_home=key_home)
    assert out.returncode == 0, out.stdout + out.stderr
    assert _evkit(root, "list", key_home=key_home).returncode == 0
    assert _evkit(root, "log", key_home=key_home).returncode == 0
    assert _evkit(root, "verify", key_home=key_home).returncode == 0
    assert message_ok, add_err
    recovers = [e for e in _events(root) if e["action"] == "recover"]
    assert len(recovers) == (1 if started else 0)
    assert not list(root.rglob("*.part"))
    assert not (root / "evkit" / "txn").exists() or not any((root / "evkit" / "txn").iterdir())
    bagit.Bag(str(root)).validate()
    if (root / "manifest-sha256.txt").read_text().strip():  # (sha256sum refuses an empty list)
        subprocess.run(
            ["sha256sum", "--strict", "-c", "manifest-sha256.txt"],
            cwd=root,
            check=True,
            capture_output=True,
        )
    # Space freed: the same add again ends with every source in the case.
    filler.unlink()
    out = _evkit(root, "add", "--no-extract", str(disk_sources), key_home=key_home)
    assert out.returncode == 0, out.stdout + out.stderr
    stored = {it.sha256 for it in Case.open(root).items().values()}
    assert {sha256_file(p)[0] for p in disk_sources.iterdir()} <= stored
    assert _evkit(root, "verify", key_home=key_home).returncode == 0


def test_defect_3_nearly_no_space_says_disk_full_and_changes_nothing(
    small_disk: Path, disk_sources: Path, signer: Signer, key_home: Path
) -> None:
    from evidence_kit.store.case import create_case

    root = create_case(
        small_disk / "case",
        {
            "title": "Disk full",
            "collector": {"name": "Jane Doe"},
            "timezone": "UTC",
            "references": [],
        },
        signer,
    ).root
    before = (root / "evkit" / "custody.jsonl").read_bytes()
    _fill_to(small_disk, 20 * 1024)  # 0.02 MB
    for command in (("add", str(disk_sources)), ("note", "called the bank")):
        out = _evkit(root, *command, key_home=key_home)
        assert out.returncode == 3, out.stdout + out.stderr
        assert "The disk is full." in out.stderr and "No space left" not in out.stderr
    assert (root / "evkit" / "custody.jsonl").read_bytes() == before
    assert _evkit(root, "verify", key_home=key_home).returncode == 0
    assert _evkit(root, "list", key_home=key_home).returncode == 0


def test_defect_3_recovery_run_again_appends_one_recover_event(
    make_case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recovery stopped after its event was appended (no room for the seal): run again, it
    appends the same event line, never a second one, and the case verifies."""
    import errno

    from evidence_kit.errors import StorageError
    from evidence_kit.store import case as case_mod
    from evidence_kit.verify.checks import FolderSource, verify_source

    case = make_case()
    src = tmp_path / "statement.txt"
    src.write_text("I sent the money on Tuesday.\n")
    _leave_mid_change(case, signer, src)
    real_seal = case_mod.write_seal

    def no_room(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(case_mod, "write_seal", no_room)
    for _ in range(2):
        with pytest.raises((OSError, StorageError)):
            case_mod.recover(Case.open(case.root), signer)
    monkeypatch.setattr(case_mod, "write_seal", real_seal)
    message = case_mod.recover(Case.open(case.root), signer)
    assert message and "interrupted 'add'" in message
    actions = [e["action"] for e in _events(case.root)]
    assert actions == ["case.created", "acquire", "recover"]
    assert not Case.open(case.root).pending()
    assert verify_source(FolderSource(case.root)).intact
