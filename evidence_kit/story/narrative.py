"""The story around the evidence: notes, suspects, losses, references, sensitivity marks.

Each statement is one signed custody event (``note``, ``suspect``, ``loss``, ``ref``), so it is
hash-chained and sealed like everything else. Nothing is ever rewritten: a correction is a new
event of the same kind whose ``supersedes`` names the event sequence number it replaces, and a
withdrawal is a correction with ``withdrawn: true`` and no content. Readers take the latest
version of each statement; the custody log keeps every version.

Event ``data`` by action (every key optional unless said; ``supersedes`` is an event ``seq``):

* ``note``: ``text`` (required), ``at`` (UTC ISO, or ``YYYY-MM-DD`` with ``precision: day``),
  ``at_local``, ``at_given`` (as typed), ``timezone``, ``item_ids``.
* ``suspect``: ``details`` {name, username, email, phone, url, ip, wallet, account} (one or
  more), ``item_ids``, ``from_identifier`` {kind, value, item_ids}, ``contact``
  {first_contact (how the victim first met or was contacted by them), previous_contact,
  realised (what made the victim realise it was a crime)}: the questions intake forms ask.
* ``loss``: ``amount`` (positive decimal string), ``currency`` (3 letters), ``date``/``at``
  (as for notes), ``method``, ``to_account``, ``reference``, ``item_ids``.
* ``ref``: ``agency``, ``number`` (both required).
* ``mark``: ``item``, ``sensitive``, ``reason``; bound to a new item record revision.
* ``incident``: ``text`` (required): what happened, in the victim's words; the latest one
  replaces the ``incident`` written in case.json at ``init`` (which is never rewritten).
* ``person``: ``role`` (``victim`` or ``collector``), ``details`` {name, email, phone,
  address, organization, age_band, may_contact ("yes"/"no")}: who the victim is (when
  someone else collects for them) and updated contact details of either; later entries
  add to and override earlier ones (and, for the collector, case.json's ``collector``).

``item_ids`` (not ``items``) because ``items`` in event data is reserved for record bindings.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from evidence_kit.errors import UsageError
from evidence_kit.models import Item, VerificationReport
from evidence_kit.store.bag import neutral_name
from evidence_kit.store.case import Case, normalize_item_id
from evidence_kit.store.signing import Signer

#: Narrative event actions, in the order reports show them.
NARRATIVE_ACTIONS = ("note", "suspect", "loss", "ref", "incident", "person")

#: Roles and details of ``person`` events (``evkit victim``, ``evkit collector``).
PERSON_ROLES = ("victim", "collector")
PERSON_FIELDS = ("name", "email", "phone", "address", "organization", "age_band", "may_contact")

#: Suspect detail fields (CLI options of ``evkit suspect add``).
SUSPECT_FIELDS = ("name", "username", "email", "phone", "url", "ip", "wallet", "account")

#: What the victim says about their contact with a suspect (``evkit suspect add`` options).
SUSPECT_CONTACT_FIELDS = ("first_contact", "previous_contact", "realised")

#: Which suspect field an extracted identifier of each kind fills (``--from-identifier``).
IDENTIFIER_TO_FIELD = {
    "email": "email",
    "url": "url",
    "domain": "url",
    "ip": "ip",
    "phone": "phone",
    "handle": "username",
    "iban": "account",
    "account": "account",
    "btc": "wallet",
    "eth": "wallet",
    "crypto": "wallet",
}

MAX_TEXT = 20_000  # a note longer than this is a document: add it as a file instead
MAX_FIELD = 2_000

_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
_AMOUNT = re.compile(r"^(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def record_verification(case: Case, signer: Signer, report: VerificationReport) -> None:
    """Append a signed ``verify`` event with the outcome, and re-seal."""
    with case.session(signer, "verify") as sess:
        sess.log(
            "verify",
            {
                "result": "intact" if report.intact else "changed",
                "item_count": report.items,
                "payload_bytes": report.payload_bytes,
                "seal_sha256": report.seal_sha256,
                "findings": [f.to_dict() for f in report.findings][:200],
            },
        )


# ---- reading ----------------------------------------------------------------------------------
@dataclass
class Entry:
    """One narrative statement (one event), with what later events did to it."""

    seq: int
    action: str
    recorded_at: str  # the event's ``at`` (collector's computer clock, UTC)
    data: dict[str, Any]
    superseded_by: int | None = None

    @property
    def withdrawn(self) -> bool:
        return bool(self.data.get("withdrawn"))

    @property
    def supersedes(self) -> int | None:
        value = self.data.get("supersedes")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def current(self) -> bool:
        """Neither replaced by a later correction nor itself a withdrawal."""
        return self.superseded_by is None and not self.withdrawn

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "action": self.action,
            "recorded_at": self.recorded_at,
            **self.data,
        }
        out["superseded_by"] = self.superseded_by
        out["current"] = self.current
        return out


@dataclass
class Narrative:
    """Every narrative statement in a case, by action, in log order."""

    entries: dict[str, list[Entry]] = field(default_factory=dict)

    def all(self, action: str) -> list[Entry]:
        return list(self.entries.get(action, []))

    def current(self, action: str) -> list[Entry]:
        return [e for e in self.entries.get(action, []) if e.current]

    def by_seq(self, seq: int) -> Entry | None:
        for entries in self.entries.values():
            for e in entries:
                if e.seq == seq:
                    return e
        return None


def read_narrative(events: Sequence[Mapping[str, Any]]) -> Narrative:
    """Collect the narrative events of a parsed custody log (damaged lines are skipped)."""
    out = Narrative({a: [] for a in NARRATIVE_ACTIONS})
    index: dict[int, Entry] = {}
    for ev in events:
        action = ev.get("action")
        seq = ev.get("seq")
        data = ev.get("data")
        if (
            action not in NARRATIVE_ACTIONS
            or not isinstance(seq, int)
            or not isinstance(data, dict)
        ):
            continue
        entry = Entry(
            seq=seq, action=str(action), recorded_at=str(ev.get("at") or ""), data=dict(data)
        )
        out.entries[entry.action].append(entry)
        index[seq] = entry
        target = index.get(entry.supersedes) if entry.supersedes is not None else None
        if target is not None and target.action == entry.action and target.superseded_by is None:
            target.superseded_by = seq
    return out


def references(info: Mapping[str, Any], narrative: Narrative) -> list[dict[str, Any]]:
    """Reference numbers: those given at ``evkit init`` plus current ``ref`` events."""
    out: list[dict[str, Any]] = [
        {
            "agency": str(r.get("agency", "")),
            "number": str(r.get("number", "")),
            "seq": None,
            "source": "case created",
        }
        for r in info.get("references") or []
        if isinstance(r, dict)
    ]
    out.extend(
        {
            "agency": str(e.data.get("agency", "")),
            "number": str(e.data.get("number", "")),
            "seq": e.seq,
            "source": "evkit ref add",
            "supersedes": e.supersedes,
        }
        for e in narrative.current("ref")
    )
    return out


def incident_text(info: Mapping[str, Any], narrative: Narrative) -> str | None:
    """What happened: the latest ``incident`` statement, else case.json's ``incident``."""
    current = narrative.current("incident")
    if current:
        return str(current[-1].data.get("text") or "") or None
    text = info.get("incident")
    return str(text) if text else None


def person(info: Mapping[str, Any], narrative: Narrative, role: str) -> dict[str, str]:
    """The victim's or the collector's details: case.json's collector (for the collector),
    then every ``person`` event of that role in order, later values overriding."""
    out: dict[str, str] = {}
    if role == "collector" and isinstance(info.get("collector"), dict):
        out.update({k: str(v) for k, v in info["collector"].items() if v})
    for e in narrative.current("person"):
        details = e.data.get("details")
        if e.data.get("role") == role and isinstance(details, dict):
            out.update({k: str(v) for k, v in details.items() if v})
    return out


def loss_totals(entries: Iterable[Entry]) -> dict[str, str]:
    """Sum of current losses per currency, exact (Decimal), as strings."""
    totals: dict[str, Decimal] = {}
    for e in entries:
        if not e.current:
            continue
        try:
            amount = Decimal(str(e.data.get("amount")))
        except InvalidOperation:
            continue
        if not amount.is_finite():
            continue
        cur = str(e.data.get("currency") or "?").upper()
        totals[cur] = totals.get(cur, Decimal(0)) + amount
    return {k: _decimal_text(v) for k, v in sorted(totals.items())}


def _decimal_text(value: Decimal) -> str:
    """Money as text with at least two decimal places (``250`` -> ``250.00``), never rounded."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return format(value, "f")


# ---- identifiers ------------------------------------------------------------------------------
_CASELESS_KINDS = frozenset({"email", "domain", "handle", "iban", "btc_bech32"})


def identifier_key(kind: str, value: str) -> tuple[str, str]:
    """How two identifiers are judged the same (e-mail and domains ignore case)."""
    k = kind.strip().lower()
    v = value.strip()
    if k in _CASELESS_KINDS:
        v = v.lower()
    if k == "iban":
        v = v.replace(" ", "")
    return k, v


def collect_identifiers(
    items: Iterable[Item], *, include_sensitive: bool = True
) -> list[dict[str, Any]]:
    """Every identifier found in the items, deduplicated, with where each was seen.

    Returns ``[{kind, value, item_ids, fields, occurrences: [{item, field}], sensitive_only}]``
    (with ``country``, ``bank`` and ``bic`` when an extractor knew them) sorted by kind then
    value.
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        if item.sensitive and not include_sensitive:
            continue
        ex = item.extraction or {}
        idents = ex.get("identifiers")
        for ident in idents if isinstance(idents, list) else []:
            if not isinstance(ident, dict):
                continue
            kind, value = str(ident.get("kind") or "?"), str(ident.get("value") or "")
            if not value:
                continue
            key = identifier_key(kind, value)
            slot = found.setdefault(
                key,
                {
                    "kind": key[0],
                    "value": value,
                    "item_ids": [],
                    "fields": [],
                    "occurrences": [],
                    "sensitive_only": True,
                },
            )
            for fact in ("country", "bank", "bic"):  # a phone's or IBAN's country, its bank
                if isinstance(ident.get(fact), str) and fact not in slot:
                    slot[fact] = ident[fact]
            fld = str(ident.get("field") or "")
            if item.id not in slot["item_ids"]:
                slot["item_ids"].append(item.id)
            if fld and fld not in slot["fields"]:
                slot["fields"].append(fld)
            slot["occurrences"].append({"item": item.id, "field": fld})
            if not item.sensitive:
                slot["sensitive_only"] = False
    return [found[k] for k in sorted(found)]


# ---- validation -------------------------------------------------------------------------------
def _text(value: str | None, what: str, limit: int = MAX_FIELD) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if not cleaned:
        raise UsageError(f"{what} is empty.")
    if len(cleaned) > limit:
        raise UsageError(f"{what} is longer than {limit} characters; add a file instead.")
    if any(ord(c) < 32 and c not in "\n\t" for c in cleaned):
        raise UsageError(f"{what} contains control characters.")
    return cleaned


def check_items(case: Case, item_ids: Iterable[str]) -> list[str]:
    """Normalise item IDs (``e3`` -> ``E0003``); ItemNotFoundError if one does not exist."""
    out: list[str] = []
    for raw in item_ids:
        item = case.item(raw)
        if item.id not in out:
            out.append(item.id)
    return out


def parse_when(text: str, tz_name: str) -> dict[str, Any]:
    """A user-given time as stored in events: UTC and local, or a date with day precision."""
    from evidence_kit.timeutil import local_iso, parse_user_time

    given = text.strip()
    if _DATE_ONLY.match(given):
        try:
            day = date.fromisoformat(given)
        except ValueError as exc:
            raise UsageError(f"{given!r} is not a real date; write it like 2026-11-20.") from exc
        return {"at": day.isoformat(), "precision": "day", "at_given": given, "timezone": tz_name}
    try:
        moment = parse_user_time(given, tz_name)
    except ValueError as exc:
        raise UsageError(
            f"Cannot read the time {given!r}; write it like 2026-11-20 14:05 "
            f"(your time zone, {tz_name})."
        ) from exc
    if moment - datetime.now(UTC) > timedelta(days=1):
        raise UsageError(f"The time {given!r} is in the future.")
    return {
        "at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "precision": "instant",
        "at_local": local_iso(moment, tz_name),
        "at_given": given,
        "timezone": tz_name,
    }


def parse_amount(text: str) -> str:
    """A positive decimal amount as a canonical string (``1,250.5`` -> ``1250.50``)."""
    t = text.strip()
    if not _AMOUNT.match(t):
        raise UsageError(f"The amount {text!r} is not a positive number; write it like 250.00.")
    value = Decimal(t.replace(",", ""))
    if value <= 0:
        raise UsageError(f"The amount {text!r} must be more than zero.")
    if value.as_tuple().exponent < -8:  # type: ignore[operator]
        raise UsageError(f"The amount {text!r} has more than 8 decimal places.")
    return _decimal_text(value)


def parse_currency(text: str) -> str:
    t = text.strip()
    if not _CURRENCY.match(t):
        raise UsageError(f"The currency {text!r} should be a 3-letter code like GBP, EUR, USD.")
    return t.upper()


def _check_supersedes(narrative: Narrative, action: str, seq: int | None) -> None:
    if seq is None:
        return
    target = narrative.by_seq(seq)
    if target is None or target.action != action:
        raise UsageError(f"Event {seq} is not a {action} (see 'evkit log' for event numbers).")
    if target.superseded_by is not None:
        raise UsageError(
            f"Event {seq} was already replaced by event {target.superseded_by}; "
            f"correct event {target.superseded_by} instead."
        )
    if target.withdrawn:
        raise UsageError(f"Event {seq} is a withdrawal; add the {action} again instead.")


def _check_suspect(details: dict[str, str]) -> None:
    email = details.get("email")
    if email is not None and ("@" not in email or " " in email):
        raise UsageError(f"--email {email!r} is not an e-mail address.")
    ip = details.get("ip")
    if ip is not None:
        try:
            details["ip"] = str(ipaddress.ip_address(ip))
        except ValueError as exc:
            raise UsageError(f"--ip {ip!r} is not an IP address.") from exc
    phone = details.get("phone")
    if phone is not None and (
        not re.fullmatch(r"[0-9+()./ -]{3,40}", phone) or sum(c.isdigit() for c in phone) < 3
    ):
        raise UsageError(f"--phone {phone!r} is not a phone number.")


# ---- writing ----------------------------------------------------------------------------------
def _append(case: Case, signer: Signer, action: str, data: dict[str, Any]) -> int:
    """Log one narrative event; returns its sequence number.

    The correction target is checked before the session (so a mistake changes nothing) and
    again under the case lock (another command may have corrected it meanwhile).
    """
    _check_supersedes(read_narrative(case.read_log().events), action, data.get("supersedes"))
    with case.session(signer, action) as sess:
        narrative = read_narrative(case.read_log().events)
        _check_supersedes(narrative, action, data.get("supersedes"))
        sess.log(action, {k: v for k, v in data.items() if v is not None})
        return case.read_log().head.events


def add_note(
    case: Case,
    signer: Signer,
    text: str,
    *,
    at: str | None = None,
    item_ids: Sequence[str] = (),
    correct: int | None = None,
) -> int:
    """Record a note (optionally about a time and items); returns the event seq.

    A correction (``correct``) keeps the corrected note's time and items unless new ones
    are given.
    """
    body = _text(text, "The note", MAX_TEXT)
    tz = str(case.info.get("timezone") or "UTC")
    data: dict[str, Any] = {"text": body, "supersedes": correct}
    ids = check_items(case, item_ids)
    if correct is not None:
        old = read_narrative(case.read_log().events).by_seq(correct)
        if old is not None and old.action == "note":
            if at is None:
                for k in ("at", "precision", "at_local", "at_given", "timezone"):
                    if k in old.data:
                        data[k] = old.data[k]
            if not ids:
                ids = [str(i) for i in old.data.get("item_ids") or []]
    if at is not None:
        data.update(parse_when(at, tz))
    if ids:
        data["item_ids"] = ids
    return _append(case, signer, "note", data)


def add_suspect(
    case: Case,
    signer: Signer,
    details: Mapping[str, str | None],
    *,
    item_ids: Sequence[str] = (),
    from_identifier: str | None = None,
    supersedes: int | None = None,
    contact: Mapping[str, str | None] | None = None,
) -> int:
    """Record a suspect (any of :data:`SUSPECT_FIELDS`, and what the victim says about their
    contact with them, :data:`SUSPECT_CONTACT_FIELDS`); returns the event seq."""
    clean: dict[str, str] = {}
    for key in SUSPECT_FIELDS:
        value = _text(details.get(key), f"--{key}")
        if value is not None:
            clean[key] = value
    story: dict[str, str] = {}
    for key in SUSPECT_CONTACT_FIELDS:
        value = _text((contact or {}).get(key), f"--{key.replace('_', '-')}", MAX_TEXT)
        if value is not None:
            story[key] = value
    ids = check_items(case, item_ids)
    data: dict[str, Any] = {}
    if from_identifier is not None:
        kind, sep, value = from_identifier.partition(":")
        if not sep or not kind.strip() or not value.strip():
            raise UsageError(
                "--from-identifier should look like KIND:VALUE, e.g. "
                "email:mark@example.net ('evkit identifiers' lists them)."
            )
        wanted = identifier_key(kind, value)
        match = next(
            (
                i
                for i in collect_identifiers(case.items().values())
                if identifier_key(i["kind"], i["value"]) == wanted
            ),
            None,
        )
        if match is None:
            raise UsageError(
                f"No item has the identifier {kind.strip()}:{value.strip()}; "
                "'evkit identifiers' lists those found."
            )
        fld = IDENTIFIER_TO_FIELD.get(match["kind"], "account")
        clean.setdefault(fld, match["value"])
        data["from_identifier"] = {
            "kind": match["kind"],
            "value": match["value"],
            "item_ids": list(match["item_ids"]),
        }
        for i in match["item_ids"]:
            if i not in ids:
                ids.append(i)
    if not clean:
        raise UsageError("Give at least one detail, e.g. --name, --email or --phone.")
    _check_suspect(clean)
    data.update(
        {
            "details": clean,
            "item_ids": ids or None,
            "supersedes": supersedes,
            "contact": story or None,
        }
    )
    return _append(case, signer, "suspect", data)


def add_loss(
    case: Case,
    signer: Signer,
    *,
    amount: str,
    currency: str,
    when: str | None = None,
    method: str | None = None,
    to_account: str | None = None,
    reference: str | None = None,
    item_ids: Sequence[str] = (),
    supersedes: int | None = None,
) -> int:
    """Record money lost; returns the event seq."""
    tz = str(case.info.get("timezone") or "UTC")
    data: dict[str, Any] = {
        "amount": parse_amount(amount),
        "currency": parse_currency(currency),
        "method": _text(method, "--method"),
        "to_account": _text(to_account, "--to-account"),
        "reference": _text(reference, "--reference"),
        "supersedes": supersedes,
    }
    if when is not None:
        data.update(parse_when(when, tz))
    ids = check_items(case, item_ids)
    if ids:
        data["item_ids"] = ids
    return _append(case, signer, "loss", data)


def add_reference(
    case: Case, signer: Signer, *, agency: str, number: str, supersedes: int | None = None
) -> int:
    """Record a crime/report reference number; returns the event seq."""
    data = {
        "agency": _text(agency, "--agency", 200),
        "number": _text(number, "--number", 200),
        "supersedes": supersedes,
    }
    return _append(case, signer, "ref", data)


def set_incident(case: Case, signer: Signer, text: str) -> int:
    """Record what happened, in the victim's words; returns the event seq."""
    return _append(case, signer, "incident", {"text": _text(text, "The summary", MAX_TEXT)})


def add_person(case: Case, signer: Signer, role: str, details: Mapping[str, str | None]) -> int:
    """Record the victim's or the collector's details; returns the event seq."""
    if role not in PERSON_ROLES:
        raise UsageError(f"Unknown role {role!r}.")
    clean: dict[str, str] = {}
    for key in PERSON_FIELDS:
        value = _text(details.get(key), f"--{key.replace('_', '-')}", 500)
        if value is not None:
            clean[key] = value
    if clean.get("may_contact") not in (None, "yes", "no"):
        raise UsageError("--may-contact should be yes or no.")
    if not clean:
        raise UsageError("Give at least one detail, e.g. --email or --phone.")
    return _append(case, signer, "person", {"role": role, "details": clean})


def withdraw(case: Case, signer: Signer, action: str, seq: int, reason: str | None) -> int:
    """Withdraw a statement (a correction with no content); returns the event seq."""
    if action not in NARRATIVE_ACTIONS:
        raise UsageError(f"Cannot withdraw a {action}.")
    return _append(
        case,
        signer,
        action,
        {"supersedes": seq, "withdrawn": True, "reason": _text(reason, "--reason")},
    )


def mark_sensitive(
    case: Case, signer: Signer, item_id: str, sensitive: bool, reason: str | None = None
) -> Item | None:
    """Append a new revision of the item's record with ``sensitive`` set.

    Marking sensitive also marks the files embedded in it (an e-mail's attachments, at any
    depth), listed in ``data.embedded``: an intimate picture is often an attachment.
    Returns the new item, or None if it was already in that state (nothing is logged).
    """
    why = _text(reason, "--reason")
    with case.session(signer, "mark", private=sensitive) as sess:
        item = sess.items.get(normalize_item_id(item_id)) or case.item(item_id)
        if item.sensitive == sensitive:
            return None
        items = sess.items
        marked = [item]
        if sensitive:
            family = {item.id}
            for other in items.values():  # parents come before their children (ID order)
                parent = str((other.parent or {}).get("id") or "")
                if parent in family:
                    family.add(other.id)
                    if not other.sensitive:
                        marked.append(other)
        records = []
        renames: list[tuple[str, str]] = []
        for it in marked:
            rec = it.to_dict()
            rec["rev"] = it.rev + 1
            rec["sensitive"] = sensitive
            # Stored from now on under its ID and type only, like a file added as sensitive:
            # the copy is renamed within data/, its bytes untouched (the name may say what
            # it shows).
            neutral = "data/" + neutral_name(it.id, it.name, it.mime)
            if sensitive and it.stored != neutral and it.stored.startswith("data/"):
                renames.append((it.stored, neutral))
                rec["stored"] = neutral
            records.append(rec)
        data: dict[str, Any] = {"item": item.id, "sensitive": sensitive}
        if why:
            data["reason"] = why
        if len(marked) > 1:
            data["embedded"] = [it.id for it in marked[1:]]
        return sess.commit("mark", data, records=records, renames=renames)[0]
