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
 (10) checks contributed by other modules (trusted timestamps, handover records), each a
      ``verify_check(ctx: VerifyContext)`` function listed in ``EXTRA_CHECKS``.

A problem never stops the later checks: the report names every difference it can see.
"Changed" (exit 1) is kept apart from "could not check" (exit 3).
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from evidence_kit.bag import (
    BAG_INFO,
    BAGIT,
    PAYLOAD_MANIFEST,
    TAG_MANIFEST,
    parse_bag_info,
    parse_manifest,
)
from evidence_kit.canonical import loads
from evidence_kit.case import (
    CASE_JSON,
    ITEMS_PATH,
    PUBKEY_PATH,
    SEAL_PATH,
    SEAL_SIG_PATH,
    TXN_DIR,
    is_unrecorded,
)
from evidence_kit.custody import LOG_PATH, ParsedLog, check_log, parse_log
from evidence_kit.hashing import HashOutcome, hash_many, sha256_bytes
from evidence_kit.models import Check, Finding, VerificationReport
from evidence_kit.signing import PublicKey
from evidence_kit.util import optional_module

#: The fields of each item record that verification keeps in memory.
_SLIM = ("id", "rev", "sha256", "size", "stored", "mime", "sensitive", "parent")

#: Modules that contribute a ``verify_check(ctx)``; imported only if present.
EXTRA_CHECKS = ("evidence_kit.timestamp", "evidence_kit.export")


@dataclass
class VerifyContext:
    """What the core checks learned, handed to the extra checks of (10)."""

    source: BagSource
    files: dict[str, int]  # every file in the bag -> size
    manifest: dict[str, str]  # payload manifest entries
    log: ParsedLog
    key: PublicKey | None
    case_info: dict[str, Any]
    items: dict[str, dict[str, Any]]  # latest item record by ID (only the _SLIM fields)
    seal: dict[str, Any]


class BagSource(Protocol):
    """Where a bag is read from: a folder, or (for handover packages) a zip."""

    label: str

    def files(self) -> dict[str, int]:
        """Every regular file in the bag, bag-relative POSIX path -> size."""
        ...

    def read(self, rel: str) -> bytes | None:
        """A (small) file's bytes, or None if it is absent."""
        ...

    def hash(self, rels: Sequence[str], sizes: Sequence[int],
             progress: Callable[[int], None] | None) -> Iterable[HashOutcome]:
        """Stream-hash payload files."""
        ...


class FolderSource:
    """A case folder on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)
        self.problems: list[Finding] = []
        self.concurrent_reads = True  # hashing may run while other files are read
        self._cache: dict[str, bytes | None] = {}

    def files(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            dirnames.sort()
            for d in dirnames:
                if Path(dirpath, d).is_symlink():
                    rel = f"{rel_dir}/{d}" if rel_dir != "." else d
                    self.problems.append(Finding("bag.symlink", f"{rel} is a symbolic link "
                                                 "inside the case folder.", rel))
            for fn in filenames:
                rel = fn if rel_dir == "." else f"{rel_dir}/{fn}"
                try:
                    st = os.lstat(os.path.join(dirpath, fn))
                except OSError:
                    continue
                if stat.S_ISLNK(st.st_mode):
                    self.problems.append(Finding("bag.symlink", f"{rel} is a symbolic link "
                                                 "inside the case folder.", rel))
                    continue
                out[rel] = st.st_size
        return out

    def read(self, rel: str) -> bytes | None:
        # Tag files are read by several checks (tag manifest, seal, records): read each once.
        if rel not in self._cache:
            try:
                self._cache[rel] = (self.root / rel).read_bytes()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                self._cache[rel] = None
        return self._cache[rel]

    def hash(self, rels: Sequence[str], sizes: Sequence[int],
             progress: Callable[[int], None] | None) -> Iterable[HashOutcome]:
        paths = [str(self.root / r) for r in rels]
        prefix = len(str(self.root)) + 1
        for out in hash_many(paths, sizes, progress=progress):
            yield HashOutcome(out.path[prefix:].replace(os.sep, "/"), out.sha256, out.size,
                              out.error)


def verify_source(source: BagSource, *, expected_key: str | None = None,
                  progress: Callable[[int], None] | None = None) -> VerificationReport:
    """Run every check; never raises for a damaged bag (only for bugs)."""
    findings: list[Finding] = []
    checks: list[Check] = []
    notes: list[str] = []
    files = source.files()
    findings.extend(getattr(source, "problems", []))

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

    # (2) tag manifest
    start = len(findings)
    tag_raw = source.read(TAG_MANIFEST)
    tag_entries: dict[str, str] = {}
    if tag_raw is None:
        findings.append(Finding("tagmanifest.missing", "The tag manifest "
                                "tagmanifest-sha256.txt is missing.", TAG_MANIFEST))
    else:
        parsed = parse_manifest(tag_raw)
        tag_entries = parsed.entries
        findings.extend(Finding("tagmanifest.malformed", f"The tag manifest {p}.", TAG_MANIFEST)
                        for p in parsed.problems)
        for rel, expected in sorted(tag_entries.items()):
            data = source.read(rel)
            if data is None:
                findings.append(Finding("tag.missing", f"{rel} is missing (it is listed in the "
                                        "tag manifest).", rel))
            elif sha256_bytes(data) != expected:
                findings.append(Finding("tag.changed", f"{rel} was changed after the case was "
                                        "sealed (its SHA-256 differs from the tag manifest).",
                                        rel))
        findings.extend(
            Finding("tag.unexpected", f"{rel} was added to the case's records folder; evkit "
                    "did not write it.", rel)
            for rel in sorted(files)
            if rel.startswith("evkit/") and rel not in tag_entries and not is_unrecorded(rel))
    check("Tag manifest", start, f"{len(tag_entries)} record files match")

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
        for rel, h in parsed.entries.items():
            if not rel.startswith("data/"):
                findings.append(Finding("manifest.malformed", f"The payload manifest lists "
                                        f"{rel!r}, which is outside data/.", PAYLOAD_MANIFEST))
            else:
                entries[rel] = h
    payload_files = {r: s for r, s in files.items() if r.startswith("data/")}
    missing = sorted(set(entries) - set(payload_files))
    extra = sorted(set(payload_files) - set(entries))
    findings.extend(Finding("payload.missing", f"Evidence file {r} is missing (it was deleted "
                            "or renamed).", r) for r in missing)
    findings.extend(Finding("payload.extra", f"{r} was added to the evidence folder after "
                            "sealing; evkit did not record it.", r) for r in extra)
    check("Evidence files present", start, f"{len(entries)} listed, all present, none extra")

    # (4) payload hashes and Payload-Oxum. Hashing runs on the other cores while this thread
    # goes on with (5)-(8); its findings are put back in their place in the order afterwards.
    present = sorted(set(entries) & set(payload_files))
    outcomes: list[HashOutcome] = []

    def hash_payload() -> None:
        outcomes.extend(source.hash(present, [payload_files[r] for r in present], progress))

    hasher: threading.Thread | None = None
    if getattr(source, "concurrent_reads", False) and len(present) > 1:
        hasher = threading.Thread(target=hash_payload, name="evkit-verify-hash", daemon=True)
        hasher.start()
    else:
        hash_payload()
    step4_at, step4_check_at = len(findings), len(checks)
    step4: list[Finding] = []
    info_raw = source.read(BAG_INFO)
    if info_raw is not None:
        oxum = parse_bag_info(info_raw).get("Payload-Oxum", [None])[0]
        actual = f"{sum(payload_files.values())}.{len(payload_files)}"
        if oxum is not None and oxum != actual:
            step4.append(Finding("bag.oxum", f"bag-info.txt's Payload-Oxum is {oxum}, but the "
                                 f"evidence folder holds {actual} (bytes.files).", BAG_INFO))
    else:
        step4.append(Finding("bag.info-missing", "bag-info.txt is missing.", BAG_INFO))
    total_bytes = sum(payload_files.get(r, 0) for r in present)

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
        want = expected_key.replace(" ", "").lower().removeprefix("sha256:")
        if not key_id.removeprefix("sha256:").startswith(want) or len(want) < 16:
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

    # (7) item records vs log and manifest
    start = len(findings)
    items_raw = source.read(ITEMS_PATH) or b""
    latest: dict[str, dict[str, Any]] = {}
    record_hashes: set[str] = set()
    for n, line in enumerate(items_raw.split(b"\n")[:-1] if items_raw else [], start=1):
        record_hashes.add("sha256:" + sha256_bytes(line))
        try:
            rec = json.loads(line)
            # Keep only what the checks use: 20,000 full records would cost ~100 MB.
            latest[str(rec["id"])] = {k: rec.get(k) for k in _SLIM}
        except (ValueError, KeyError, TypeError):
            findings.append(Finding("items.malformed", f"Item record line {n} is damaged.",
                                    ITEMS_PATH))
    bound: dict[str, dict[str, Any]] = {}
    for event in log.events:
        data = event.get("data")
        listed = data.get("items") if isinstance(data, dict) else None
        for entry in listed if isinstance(listed, list) else []:
            if isinstance(entry, dict):
                bound[str(entry.get("record"))] = entry
    findings.extend(
        Finding("items.unbound", "An item record is not bound by any custody event: it was "
                "added or edited after the fact.", ITEMS_PATH)
        for _ in sorted(record_hashes - set(bound)))
    for h, entry in sorted(bound.items()):
        if h not in record_hashes:
            findings.append(Finding("items.missing", f"The record of item {entry.get('id')} "
                                    "(rev {}) that the custody log refers to is missing or was "
                                    "edited.".format(entry.get("rev")), ITEMS_PATH))
    # A handover package (evkit export) leaves some items out of its payload manifest and lists
    # them, with their hashes, in evkit/withheld.json (bound by the package's seal, check 8).
    withheld_path = "evkit/withheld.json"
    withheld: dict[str, dict[str, Any]] = {}
    withheld_raw = source.read(withheld_path)
    if withheld_raw is not None:
        try:
            withheld_doc = loads(withheld_raw)
            for entry in withheld_doc["items"]:
                withheld[str(entry["id"])] = dict(entry)
        except (ValueError, KeyError, TypeError):
            findings.append(Finding("withheld.malformed", "evkit/withheld.json (the list of items "
                                    "withheld from this package) is damaged.", withheld_path))
    for item_id, rec in sorted(latest.items()):
        stored, sha = rec.get("stored"), rec.get("sha256")
        if item_id in withheld:
            if withheld[item_id].get("sha256") != sha:
                findings.append(Finding("withheld.changed", f"Item {item_id} is listed as "
                                        "withheld with SHA-256 "
                                        f"{withheld[item_id].get('sha256')}, but its signed "
                                        f"record says {sha}.", withheld_path))
            if str(stored) in entries:
                findings.append(Finding("withheld.included", f"Item {item_id} is listed as "
                                        "withheld but is also in the payload manifest.",
                                        str(stored)))
            continue
        if entries and entries.get(str(stored)) != sha:
            findings.append(Finding("items.manifest", f"Item {item_id} ({stored}) is not listed "
                                    "in the payload manifest with its recorded hash.",
                                    str(stored)))
    findings.extend(Finding("withheld.unknown", f"evkit/withheld.json lists item {item_id}, "
                            "which no item record describes.", withheld_path)
                    for item_id in sorted(set(withheld) - set(latest)))
    recorded = {str(r.get("stored")) for r in latest.values()}
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
            data = source.read(rel)
            if data is None:
                findings.append(Finding("seal.file-missing", f"{rel}, bound by the seal, is "
                                        "missing.", rel))
            elif sha256_bytes(data) != expected:
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
        if seal and (payload.get("items") != len(entries)
                     or payload.get("bytes") != sum(payload_files.get(r, 0) for r in entries)):
            findings.append(Finding("seal.counts", "The number or size of evidence files differs "
                                    "from what the seal records.", PAYLOAD_MANIFEST))
        if seal and case_info and seal.get("case_id") != case_info.get("case_id"):
            findings.append(Finding("seal.case", "The seal belongs to a different case.",
                                    SEAL_PATH))
    check("Seal", start, "signature valid, binds every record file and the log head")

    # (4), completed: the payload hashes, in their place among the findings and checks.
    if hasher is not None:
        hasher.join()
    hashed: list[Finding] = []
    for out in sorted(outcomes, key=lambda o: o.path):
        if out.error is not None:
            hashed.append(Finding("payload.unreadable", f"Evidence file {out.path} could not "
                                  f"be read: {out.error}.", out.path, integrity=False))
        elif out.sha256 != entries[out.path]:
            hashed.append(Finding("payload.changed", f"Evidence file {out.path} has changed: "
                                  f"its SHA-256 is now {out.sha256}, the manifest records "
                                  f"{entries[out.path]}.", out.path))
    if len(outcomes) != len(present):
        hashed.append(Finding("payload.unreadable", "Not every evidence file could be hashed.",
                              None, integrity=False))
    step4 = hashed + step4
    findings[step4_at:step4_at] = step4
    checks.insert(step4_check_at, Check(
        "Evidence hashes", not step4,
        f"{len(present)} files, {total_bytes} bytes re-hashed" if not step4
        else f"{len(step4)} problem(s)"))

    # (9) interrupted work
    if any(r.startswith(TXN_DIR + "/") for r in files):
        findings.append(Finding("case.interrupted", "A change to this case was interrupted and "
                                "has not been finished; run any evkit command in the case "
                                "with the collector's key to finish it.", TXN_DIR,
                                integrity=False))

    # (10) contributed checks
    ctx = VerifyContext(source, files, entries, log, key, case_info, latest, seal)
    for name in EXTRA_CHECKS:
        module = optional_module(name)
        if module is None:
            continue
        result = module.verify_check(ctx)
        if result is not None:
            extra_check, extra_findings = result
            checks.append(extra_check)
            findings.extend(extra_findings)

    return VerificationReport(
        target=source.label,
        case_id=str(case_info.get("case_id")) if case_info else None,
        title=str(case_info.get("title")) if case_info.get("title") else None,
        key_id=key_id,
        items=len(entries),
        events=len(log.events),
        payload_bytes=sum(payload_files.values()),
        sealed_at=str(seal.get("sealed_at")) if seal.get("sealed_at") else None,
        seal_sha256=sha256_bytes(seal_raw) if seal_raw else None,
        checks=tuple(checks),
        findings=tuple(findings),
        notes=tuple(notes),
    )
