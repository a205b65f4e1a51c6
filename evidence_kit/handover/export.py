"""Handover packages: a zip the police can verify with their own tools, and verify-from-zip.

``evkit export`` works in two steps:

1. :func:`export_case` plans the handover (which items go, which are withheld and why), then
   appends a signed ``transfer`` event to the custody log and re-seals the case, so that the
   package carries its own transfer record.
2. :func:`build_zip` turns the sealed case state into a zip. It is a pure function of that
   state: two calls give byte-identical zips (fixed entry order, timestamps, permissions, no
   extra fields; Ed25519 signatures are deterministic).

Zip layout: a single top folder ``<case>-X0001/`` that is a complete BagIt 1.0 bag::

    <case>-X0001/VERIFY.txt               how to check the package with standard tools
    <case>-X0001/bagit.txt, bag-info.txt  (Payload-Oxum of the included files)
    <case>-X0001/manifest-sha256.txt      only the included evidence files
    <case>-X0001/tagmanifest-sha256.txt   every other file, VERIFY.txt included
    <case>-X0001/data/...                 the included evidence files
    <case>-X0001/evkit/...                case.json, collector.pub.pem, custody.jsonl,
                                          items.jsonl, report/..., withheld.json,
                                          seal.json + seal.sig (the package's own seal)

Withheld items (sensitive ones, or ones handed over in an earlier package) are not in
``data/`` nor in the payload manifest; ``evkit/withheld.json`` lists each with its SHA-256,
size, type and reason. The custody log and item records are shipped whole, so the signed records
still bind every withheld item's hash. The package gets its own seal, signed with the
collector's key over the package's files (the case's own seal covers the full manifest).

The zip's own SHA-256 can only be known after it is written, so it cannot be inside the case
or the zip. It goes into a signed receipt beside the zip (``X.receipt.json`` / ``.txt``) and a
copy in the user's evkit data folder; the next export's ``transfer`` event then records it.

Reading a package (:class:`ZipSource`, :func:`verify_zip`, :func:`import_zip`) never trusts it:
unsafe names, symbolic links, duplicates, more than one case folder and zip bombs are findings,
and nothing is written outside the folder given to ``import``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from evidence_kit import __version__
from evidence_kit.errors import (
    IncompleteError,
    IntegrityError,
    StorageError,
    UnreadableInputError,
    UsageError,
    WrongKeyError,
)
from evidence_kit.ingest.hashing import HashOutcome, sha256_bytes, sha256_file
from evidence_kit.models import (
    ITEM_TYPE,
    Check,
    ExportId,
    Finding,
    Item,
    Seal,
    SealExport,
    VerificationReport,
    digest,
    digest_hex,
)
from evidence_kit.store.bag import (
    BAG_INFO,
    BAGIT,
    PAYLOAD_MANIFEST,
    TAG_MANIFEST,
    bag_info_bytes,
    is_dangerous,
    item_id_of_stored,
    manifest_bytes,
    payload_oxum,
)
from evidence_kit.store.canonical import canonical_bytes, loads
from evidence_kit.store.case import (
    ITEMS_PATH,
    LOCK_PATH,
    PUBKEY_PATH,
    SEAL_PATH,
    SEAL_SIG_PATH,
    TXN_DIR,
    Case,
    actor_of,
    list_tag_files,
    write_seal,
)
from evidence_kit.store.custody import LOG_PATH, ParsedLog, make_event, utc_now
from evidence_kit.store.fsutil import (
    CaseLock,
    append_durable,
    atomic_write,
    fsync_dir,
    sync_filesystem,
)
from evidence_kit.store.sealing import build_seal, sign_seal
from evidence_kit.store.signing import PublicKey, Signer, fingerprint, key_home
from evidence_kit.util import printable
from evidence_kit.verify.checks import FolderSource, VerifyContext, verify_source
from evidence_kit.verify.verify_extras import standard_checks

#: Same literal as in verify.py check (7), which honours it.
WITHHELD_PATH = "evkit/withheld.json"
WITHHELD_TYPE = "evkit/withheld/v1"
RECEIPT_TYPE = "evkit/receipt/v1"
VERIFY_TXT = "VERIFY.txt"
#: The journal of an export in progress, in its own ``evkit/txn/<id>-export/`` folder: where
#: the partial zip, the zip and its receipts go, so that a killed export can be undone.
EXPORT_JOURNAL = "export.json"
TRANSFER = "transfer"
TRANSFER_CANCELLED = "transfer.cancelled"
REASON_SENSITIVE = "sensitive"
#: The exact seal check given in VERIFY.txt (run inside the package's folder).
OPENSSL_VERIFY = (
    "openssl pkeyutl -verify -pubin -inkey evkit/collector.pub.pem -rawin "
    "-in evkit/seal.json -sigfile evkit/seal.sig"
)

CHUNK = 1 << 20
#: A zip entry bigger than this whose declared size exceeds RATIO x its compressed size is
#: treated as a zip bomb. evkit itself stores such entries uncompressed (EXPORT_MAX_RATIO).
BOMB_MIN_SIZE = 1 << 20
MAX_RATIO = 200
EXPORT_MAX_RATIO = 100
#: The most uncompressed content a package may declare before we refuse to read it.
MAX_TOTAL_BYTES = 4 << 40
#: Record files (outside data/) bigger than this are not kept in memory between reads.
_CACHE_BUDGET = 64 << 20

_FILE_ATTR = (stat.S_IFREG | 0o644) << 16
_DIR_ATTR = ((stat.S_IFDIR | 0o755) << 16) | 0x10  # 0x10: MS-DOS directory flag
_EPOCH = (1980, 1, 1, 0, 0, 0)
_EXPORT_ID = re.compile(r"^X(\d+)$")

#: Already compressed: stored as they are (deflating them again wastes time for nothing).
_STORED_EXT = frozenset(
    "jpg jpeg png gif webp heic heif avif jxl mp4 m4v m4a mov mkv webm avi 3gp mp3 aac ogg oga "
    "opus flac wma wmv pdf zip gz tgz bz2 xz 7z rar zst lz4 docx xlsx pptx odt ods odp epub jar "
    "apk ipa sig".split()
)
_STORED_MIME = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/x-rar",
        "application/x-rar-compressed",
        "application/x-bzip2",
        "application/x-xz",
        "application/zstd",
        "application/epub+zip",
        "application/java-archive",
    }
)
_DEFLATE_MIME = frozenset(
    {
        "application/json",
        "application/xml",
        "message/rfc822",
        "application/vnd.ms-outlook",
        "application/x-ofx",
        "application/csv",
        "application/javascript",
        "application/x-ndjson",
        "application/mbox",
        "application/rtf",
        "image/bmp",
        "image/x-ms-bmp",
        "image/tiff",
        "image/svg+xml",
        "audio/wav",
        "audio/x-wav",
        "application/x-pem-file",
    }
)
_TEXT_EXT = frozenset(
    "txt csv tsv json jsonl xml html htm eml mbox log md ofx qfx qif msg rtf svg bmp tif tiff "
    "wav pem".split()
)

Progress = Callable[[int], None]


# ==== the handover record ===================================================================
@dataclass(frozen=True, slots=True)
class Withheld:
    """An item not in a package, with the facts that still identify it."""

    id: str
    sha256: str
    size: int
    mime: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sha256": self.sha256,
            "size": self.size,
            "mime": self.mime,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Transfer:
    """One ``transfer`` event from the custody log (and whether it was cancelled later)."""

    export_id: str
    seq: int
    at: str
    line_sha256: str
    data: dict[str, Any]
    cancelled: str | None = None

    @property
    def recipient(self) -> str:
        return str(self.data.get("recipient") or "")

    @property
    def included(self) -> tuple[str, ...]:
        return tuple(str(i) for i in self.data.get("included") or [])

    @property
    def withheld(self) -> tuple[dict[str, Any], ...]:
        return tuple(w for w in self.data.get("withheld") or [] if isinstance(w, dict))

    @property
    def base(self) -> str | None:
        sup = self.data.get("supplementary_to")
        return str(sup.get("export")) if isinstance(sup, dict) and sup.get("export") else None


def transfers(log: ParsedLog) -> dict[str, Transfer]:
    """Every handover recorded in the log, by export ID, in order."""
    out: dict[str, Transfer] = {}
    for event, line_hash in zip(log.events, log.hashes, strict=True):
        data = event.get("data")
        if not isinstance(data, dict):
            continue
        export_id = str(data.get("export") or "")
        if event.get("action") == TRANSFER and export_id:
            out[export_id] = Transfer(
                export_id, int(event.get("seq") or 0), str(event.get("at") or ""), line_hash, data
            )
        elif event.get("action") == TRANSFER_CANCELLED and export_id in out:
            out[export_id] = dataclasses.replace(
                out[export_id], cancelled=str(data.get("reason") or "cancelled")
            )
    return out


def normalize_export_id(text: str) -> str:
    """``x1``, ``X1`` and ``X0001`` all mean ``X0001``."""
    t = text.strip().upper()
    m = _EXPORT_ID.match(t)
    return f"X{int(m.group(1)):04d}" if m else t


def next_export_id(log: ParsedLog) -> str:
    numbers = [int(m.group(1)) for x in transfers(log) if (m := _EXPORT_ID.match(x))]
    return f"X{max(numbers, default=0) + 1:04d}"


@dataclass(frozen=True)
class ExportRequest:
    """What the user asked for on the command line."""

    recipient: str
    reference: str | None = None
    purpose: str | None = None
    include_sensitive: bool = False
    since: str | None = None  # an export ID
    since_last: bool = False
    dest: Path | None = None  # the zip to write (a folder: a default name inside it)


@dataclass(frozen=True)
class ExportPlan:
    """Which items a handover includes and which it withholds, and why."""

    export_id: str
    included: tuple[Item, ...]
    withheld: tuple[Withheld, ...]
    base: Transfer | None

    @property
    def payload_bytes(self) -> int:
        return sum(it.size for it in self.included)


def plan_export(items: dict[str, Item], log: ParsedLog, request: ExportRequest) -> ExportPlan:
    """Decide the contents of the next handover; raises UsageError for an impossible request.

    A supplementary handover (``--since``/``--since-last``) leaves out every item handed over
    in the base export or the exports it was itself supplementary to; they are withheld with the
    reason ``previously handed over in X....``. Sensitive items are withheld unless asked for.
    """
    if not request.recipient.strip():
        raise UsageError(
            "A handover needs a recipient.",
            hint='Give --recipient "DC Sam Patel, Metropolitan Police".',
        )
    done = {k: v for k, v in transfers(log).items() if v.cancelled is None}
    base: Transfer | None = None
    if request.since and request.since_last:
        raise UsageError("Give either --since EXPORT_ID or --since-last, not both.")
    if request.since_last:
        if not done:
            raise UsageError(
                "There is no earlier handover of this case to add to.",
                hint="Run 'evkit export' without --since-last for a first handover.",
            )
        base = list(done.values())[-1]
    elif request.since:
        want = normalize_export_id(request.since)
        if want not in done:
            known = ", ".join(done) or "none yet"
            raise UsageError(
                f"This case has no handover {request.since} (handovers: {known}).",
                hint="'evkit exports' lists the handovers of this case.",
            )
        base = done[want]
    handed: dict[str, str] = {}
    seen: set[str] = set()
    link = base
    while link is not None and link.export_id not in seen:
        seen.add(link.export_id)
        for item_id in link.included:
            handed[item_id] = link.export_id  # earlier links overwrite: the first handover wins
        link = done.get(link.base) if link.base else None
    included: list[Item] = []
    withheld: list[Withheld] = []
    for it in items.values():
        if it.id in handed:
            reason = f"previously handed over in {handed[it.id]}"
        elif it.sensitive and not request.include_sensitive:
            reason = REASON_SENSITIVE
        else:
            included.append(it)
            continue
        withheld.append(Withheld(it.id, it.sha256, it.size, it.mime, reason))
    if base is not None and not included:
        raise UsageError(
            f"Nothing was added since handover {base.export_id}, so there is "
            "nothing new to hand over.",
            hint="Sensitive items stay withheld unless you add --include-sensitive.",
        )
    return ExportPlan(next_export_id(log), tuple(included), tuple(withheld), base)


def _event_data(
    plan: ExportPlan, request: ExportRequest, package: str, receipts: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    # Never call a key here "items": verify treats data["items"] as item-record bindings.
    base = None
    if plan.base is not None:
        found = receipts.get(plan.base.export_id) or {}
        base = {"export": plan.base.export_id, "zip_sha256": found.get("package_sha256")}
    return {
        "export": plan.export_id,
        "recipient": request.recipient.strip(),
        "reference": (request.reference or "").strip() or None,
        "purpose": (request.purpose or "").strip() or None,
        "package": package,
        "included": [it.id for it in plan.included],
        "included_bytes": plan.payload_bytes,
        "withheld": [{"id": w.id, "sha256": w.sha256, "reason": w.reason} for w in plan.withheld],
        "include_sensitive": request.include_sensitive,
        "supplementary_to": base,
        # The zip hashes of earlier handovers, known from their receipts only after they were
        # written: recorded here, in the next signed event.
        "earlier_packages": [
            {"export": x, "zip_sha256": r.get("package_sha256")}
            for x, r in sorted(receipts.items())
        ],
    }


# ==== exporting =============================================================================
@dataclass(frozen=True)
class Package:
    """A written handover zip and the facts that go in its receipt."""

    path: Path
    sha256: str
    size: int
    export_id: str
    folder: str
    seal_sha256: str
    key_id: str
    included: tuple[str, ...]
    payload_bytes: int
    withheld: tuple[Withheld, ...]
    transfer: Transfer
    case_id: str
    title: str
    notes: tuple[str, ...] = ()  # what the user should know about what was left out


@dataclass(frozen=True)
class ExportResult:
    """What ``evkit export`` did: the package and where its receipts were saved."""

    package: Package
    receipt: dict[str, Any]
    receipt_json: Path
    receipt_txt: Path
    stored_copy: Path | None


def safe_folder_name(name: str) -> str:
    """An ASCII folder name that trips no tool (spaces and punctuation become ``_``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._-")[:60] or "evkit-case"


def _folder(case: Case, export_id: str) -> str:
    # The export ID keeps the folders of several handovers apart when unzipped side by side.
    return f"{safe_folder_name(case.root.name)}-{export_id}"


def _receipt_paths(zip_path: Path) -> tuple[Path, Path]:
    stem = zip_path.name[:-4] if zip_path.name.lower().endswith(".zip") else zip_path.name
    return (zip_path.with_name(stem + ".receipt.json"), zip_path.with_name(stem + ".receipt.txt"))


def resolve_destination(
    case: Case, dest: Path | None, export_id: str, cwd: Path | None = None
) -> Path:
    """Where the zip goes: never inside the case, never over an existing file."""
    default_name = _folder(case, export_id) + ".zip"
    if dest is None:
        here = (cwd or Path.cwd()).resolve()
        inside = here == case.root or case.root in here.parents
        dest = (case.root.parent if inside else here) / default_name
    dest = dest.expanduser()
    if dest.is_dir():
        dest = dest / default_name
    if not dest.name.lower().endswith(".zip"):
        dest = dest.with_name(dest.name + ".zip")
    parent = dest.parent.resolve()
    if not parent.is_dir():
        raise UsageError(f"The folder {dest.parent} does not exist.")
    dest = parent / dest.name
    if dest == case.root or case.root in dest.parents:
        raise UsageError(
            "The handover zip cannot be written inside the case folder.",
            hint="Give --to a path outside it, e.g. --to ~/Desktop/handover.zip.",
        )
    for path in (dest, *_receipt_paths(dest)):
        if path.exists() or path.is_symlink():
            raise UsageError(
                f"{path} already exists; evkit will not overwrite it.",
                hint="Choose another name with --to.",
            )
    return dest


def check_case_records(root: Path) -> VerificationReport:
    """Verify everything but the evidence bytes (those are re-hashed while they are zipped)."""

    class _RecordsOnly(FolderSource):
        def hash(
            self, rels: Sequence[str], sizes: Sequence[int], progress: Callable[[int], None] | None
        ) -> Iterable[HashOutcome]:
            return ()

    return verify_source(_RecordsOnly(root), extra_checks=standard_checks())


def _refuse_if_changed(report: VerificationReport) -> None:
    changed = [f for f in report.findings if f.integrity]
    if changed:
        raise IntegrityError(
            f"The case does not verify ({len(changed)} problem(s), first: "
            f"{changed[0].message}), so evkit will not hand it over.",
            hint="Run 'evkit verify' to see everything that changed.",
        )


def export_case(
    case: Case,
    signer: Signer,
    request: ExportRequest,
    *,
    progress: Progress | None = None,
    on_recover: Callable[[str], None] | None = None,
    cwd: Path | None = None,
) -> ExportResult:
    """Record a handover in the custody log, then write the zip and its receipts.

    Nothing is logged if the request is impossible or the case does not verify. Before the
    ``transfer`` event is logged, an export journal (``evkit/txn/<id>-export/export.json``)
    names every file the export will write outside the case. If writing the zip or its receipt
    fails, those files are removed and a ``transfer.cancelled`` event says why; if the process
    dies instead, the next evkit command does the same from the journal (:func:`settle_export`).
    """
    if signer.key_id != case.key_id:
        raise WrongKeyError(
            "This case was created with another signing key, so your key cannot sign its handover.",
            hint=f"The case's key is {case.key_id}; yours is {signer.key_id}.",
        )
    plan = plan_export(case.items(), case.read_log(), request)  # usage errors before any change
    dest = resolve_destination(case, request.dest, plan.export_id, cwd)
    _refuse_if_changed(check_case_records(case.root))
    receipts = _known_receipts(case, signer.public)
    with case.session(signer, "export", on_recover) as sess:
        plan = plan_export(sess.items, case.read_log(), request)
        journal = _start_journal(case, plan.export_id, dest)
        sess.log(TRANSFER, _event_data(plan, request, dest.name, receipts))
    try:
        package = build_zip(
            case.root,
            signer,
            dest,
            export_id=plan.export_id,
            progress=progress,
            check_case=False,
            journal=journal,
        )
        result = _write_receipts(package, signer, request)
    except BaseException as exc:
        reason = (
            "interrupted (Ctrl-C)"
            if isinstance(exc, KeyboardInterrupt)
            else (getattr(exc, "message", None) or str(exc) or type(exc).__name__)
        )
        _abandon(case, signer, journal, f"the package was not written: {reason}")
        if isinstance(exc, OSError | StorageError) and _disk_full(exc):
            raise _full_error(dest) from exc
        raise
    shutil.rmtree(journal, ignore_errors=True)  # the handover is complete
    fsync_dir(journal.parent)
    return result


# ==== a handover that did not complete =======================================================
def _part_path(dest: Path, pid: int | None = None) -> Path:
    return dest.with_name(f".{dest.name}.{pid or os.getpid()}.part")


def _start_journal(case: Case, export_id: str, dest: Path) -> Path:
    """Name, before anything is written, every file this export may leave outside the case."""
    folder = (
        case.root / TXN_DIR / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-"
        f"{os.getpid()}-export"
    )
    receipt_json, receipt_txt = _receipt_paths(dest)
    try:
        folder.mkdir(parents=True)
        atomic_write(
            folder / "intent.json",
            canonical_bytes({"op": "export", "started": utc_now(), "pid": os.getpid()}),
        )
        atomic_write(
            folder / EXPORT_JOURNAL,
            canonical_bytes(
                {
                    "export": export_id,
                    "pid": os.getpid(),
                    "dest": str(dest),
                    "part": str(_part_path(dest)),
                    "receipt_json": str(receipt_json),
                    "receipt_txt": str(receipt_txt),
                    "zip_sha256": None,
                }
            ),
        )
        fsync_dir(folder.parent)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise StorageError(f"Could not start the handover: {exc.strerror or exc}.") from exc
    return folder


def _journal_zip(folder: Path, digest: str) -> None:
    """Record the finished zip's SHA-256 before it takes its name (only that zip is ours)."""
    doc = loads((folder / EXPORT_JOURNAL).read_bytes())
    atomic_write(folder / EXPORT_JOURNAL, canonical_bytes({**doc, "zip_sha256": digest}))


def _abandon(case: Case, signer: Signer, journal: Path, reason: str) -> None:
    """After a failed export: remove what it wrote, log ``transfer.cancelled``, re-seal.

    If this cannot be done now (the case is busy, the disk is full), the journal stays and the
    next evkit command finishes the job.
    """
    lock = CaseLock(case.root / LOCK_PATH)
    with contextlib.suppress(Exception):
        lock.acquire(exclusive=True)
        try:
            if journal.is_dir():
                settle_export(case, signer, journal, reason=reason, failed=True)
                write_seal(case, signer, case.items())
                sync_filesystem(case.root)
                shutil.rmtree(journal, ignore_errors=True)
                fsync_dir(journal.parent)
        finally:
            lock.release()


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError:
        return False
    return True


def settle_export(
    case: Case, signer: Signer, folder: Path, *, reason: str = "interrupted", failed: bool = False
) -> str | None:
    """Finish or undo an export named by the journal in ``folder`` (called with the case lock
    held, by recovery or after a failure). Idempotent; returns a sentence for the user.

    The export is complete only if its zip (the one whose SHA-256 the journal recorded) and
    both receipts beside it, signed for this case's own transfer event, are all there: then
    nothing is removed. Otherwise the partial and temporary files, the zip and receipts it
    wrote are removed, and a ``transfer.cancelled`` event is appended (not sealed: the caller
    re-seals).
    """
    try:
        doc = loads((folder / EXPORT_JOURNAL).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    export_id = str(doc.get("export") or "")
    dest = Path(str(doc.get("dest")))
    try:
        pid = int(doc.get("pid") or 0)
    except (TypeError, ValueError):
        pid = 0
    if not dest.is_absolute() or not dest.name.lower().endswith(".zip") or pid <= 0:
        return None  # not a journal evkit wrote: touch nothing outside the case
    # Only names an export makes are derived from the journal (never taken from it as they
    # are): a case folder from someone else must not make evkit delete other files.
    receipt_json, receipt_txt = _receipt_paths(dest)
    log = case.read_log()
    transfer = transfers(log).get(export_id)
    zip_sha = doc.get("zip_sha256")
    ours = False
    with contextlib.suppress(OSError):
        ours = (
            bool(zip_sha)
            and dest.is_file()
            and not dest.is_symlink()
            and sha256_file(dest)[0] == zip_sha
        )
    receipt: dict[str, Any] | None = None
    with contextlib.suppress(OSError, ValueError):
        rec = json.loads(receipt_json.read_bytes())
        if (
            ours
            and transfer is not None
            and isinstance(rec, dict)
            and rec.get("package_sha256") == zip_sha
            and receipt_matches(rec, transfer, case.case_id)
            and receipt_valid(rec, case.public_key())
        ):
            receipt = rec
    if (
        not failed
        and receipt is not None
        and transfer is not None
        and transfer.cancelled is None
        and receipt_txt.is_file()
    ):
        _store_receipt(receipt, transfer)  # best effort; the receipts beside the zip matter
        return (
            f"The handover {export_id} had been completed: its package {dest} and its "
            "receipt are in place."
        )
    removed = [
        p
        for p in (
            _part_path(dest, pid),
            *(p.with_name(f".{p.name}.tmp-{pid}") for p in (receipt_json, receipt_txt)),
        )
        if _unlink(p)
    ]
    if receipt is not None:
        with contextlib.suppress(OSError):
            if receipt_txt.read_text("utf-8") == receipt_text(receipt, dest):
                _unlink(receipt_txt)
        _unlink(receipt_json)
        stored = _store_path(case.case_id, transfer) if transfer is not None else None
        with contextlib.suppress(OSError, ValueError):
            if stored is not None and json.loads(stored.read_bytes()) == receipt:
                _unlink(stored)
    if ours:
        removed.append(dest)
        _unlink(dest)
    if transfer is None or transfer.cancelled is not None:
        return None
    line = make_event(
        signer,
        seq=log.head.events + 1,
        prev=log.head.head,
        action=TRANSFER_CANCELLED,
        actor=actor_of(case.info),
        data={
            "export": export_id,
            "reason": reason
            if failed
            else f"the package was not completed: evkit was stopped ({reason})",
        },
    )
    append_durable(case.root / LOG_PATH, line + b"\n")
    if failed:
        return None
    return (
        f"The handover {export_id} was not completed, so the case's record now says it was "
        f"cancelled{' and its unfinished files were removed' if removed else ''}. Run the "
        "same 'evkit export' again to make it."
    )


def _disk_full(exc: BaseException) -> bool:
    """Whether a failure (or one it happened while handling) was a full disk."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(cur, StorageError) and "disk is full" in cur.message:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _full_error(dest: Path) -> StorageError:
    return StorageError(
        f"The disk is full while writing {dest.name}; nothing was written.",
        hint="Free some space or choose another --to, then run the same 'evkit export' again.",
    )


@dataclass
class _Entry:
    """One file of the package: bytes in memory (records) or a payload file on disk."""

    rel: str
    data: bytes | None = None
    path: Path | None = None
    item: Item | None = None


def build_zip(
    case_root: Path,
    signer: Signer,
    dest: Path,
    *,
    export_id: str | None = None,
    progress: Progress | None = None,
    check_case: bool = True,
    journal: Path | None = None,
) -> Package:
    """Write the handover zip for a recorded export from the current sealed case state.

    ``export_id`` defaults to the latest handover, whose ``transfer`` event must be the last
    event in the log. Deterministic: the same sealed state gives byte-identical zips. The zip
    is written to a temporary file beside ``dest`` and renamed only when complete (its SHA-256
    first recorded in the export ``journal``, if given).
    """
    case = Case.open(case_root)
    root = case.root
    if signer.key_id != case.key_id:
        raise WrongKeyError(
            "This case was created with another signing key, so your key cannot sign its handover."
        )
    if dest.resolve() == root or root in dest.resolve().parents:
        raise UsageError("The handover zip cannot be written inside the case folder.")
    lock = CaseLock(root / LOCK_PATH)
    lock.acquire(exclusive=False)
    try:
        if check_case:
            _refuse_if_changed(check_case_records(root))
        entries, meta = _package_entries(case, signer, export_id)
        folder = _folder(case, meta.transfer.export_id)
        date_time = _zip_time(meta.sealed_at)
        digest, size = _write_zip(dest, folder, entries, date_time, progress, journal)
    finally:
        lock.release()
    return Package(
        path=dest,
        sha256=digest,
        size=size,
        export_id=meta.transfer.export_id,
        folder=folder,
        seal_sha256=meta.seal_sha256,
        key_id=case.key_id,
        included=tuple(it.id for it in meta.included),
        payload_bytes=meta.payload_bytes,
        withheld=meta.withheld,
        transfer=meta.transfer,
        case_id=case.case_id,
        title=str(case.info.get("title") or ""),
        notes=meta.notes,
    )


@dataclass(frozen=True)
class _Meta:
    transfer: Transfer
    included: tuple[Item, ...]
    withheld: tuple[Withheld, ...]
    payload_bytes: int
    seal_sha256: str
    sealed_at: str
    notes: tuple[str, ...] = ()


def _leave_out_private(
    records: dict[str, bytes], log: ParsedLog, private: dict[str, str]
) -> tuple[str, ...]:
    """Take out of the package's record files everything that names a withheld sensitive item.

    Its record lines (every revision) and the records of copies of it leave ``items.jsonl``:
    the signed log binds them by salted hashes only, and still gives the item's ID, revision,
    SHA-256 and size, which is all a handover shows of it (docs/FORMAT.md, "Withheld items").
    A report written while such an item was not yet marked sensitive shows its name, so that
    report stays out of the package. ``private`` maps each such item to its stored path.
    Returns sentences for the user.
    """
    kept: list[bytes] = []
    states: dict[str, dict[str, bool]] = {}  # item -> record hash -> sensitive
    for line in records.get(ITEMS_PATH, b"").splitlines():
        try:
            rec = loads(line)
        except ValueError:
            rec = None
        about = str(rec.get("id") or rec.get("same_as")) if isinstance(rec, dict) else ""
        if about in private:
            if rec.get("type") == ITEM_TYPE:
                states.setdefault(about, {})[digest(sha256_bytes(line))] = bool(
                    rec.get("sensitive")
                )
            continue
        kept.append(line + b"\n")
    records[ITEMS_PATH] = b"".join(kept)

    # A report shows every item that was not marked sensitive when it was made.
    shown: dict[str, bool] = {}  # private item -> its record in force was not sensitive
    unsafe: dict[str, bool] = {}  # report file -> made while a private item was shown
    for event in log.events:
        data = event.get("data")
        if not isinstance(data, dict):
            continue
        for entry in data.get("items") or []:
            item_id = str(entry.get("id")) if isinstance(entry, dict) else ""
            if item_id in states:
                shown[item_id] = not states[item_id].get(str(entry.get("record")), True)
        if event.get("action") == "report":
            for f in data.get("files") or []:
                if isinstance(f, dict):
                    unsafe[str(f.get("path"))] = any(shown.values())
    notes: list[str] = []
    stale = sorted(rel for rel, bad in unsafe.items() if bad and rel in records)
    for rel in stale:
        del records[rel]
    if stale:
        notes.append(
            f"The report ({', '.join(stale)}) was made before "
            "some of the withheld items were marked sensitive, so it would show their "
            "names: it is left out of this package. Run 'evkit report', then "
            "'evkit export' again, to include a report."
        )
    legacy = sorted(
        it
        for it, stored in private.items()
        if any(f'"{stored}"'.encode() in ln for ln in log.lines)
    )
    if legacy:
        notes.append(
            f"This case was started with an older evkit whose history names the stored "
            f"file of {', '.join(legacy)}; that history goes into the package whole, "
            "so the stored file name travels with it (the file itself does not)."
        )
    return tuple(notes)


def _package_entries(
    case: Case, signer: Signer, export_id: str | None
) -> tuple[list[_Entry], _Meta]:
    """Every file of the package's bag, with its own manifest, withheld list and seal."""
    root = case.root
    log = case.read_log()
    recorded = {k: v for k, v in transfers(log).items() if v.cancelled is None}
    if not recorded:
        raise UsageError(
            "This case has no recorded handover to package.",
            hint="Run 'evkit export --recipient \"...\"'.",
        )
    transfer = (
        recorded.get(normalize_export_id(export_id)) if export_id else list(recorded.values())[-1]
    )
    if transfer is None:
        raise UsageError(f"This case has no handover {export_id}.")
    if transfer.seq != log.head.events:
        raise IncompleteError(
            f"The case changed after handover {transfer.export_id} was recorded, so its "
            "package can no longer be made exactly; run 'evkit export' again."
        )
    # The sealed state: the seal's signature, and every record file as the seal binds it.
    case_seal_raw = _read(root / SEAL_PATH)
    seal_sig = _read(root / SEAL_SIG_PATH)
    key = PublicKey.from_pem(_read(root / PUBKEY_PATH))
    try:
        case_seal: Seal | None = Seal.from_bytes(case_seal_raw)
    except ValueError:
        case_seal = None
    if key.key_id != case.key_id or not key.verify(seal_sig, case_seal_raw) or case_seal is None:
        raise IntegrityError(
            "The case's seal does not verify, so evkit will not hand it over.",
            hint="Run 'evkit verify' to see what changed.",
        )
    bound: dict[str, str] = dict(case_seal.files)
    if case_seal.custody != log.head:
        raise IntegrityError(
            "The custody log does not match the case's seal.",
            hint="Run 'evkit verify' to see what changed.",
        )
    records: dict[str, bytes] = {}
    for rel in list_tag_files(root):
        if rel in (SEAL_PATH, SEAL_SIG_PATH, WITHHELD_PATH):
            continue
        data = _read(root / rel)
        if bound.get(rel) != sha256_bytes(data):
            raise IntegrityError(
                f"{rel} differs from the version the case was sealed with, so "
                "evkit will not hand the case over.",
                hint="Run 'evkit verify' to see what changed.",
            )
        records[rel] = data
    items = case.items()
    missing = [i for i in transfer.included if i not in items]
    if missing:
        raise IntegrityError(
            f"Handover {transfer.export_id} lists item(s) "
            f"{', '.join(missing[:5])} that the case does not have."
        )
    included = tuple(items[i] for i in transfer.included)
    withheld = tuple(
        Withheld(
            str(w.get("id")),
            items[str(w.get("id"))].sha256,
            items[str(w.get("id"))].size,
            items[str(w.get("id"))].mime,
            str(w.get("reason") or ""),
        )
        for w in transfer.withheld
        if str(w.get("id")) in items
    )
    total = sum(it.size for it in included)
    private = {w.id: items[w.id].stored for w in withheld if w.reason == REASON_SENSITIVE}
    notes: tuple[str, ...] = ()
    if private:
        notes = _leave_out_private(records, log, private)

    records[PAYLOAD_MANIFEST] = manifest_bytes({it.stored: it.sha256 for it in included})
    records[BAG_INFO] = _bag_info(records.get(BAG_INFO, b""), transfer, included, withheld)
    records[WITHHELD_PATH] = (
        canonical_bytes(
            {
                "type": WITHHELD_TYPE,
                "export": transfer.export_id,
                "items": [w.to_dict() for w in withheld],
            }
        )
        + b"\n"
    )
    files = {rel: sha256_bytes(data) for rel, data in sorted(records.items())}
    sealed_at = case_seal.sealed_at
    seal = build_seal(
        case_id=case.case_id,
        sealed_at=sealed_at,
        key_id=signer.key_id,
        head=log.head,
        items=included,
        files=files,
        export=SealExport(
            id=ExportId(transfer.export_id),
            transfer_event=transfer.seq,
            case_seal_sha256=sha256_bytes(case_seal_raw),
            withheld=len(withheld),
            supplementary_to=ExportId(transfer.base) if transfer.base else None,
        ),
    )
    seal_bytes, seal_signature = sign_seal(seal, signer)
    records[SEAL_PATH] = seal_bytes
    records[SEAL_SIG_PATH] = seal_signature
    meta = _Meta(transfer, included, withheld, total, sha256_bytes(seal_bytes), sealed_at, notes)
    reports = tuple(sorted(r for r in records if r.startswith("evkit/report/")))
    records[VERIFY_TXT] = _verify_text(case, meta, _folder(case, transfer.export_id), reports)
    records[TAG_MANIFEST] = manifest_bytes(
        {rel: sha256_bytes(data) for rel, data in records.items() if rel != TAG_MANIFEST}
    )
    entries = [_Entry(rel, data=data) for rel, data in records.items()]
    entries.extend(_Entry(it.stored, path=root / it.stored, item=it) for it in included)
    return entries, meta


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IncompleteError(f"{path} cannot be read: {exc.strerror or exc}.") from exc


def _bag_info(
    case_info: bytes, transfer: Transfer, included: Sequence[Item], withheld: Sequence[Withheld]
) -> bytes:
    lines = [
        ln
        for ln in case_info.decode("utf-8", "replace").splitlines()
        if not ln.startswith(("Payload-Oxum:", "Bag-Size:", "Internal-Sender-"))
    ]
    total = sum(it.size for it in included)
    extra = bag_info_bytes(
        [
            ("Payload-Oxum", payload_oxum(it.size for it in included)),
            ("Bag-Size", f"{total} bytes"),
            ("Internal-Sender-Identifier", f"evkit handover {transfer.export_id}"),
            (
                "Internal-Sender-Description",
                f"Prepared for {transfer.recipient}; {len(included)} evidence file(s) included, "
                f"{len(withheld)} withheld (listed in evkit/withheld.json)"
                + (f"; supplementary to {transfer.base}" if transfer.base else ""),
            ),
        ]
    )
    return "".join(ln + "\n" for ln in lines).encode("utf-8") + extra


def _zip_time(sealed_at: str) -> tuple[int, int, int, int, int, int]:
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)", sealed_at)
    if not m:
        return _EPOCH
    parts = tuple(int(g) for g in m.groups())
    when = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5] // 2 * 2)
    return when if 1980 <= when[0] <= 2107 else _EPOCH


def _verify_text(case: Case, meta: _Meta, folder: str, reports: Sequence[str]) -> bytes:
    """VERIFY.txt: step-by-step checks with standard tools; commands follow ``$ ``."""
    info = case.info
    collector = info.get("collector") or {}
    t = meta.transfer
    who = str(collector.get("name") or "")
    if collector.get("email"):
        who += f" <{collector['email']}>"
    key_hex = digest_hex(case.key_id)
    seal_hex = meta.seal_sha256
    rows = [
        ("Case", str(info.get("title") or "")),
        ("Case ID", case.case_id),
        ("Handover", f"{t.export_id}, prepared for {t.recipient}"),
        ("Reference", str(t.data.get("reference") or "")),
        ("Purpose", str(t.data.get("purpose") or "")),
        ("Supplementary to", _base_text(t)),
        ("Collected by", who),
        ("Collector's key", fingerprint(case.key_id)),
        ("Key ID", case.key_id),
        ("Seal SHA-256", f"{seal_hex}  (of evkit/seal.json)"),
        ("Sealed at", meta.sealed_at),
        ("Evidence files", f"{len(meta.included)} included, {meta.payload_bytes} bytes"),
        (
            "Withheld items",
            f"{len(meta.withheld)}, listed with their SHA-256 in evkit/withheld.json"
            if meta.withheld
            else "none",
        ),
    ]
    head = "\n".join(
        f"  {label + ':':<18}{printable(' '.join(value.split()))}" for label, value in rows if value
    )
    if meta.included:
        step1 = (
            "Step 1. Check every evidence file, then every record file, against its "
            "recorded SHA-256:\n\n    $ sha256sum -c manifest-sha256.txt"
        )
    else:
        step1 = (
            "Step 1. This package holds no evidence files, so manifest-sha256.txt is "
            "empty and there\n  is nothing to check in it (sha256sum -c would only "
            'report "no properly formatted\n  checksum lines"). Check the record files '
            "against their recorded SHA-256:\n"
        )
    report = ""
    if reports:
        report = (
            "\nThe collector's report (covered by the seal like every record file):\n"
            + "".join(f"  {r}\n" for r in reports)
        )
    stamps = ""
    from evidence_kit.timestamp.rfc3161 import list_timestamps

    tokens = list_timestamps(case.root)
    if tokens:
        stamps = (
            "\nTRUSTED TIMESTAMPS (RFC 3161)\n\n"
            "An independent time-stamping authority signed that each seal below existed at the\n"
            "time shown. The timestamped seal is kept as evkit/timestamps/T....seal.json; its\n"
            "log head is a line of evkit/custody.jsonl, so everything before it is covered.\n"
            "In the package folder (openssl checks the TSA certificate's validity as of today):\n\n"
            + "".join(
                f"  {t['id']}: {t.get('tsa') or 'unknown authority'}, {t.get('gen_time')}, "
                f"covers the seal of {(t.get('covers') or {}).get('sealed_at')}\n"
                f"    $ {t.get('openssl_verify')}\n"
                for t in tokens
            )
        )
    withheld = ""
    if meta.withheld:
        withheld = (
            "\nWITHHELD ITEMS\n\n"
            "These items are not in this package. Each is described by its signed item record\n"
            "in evkit/items.jsonl, whose hash is bound by a signed event in evkit/custody.jsonl,\n"
            "so a copy handed over later can be checked against the SHA-256 below.\n\n"
            + "".join(
                f"  {w.id}  {w.sha256}  {w.size} bytes  {w.mime}  ({w.reason})\n"
                for w in meta.withheld
            )
        )
    text = f"""\
HOW TO CHECK THIS EVIDENCE PACKAGE
==================================

This package was made with evkit {__version__}. It is a BagIt 1.0 bag: the evidence files are
in data/ and the collector's signed records are in evkit/. You can check it with standard
tools; you do not need evkit.

{head}

Before relying on step 3, confirm the collector's key fingerprint above with the person who
gave you this package (by phone, in person, or from their signed custody form).

Unzipping the package creates the folder {folder}/, which holds this file.
Open a terminal in that folder and type each command shown after "$ " (without the "$").
Every command below is run there.

{step1}
    $ sha256sum -c tagmanifest-sha256.txt

  Every line must end in "OK" (on macOS, type shasum -a 256 -c instead of sha256sum -c).

Step 2. Validate the bag with the Library of Congress BagIt validator, bagit.py:

    $ bagit.py --validate .

  It must report ". is valid". If bagit.py is not installed, install it once (a plain
  "pip install bagit" is refused on current Debian and Ubuntu), either with pipx:
      pipx install bagit        (it puts bagit.py in ~/.local/bin)
  or with Python alone (Debian/Ubuntu may first need: sudo apt install python3-venv):
      python3 -m venv ~/bagit-venv && ~/bagit-venv/bin/pip install bagit
  and then type ~/bagit-venv/bin/bagit.py --validate . instead.

Step 3. Check the collector's signature on the seal (OpenSSL 3.0 or later):

    $ {OPENSSL_VERIFY}

  It must print "Signature Verified Successfully".

Step 4. Check that the seal and the key are the ones named above:

    $ sha256sum evkit/seal.json
    $ openssl pkey -pubin -in evkit/collector.pub.pem -outform DER | tail -c 32 | sha256sum

  The first must print {seal_hex}
  The second must print {key_hex}
  (its first 32 characters are the key fingerprint).

WHAT THE SEAL COVERS

evkit/seal.json lists the SHA-256 of every record file (both manifests are covered through
manifest-sha256.txt and bag-info.txt, plus evkit/custody.jsonl, evkit/items.jsonl,
evkit/withheld.json and the rest), and the number and total size of the evidence files.
Steps 1, 3 and 4 together tie every evidence file to the collector's signature. The custody
log evkit/custody.jsonl holds one signed, hash-chained event per line; its last event is the
"transfer" event that records this handover ({t.export_id}).
{report}{stamps}{withheld}
With evkit installed, one command does all of the above and also checks the signature of
every custody event and item record:

    $ evkit verify .

  (Or, without unpacking, in the folder that holds the zip:
  evkit verify {t.data.get("package") or folder + ".zip"})

Files outside data/ and evkit/: VERIFY.txt (this file) is listed in tagmanifest-sha256.txt
but is not covered by the seal, because it quotes the seal's own SHA-256.
"""
    return text.encode("utf-8")


def _base_text(t: Transfer) -> str:
    sup = t.data.get("supplementary_to")
    if not isinstance(sup, dict):
        return ""
    text = str(sup.get("export") or "")
    if sup.get("zip_sha256"):
        text += f" (its zip had SHA-256 {sup['zip_sha256']})"
    return text + "; items handed over then are listed as withheld"


def _compress_type(rel: str, mime: str = "") -> int:
    ext = rel.rsplit(".", 1)[-1].lower() if "." in rel.rsplit("/", 1)[-1] else ""
    if (
        ext in _STORED_EXT
        or mime in _STORED_MIME
        or mime.startswith(("application/vnd.openxmlformats", "application/vnd.oasis.opendocument"))
    ):
        return zipfile.ZIP_STORED
    if mime.startswith("text/") or mime in _DEFLATE_MIME or ext in _TEXT_EXT:
        return zipfile.ZIP_DEFLATED
    if mime.startswith(("image/", "video/", "audio/")) or mime:
        return zipfile.ZIP_STORED  # other binary types: storing is fast and never a bomb
    return zipfile.ZIP_DEFLATED  # record files: JSON, text, PEM


def _too_compressible(size: int, chunks: Iterable[bytes | memoryview]) -> bool:
    """True if deflating would exceed EXPORT_MAX_RATIO (which readers would call a bomb)."""
    if size <= BOMB_MIN_SIZE:
        return False
    comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    out = 0
    for chunk in chunks:
        out += len(comp.compress(chunk))
    out += len(comp.flush())
    return size > EXPORT_MAX_RATIO * max(out, 1)


def _file_chunks(fd: int, view: memoryview) -> Iterator[memoryview]:
    while True:
        n = os.readv(fd, [view])
        if not n:
            return
        yield view[:n]


def _zip_info(
    name: str, date_time: tuple[int, int, int, int, int, int], *, is_dir: bool = False
) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time)
    info.create_system = 3  # Unix, whatever system writes it: fixed bytes, fixed permissions
    info.external_attr = _DIR_ATTR if is_dir else _FILE_ATTR
    info.extra = b""
    info.comment = b""
    if is_dir:
        info.CRC = info.compress_size = info.file_size = 0
    return info


def _write_zip(
    dest: Path,
    folder: str,
    entries: list[_Entry],
    date_time: tuple[int, int, int, int, int, int],
    progress: Progress | None,
    journal: Path | None = None,
) -> tuple[str, int]:
    """Write the zip to a partial file beside ``dest``, then rename it; returns its SHA-256 and
    size. On any failure the partial file is removed; a full disk is a StorageError."""
    names = {f"{folder}/{e.rel}": e for e in entries}
    dirs = {f"{folder}/", f"{folder}/data/"}
    for name in names:
        parts = name.split("/")[:-1]
        dirs.update("/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
    order = sorted([*names, *dirs])
    tmp = _part_path(dest)
    # A plain bytearray, not an mmap: slices of it may outlive a failed write (held by the
    # traceback or by zipfile), and an mmap cannot be closed while they exist (BufferError).
    view = memoryview(bytearray(CHUNK))
    try:
        with open(tmp, "xb") as raw:
            with zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
                for name in order:
                    if name in dirs:
                        zf.mkdir(_zip_info(name, date_time, is_dir=True))
                        continue
                    entry = names[name]
                    if entry.data is not None:
                        info = _zip_info(name, date_time)
                        info.compress_type = _compress_type(entry.rel)
                        if info.compress_type == zipfile.ZIP_DEFLATED and _too_compressible(
                            len(entry.data), [entry.data]
                        ):
                            info.compress_type = zipfile.ZIP_STORED
                        info.file_size = len(entry.data)
                        with zf.open(info, "w") as w:
                            w.write(entry.data)
                    else:
                        _write_payload(zf, name, entry, date_time, view, progress)
            raw.flush()
            os.fsync(raw.fileno())
        digest, size = sha256_file(tmp)
        if journal is not None:
            _journal_zip(journal, digest)
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except (OSError, StorageError) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if _disk_full(exc):
            raise _full_error(dest) from exc
        if isinstance(exc, StorageError):
            raise
        raise StorageError(f"Could not write {dest}: {exc.strerror or exc}.") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return digest, size


def _write_payload(
    zf: zipfile.ZipFile,
    name: str,
    entry: _Entry,
    date_time: tuple[int, int, int, int, int, int],
    view: memoryview,
    progress: Progress | None,
) -> None:
    if entry.path is None or entry.item is None:
        raise ValueError("not a payload entry")
    item = entry.item
    try:
        fd = os.open(
            entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        )
    except OSError as exc:
        raise IntegrityError(
            f"Evidence file {entry.rel} ({item.id}) cannot be opened: "
            f"{exc.strerror or exc}; the handover was not written.",
            hint="Run 'evkit verify' to check the case.",
        ) from exc
    try:
        size = os.fstat(fd).st_size
        if size != item.size:
            raise IntegrityError(
                f"Evidence file {entry.rel} ({item.id}) is {size} bytes but "
                f"was recorded as {item.size}; the handover was not written.",
                hint="Run 'evkit verify' to see what changed.",
            )
        info = _zip_info(name, date_time)
        info.compress_type = _compress_type(entry.rel, item.mime)
        if info.compress_type == zipfile.ZIP_DEFLATED and size > BOMB_MIN_SIZE:
            if _too_compressible(size, _file_chunks(fd, view)):
                info.compress_type = zipfile.ZIP_STORED
            os.lseek(fd, 0, os.SEEK_SET)
        info.file_size = size
        h = hashlib.sha256()
        with zf.open(info, "w") as w:
            for chunk in _file_chunks(fd, view):
                h.update(chunk)
                w.write(chunk)
                if progress:
                    progress(len(chunk))
    finally:
        os.close(fd)
    if h.hexdigest() != item.sha256:
        raise IntegrityError(
            f"Evidence file {entry.rel} ({item.id}) has changed since it was "
            "sealed (its SHA-256 differs); the handover was not written.",
            hint="Run 'evkit verify' to see what changed.",
        )


# ==== receipts ==============================================================================
def receipt_store(case_id: str) -> Path:
    """Where copies of a case's receipts are kept: the user's evkit data folder."""
    return key_home() / "receipts" / safe_folder_name(case_id)


def _sign_receipt(receipt: dict[str, Any], signer: Signer) -> dict[str, Any]:
    body = {k: v for k, v in receipt.items() if k != "sig"}
    return {**body, "sig": signer.sign_b64(canonical_bytes(body))}


def receipt_valid(receipt: dict[str, Any], key: PublicKey) -> bool:
    """The receipt's signature checks out with the case's key."""
    body = {k: v for k, v in receipt.items() if k != "sig"}
    try:
        sig = base64.b64decode(str(receipt.get("sig")), validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        return key.verify(sig, canonical_bytes(body))
    except (ValueError, TypeError):
        return False


def _write_receipts(package: Package, signer: Signer, request: ExportRequest) -> ExportResult:
    t = package.transfer
    receipt = _sign_receipt(
        {
            "type": RECEIPT_TYPE,
            "export": package.export_id,
            "case_id": package.case_id,
            "case_title": package.title,
            "recipient": t.recipient,
            "reference": t.data.get("reference"),
            "purpose": t.data.get("purpose"),
            "package": package.path.name,
            "package_sha256": package.sha256,
            "package_bytes": package.size,
            "folder": package.folder,
            "items_included": len(package.included),
            "included": list(package.included),
            "payload_bytes": package.payload_bytes,
            "withheld": [w.to_dict() for w in package.withheld],
            "supplementary_to": t.data.get("supplementary_to"),
            "seal_sha256": package.seal_sha256,
            "key_id": package.key_id,
            "key_fingerprint": fingerprint(package.key_id),
            "transfer_event": {"seq": t.seq, "at": t.at, "line_sha256": t.line_sha256},
            "written_at": utc_now(),
        },
        signer,
    )
    body = json.dumps(receipt, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    json_path, txt_path = _receipt_paths(package.path)
    atomic_write(json_path, body)
    atomic_write(txt_path, receipt_text(receipt, package.path).encode("utf-8"))
    copy = _store_receipt(receipt, t)
    return ExportResult(package, receipt, json_path, txt_path, copy)


def _store_path(case_id: str, transfer: Transfer) -> Path:
    # Copies of a case folder share its case_id, and each numbers its handovers from X0001:
    # the transfer event's line hash keeps their receipts apart.
    short = digest_hex(transfer.line_sha256)[:16]
    return receipt_store(case_id) / f"{transfer.export_id}-{short}.json"


def _store_receipt(receipt: dict[str, Any], transfer: Transfer) -> Path | None:
    """Keep a copy of a receipt in the user's evkit data folder (best effort)."""
    body = json.dumps(receipt, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    copy = _store_path(str(receipt.get("case_id")), transfer)
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(copy, body)
    except (OSError, StorageError):  # the receipt beside the zip is the one that matters
        return None
    return copy


def receipt_matches(receipt: dict[str, Any], transfer: Transfer, case_id: str) -> bool:
    """The receipt names this case's own signed transfer event: its export ID, sequence
    number, time and the SHA-256 of its log line (a copy of the case has its own events)."""
    event = receipt.get("transfer_event")
    return (
        receipt.get("type") == RECEIPT_TYPE
        and receipt.get("case_id") == case_id
        and receipt.get("export") == transfer.export_id
        and isinstance(event, dict)
        and event.get("seq") == transfer.seq
        and event.get("at") == transfer.at
        and event.get("line_sha256") == transfer.line_sha256
    )


def receipt_text(receipt: dict[str, Any], zip_path: Path | None = None) -> str:
    """The receipt as a person reads it (and may print and sign)."""
    withheld = receipt.get("withheld") or []
    reasons: dict[str, int] = {}
    for w in withheld:
        reasons[str(w.get("reason"))] = reasons.get(str(w.get("reason")), 0) + 1
    sup = receipt.get("supplementary_to") or {}
    rows = [
        ("Handover", str(receipt.get("export"))),
        ("Case", f"{receipt.get('case_title')} ({receipt.get('case_id')})"),
        ("Recipient", str(receipt.get("recipient") or "")),
        ("Reference", str(receipt.get("reference") or "")),
        ("Purpose", str(receipt.get("purpose") or "")),
        (
            "Supplementary to",
            (
                f"{sup.get('export')}"
                + (f" (zip SHA-256 {sup['zip_sha256']})" if sup.get("zip_sha256") else "")
            )
            if sup
            else "",
        ),
        ("Package", str(zip_path) if zip_path else str(receipt.get("package"))),
        ("Package SHA-256", str(receipt.get("package_sha256"))),
        ("Package size", f"{receipt.get('package_bytes')} bytes"),
        (
            "Evidence files",
            f"{receipt.get('items_included')} included, {receipt.get('payload_bytes')} bytes",
        ),
        ("Withheld", ", ".join(f"{n} {r}" for r, n in reasons.items()) or "none"),
        ("Seal SHA-256", str(receipt.get("seal_sha256"))),
        ("Collector key", f"{receipt.get('key_fingerprint')}"),
        (
            "Custody event",
            f"#{(receipt.get('transfer_event') or {}).get('seq')} (transfer), "
            f"{(receipt.get('transfer_event') or {}).get('at')}",
        ),
        ("Written", str(receipt.get("written_at"))),
    ]
    # A text file people print or `cat`: recorded values cannot drive a terminal or start a
    # line of their own.
    lines = ["evkit handover receipt", ""]
    lines += [f"  {label + ':':<18}{printable(value)}" for label, value in rows if value]
    if withheld:
        lines += ["", "Withheld items (not in the package; identified by SHA-256):"]
        lines += [
            printable(
                f"  {w.get('id')}  {w.get('sha256')}  {w.get('size')} bytes  ({w.get('reason')})"
            )
            for w in withheld
        ]
    lines += [
        "",
        "The recipient can check the package with the steps in VERIFY.txt inside it,",
        "and that it is this package by comparing its SHA-256 with the one above.",
    ]
    return "\n".join(lines) + "\n"


def _known_receipts(case: Case, key: PublicKey) -> dict[str, dict[str, Any]]:
    """Signed receipts of this case's earlier handovers found in the user's data folder.

    Only a receipt for one of this case's own, not cancelled, transfer events counts: a copy of
    the case folder has the same case ID and export IDs but its own events.
    """
    out: dict[str, dict[str, Any]] = {}
    store = receipt_store(case.case_id)
    if not store.is_dir():
        return out
    done = {k: t for k, t in transfers(case.read_log()).items() if t.cancelled is None}
    for path in sorted(store.glob("X*.json")):
        with contextlib.suppress(OSError, ValueError):
            rec = loads(path.read_bytes())
            t = done.get(str(rec.get("export"))) if isinstance(rec, dict) else None
            if (
                isinstance(rec, dict)
                and t is not None
                and receipt_matches(rec, t, case.case_id)
                and receipt_valid(rec, key)
            ):
                out[t.export_id] = rec
    return out


@dataclass(frozen=True)
class ExportSummary:
    """One past handover, for ``evkit exports``."""

    transfer: Transfer
    receipt: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        t = self.transfer
        return {
            "export": t.export_id,
            "at": t.at,
            "seq": t.seq,
            "recipient": t.recipient,
            "reference": t.data.get("reference"),
            "purpose": t.data.get("purpose"),
            "package": t.data.get("package"),
            "included": list(t.included),
            "withheld": list(t.withheld),
            "supplementary_to": t.base,
            "cancelled": t.cancelled,
            "zip_sha256": (self.receipt or {}).get("package_sha256"),
        }


def list_exports(case: Case) -> list[ExportSummary]:
    """Every handover in the custody log, with its receipt where one can be found."""
    log = case.read_log()
    found = _known_receipts(case, case.public_key())
    recorded: dict[str, str] = {}
    for t in transfers(log).values():  # zip hashes recorded by later transfer events
        for rec in t.data.get("earlier_packages") or []:
            if isinstance(rec, dict) and rec.get("zip_sha256"):
                recorded[str(rec.get("export"))] = str(rec["zip_sha256"])
    out = []
    for t in transfers(log).values():
        receipt = found.get(t.export_id)
        if receipt is None and t.export_id in recorded:
            receipt = {"package_sha256": recorded[t.export_id]}
        out.append(ExportSummary(t, receipt))
    return out


# ==== reading a package =====================================================================
def _entry_problem(info: zipfile.ZipInfo) -> Finding | None:
    """Why an entry must not be trusted or unpacked, or None."""
    name = info.filename
    mode = info.external_attr >> 16
    shown = name.encode("unicode_escape").decode("ascii")
    if stat.S_ISLNK(mode):
        return Finding(
            "zip.symlink",
            f"The package holds a symbolic link {shown!r}; evkit "
            "never makes links, so it was altered.",
            name,
        )
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        return Finding(
            "zip.special",
            f"The package holds {shown!r}, which is not a regular file or folder.",
            name,
        )
    path = name[:-1] if name.endswith("/") else name
    if (
        "\\" in name
        or any(ord(c) < 32 for c in name)
        or is_dangerous(path)
        or any(part in ("", ".", "..") for part in path.split("/"))
    ):
        return Finding(
            "zip.unsafe-path",
            f"The package holds an entry with an unsafe name "
            f"{shown!r} (an absolute path or one that climbs out with '..'); "
            "it was altered and would write outside its folder.",
            name,
        )
    if info.flag_bits & 0x1:
        return Finding(
            "zip.encrypted",
            f"The entry {shown!r} is encrypted; evkit never encrypts packages.",
            name,
        )
    if info.compress_type not in (
        zipfile.ZIP_STORED,
        zipfile.ZIP_DEFLATED,
        zipfile.ZIP_BZIP2,
        zipfile.ZIP_LZMA,
    ):
        return Finding(
            "zip.method",
            f"The entry {shown!r} uses a compression method evkit cannot read.",
            name,
            integrity=False,
        )
    if info.file_size > BOMB_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return Finding(
            "zip.bomb",
            f"The entry {shown!r} claims to unpack to "
            f"{info.file_size} bytes from {info.compress_size} (more than "
            f"{MAX_RATIO}:1): a 'zip bomb'; it was not read.",
            name,
        )
    return None


class ZipSource:
    """A handover zip read in place as a :class:`~evidence_kit.verify.checks.BagSource`.

    Entries are checked before anything is read; unsafe ones become findings (exit 1) and are
    left out. Payload entries are hashed by streaming; each entry's CRC is checked by us, so a
    damaged entry is still hashed and reported as changed rather than as unreadable.
    """

    def __init__(self, path: Path, *, max_total: int = MAX_TOTAL_BYTES) -> None:
        self.path = path
        self.label = str(path)
        self.problems: list[Finding] = []
        #: Problems found while hashing (after verify_source took ``problems``).
        self.late: list[Finding] = []
        #: Bag-relative paths of entries that could not be read back.
        self.damaged: set[str] = set()
        self.prefix = ""
        self._entries: dict[str, zipfile.ZipInfo] = {}
        self._dirs: list[str] = []
        self._noted: set[str] = set()
        self._cache: dict[str, bytes | None] = {}
        self._cached = 0
        try:
            self._zf = zipfile.ZipFile(path)
        except FileNotFoundError as exc:
            raise UsageError(f"{path} does not exist.") from exc
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
            raise UnreadableInputError(
                f"{path} cannot be read as a zip file ({exc}): it is incomplete (perhaps a copy "
                "or download was cut short) or it is not a zip.",
                hint="Ask for the package again, and compare its SHA-256 with the receipt.",
            ) from exc
        except OSError as exc:
            raise UnreadableInputError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
        try:
            self._analyze(max_total)
        except BaseException:
            self._zf.close()
            raise

    # -- structure
    def _analyze(self, max_total: int) -> None:
        infos = self._zf.infolist()
        counts: dict[str, int] = {}
        for info in infos:
            key = info.filename.rstrip("/").casefold()
            counts[key] = counts.get(key, 0) + 1
        safe: list[zipfile.ZipInfo] = []
        reported: set[str] = set()
        for info in infos:
            problem = _entry_problem(info)
            if problem is not None:
                self.problems.append(problem)
                continue
            key = info.filename.rstrip("/").casefold()
            if counts[key] > 1:
                if key not in reported:
                    reported.add(key)
                    self.problems.append(
                        Finding(
                            "zip.duplicate",
                            f"The package holds {counts[key]} entries named "
                            f"{info.filename!r}; tools would pick different ones, so none is "
                            "trusted.",
                            info.filename,
                        )
                    )
                continue
            safe.append(info)
        total = sum(i.file_size for i in safe)
        if total > max_total:
            raise IntegrityError(
                f"{self.path} claims to unpack to {total} bytes, more than evkit's limit of "
                f"{max_total}; it may be a 'zip bomb', so it was not read."
            )
        roots = sorted(
            {
                i.filename.rsplit("/", 1)[0] + "/" if "/" in i.filename else ""
                for i in safe
                if i.filename.rsplit("/", 1)[-1] == BAGIT and i.filename.count("/") <= 1
            }
        )
        if len(roots) > 1:
            raise IntegrityError(
                f"{self.path} holds more than one case folder "
                f"({', '.join(r or '/' for r in roots)}); an evkit package "
                "holds exactly one."
            )
        if roots:
            self.prefix = roots[0]
        else:
            tops = {i.filename.split("/", 1)[0] for i in safe if "/" in i.filename}
            if len(tops) != 1:
                # Not a package evkit made (another zip, the wrong file): nothing was checked,
                # so nothing can be said to have changed (exit 3, not 1).
                raise UnreadableInputError(
                    f"{self.path} is not an evkit handover package: it holds "
                    "no case folder (no bagit.txt), so there is nothing evkit can check."
                )
            self.prefix = tops.pop() + "/"
        files = {
            i.filename[len(self.prefix) :]
            for i in safe
            if i.filename.startswith(self.prefix) and not i.is_dir()
        }
        for info in safe:
            name = info.filename
            if not name.startswith(self.prefix):
                self.problems.append(
                    Finding(
                        "zip.outside",
                        f"The package holds {name!r} outside its case folder "
                        f"{self.prefix or '/'}; evkit never puts anything there.",
                        name,
                    )
                )
                continue
            rel = name[len(self.prefix) :]
            if not rel:
                continue
            parents = rel.rstrip("/").split("/")[:-1]
            if any("/".join(parents[: n + 1]) in files for n in range(len(parents))):
                self.problems.append(
                    Finding(
                        "zip.conflict",
                        f"The entry {name!r} is inside a path that is also a file in the package.",
                        name,
                    )
                )
                continue
            if info.is_dir():
                self._dirs.append(rel.rstrip("/"))
            else:
                self._entries[rel] = info

    @property
    def folder(self) -> str:
        """The case folder inside the zip (empty if the bag is at the zip's root)."""
        return self.prefix.rstrip("/")

    def entry_name(self, rel: str) -> str:
        return self.prefix + rel

    def file_count(self) -> int:
        return len(self._entries)

    def payload_bytes(self) -> int:
        return sum(i.file_size for r, i in self._entries.items() if r.startswith("data/"))

    def total_bytes(self) -> int:
        return sum(i.file_size for i in self._entries.values())

    # -- BagSource
    def files(self) -> dict[str, int | None]:
        out: dict[str, int | None] = {
            rel: info.file_size for rel, info in sorted(self._entries.items())
        }
        for rel in out:  # record files are read now, so damage is reported before check (1)
            if not rel.startswith("data/"):
                self.read(rel)
        self.problems.extend(self.late)
        self.late.clear()
        return out

    def size(self, rel: str) -> int | None:
        info = self._entries.get(rel)
        return info.file_size if info is not None else None

    def read(self, rel: str) -> bytes | None:
        if rel in self._cache:
            return self._cache[rel]
        info = self._entries.get(rel)
        if info is None:
            return None
        parts: list[bytes] = []
        try:
            parts.extend(self._stream(rel, info))
        except _DamagedError:
            data = None
        else:
            data = b"".join(parts)
        if data is None or self._cached + len(data) <= _CACHE_BUDGET:
            self._cache[rel] = data
            self._cached += len(data or b"")
        return data

    def hash(
        self, rels: Sequence[str], sizes: Sequence[int], progress: Callable[[int], None] | None
    ) -> Iterable[HashOutcome]:
        for rel in rels:
            info = self._entries.get(rel)
            if info is None:
                yield HashOutcome(rel, None, None, "it is not in the package")
                continue
            h = hashlib.sha256()
            n = 0
            try:
                for chunk in self._stream(rel, info):
                    h.update(chunk)
                    n += len(chunk)
                    if progress:
                        progress(len(chunk))
            except _DamagedError as exc:
                yield HashOutcome(rel, None, None, str(exc))
                continue
            yield HashOutcome(rel, h.hexdigest(), n, None)

    def _stream(self, rel: str, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """An entry's bytes in chunks; damage is a finding (and _DamagedError if unreadable)."""
        name = self.entry_name(rel)
        crc = 0
        try:
            with self._zf.open(info) as f:
                # We check the CRC ourselves at the end, so that an entry whose bytes were
                # changed is still hashed (and reported as changed, naming it).
                setattr(f, "_expected_crc", None)
                while chunk := f.read(CHUNK):
                    crc = zlib.crc32(chunk, crc)
                    yield chunk
        except OSError as exc:
            self._note(
                rel,
                Finding(
                    "zip.unreadable",
                    f"The zip entry {name} could not be read: {exc.strerror or exc}.",
                    rel,
                    integrity=False,
                ),
            )
            raise _DamagedError(f"the zip entry could not be read ({exc.strerror or exc})") from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
            self._note(
                rel,
                Finding(
                    "zip.damaged",
                    f"The zip entry {name} is damaged or was "
                    f"altered, so it cannot be read back ({exc}).",
                    rel,
                ),
            )
            raise _DamagedError(f"the zip entry is damaged ({exc})") from exc
        if crc != info.CRC:
            self._note(
                rel,
                Finding(
                    "zip.crc",
                    f"The zip entry {name} does not match the "
                    "checksum stored in the zip: its bytes were changed.",
                    rel,
                ),
            )

    def _note(self, rel: str, finding: Finding) -> None:
        self.damaged.add(rel)
        if rel not in self._noted:  # an entry read twice is reported once
            self._noted.add(rel)
            self.late.append(finding)

    # -- unpacking
    def extract_to(self, dest: Path, progress: Progress | None = None) -> int:
        """Write the case folder's files into the (new, empty) folder ``dest``; returns count.

        Every path was checked in :meth:`_analyze`; files are created exclusively, never
        through a link, with fixed permissions.
        """
        root = dest.resolve()
        for rel in sorted(self._dirs):
            (root / rel).mkdir(parents=True, exist_ok=True)
        flags = (
            os.O_WRONLY
            | os.O_CREAT
            | os.O_EXCL
            | getattr(os, "O_NOFOLLOW", 0)
            | getattr(os, "O_BINARY", 0)
        )
        count = 0
        for rel, info in sorted(self._entries.items()):
            target = root / rel
            if root not in target.parents:
                raise IntegrityError(
                    f"The entry {self.entry_name(rel)} would be written "
                    "outside the folder; nothing more was unpacked."
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.parent.resolve() != target.parent:
                raise IntegrityError(
                    f"The entry {self.entry_name(rel)} would be written "
                    "through a link; nothing more was unpacked."
                )
            fd = os.open(target, flags, 0o644)
            try:
                try:
                    for chunk in self._stream(rel, info):
                        view = memoryview(chunk)
                        while view:
                            view = view[os.write(fd, view) :]
                        if progress:
                            progress(len(chunk))
                except _DamagedError:
                    pass
            finally:
                os.close(fd)
            if rel in self.damaged:
                problem = next(f for f in self.late if f.path == rel)
                err = IntegrityError if problem.integrity else UnreadableInputError
                raise err(f"{problem.message} Nothing was kept.")
            count += 1
        return count

    # -- closing
    def close(self) -> None:
        self._zf.close()

    def __enter__(self) -> ZipSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _DamagedError(Exception):
    """An entry that cannot be read back (its finding is already recorded)."""


def open_zip(path: Path, *, max_total: int = MAX_TOTAL_BYTES) -> ZipSource:
    """Open a handover zip for verification (raises UnreadableInputError if it is not one)."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a zip.")
    return ZipSource(path, max_total=max_total)


def verify_zip(
    source: ZipSource, *, expected_key: str | None = None, progress: Progress | None = None
) -> VerificationReport:
    """Run every check of ``evkit verify`` on a zip, without unpacking it."""
    rep = verify_source(
        source, expected_key=expected_key, progress=progress, extra_checks=standard_checks()
    )
    findings = [
        f for f in rep.findings if not (f.code == "payload.unreadable" and f.path in source.damaged)
    ]
    findings.extend(source.late)
    structural = [f for f in findings if f.code.startswith("zip.")]
    where = f"folder {source.folder}/" if source.folder else "no top folder"
    check = Check(
        "Zip package",
        not structural,
        f"{source.file_count()} files in one case folder ({where})"
        if not structural
        else f"{len(structural)} problem(s)",
    )
    return dataclasses.replace(
        rep,
        target=f"{source.label} ({where})",
        checks=(check, *rep.checks),
        findings=tuple(findings),
    )


def import_zip(
    zip_path: Path, dest: Path, *, expected_key: str | None = None, progress: Progress | None = None
) -> tuple[int, VerificationReport]:
    """Unpack a handover zip safely into the new or empty folder ``dest``, then verify it.

    Refuses (writing nothing) if any entry is unsafe. If unpacking fails, what was written is
    removed again. Returns the number of files and the folder's verification report.
    """
    dest = dest.expanduser()
    if dest.exists() or dest.is_symlink():
        if dest.is_symlink() or not dest.is_dir():
            raise UsageError(f"{dest} exists and is not a folder.")
        if any(dest.iterdir()):
            raise UsageError(
                f"{dest} is not empty; evkit unpacks only into a new or empty folder.",
                hint="Give a new folder name.",
            )
    elif not dest.parent.is_dir():
        raise UsageError(f"The folder {dest.parent} does not exist.")
    from evidence_kit.verify.reportcheck import report_findings

    with open_zip(zip_path) as src:
        files = src.files()  # reads the record files: damage found there is a problem too
        # A report page with active content is never put where someone may open it.
        problems = [*src.problems, *report_findings(list(files), src.read)]
        if problems:
            shown = "; ".join(f.message for f in problems[:3])
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            err = IntegrityError if any(f.integrity for f in problems) else UnreadableInputError
            raise err(
                f"{zip_path} was not unpacked: {shown}{more}",
                hint="Nothing was written. Run 'evkit verify' on the zip for details.",
            )
        need = src.total_bytes()
        probe = dest if dest.exists() else dest.parent
        free = shutil.disk_usage(probe).free
        if need > free:
            raise StorageError(
                f"Unpacking needs {need} bytes but only {free} are free on that disk.",
                hint="Free some space or choose another folder.",
            )
        created = not dest.exists()
        try:
            dest.mkdir(exist_ok=True)
            count = src.extract_to(dest, progress)
        except BaseException as exc:
            if created:
                shutil.rmtree(dest, ignore_errors=True)
            else:
                for child in dest.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        with contextlib.suppress(OSError):
                            child.unlink()
            if isinstance(exc, OSError):
                raise StorageError(
                    f"Could not unpack into {dest}: {exc.strerror or exc}; nothing was kept."
                ) from exc
            raise
    return count, verify_source(
        FolderSource(dest.resolve()), expected_key=expected_key, extra_checks=standard_checks()
    )


# ==== verification of a package's handover record (verify.py check 10) =====================
def verify_check(ctx: VerifyContext) -> tuple[Check, list[Finding]] | None:
    """Check a package's handover record; None for a case folder (nothing to check).

    A package's seal has an ``export`` block and the package holds ``evkit/withheld.json``:
    both must agree with the signed ``transfer`` event, which must be the log's last event,
    and every item must be either in the payload manifest or withheld.
    """
    export = ctx.seal.get("export") if ctx.seal else None
    raw = ctx.source.read(WITHHELD_PATH)
    if export is None and raw is None:
        return None
    findings: list[Finding] = []
    name = "Handover record"
    if not isinstance(export, dict):
        findings.append(
            Finding(
                "export.unsealed",
                "evkit/withheld.json is present, but the "
                "seal is not a handover seal: the list of withheld items was "
                "added after sealing.",
                WITHHELD_PATH,
            )
        )
        return Check(name, False, "1 problem(s)"), findings
    export_id = str(export.get("id") or "")
    if raw is None:
        findings.append(
            Finding(
                "export.withheld-missing",
                "evkit/withheld.json (the list of items withheld from this package) is missing.",
                WITHHELD_PATH,
            )
        )
    withheld_ids: set[str] = set()
    doc: Any = None
    if raw is not None:
        with contextlib.suppress(ValueError):
            doc = loads(raw)
        if isinstance(doc, dict) and doc.get("type") == WITHHELD_TYPE:
            withheld_ids = {str(w.get("id")) for w in doc.get("items") or [] if isinstance(w, dict)}
            if doc.get("export") != export_id:
                findings.append(
                    Finding(
                        "export.mismatch",
                        f"evkit/withheld.json belongs to "
                        f"handover {doc.get('export')}, the seal to "
                        f"{export_id}.",
                        WITHHELD_PATH,
                    )
                )
    t = transfers(ctx.log).get(export_id)
    if t is None:
        findings.append(
            Finding(
                "export.no-transfer",
                f"The custody log has no signed 'transfer' event for handover {export_id}.",
                LOG_PATH,
            )
        )
    else:
        if t.seq != len(ctx.log.events):
            findings.append(
                Finding(
                    "export.not-last",
                    f"The transfer event of {export_id} is "
                    "not the last custody event in the package.",
                    LOG_PATH,
                )
            )
        by_path = {
            str(rec["stored"]): item_id for item_id, rec in ctx.items.items() if "stored" in rec
        }  # entries before evkit 0.2 name the stored path
        in_manifest = {by_path.get(rel) or item_id_of_stored(rel) or rel for rel in ctx.manifest}
        if in_manifest != set(t.included):
            findings.append(
                Finding(
                    "export.mismatch",
                    f"The evidence files in this package "
                    f"are not the ones the signed transfer event of {export_id} "
                    "lists.",
                    PAYLOAD_MANIFEST,
                )
            )
        if raw is not None and withheld_ids != {str(w.get("id")) for w in t.withheld}:
            findings.append(
                Finding(
                    "export.mismatch",
                    f"The withheld items listed in "
                    f"evkit/withheld.json are not the ones the signed transfer "
                    f"event of {export_id} lists.",
                    WITHHELD_PATH,
                )
            )
        unaccounted = sorted(set(ctx.items) - set(t.included) - withheld_ids)
        if unaccounted:
            findings.append(
                Finding(
                    "export.unaccounted",
                    f"Item(s) {', '.join(unaccounted[:5])} "
                    "are neither in this package nor listed as withheld.",
                    PAYLOAD_MANIFEST,
                )
            )
    if findings:
        return Check(name, False, f"{len(findings)} problem(s)"), findings
    detail = f"handover {export_id}"
    if t is not None:
        detail += f" to {t.recipient}: {len(t.included)} included, {len(withheld_ids)} withheld"
        if t.base:
            detail += f", supplementary to {t.base}"
    return Check(name, True, detail), findings
