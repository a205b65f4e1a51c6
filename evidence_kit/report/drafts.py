"""Police report drafts: the case laid out in the sections of an intake form, ready to copy.

``evkit report --for ic3|reportfraud|police|interpol`` writes ``draft-<target>.txt`` and
``draft-<target>.html`` next to the report. Every line is built from the report snapshot
(:mod:`evidence_kit.report.model`) and ends with what supports it: the evidence items
(``[evidence: E0004]``), the collector's own statement and its step in the case history
(``[your statement, step 5]``), or the case details given at ``init``. Nothing is invented: a
field the case does not know is left out or said to be missing, never guessed. Sensitive items
are cited by ID only (the snapshot holds nothing else of them).

Sections follow what the intake forms ask: victim information; financial transactions (date,
amount, currency, method, recipient account or wallet, transaction ID); the incident in time
order; subject information (names, e-mails, phones, websites, IPs, user names, accounts); other
information (e-mail headers of key messages, earlier reports and their reference numbers); and
what is still missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evidence_kit.report.interface import ReportInput


@dataclass(frozen=True, slots=True)
class Line:
    """One statement of a draft and what supports it."""

    text: str
    items: tuple[str, ...] = ()  # evidence item IDs
    source: str = ""  # when no item supports it: "your statement, step 5", "case details"

    def cite(self) -> str:
        parts = [self.source] if self.source else []
        if self.items:
            parts.append(f"evidence: {', '.join(self.items)}")
        return f"[{'; '.join(parts)}]" if parts else ""


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    lines: tuple[Line, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Draft:
    target: str
    title: str
    intro: str
    sections: tuple[Section, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Target:
    """One intake: its name for ``--for``, its title, and how to use the draft."""

    name: str
    title: str
    intro: str


TARGETS: Mapping[str, Target] = {
    t.name: t
    for t in (
        Target(
            "ic3",
            "Draft for the FBI Internet Crime Complaint Center (IC3, ic3.gov)",
            "Copy each part into the matching section of the IC3 complaint form.",
        ),
        Target(
            "reportfraud",
            "Draft for Report Fraud (reportfraud.police.uk, formerly Action Fraud)",
            "Copy each part into the matching step of the Report Fraud online form, or read "
            "it out when you report by phone.",
        ),
        Target(
            "police",
            "Draft statement for the local police",
            "Take this to the police station or send it with your report; the officer may "
            "write your statement from it.",
        ),
        Target(
            "interpol",
            "Cover sheet for a National Central Bureau (INTERPOL)",
            "For the investigating officer: the local crime reference, the jurisdiction and "
            "the identifiers that cross borders, to pass to the national INTERPOL bureau.",
        ),
    )
}

_DETAIL_LABELS = {
    "name": "Name",
    "username": "User name",
    "email": "E-mail",
    "phone": "Phone",
    "url": "Website or profile",
    "ip": "IP address",
    "wallet": "Crypto wallet",
    "account": "Bank account",
}
_PERSON_LABELS = {
    "name": "Name",
    "email": "E-mail",
    "phone": "Phone",
    "address": "Address",
    "organization": "Organisation",
    "age_band": "Age band",
    "may_contact": "Police may contact directly",
}
_KINDS = {
    "email": "E-mail address",
    "domain": "Domain",
    "ip": "IP address",
    "url": "Web address",
    "phone": "Phone",
    "iban": "IBAN",
    "account": "Account",
    "btc": "Bitcoin wallet",
    "eth": "Ethereum wallet",
    "crypto": "Crypto wallet",
    "handle": "User name",
}


def _ids(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values) if isinstance(values, list) else ()


def _detail_items(entry: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """The items the collector linked to a suspect, and those that contain this detail."""
    by_detail = entry.get("mentioned_by_detail")
    found = by_detail.get(key) if isinstance(by_detail, Mapping) else None
    return tuple(dict.fromkeys([*_ids(entry.get("item_ids")), *_ids(found)]))


def _when(value: Any, s: Mapping[str, Any]) -> str:
    """A recorded time in the case's zone with UTC beside (a date stays a date)."""
    from evidence_kit.timeutil import time_text

    return time_text(value, str((s.get("case") or {}).get("timezone") or "UTC"))


def _event_when(e: Mapping[str, Any], s: Mapping[str, Any]) -> str:
    """When a timeline entry happened: an instant with UTC beside, else as the timeline says."""
    if e.get("precision") == "instant" and e.get("at"):
        return _when(e.get("at"), s)
    return str(e.get("local") or "")


def _current(entries: Any) -> list[Mapping[str, Any]]:
    return [e for e in entries or [] if isinstance(e, Mapping) and e.get("current")]


def _people(s: Mapping[str, Any]) -> tuple[Section, ...]:
    case = s.get("case") or {}
    victim = case.get("victim") if isinstance(case.get("victim"), Mapping) else {}
    collector = case.get("collector") if isinstance(case.get("collector"), Mapping) else {}
    out: list[Section] = []
    if victim:
        out.append(
            Section(
                "Victim information",
                tuple(
                    Line(f"{_PERSON_LABELS.get(k, k)}: {v}", source="recorded with evkit victim")
                    for k, v in victim.items()
                    if v
                ),
            )
        )
        out.append(
            Section(
                "Filed on behalf of the victim by",
                tuple(
                    Line(f"{_PERSON_LABELS.get(k, k)}: {v}", source="case details")
                    for k, v in (collector or {}).items()
                    if v
                ),
            )
        )
    else:
        out.append(
            Section(
                "Victim information (the person reporting)",
                tuple(
                    Line(f"{_PERSON_LABELS.get(k, k)}: {v}", source="case details")
                    for k, v in (collector or {}).items()
                    if v
                ),
            )
        )
    return tuple(out)


def _money(s: Mapping[str, Any]) -> Section:
    losses = s.get("losses") or {}
    lines: list[Line] = []
    for e in _current(losses.get("entries")):
        when = _when(e.get("at") or e.get("date"), s)
        parts = [when or "date not given", f"{e.get('amount')} {e.get('currency')}"]
        if e.get("method"):
            parts.append(f"by {e['method']}")
        parts.append(f"to {e['to_account']}" if e.get("to_account") else "recipient not recorded")
        if e.get("reference"):
            parts.append(f"transaction ID or reference {e['reference']}")
        items = _ids(e.get("item_ids"))
        lines.append(
            Line(
                ", ".join(parts),
                items,
                f"your statement, step {e.get('seq')}"
                + ("" if items else "; no evidence item yet"),
            )
        )
    totals = losses.get("totals") or {}
    if totals:
        lines.append(
            Line(
                "Total lost: " + ", ".join(f"{v} {k}" for k, v in totals.items()),
                source="the sum of the payments above",
            )
        )
    return Section(
        "Financial transactions",
        tuple(lines) or (Line("No payments recorded.", source="case details"),),
    )


def _incident(s: Mapping[str, Any]) -> Section:
    case = s.get("case") or {}
    lines: list[Line] = []
    if case.get("incident"):
        lines.append(Line(f"In the victim's words: {case['incident']}", source="case details"))
    for e in s.get("key_events") or []:
        if not isinstance(e, Mapping):
            continue
        item = e.get("item")
        if e.get("source") == "collector statement":
            lines.append(
                Line(
                    f"{_event_when(e, s)}: {e.get('what')}",
                    (str(item),) if item else (),
                    f"your statement, step {e.get('seq')}",
                )
            )
        else:
            lines.append(
                Line(f"{_event_when(e, s)}: {e.get('what')}", (str(item),) if item else ())
            )
    return Section(
        "Description of the incident, in time order",
        tuple(lines) or (Line("Not written yet.", source="case details"),),
        "Times are in the collector's time zone; times read from files were written by "
        "whoever made the file.",
    )


def _subjects(s: Mapping[str, Any]) -> Section:
    lines: list[Line] = []
    for e in _current(s.get("suspects")):
        details = e.get("details") if isinstance(e.get("details"), Mapping) else {}
        name = (details or {}).get("name")
        head = f"Subject {name}" if name else f"Subject (step {e.get('seq')})"
        lines.extend(
            Line(
                f"{head}: {_DETAIL_LABELS.get(str(key), str(key))}: {value}",
                _detail_items(e, str(key)),
                f"your statement, step {e.get('seq')}",
            )
            for key, value in (details or {}).items()
            if value
        )
        contact = e.get("contact") if isinstance(e.get("contact"), Mapping) else {}
        lines.extend(
            Line(
                f"{head}: {label}: {(contact or {})[key]}",
                _ids(e.get("item_ids")),
                f"your statement, step {e.get('seq')}",
            )
            for key, label in (
                ("first_contact", "How the victim first met or was contacted by them"),
                ("previous_contact", "Earlier contact"),
                ("realised", "What made the victim realise it was a crime"),
            )
            if (contact or {}).get(key)
        )
    return Section(
        "Information about the subject(s)",
        tuple(lines) or (Line("No suspects recorded.", source="case details"),),
    )


def _email_headers(s: Mapping[str, Any]) -> Section:
    lines: list[Line] = []
    for it in s.get("items") or []:
        if not isinstance(it, Mapping) or it.get("withheld"):
            continue
        ex = it.get("extraction") if isinstance(it.get("extraction"), Mapping) else None
        md = ex.get("metadata") if ex and ex.get("extractor") == "email" else None
        if not isinstance(md, Mapping):
            continue
        headers = md.get("headers") if isinstance(md.get("headers"), Mapping) else {}
        iid = (str(it.get("id")),)
        for key, label in (
            ("from", "From"),
            ("reply_to", "Reply-To"),
            ("return_path", "Return-Path"),
            ("date", "Date"),
            ("subject", "Subject"),
            ("message_id", "Message-ID"),
        ):
            value = (headers or {}).get(key)
            if value:
                lines.append(Line(f"{it.get('id')} {label}: {value}", iid))
        hops = md.get("received") if isinstance(md.get("received"), list) else []
        lines.extend(
            Line(
                f"{it.get('id')} relay: from {hop.get('from_host')} "
                f"({hop.get('from_ip')}) to {hop.get('by_host')} at {hop.get('at')}",
                iid,
            )
            for hop in (hops or [])[:6]
            if isinstance(hop, Mapping) and hop.get("from_ip")
        )
    return Section(
        "E-mail headers of the messages",
        tuple(lines),
        "As written in the messages; the full original files are in the case.",
    )


def _references(s: Mapping[str, Any]) -> Section:
    lines = [
        Line(
            f"{r.get('agency')}: {r.get('number')}",
            source=f"your statement, step {r['seq']}" if r.get("seq") else "case details",
        )
        for r in s.get("references") or []
        if isinstance(r, Mapping)
    ]
    return Section(
        "Earlier reports and reference numbers",
        tuple(lines) or (Line("None yet.", source="case details"),),
    )


def _evidence(s: Mapping[str, Any]) -> Section:
    lines: list[Line] = []
    for it in s.get("items") or []:
        if not isinstance(it, Mapping):
            continue
        iid = (str(it.get("id")),)
        if it.get("withheld"):
            lines.append(Line(f"{it.get('kind')}, marked sensitive (not described here)", iid))
            continue
        lines.append(Line(f"{it.get('summary') or it.get('kind')}", iid))
        lines.extend(
            Line(f"Warning: {f.get('text')}", iid)
            for f in it.get("findings") or []
            if isinstance(f, Mapping) and f.get("severity") == "warning"
        )
    return Section(
        "The evidence held (what each item shows)",
        tuple(lines) or (Line("No items yet.", source="case details"),),
    )


def _identifiers(s: Mapping[str, Any]) -> Section:
    lines: list[Line] = []
    for e in _current(s.get("suspects")):
        details = e.get("details") if isinstance(e.get("details"), Mapping) else {}
        lines.extend(
            Line(
                f"{_DETAIL_LABELS.get(str(key), str(key))} used by a subject: {value}",
                _detail_items(e, str(key)),
                f"your statement, step {e.get('seq')}",
            )
            for key, value in (details or {}).items()
            if value and key != "name"
        )
    lines.extend(
        Line(
            f"{_KINDS.get(str(i.get('kind')), i.get('kind'))} found in the evidence: "
            f"{i.get('value')}",
            _ids(i.get("item_ids")),
        )
        for i in s.get("identifiers") or []
        if isinstance(i, Mapping) and i.get("kind") in ("ip", "btc", "eth", "crypto", "iban")
    )
    return Section(
        "Identifiers that may cross borders",
        tuple(lines) or (Line("None recorded.", source="case details"),),
    )


def _preservation(s: Mapping[str, Any]) -> Section:
    pres = s.get("preservation") or {}
    lines: list[Line] = []
    for t in pres.get("targets") or []:
        if not isinstance(t, Mapping):
            continue
        when = (
            f", {t.get('first')} to {t.get('last')}"
            if t.get("first") and t.get("first") != t.get("last")
            else (f", {t.get('first')}" if t.get("first") else "")
        )
        for i in t.get("identifiers") or []:
            if isinstance(i, Mapping):
                items = _ids(i.get("items"))
                lines.append(
                    Line(
                        f"{t.get('service')} ({t.get('kind')}){when}: {i.get('value')}",
                        items,
                        "" if items else "your statement",
                    )
                )
    return Section(
        "Data to ask services to keep (preservation)", tuple(lines), str(pres.get("note") or "")
    )


def _missing(s: Mapping[str, Any]) -> Section:
    lines = [
        Line(f"{m.get('text')} To fix: {m.get('fix')}", _ids(m.get("items")), "evkit status")
        for m in s.get("missing") or []
        if isinstance(m, Mapping)
    ]
    return Section(
        "Still missing (what police usually ask for)",
        tuple(lines) or (Line("Nothing on the checklist is missing.", source="evkit status"),),
    )


def build_draft(s: Mapping[str, Any], target: str) -> Draft:
    """The draft for one intake, from the report snapshot."""
    t = TARGETS[target]
    case = s.get("case") or {}
    where = Section(
        "Case",
        tuple(
            Line(text, source="case details")
            for text in (
                f"Case: {case.get('title')}",
                f"Jurisdiction: {case.get('jurisdiction')}" if case.get("jurisdiction") else "",
                f"Case ID: {case.get('case_id')}",
            )
            if text
        ),
    )
    people = _people(s)
    if target == "interpol":
        sections: Sequence[Section] = (
            _references(s),
            where,
            _incident(s),
            _money(s),
            _subjects(s),
            _identifiers(s),
            _email_headers(s),
            _preservation(s),
            *people,
            _missing(s),
        )
    elif target == "police":
        sections = (
            *people,
            where,
            _incident(s),
            _money(s),
            _subjects(s),
            _evidence(s),
            _references(s),
            _email_headers(s),
            _preservation(s),
            _missing(s),
        )
    else:
        sections = (
            *people,
            _money(s),
            _incident(s),
            _subjects(s),
            _email_headers(s),
            _references(s),
            _evidence(s),
            _missing(s),
        )
    intro = (
        f"{t.intro} Prepared by evkit from the case '{case.get('title')}'. Check every line "
        "before you send it: evkit copies only what is recorded in the case and adds "
        "nothing. Each line ends with what supports it: the evidence items in the case, "
        "or your own statement and its step in the case history."
    )
    return Draft(target, t.title, intro, tuple(sec for sec in sections if sec.lines))


def draft_text(draft: Draft) -> str:
    """The draft as plain text (control characters shown as codes)."""
    from evidence_kit.util import printable

    out = [printable(draft.title), "=" * min(len(draft.title), 78), printable(draft.intro), ""]
    for sec in draft.sections:
        out += [printable(sec.title), "-" * min(len(sec.title), 78)]
        if sec.note:
            out.append(f"({printable(sec.note)})")
        out += [f"- {printable(line.text)} {printable(line.cite())}".rstrip() for line in sec.lines]
        out.append("")
    return "\n".join(out)


def draft_html(draft: Draft) -> str:
    """The draft as one self-contained page: escaped, no scripts, no links (like index.html)."""
    from evidence_kit.report.html import CSP, esc

    body = []
    for sec in draft.sections:
        body.append(f"<h2>{esc(sec.title)}</h2>")
        if sec.note:
            body.append(f'<p class="muted">{esc(sec.note)}</p>')
        body.append(
            "<ul>"
            + "".join(
                f'<li>{esc(line.text)} <span class="cite">{esc(line.cite())}</span></li>'
                for line in sec.lines
            )
            + "</ul>"
        )
    style = (
        "body{font:14px/1.5 system-ui,sans-serif;max-width:900px;margin:0 auto;padding:24px;"
        "color:#111}h1{font-size:22px}h2{font-size:17px;border-bottom:1px solid #333}"
        ".cite{color:#555;font-size:12px}.muted{color:#555}li{margin:3px 0;"
        "overflow-wrap:anywhere}.ctl{color:#a00;font-family:monospace}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(draft.title)}</title><style>{style}</style></head><body>"
        f"<h1>{esc(draft.title)}</h1><p>{esc(draft.intro)}</p>" + "".join(body) + "</body></html>\n"
    )


class DraftRenderer:
    """One draft in one format (``kind``: ``txt`` or ``html``), shaped like a report renderer."""

    def __init__(self, target: str, kind: str) -> None:
        self.target = target
        self.kind = kind
        self.name = f"draft-{target}-{kind}"
        self.filename = f"draft-{target}.{kind}"
        self.media_type = "text/html" if kind == "html" else "text/plain"

    def render(self, report: ReportInput) -> bytes:
        draft = build_draft(report.snapshot, self.target)
        text = draft_html(draft) if self.kind == "html" else draft_text(draft)
        return text.encode("utf-8")


def renderers(targets: Sequence[str]) -> list[DraftRenderer]:
    """The text and HTML renderers of each target, in order."""
    return [DraftRenderer(t, kind) for t in targets for kind in ("txt", "html")]
