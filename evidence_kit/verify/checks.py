"""Verification: ordered checks over a case folder (or any bag source) -> a report of everything.

The checks, in this fixed order (numbers match docs/FORMAT.md, "What evkit verify checks"):

  (1) the bag declaration ``bagit.txt``;
  (2) the tag manifest: every listed tag file exists and matches; no unlisted evkit files;
  (3) the payload manifest: well-formed and safe; every listed file present; no extra files;
  (4) every payload file re-hashed (in parallel) against the manifest; Payload-Oxum;
  (5) the collector's public key and the case description;
  (6) the custody log: every line's JSON, sequence, hash chain and signature;
  (7) item records against the log (each record's hash is bound in a signed event) and
      against the payload manifest;
  (8) the seal: signature, every file hash it binds, the log head and the counts;
  (9) an interrupted change that was never recovered;
 (10) checks the caller passes in (trusted timestamps, handover records, report pages
      without active content: :func:`evidence_kit.verify.verify_extras.standard_checks`).

Each of (1)-(8) is a function ``check_xxx(ctx) -> (Check, findings)`` over a shared
:class:`VerifyContext` that the checks fill in as they go; :data:`CHECKS` lists them in order.
The slow work (re-hashing the evidence, and the item records' digests) is a
:class:`HashingPlan`, started before the checks and awaited by the checks that need it.

A problem never stops the later checks: the report names every difference it can see.
"Changed" (exit 1) is kept apart from "could not check" (exit 3).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeAlias, cast

from evidence_kit.ingest.hashing import (
    CHUNK,
    ForkedHashing,
    ForkedLineDigests,
    HashOutcome,
    hash_many,
    sha256_bytes,
    sha256_file,
    start_line_digests,
)
from evidence_kit.models import Check, Finding, VerificationReport, digest, digest_hex
from evidence_kit.store.bag import (
    BAG_INFO,
    BAGIT,
    PAYLOAD_MANIFEST,
    TAG_MANIFEST,
    item_id_of_stored,
    parse_bag_info,
    parse_manifest,
)
from evidence_kit.store.canonical import loads
from evidence_kit.store.layout import (
    CASE_JSON,
    ITEMS_PATH,
    LOG_PATH,
    PUBKEY_PATH,
    SEAL_PATH,
    SEAL_SIG_PATH,
    TXN_DIR,
    is_unrecorded,
)

if TYPE_CHECKING:
    from evidence_kit.store.custody import ParsedLog
    from evidence_kit.store.signing import PublicKey

#: What one check gives: its line in the summary, and its findings in order.
CheckResult: TypeAlias = tuple[Check, list[Finding]]


def _no_log() -> ParsedLog:
    """An empty custody log, until check (6) reads the real one (custody is imported only
    once the evidence is being hashed)."""
    from evidence_kit.store.custody import parse_log

    return parse_log(b"")


@dataclass(slots=True)
class VerifyContext:
    """What verification has learned so far, filled in by the checks in their order (each field
    says which check fills it); the checks of (10) read it once (1)-(8) have run."""

    source: BagSource
    files: dict[str, int | None]  # every file in the bag -> size (None: evidence files)
    hashing: HashingPlan  # check (4)'s work and the item records' digests, started early
    expected_key: str | None = None  # the key ID the user expects (``--key``), for (5)
    manifest: dict[str, str] = field(default_factory=dict)  # (3): payload manifest entries
    key: PublicKey | None = None  # (5)
    case_info: dict[str, Any] = field(default_factory=dict)  # (5)
    log: ParsedLog = field(default_factory=_no_log)  # (6)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # (7): latest item by ID:
    # its signed entry (id, rev, sha256, size, stored, record)
    seal: dict[str, Any] = field(default_factory=dict)  # (8)
    seal_raw: bytes | None = None  # (8)
    record_files: list[str] = field(init=False)  # the files under evkit/, sorted

    def __post_init__(self) -> None:
        self.record_files = sorted(r for r in self.files if r.startswith("evkit/"))

    @property
    def payload_files(self) -> dict[str, int | None]:
        """The files under ``data/``, in listing order."""
        return self.hashing.payload_files


class ExtraCheck(Protocol):
    """A check of (10), passed in by the caller (see :mod:`evidence_kit.verify.verify_extras`)."""

    def applies(self, ctx: VerifyContext) -> bool:
        """Whether there is anything to check here: cheap, so that a plain case never imports
        the code of a check that has nothing to do."""
        ...

    def run(self, ctx: VerifyContext) -> CheckResult | None:
        """The check's line and findings; None if it found nothing to check after all."""
        ...


class BagSource(Protocol):
    """Where a bag is read from: a folder, or (for handover packages) a zip."""

    label: str

    def files(self) -> dict[str, int | None]:
        """Every regular file in the bag, bag-relative POSIX path -> size (None: not known
        until the file is hashed, or asked for with :meth:`size`)."""
        ...

    def size(self, rel: str) -> int | None:
        """One file's size, or None if it is absent."""
        ...

    def read(self, rel: str) -> bytes | None:
        """A (small) file's bytes, or None if it is absent."""
        ...

    def hash(
        self, rels: Sequence[str], sizes: Sequence[int], progress: Callable[[int], None] | None
    ) -> Iterable[HashOutcome]:
        """Stream-hash payload files."""
        ...


#: Below this size a records file is hashed here faster than a process can be forked for it.
PREFETCH_MIN_BYTES = 1 << 20


class FolderSource:
    """A case folder on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)
        self.problems: list[Finding] = []
        self.concurrent_reads = True  # hashing may run while other files are read
        self._cache: dict[str, bytes | None] = {}
        self._digests: dict[str, str | None] = {}
        self._sizes: dict[str, int] = {}  # of the files outside data/, from the listing
        self._line_jobs: dict[str, ForkedLineDigests] = {}
        self._line_digests: dict[str, list[str] | None] = {}

    def files(self) -> dict[str, int | None]:
        """Every regular file; evidence files (``data/``) without a ``stat`` each: their sizes
        come from hashing them (one system call fewer per file on 20,000-file cases)."""
        out: dict[str, int | None] = {}
        found: list[Finding] = []
        pending: list[tuple[str, str]] = [("", str(self.root))]
        while pending:
            rel_dir, abs_dir = pending.pop()
            try:
                entries = list(os.scandir(abs_dir))
            except OSError:
                continue
            payload = rel_dir == "data" or rel_dir.startswith("data/")
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                try:
                    if payload and entry.is_file(follow_symlinks=False):
                        out[rel] = None  # the common case, from the directory entry alone
                    elif entry.is_symlink():
                        found.append(
                            Finding(
                                "bag.symlink",
                                f"{rel} is a symbolic link inside the case folder.",
                                rel,
                            )
                        )
                    elif entry.is_dir(follow_symlinks=False):
                        pending.append((rel, entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        if rel.startswith("data/"):
                            out[rel] = None
                        else:
                            out[rel] = self._sizes[rel] = entry.stat(follow_symlinks=False).st_size
                    else:
                        found.append(
                            Finding(
                                "bag.special",
                                f"{rel} is not a regular file (a "
                                "pipe, socket or device) inside the case folder.",
                                rel,
                            )
                        )
                except OSError:
                    continue
        self.problems.extend(sorted(found, key=lambda f: f.path or ""))
        return out

    def size(self, rel: str) -> int | None:
        try:
            return os.lstat(os.path.join(self.root, rel)).st_size
        except OSError:
            return None

    def _regular(self, rel: str) -> bool:
        """Whether a record file is a regular file (a planted pipe would block a read forever;
        it is reported by :meth:`files`). Symbolic links are followed, as before."""
        try:
            return stat.S_ISREG(os.stat(self.root / rel).st_mode)
        except OSError:
            return False

    def prefetch_line_digests(self, rel: str) -> None:
        """Start working out a listed JSON Lines file's digests (its own, and its lines') in
        another process, for :meth:`digest` and :meth:`line_digests` (call from the main
        thread, before starting threads)."""
        size = self._sizes.get(rel)
        if size is not None and size >= PREFETCH_MIN_BYTES and rel not in self._line_jobs:
            # An evkit record line is hundreds of bytes; a file of many more, shorter lines
            # (damaged, or not evkit's) is left to line_digests.
            job = start_line_digests(str(self.root / rel), size // 64 + 1024)
            if job is not None:
                self._line_jobs[rel] = job

    def _prefetched(self, rel: str) -> list[str] | None:
        job = self._line_jobs.pop(rel, None)
        result = job.result() if job is not None else None
        if result is None:
            return None
        self._digests[rel] = result[0]
        return result[1]

    def digest(self, rel: str) -> str | None:
        """A record file's SHA-256, streamed (items.jsonl can be tens of MB) and kept."""
        if rel in self._line_jobs:
            self._line_digests[rel] = self._prefetched(rel)
        if rel not in self._digests:
            try:
                self._digests[rel] = sha256_file(self.root / rel)[0] if self._regular(rel) else None
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                self._digests[rel] = None
        return self._digests[rel]

    def lines(self, rel: str) -> Iterator[bytes]:
        """A JSON Lines file's lines without their newlines, read in 1 MiB blocks as they are
        used: a 20,000-record file is neither held whole nor read line by line."""
        if not self._regular(rel):
            return
        try:
            f = open(self.root / rel, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return
        with f:
            rest = b""
            while block := f.read(CHUNK):
                lines = (rest + block).split(b"\n")
                rest = lines.pop()
                yield from lines
            if rest:
                yield rest

    def line_digests(self, rel: str) -> list[str]:
        """The hex SHA-256 of each line of a JSON Lines file (without its newline), in order."""
        found = self._line_digests.pop(rel) if rel in self._line_digests else self._prefetched(rel)
        if found is not None:
            return found
        sha = hashlib.sha256
        return [sha(line).hexdigest() for line in self.lines(rel)]

    def read(self, rel: str) -> bytes | None:
        # Tag files are read by several checks (tag manifest, seal, records): read each once.
        if rel not in self._cache:
            try:
                self._cache[rel] = (self.root / rel).read_bytes() if self._regular(rel) else None
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                self._cache[rel] = None
        return self._cache[rel]

    def hash(
        self, rels: Sequence[str], sizes: Sequence[int], progress: Callable[[int], None] | None
    ) -> Iterable[HashOutcome]:
        """Starts the hashing workers now (call from the main thread); outcomes by ``rels``."""
        base = str(self.root) + os.sep
        paths = (
            [base + r for r in rels]
            if os.sep == "/"
            else [base + r.replace("/", os.sep) for r in rels]
        )
        return hash_many(paths, sizes, progress=progress, names=rels)


def _digest(source: BagSource, rel: str) -> str | None:
    """A tag file's SHA-256 (streamed where the source can), or None if it is absent."""
    digest = getattr(source, "digest", None)
    if digest is not None:
        return digest(rel)  # type: ignore[no-any-return]
    data = source.read(rel)
    return None if data is None else sha256_bytes(data)


def _oxum_mean(oxum: str | None) -> int:
    """The mean evidence file size that ``bag-info.txt`` declares (to plan the hashing before
    any file is stat'ed); a small-file guess when it is missing or damaged."""
    try:
        octets, count = (int(x) for x in str(oxum).split("."))
        return octets // count if count > 0 else 0
    except ValueError:
        return 64 << 10


def _lines(data: bytes) -> Iterator[bytes]:
    """The lines of a JSON Lines file without their newlines (a last line without one too),
    one at a time: no second copy of a big file in memory."""
    start, end = 0, len(data)
    while start < end:
        stop = data.find(b"\n", start)
        if stop < 0:
            stop = end
        yield data[start:stop]
        start = stop + 1


class _Hashed(NamedTuple):
    """Check (4)'s results."""

    bytes_all: int  # of every file in data/ (Payload-Oxum's octets)
    bytes_listed: int  # of the files the manifest lists that are present
    problems: list[Finding]  # files changed or unreadable, by path
    complete: bool  # every file in data/ was hashed


def _expected_digests(
    to_hash: Sequence[str], entries: dict[str, str]
) -> tuple[list[str | None], bytes | None]:
    """The digests the manifest records, in hashing order (None: not listed), and the same as
    one run of bytes when every file is listed (for a single comparison)."""
    expected = [entries.get(r) for r in to_hash]
    if None in expected:
        return expected, None
    return expected, bytes.fromhex("".join(cast(list[str], expected)))


def _compare_hashes(
    source: BagSource,
    to_hash: Sequence[str],
    payload_files: dict[str, int | None],
    expected: tuple[list[str | None], bytes | None],
    job: ForkedHashing | None,
    outcomes: list[HashOutcome],
) -> _Hashed:
    """Check (4)'s results: sizes, findings (sorted by path) and whether all were hashed.

    Results from forked workers are compared in bulk (one comparison of the digests the
    manifest records, in hashing order, with the digests found), not file by file.
    """
    wanted, blob = expected
    listed = {r: s for r, s in payload_files.items() if s is not None}  # a zip lists sizes
    if job is not None and not listed:
        statuses = job.statuses
        if len(statuses) == len(to_hash) and (not statuses or min(statuses) > 0):
            bytes_all = sum(statuses) - len(statuses)
            problems: list[Finding] = []
            if blob is None or blob != job.digests:
                for i, (rel, want) in enumerate(zip(to_hash, wanted, strict=True)):
                    found = job.digests[32 * i : 32 * i + 32].hex()
                    if want is not None and found != want:
                        problems.append(_changed(rel, found, want))
            bytes_listed = (
                bytes_all
                if blob is not None
                else sum(
                    status - 1
                    for status, want in zip(statuses, wanted, strict=True)
                    if want is not None
                )
            )
            return _Hashed(
                bytes_all, bytes_listed, sorted(problems, key=lambda f: str(f.path)), True
            )
        outcomes = list(job)  # some file could not be read: file by file
    hashed = {o.path: o for o in outcomes}
    bytes_all = bytes_listed = 0
    problems = []
    for rel, want in zip(to_hash, wanted, strict=True):
        out = hashed.get(rel)
        known = listed.get(rel, out.size if out is not None else None)
        size = known if known is not None else source.size(rel) or 0
        bytes_all += size
        if want is not None:
            bytes_listed += size
        if out is None or want is None or out.sha256 == want:
            continue  # not hashed (told below), intact, or an extra file (named in check 3)
        if out.error is not None:
            problems.append(
                Finding(
                    "payload.unreadable",
                    f"Evidence file {rel} could not be read: {out.error}.",
                    rel,
                    integrity=False,
                )
            )
        else:
            problems.append(_changed(rel, str(out.sha256), want))
    return _Hashed(
        bytes_all,
        bytes_listed,
        sorted(problems, key=lambda f: str(f.path)),
        len(hashed) == len(to_hash),
    )


def _changed(rel: str, found: str, want: str) -> Finding:
    return Finding(
        "payload.changed",
        f"Evidence file {rel} has changed: its SHA-256 is now "
        f"{found}, the manifest records {want}.",
        rel,
    )


class HashingPlan:
    """The slow work of verification, scheduled apart from the checks: every evidence file
    re-hashed (check 4, in listing order, whether or not the manifest lists it) and the item
    records' digests (check 7). :meth:`start` puts it on the other cores before the checks run,
    so it overlaps them; :meth:`result` waits for it. Evidence files are not stat'ed one by
    one: hashing tells their sizes."""

    def __init__(
        self,
        source: BagSource,
        files: dict[str, int | None],
        progress: Callable[[int], None] | None,
    ) -> None:
        self.source = source
        self.payload_files = {r: s for r, s in files.items() if r.startswith("data/")}
        # In listing order: findings are sorted where they are made.
        self.to_hash = list(self.payload_files)
        self.info_raw = source.read(BAG_INFO)
        self.oxum: str | None = (
            parse_bag_info(self.info_raw).get("Payload-Oxum", [None])[0] if self.info_raw else None
        )
        self._progress = progress
        self._outcomes: list[HashOutcome] = []
        self._job: ForkedHashing | None = None
        self._waiter: threading.Thread | None = None
        self._result: _Hashed | None = None

    def _hash(self) -> Iterable[HashOutcome]:
        mean = _oxum_mean(self.oxum)
        sizes = [
            self.payload_files[r] if self.payload_files[r] is not None else mean
            for r in self.to_hash
        ]
        return self.source.hash(self.to_hash, [s or 0 for s in sizes], self._progress)

    def start(self) -> None:
        """Start the workers (call from the main thread) if the source can read two files at
        once; a source that cannot (a zip) is hashed on this thread when :meth:`result` is
        first asked for."""
        if not (getattr(self.source, "concurrent_reads", False) and len(self.to_hash) > 1):
            return
        # Workers are started here, on this thread; another thread waits for them (and passes
        # on their progress) or collects their outcomes.
        started = self._hash()
        prefetch = getattr(self.source, "prefetch_line_digests", None)
        if prefetch is not None:
            prefetch(ITEMS_PATH)  # the item records' digests (check 7) on another core too
        if isinstance(started, ForkedHashing):
            self._job = started
            self._waiter = threading.Thread(
                target=started.wait, name="evkit-verify-hash", daemon=True
            )
        else:
            self._waiter = threading.Thread(
                target=self._outcomes.extend, args=(started,), name="evkit-verify-hash", daemon=True
            )
        self._waiter.start()

    def result(self, manifest: dict[str, str]) -> _Hashed:
        """Check (4)'s results against the payload manifest's entries, once hashing has
        finished (waits for it); worked out once."""
        if self._result is None:
            expected = _expected_digests(self.to_hash, manifest)  # before waiting: no hash needed
            if self._waiter is not None:
                self._waiter.join()
            else:
                self._outcomes.extend(self._hash())
            self._result = _compare_hashes(
                self.source, self.to_hash, self.payload_files, expected, self._job, self._outcomes
            )
        return self._result


def _result(name: str, found: list[Finding], ok_detail: str) -> CheckResult:
    """A check's summary line: ``ok_detail`` if it found nothing, else how many problems."""
    return Check(name, not found, ok_detail if not found else f"{len(found)} problem(s)"), found


def check_bag_declaration(ctx: VerifyContext) -> CheckResult:
    """(1) ``bagit.txt`` declares BagIt 1.0."""
    found: list[Finding] = []
    bagit = ctx.source.read(BAGIT)
    if bagit is None:
        found.append(
            Finding(
                "bag.declaration", "bagit.txt is missing: this is not a complete BagIt bag.", BAGIT
            )
        )
    elif not bagit.startswith(b"BagIt-Version: 1.0"):
        found.append(
            Finding(
                "bag.declaration",
                "bagit.txt was changed (it should declare BagIt-Version 1.0).",
                BAGIT,
            )
        )
    return _result("BagIt declaration", found, "BagIt 1.0")


def check_tag_manifest(ctx: VerifyContext) -> CheckResult:
    """(2) Every file the tag manifest lists is present and matches; no unlisted record file."""
    found: list[Finding] = []
    tag_raw = ctx.source.read(TAG_MANIFEST)
    tag_entries: dict[str, str] = {}
    if tag_raw is None:
        found.append(
            Finding(
                "tagmanifest.missing",
                "The tag manifest tagmanifest-sha256.txt is missing.",
                TAG_MANIFEST,
            )
        )
    else:
        parsed = parse_manifest(tag_raw)
        tag_entries = parsed.entries
        found.extend(
            Finding("tagmanifest.malformed", f"The tag manifest {p}.", TAG_MANIFEST)
            for p in parsed.problems
        )
        for rel, expected in sorted(tag_entries.items()):
            actual = _digest(ctx.source, rel)
            if actual is None:
                found.append(
                    Finding(
                        "tag.missing", f"{rel} is missing (it is listed in the tag manifest).", rel
                    )
                )
            elif actual != expected:
                found.append(
                    Finding(
                        "tag.changed",
                        f"{rel} was changed after the case "
                        "was sealed (its SHA-256 differs from the tag "
                        "manifest).",
                        rel,
                    )
                )
        found.extend(
            Finding(
                "tag.unexpected",
                f"{rel} was added to the case's records folder; evkit did not write it.",
                rel,
            )
            for rel in ctx.record_files
            if rel not in tag_entries and not is_unrecorded(rel)
        )
    return _result("Tag manifest", found, f"{len(tag_entries)} record files match")


def check_payload_manifest(ctx: VerifyContext) -> CheckResult:
    """(3) The payload manifest is well-formed and safe; listed files vs present files.
    Fills ``ctx.manifest``."""
    found: list[Finding] = []
    man_raw = ctx.source.read(PAYLOAD_MANIFEST)
    entries: dict[str, str] = {}
    if man_raw is None:
        found.append(
            Finding(
                "manifest.missing",
                "The payload manifest manifest-sha256.txt is missing.",
                PAYLOAD_MANIFEST,
            )
        )
    else:
        parsed = parse_manifest(man_raw)
        found.extend(
            Finding("manifest.malformed", f"The payload manifest {p}.", PAYLOAD_MANIFEST)
            for p in parsed.problems
        )
        outside = [rel for rel in parsed.entries if not rel.startswith("data/")]
        found.extend(
            Finding(
                "manifest.malformed",
                f"The payload manifest lists {rel!r}, which is outside data/.",
                PAYLOAD_MANIFEST,
            )
            for rel in outside
        )
        entries = parsed.entries
        for rel in outside:
            del entries[rel]
    ctx.manifest = entries
    payload_files = ctx.payload_files
    missing = sorted(entries.keys() - payload_files.keys())
    extra = sorted(payload_files.keys() - entries.keys())
    found.extend(
        Finding("payload.missing", f"Evidence file {r} is missing (it was deleted or renamed).", r)
        for r in missing
    )
    found.extend(
        Finding(
            "payload.extra",
            f"{r} was added to the evidence folder after sealing; evkit did not record it.",
            r,
        )
        for r in extra
    )
    return _result(
        "Evidence files present", found, f"{len(entries)} listed, all present, none extra"
    )


def check_payload_hashes(ctx: VerifyContext) -> CheckResult:
    """(4) Every evidence file's hash against the manifest (the work of ``ctx.hashing``, which
    ran since before check 1); Payload-Oxum."""
    present = ctx.manifest.keys() & ctx.payload_files.keys()
    bytes_all, bytes_listed, problems, complete = ctx.hashing.result(ctx.manifest)
    found = list(problems)
    if not complete:
        found.append(
            Finding(
                "payload.unreadable",
                "Not every evidence file could be hashed.",
                None,
                integrity=False,
            )
        )
    oxum = ctx.hashing.oxum
    if ctx.hashing.info_raw is None:
        found.append(Finding("bag.info-missing", "bag-info.txt is missing.", BAG_INFO))
    elif oxum is not None and oxum != (actual := f"{bytes_all}.{len(ctx.hashing.to_hash)}"):
        found.append(
            Finding(
                "bag.oxum",
                f"bag-info.txt's Payload-Oxum is {oxum}, but the "
                f"evidence folder holds {actual} (bytes.files).",
                BAG_INFO,
            )
        )
    return _result(
        "Evidence hashes", found, f"{len(present)} files, {bytes_listed} bytes re-hashed"
    )


def check_key(ctx: VerifyContext) -> CheckResult:
    """(5) The collector's public key and the case description. Fills ``ctx.key`` and
    ``ctx.case_info``."""
    # Imported only now, while the evidence is being hashed.
    from evidence_kit.store.signing import PublicKey

    found: list[Finding] = []
    key: PublicKey | None = None
    case_info: dict[str, Any] = {}
    pem = ctx.source.read(PUBKEY_PATH)
    try:
        key = PublicKey.from_pem(pem) if pem is not None else None
    except ValueError:
        key = None
    if key is None:
        found.append(
            Finding(
                "key.unreadable",
                "The collector's public key "
                f"{PUBKEY_PATH} is missing or damaged, so no signature can be "
                "checked.",
                PUBKEY_PATH,
            )
        )
    raw_info = ctx.source.read(CASE_JSON)
    try:
        parsed_info = loads(raw_info) if raw_info is not None else None
        case_info = parsed_info if isinstance(parsed_info, dict) else {}
    except ValueError:
        case_info = {}
    if not case_info:
        found.append(
            Finding(
                "case.unreadable",
                "The case description evkit/case.json is missing or damaged.",
                CASE_JSON,
            )
        )
    key_id = key.key_id if key else None
    if key and case_info and case_info.get("key_id") != key.key_id:
        found.append(
            Finding(
                "key.mismatch",
                "The public key in the case is not the key the "
                "case was created with: it was replaced.",
                PUBKEY_PATH,
            )
        )
    expected_key = ctx.expected_key
    if expected_key and key_id:
        want = digest_hex(expected_key.replace(" ", "").lower())
        if not digest_hex(key_id).startswith(want) or len(want) < 16:
            found.append(
                Finding(
                    "key.unexpected",
                    "The case was signed with key "
                    f"{key_id}, not the key you expected ({expected_key}).",
                    PUBKEY_PATH,
                )
            )
    ctx.key, ctx.case_info = key, case_info
    return _result("Collector key", found, f"{key_id}")


def check_custody_log(ctx: VerifyContext) -> CheckResult:
    """(6) The custody log: every line's JSON, sequence, hash chain and signature. Fills
    ``ctx.log``."""
    from evidence_kit.store.custody import check_log, parse_log

    found: list[Finding] = []
    log_raw = ctx.source.read(LOG_PATH)
    ctx.log = log = parse_log(log_raw or b"")
    if log_raw is None:
        found.append(
            Finding("log.missing", "The custody log evkit/custody.jsonl is missing.", LOG_PATH)
        )
    elif ctx.key is not None:
        found.extend(check_log(log, ctx.key.verifier(), ctx.key.key_id))
    return _result("Custody log", found, f"{len(log.events)} events, chain and signatures intact")


def check_item_records(ctx: VerifyContext) -> CheckResult:
    """(7) Item records vs the log and the payload manifest. Fills ``ctx.items``.

    Each record line's hash must be bound by a signed event, whose entry carries the record's
    id, rev, sha256 and size: those are what the checks use, so the 20,000 records of a big
    case are hashed, not parsed.
    """
    source, entries = ctx.source, ctx.manifest
    found: list[Finding] = []
    bound: dict[str, dict[str, Any]] = {}
    dup_bound: dict[str, dict[str, Any]] = {}  # records of files not stored twice
    for event in ctx.log.events:
        data = event.get("data")
        if not isinstance(data, dict):
            continue
        for list_name, into in (("items", bound), ("duplicates", dup_bound)):
            listed = data.get(list_name)
            for entry in listed if isinstance(listed, list) else []:
                if isinstance(entry, dict) and "record" in entry:
                    into[str(entry["record"])] = entry
    digests_of = getattr(source, "line_digests", None)
    digests: list[str] = (
        digests_of(ITEMS_PATH)
        if digests_of
        else [sha256_bytes(line) for line in _lines(source.read(ITEMS_PATH) or b"")]
    )
    hashes = [digest(h) for h in digests]
    record_hashes = set(hashes)
    unbound = [n for n, h in enumerate(hashes, start=1) if h not in bound and h not in dup_bound]
    if unbound:  # edited or added records: tell "damaged" from "edited" (rare: read again)
        lines_of = getattr(source, "lines", None)
        item_lines = lines_of(ITEMS_PATH) if lines_of else _lines(source.read(ITEMS_PATH) or b"")
        wanted = set(unbound)
        for n, line in enumerate(item_lines, start=1):
            if n not in wanted:
                continue
            try:
                json.loads(line)
            except ValueError:
                found.append(
                    Finding("items.malformed", f"Item record line {n} is damaged.", ITEMS_PATH)
                )
    found.extend(
        Finding(
            "items.unbound",
            "An item record is not bound by any custody event: it was "
            "added or edited after the fact.",
            ITEMS_PATH,
        )
        for _ in unbound
    )
    # A handover package (evkit export) leaves some items out of its payload manifest and lists
    # them, with their hashes, in evkit/withheld.json (bound by the package's seal, check 8).
    # It also leaves out the records of items withheld as sensitive (their names, paths and
    # metadata): the signed entry still gives each one's ID, revision, SHA-256 and size.
    withheld_path = "evkit/withheld.json"
    withheld: dict[str, dict[str, Any]] = {}
    withheld_damaged = False
    withheld_raw = source.read(withheld_path)
    if withheld_raw is not None:
        try:
            withheld_doc = loads(withheld_raw)
            for entry in withheld_doc["items"]:
                withheld[str(entry["id"])] = dict(entry)
        except (ValueError, KeyError, TypeError):
            withheld_damaged = True
    latest: dict[str, dict[str, Any]] = {}
    for h, entry in bound.items():  # in log order: a later revision replaces an earlier one
        item_id = str(entry.get("id"))
        if h in record_hashes or item_id in withheld:
            latest[item_id] = entry
        else:
            found.append(
                Finding(
                    "items.missing",
                    f"The record of item {entry.get('id')} "
                    "(rev {}) that the custody log refers to is missing or was "
                    "edited.".format(entry.get("rev")),
                    ITEMS_PATH,
                )
            )
    found.extend(
        Finding(
            "items.missing",
            f"The record of a copy of item {entry.get('same_as')} (a file "
            "with the same content, not stored twice) that the custody log refers to is "
            "missing or was edited.",
            ITEMS_PATH,
        )
        for h, entry in dup_bound.items()
        if h not in record_hashes and str(entry.get("same_as")) not in withheld
    )
    if withheld_damaged:
        found.append(
            Finding(
                "withheld.malformed",
                "evkit/withheld.json (the list of items withheld from this package) is damaged.",
                withheld_path,
            )
        )
    # Entries written before evkit 0.2 name the stored path; later ones do not (it may say what
    # a sensitive file shows), and the manifest's path for an item is the one with its ID.
    by_id = {item_id_of_stored(rel): rel for rel in entries}

    def stored_of(item_id: str, rec: dict[str, Any]) -> str:
        return str(rec["stored"]) if "stored" in rec else by_id.get(item_id, f"data/{item_id}")

    per_item: list[tuple[str, Finding]] = []  # sorted by item once made: they are rare
    for item_id, rec in latest.items():
        sha = rec.get("sha256")
        if item_id in withheld:
            stored = stored_of(item_id, rec)
            if withheld[item_id].get("sha256") != sha:
                per_item.append(
                    (
                        item_id,
                        Finding(
                            "withheld.changed",
                            f"Item {item_id} is listed as withheld with SHA-256 "
                            f"{withheld[item_id].get('sha256')}, but its signed record says {sha}.",
                            withheld_path,
                        ),
                    )
                )
            if str(stored) in entries:
                per_item.append(
                    (
                        item_id,
                        Finding(
                            "withheld.included",
                            f"Item {item_id} is "
                            "listed as withheld but is also in the "
                            "payload manifest.",
                            str(stored),
                        ),
                    )
                )
            continue
        stored = stored_of(item_id, rec)
        if entries and entries.get(stored) != sha:
            per_item.append(
                (
                    item_id,
                    Finding(
                        "items.manifest",
                        f"Item {item_id} ({stored}) is "
                        "not listed in the payload manifest with its "
                        "recorded hash.",
                        str(stored),
                    ),
                )
            )
    per_item.sort(key=lambda pair: pair[0])  # stable: an item's findings keep their order
    found.extend(f for _, f in per_item)
    found.extend(
        Finding(
            "withheld.unknown",
            f"evkit/withheld.json lists item {item_id}, which no item record describes.",
            withheld_path,
        )
        for item_id in sorted(set(withheld) - set(latest))
    )
    recorded = {stored_of(item_id, r) for item_id, r in latest.items()}
    found.extend(
        Finding(
            "manifest.unrecorded",
            f"{rel} is in the payload manifest but no item record describes it.",
            rel,
        )
        for rel in sorted(set(entries) - recorded)
    )
    ctx.items = latest
    return _result("Item records", found, f"{len(latest)} items bound to signed events")


def check_seal(ctx: VerifyContext) -> CheckResult:
    """(8) The seal: signature, every file hash it binds, the log head and the counts (the
    latter wait for ``ctx.hashing``). Fills ``ctx.seal`` and ``ctx.seal_raw``."""
    source, key, log = ctx.source, ctx.key, ctx.log
    found: list[Finding] = []
    seal_raw = source.read(SEAL_PATH)
    sig_raw = source.read(SEAL_SIG_PATH)
    seal: dict[str, Any] = {}
    if seal_raw is None or sig_raw is None:
        found.append(
            Finding(
                "seal.missing", "The seal (evkit/seal.json and seal.sig) is missing.", SEAL_PATH
            )
        )
    else:
        try:
            parsed_seal = loads(seal_raw)
            seal = parsed_seal if isinstance(parsed_seal, dict) else {}
        except ValueError:
            seal = {}
        if key is not None and not key.verify(sig_raw, seal_raw):
            found.append(
                Finding(
                    "seal.signature",
                    "The seal's signature does not match: "
                    "evkit/seal.json was edited or re-signed with another key.",
                    SEAL_PATH,
                )
            )
        if not seal:
            found.append(Finding("seal.malformed", "evkit/seal.json is damaged.", SEAL_PATH))
        for rel, expected in sorted((seal.get("files") or {}).items()):
            actual = _digest(source, str(rel))
            if actual is None:
                found.append(
                    Finding("seal.file-missing", f"{rel}, bound by the seal, is missing.", rel)
                )
            elif actual != expected:
                found.append(
                    Finding(
                        "seal.file-changed",
                        f"{rel} differs from the version the seal was signed over.",
                        rel,
                    )
                )
        custody = seal.get("custody") or {}
        if seal and (
            custody.get("events") != log.head.events or custody.get("head") != log.head.head
        ):
            sealed_n = custody.get("events")
            if isinstance(sealed_n, int) and sealed_n > log.head.events:
                msg = (
                    f"The custody log has {log.head.events} events but the seal records "
                    f"{sealed_n}: the last event(s) were removed."
                )
            elif isinstance(sealed_n, int) and sealed_n < log.head.events:
                msg = (
                    f"The custody log has {log.head.events} events but the seal records "
                    f"{sealed_n}: events were appended without sealing."
                )
            else:
                msg = "The custody log's last event is not the one the seal records."
            found.append(Finding("seal.log-head", msg, LOG_PATH))
        payload = seal.get("payload") or {}
        hashed_payload = ctx.hashing.result(ctx.manifest)
        if seal and (
            payload.get("items") != len(ctx.manifest)
            or payload.get("bytes") != hashed_payload.bytes_listed
        ):
            found.append(
                Finding(
                    "seal.counts",
                    "The number or size of evidence files differs from what the seal records.",
                    PAYLOAD_MANIFEST,
                )
            )
        if seal and ctx.case_info and seal.get("case_id") != ctx.case_info.get("case_id"):
            found.append(Finding("seal.case", "The seal belongs to a different case.", SEAL_PATH))
    ctx.seal, ctx.seal_raw = seal, seal_raw
    return _result("Seal", found, "signature valid, binds every record file and the log head")


def interrupted_work(ctx: VerifyContext, findings: list[Finding]) -> list[Finding]:
    """(9) An interrupted change never recovered: it replaces every other finding.

    Half-done work explains differences that are not changes: report none of them, so the
    result is "could not check" (exit 3), never "changed". Finishing the work (any evkit
    command with the collector's key) makes the case checkable again.
    """
    if not any(r.startswith(TXN_DIR + "/") for r in ctx.record_files):
        return findings
    seen = len(findings)
    return [
        Finding(
            "case.interrupted",
            "A change to this case was interrupted and has not been "
            "finished, so the case cannot be checked yet"
            + (f" ({seen} difference(s) seen may be only that unfinished work)" if seen else "")
            + "; run any evkit command in the case with the collector's key to finish it, then "
            "'evkit verify' again.",
            TXN_DIR,
            integrity=False,
        )
    ]


@dataclass(frozen=True, slots=True)
class CoreCheck:
    """One of the numbered checks (1)-(8) of every bag."""

    number: int  # as docs/FORMAT.md numbers it
    run: Callable[[VerifyContext], CheckResult]
    #: Run after the checks without it (still reported in its place): it waits on the slow
    #: work of ``ctx.hashing``, which the others overlap.
    late: bool = False


#: The checks of every bag, in the order they are reported. (2) runs late because it digests
#: ``items.jsonl``, which is worked out on another core meanwhile; (4) because it waits for the
#: evidence to be hashed.
CHECKS: tuple[CoreCheck, ...] = (
    CoreCheck(1, check_bag_declaration),
    CoreCheck(2, check_tag_manifest, late=True),
    CoreCheck(3, check_payload_manifest),
    CoreCheck(4, check_payload_hashes, late=True),
    CoreCheck(5, check_key),
    CoreCheck(6, check_custody_log),
    CoreCheck(7, check_item_records),
    CoreCheck(8, check_seal),
)


def verify_source(
    source: BagSource,
    *,
    expected_key: str | None = None,
    progress: Callable[[int], None] | None = None,
    extra_checks: Sequence[ExtraCheck] | None = None,
) -> VerificationReport:
    """Run every check; never raises for a damaged bag (only for bugs).

    ``extra_checks`` are the checks of (10), in order; None (for tests and library use) means
    :func:`evidence_kit.verify.verify_extras.standard_checks`, which the commands pass explicitly.
    """
    if extra_checks is None:
        from evidence_kit.verify.verify_extras import standard_checks

        extra_checks = standard_checks()
    # A big case makes tens of thousands of objects (the parsed log, the manifests) and no
    # reference cycles: the cyclic collector would only scan them again and again (~10 ms on
    # 20,000 files). Reference counting still frees everything.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _verify_source(
            source, expected_key=expected_key, progress=progress, extra_checks=extra_checks
        )
    finally:
        if collecting:
            gc.enable()


def _verify_source(
    source: BagSource,
    *,
    expected_key: str | None,
    progress: Callable[[int], None] | None,
    extra_checks: Sequence[ExtraCheck],
) -> VerificationReport:
    files = source.files()
    findings: list[Finding] = list(getattr(source, "problems", []))  # found while listing
    hashing = HashingPlan(source, files, progress)
    hashing.start()
    ctx = VerifyContext(source, files, hashing, expected_key=expected_key)

    # (1)-(8), each in its place in the report whenever it runs.
    results: list[CheckResult | None] = [None] * len(CHECKS)
    for i in sorted(range(len(CHECKS)), key=lambda i: CHECKS[i].late):  # stable
        results[i] = CHECKS[i].run(ctx)
    checks = [cast(CheckResult, r)[0] for r in results]
    for result in results:
        findings.extend(cast(CheckResult, result)[1])

    # (10) the caller's checks (before (9), which may replace every finding).
    for extra in extra_checks:
        if not extra.applies(ctx):
            continue
        contributed = extra.run(ctx)
        if contributed is not None:
            checks.append(contributed[0])
            findings.extend(contributed[1])

    # (9) interrupted work
    findings = interrupted_work(ctx, findings)

    case_info, seal, seal_raw = ctx.case_info, ctx.seal, ctx.seal_raw
    return VerificationReport(
        target=source.label,
        case_id=str(case_info.get("case_id")) if case_info else None,
        title=str(case_info.get("title")) if case_info.get("title") else None,
        key_id=ctx.key.key_id if ctx.key else None,
        items=len(ctx.manifest),
        events=len(ctx.log.events),
        payload_bytes=hashing.result(ctx.manifest).bytes_all,
        sealed_at=str(seal.get("sealed_at")) if seal.get("sealed_at") else None,
        seal_sha256=sha256_bytes(seal_raw) if seal_raw else None,
        checks=tuple(checks),
        findings=tuple(findings),
        notes=(),
    )
