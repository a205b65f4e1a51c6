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
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

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


def copy_and_hash(src_fd: int, dst_fd: int, *, head_size: int = 8192) -> CopyResult:
    """Copy ``src_fd`` to ``dst_fd`` and hash it in the same single pass."""
    h = hashlib.sha256()
    view = _buffer()
    size = 0
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
    return CopyResult(h.hexdigest(), size, head)


@dataclass(frozen=True, slots=True)
class HashOutcome:
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


def _hash_batch(paths: Sequence[str]) -> list[HashOutcome]:
    return [_hash_one(p) for p in paths]


def _process_pool(workers: int) -> Executor:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


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
        batch = max(64, min(2048, n // (workers * 8) or 64))
        batches = [paths[i : i + batch] for i in range(0, n, batch)]
        with _process_pool(workers) as pool:
            for outs in pool.map(_hash_batch, batches):
                for out in outs:
                    if progress and out.size:
                        progress(out.size)
                    yield out
        return
    order = sorted(range(n), key=lambda i: -(sizes[i] if sizes is not None else 0))
    with ThreadPoolExecutor(max_workers=workers) as tpool:
        for out in tpool.map(_hash_one, [paths[i] for i in order]):
            if progress and out.size:
                progress(out.size)
            yield out
