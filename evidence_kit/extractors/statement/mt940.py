"""SWIFT MT940 statements (``:20:``, ``:25:``, ``:60F:``, ``:61:``, ``:86:`` ...)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from evidence_kit.extractors.interface import Extraction
from evidence_kit.extractors.statement.common import Ledger, Txn, make_date, money_str, year

# --------------------------------------------------------------------------------------------
# SWIFT MT940
# --------------------------------------------------------------------------------------------

_MT_TAG_RE: Final = re.compile(r":(\d{2}[A-Z]?):(.*)")
_MT_61_RE: Final = re.compile(
    r"(?P<vdate>\d{6})(?P<edate>\d{4})?(?P<mark>RC|RD|EC|ED|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,]*)(?P<rest>.*)",
    re.S,
)
_MT_BAL_RE: Final = re.compile(r"(?P<mark>[CD])(?P<date>\d{6})(?P<cur>[A-Z]{3})(?P<amount>[\d,]+)")


def _mt_date(yymmdd: str) -> date | None:
    return make_date(year(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))


def mt_amount(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ".").rstrip(".") or "x")
    except InvalidOperation:
        return None


def _mt_balance(value: str) -> dict[str, Any] | None:
    m = _MT_BAL_RE.match(value.strip())
    if m is None:
        return None
    amount = mt_amount(m["amount"])
    when = _mt_date(m["date"])
    if amount is None:
        return None
    if m["mark"] == "D":
        amount = -amount
    return {
        "amount": money_str(amount),
        "currency": m["cur"],
        "date": None if when is None else when.isoformat(),
    }


def extract_mt940(text: str, ext: Extraction) -> None:
    meta = ext.metadata
    meta["format"] = "mt940"
    tags: list[list[Any]] = []  # [tag, value, line]
    for lineno, raw_line in enumerate(text.splitlines(), 1):
        line = raw_line.rstrip()
        if line.startswith("{"):
            # SWIFT envelope "{1:...}{2:...}{4:" precedes the fields; keep what follows "{4:".
            cut = line.find("{4:")
            if cut == -1:
                continue
            line = line[cut + 3 :]
        if line in ("-", "-}", "}"):
            continue
        m = _MT_TAG_RE.match(line)
        if m:
            tags.append([m[1], m[2], lineno])
        elif tags:
            tags[-1][1] += "\n" + line
    ledger = Ledger()
    statements: list[dict[str, Any]] = []
    stmt: dict[str, Any] | None = None
    # [line, :61: match (None if the line has no readable shape), [:86: texts], :61: as written]
    pending: list[Any] | None = None

    def flush() -> None:
        nonlocal pending
        if pending is None or stmt is None:
            pending = None
            return
        line, m61, info, written = pending
        pending = None
        details = " ".join(" ".join(info).split())
        currency = stmt.get("currency")
        if m61 is None:  # kept with its text: every payment matters even when unreadable
            txn = Txn(
                None,
                None,
                details,
                currency,
                line,
                "",
                None,
                None,
                {},
                {"line": written},
                ["date", "amount"],
            )
            ledger.keep_partial(
                txn,
                f"line {line}: the :61: line {written[:60]!r} could not "
                "be read (the transaction is kept as written)",
            )
            return
        when = _mt_date(m61["vdate"])
        amount = mt_amount(m61["amount"])
        if amount is not None and m61["mark"] in ("D", "RC", "ED"):
            amount = -amount
        rest = m61["rest"]
        extra: dict[str, str] = {}
        code = re.match(r"[NSF][A-Z0-9]{3}", rest)
        if code:
            extra["type"] = code.group(0)
            rest = rest[4:]
        reference = " ".join(rest.split())
        if reference:
            extra["reference"] = reference[:300]
        txn = Txn(
            when, amount, details or reference, currency, line, m61["vdate"], None, None, extra
        )
        txn.unreadable = [
            f for f, bad in (("date", when is None), ("amount", amount is None)) if bad
        ]
        if txn.unreadable:
            txn.raw = {
                "line": written,
                "date": m61["vdate"],
                "mark": m61["mark"],
                "amount": m61["amount"],
            }
            ledger.keep_partial(
                txn,
                f"line {line}: the {' and the '.join(txn.unreadable)} on "
                f"the :61: line {written[:60]!r} could not be read (the "
                "transaction is kept as written)",
            )
            return
        stmt["transaction_count"] += 1
        ledger.add(txn)

    for tag, value, lineno in tags:
        if ledger.full:
            ledger.truncated = True
            break
        if tag == "20":
            flush()
            stmt = {
                "reference": value.strip(),
                "account": None,
                "statement_number": None,
                "currency": None,
                "opening_balance": None,
                "closing_balance": None,
                "transaction_count": 0,
            }
            statements.append(stmt)
            continue
        if stmt is None:
            continue
        if tag == "25":
            stmt["account"] = value.strip()
            cur = re.search(r"([A-Z]{3})$", value.strip())
            if cur and stmt["currency"] is None:
                stmt["currency"] = cur.group(1)
        elif tag in ("28", "28C"):
            stmt["statement_number"] = value.strip()
        elif tag in ("60F", "60M"):
            stmt["opening_balance"] = _mt_balance(value)
            if stmt["opening_balance"]:
                stmt["currency"] = stmt["opening_balance"]["currency"]
        elif tag == "61":
            flush()
            pending = [lineno, _MT_61_RE.match(value.strip()), [], value.strip()]
        elif tag == "86":
            if pending is not None:
                pending[2].append(value)
            else:
                stmt["information"] = " ".join(value.split())[:500]
        elif tag in ("62F", "62M"):
            flush()
            stmt["closing_balance"] = _mt_balance(value)
        elif tag == "64":
            stmt["available_balance"] = _mt_balance(value)
    flush()
    meta["statements"] = statements[:1000]
    meta["account"] = statements[0]["account"] if statements else None
    meta["currency"] = statements[0]["currency"] if statements else None
    ledger.finish(ext)
    if not statements:
        ext.errors.insert(0, "no MT940 statement (:20: field) found in the file")
    elif not ledger.txns and not ledger.skipped:
        ext.errors.insert(0, "the MT940 statements contain no transactions")
    elif not ledger.txns:
        ext.errors.insert(0, "no transaction could be read")
