"""Streaming hashing equals hashlib on every size, across the serial, thread and process paths."""

from __future__ import annotations

import errno
import hashlib
import os
import sys
from pathlib import Path

import pytest
from conftest import no_children_left
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_kit.ingest.hashing import (
    CHUNK,
    WRITEBACK_STEP,
    CopyCancelledError,
    copy_and_hash,
    hash_many,
    sha256_file,
    start_line_digests,
)


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17, 2 * WRITEBACK_STEP + 5]
)
def test_sha256_file_and_copy(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    src = tmp_path / "src"
    src.write_bytes(data)
    assert sha256_file(src) == (hashlib.sha256(data).hexdigest(), size)
    dst = tmp_path / "dst"
    fi, fo = os.open(src, os.O_RDONLY), os.open(dst, os.O_WRONLY | os.O_CREAT)
    try:
        res = copy_and_hash(fi, fo)
    finally:
        os.close(fi)
        os.close(fo)
    assert dst.read_bytes() == data
    assert res.sha256 == hashlib.sha256(data).hexdigest() and res.size == size
    assert res.head == data[:8192]


def test_a_cancelled_copy_stops(tmp_path: Path) -> None:
    import threading

    src = tmp_path / "src"
    src.write_bytes(os.urandom(2 * WRITEBACK_STEP))
    cancel = threading.Event()
    cancel.set()
    fi, fo = os.open(src, os.O_RDONLY), os.open(tmp_path / "dst", os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(CopyCancelledError):
            copy_and_hash(fi, fo, cancel=cancel)
    finally:
        os.close(fi)
        os.close(fo)
    assert (tmp_path / "dst").stat().st_size < src.stat().st_size


@pytest.mark.parametrize("count,size", [(3, 10), (300, 100), (5, 3 * CHUNK)])
def test_hash_many_paths(tmp_path: Path, count: int, size: int) -> None:
    paths, expected = [], {}
    for i in range(count):
        p = tmp_path / f"f{i}"
        data = os.urandom(size)
        p.write_bytes(data)
        paths.append(str(p))
        expected[str(p)] = hashlib.sha256(data).hexdigest()
    missing = str(tmp_path / "missing")
    half = len(paths) // 2
    order = paths[:half] + [missing] + paths[half:]  # an error mid-batch keeps the others apart
    outs = {o.path: o for o in hash_many(order, [size] * count + [0], workers=2)}
    assert {p: outs[p].sha256 for p in paths} == expected
    assert {p: outs[p].size for p in paths} == dict.fromkeys(paths, size)
    assert outs[missing].error == os.strerror(errno.ENOENT) and outs[missing].sha256 is None


def test_many_small_files_with_empty_ones(tmp_path: Path) -> None:
    """Forked workers tell an empty file (hashed, 0 bytes) from one never reached."""
    paths, expected = _small_files(tmp_path, 300)
    for p in paths[::7]:
        Path(p).write_bytes(b"")
        expected[p] = hashlib.sha256(b"").hexdigest()
    outs = {o.path: o for o in hash_many(paths, [120] * 300, workers=2)}
    assert {p: o.sha256 for p, o in outs.items()} == expected
    assert all(outs[p].size == 0 for p in paths[::7])


def test_forked_workers_do_not_share_a_buffer(tmp_path: Path) -> None:
    """Regression: the parent's reused buffer must not be shared with forked hashing workers."""
    sha256_file(__file__)  # the parent now owns a buffer, as after an 'add' in the same process
    paths, expected = [], {}
    for i in range(600):
        p = tmp_path / f"s{i}"
        data = os.urandom(20_000 + i)
        p.write_bytes(data)
        paths.append(str(p))
        expected[str(p)] = hashlib.sha256(data).hexdigest()
    outs = {o.path: o.sha256 for o in hash_many(paths, [20_000] * 600, workers=2)}
    assert outs == expected


def test_is_dangerous_fast_path_agrees_with_normalisation() -> None:
    import posixpath

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from evidence_kit.store.bag import is_dangerous

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet="ab./\\:\x00", max_size=12))
    def check(path: str) -> None:
        slow = (
            not path
            or "\x00" in path
            or path.startswith(("/", "\\"))
            or (len(path) > 1 and path[1] == ":" and path[0].isalpha())
        )
        if not slow:
            norm = posixpath.normpath(path.replace("\\", "/"))
            slow = norm.startswith("../") or norm == ".." or norm != path.replace("\\", "/")
        assert is_dangerous(path) == slow, path

    check()


def test_threaded_hashing_stops_when_the_consumer_stops(tmp_path: Path) -> None:
    """Large files are hashed on plain threads; a consumer that stops early (an error, Ctrl-C)
    neither hangs nor leaves the threads starting new files."""
    import threading

    paths = []
    for i in range(12):
        p = tmp_path / f"big{i}"
        p.write_bytes(os.urandom(5 * CHUNK))
        paths.append(str(p))
    before = threading.active_count()
    outs = hash_many(paths, [5 * CHUNK] * 12, workers=2)
    first = next(iter(outs))
    assert first.sha256 == hashlib.sha256(Path(first.path).read_bytes()).hexdigest()
    outs.close()  # type: ignore[attr-defined]
    for t in threading.enumerate():
        if t.name.startswith("evkit-hash-"):
            t.join(timeout=10)
    assert threading.active_count() <= before
    # And run to the end, every file once, with no sizes known in advance (as verify does).
    got = [o.path for o in hash_many(paths, None, workers=2)]
    assert sorted(got) == sorted(paths)


def _small_files(tmp_path: Path, count: int) -> tuple[list[str], dict[str, str]]:
    paths, expected = [], {}
    for i in range(count):
        p = tmp_path / f"m{i}"
        data = os.urandom(100 + i % 50)
        p.write_bytes(data)
        paths.append(str(p))
        expected[str(p)] = hashlib.sha256(data).hexdigest()
    return paths, expected


def test_many_small_files_named_as_asked(tmp_path: Path) -> None:
    paths, expected = _small_files(tmp_path, 400)
    names = [f"data/{os.path.basename(p)}" for p in paths]
    seen = []
    outs = {
        o.path: o.sha256
        for o in hash_many(paths, [120] * 400, workers=2, names=names, progress=seen.append)
    }
    assert outs == {f"data/{os.path.basename(p)}": h for p, h in expected.items()}
    assert sum(seen) == sum(os.path.getsize(p) for p in paths)  # progress counts bytes
    assert no_children_left()


def test_a_consumer_that_stops_early_leaves_no_workers(tmp_path: Path) -> None:
    paths, _ = _small_files(tmp_path, 2000)
    outs = hash_many(paths, [120] * 2000, workers=2)
    next(iter(outs))
    outs.close()  # type: ignore[attr-defined]
    assert no_children_left()


def test_a_worker_that_dies_costs_the_file_it_was_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hashing worker killed on one file (out of memory, a crash): that file has no outcome
    (the caller reports it could not be checked), a new worker hashes the rest of its share."""
    import sys

    from evidence_kit.ingest import hashing

    if not sys.platform.startswith("linux"):
        pytest.skip("the forked workers are Linux only")
    paths, expected = _small_files(tmp_path, 300)
    fatal = paths[77]
    real_open = os.open

    def dies_on_one(path: str, *args: int) -> int:
        if path == fatal:
            os._exit(3)
        return real_open(path, *args)

    monkeypatch.setattr(hashing.os, "open", dies_on_one)
    outs = {o.path: o.sha256 for o in hash_many(paths, [120] * 300, workers=2)}
    monkeypatch.undo()
    assert set(outs) == set(paths) - {fatal}
    assert all(expected[p] == h for p, h in outs.items())
    assert no_children_left()


def test_a_worker_that_keeps_dying_gives_up_without_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from evidence_kit.ingest import hashing, pool

    if not sys.platform.startswith("linux"):
        pytest.skip("the forked workers are Linux only")
    real = hashing._hash_share

    def second_always_dies(
        paths: list[str], w: int, workers: int, table: object, fd: int | None, after: int
    ) -> None:
        if w == 1:
            os._exit(3)
        real(paths, w, workers, table, fd, after)  # type: ignore[arg-type]

    monkeypatch.setattr(hashing, "_hash_share", second_always_dies)
    paths, expected = _small_files(tmp_path, 300)
    outs = {o.path: o.sha256 for o in hash_many(paths, [120] * 300, workers=2)}
    # Worker 0's share is all there (runs of 32: files 0-31, 64-95, 128-159, 192-223,
    # 256-287); worker 1's is not, after a few tries.
    assert hashing._STRIDE == 32
    assert len(outs) == 160
    assert all(expected[p] == h for p, h in outs.items())
    assert pool.MAX_DEATHS_IN_A_ROW > 1
    assert no_children_left()


def _reference_lines(data: bytes) -> list[str]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [hashlib.sha256(line).hexdigest() for line in lines]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked on Linux only")
@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    st.booleans(),
)
def test_line_digests_in_another_process(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], last_newline: bool
) -> None:
    data = b"\n".join(lines) + (b"\n" if last_newline and lines else b"")
    p = tmp_path_factory.mktemp("lines") / "items.jsonl"
    p.write_bytes(data)
    job = start_line_digests(str(p), max_lines=len(lines) + 1)
    assert job is not None
    assert job.result() == (hashlib.sha256(data).hexdigest(), _reference_lines(data))
    assert no_children_left()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked on Linux only")
def test_line_digests_decline_what_they_cannot_do(tmp_path: Path) -> None:
    many = tmp_path / "many.jsonl"
    many.write_bytes(b"x\n" * 100)
    job = start_line_digests(str(many), max_lines=99)  # more lines than planned
    assert job is not None and job.result() is None
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    job = start_line_digests(str(fifo), max_lines=10)  # not a file: no hang, no result
    assert job is not None and job.result() is None
    job = start_line_digests(str(tmp_path / "gone.jsonl"), max_lines=10)
    assert job is not None and job.result() is None
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"y" * 50 + b"\n" * 10)
    job = start_line_digests(str(big), max_lines=20)
    assert job is not None
    job.close()  # not wanted after all: stopped and reaped
    assert no_children_left()
