"""One JSON-able snapshot of a case, shared by every report format.

The snapshot is what ``case.json`` in the report folder contains, and what the HTML, PDF and
CSV renderers draw from, so every format says the same thing. Sensitive items appear by ID,
hash, size, type and the collector's own description only: their names, paths, metadata,
identifiers and file-metadata times are withheld, and custody events that mention their names
are redacted (flagged ``redacted: true``; the signed originals stay in ``evkit/custody.jsonl``).

Top-level keys (``type`` is ``evkit/report-snapshot/v1``):

``generated``      {at, by, tool, host} - when and by whom this report was made
``case``           {case_id, title, created_at, timezone, incident, jurisdiction, collector,
                    key_id, key_fingerprint, evkit_version}
``seal``           {path, sha256, sealed_at, custody_events, custody_head, signature_valid,
                    statement} - the seal in force *before* this report was written
``statements``     {integrity, times, sensitive, scope, redaction} - plain-language limits
``counts``         {items, bytes, events, sensitive_items, withheld_identifiers}
``references``     [{agency, number, seq, source}]
``items``          [{id, rev, name, mime, size, sha256, stored, sensitive, withheld, parent,
                     children, original, acquired, description, extraction}]
``timeline``       [see :func:`evidence_kit.story.timeline.build_timeline`]
``conversations``  {conversations: [{item, platform, title, participants, count, first, last,
                    first_local, last_local, date_order, warnings, messages}], withheld}
                   - chats and mailboxes; ``messages`` are those an identifier was found in
``notes``, ``suspects``, ``refs``
                   [{seq, action, recorded_at, ...event data, superseded_by, current}]
``losses``         {entries: [...as above], totals: {currency: "decimal"}}
``identifiers``    [{kind, value, item_ids, fields, occurrences, sensitive_only}]
``timestamps``     {events: [{seq, recorded_at, authority, time, token, covers, verified}],
                    files: [{path, sha256, size}]}
``custody``        [every custody event, in order; ``redacted`` where names were withheld]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evidence_kit import __version__
from evidence_kit.ingest.hashing import sha256_bytes
from evidence_kit.models import Item
from evidence_kit.report.conversations import conversation_views
from evidence_kit.store.case import Case
from evidence_kit.store.custody import utc_now
from evidence_kit.store.signing import fingerprint
from evidence_kit.story.narrative import (
    collect_identifiers,
    loss_totals,
    read_narrative,
    references,
)
from evidence_kit.story.timeline import build_timeline, trusted_timestamps
from evidence_kit.util import hostname

SNAPSHOT_TYPE = "evkit/report-snapshot/v1"
SEAL_PATH = "evkit/seal.json"
WITHHELD = "[withheld: sensitive item]"

INTEGRITY_STATEMENT = (
    "The SHA-256 hashes, the signed custody log and the seal prove that the files in this case "
    "have not changed since this collector acquired them and signed with the key shown here. "
    "They do not prove that the content of the files is authentic or true: a forged e-mail or "
    "an edited screenshot that was preserved verifies just as well as a genuine one."
)
TIMES_STATEMENT = (
    "Times are self-asserted unless marked trusted. Notes and losses are the collector's own "
    "statements; acquisition times come from the collector's computer clock; times inside the "
    "files (e-mail dates, photo EXIF data, statement dates) were written by whoever made the "
    "file and can be forged. Only RFC 3161 timestamps from an independent timestamp authority, "
    "if any are listed, are trusted times."
)
SENSITIVE_STATEMENT = (
    "Items marked sensitive are listed by ID, SHA-256, size, type and the collector's own "
    "description only. Their names, previews, contents, identifiers and internal times are "
    "withheld from this report; the files themselves are preserved unchanged in the case."
)
REDACTION_STATEMENT = (
    "Custody events marked 'redacted' had the names of sensitive items replaced in this "
    "report; their signed originals are unchanged in evkit/custody.jsonl, where the signatures "
    "can be checked with 'evkit verify'."
)


def _scope(seal: Mapping[str, Any]) -> str:
    n = seal.get("custody_events")
    sha = seal.get("sha256") or "(none)"
    return (
        f"This report describes the case as sealed by the seal with SHA-256 {sha} "
        f"(evkit/seal.json before this report was written), covering custody events 1 to "
        f"{n}. The event that records this report, and the new seal that covers the report "
        "files, come after it."
    )


def seal_summary(case: Case, seal_raw: bytes | None) -> dict[str, Any]:
    """What the report says about the seal in force before it was written."""
    if seal_raw is None:
        return {
            "path": SEAL_PATH,
            "sha256": None,
            "sealed_at": None,
            "custody_events": None,
            "custody_head": None,
            "signature_valid": False,
        }
    seal = case.seal()
    valid = False
    try:
        sig = (case.root / "evkit/seal.sig").read_bytes()
        valid = case.public_key().verify(sig, seal_raw)
    except (OSError, ValueError):
        valid = False
    return {
        "path": SEAL_PATH,
        "sha256": sha256_bytes(seal_raw),
        "sealed_at": seal.sealed_at if seal else None,
        "custody_events": seal.custody.events if seal else None,
        "custody_head": seal.custody.head if seal else None,
        "signature_valid": valid,
    }


def _item_view(item: Item, children: list[str]) -> dict[str, Any]:
    acq = item.acquired or {}
    acquired = {
        k: acq.get(k)
        for k in ("at", "local", "timezone", "by", "host", "tool", "method", "source", "note")
    }
    base: dict[str, Any] = {
        "id": item.id,
        "rev": item.rev,
        "mime": item.mime,
        "size": item.size,
        "sha256": item.sha256,
        "sensitive": item.sensitive,
        "withheld": item.sensitive,
        "parent": dict(item.parent) if item.parent else None,
        "children": children,
        "acquired": acquired,
        "description": acq.get("note"),
    }
    if item.sensitive:  # the collector's source and note may say what it shows
        base.update(
            {
                "name": None,
                "stored": None,
                "original": None,
                "extraction": None,
                "description": None,
                "acquired": {**acquired, "source": None, "note": None},
            }
        )
        return base
    orig = item.original or {}
    ex = item.extraction or {}
    base.update(
        {
            "name": item.name,
            "stored": item.stored,
            "original": {
                k: orig.get(k)
                for k in (
                    "name",
                    "path",
                    "modified",
                    "declared_name",
                    "declared_type",
                    "container",
                    "role",
                )
                if orig.get(k) is not None
            },
            "extraction": {
                "extractor": ex.get("extractor"),
                "metadata": ex.get("metadata") if isinstance(ex.get("metadata"), dict) else {},
                "identifiers": ex.get("identifiers")
                if isinstance(ex.get("identifiers"), list)
                else [],
                "times": ex.get("times") if isinstance(ex.get("times"), list) else [],
                "errors": [str(e) for e in ex.get("errors") or []]
                if isinstance(ex.get("errors"), list)
                else [],
            }
            if ex
            else None,
        }
    )
    return base


def _sensitive_strings(items: Mapping[str, Item], raw_records: list[Any]) -> list[str]:
    """Names and paths of sensitive items (every revision), to redact from the custody log."""
    ids = {i for i, it in items.items() if it.sensitive}
    found: set[str] = set()
    for rec in raw_records:
        if not isinstance(rec, dict) or str(rec.get("id")) not in ids:
            continue
        orig_raw = rec.get("original")
        orig: dict[str, Any] = orig_raw if isinstance(orig_raw, dict) else {}
        for v in (rec.get("stored"), orig.get("name"), orig.get("path"), orig.get("declared_name")):
            if isinstance(v, str) and len(v) >= 3:
                found.add(v)
                found.add(v.rsplit("/", 1)[-1])
    return sorted((s for s in found if len(s) >= 3), key=len, reverse=True)


def _redact(value: Any, secrets: list[str]) -> tuple[Any, bool]:
    if isinstance(value, str):
        out = value
        for s in secrets:
            if s in out:
                out = out.replace(s, WITHHELD)
        return out, out != value
    if isinstance(value, list):
        changed = False
        items = []
        for v in value:
            nv, c = _redact(v, secrets)
            items.append(nv)
            changed = changed or c
        return items, changed
    if isinstance(value, dict):
        changed = False
        obj = {}
        for k, v in value.items():
            nv, c = _redact(v, secrets)
            obj[k] = nv
            changed = changed or c
        return obj, changed
    return value, False


def build_snapshot(
    case: Case, seal_raw: bytes | None, *, generated_at: str | None = None
) -> dict[str, Any]:
    """The whole case as one JSON-able dict (see the module docstring for its shape)."""
    from evidence_kit.store.canonical import loads

    info = case.info
    items = case.items()
    log = case.read_log()
    events = log.events
    narrative = read_narrative(events)
    seal = seal_summary(case, seal_raw)
    raw_records: list[Any] = []
    for line in case.item_lines():
        try:
            raw_records.append(loads(line))
        except ValueError:
            continue
    secrets = _sensitive_strings(items, raw_records)

    children: dict[str, list[str]] = {}
    for it in items.values():
        if it.parent and it.parent.get("id"):
            children.setdefault(str(it.parent["id"]), []).append(it.id)
    item_views = [_item_view(it, children.get(it.id, [])) for it in items.values()]

    custody: list[dict[str, Any]] = []
    for ev in events:
        shown, changed = _redact(ev, secrets) if secrets else (ev, False)
        entry = dict(shown) if isinstance(shown, dict) else {}
        if changed:
            entry["redacted"] = True
        custody.append(entry)

    all_idents = collect_identifiers(items.values(), include_sensitive=True)
    shown_idents = collect_identifiers(items.values(), include_sensitive=False)
    withheld_idents = sum(1 for i in all_idents if i["sensitive_only"])

    ts_files: list[dict[str, Any]] = []
    ts_dir = case.root / "evkit" / "timestamps"
    if ts_dir.is_dir():
        ts_files = [
            {
                "path": p.relative_to(case.root).as_posix(),
                "sha256": sha256_bytes(p.read_bytes()),
                "size": p.stat().st_size,
            }
            for p in sorted(ts_dir.rglob("*"))
            if p.is_file() and not p.is_symlink()
        ]

    collector = info.get("collector") if isinstance(info.get("collector"), dict) else {}
    key_id = str(info.get("key_id") or "")
    sealed_items = list(items.values())
    return {
        "type": SNAPSHOT_TYPE,
        "generated": {
            "at": generated_at or utc_now(),
            "by": (collector or {}).get("name"),
            "tool": f"evkit {__version__}",
            "host": hostname(),
        },
        "case": {
            "case_id": info.get("case_id"),
            "title": info.get("title"),
            "created_at": info.get("created_at"),
            "timezone": info.get("timezone") or "UTC",
            "incident": info.get("incident"),
            "jurisdiction": info.get("jurisdiction"),
            "collector": dict(collector or {}),
            "key_id": key_id,
            "key_fingerprint": fingerprint(key_id) if key_id else None,
            "evkit_version": info.get("evkit_version"),
        },
        "seal": seal,
        "statements": {
            "integrity": INTEGRITY_STATEMENT,
            "times": TIMES_STATEMENT,
            "sensitive": SENSITIVE_STATEMENT,
            "redaction": REDACTION_STATEMENT,
            "scope": _scope(seal),
        },
        "counts": {
            "items": len(sealed_items),
            "bytes": sum(it.size for it in sealed_items),
            "events": len(events),
            "sensitive_items": sum(1 for it in sealed_items if it.sensitive),
            "withheld_identifiers": withheld_idents,
        },
        "references": references(info, narrative),
        "items": item_views,
        "timeline": build_timeline(
            info, items.values(), narrative, events, include_sensitive=False
        ),
        "conversations": conversation_views(
            case.root, items.values(), str(info.get("timezone") or "UTC")
        ),
        "notes": [e.to_dict() for e in narrative.all("note")],
        "suspects": [e.to_dict() for e in narrative.all("suspect")],
        "refs": [e.to_dict() for e in narrative.all("ref")],
        "losses": {
            "entries": [e.to_dict() for e in narrative.all("loss")],
            "totals": loss_totals(narrative.all("loss")),
        },
        "identifiers": shown_idents,
        "timestamps": {"events": trusted_timestamps(events), "files": ts_files},
        "custody": custody,
    }
