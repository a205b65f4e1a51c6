"""Forked worker processes, shared by ``add`` (copy workers) and ``verify`` (hashing workers).

Why not :class:`concurrent.futures.ProcessPoolExecutor`? Measured on 20,000 small files
(bench/README.md), and for what a pool must promise here:

- **A crash costs one file.** A file reader that crashes on a crafted file (a segfault in a C
  library) kills its worker. ``ProcessPoolExecutor`` then marks the *whole* pool broken and
  fails every pending future; finding the one file that did it means re-running them. Here each
  worker works through its own share in order, so the file it died on is known: it is reported,
  and a new worker carries on with the rest of that share.
- **No hang on a dead worker.** Each worker holds the only write end of its pipe: when it dies,
  the reader sees end-of-file at once.
- **Bounded in-flight work.** A worker writes its results into its pipe (or a shared table);
  a full pipe makes it wait, so workers run at most a pipe's worth ahead of the consumer, and
  memory stays flat on a 100,000-file add.
- **Nothing sent per task.** The tasks are inherited by ``fork``, not pickled; the results come
  back as bytes the caller chose (a pickled record, or digests written into shared memory).

Where ``fork`` is not available (or not wanted) the callers fall back to the standard library:
``concurrent.futures`` threads for large files, a ``ProcessPoolExecutor`` for hashing many small
files elsewhere, or plain work in this process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: How many times in a row a worker may die without finishing a task before its share is given
#: up (the rest of that share is reported like the file it died on). A reader that crashes on
#: one file costs one respawn; a worker that cannot start at all must not fork forever.
MAX_DEATHS_IN_A_ROW = 32


def available() -> bool:
    """True where workers are forked (Linux): elsewhere callers use their fallbacks."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def share(n: int, w: int, workers: int, run: int, after: int = -1) -> Iterator[int]:
    """Worker ``w``'s tasks of ``range(n)``: runs of ``run`` indices, every ``workers``-th run
    from the ``w``-th, skipping indices up to ``after``. Interleaved runs even out sizes
    without a shared queue."""
    for start in range(w * run, n, workers * run):
        yield from range(max(start, after + 1), min(n, start + run))


def owner(i: int, workers: int, run: int) -> int:
    """The worker whose share holds task ``i``."""
    return (i // run) % workers


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (a pipe may take it in parts)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def exit_text(status: int) -> str:
    """How a worker ended, from its wait status: ``signal 11`` or ``exit code 3``."""
    code = os.waitstatus_to_exitcode(status)
    return f"signal {-code}" if code < 0 else f"exit code {code}"


def _child_setup() -> None:
    """A worker leaves Ctrl-C to the main process and dies with it (even on ``kill -9``)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def fork(
    body: Callable[[int], None], *, close: tuple[int, ...] = (), pipe_size: int = 0
) -> tuple[int, int]:
    """Fork a worker that runs ``body(write_fd)`` and exits (code 0 if it returned, 1 if it
    raised), without running this process's clean-up. Returns ``(pid, read_fd)``; the worker
    holds the only write end, so end-of-file on ``read_fd`` means it has finished or died.
    ``close``: descriptors the worker must not keep (other workers' read ends)."""
    r, wfd = os.pipe()
    if pipe_size:
        with contextlib.suppress(OSError, AttributeError, ImportError):
            import fcntl

            fcntl.fcntl(wfd, fcntl.F_SETPIPE_SZ, pipe_size)  # room for more results ahead
    try:
        pid = os.fork()
    except BaseException:
        os.close(r)
        os.close(wfd)
        raise
    if pid == 0:  # the worker
        code = 1
        try:
            os.close(r)
            for fd in close:
                with contextlib.suppress(OSError):
                    os.close(fd)
            _child_setup()
            body(wfd)
            code = 0
        finally:
            os._exit(code)
    os.close(wfd)
    return pid, r


def stop(pids: list[int], fds: list[int], *, kill: bool = True) -> None:
    """Close the read ends, stop the workers (unless ``kill`` is False: they are done) and reap
    them. Clears both lists; safe to call twice."""
    import signal

    for fd in fds:
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
    for pid in pids:
        if pid <= 0:
            continue
        if kill:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
    pids.clear()
    fds.clear()


@dataclass(frozen=True, slots=True)
class Died:
    """Task ``index`` was not done: its worker ended while on it (``how``: "signal 11")."""

    index: int
    how: str


_HEAD = struct.Struct("=QQ")  # a task's index, the length of its result


class OrderedWorkers:
    """``n`` tasks done by forked workers, results read back in the tasks' order.

    ``work(i)`` runs in a worker and returns task ``i``'s result as bytes; iterating yields each
    result (or a :class:`Died` for a task whose worker ended on it) in order 0..n-1. A worker
    that dies costs that one task: a new worker carries on with the rest of its share.
    ``on_died(i)`` runs here (the caller's clean-up for that task) before the new worker starts;
    ``init()`` runs first in each worker.
    """

    def __init__(
        self,
        n: int,
        work: Callable[[int], bytes],
        workers: int,
        *,
        run: int = 8,
        pipe_size: int = 1 << 20,
        on_died: Callable[[int], None] | None = None,
        init: Callable[[], None] | None = None,
    ) -> None:
        self._n = n
        self._work = work
        self._workers = workers = max(1, min(workers, n))
        # Runs of up to ``run`` tasks (fewer when there are few, so that every worker gets some).
        self._run = max(1, min(run, n // (4 * workers)))
        self._pipe_size = pipe_size
        self._on_died = on_died
        self._init = init
        self._pids = [0] * workers
        self._fds = [-1] * workers
        self._bufs = [bytearray() for _ in range(workers)]
        self._deaths = [0] * workers
        self._gave_up = [False] * workers
        try:
            for w in range(workers):
                self._spawn(w, after=-1)
        except BaseException:
            self.close()
            raise

    def _spawn(self, w: int, after: int) -> None:
        tasks = share(self._n, w, self._workers, self._run, after)
        work, init = self._work, self._init

        def body(wfd: int) -> None:
            if init is not None:
                init()
            for i in tasks:
                data = work(i)
                write_all(wfd, _HEAD.pack(i, len(data)) + data)

        others = tuple(fd for fd in self._fds if fd >= 0)
        self._pids[w], self._fds[w] = fork(body, close=others, pipe_size=self._pipe_size)
        self._bufs[w].clear()

    def __iter__(self) -> Iterator[bytes | Died]:
        for i in range(self._n):
            yield self._result(i)

    def _result(self, i: int) -> bytes | Died:
        w = owner(i, self._workers, self._run)
        if self._gave_up[w]:
            return Died(i, "the reader had stopped several times in a row")
        buf = self._bufs[w]
        head = _HEAD.size
        while True:
            if len(buf) >= head:
                index, length = _HEAD.unpack_from(buf)
                if len(buf) >= head + length:
                    if index != i:  # never: each worker writes its share in order
                        raise RuntimeError(f"worker result out of order ({index} for {i})")
                    data = bytes(buf[head : head + length])
                    del buf[: head + length]
                    self._deaths[w] = 0
                    return data
            chunk = os.read(self._fds[w], 1 << 20)
            if chunk:
                buf += chunk
                continue
            return self._died(w, i)

    def _died(self, w: int, i: int) -> Died:
        _pid, status = os.waitpid(self._pids[w], 0)
        os.close(self._fds[w])
        self._pids[w], self._fds[w] = 0, -1
        if self._on_died is not None:
            self._on_died(i)
        self._deaths[w] += 1
        if self._deaths[w] >= MAX_DEATHS_IN_A_ROW:
            self._gave_up[w] = True
        else:
            self._spawn(w, after=i)
        return Died(i, exit_text(status))

    def close(self) -> None:
        """Stop the workers still running and reap them (after the last result, or when the
        command is stopping)."""
        pids = [p for p in self._pids if p]
        fds = [fd for fd in self._fds if fd >= 0]
        self._pids = [0] * self._workers
        self._fds = [-1] * self._workers
        stop(pids, fds, kill=True)
