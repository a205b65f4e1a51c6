"""Streaming SHA-256: one pass, constant memory, page-aligned buffers, parallel for verify.

Measured on the target machine (shared/PERF-NOTES.md): hashlib uses SHA-NI (~1.3 GB/s/core);
reading into a page-aligned 1 MiB buffer (``mmap``) is markedly faster than into a bytearray;
threads help large files (hashlib releases the GIL) while processes help many small files.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from evidence_kit.fsutil import start_writeback

if TYPE_CHECKING:
    from concurrent.futures import Executor

CHUNK = 1 << 20


_local = threading.local()


def _buffer() -> memoryview:
    """This thread's page-aligned 1 MiB buffer, allocated once and reused for every file."""
    view: memoryview | None = getattr(_local, "view", None)
    if view is None:
        # MAP_PRIVATE: a default anonymous mmap is MAP_SHARED, and forked hashing workers would
        # then all read into the one physical buffer and corrupt each other's digests.
        private = getattr(mmap, "MAP_PRIVATE", None)
        buf = mmap.mmap(-1, CHUNK, flags=private) if private is not None else mmap.mmap(-1, CHUNK)
        view = memoryview(buf)
        _local.view = view
    return view


def _forget_buffers() -> None:
    global _local
    _local = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_buffers)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> tuple[str, int]:
    """Hex SHA-256 and size of a file, read once in 1 MiB page-aligned chunks."""
    h = hashlib.sha256()
    view = _buffer()
    size = 0
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        while True:
            n = os.readv(fd, [view])
            if not n:
                break
            h.update(view[:n])
            size += n
    finally:
        os.close(fd)
    return h.hexdigest(), size


@dataclass(frozen=True, slots=True)
class CopyResult:
    sha256: str
    size: int
    head: bytes  # the first bytes, for libmagic, without a second read


#: A copy larger than this starts its disk writes as it goes (see ``start_writeback``).
WRITEBACK_STEP = 8 * CHUNK


class CopyCancelledError(Exception):
    """Another thread asked the copy to stop (the command is being interrupted)."""


def copy_and_hash(src_fd: int, dst_fd: int, *, head_size: int = 8192,
                  cancel: threading.Event | None = None) -> CopyResult:
    """Copy ``src_fd`` to ``dst_fd`` and hash it in the same single pass."""
    h = hashlib.sha256()
    view = _buffer()
    size = 0
    flushed = 0
    head = b""
    while True:
        n = os.readv(src_fd, [view])
        if not n:
            break
        chunk = view[:n]
        if size < head_size:
            head += bytes(chunk[: head_size - size])
        h.update(chunk)
        while chunk:
            w = os.write(dst_fd, chunk)
            chunk = chunk[w:]
        size += n
        if size - flushed >= WRITEBACK_STEP:
            start_writeback(dst_fd, flushed, size - flushed)
            flushed = size
            if cancel is not None and cancel.is_set():
                raise CopyCancelledError
    return CopyResult(h.hexdigest(), size, head)


class HashOutcome(NamedTuple):
    """One file's hash (a tuple: 20,000 of them are made in a big verify, and a frozen
    dataclass costs several times more to build)."""

    path: str
    sha256: str | None
    size: int | None
    error: str | None


def _hash_one(path: str) -> HashOutcome:
    try:
        digest, size = sha256_file(path)
    except OSError as exc:
        return HashOutcome(path, None, None, exc.strerror or str(exc))
    return HashOutcome(path, digest, size, None)


#: The paths of the current ``hash_many`` call, inherited by forked workers (not pickled).
_SHARED_PATHS: Sequence[str] = ()


def _hash_batch(batch: Sequence[str] | tuple[int, int]) -> tuple[str, list[int], dict[int, str]]:
    """Hash a batch: a list of paths, or a (start, stop) range of the inherited paths.

    Returns the hex digests joined (64 characters each; blank for an error), the sizes, and
    the errors by position: plain strings and ints pickle far faster than objects.
    """
    if isinstance(batch, tuple):
        paths: Sequence[str] = _SHARED_PATHS[batch[0]:batch[1]]
    else:
        paths = batch
    digests: list[str] = []
    sizes: list[int] = []
    errors: dict[int, str] = {}
    for i, p in enumerate(paths):
        try:
            digest, size = sha256_file(p)
        except OSError as exc:
            digest, size = " " * 64, -1
            errors[i] = exc.strerror or str(exc)
        digests.append(digest)
        sizes.append(size)
    return "".join(digests), sizes, errors


def _process_pool(workers: int) -> Executor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(
        "fork" if _can_fork() else None))


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def hash_many(
    paths: Sequence[str],
    sizes: Sequence[int] | None = None,
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterable[HashOutcome]:
    """Hash many files across all cores; yield outcomes in completion order.

    Large files go to threads (hashlib releases the GIL, no copying between processes), many
    small files go to processes in batches (per-file Python work would serialise on the GIL).
    ``sizes`` (expected sizes) lets us choose and balance without another ``stat``.
    """
    workers = workers or os.cpu_count() or 1
    n = len(paths)
    if n == 0:
        return
    total = sum(sizes) if sizes is not None else 0
    if workers == 1 or (n < 64 and total < 64 * CHUNK and n < 4):
        for p in paths:
            out = _hash_one(p)
            if progress and out.size:
                progress(out.size)
            yield out
        return
    small = sizes is not None and total / n < 4 * CHUNK
    if small and n >= 256:
        global _SHARED_PATHS
        batch = max(64, min(2048, n // (workers * 8) or 64))
        bounds = [(i, min(n, i + batch)) for i in range(0, n, batch)]
        forked = _can_fork()
        jobs: list[Any] = bounds if forked else [paths[a:b] for a, b in bounds]
        _SHARED_PATHS = paths  # set before the pool forks its workers
        try:
            with _process_pool(workers) as pool:
                for (start, _stop), (digests, got, errors) in zip(
                        bounds, pool.map(_hash_batch, jobs), strict=True):
                    for k, size in enumerate(got):
                        if k in errors:
                            yield HashOutcome(paths[start + k], None, None, errors[k])
                            continue
                        if progress and size:
                            progress(size)
                        yield HashOutcome(paths[start + k], digests[64 * k:64 * k + 64], size,
                                          None)
        finally:
            _SHARED_PATHS = ()
        return
    order = sorted(range(n), key=lambda i: -(sizes[i] if sizes is not None else 0))
    for out in _hash_threaded([paths[i] for i in order], min(workers, n)):
        if progress and out.size:
            progress(out.size)
        yield out


def _hash_threaded(paths: Sequence[str], workers: int) -> Iterator[HashOutcome]:
    """Hash ``paths`` on ``workers`` threads (largest first, as given); yield outcomes as they
    complete. Plain threads, not ``concurrent.futures``: its import (with ``logging``) costs
    ~20 ms, which is 4% of a 1 GiB check."""
    todo = iter(paths)
    take = threading.Lock()
    done: list[HashOutcome] = []
    ready = threading.Condition()
    finished = [0]
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.is_set():
                with take:
                    path = next(todo, None)
                if path is None:
                    return
                out = _hash_one(path)
                with ready:
                    done.append(out)
                    ready.notify()
        finally:
            with ready:
                finished[0] += 1
                ready.notify()

    threads = [threading.Thread(target=work, name=f"evkit-hash-{i}", daemon=True)
               for i in range(workers)]
    for t in threads:
        t.start()
    try:
        while True:
            with ready:
                while not done and finished[0] < workers:
                    ready.wait()
                batch, done[:] = done[:], []
                over = finished[0] == workers
            yield from batch
            if over and not batch:
                return
    finally:
        # Every worker has returned, or the consumer stopped early (or Ctrl-C): no new file
        # is started, and the daemon threads end with their current file.
        stop.set()
