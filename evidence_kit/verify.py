"""Verification: ordered checks over a case folder (or any bag source) -> a report of everything.

The checks, in this fixed order (numbers match the comments below and docs/FORMAT.md):

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
 (10) checks contributed by other modules (trusted timestamps, handover records, report
      pages without active content), each a
      ``verify_check(ctx: VerifyContext)`` function listed in ``EXTRA_CHECKS``.

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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from evidence_kit.bag import (
    BAG_INFO,
    BAGIT,
    PAYLOAD_MANIFEST,
    TAG_MANIFEST,
    item_id_of_stored,
    parse_bag_info,
    parse_manifest,
)
from evidence_kit.canonical import loads
from evidence_kit.hashing import (
    CHUNK,
    ForkedHashing,
    ForkedLineDigests,
    HashOutcome,
    hash_many,
    sha256_bytes,
    sha256_file,
    start_line_digests,
)
from evidence_kit.layout import (
    CASE_JSON,
    ITEMS_PATH,
    LOG_PATH,
    PUBKEY_PATH,
    SEAL_PATH,
    SEAL_SIG_PATH,
    TXN_DIR,
    is_unrecorded,
)
from evidence_kit.models import Check, Finding, VerificationReport, digest, digest_hex

if TYPE_CHECKING:
    from evidence_kit.custody import ParsedLog
    from evidence_kit.signing import PublicKey


@dataclass
class VerifyContext:
    """What the core checks learned, handed to the extra checks of (10)."""

    source: BagSource
    files: dict[str, int | None]  # every file in the bag -> size (None: evidence files)
    manifest: dict[str, str]  # payload manifest entries
    log: ParsedLog
    key: PublicKey | None
    case_info: dict[str, Any]
    items: dict[str, dict[str, Any]]  # latest item by ID: its signed entry (id, rev, sha256,
    # size, stored, record)
    seal: dict[str, Any]


def _has_timestamp_events(ctx: VerifyContext) -> bool:
    return any(str(e.get("action", "")).startswith("timestamp") for e in ctx.log.events)


def _is_handover_package(ctx: VerifyContext) -> bool:
    return bool(ctx.seal.get("export")) or "evkit/withheld.json" in ctx.files


def _has_report_pages(ctx: VerifyContext) -> bool:
    return any(r.startswith("evkit/report/") and r.lower().endswith(
        (".html", ".htm", ".xhtml", ".xht", ".svg")) for r in ctx.files)


#: Modules that contribute a ``verify_check(ctx)``, each with a cheap test of whether it has
#: anything to check here (so a plain case never imports them); skipped if not installed.
EXTRA_CHECKS: tuple[tuple[str, Callable[[VerifyContext], bool]], ...] = (
    ("evidence_kit.timestamp", _has_timestamp_events),
    ("evidence_kit.export", _is_handover_package),
    ("evidence_kit.reportcheck", _has_report_pages),
)


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

    def hash(self, rels: Sequence[str], sizes: Sequence[int],
             progress: Callable[[int], None] | None) -> Iterable[HashOutcome]:
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
                        found.append(Finding("bag.symlink", f"{rel} is a symbolic link inside "
                                             "the case folder.", rel))
                    elif entry.is_dir(follow_symlinks=False):
                        pending.append((rel, entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        if rel.startswith("data/"):
                            out[rel] = None
                        else:
                            out[rel] = self._sizes[rel] = entry.stat(
                                follow_symlinks=False).st_size
                    else:
                        found.append(Finding("bag.special", f"{rel} is not a regular file (a "
                                             "pipe, socket or device) inside the case folder.",
                                             rel))
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
                self._digests[rel] = sha256_file(self.root / rel)[0] if self._regular(
                    rel) else None
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                self._digests[rel] = None
        return self._digests[rel]

    def lines(self, rel: str) -> Iterator[bytes]:
        """A JSON Lines file's lines without their newlines, read in 1 MiB blocks as they are
        used: a 20,000-record file is neither held whole nor read line by line."""
        if not self._regular(rel):
            return
        try:
            f = open(self.root / rel, "rb")  # noqa: SIM115 - closed when the generator ends
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
                self._cache[rel] = (self.root / rel).read_bytes() if self._regular(
                    rel) else None
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                self._cache[rel] = None
        return self._cache[rel]

    def hash(self, rels: Sequence[str], sizes: Sequence[int],
             progress: Callable[[int], None] | None) -> Iterable[HashOutcome]:
        """Starts the hashing workers now (call from the main thread); outcomes by ``rels``."""
        base = str(self.root) + os.sep
        paths = [base + r for r in rels] if os.sep == "/" else [
            base + r.replace("/", os.sep) for r in rels]
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


def _expected_digests(to_hash: Sequence[str],
                      entries: dict[str, str]) -> tuple[list[str | None], bytes | None]:
    """The digests the manifest records, in hashing order (None: not listed), and the same as
    one run of bytes when every file is listed (for a single comparison)."""
    expected = [entries.get(r) for r in to_hash]
    if None in expected:
        return expected, None
    return expected, bytes.fromhex("".join(cast(list[str], expected)))


def _compare_hashes(source: BagSource, to_hash: Sequence[str], payload_files: dict[str, int | None],
                    expected: tuple[list[str | None], bytes | None], job: ForkedHashing | None,
                    outcomes: list[HashOutcome]) -> _Hashed:
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
                    found = job.digests[32 * i:32 * i + 32].hex()
                    if want is not None and found != want:
                        problems.append(_changed(rel, found, want))
            bytes_listed = bytes_all if blob is not None else sum(
                status - 1 for status, want in zip(statuses, wanted, strict=True)
                if want is not None)
            return _Hashed(bytes_all, bytes_listed, sorted(problems, key=lambda f: str(f.path)),
                           True)
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
            problems.append(Finding("payload.unreadable", f"Evidence file {rel} could not be "
                                    f"read: {out.error}.", rel, integrity=False))
        else:
            problems.append(_changed(rel, str(out.sha256), want))
    return _Hashed(bytes_all, bytes_listed, sorted(problems, key=lambda f: str(f.path)),
                   len(hashed) == len(to_hash))


def _changed(rel: str, found: str, want: str) -> Finding:
    return Finding("payload.changed", f"Evidence file {rel} has changed: its SHA-256 is now "
                   f"{found}, the manifest records {want}.", rel)


def verify_source(source: BagSource, *, expected_key: str | None = None,
                  progress: Callable[[int], None] | None = None) -> VerificationReport:
    """Run every check; never raises for a damaged bag (only for bugs)."""
    # A big case makes tens of thousands of objects (the parsed log, the manifests) and no
    # reference cycles: the cyclic collector would only scan them again and again (~10 ms on
    # 20,000 files). Reference counting still frees everything.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _verify_source(source, expected_key=expected_key, progress=progress)
    finally:
        if collecting:
            gc.enable()


def _verify_source(source: BagSource, *, expected_key: str | None,
                   progress: Callable[[int], None] | None) -> VerificationReport:
    findings: list[Finding] = []
    checks: list[Check] = []
    notes: list[str] = []
    files = source.files()
    findings.extend(getattr(source, "problems", []))

    # (4) starts first: every evidence file is re-hashed on the other cores (in listing order,
    # whether or not the manifest lists it) while this thread runs the other checks; its
    # findings are put back in their place in the order afterwards. Evidence files are not
    # stat'ed one by one: hashing tells their sizes.
    payload_files = {r: s for r, s in files.items() if r.startswith("data/")}
    to_hash = list(payload_files)  # in listing order: findings are sorted where they are made
    info_raw = source.read(BAG_INFO)
    oxum = parse_bag_info(info_raw).get("Payload-Oxum", [None])[0] if info_raw else None
    mean = _oxum_mean(oxum)
    outcomes: list[HashOutcome] = []

    def hash_payload() -> Iterable[HashOutcome]:
        sizes = [payload_files[r] if payload_files[r] is not None else mean for r in to_hash]
        return source.hash(to_hash, [s or 0 for s in sizes], progress)

    hasher: threading.Thread | None = None
    job: ForkedHashing | None = None
    if getattr(source, "concurrent_reads", False) and len(to_hash) > 1:
        # Workers are started here, on this thread; another thread waits for them (and passes
        # on their progress) or collects their outcomes.
        started = hash_payload()
        prefetch = getattr(source, "prefetch_line_digests", None)
        if prefetch is not None:
            prefetch(ITEMS_PATH)  # the item records' digests (check 7) on another core too
        if isinstance(started, ForkedHashing):
            job = started
            hasher = threading.Thread(target=job.wait, name="evkit-verify-hash", daemon=True)
        else:
            hasher = threading.Thread(target=outcomes.extend, args=(started,),
                                      name="evkit-verify-hash", daemon=True)
        hasher.start()
    # Imported only now, while the evidence is being hashed: the log and signature checks.
    from evidence_kit.custody import check_log, parse_log
    from evidence_kit.signing import PublicKey
    from evidence_kit.util import optional_module

    hash_state: list[_Hashed] = []

    def payload_hashes() -> _Hashed:
        """Check (4)'s results, once hashing has finished (waits for it); computed once."""
        if not hash_state:
            expected = _expected_digests(to_hash, entries)  # before waiting: no hash needed
            if hasher is not None:
                hasher.join()
            hash_state.append(_compare_hashes(source, to_hash, payload_files, expected, job,
                                              outcomes))
        return hash_state[0]

    def check(name: str, before: int, ok_detail: str) -> None:
        n = len(findings) - before
        checks.append(Check(name, n == 0, ok_detail if n == 0 else f"{n} problem(s)"))

    # (1) bag declaration
    start = len(findings)
    bagit = source.read(BAGIT)
    if bagit is None:
        findings.append(Finding("bag.declaration", "bagit.txt is missing: this is not a "
                                "complete BagIt bag.", BAGIT))
    elif not bagit.startswith(b"BagIt-Version: 1.0"):
        findings.append(Finding("bag.declaration", "bagit.txt was changed (it should declare "
                                "BagIt-Version 1.0).", BAGIT))
    check("BagIt declaration", start, "BagIt 1.0")

    record_files = sorted(r for r in files if r.startswith("evkit/"))

    # (2) tag manifest: run last (the item records' digest is worked out on another core
    # meanwhile), its findings and check put back in their place.
    tag_at, tag_check_at = len(findings), len(checks)

    def tag_manifest() -> tuple[list[Finding], Check]:
        found: list[Finding] = []
        tag_raw = source.read(TAG_MANIFEST)
        tag_entries: dict[str, str] = {}
        if tag_raw is None:
            found.append(Finding("tagmanifest.missing", "The tag manifest "
                                 "tagmanifest-sha256.txt is missing.", TAG_MANIFEST))
        else:
            parsed = parse_manifest(tag_raw)
            tag_entries = parsed.entries
            found.extend(Finding("tagmanifest.malformed", f"The tag manifest {p}.",
                                 TAG_MANIFEST) for p in parsed.problems)
            for rel, expected in sorted(tag_entries.items()):
                actual = _digest(source, rel)
                if actual is None:
                    found.append(Finding("tag.missing", f"{rel} is missing (it is listed in "
                                         "the tag manifest).", rel))
                elif actual != expected:
                    found.append(Finding("tag.changed", f"{rel} was changed after the case "
                                         "was sealed (its SHA-256 differs from the tag "
                                         "manifest).", rel))
            found.extend(
                Finding("tag.unexpected", f"{rel} was added to the case's records folder; "
                        "evkit did not write it.", rel)
                for rel in record_files
                if rel not in tag_entries and not is_unrecorded(rel))
        return found, Check("Tag manifest", not found, f"{len(tag_entries)} record files match"
                            if not found else f"{len(found)} problem(s)")

    # (3) payload manifest: listed vs present
    start = len(findings)
    man_raw = source.read(PAYLOAD_MANIFEST)
    entries: dict[str, str] = {}
    if man_raw is None:
        findings.append(Finding("manifest.missing", "The payload manifest manifest-sha256.txt "
                                "is missing.", PAYLOAD_MANIFEST))
    else:
        parsed = parse_manifest(man_raw)
        findings.extend(Finding("manifest.malformed", f"The payload manifest {p}.",
                                PAYLOAD_MANIFEST) for p in parsed.problems)
        outside = [rel for rel in parsed.entries if not rel.startswith("data/")]
        findings.extend(Finding("manifest.malformed", f"The payload manifest lists {rel!r}, "
                                "which is outside data/.", PAYLOAD_MANIFEST) for rel in outside)
        entries = parsed.entries
        for rel in outside:
            del entries[rel]
    missing = sorted(entries.keys() - payload_files.keys())
    extra = sorted(payload_files.keys() - entries.keys())
    findings.extend(Finding("payload.missing", f"Evidence file {r} is missing (it was deleted "
                            "or renamed).", r) for r in missing)
    findings.extend(Finding("payload.extra", f"{r} was added to the evidence folder after "
                            "sealing; evkit did not record it.", r) for r in extra)
    check("Evidence files present", start, f"{len(entries)} listed, all present, none extra")

    # (4) runs since the start (above); a source that cannot read two files at once (a zip)
    # hashes here instead.
    present = entries.keys() & payload_files.keys()
    if hasher is None:
        outcomes.extend(hash_payload())
    step4_at, step4_check_at = len(findings), len(checks)

    # (5) public key and case description
    start = len(findings)
    key: PublicKey | None = None
    case_info: dict[str, Any] = {}
    pem = source.read(PUBKEY_PATH)
    try:
        key = PublicKey.from_pem(pem) if pem is not None else None
    except ValueError:
        key = None
    if key is None:
        findings.append(Finding("key.unreadable", "The collector's public key "
                                f"{PUBKEY_PATH} is missing or damaged, so no signature can be "
                                "checked.", PUBKEY_PATH))
    raw_info = source.read(CASE_JSON)
    try:
        parsed_info = loads(raw_info) if raw_info is not None else None
        case_info = parsed_info if isinstance(parsed_info, dict) else {}
    except ValueError:
        case_info = {}
    if not case_info:
        findings.append(Finding("case.unreadable", "The case description evkit/case.json is "
                                "missing or damaged.", CASE_JSON))
    key_id = key.key_id if key else None
    if key and case_info and case_info.get("key_id") != key.key_id:
        findings.append(Finding("key.mismatch", "The public key in the case is not the key the "
                                "case was created with: it was replaced.", PUBKEY_PATH))
    if expected_key and key_id:
        want = digest_hex(expected_key.replace(" ", "").lower())
        if not digest_hex(key_id).startswith(want) or len(want) < 16:
            findings.append(Finding("key.unexpected", "The case was signed with key "
                                    f"{key_id}, not the key you expected ({expected_key}).",
                                    PUBKEY_PATH))
    check("Collector key", start, f"{key_id}")

    # (6) custody log
    start = len(findings)
    log_raw = source.read(LOG_PATH)
    log = parse_log(log_raw or b"")
    if log_raw is None:
        findings.append(Finding("log.missing", "The custody log evkit/custody.jsonl is "
                                "missing.", LOG_PATH))
    elif key is not None:
        findings.extend(check_log(log, key.verifier(), key.key_id))
    check("Custody log", start, f"{len(log.events)} events, chain and signatures intact")

    # (7) item records vs log and manifest. Each record line's hash must be bound by a signed
    # event, whose entry carries the record's id, rev, sha256 and size: those are what the
    # checks use, so the 20,000 records of a big case are hashed, not parsed.
    start = len(findings)
    bound: dict[str, dict[str, Any]] = {}
    dup_bound: dict[str, dict[str, Any]] = {}  # records of files not stored twice
    for event in log.events:
        data = event.get("data")
        if not isinstance(data, dict):
            continue
        for list_name, into in (("items", bound), ("duplicates", dup_bound)):
            listed = data.get(list_name)
            for entry in listed if isinstance(listed, list) else []:
                if isinstance(entry, dict) and "record" in entry:
                    into[str(entry["record"])] = entry
    digests_of = getattr(source, "line_digests", None)
    digests: list[str] = (digests_of(ITEMS_PATH) if digests_of else [
        sha256_bytes(line) for line in _lines(source.read(ITEMS_PATH) or b"")])
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
                findings.append(Finding("items.malformed", f"Item record line {n} is damaged.",
                                        ITEMS_PATH))
    findings.extend(
        Finding("items.unbound", "An item record is not bound by any custody event: it was "
                "added or edited after the fact.", ITEMS_PATH)
        for _ in unbound)
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
            findings.append(Finding("items.missing", f"The record of item {entry.get('id')} "
                                    "(rev {}) that the custody log refers to is missing or was "
                                    "edited.".format(entry.get("rev")), ITEMS_PATH))
    findings.extend(
        Finding("items.missing", f"The record of a copy of item {entry.get('same_as')} (a file "
                "with the same content, not stored twice) that the custody log refers to is "
                "missing or was edited.", ITEMS_PATH)
        for h, entry in dup_bound.items()
        if h not in record_hashes and str(entry.get("same_as")) not in withheld)
    if withheld_damaged:
        findings.append(Finding("withheld.malformed", "evkit/withheld.json (the list of items "
                                "withheld from this package) is damaged.", withheld_path))
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
                per_item.append((item_id, Finding(
                    "withheld.changed", f"Item {item_id} is listed as withheld with SHA-256 "
                    f"{withheld[item_id].get('sha256')}, but its signed record says {sha}.",
                    withheld_path)))
            if str(stored) in entries:
                per_item.append((item_id, Finding("withheld.included", f"Item {item_id} is "
                                                  "listed as withheld but is also in the "
                                                  "payload manifest.", str(stored))))
            continue
        stored = stored_of(item_id, rec)
        if entries and entries.get(stored) != sha:
            per_item.append((item_id, Finding("items.manifest", f"Item {item_id} ({stored}) is "
                                              "not listed in the payload manifest with its "
                                              "recorded hash.", str(stored))))
    per_item.sort(key=lambda pair: pair[0])  # stable: an item's findings keep their order
    findings.extend(f for _, f in per_item)
    findings.extend(Finding("withheld.unknown", f"evkit/withheld.json lists item {item_id}, "
                            "which no item record describes.", withheld_path)
                    for item_id in sorted(set(withheld) - set(latest)))
    recorded = {stored_of(item_id, r) for item_id, r in latest.items()}
    findings.extend(
        Finding("manifest.unrecorded", f"{rel} is in the payload manifest but no item record "
                "describes it.", rel)
        for rel in sorted(set(entries) - recorded))
    check("Item records", start, f"{len(latest)} items bound to signed events")

    # (8) seal
    start = len(findings)
    seal_raw = source.read(SEAL_PATH)
    sig_raw = source.read(SEAL_SIG_PATH)
    seal: dict[str, Any] = {}
    if seal_raw is None or sig_raw is None:
        findings.append(Finding("seal.missing", "The seal (evkit/seal.json and seal.sig) is "
                                "missing.", SEAL_PATH))
    else:
        try:
            parsed_seal = loads(seal_raw)
            seal = parsed_seal if isinstance(parsed_seal, dict) else {}
        except ValueError:
            seal = {}
        if key is not None and not key.verify(sig_raw, seal_raw):
            findings.append(Finding("seal.signature", "The seal's signature does not match: "
                                    "evkit/seal.json was edited or re-signed with another key.",
                                    SEAL_PATH))
        if not seal:
            findings.append(Finding("seal.malformed", "evkit/seal.json is damaged.", SEAL_PATH))
        for rel, expected in sorted((seal.get("files") or {}).items()):
            actual = _digest(source, str(rel))
            if actual is None:
                findings.append(Finding("seal.file-missing", f"{rel}, bound by the seal, is "
                                        "missing.", rel))
            elif actual != expected:
                findings.append(Finding("seal.file-changed", f"{rel} differs from the version "
                                        "the seal was signed over.", rel))
        custody = seal.get("custody") or {}
        if seal and (custody.get("events") != log.head.events
                     or custody.get("head") != log.head.head):
            sealed_n = custody.get("events")
            if isinstance(sealed_n, int) and sealed_n > log.head.events:
                msg = (f"The custody log has {log.head.events} events but the seal records "
                       f"{sealed_n}: the last event(s) were removed.")
            elif isinstance(sealed_n, int) and sealed_n < log.head.events:
                msg = (f"The custody log has {log.head.events} events but the seal records "
                       f"{sealed_n}: events were appended without sealing.")
            else:
                msg = "The custody log's last event is not the one the seal records."
            findings.append(Finding("seal.log-head", msg, LOG_PATH))
        payload = seal.get("payload") or {}
        hashed_payload = payload_hashes()
        if seal and (payload.get("items") != len(entries)
                     or payload.get("bytes") != hashed_payload.bytes_listed):
            findings.append(Finding("seal.counts", "The number or size of evidence files differs "
                                    "from what the seal records.", PAYLOAD_MANIFEST))
        if seal and case_info and seal.get("case_id") != case_info.get("case_id"):
            findings.append(Finding("seal.case", "The seal belongs to a different case.",
                                    SEAL_PATH))
    check("Seal", start, "signature valid, binds every record file and the log head")

    # (4), completed: the payload hashes, in their place among the findings and checks.
    bytes_all, bytes_listed, problems, complete = payload_hashes()
    hashed = list(problems)
    if not complete:
        hashed.append(Finding("payload.unreadable", "Not every evidence file could be hashed.",
                              None, integrity=False))
    if info_raw is None:
        hashed.append(Finding("bag.info-missing", "bag-info.txt is missing.", BAG_INFO))
    elif oxum is not None and oxum != (actual := f"{bytes_all}.{len(to_hash)}"):
        hashed.append(Finding("bag.oxum", f"bag-info.txt's Payload-Oxum is {oxum}, but the "
                              f"evidence folder holds {actual} (bytes.files).", BAG_INFO))
    step4 = hashed
    findings[step4_at:step4_at] = step4
    checks.insert(step4_check_at, Check(
        "Evidence hashes", not step4,
        f"{len(present)} files, {bytes_listed} bytes re-hashed" if not step4
        else f"{len(step4)} problem(s)"))
    # (2), run now, in its place (before (4), so inserted after it).
    tag_findings, tag_check = tag_manifest()
    findings[tag_at:tag_at] = tag_findings
    checks.insert(tag_check_at, tag_check)

    # (9) interrupted work
    interrupted = any(r.startswith(TXN_DIR + "/") for r in record_files)

    # (10) contributed checks
    ctx = VerifyContext(source, files, entries, log, key, case_info, latest, seal)
    for name, applies in EXTRA_CHECKS:
        if not applies(ctx):
            continue
        module = optional_module(name)
        if module is None:
            continue
        result = module.verify_check(ctx)
        if result is not None:
            extra_check, extra_findings = result
            checks.append(extra_check)
            findings.extend(extra_findings)

    if interrupted:
        # Half-done work explains differences that are not changes: report none of them, so
        # the result is "could not check" (exit 3), never "changed". Finishing the work (any
        # evkit command with the collector's key) makes the case checkable again.
        seen = len(findings)
        findings[:] = [Finding(
            "case.interrupted", "A change to this case was interrupted and has not been "
            "finished, so the case cannot be checked yet"
            + (f" ({seen} difference(s) seen may be only that unfinished work)" if seen else "")
            + "; run any evkit command in the case with the collector's key to finish it, then "
            "'evkit verify' again.", TXN_DIR, integrity=False)]

    return VerificationReport(
        target=source.label,
        case_id=str(case_info.get("case_id")) if case_info else None,
        title=str(case_info.get("title")) if case_info.get("title") else None,
        key_id=key_id,
        items=len(entries),
        events=len(log.events),
        payload_bytes=bytes_all,
        sealed_at=str(seal.get("sealed_at")) if seal.get("sealed_at") else None,
        seal_sha256=sha256_bytes(seal_raw) if seal_raw else None,
        checks=tuple(checks),
        findings=tuple(findings),
        notes=tuple(notes),
    )
