"""Bank statement findings: what period and how many transactions it covers, money out, and
the transactions that match a loss the collector recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from evidence_kit.extractors.findings.base import plural, quoted
from evidence_kit.extractors.interface import Description, Finding, LossView, RecordView

#: A statement's booking date may follow the payment by a few days.
MATCH_DAYS = 5
_FORMATS = {"csv": "CSV", "ofx": "OFX", "mt940": "MT940", "camt": "ISO 20022 camt"}


def _decimal(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def matches(tx: Mapping[str, Any], loss: LossView) -> bool:
    """True if a transaction is that loss: the same amount out, currency if both say, and a
    date within :data:`MATCH_DAYS`."""
    amount, wanted = _decimal(tx.get("amount")), _decimal(loss.amount)
    if amount is None or wanted is None or amount != -wanted:
        return False
    currency = tx.get("currency")
    if currency and loss.currency and str(currency).upper() != loss.currency.upper():
        return False
    booked, paid = _day(tx.get("date")), _day(loss.date)
    return booked is None or paid is None or abs((booked - paid).days) <= MATCH_DAYS


def describe(view: RecordView) -> Description:
    """The statement's summary line and findings."""
    md = view.metadata
    fmt = md.get("format")
    if not fmt:
        note = md.get("note")
        return Description(
            "Text file" if view.mime.startswith("text/") else "File",
            f"File {quoted(view.name, 100)}"
            + (f" (not read as a bank statement: {note})" if note else ""),
        )
    kind = f"Bank statement ({_FORMATS.get(str(fmt), str(fmt))})"
    raw = md.get("transactions")
    txs = [t for t in raw if isinstance(t, Mapping)] if isinstance(raw, list) else []
    span = md.get("date_range")
    period = ""
    if isinstance(span, Mapping) and span.get("first"):
        period = f", {span.get('first')} to {span.get('last')}"
    totals = md.get("totals")
    out_parts = []
    if isinstance(totals, Mapping):
        for cur, t in totals.items():
            if isinstance(t, Mapping) and t.get("out") not in (None, "0", "0.00"):
                label = "" if cur == "?" else f" {cur}"
                out_parts.append(f"{t.get('out')}{label}")
    summary = f"{kind}: {plural(len(txs), 'transaction')}{period}"
    if out_parts:
        summary += f"; money out {', '.join(out_parts)}"
    findings: list[Finding] = []
    for loss in view.losses:
        for tx in txs:
            if matches(tx, loss):
                who = tx.get("counterparty") or tx.get("description")
                findings.append(
                    Finding(
                        "statement.loss-match",
                        "notable",
                        f"The transaction of {tx.get('date')}, {tx.get('amount')}"
                        + (f" {tx['currency']}" if tx.get("currency") else "")
                        + (f" ({quoted(who, 60)})" if who else "")
                        + f" matches the loss of {loss.amount} {loss.currency} you recorded"
                        + (f" (step {loss.seq} of the case history)." if loss.seq else "."),
                    )
                )
                break
    left = md.get("left_out_of_totals")
    rows = left.get("rows") if isinstance(left, Mapping) else 0
    if isinstance(rows, int) and rows > 0:
        findings.append(
            Finding(
                "statement.rows-unread",
                "notable",
                f"{plural(rows, 'row')} could not be read in full and "
                f"{'is' if rows == 1 else 'are'} left out of the totals.",
            )
        )
    return Description(kind, summary, tuple(findings))
