"""Streaming SHA-256: one pass, constant memory, page-aligned buffers, parallel for verify.

Measured on the target machine (shared/PERF-NOTES.md): hashlib uses SHA-NI (~1.3 GB/s/core);
reading into a page-aligned 1 MiB buffer (``mmap``) is markedly faster than into a bytearray;
threads help large files (hashlib releases the GIL) while processes help many small files.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
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
    names: Sequence[str] | None = None,
) -> Iterator[HashOutcome]:
    """Hash many files across all cores; outcomes in completion order, each named by
    ``names[i]`` (default: its path).

    Large files go to threads (hashlib releases the GIL, no copying between processes), many
    small files to processes (per-file Python work would serialise on the GIL). ``sizes``
    (expected sizes) lets us choose and balance without another ``stat``. On Linux the worker
    processes are forked here, before this returns, from the calling thread: call it from the
    main thread, then consume the outcomes anywhere.
    """
    workers = workers or os.cpu_count() or 1
    n = len(paths)
    named = names if names is not None else paths
    total = sum(sizes) if sizes is not None else 0
    if n == 0:
        return iter(())
    if workers == 1 or (n < 64 and total < 64 * CHUNK and n < 4):
        return _hash_serial(paths, named, progress)
    if sizes is not None and total / n < 4 * CHUNK and n >= 256:
        if sys.platform.startswith("linux"):
            return _hash_forked(paths, named, workers, progress)
        return _hash_pooled(paths, named, workers, progress)
    order = sorted(range(n), key=lambda i: -(sizes[i] if sizes is not None else 0))
    return _hash_threaded(paths, named, order, min(workers, n), progress)


def _hash_serial(paths: Sequence[str], names: Sequence[str],
                 progress: Callable[[int], None] | None) -> Iterator[HashOutcome]:
    for path, name in zip(paths, names, strict=True):
        out = _hash_one(path)
        if progress and out.size:
            progress(out.size)
        yield out._replace(path=name)


#: Files a forked worker hashes in a row before the next worker's turn (interleaved shares,
#: so sizes even out without a shared queue).
_STRIDE = 32


def _hash_forked(paths: Sequence[str], names: Sequence[str], workers: int,
                 progress: Callable[[int], None] | None) -> Iterator[HashOutcome]:
    """Fork ``workers`` processes now, each hashing an interleaved share of ``paths`` (inherited,
    not sent) and writing one text line per file to its pipe; return the reader.

    Lighter than a process pool: no ``multiprocessing`` import, no pickling, no helper threads
    in this process competing for the GIL with the checks that run meanwhile.
    """
    pids: list[int] = []
    readers: list[int] = []
    try:
        for w in range(workers):
            r, wfd = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: hash its share, write, and leave without cleanup
                code = 1
                try:
                    os.close(r)
                    for other in readers:
                        os.close(other)
                    _hash_share(paths, w, workers, wfd)
                    code = 0
                finally:
                    os._exit(code)
            os.close(wfd)
            pids.append(pid)
            readers.append(r)
    except BaseException:
        _reap(pids, readers, kill=True)
        raise
    return _read_shares(names, pids, readers, progress)


def _hash_share(paths: Sequence[str], w: int, workers: int, fd: int) -> None:
    n = len(paths)
    out: list[str] = []
    for start in range(w * _STRIDE, n, workers * _STRIDE):
        for i in range(start, min(n, start + _STRIDE)):
            try:
                digest, size = sha256_file(paths[i])
                out.append(f"{i} {digest} {size}\n")
            except OSError as exc:
                why = (exc.strerror or str(exc)).replace("\n", " ")
                out.append(f"{i} ! {why}\n")
        if len(out) >= 128:
            _write_all(fd, "".join(out).encode("utf-8", "replace"))
            out.clear()
    if out:
        _write_all(fd, "".join(out).encode("utf-8", "replace"))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_shares(names: Sequence[str], pids: list[int], readers: list[int],
                 progress: Callable[[int], None] | None) -> Iterator[HashOutcome]:
    import select

    done = False
    try:
        poll = select.poll()
        for fd in readers:
            poll.register(fd, select.POLLIN)
        rest = dict.fromkeys(readers, b"")
        open_fds = set(readers)
        while open_fds:
            for fd, _event in poll.poll():
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    poll.unregister(fd)
                    open_fds.discard(fd)
                    continue
                lines = (rest[fd] + chunk).split(b"\n")
                rest[fd] = lines.pop()
                for line in lines:
                    index, digest, tail = line.decode("utf-8", "replace").split(" ", 2)
                    if digest == "!":
                        yield HashOutcome(names[int(index)], None, None, tail)
                        continue
                    size = int(tail)
                    if progress and size:
                        progress(size)
                    yield HashOutcome(names[int(index)], digest, size, None)
        done = True
    finally:
        # A consumer that stops early (or Ctrl-C) stops the workers too. A worker that died
        # leaves its files without an outcome, which the caller reports.
        _reap(pids, readers, kill=not done)


def _reap(pids: list[int], readers: list[int], *, kill: bool) -> None:
    import signal

    for fd in readers:
        with contextlib.suppress(OSError):
            os.close(fd)
    for pid in pids:
        if kill:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)


def _hash_pooled(paths: Sequence[str], names: Sequence[str], workers: int,
                 progress: Callable[[int], None] | None) -> Iterator[HashOutcome]:
    """Where processes cannot simply be forked: a process pool, in batches."""
    global _SHARED_PATHS
    n = len(paths)
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
                        yield HashOutcome(names[start + k], None, None, errors[k])
                        continue
                    if progress and size:
                        progress(size)
                    yield HashOutcome(names[start + k], digests[64 * k:64 * k + 64], size,
                                      None)
    finally:
        _SHARED_PATHS = ()


def _hash_threaded(paths: Sequence[str], names: Sequence[str], order: Sequence[int],
                   workers: int, progress: Callable[[int], None] | None,
                   ) -> Iterator[HashOutcome]:
    """Hash ``paths`` on ``workers`` threads (in ``order``: largest first); yield outcomes as
    they complete. Plain threads, not ``concurrent.futures``: its import (with ``logging``)
    costs ~20 ms, which is 4% of a 1 GiB check."""
    todo = iter(order)
    take = threading.Lock()
    done: list[HashOutcome] = []
    ready = threading.Condition()
    finished = [0]
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.is_set():
                with take:
                    i = next(todo, None)
                if i is None:
                    return
                out = _hash_one(paths[i])._replace(path=names[i])
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
            for out in batch:
                if progress and out.size:
                    progress(out.size)
                yield out
            if over and not batch:
                return
    finally:
        # Every worker has returned, or the consumer stopped early (or Ctrl-C): no new file
        # is started, and the daemon threads end with their current file.
        stop.set()
