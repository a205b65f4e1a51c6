"""The case store: create and open case folders, lock them, journal every change, and seal.

A case folder is a BagIt bag. Evidence copies live under ``data/``; evkit's own records are tag
files under ``evkit/``. Only two files grow: ``evkit/custody.jsonl`` and ``evkit/items.jsonl``,
by appending. Everything else (manifests, bag-info, seal, tag manifest) is derived from them and
rewritten atomically at the end of each command.

Crash safety: a mutating command works inside ``evkit/txn/<id>/``. Copies are staged there;
each batch is made durable, then described in a commit journal (the exact lines to append, with
the byte offsets they go at, and the renames into ``data/``) before it is applied. If the process
dies, the next evkit command re-applies any journalled batch exactly (roll forward), deletes
staged copies that never reached a journal (roll back), logs a ``recover`` event saying which,
and re-seals. See docs/FORMAT.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence_kit import __version__
from evidence_kit.errors import (
    DISK_FULL,
    CaseExistsError,
    IncompleteError,
    ItemNotFoundError,
    StorageError,
    WrongKeyError,
    disk_full_error,
    is_disk_full,
)
from evidence_kit.ingest.hashing import sha256_bytes, sha256_file
from evidence_kit.models import (
    CASE_TYPE,
    DUPLICATE_TYPE,
    GENESIS,
    ITEM_TYPE,
    Item,
    ItemId,
    Seal,
    digest,
)
from evidence_kit.store.bag import (
    BAG_INFO,
    BAGIT,
    BAGIT_TXT,
    PAYLOAD_MANIFEST,
    TAG_MANIFEST,
    bag_info_bytes,
    manifest_bytes,
    payload_oxum,
)
from evidence_kit.store.canonical import canonical_bytes, json_safe, loads, record_bytes
from evidence_kit.store.custody import (
    LOG_PATH,
    LogHead,
    ParsedLog,
    line_hash,
    log_head,
    make_event,
    parse_log,
    utc_now,
)
from evidence_kit.store.fsutil import (
    CaseLock,
    append_durable,
    atomic_write,
    fsync_dir,
    reserve_space,
    sync_filesystem,
    truncate,
)
from evidence_kit.store.layout import CASE_JSON as CASE_JSON
from evidence_kit.store.layout import EVKIT_DIR as EVKIT_DIR
from evidence_kit.store.layout import ITEMS_PATH as ITEMS_PATH
from evidence_kit.store.layout import LOCK_PATH as LOCK_PATH
from evidence_kit.store.layout import PUBKEY_PATH as PUBKEY_PATH
from evidence_kit.store.layout import SEAL_PATH as SEAL_PATH
from evidence_kit.store.layout import SEAL_SIG_PATH as SEAL_SIG_PATH
from evidence_kit.store.layout import TXN_DIR as TXN_DIR
from evidence_kit.store.layout import UNRECORDED as UNRECORDED
from evidence_kit.store.layout import find_case as find_case
from evidence_kit.store.layout import is_unrecorded as is_unrecorded
from evidence_kit.store.sealing import build_seal, sign_seal
from evidence_kit.store.signing import PublicKey, Signer
from evidence_kit.util import human_size

# A batch (one journal, one acquisition event) closes at whichever comes first.
BATCH_FILES = 1000
BATCH_BYTES = 1 << 30

#: The space a change keeps in reserve (``txn/<id>/reserve``) so that undoing it never needs
#: more room than it frees: a fixed part (the seal, bag-info, the recover event, page
#: rounding), plus room for the rewritten manifests, the names of the files in progress and
#: the largest journalled batch (see ``Session._reserve``).
RESERVE_BASE = 256 * 1024
RESERVE_PER_ITEM = 192  # one payload-manifest line, generously
RESERVE_FILE = "reserve"
RECOVER_PLAN = "recover.json"


def list_tag_files(root: Path) -> list[str]:
    """Every file that is a tag file of the bag (everything outside ``data/``), bag-relative."""
    out = [name for name in (BAGIT, BAG_INFO, PAYLOAD_MANIFEST) if (root / name).is_file()]
    evk = root / EVKIT_DIR
    for dirpath, dirnames, filenames in os.walk(evk):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        if rel_dir == TXN_DIR:
            dirnames[:] = []
            continue
        dirnames.sort()
        for fn in sorted(filenames):
            rel = f"{rel_dir}/{fn}"
            if not is_unrecorded(rel):
                out.append(rel)
    return out


@dataclass
class Case:
    """An opened case folder (read side). Mutations go through :meth:`session`."""

    root: Path
    info: dict[str, Any]

    # ---- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, start: Path) -> Case:
        root = find_case(start)
        try:
            info = loads((root / CASE_JSON).read_bytes())
        except (OSError, ValueError) as exc:
            raise IncompleteError(
                f"The case description {root / CASE_JSON} cannot be read: {exc}."
            ) from exc
        if not isinstance(info, dict) or info.get("type") != CASE_TYPE:
            raise IncompleteError(f"{root / CASE_JSON} is not an evkit case description.")
        return cls(root=root, info=info)

    @property
    def case_id(self) -> str:
        return str(self.info.get("case_id", ""))

    @property
    def key_id(self) -> str:
        return str(self.info.get("key_id", ""))

    def public_key(self) -> PublicKey:
        return PublicKey.from_pem((self.root / PUBKEY_PATH).read_bytes())

    # ---- reading ---------------------------------------------------------------------------
    def read_log(self) -> ParsedLog:
        try:
            return parse_log((self.root / LOG_PATH).read_bytes())
        except FileNotFoundError:
            return parse_log(b"")

    def log_head(self) -> LogHead:
        """The number of events and the hash of the last line (cheap: nothing is parsed)."""
        try:
            return log_head((self.root / LOG_PATH).read_bytes())
        except FileNotFoundError:
            return log_head(b"")

    def item_lines(self) -> list[bytes]:
        try:
            data = (self.root / ITEMS_PATH).read_bytes()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1
        return data[:end].split(b"\n")[:-1] if end else []

    def events_with_duplicates(self) -> list[dict[str, Any]]:
        """The custody events, each duplicate entry completed from its record (where the copy
        was found: ``name``, ``original_path``, ``modified``), for showing the history."""
        events = self.read_log().events
        if not any(isinstance(e.get("data"), dict) and e["data"].get("duplicates") for e in events):
            return events
        records: dict[str, dict[str, Any]] = {}
        for line in self.item_lines():
            if b'"evkit/duplicate/v1"' in line:
                with contextlib.suppress(ValueError):
                    records[digest(sha256_bytes(line))] = loads(line)
        out = []
        for ev in events:
            data = ev.get("data")
            dups = data.get("duplicates") if isinstance(data, dict) else None
            if isinstance(data, dict) and isinstance(dups, list) and dups:
                shown = []
                for dup in dups:
                    rec = records.get(str(dup.get("record"))) if isinstance(dup, dict) else None
                    if rec is not None and isinstance(dup, dict):
                        dup = {
                            **dup,
                            **{
                                k: rec[k]
                                for k in (
                                    "name",
                                    "original_path",
                                    "modified",
                                    "name_hex",
                                    "path_hex",
                                )
                                if k in rec
                            },
                        }
                    shown.append(dup)
                ev = {**ev, "data": {**data, "duplicates": shown}}
            out.append(ev)
        return out

    def items(self) -> dict[str, Item]:
        """The latest revision of every item, in ID order."""
        latest: dict[str, Item] = {}
        for line in self.item_lines():
            try:
                item = Item.from_dict(loads(line))
            except ValueError:
                continue  # verify reports malformed records; readers skip them
            latest[item.id] = item
        return dict(sorted(latest.items(), key=lambda kv: _id_key(kv[0])))

    def item(self, item_id: str) -> Item:
        items = self.items()
        key = normalize_item_id(item_id)
        if key not in items:
            raise ItemNotFoundError(
                f"This case has no item {item_id}.", hint="'evkit list' shows the item IDs."
            )
        return items[key]

    def seal(self) -> Seal | None:
        """The case's seal as written (not checked against its signature); None if it is
        missing or damaged."""
        try:
            return Seal.from_bytes((self.root / SEAL_PATH).read_bytes())
        except (OSError, ValueError):
            return None

    def pending(self) -> list[Path]:
        txn = self.root / TXN_DIR
        if not txn.is_dir():
            return []
        return sorted(p for p in txn.iterdir() if p.is_dir())

    # ---- changing --------------------------------------------------------------------------
    @contextlib.contextmanager
    def session(
        self,
        signer: Signer,
        op: str,
        on_recover: Callable[[str], None] | None = None,
        *,
        private: bool = False,
    ) -> Iterator[Session]:
        """Lock the case, recover any interrupted work, and open a journalled transaction.

        On success the case is re-sealed. On any failure or Ctrl-C, batches already journalled
        are kept, staged copies are discarded, a ``recover`` event says so, and the case is
        re-sealed before the error propagates: the case is always left consistent.
        """
        if signer.key_id != self.key_id:
            raise WrongKeyError(
                "This case was created with another signing key, so your key cannot add to it.",
                hint=f"The case's key is {self.key_id}; yours is {signer.key_id}.",
            )
        lock = CaseLock(self.root / LOCK_PATH)
        lock.acquire(exclusive=True)
        try:
            message = recover(self, signer)
            if message and on_recover:
                on_recover(message)
            sess = Session(self, signer, op, private)
            try:
                yield sess
            except BaseException as exc:
                sess.abort()
                full = is_disk_full(exc) or (
                    isinstance(exc, StorageError) and exc.message == DISK_FULL
                )
                reason = (
                    "interrupted (Ctrl-C)"
                    if isinstance(exc, KeyboardInterrupt)
                    else (f"stopped by an error: {DISK_FULL if full else exc}")
                )
                recovered = False
                with contextlib.suppress(Exception):
                    recover(self, signer, reason=reason)
                    recovered = True
                if full:  # the same plain words wherever the disk filled up, and the truth
                    raise disk_full_error(
                        "evkit finished (or undid) the work that was interrupted; nothing was "
                        "lost ('evkit log' shows what was kept). Free some space, then run the "
                        "same command again."
                        if recovered
                        else "Free some space, then run any evkit command in the case: it will "
                        "finish (or undo) the work that was interrupted."
                    ) from exc
                raise
            sess.finish()
        finally:
            lock.release()

    def recover_if_needed(self, signer: Signer) -> str | None:
        """Finish interrupted work now (used by read commands); returns what was done."""
        if not self.pending():
            return None
        lock = CaseLock(self.root / LOCK_PATH)
        lock.acquire(exclusive=True)
        try:
            return recover(self, signer)
        finally:
            lock.release()


def _id_key(item_id: str) -> tuple[int, str]:
    digits = item_id[1:]
    return (int(digits), item_id) if digits.isdigit() else (1 << 62, item_id)


def normalize_item_id(text: str) -> str:
    """``e3``, ``E3`` and ``E0003`` all mean ``E0003``."""
    t = text.strip().upper()
    if t.startswith("E") and t[1:].isdigit():
        return f"E{int(t[1:]):04d}"
    return t


def format_item_id(n: int) -> ItemId:
    return ItemId(f"E{n:04d}")


def actor_of(info: dict[str, Any]) -> dict[str, Any]:
    collector = info.get("collector") or {}
    return {k: v for k, v in collector.items() if v}


# ---- creation -------------------------------------------------------------------------------
def create_case(root: Path, info: dict[str, Any], signer: Signer) -> Case:
    """Create a new case folder at ``root`` and seal it. Atomic: built beside, then renamed."""
    root = root.expanduser()
    if root.exists():
        if (root / CASE_JSON).exists():
            raise CaseExistsError(f"{root} is already an evkit case; evkit will not overwrite it.")
        if not root.is_dir():
            raise CaseExistsError(f"{root} exists and is not a folder.")
        if any(root.iterdir()):
            raise CaseExistsError(
                f"{root} is not empty; evkit creates a case only in a new or empty folder.",
                hint="Choose a new folder name; evkit add will copy your files into it.",
            )
    parent = root.resolve().parent
    if not parent.is_dir():
        raise CaseExistsError(f"The folder {parent} does not exist.")
    build = parent / f".{root.name}.evkit-init-{os.getpid()}"
    case_info = {
        "type": CASE_TYPE,
        "case_id": str(uuid.uuid4()),
        "created_at": utc_now(),
        "key_id": signer.key_id,
        "evkit_version": __version__,
        **info,
    }
    try:
        (build / "data").mkdir(parents=True)
        (build / EVKIT_DIR).mkdir()
        (build / BAGIT).write_bytes(BAGIT_TXT)
        (build / CASE_JSON).write_bytes(canonical_bytes(case_info) + b"\n")
        (build / PUBKEY_PATH).write_bytes(signer.public.pem)
        (build / ITEMS_PATH).write_bytes(b"")
        case = Case(root=build, info=case_info)
        line = make_event(
            signer,
            seq=1,
            prev=GENESIS,
            action="case.created",
            actor=actor_of(case_info),
            data={
                "case_id": case_info["case_id"],
                "title": info.get("title"),
                "case_sha256": sha256_bytes((build / CASE_JSON).read_bytes()),
            },
        )
        (build / LOG_PATH).write_bytes(line + b"\n")
        write_seal(case, signer, case.items())
        sync_filesystem(build)
        if root.exists():
            root.rmdir()  # it was empty (checked above); rename needs it gone on some systems
        os.replace(build, root)
        fsync_dir(parent)
    except OSError as exc:
        shutil.rmtree(build, ignore_errors=True)
        raise StorageError(
            f"Could not create the case folder {root}: {exc.strerror or exc}."
        ) from exc
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return Case(root=root.resolve(), info=case_info)


# ---- sealing --------------------------------------------------------------------------------
def write_seal(case: Case, signer: Signer, items: dict[str, Item]) -> Seal:
    """Rewrite the derived files and sign a new seal over everything.

    Order: payload manifest, bag-info, seal (which hashes every other tag file), then the tag
    manifest (which also covers the seal). Each write is atomic.
    """
    root = case.root
    entries = {it.stored: it.sha256 for it in items.values()}
    atomic_write(root / PAYLOAD_MANIFEST, manifest_bytes(entries), sync=False)
    info = case.info
    collector = info.get("collector") or {}
    refs = info.get("references") or []
    fields = [
        ("Source-Organization", str(collector.get("organization") or "")),
        ("Contact-Name", str(collector.get("name") or "")),
        ("Contact-Email", str(collector.get("email") or "")),
        ("Contact-Phone", str(collector.get("phone") or "")),
        ("External-Description", str(info.get("title") or "")),
        ("External-Identifier", str(info.get("case_id") or "")),
        *[
            ("External-Identifier", f"{r.get('agency', '')}: {r.get('number', '')}")
            for r in refs
            if isinstance(r, dict)
        ],
        ("Bagging-Date", datetime.now(UTC).strftime("%Y-%m-%d")),
        ("Bag-Software-Agent", f"evkit {__version__}"),
        ("Payload-Oxum", payload_oxum(it.size for it in items.values())),
        ("Bag-Size", human_size(sum(it.size for it in items.values()))),
    ]
    atomic_write(root / BAG_INFO, bag_info_bytes(fields), sync=False)
    log = case.log_head()
    files: dict[str, str] = {}
    for rel in list_tag_files(root):
        if rel in (SEAL_PATH, SEAL_SIG_PATH, TAG_MANIFEST):
            continue
        files[rel] = sha256_file(root / rel)[0]  # streamed: items.jsonl can be tens of MB
    seal = build_seal(
        case_id=case.case_id,
        sealed_at=utc_now(),
        key_id=signer.key_id,
        head=log,
        items=items.values(),
        files=files,
    )
    body, signature = sign_seal(seal, signer)
    atomic_write(root / SEAL_PATH, body, sync=False)
    atomic_write(root / SEAL_SIG_PATH, signature, sync=False)
    # Every other tag file was just hashed for the seal: reuse those digests.
    tag_entries = {**files, SEAL_PATH: sha256_bytes(body), SEAL_SIG_PATH: sha256_bytes(signature)}
    atomic_write(root / TAG_MANIFEST, manifest_bytes(tag_entries), sync=False)
    fsync_dir(root)
    fsync_dir(root / EVKIT_DIR)
    return seal


# ---- transactions ---------------------------------------------------------------------------
@dataclass
class StagedItem:
    """A copy staged in the transaction folder, with the record to write when committed."""

    part: Path
    record: dict[str, Any]


@dataclass
class Session:
    """One locked, journalled change to a case. Obtain it from :meth:`Case.session`."""

    case: Case
    signer: Signer
    op: str
    private: bool = False  # sensitive work: a recovery names no original path in the log
    items: dict[str, Item] = field(init=False)
    dir: Path = field(init=False)
    _next: int = field(init=False)
    _parts: int = field(init=False, default=0)
    _commits: int = field(init=False, default=0)
    _head: str = field(init=False)
    _seq: int = field(init=False)
    _by_hash: dict[str, str] = field(init=False)
    _sealed: bool = field(init=False, default=False)
    _staged_log: Any = field(init=False, default=None)
    _names_bytes: int = field(init=False, default=0)  # staged-log names (for not_added)
    _batch_bytes: int = field(init=False, default=0)  # the largest journalled batch's lines
    _reserved: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        root = self.case.root
        self.items = self.case.items()
        self._by_hash = {}
        for it in self.items.values():
            self._by_hash.setdefault(it.sha256, it.id)
        self._next = (
            max((_id_key(i)[0] for i in self.items if _id_key(i)[0] < 1 << 62), default=0) + 1
        )
        head = self.case.log_head()
        self._seq, self._head = head.events, head.head
        txid = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        self.dir = root / TXN_DIR / txid
        try:
            self.dir.mkdir(parents=True)
            self._reserve()  # before anything that recovery would have to undo
            atomic_write(
                self.dir / "intent.json",
                record_bytes(
                    {
                        "op": self.op,
                        "started": utc_now(),
                        "pid": os.getpid(),
                        "private": self.private,
                    }
                ),
            )
            fsync_dir(self.dir.parent)
        except (OSError, StorageError) as exc:
            # Nothing was changed yet: leave no transaction behind for recovery to log.
            shutil.rmtree(self.dir, ignore_errors=True)
            if is_disk_full(exc) or (isinstance(exc, StorageError) and exc.message == DISK_FULL):
                raise disk_full_error(
                    "Nothing was changed. Free some space, then run the same command again."
                ) from exc
            if isinstance(exc, StorageError):
                raise
            raise StorageError(
                f"Could not start changing the case: {exc.strerror or exc}."
            ) from exc

    def _reserve(self) -> None:
        """Grow ``txn/<id>/reserve`` to what undoing this change may need to write (see
        RESERVE_BASE): recovery deletes it first, so it always has that room, disk full or
        not. Raises StorageError (disk full) when the room is not there any more."""
        root = self.case.root
        need = (
            RESERVE_BASE
            + _size(root / PAYLOAD_MANIFEST)
            + _size(root / TAG_MANIFEST)
            + RESERVE_PER_ITEM * (self._parts + len(self.items))
            + 2 * self._names_bytes
            + self._batch_bytes
        )
        if need > self._reserved:
            reserve_space(self.dir / RESERVE_FILE, need)
            self._reserved = need

    # -- identities and staging
    def new_id(self) -> ItemId:
        item_id = format_item_id(self._next)
        self._next += 1
        return item_id

    def existing_with_hash(self, sha256: str) -> str | None:
        return self._by_hash.get(sha256)

    def claim_hash(self, sha256: str, item_id: str) -> None:
        self._by_hash.setdefault(sha256, item_id)

    def new_part(self, original: str) -> Path:
        """A fresh staging path; the original path is noted so recovery can name it."""
        self._parts += 1
        part = self.dir / f"{self._parts:06d}.part"
        if self._staged_log is None:
            self._staged_log = open(self.dir / "staged.jsonl", "ab")
        # Not synced: it only names files for the user if recovery has to discard them.
        line = record_bytes({"part": part.name, "original": original}) + b"\n"
        self._staged_log.write(line)
        self._staged_log.flush()
        self._names_bytes += len(line)
        return part

    def reserve_parts(self, originals: Sequence[str]) -> list[str]:
        """Staging paths for files that workers will create, all named in the staged log first
        (one write), so that recovery can name any that was in flight."""
        first = self._parts + 1
        self._parts += len(originals)
        if self._staged_log is None:
            self._staged_log = open(self.dir / "staged.jsonl", "ab")
        names = [f"{n:06d}.part" for n in range(first, first + len(originals))]
        lines = b"".join(
            record_bytes({"part": name, "original": original}) + b"\n"
            for name, original in zip(names, originals, strict=True)
        )
        self._staged_log.write(lines)
        self._staged_log.flush()
        self._names_bytes += len(lines)
        self._reserve()
        base = str(self.dir) + os.sep
        return [base + name for name in names]

    def stage_file(self, rel: str, data: bytes) -> tuple[Path, str]:
        """Write a record file (a report) into the transaction, for :meth:`commit` to move to
        ``rel``: a command stopped before its commit leaves the case's files as they were."""
        self._parts += 1
        part = self.dir / f"{self._parts:06d}.file"  # not "*.part": no original to name
        atomic_write(part, data)
        return part, rel

    def scratch(self) -> Path:
        path = self.dir / "scratch"
        path.mkdir(exist_ok=True)
        return path

    # -- committing
    def commit(
        self,
        action: str,
        data: dict[str, Any],
        staged: list[StagedItem] | None = None,
        records: list[dict[str, Any]] | None = None,
        duplicates: list[dict[str, Any]] | None = None,
        files: list[tuple[Path, str]] | None = None,
        renames: list[tuple[str, str]] | None = None,
    ) -> list[Item]:
        """Journal, then apply, one batch: new item records (with their copies) and one event.

        ``staged`` items get their copies moved into ``data/``; ``records`` are record-only
        revisions of existing items (for example a re-extraction); ``duplicates`` are files
        whose content the case already holds. The event binds each record line by its hash
        (``data.items``, ``data.duplicates``) and repeats only what is safe to show for a
        withheld item (ID, revision, SHA-256, size): names, paths and metadata stay in the
        salted record lines, so a handover can leave a record out and still verify.
        ``files`` are record files staged with :meth:`stage_file`, moved to their place (a
        path relative to the case) with the same journal: all of them or none. ``renames``
        move stored copies within ``data/`` (bytes untouched), as the records revised here say.
        """
        root = self.case.root
        staged = staged or []
        all_records = [s.record for s in staged] + list(records or [])
        for r in all_records:
            r.setdefault("salt", secrets.token_hex(16))
        dup_records = [_duplicate_record(d) for d in duplicates or []]
        item_lines = [_record_line(r) for r in all_records]
        dup_lines = [_record_line(r) for r in dup_records]
        if all_records or dup_records:
            data = dict(data)
        if all_records:
            data["items"] = [
                {
                    "id": r["id"],
                    "rev": r.get("rev", 1),
                    "sha256": r["sha256"],
                    "size": r["size"],
                    "record": digest(sha256_bytes(line)),
                }
                for r, line in zip(all_records, item_lines, strict=True)
            ]
        if dup_records:
            data["duplicates"] = [
                {
                    "sha256": r["sha256"],
                    "same_as": r["same_as"],
                    "parent": r["parent"],
                    "record": digest(sha256_bytes(line)),
                }
                for r, line in zip(dup_records, dup_lines, strict=True)
            ]
        item_lines += dup_lines
        event = make_event(
            self.signer,
            seq=self._seq + 1,
            prev=self._head,
            action=action,
            actor=actor_of(self.case.info),
            data=data,
        )
        if staged or files:
            sync_filesystem(root)  # the copies are durable before any record claims them
        journal = {
            "log_offset": _size(root / LOG_PATH),
            "items_offset": _size(root / ITEMS_PATH),
            "log_lines": [event.decode("utf-8")],
            "items_lines": [ln.decode("utf-8") for ln in item_lines],
            "moves": [[s.part.name, s.record["stored"]] for s in staged]
            + [[part.name, rel] for part, rel in files or []],
            "renames": [[old, new] for old, new in renames or []],
        }
        # Recovery may have to append this batch again: keep room for that in the reserve.
        self._batch_bytes = max(
            self._batch_bytes, len(event) + 1 + sum(len(ln) + 1 for ln in item_lines)
        )
        self._reserve()
        self._commits += 1
        commit_path = self.dir / f"commit-{self._commits:05d}.json"
        atomic_write(commit_path, json.dumps(journal, ensure_ascii=False).encode("utf-8"))
        apply_commit(root, self.dir, journal)
        commit_path.unlink()
        self._seq += 1
        self._head = line_hash(event)
        # Kept in memory for the seal and the caller's summary: without the extracted metadata,
        # which can be large and is on disk in items.jsonl (memory stays flat on big adds).
        new_items = [_slim_item(r) for r in all_records]
        for it in new_items:
            self.items[it.id] = it
            self._by_hash.setdefault(it.sha256, it.id)
        return new_items

    def log(self, action: str, data: dict[str, Any]) -> None:
        """Append one event that adds no items."""
        self.commit(action, data)

    # -- ending
    def _close_staged_log(self) -> None:
        if self._staged_log is not None:
            self._staged_log.close()
            self._staged_log = None

    def finish(self) -> None:
        self._close_staged_log()
        write_seal(self.case, self.signer, self.items)
        sync_filesystem(self.case.root)
        shutil.rmtree(self.dir, ignore_errors=True)
        fsync_dir(self.dir.parent)
        self._sealed = True

    def abort(self) -> None:
        """Recovery (run next) decides what is kept, from the journal."""
        self._close_staged_log()


def _slim_item(record: dict[str, Any]) -> Item:
    """The in-memory copy of a record just written: no extracted metadata, no acquisition
    details and no second copy of the dicts (a 20,000-file add keeps 20,000 of these)."""
    original = record.get("original") or {}
    slim_original = {"name": original.get("name"), "path": original.get("path")}
    acquired: dict[str, Any] = {}
    raw = {k: v for k, v in record.items() if k not in ("extraction", "acquired", "original")}
    raw.update(original=slim_original, acquired=acquired, extraction=None)
    return Item(
        id=ItemId(str(record["id"])),
        rev=int(record.get("rev", 1)),
        sha256=str(record["sha256"]),
        size=int(record["size"]),
        stored=str(record["stored"]),
        mime=str(record.get("mime", "")),
        original=slim_original,
        acquired=acquired,
        parent=record.get("parent"),
        sensitive=bool(record.get("sensitive", False)),
        extraction=None,
        raw=raw,
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def apply_commit(root: Path, txn_dir: Path, journal: dict[str, Any]) -> None:
    """Apply a journalled batch. Idempotent: re-applying gives exactly the same bytes."""
    txn, base = str(txn_dir), str(root)
    for old, new in journal.get("renames") or []:
        try:
            os.replace(os.path.join(base, old), os.path.join(base, new))
        except FileNotFoundError:
            if not os.path.exists(os.path.join(base, new)):
                raise IncompleteError(
                    f"The stored copy {old} is missing; the case cannot be repaired automatically."
                ) from None
    if journal.get("renames"):
        fsync_dir(root / "data")
    for part_name, stored in journal["moves"]:
        try:
            os.replace(os.path.join(txn, part_name), os.path.join(base, stored))
        except FileNotFoundError:
            if not os.path.exists(os.path.join(base, stored)):  # not already moved: lost
                raise IncompleteError(
                    f"The staged copy for {stored} is missing; the case "
                    "cannot be repaired automatically."
                ) from None
    for folder in sorted({os.path.dirname(stored) for _part, stored in journal["moves"]}):
        fsync_dir(root / folder)
    for rel, offset_key, lines_key in (
        (ITEMS_PATH, "items_offset", "items_lines"),
        (LOG_PATH, "log_offset", "log_lines"),
    ):
        lines = journal[lines_key]
        if not lines:
            continue
        path = root / rel
        if _size(path) != journal[offset_key]:
            truncate(path, journal[offset_key])
        append_durable(path, "".join(ln + "\n" for ln in lines).encode("utf-8"))


def recover(case: Case, signer: Signer, *, reason: str = "interrupted") -> str | None:
    """Bring the case back to a consistent, sealed state after an interrupted command.

    Journalled batches are re-applied (roll forward); staged copies that never reached a
    journal are deleted (roll back; the user's originals were never touched). A ``recover``
    event records both, and the case is re-sealed. Returns a sentence for the user, or None.

    Written to work on a full disk, and to be run again if it is itself interrupted:

    1. what will be said (what was kept, which originals must be added again) is worked out
       and saved in ``txn/<first>/recover.json`` before anything is deleted; the change's
       space reserve is deleted first, so that this fits;
    2. space is freed: staged copies no journal claims, and extractors' scratch files;
    3. journals are re-applied (idempotent), a torn last log line is cut;
    4. the ``recover`` event is made once and kept in the plan with the log offset it goes at,
       so a repeated recovery appends the same line, never a second event;
    5. the case is re-sealed and synced; only then are the transactions removed.
    """
    pending = case.pending()
    if not pending:
        return None
    root = case.root
    plan_path = pending[0] / RECOVER_PLAN
    plan = _load_plan(plan_path)
    journals: list[tuple[Path, dict[str, Any]]] = []
    for txn in pending:
        for commit_path in sorted(txn.glob("commit-*.json")):
            try:
                journals.append((txn, json.loads(commit_path.read_bytes())))
            except (OSError, ValueError):
                continue  # never completed (written atomically): nothing was applied from it
    claimed = {(txn, part) for txn, journal in journals for part, _stored in journal["moves"]}
    for txn in pending:  # (1) its own reserve makes room for the plan and what follows
        with contextlib.suppress(OSError):
            (txn / RESERVE_FILE).unlink()
    if plan is None:
        ops: list[str] = []
        discarded: list[str] = []
        private = False
        records = [json.loads(ln) for _txn, j in journals for ln in j["items_lines"]]
        kept_duplicates = {
            str(rec.get("original_path")) for rec in records if rec.get("type") == DUPLICATE_TYPE
        }
        for txn in pending:
            try:
                intent = loads((txn / "intent.json").read_bytes())
                ops.append(str(intent.get("op", "?")))
                private = private or intent.get("private") is True
            except (OSError, ValueError):
                ops.append("?")
            # Every file the command set out to add is named in staged.jsonl before it is
            # read: those no journal kept (as an item or as a duplicate) were not added,
            # whether their copy had begun or not. Embedded files ("E0002: invoice.pdf") go
            # with their container.
            with contextlib.suppress(OSError):
                for line in (txn / "staged.jsonl").read_bytes().splitlines():
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        rec = json.loads(line)
                        original = str(rec["original"])
                        if (
                            (txn, rec["part"]) not in claimed
                            and os.path.isabs(original)
                            and original not in kept_duplicates
                        ):
                            discarded.append(original)
        completed = [str(rec["id"]) for rec in records if rec.get("type") == ITEM_TYPE]
        plan = {
            "interrupted": sorted(set(ops)),
            "reason": reason,
            "completed_items": sorted(set(completed)),
            "not_added": discarded,
            "private": private,
        }
        atomic_write(plan_path, json.dumps(plan, ensure_ascii=False).encode("utf-8"))
    for txn in pending:  # (2) free the space the interrupted work took
        for part in txn.glob("*.part"):
            if (txn, part.name) not in claimed:
                with contextlib.suppress(OSError):
                    part.unlink()
        shutil.rmtree(txn / "scratch", ignore_errors=True)
    for txn, journal in journals:  # (3)
        apply_commit(root, txn, journal)
    log_path = root / LOG_PATH
    parsed = parse_log(log_path.read_bytes()) if log_path.exists() else parse_log(b"")
    if parsed.torn_tail:  # a torn append outside any journal cannot be ours to keep
        truncate(log_path, parsed.complete_size)
        parsed = parse_log(log_path.read_bytes())
    settled = _settle_exports(case, signer, pending, reason)
    if settled:
        parsed = parse_log(log_path.read_bytes())
    event_line = plan.get("line")
    offset = plan.get("log_offset")
    if not isinstance(event_line, str) or not isinstance(offset, int) or offset > _size(log_path):
        # (4) made once; the lines before it are final now (journals applied, tail cut, an
        # interrupted export settled)
        data = {k: plan[k] for k in ("interrupted", "reason", "completed_items")}
        if plan.get("private"):  # paths of sensitive files stay out of the signed log
            data["not_added_count"] = len(plan["not_added"])
        else:
            data["not_added"] = plan["not_added"]
        event_line = make_event(
            signer,
            seq=parsed.head.events + 1,
            prev=parsed.head.head,
            action="recover",
            actor=actor_of(case.info),
            data=data,
        ).decode("utf-8")
        offset = _size(log_path)
        plan = {**plan, "line": event_line, "log_offset": offset}
        atomic_write(plan_path, json.dumps(plan, ensure_ascii=False).encode("utf-8"))
    if _size(log_path) != offset:
        truncate(log_path, offset)
    append_durable(log_path, event_line.encode("utf-8") + b"\n")
    write_seal(case, signer, case.items())  # (5)
    sync_filesystem(root)
    for txn in pending:  # journals first: a half-removed transaction is never re-applied
        for commit_path in txn.glob("commit-*.json"):
            with contextlib.suppress(OSError):
                commit_path.unlink()
    for txn in reversed(pending):  # the plan's transaction last
        shutil.rmtree(txn, ignore_errors=True)
    fsync_dir(root / TXN_DIR)
    ops = list(plan["interrupted"])
    completed = list(plan["completed_items"])
    discarded = list(plan["not_added"])
    parts = [f"evkit finished an interrupted '{', '.join(ops)}' ({plan['reason']})."]
    if completed:
        parts.append(f"{len(completed)} item(s) were kept.")
    if discarded:
        shown = ", ".join(discarded[:5]) + (" ..." if len(discarded) > 5 else "")
        parts.append(f"{len(discarded)} file(s) in progress were not added: {shown}.")
    parts.extend(settled)
    if "add" in ops:
        parts.append(
            "Run the same 'evkit add' again to add the rest: files already in the case "
            "are recognised and not stored twice."
        )
    return " ".join(parts)


def _settle_exports(case: Case, signer: Signer, pending: Sequence[Path], reason: str) -> list[str]:
    """An interrupted export's journal names the files it wrote beside the zip: the export
    module removes them and cancels the handover (or finds it complete)."""
    journals = [txn for txn in pending if (txn / "export.json").is_file()]
    if not journals:
        return []
    from evidence_kit.handover.export import settle_export  # only when there is one: import cycle

    notes = [settle_export(case, signer, txn, reason=reason) for txn in journals]
    return [n for n in notes if n]


def _load_plan(path: Path) -> dict[str, Any] | None:
    """A recovery's plan saved by an earlier, interrupted attempt (see :func:`recover`)."""
    try:
        plan = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    keys = ("interrupted", "reason", "completed_items", "not_added")
    if not isinstance(plan, dict) or any(k not in plan for k in keys):
        return None
    return plan


def new_item_record(
    *,
    item_id: str,
    sha256: str,
    size: int,
    original_name: str,
    stored: str,
    mime: str,
    original: dict[str, Any],
    acquired: dict[str, Any],
    parent: dict[str, Any] | None = None,
    sensitive: bool = False,
    extraction: dict[str, Any] | None = None,
    rev: int = 1,
) -> dict[str, Any]:
    """The item record as stored in ``items.jsonl`` (documented in docs/FORMAT.md)."""
    record: dict[str, Any] = {
        "type": ITEM_TYPE,
        "id": item_id,
        "rev": rev,
        "sha256": sha256,
        "size": size,
        "stored": stored,
        "mime": mime,
        "original": {"name": original_name, **original},
        "acquired": acquired,
        "parent": parent,
        "sensitive": sensitive,
        "extraction": extraction,
    }
    if not _utf8_ok(original_name):  # keep the exact bytes of an undecodable name too
        record["original"] = {**record["original"], "name_hex": os.fsencode(original_name).hex()}
    return record


def _duplicate_record(dup: dict[str, Any]) -> dict[str, Any]:
    """The record of a file not stored twice: where it was found, salted like item records."""
    return {
        "type": DUPLICATE_TYPE,
        "sha256": dup["sha256"],
        "same_as": dup["same_as"],
        "parent": dup.get("parent"),
        "name": dup.get("name"),
        "original_path": dup.get("original_path"),
        "modified": dup.get("modified"),
        **{k: dup[k] for k in ("name_hex", "path_hex") if dup.get(k)},
        "salt": secrets.token_hex(16),
    }


def _record_line(record: dict[str, Any]) -> bytes:
    """The record's line in items.jsonl; text that JSON cannot hold is escaped first (in place,
    so the in-memory record matches the stored line)."""
    try:
        return record_bytes(record)
    except (UnicodeEncodeError, ValueError):
        safe = json_safe(record)
        record.clear()
        record.update(safe)
        return record_bytes(record)


def _utf8_ok(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
