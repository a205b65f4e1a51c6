"""``evkit add``: gather the files the user dropped, copy each in one pass, record and log them.

For every regular file: one read that copies it into the case and hashes it; its type from
libmagic on the first bytes of that same read; its original name, path and timestamps; then the
extractors read the *stored copy* (never the original) and embedded files (e-mail attachments)
become items of their own with a link to their parent. Copies are batched into journalled
commits (see ``case.py``), so an interruption loses at most the batch in flight, and says so.

On Linux all of that reading (libmagic, the extractors, embedded files included) happens in
forked copy workers: a file that crashes a reader costs that file only. This process keeps the
order, decides duplicates, numbers the items and commits.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence_kit import __version__
from evidence_kit.errors import EvkitError, StorageError, disk_full_error, is_disk_full
from evidence_kit.ingest import pool
from evidence_kit.ingest.hashing import CopyResult, copy_and_hash
from evidence_kit.models import Item
from evidence_kit.store.case import (
    BATCH_BYTES,
    BATCH_FILES,
    Case,
    Session,
    StagedItem,
    new_item_record,
)
from evidence_kit.store.fsutil import forget_locks
from evidence_kit.store.signing import Signer
from evidence_kit.timeutil import local_iso
from evidence_kit.util import fs_hex, fs_text, hostname

#: Files that operating systems create on their own; never evidence, skipped with a count.
SYSTEM_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", "ehthumbs.db"})
MAX_CHILD_DEPTH = 3

Progress = Callable[[int, str], None]


@dataclass(frozen=True, slots=True)
class Problem:
    """A file that was not added, and why, in one plain line."""

    path: str
    message: str
    kind: str  # missing | symlink | special | unreadable | changed | inside-case | twice | empty

    @property
    def is_failure(self) -> bool:
        return self.kind not in ("twice", "empty")


@dataclass
class AddReport:
    added: list[Item] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped_system: int = 0
    recovered: str | None = None

    @property
    def failures(self) -> list[Problem]:
        return [p for p in self.problems if p.is_failure]


@dataclass(frozen=True, slots=True)
class Source:
    path: str  # absolute, as given (the last component is not resolved)
    size: int


# ---- gathering ------------------------------------------------------------------------------
def gather(paths: Iterable[str], case_root: Path) -> tuple[list[Source], list[Problem], int]:
    """Expand folders, refuse what is not a regular file, and drop repeats (in given order)."""
    sources: list[Source] = []
    problems: list[Problem] = []
    seen: dict[tuple[int, int], str] = {}
    skipped = 0
    case_real = case_root.resolve()

    def consider(path: str, st: os.stat_result, shown: str) -> None:
        nonlocal skipped
        key = (st.st_dev, st.st_ino)
        if key in seen:
            problems.append(
                Problem(shown, f"was given twice (same file as {seen[key]}); added once.", "twice")
            )
            return
        seen[key] = shown
        if st.st_size == 0:
            problems.append(Problem(shown, "is empty (0 bytes); it is preserved anyway.", "empty"))
        sources.append(Source(path, st.st_size))

    def special(shown: str, st: os.stat_result) -> Problem:
        mode = st.st_mode
        what = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        return Problem(shown, f"is {what}, not a file; skipped.", "special")

    for given in paths:
        shown = given
        path = Path(os.path.abspath(os.path.expanduser(given)))
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            problems.append(
                Problem(
                    shown,
                    "does not exist (check the name, or drag the file into the terminal again).",
                    "missing",
                )
            )
            continue
        except OSError as exc:
            problems.append(Problem(shown, f"cannot be examined: {exc.strerror}.", "unreadable"))
            continue
        except ValueError:  # a NUL character (pasted or piped in): no file can have that name
            problems.append(
                Problem(
                    shown,
                    "is not a possible file name (it contains a NUL character).",
                    "unreadable",
                )
            )
            continue
        try:
            real = path.resolve()
        except OSError:
            real = path
        if real == case_real or case_real in real.parents:
            problems.append(
                Problem(
                    shown,
                    "is inside the case folder; evkit adds files from outside it.",
                    "inside-case",
                )
            )
            continue
        if stat.S_ISLNK(st.st_mode):
            problems.append(
                Problem(
                    shown,
                    f"is a shortcut (symbolic link) to {os.readlink(path)}; add that file itself.",
                    "symlink",
                )
            )
        elif stat.S_ISDIR(st.st_mode):
            skipped += _walk(path, consider, special, problems)
        elif stat.S_ISREG(st.st_mode):
            consider(str(path), st, shown)
        else:
            problems.append(special(shown, st))
    return sources, problems, skipped


def _walk(
    top: Path,
    consider: Callable[[str, os.stat_result, str], None],
    special: Callable[[str, os.stat_result], Problem],
    problems: list[Problem],
) -> int:
    skipped = 0

    def onerror(exc: OSError) -> None:
        problems.append(
            Problem(str(exc.filename), f"cannot be opened: {exc.strerror}.", "unreadable")
        )

    for dirpath, dirnames, filenames in os.walk(top, onerror=onerror, followlinks=False):
        dirnames.sort()
        for d in list(dirnames):
            sub = os.path.join(dirpath, d)
            if os.path.islink(sub):
                problems.append(
                    Problem(sub, "is a shortcut (symbolic link) to a folder; skipped.", "symlink")
                )
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            if name in SYSTEM_FILES:
                skipped += 1
                continue
            try:
                st = os.lstat(p)
            except OSError as exc:
                problems.append(Problem(p, f"cannot be examined: {exc.strerror}.", "unreadable"))
                continue
            if stat.S_ISLNK(st.st_mode):
                problems.append(
                    Problem(
                        p, f"is a shortcut (symbolic link) to {os.readlink(p)}; skipped.", "symlink"
                    )
                )
            elif stat.S_ISREG(st.st_mode):
                consider(p, st, p)
            else:
                problems.append(special(p, st))
    return skipped


def total_size(paths: Iterable[str]) -> int:
    """Bytes under the given paths (for a progress bar); unreadable entries count as 0."""
    total = 0
    for given in paths:
        top = os.path.expanduser(given)
        if os.path.isdir(top) and not os.path.islink(top):
            for dirpath, _dirs, files in os.walk(top):
                for name in files:
                    with contextlib.suppress(OSError):
                        total += os.lstat(os.path.join(dirpath, name)).st_size
        else:
            with contextlib.suppress(OSError, ValueError):
                total += os.lstat(top).st_size
    return total


# ---- typing ---------------------------------------------------------------------------------
_magic: Any = None
_magic_lock = threading.Lock()  # one libmagic handle is not safe to share between threads


def sniff_mime(head: bytes) -> str:
    """libmagic's MIME type for the first bytes of a file."""
    global _magic
    if not head:
        return "inode/x-empty"
    with _magic_lock:
        if _magic is None:
            import magic

            _magic = magic.Magic(mime=True)
        try:
            return str(_magic.from_buffer(head))
        except Exception:
            return "application/octet-stream"


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- copying --------------------------------------------------------------------------------
class _SkipFileError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _open_source(path: Path | str, shown: str) -> tuple[int, os.stat_result]:
    base = (
        os.O_RDONLY
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_NONBLOCK", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_BINARY", 0)
    )
    noatime = getattr(os, "O_NOATIME", 0)
    try:
        try:
            fd = os.open(path, base | noatime)  # leave the original's access time alone
        except PermissionError:
            if not noatime:
                raise
            fd = os.open(path, base)
    except FileNotFoundError as exc:
        raise _SkipFileError(
            Problem(shown, "disappeared before it could be copied.", "missing")
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _SkipFileError(
                Problem(shown, "is a shortcut (symbolic link); skipped.", "symlink")
            ) from exc
        why = "permission denied" if exc.errno == errno.EACCES else exc.strerror
        raise _SkipFileError(
            Problem(shown, f"cannot be read ({why}); skipped.", "unreadable")
        ) from exc
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise _SkipFileError(Problem(shown, "is not a regular file; skipped.", "special"))
    return fd, st


def _copy_file(fd: int, part: Path, shown: str) -> CopyResult:
    """Copy the open source ``fd`` to a new read-only staging file, hashing in the same pass."""
    try:
        dfd = os.open(
            part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600
        )
    except OSError as exc:
        if is_disk_full(exc):
            raise disk_full_error() from exc
        raise StorageError(f"Could not write into the case: {exc.strerror}.") from exc
    try:
        try:
            result = copy_and_hash(fd, dfd, cancel=_CANCEL)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error() from exc
            if exc.errno == errno.EROFS:
                raise StorageError("The case folder is on a read-only disk.") from exc
            raise _SkipFileError(
                Problem(
                    shown, f"could not be read completely ({exc.strerror}); skipped.", "unreadable"
                )
            ) from exc
        os.fchmod(dfd, 0o444)  # stored evidence is read-only
    except BaseException:
        os.close(dfd)
        part.unlink(missing_ok=True)
        raise
    os.close(dfd)
    return result


def _analyse(
    part: Path, head: bytes, name: str, scratch: Path, extract: bool, source: str | None = None
) -> tuple[str, dict[str, Any] | None, list[Any]]:
    """libmagic's type from the first bytes, then the extractor for that type (if wanted);
    ``source`` is the path the collector added it from (None for an embedded file)."""
    mime = sniff_mime(head)
    if not extract:
        return mime, None, []
    return _analyse_known(part, mime, name, scratch, source)


@dataclass(frozen=True, slots=True)
class _Task:
    """One source file for a copy worker (picklable)."""

    path: str
    part: str  # .../txn/<id>/NNNNNN.part, named in the staged log before the work starts
    extract: bool

    @property
    def scratch(self) -> Path:
        """Where an extractor may write this file's embedded files."""
        head, _, name = self.part.rpartition(os.sep)
        return Path(f"{head}{os.sep}scratch{os.sep}x{name.removesuffix('.part')}")


@dataclass(slots=True)
class _Done:
    """What a copy worker did with one source file (picklable)."""

    part: str | None = None
    sha256: str = ""
    size: int = 0
    name: str = ""
    original: dict[str, Any] | None = None
    mime: str = ""
    extraction: dict[str, Any] | None = None
    children: list[Any] = field(default_factory=list)
    problem: Problem | None = None
    fatal: StorageError | None = None

    def pack(self) -> bytes:
        """Pickled as a tuple of its fields: several times cheaper to make and to read back
        than the object (20,000 of them cross a pipe in a big add)."""
        return pickle.dumps(
            (
                self.part,
                self.sha256,
                self.size,
                self.name,
                self.original,
                self.mime,
                self.extraction,
                self.children,
                self.problem,
                self.fatal,
            ),
            protocol=pickle.HIGHEST_PROTOCOL,
        )

    @classmethod
    def unpack(cls, data: bytes) -> _Done:
        # Written by our own forked worker through a pipe only it holds (a worker is the same
        # user: no boundary is crossed here).
        return cls(*pickle.loads(data))  # noqa: S301


def _work(task: _Task) -> _Done:
    """Copy, hash, type and read one file: run in a worker process, or inline."""
    shown, part = task.path, Path(task.part)
    try:
        fd, st = _open_source(task.path, shown)
        try:
            result = _copy_file(fd, part, shown)
            after = os.fstat(fd)
        finally:
            os.close(fd)
        if after.st_size != result.size or after.st_mtime_ns != st.st_mtime_ns:
            part.unlink(missing_ok=True)
            raise _SkipFileError(
                Problem(
                    shown,
                    "changed while it was being copied; skipped. "
                    "Close the program using it and add it again.",
                    "changed",
                )
            )
        original = {
            "path": fs_text(shown),
            "size": st.st_size,
            "modified": _iso(st.st_mtime),
            "changed": _iso(st.st_ctime),
            "accessed": _iso(st.st_atime),
            "created": _iso(getattr(st, "st_birthtime", None)),
            "mode": oct(stat.S_IMODE(st.st_mode)),
        }
        raw_name = os.path.basename(task.path)
        name = fs_text(raw_name)  # a name that is not UTF-8: text for people, exact bytes in hex
        for key, raw in (("name_hex", raw_name), ("path_hex", shown)):
            if (hexed := fs_hex(raw)) is not None:
                original[key] = hexed
        mime, extraction, children = _analyse(
            part, result.head, name, task.scratch, task.extract, task.path
        )
        if _IN_WORKER:  # read embedded files here too: a crash costs this file, not the add
            children = _pre_analyse(children, task.extract, 1)
        return _Done(
            part=task.part,
            sha256=result.sha256,
            size=result.size,
            name=name,
            original=original,
            mime=mime,
            extraction=extraction,
            children=children,
        )
    except _SkipFileError as skip:
        return _Done(problem=skip.problem)
    except StorageError as exc:
        return _Done(fatal=exc)


#: True in a forked copy worker.
_IN_WORKER = False

#: The case's jurisdiction as written, for the extractors (phone numbers without a country
#: code are read in its numbering plan). Set by add_files and reextract before any file is read
#: (and before the copy workers fork, so they inherit it).
_JURISDICTION: str | None = None


def _use_jurisdiction(case: Case) -> None:
    global _JURISDICTION
    where = case.info.get("jurisdiction")
    _JURISDICTION = where if isinstance(where, str) and where.strip() else None


@dataclass(frozen=True, slots=True)
class _PreChild:
    """An embedded file already typed and read by the copy worker (picklable): the main
    process copies and records it without running any reader on its bytes."""

    child: Any  # the extractor's Child
    mime: str
    extraction: dict[str, Any] | None
    children: list[Any]  # its own embedded files: _PreChild, or Child past the depth limit

    @property
    def path(self) -> Path:
        return Path(self.child.path)


def _child_name(child: Any) -> str:
    """An embedded file's name: its declared name's last part (untrusted), or "attachment"."""
    return fs_text(os.path.basename(str(child.filename or "").replace("\\", "/"))) or "attachment"


def _pre_analyse(children: list[Any], extract: bool, depth: int) -> list[Any]:
    """Type and read each embedded file (at ``depth``) and, within the depth limit, theirs."""
    out: list[Any] = []
    for child in children:
        path = Path(child.path)
        try:
            with open(path, "rb", buffering=0) as f:
                head = f.read(8192)
        except OSError:
            out.append(child)  # left to the main process, which reports it
            continue
        mime, extraction, nested = _analyse(
            path, head, _child_name(child), path.with_name(path.name + ".x"), extract
        )
        if depth + 1 <= MAX_CHILD_DEPTH:
            nested = _pre_analyse(nested, extract, depth + 1)
        out.append(_PreChild(child, mime, extraction, nested))
    return out


def _worker_init() -> None:
    """In a forked copy worker (the pool has set up signals): no locks held by the parent."""
    global _IN_WORKER
    _IN_WORKER = True
    forget_locks()


#: On Linux every file is read in forked copy workers (no re-import), so a file that crashes a
#: reader costs only that file; elsewhere files are copied in this process. Tests turn it off
#: to exercise the other paths.
FORK_WORKERS = True
#: Fewer, larger files are copied two at a time on threads (hashing and writing release the
#: GIL), so one file's hashing overlaps another's disk writes.
THREADED_MIN_BYTES = 32 << 20
#: Set when the command is stopping: copies on other threads give up at their next chunk.
_CANCEL = threading.Event()


def _can_fork_workers() -> bool:
    return FORK_WORKERS and pool.available()


class _CopyWorkers:
    """Copy workers (:class:`evidence_kit.ingest.pool.OrderedWorkers`): each file copied,
    hashed, typed and read in a forked worker, what was done (a pickled :class:`_Done`) read back
    in the sources' order. A worker that dies on a file (a crash in a file reader on a damaged
    or crafted file, the out-of-memory killer) costs only that file, which is reported."""

    def __init__(self, tasks: list[_Task], workers: int) -> None:
        sniff_mime(b"\0")  # load libmagic once, here: the workers inherit it (~30 ms each)
        self._tasks = tasks

        def work(i: int) -> bytes:
            return _work(tasks[i]).pack()

        self._pool = pool.OrderedWorkers(
            len(tasks), work, workers, on_died=self._clean, init=_worker_init
        )

    def _clean(self, i: int) -> None:
        task = self._tasks[i]
        Path(task.part).unlink(missing_ok=True)
        shutil.rmtree(task.scratch, ignore_errors=True)

    def results(self) -> Iterator[_Done]:
        """What was done with each task, in the tasks' order."""
        for i, got in enumerate(self._pool):
            if isinstance(got, pool.Died):
                yield _Done(
                    problem=Problem(
                        self._tasks[i].path,
                        "could not be added: evkit's file reader "
                        f"stopped while reading it ({got.how}). Keep the original: "
                        "it may be damaged, or made to attack software.",
                        "unreadable",
                    )
                )
            else:
                yield _Done.unpack(got)

    def close(self) -> None:
        """Stop the workers still running and reap them."""
        self._pool.close()


@dataclass
class _Batch:
    staged: list[StagedItem] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    bytes: int = 0


def add_files(
    case: Case,
    signer: Signer,
    paths: Iterable[str],
    *,
    note: str | None = None,
    source: str | None = None,
    sensitive: bool = False,
    extract: bool = True,
    progress: Progress | None = None,
    on_recover: Callable[[str], None] | None = None,
) -> AddReport:
    """Add files and folders to the case; one bad file never stops the others."""
    report = AddReport()
    sources, problems, skipped = gather(paths, case.root)
    report.problems.extend(problems)
    report.skipped_system = skipped
    if not sources:
        return report
    tz = str(case.info.get("timezone") or "UTC")
    host = hostname()
    collector = (case.info.get("collector") or {}).get("name")

    stamps: dict[int, tuple[str, str]] = {}  # this second, in UTC and in the case's zone

    def acquired_now() -> dict[str, Any]:
        now_ns = time.time_ns()
        second, micros = divmod(now_ns // 1000, 1_000_000)
        if (at := stamps.get(second)) is None:
            moment = datetime.fromtimestamp(second, UTC)
            stamps.clear()
            at = stamps[second] = (moment.strftime("%Y-%m-%dT%H:%M:%S"), local_iso(moment, tz))
        return {
            "at": f"{at[0]}.{micros:06d}Z",
            "local": at[1],
            "timezone": tz,
            "by": collector,
            "host": host,
            "tool": f"evkit {__version__}",
            "method": "copied by evkit add",
            "source": source,
            "note": note,
        }

    with case.session(signer, "add", on_recover=on_recover, private=sensitive) as sess:
        batch = _Batch()

        def flush() -> None:
            nonlocal batch
            if batch.staged or batch.duplicates:
                # The source and note are in every record's "acquired": the signed event
                # repeats nothing that could name a sensitive file.
                report.added.extend(
                    sess.commit("acquire", {}, batch.staged, duplicates=batch.duplicates)
                )
                report.duplicates.extend(batch.duplicates)
            batch = _Batch()

        originals = [src.path for src in sources]
        parts = sess.reserve_parts([fs_text(path) for path in originals])  # named for recovery
        tasks = [
            _Task(path=path, part=part, extract=extract)
            for path, part in zip(originals, parts, strict=True)
        ]
        del originals
        _CANCEL.clear()  # before forking: workers inherit it
        _use_jurisdiction(case)  # the workers inherit this too
        workers = _CopyWorkers(tasks, os.cpu_count() or 2) if _can_fork_workers() else None
        threads = None
        if (
            workers is None
            and len(tasks) > 1
            and sum(s.size for s in sources) >= (THREADED_MIN_BYTES)
        ):
            from concurrent.futures import ThreadPoolExecutor

            threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="evkit-copy")
        try:
            # Workers copy, hash, type and read files in parallel; this process keeps the
            # order, decides duplicates, numbers items and commits, as when working inline.
            results: Iterable[_Done] = (
                workers.results()
                if workers is not None
                else threads.map(_work, tasks)
                if threads is not None
                else map(_work, tasks)
            )
            for src, done in zip(sources, results, strict=True):
                if done.fatal is not None:
                    raise done.fatal
                if done.problem is not None:
                    report.problems.append(done.problem)
                elif done.part is not None and done.original is not None:
                    _register(
                        sess,
                        batch,
                        Path(done.part),
                        done.sha256,
                        done.size,
                        done.name,
                        done.original,
                        acquired_now(),
                        None,
                        sensitive,
                        extract,
                        0,
                        (done.mime, done.extraction, done.children),
                    )
                if progress:
                    progress(src.size, os.path.basename(src.path))
                if len(batch.staged) >= BATCH_FILES or batch.bytes >= BATCH_BYTES:
                    flush()
        except BaseException:
            _CANCEL.set()
            raise
        finally:
            if workers is not None:
                workers.close()
            if threads is not None:
                threads.shutdown(wait=True, cancel_futures=True)
        flush()
    return report


def _register(
    sess: Session,
    batch: _Batch,
    part: Path,
    sha256: str,
    size: int,
    name: str,
    original: dict[str, Any],
    acquired: dict[str, Any],
    parent: dict[str, Any] | None,
    sensitive: bool,
    extract: bool,
    depth: int,
    analysed: tuple[str, Any, list[Any]],
) -> None:
    """Record one copied file as a new item, or as a duplicate of an existing one."""
    from evidence_kit.store.bag import neutral_name, safe_name

    existing = sess.existing_with_hash(sha256)
    if existing is not None:
        part.unlink(missing_ok=True)
        batch.duplicates.append(
            {
                "sha256": sha256,
                "same_as": existing,
                "name": name,
                "original_path": original.get("path"),
                "modified": original.get("modified"),
                "parent": parent["id"] if parent else None,
                **{k: original[k] for k in ("name_hex", "path_hex") if k in original},
            }
        )
        for child in analysed[2]:  # its attachments were read for nothing: drop them
            Path(child.path).unlink(missing_ok=True)
        return
    item_id = sess.new_id()
    sess.claim_hash(sha256, item_id)
    mime, extraction, children = analysed
    # A sensitive file's stored name says only its ID and type, never what it shows.
    stored = "data/" + (
        neutral_name(item_id, name, mime) if sensitive else safe_name(item_id, name)
    )
    record = new_item_record(
        item_id=item_id,
        sha256=sha256,
        size=size,
        original_name=name,
        stored=stored,
        mime=mime,
        original=original,
        acquired=acquired,
        parent=parent,
        sensitive=sensitive,
        extraction=extraction,
    )
    batch.staged.append(StagedItem(part=part, record=record))
    batch.bytes += size
    if children and depth + 1 > MAX_CHILD_DEPTH:
        _note_depth_limit(record)
        return
    for child in children:
        _register_child(sess, batch, child, item_id, acquired, sensitive, extract, depth + 1)


#: What an item's record says when its own embedded files are too deep to become items.
DEPTH_LIMIT_NOTE = (
    f"files inside this one were not saved as separate items or read: they are "
    f"nested more than {MAX_CHILD_DEPTH} levels deep (attachments or messages "
    "inside other ones). They are kept inside this file exactly as received"
)


def _note_depth_limit(record: dict[str, Any]) -> None:
    extraction = record.get("extraction")
    if isinstance(extraction, dict):
        errors = extraction.setdefault("errors", [])
        if DEPTH_LIMIT_NOTE not in errors:
            errors.append(DEPTH_LIMIT_NOTE)


def _depth(items: Mapping[str, Item], item_id: str) -> int:
    """How many containers an item is inside (0 for a file the collector added)."""
    depth = 0
    item = items.get(item_id)
    while item is not None and item.parent and depth <= MAX_CHILD_DEPTH:
        depth += 1
        item = items.get(str(item.parent.get("id")))
    return depth


def run_extractors(
    sess: Session, part: Path, mime: str, name: str
) -> tuple[dict[str, Any], list[Any]]:
    """Run the extractor for this type on a stored or staged copy; children land in scratch."""
    _mime, extraction, children = _analyse_known(
        part, mime, name, sess.dir / "scratch" / f"x{part.stem}"
    )
    return extraction, children


def _analyse_known(
    part: Path, mime: str, name: str, scratch: Path, source: str | None = None
) -> tuple[str, dict[str, Any], list[Any]]:
    from evidence_kit.extractors import ExtractContext
    from evidence_kit.extractors import extract as run

    # One folder per file, so nested children never collide; created only by an extractor
    # that writes children (creating and removing thousands of empty folders is costly).
    ctx = ExtractContext(
        scratch_dir=scratch,
        original_name=name,
        jurisdiction=_JURISDICTION,
        source_dir=Path(os.path.dirname(os.path.abspath(source))) if source else None,
    )
    ex = run(part, mime, ctx)
    return mime, ex.to_dict(), list(ex.children)


def _register_child(
    sess: Session,
    batch: _Batch,
    child: Any,
    parent_id: str,
    acquired: dict[str, Any],
    sensitive: bool,
    extract: bool,
    depth: int,
) -> None:
    pre = child if isinstance(child, _PreChild) else None
    if pre is not None:
        child = pre.child
    child_path = Path(child.path)
    scratch_root = sess.dir.resolve()
    if scratch_root not in child_path.resolve().parents:
        return  # an extractor must never hand us a path outside its scratch folder
    name = _child_name(child)
    shown = f"{parent_id}: {name}"
    part = sess.new_part(shown)
    with open(child_path, "rb", buffering=0) as f:
        result = _copy_file(f.fileno(), part, shown)
    child_path.unlink(missing_ok=True)
    original = {
        "path": None,
        "container": parent_id,
        "declared_type": child.mime,
        "role": child.role,
        "field": child.field,
        "declared_name": child.filename,
    }
    parent = {"id": parent_id, "role": child.role}
    analysed: tuple[str, Any, list[Any]]
    if pre is not None:  # typed and read by the copy worker, from the same bytes
        duplicate = sess.existing_with_hash(result.sha256) is not None
        analysed = (pre.mime, None, []) if duplicate else (pre.mime, pre.extraction, pre.children)
    elif sess.existing_with_hash(result.sha256) is not None:
        analysed = (sniff_mime(result.head), None, [])
    else:
        analysed = _analyse(
            part, result.head, name, sess.dir / "scratch" / f"x{part.stem}", extract
        )
    _register(
        sess,
        batch,
        part,
        result.sha256,
        result.size,
        name,
        original,
        dict(acquired, method=f"extracted from {parent_id} by evkit add"),
        parent,
        sensitive,
        extract,
        depth,
        analysed,
    )


def cleanup_scratch(sess: Session) -> None:
    shutil.rmtree(sess.dir / "scratch", ignore_errors=True)


def is_evkit_error(exc: BaseException) -> bool:
    return isinstance(exc, EvkitError)


@dataclass
class ExtractReport:
    updated: list[str] = field(default_factory=list)
    new_children: list[Item] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


def reextract(
    case: Case,
    signer: Signer,
    item_ids: Iterable[str] | None,
    on_recover: Callable[[str], None] | None = None,
) -> ExtractReport:
    """Re-run the extractors on stored copies (e.g. after an upgrade); one logged event.

    Each item gets a new record revision with the new extraction; its bytes are only read.
    Embedded files found now but not before become new items linked to their parent.
    """
    report = ExtractReport()
    items = case.items()
    wanted = list(items) if item_ids is None else [case.item(i).id for i in item_ids]
    with case.session(signer, "extract", on_recover=on_recover) as sess:
        _use_jurisdiction(case)
        batch = _Batch()
        revisions: list[dict[str, Any]] = []
        for item_id in wanted:
            item = sess.items[item_id]
            stored = case.root / item.stored
            extraction, children = run_extractors(sess, stored, item.mime, item.name)
            record = dict(item.to_dict())
            record["rev"] = item.rev + 1
            record["extraction"] = extraction
            revisions.append(record)
            report.updated.append(item_id)
            depth = _depth(sess.items, item_id)
            if children and depth + 1 > MAX_CHILD_DEPTH:  # as deep as `evkit add` goes
                _note_depth_limit(record)
                for child in children:
                    Path(child.path).unlink(missing_ok=True)
                children = []
            if extraction.get("errors"):
                report.errors[item_id] = list(extraction["errors"])
            acquired = dict(item.acquired)
            for child in children:
                _register_child(
                    sess, batch, child, item_id, acquired, item.sensitive, True, depth + 1
                )
        if revisions or batch.staged:
            report.new_children = sess.commit(
                "extract",
                {
                    "reason": "re-extraction",
                    "tool": f"evkit {__version__}",
                    "new_children": [s.record["id"] for s in batch.staged],
                },
                staged=batch.staged,
                records=revisions,
                duplicates=batch.duplicates,
            )[: len(batch.staged)]
    return report
