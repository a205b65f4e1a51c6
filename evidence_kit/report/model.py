"""One JSON-able snapshot of a case, shared by every report format.

The snapshot is what ``case.json`` in the report folder contains, and what the HTML, PDF and
CSV renderers draw from, so every format says the same thing. Sensitive items appear by ID,
hash, size, type and the collector's own description only: their names, paths, metadata,
identifiers and file-metadata times are withheld, and custody events that mention their names
are redacted (flagged ``redacted: true``; the signed originals stay in ``evkit/custody.jsonl``).

Top-level keys (``type`` is ``evkit/report-snapshot/v1``):

``generated``      {at, by, tool, host} - when and by whom this report was made
``case``           {case_id, title, created_at, timezone, incident, jurisdiction, collector,
                    victim, key_id, key_fingerprint, evkit_version} - ``incident`` is the
                    latest ``evkit incident`` text (else case.json's), ``collector`` case.json's
                    merged with ``evkit collector`` updates, ``victim`` from ``evkit victim``
``seal``           {path, sha256, sealed_at, custody_events, custody_head, signature_valid,
                    statement} - the seal in force *before* this report was written
``statements``     {integrity, times, sensitive, scope, redaction} - plain-language limits
``counts``         {items, bytes, events, sensitive_items, withheld_identifiers}
``references``     [{agency, number, seq, source}]
``items``          [{id, rev, name, mime, kind, size, sha256, stored, sensitive, withheld,
                     parent, children, original, acquired, description, summary, findings,
                     extraction}] - ``kind``, ``summary`` and ``findings`` ([{code, severity,
                     text, items}]) are what the item shows in plain words, computed from its
                     record (none for a sensitive item)
``timeline``       [see :func:`evidence_kit.story.timeline.build_timeline`]
``key_events``     [timeline entries that tell the story: notes, losses, e-mails sent, photos
                    and screenshots taken; each with ``what`` in plain words]
``conversations``  {conversations: [{item, platform, title, participants, count, first, last,
                    first_local, last_local, date_order, warnings, messages}], withheld}
                   - chats and mailboxes; ``messages`` are those an identifier was found in
``notes``, ``suspects``, ``refs``
                   [{seq, action, recorded_at, ...event data, superseded_by, current}];
                   a suspect also has ``mentioned_in``: the items whose identifiers match it,
                   and ``mentioned_by_detail`` {detail: [item IDs]}
``losses``         {entries: [...as above], totals: {currency: "decimal"}}
``identifiers``    [{kind, value, item_ids, fields, occurrences, sensitive_only}]
``preservation``   {note, targets: [{kind, service, identifiers: [{value, items}], first,
                    last}]} - what to ask each online service to keep
                    (:mod:`evidence_kit.story.preservation`)
``missing``        [{code, text, fix, items}] - what police will ask for that is still missing
                   (:mod:`evidence_kit.story.checklist`, as ``evkit status`` shows it)
``timestamps``     {events: [{seq, recorded_at, authority, time, token, covers, verified}],
                    files: [{path, sha256, size}]}
``custody``        [every custody event, in order; ``redacted`` where names were withheld]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evidence_kit import __version__
from evidence_kit.extractors.findings.base import describe_item, losses_of, type_label
from evidence_kit.ingest.hashing import sha256_bytes
from evidence_kit.models import Item
from evidence_kit.report.conversations import conversation_views
from evidence_kit.store.case import Case
from evidence_kit.store.custody import utc_now
from evidence_kit.store.signing import fingerprint
from evidence_kit.story.checklist import still_missing
from evidence_kit.story.narrative import (
    collect_identifiers,
    incident_text,
    loss_totals,
    person,
    read_narrative,
    references,
)
from evidence_kit.story.preservation import PRESERVATION_NOTE, preservation_targets
from evidence_kit.story.timeline import build_timeline, trusted_timestamps
from evidence_kit.util import hostname

SNAPSHOT_TYPE = "evkit/report-snapshot/v1"
SEAL_PATH = "evkit/seal.json"
WITHHELD = "[withheld: sensitive item]"

INTEGRITY_STATEMENT = (
    "The fingerprints of the files (SHA-256 codes that change if one byte changes), the signed "
    "case history (the custody log) and the signed lock over all of them (the seal) prove that "
    "the files in this case have not changed since this collector acquired them and signed "
    "with the key shown here. "
    "They do not prove that the content of the files is authentic or true: a forged e-mail or "
    "an edited screenshot that was preserved verifies just as well as a genuine one."
)
TIMES_STATEMENT = (
    "Times are self-asserted unless marked trusted. Notes and losses are the collector's own "
    "statements; acquisition times come from the collector's computer clock; times inside the "
    "files (e-mail dates, photo EXIF data, statement dates) were written by whoever made the "
    "file and can be forged. Only trusted timestamps (RFC 3161: a time signed by an independent "
    "timestamp authority), if any are listed, are trusted times."
)
SENSITIVE_STATEMENT = (
    "Items marked sensitive are listed by ID, fingerprint (SHA-256), size, type and the "
    "collector's own description only. Their names, previews, contents, identifiers and "
    "internal times are withheld from this report; the files themselves are preserved "
    "unchanged in the case."
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
        f"This report describes the case as it was locked and signed before this report was "
        f"written (the seal, evkit/seal.json, whose SHA-256 fingerprint is {sha}), covering "
        f"steps 1 to {n} of the case history (custody events). The step that records this "
        "report, and the new seal that covers the report files, come after it."
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


#: Times in files that tell the story (the rest stay in the full timeline): field -> words.
KEY_FILE_TIMES = {
    "headers.date": "E-mail sent (the date written in the e-mail)",
    "exif.DateTimeOriginal": "Photo taken (the time written by the camera)",
    "png.text.Creation Time": "Screenshot made (the time written in the file)",
}
MAX_KEY_EVENTS = 30


def key_events(timeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries of the timeline that tell the story, in order, with plain ``what``.

    The collector's own statements (notes, losses) always; the moments files record of
    themselves (e-mail sent, photo taken, screenshot made) while there is room.
    """
    out: list[dict[str, Any]] = []
    for e in timeline:
        if e.get("source") == "collector statement":
            out.append(dict(e))
        elif e.get("source") == "file metadata" and e.get("field") in KEY_FILE_TIMES:
            out.append({**e, "what": f"{KEY_FILE_TIMES[str(e['field'])]} ({e.get('item')})"})
    if len(out) > MAX_KEY_EVENTS:
        own = [e for e in out if e.get("source") == "collector statement"]
        rest = [e for e in out if e.get("source") != "collector statement"]
        keep = {id(e) for e in own[:MAX_KEY_EVENTS]}
        keep |= {id(e) for e in rest[: max(0, MAX_KEY_EVENTS - len(own))]}
        out = [e for e in out if id(e) in keep]
    return out


def _mentions(suspects: list[dict[str, Any]], items: Mapping[str, Item]) -> list[dict[str, Any]]:
    """Each suspect entry with ``mentioned_in``: the non-sensitive items whose identifiers
    (e-mail, phone, account, wallet, ...) equal one of the suspect's details, case-insensitive
    (white space and punctuation ignored for phone numbers and accounts)."""

    def norm(value: str) -> str:
        text = value.strip().lower()
        compact = "".join(ch for ch in text if ch.isalnum())
        return compact if compact.isdigit() or len(compact) >= 14 else text

    found: dict[str, set[str]] = {}
    for item in items.values():
        if item.sensitive:
            continue
        ex = item.extraction or {}
        for ident in ex.get("identifiers") or [] if isinstance(ex, dict) else []:
            if isinstance(ident, dict) and isinstance(ident.get("value"), str):
                found.setdefault(norm(ident["value"]), set()).add(item.id)
    out = []
    for entry in suspects:
        details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
        by_field = {
            str(k): sorted(found.get(norm(v), set()))
            for k, v in (details or {}).items()
            if isinstance(v, str) and v.strip() and found.get(norm(v))
        }
        ids = sorted({i for v in by_field.values() for i in v})
        out.append({**entry, "mentioned_in": ids, "mentioned_by_detail": by_field})
    return out


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
        "kind": type_label(item.mime),
        "summary": None,
        "findings": [],
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
    tz_name = str(info.get("timezone") or "UTC")
    losses = losses_of(e.to_dict() for e in narrative.current("loss"))
    item_views = []
    for it in items.values():
        view = _item_view(it, children.get(it.id, []))
        if not it.sensitive:
            desc = describe_item(it, items, tz_name, losses)
            view.update(
                kind=desc.kind,
                summary=desc.summary,
                findings=[f.to_dict() for f in desc.findings],
            )
        item_views.append(view)
    timeline = build_timeline(info, items.values(), narrative, events, include_sensitive=False)

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
            "incident": incident_text(info, narrative),
            "jurisdiction": info.get("jurisdiction"),
            "collector": person(info, narrative, "collector"),
            "victim": person(info, narrative, "victim"),
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
        "timeline": timeline,
        "key_events": key_events(timeline),
        "conversations": conversation_views(
            case.root, items.values(), str(info.get("timezone") or "UTC")
        ),
        "notes": [e.to_dict() for e in narrative.all("note")],
        "suspects": _mentions([e.to_dict() for e in narrative.all("suspect")], items),
        "refs": [e.to_dict() for e in narrative.all("ref")],
        "losses": {
            "entries": [e.to_dict() for e in narrative.all("loss")],
            "totals": loss_totals(narrative.all("loss")),
        },
        "identifiers": shown_idents,
        "missing": [m.to_dict() for m in still_missing(info, items, narrative)],
        "preservation": {
            "note": PRESERVATION_NOTE,
            "targets": preservation_targets(
                item_views,
                [e.to_dict() for e in narrative.current("loss")],
                [e.to_dict() for e in narrative.current("suspect")],
            ),
        },
        "timestamps": {"events": trusted_timestamps(events), "files": ts_files},
        "custody": custody,
    }
