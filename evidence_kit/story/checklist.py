"""What is still missing: a checklist built from police guidance for victims, computed from
the case, each point with the command that fixes it.

Police and reporting services ask for: a summary of what happened; for every payment, the
evidence of it and where the money went; every way to identify the people involved; e-mails
with their full headers (the original message, not a forwarded copy); dated screenshots; the
crime or report reference number; and a way to contact the person reporting. Each check below
looks for one of these in the case and, when it is missing, says so in plain words.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evidence_kit.models import Item
from evidence_kit.story.narrative import (
    Entry,
    Narrative,
    incident_text,
    person,
    references,
)
from evidence_kit.timeutil import time_text

#: Suspect details that let police find someone (a name alone does not).
CONTACT_FIELDS = ("email", "phone", "username", "url", "account", "wallet", "ip")


@dataclass(frozen=True, slots=True)
class Missing:
    """One point of the checklist: what is missing, in plain words, and how to fix it."""

    code: str  # stable: "incident", "collector-contact", "reference", "loss-evidence", ...
    text: str
    fix: str  # a command to paste (or the step to take, then the command)
    items: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "fix": self.fix, "items": list(self.items)}


def _q(value: Any) -> str:
    return shlex.quote(str(value))


def _report_to(info: Mapping[str, Any]) -> str:
    where = str(info.get("jurisdiction") or "").lower()
    if any(w in where for w in ("england", "wales", "northern ireland", "united kingdom", "uk")):
        return (
            "Report it to Report Fraud (reportfraud.police.uk, formerly Action Fraud) or to "
            "the police, then record the number: evkit ref add --agency 'Report Fraud' "
            "--number NFRC..."
        )
    if any(w in where for w in ("united states", "usa", "u.s.")):
        return (
            "Report it to the FBI's IC3 (ic3.gov) or to local police, then record the number: "
            "evkit ref add --agency IC3 --number NUMBER"
        )
    return (
        "Report it to the police, then record the number: evkit ref add --agency "
        "'AGENCY' --number NUMBER"
    )


def _loss_fix(e: Entry, item: str | None) -> str:
    d = e.data
    parts = ["evkit loss add", "--amount", _q(d.get("amount")), "--currency", _q(d.get("currency"))]
    when = d.get("at_given") or d.get("date")
    if when:
        parts += ["--date", _q(when)]
    if d.get("method"):
        parts += ["--method", _q(d["method"])]
    parts += ["--to-account", _q(d["to_account"]) if d.get("to_account") else "'ACCOUNT OR WALLET'"]
    if d.get("reference"):
        parts += ["--reference", _q(d["reference"])]
    ids = [str(i) for i in d.get("item_ids") or []]
    for i in ids or [item or "ITEM"]:
        parts += ["--item", _q(i)]
    parts += ["--supersedes", str(e.seq)]
    return " ".join(parts)


def _statement_for(e: Entry, items: Mapping[str, Item]) -> str | None:
    """An item whose statement holds a transaction equal to the loss, if any."""
    from evidence_kit.extractors.findings.base import losses_of
    from evidence_kit.extractors.findings.statement import matches

    loss = losses_of([e.to_dict()])[0]
    for item in items.values():
        ex = item.extraction or {}
        md = ex.get("metadata") if ex.get("extractor") == "statement" else None
        txs = md.get("transactions") if isinstance(md, dict) else None
        for tx in txs if isinstance(txs, list) else []:
            if isinstance(tx, dict) and matches(tx, loss):
                return item.id
    return None


def _mail_key(md: Mapping[str, Any]) -> tuple[str, str]:
    headers = md.get("headers") if isinstance(md.get("headers"), dict) else {}
    headers = headers or {}
    return (
        str(headers.get("message_id") or "").strip().lower(),
        " ".join(str(headers.get("subject") or "").lower().removeprefix("fwd:").split()),
    )


def _original_present(md: Mapping[str, Any], items: Mapping[str, Item]) -> bool:
    """True if the case also holds a copy of this e-mail *with* its relay lines (the same
    Message-ID, or the same subject when the copy has no Message-ID)."""
    mid, subject = _mail_key(md)
    for other in items.values():
        ex = other.extraction or {}
        omd = ex.get("metadata") if ex.get("extractor") == "email" else None
        if not isinstance(omd, dict) or not omd.get("received"):
            continue
        other_mid, other_subject = _mail_key(omd)
        if (mid and mid == other_mid) or (not mid and subject and subject == other_subject):
            return True
    return False


def _label(item: Item) -> str:
    return item.id if item.sensitive else f"{item.id} ({item.name[:60]!r})"


def still_missing(
    info: Mapping[str, Any], items: Mapping[str, Item], narrative: Narrative
) -> list[Missing]:
    """The checklist, in the order a victim should work through it."""
    out: list[Missing] = []
    tz_name = str(info.get("timezone") or "UTC")
    if not incident_text(info, narrative):
        out.append(
            Missing(
                "incident",
                "There is no summary of what happened yet: who contacted you, how and when, "
                "what they asked for, what you paid, and what made you realise it was a crime.",
                "evkit incident 'In my own words: ...'",
            )
        )
    contact = person(info, narrative, "collector")
    if not contact.get("email") and not contact.get("phone"):
        out.append(
            Missing(
                "collector-contact",
                "There is no e-mail address or phone number for the person who collected this "
                "evidence, so police cannot reach them.",
                "evkit collector --email you@example.org --phone '+44 ...'",
            )
        )
    if not references(info, narrative):
        out.append(
            Missing("reference", "No crime or report reference number yet.", _report_to(info))
        )
    for e in narrative.current("loss"):
        d = e.data
        when = time_text(d.get("at") or d.get("date"), tz_name)
        what = f"The payment of {d.get('amount')} {d.get('currency')}" + (
            f" on {when}" if when else ""
        )
        no_item = not d.get("item_ids")
        no_account = not d.get("to_account")
        if not no_item and not no_account:
            continue
        gaps = []
        if no_item:
            gaps.append("no evidence item (a bank statement, receipt or screenshot of it)")
        if no_account:
            gaps.append("no account or wallet the money went to")
        found = _statement_for(e, items) if no_item else None
        hint = (
            f" {found} holds a transaction of that amount: link it."
            if found
            else " Add the statement or receipt first (evkit add FILE), then:"
            if no_item
            else ""
        )
        out.append(
            Missing(
                "loss-evidence" if no_item else "loss-account",
                f"{what} has {' and '.join(gaps)}.{hint}",
                _loss_fix(e, found),
                (found,) if found else (),
            )
        )
    for e in narrative.current("suspect"):
        details = e.data.get("details") if isinstance(e.data.get("details"), dict) else {}
        details = details or {}
        if details.get("name") and not any(details.get(k) for k in CONTACT_FIELDS):
            out.append(
                Missing(
                    "suspect-contact",
                    f"The suspect {details['name']!r} has a name but no way to identify them: "
                    "add the e-mail, phone, user name, profile address or account they used.",
                    f"evkit suspect add --name {_q(details['name'])} --email ADDRESS "
                    f"--phone NUMBER --supersedes {e.seq}",
                )
            )
    dated = {
        str(i)
        for e in narrative.current("note")
        if e.data.get("at")
        for i in e.data.get("item_ids") or []
    }
    undated: list[Missing] = []
    for item in items.values():
        ex = item.extraction or {}
        md = ex.get("metadata") if isinstance(ex.get("metadata"), dict) else {}
        md = md or {}
        if (
            ex.get("extractor") == "email"
            and not md.get("received")
            and not item.parent
            and not _original_present(md, items)
        ):
            out.append(
                Missing(
                    "email-headers",
                    f"The e-mail {_label(item)} has no relay lines (full headers), so it cannot "
                    "show where it came from: it is probably a forwarded or pasted copy. Save "
                    "the original message with its full headers as a .eml file (in Gmail: "
                    "More, Download message; in Outlook: File, Save As) and add it.",
                    "evkit add MESSAGE.eml",
                    (item.id,),
                )
            )
        if md.get("looks_like_screenshot") is True and item.id not in dated:
            fields = {t.get("field") for t in ex.get("times") or [] if isinstance(t, dict)}
            if not fields & {"exif.DateTimeOriginal", "png.text.Creation Time", "png.tIME"}:
                undated.append(
                    Missing(
                        "screenshot-date",
                        f"The screenshot {_label(item)} has no date: write down when you took it "
                        "and what it shows.",
                        f"evkit note 'What this screenshot shows' --at 'YYYY-MM-DD HH:MM' "
                        f"--item {item.id}",
                        (item.id,),
                    )
                )
    return out + undated
