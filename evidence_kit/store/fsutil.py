"""Small file-system primitives: atomic writes, durable appends, syncing, and the case lock."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from evidence_kit.errors import CaseLockedError, StorageError, disk_full_error, is_disk_full


def _storage_error(exc: OSError, what: str) -> StorageError:
    if is_disk_full(exc):
        return disk_full_error()  # one wording for every disk-full path (errors.py)
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageError(f"The case folder cannot be written to while {what}: {exc.strerror}.")
    return StorageError(f"A write failed while {what}: {exc.strerror or exc}.")


def fsync_dir(path: Path) -> None:
    """Make a rename or file creation inside ``path`` durable (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644, sync: bool = True) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync, rename, fsync dir."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _storage_error(exc, f"writing {path.name}") from exc
    if sync:
        fsync_dir(path.parent)


def append_durable(path: Path, data: bytes, *, sync: bool = True) -> int:
    """Append ``data`` to ``path`` and fsync; return the file size before the append."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            before = os.fstat(fd).st_size
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _storage_error(exc, f"appending to {path.name}") from exc
    return before


def reserve_space(path: Path, size: int) -> None:
    """Make ``path`` a file holding at least ``size`` bytes of allocated disk space.

    A change keeps such a reserve in its transaction folder: undoing the change deletes it
    first, so that the few records undoing needs to write fit even when the disk is full.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            have = os.fstat(fd).st_size
            if size <= have:
                return
            try:
                os.posix_fallocate(fd, have, size - have)  # really allocates, also on tmpfs
            except (AttributeError, OSError) as exc:
                if isinstance(exc, OSError) and is_disk_full(exc):
                    raise
                os.lseek(fd, have, os.SEEK_SET)  # no fallocate here: write the zeros
                zeros = bytes(min(size - have, 1 << 20))
                while have < size:
                    have += os.write(fd, zeros[: size - have])
            # Not synced: the space is taken when allocated; only a crash could lose it, and
            # then the interrupted work's own staged copies free room as well.
        finally:
            os.close(fd)
    except OSError as exc:
        raise _storage_error(exc, "reserving space") from exc


def truncate(path: Path, size: int) -> None:
    """Cut ``path`` back to ``size`` bytes (used only by recovery to redo a journalled append)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _storage_error(exc, f"repairing {path.name}") from exc


if TYPE_CHECKING:
    import ctypes

_libc: ctypes.CDLL | None = None
_WRITEBACK_OK = sys.platform.startswith("linux")
SYNC_FILE_RANGE_WRITE = 2


def _c_library() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        import ctypes  # only commands that write need it (not verify, list or show)

        _libc = ctypes.CDLL(None, use_errno=True)  # this process's own libc: no library search
    return _libc


def sync_filesystem(path: Path) -> None:
    """Flush every dirty page of the file system holding ``path`` in one call.

    One ``syncfs`` at the end of a batch costs far less than an fsync per file (see
    PERF-NOTES: ~0.75 ms per fsync here) and gives the same guarantee before we report success.
    """
    if sys.platform.startswith("linux"):
        fd = os.open(path, os.O_RDONLY)
        try:
            if _c_library().syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    os.sync()


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a just-written range to disk now, without waiting.

    Large copies then reach the disk while the next chunks are read and hashed, instead of all
    at the final ``syncfs`` (which still follows, and is what makes them durable). A hint only:
    where ``sync_file_range`` is missing or refused, nothing happens.
    """
    global _WRITEBACK_OK
    if not _WRITEBACK_OK:
        return
    try:
        import ctypes

        func = _c_library().sync_file_range
        func.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
        if func(fd, offset, length, SYNC_FILE_RANGE_WRITE) != 0:
            _WRITEBACK_OK = ctypes.get_errno() not in (errno.ENOSYS, errno.EINVAL, errno.ESPIPE)
    except (OSError, AttributeError):
        _WRITEBACK_OK = False


#: Lock file descriptors this process holds; forked workers close them (see ``forget_locks``).
_HELD: set[int] = set()


def forget_locks() -> None:
    """In a forked worker: drop inherited lock descriptors, so that the case lock goes away
    with the process that took it (a worker outliving a killed parent must not keep it)."""
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


class CaseLock:
    """An advisory lock on a case: exclusive for changes, shared for reading."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, *, exclusive: bool, wait: float = 2.0) -> None:
        """Take the lock, waiting up to ``wait`` seconds (to ride out a command that is just
        finishing); :class:`CaseLockedError` if another process still holds it then.

        Writers hold it exclusively from before their first change until the case is sealed
        again, so a reader holding it shared sees only sealed states. A shared lock opens an
        existing lock file read-only, so that reading a case changes nothing in it.
        """
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: fall back to no locking
            return
        try:
            try:
                fd = os.open(self.path, os.O_RDWR if exclusive else os.O_RDONLY)
            except FileNotFoundError:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if not exclusive:
                return  # a read-only medium: reading without a lock is the best we can do
            raise _storage_error(exc, "locking the case") from exc
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except OSError:
                if time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                os.close(fd)
                raise CaseLockedError(
                    "Another evkit command is working on this case right now.",
                    hint="Wait for it to finish, then run your command again.",
                ) from None
        self._fd = fd
        _HELD.add(fd)

    def release(self) -> None:
        if self._fd is not None:
            _HELD.discard(self._fd)
            os.close(self._fd)
            self._fd = None


@contextlib.contextmanager
def locked(path: Path, *, exclusive: bool) -> Iterator[None]:
    lock = CaseLock(path)
    lock.acquire(exclusive=exclusive)
    try:
        yield
    finally:
        lock.release()
