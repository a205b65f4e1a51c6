"""OFX / QFX / QBO statements: ofxtools when it parses the file, else a tolerant SGML reader."""

from __future__ import annotations

import codecs
import html
import io
import re
import warnings
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any, Final

from evidence_kit.extractors.interface import Extraction
from evidence_kit.extractors.statement import common
from evidence_kit.extractors.statement.common import (
    MAX_MARKUP_BYTES,
    Ledger,
    Txn,
    make_date,
    money_str,
    parse_amount,
)

# --------------------------------------------------------------------------------------------
# OFX / QFX / QBO
# --------------------------------------------------------------------------------------------

_DANGEROUS_XML_RE: Final = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _ofx_tree_tolerant(text: str) -> ET.Element:
    """Build an element tree from OFX 1 (SGML, unclosed leaf tags) or OFX 2 (XML) markup.

    Linear-time and forgiving: a tag followed by text is a leaf; a closing tag closes the
    nearest open element of that name and is ignored if there is none; CDATA is text.
    """
    root = ET.Element("ROOT")
    stack = [root]
    start = text.upper().find("<OFX")
    i = max(start, 0)
    n = len(text)
    pending: ET.Element | None = None
    last_leaf: ET.Element | None = None

    def resolve() -> None:
        nonlocal pending, last_leaf
        if pending is None:
            return
        if (pending.text or "").strip():
            last_leaf = pending
        else:
            pending.text = None
            stack.append(pending)
            last_leaf = None
        pending = None

    while i < n:
        lt = text.find("<", i)
        chunk = text[i:] if lt == -1 else text[i:lt]
        if pending is not None and chunk:
            pending.text = (pending.text or "") + chunk
        if lt == -1:
            break
        if text.startswith("<![CDATA[", lt):
            end = text.find("]]>", lt + 9)
            content = text[lt + 9 : end if end != -1 else n]
            if pending is not None:
                # CDATA is raw: escape it so the later unescape leaves it as written.
                pending.text = (pending.text or "") + html.escape(content, quote=False)
            i = n if end == -1 else end + 3
            continue
        if text.startswith("<!--", lt):
            end = text.find("-->", lt + 4)
            i = n if end == -1 else end + 3
            continue
        gt = text.find(">", lt + 1)
        if gt == -1:
            break
        body = text[lt + 1 : gt].strip()
        i = gt + 1
        if not body or body[0] in "?!":
            continue
        closing = body.startswith("/")
        name = body[1:].strip() if closing else body.split()[0]
        name = name.rstrip("/").upper()
        if not name or len(name) > 64:
            continue
        was_pending = pending
        resolve()
        if closing:
            if was_pending is not None and was_pending is last_leaf and last_leaf.tag == name:
                continue  # </CODE> after <CODE>0: an explicitly closed leaf
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].tag == name:
                    del stack[depth:]
                    break
            continue
        pending = ET.SubElement(stack[-1], name)
        if body.endswith("/"):
            pending = None  # <TAG/> is an empty element
    resolve()
    return root


def _text(el: ET.Element | None, tag: str) -> str:
    """Unescaped text of a direct child leaf, "" if missing."""
    if el is None:
        return ""
    child = el.find(tag)
    if child is None or child.text is None:
        return ""
    return " ".join(html.unescape(child.text).split())


_OFX_DATE_RE: Final = re.compile(r"\s*(\d{4})(\d{2})(\d{2})")


def _ofx_date(raw: str) -> date | None:
    m = _OFX_DATE_RE.match(raw)
    return None if m is None else make_date(int(m[1]), int(m[2]), int(m[3]))


def _ofx_date_str(raw: str) -> str | None:
    d = _ofx_date(raw)
    return None if d is None else d.isoformat()


def _ofx_balance(el: ET.Element | None) -> dict[str, Any] | None:
    if el is None:
        return None
    amount = parse_amount(_text(el, "BALAMT"), ".")
    return {
        "amount": None if amount is None else money_str(amount.amount),
        "as_of": _ofx_date_str(_text(el, "DTASOF")),
    }


_STATEMENT_TAGS: Final = {"STMTRS": "bank", "CCSTMTRS": "creditcard", "INVSTMTRS": "investment"}
_ACCOUNT_TAGS: Final = ("BANKACCTFROM", "CCACCTFROM", "INVACCTFROM")


def _ofx_codec(declared: str | None) -> str:
    """Python codec for an OFX CHARSET/encoding declaration ("1252", "ISO-8859-1", "UTF-8")."""
    name = (declared or "").strip().lower()
    if name.isdigit():
        name = f"cp{name}"
    try:
        return codecs.lookup(name).name if name and name != "none" else "cp1252"
    except LookupError:
        return "cp1252"


def _ofx_decode(data: bytes, codec: str) -> str:
    # Files that say CHARSET:1252 are often really UTF-8; UTF-8 that decodes cleanly wins.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(codec, errors="replace")


def _ofx_tree(data: bytes, codec: str, meta: dict[str, Any]) -> ET.Element:
    """ofxtools' tree if it parses the file, else the tolerant reader's."""
    if len(data) <= common.MAX_OFXTOOLS_BYTES:
        try:
            from ofxtools.Parser import OFXTree

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = OFXTree()
                # Blank lines before the header are common and harmless; ofxtools rejects them.
                root = tree.parse(io.BytesIO(data.lstrip()))
                meta["parser"] = "ofxtools"
                try:
                    tree.convert()
                    meta["strict_ofx_check"] = {"passed": True, "problem": None}
                except Exception as exc:
                    meta["strict_ofx_check"] = {
                        "passed": False,
                        "problem": f"{type(exc).__name__}: {exc}"[:300],
                    }
                return root
        except Exception as exc:
            meta["ofxtools_problem"] = f"{type(exc).__name__}: {exc}"[:300]
    meta["parser"] = "tolerant"
    meta["strict_ofx_check"] = {"passed": False, "problem": "ofxtools could not parse the file"}
    return _ofx_tree_tolerant(_ofx_decode(data, codec))


def _ofx_stmttrn(el: ET.Element, curdef: str | None, n: int, ledger: Ledger) -> bool:
    """One STMTTRN to the ledger; False when the ledger is full."""
    raw_date = _text(el, "DTPOSTED") or _text(el, "DTUSER")
    when = _ofx_date(raw_date)
    raw_amount = _text(el, "TRNAMT")
    money = parse_amount(raw_amount, None)
    problems: list[str] = []
    unreadable: list[str] = []
    if when is None:
        problems.append(f"the date {raw_date[:40] or '(empty)'!r} could not be read")
        unreadable.append("date")
    if money is None:
        problems.append(f"the amount {raw_amount[:40] or '(empty)'!r} could not be read")
        unreadable.append("amount")
    currency_el = el.find("CURRENCY")
    if currency_el is None:
        currency_el = el.find("ORIGCURRENCY")
    currency = (
        _text(currency_el, "CURSYM").upper()
        or (money.currency if money is not None else None)
        or curdef
    )
    name = _text(el, "NAME") or _text(el.find("PAYEE"), "NAME")
    memo = _text(el, "MEMO")
    description = name if not memo or memo == name else (f"{name} / {memo}" if name else memo)
    extra = {
        k: v
        for k, v in (
            ("type", _text(el, "TRNTYPE")),
            ("fitid", _text(el, "FITID")),
            ("memo", memo),
            ("reference", _text(el, "REFNUM")),
            ("checknum", _text(el, "CHECKNUM")),
        )
        if v
    }
    bal = parse_amount(_text(el, "ACCTBAL"), ".")  # a non-standard extension some banks use
    txn = Txn(
        when,
        None if money is None else money.amount,
        description,
        currency,
        n,
        raw_date,
        None if bal is None else bal.amount,
        name or None,
        extra,
    )
    if unreadable:
        txn.raw, txn.unreadable = {"date": raw_date, "amount": raw_amount}, unreadable
        return ledger.keep_partial(
            txn,
            f"transaction {n}: " + "; ".join(problems) + " (the transaction is kept as written)",
        )
    return ledger.add(txn)


def _ofx_invtran(el: ET.Element, curdef: str | None, n: int, ledger: Ledger) -> bool:
    """An investment transaction (BUYMF, REINVEST...) with a TOTAL becomes a transaction."""
    inv = el.find(".//INVTRAN")
    raw_date = _text(inv, "DTTRADE") or _text(inv, "DTSETTLE")
    when = _ofx_date(raw_date)
    total_el = el.find(".//TOTAL")
    total = "" if total_el is None or total_el.text is None else total_el.text.strip()
    money = parse_amount(total, ".")
    if total_el is None:
        return True  # transfers of units have no cash amount; counted in the statement summary
    extra = {"type": el.tag, "kind": "investment"}
    if fitid := _text(inv, "FITID"):
        extra["fitid"] = fitid
    txn = Txn(
        when,
        None if money is None else money.amount,
        _text(inv, "MEMO"),
        curdef,
        n,
        raw_date,
        None,
        None,
        extra,
    )
    txn.unreadable = [f for f, bad in (("date", when is None), ("amount", money is None)) if bad]
    if txn.unreadable:
        txn.raw = {"date": raw_date, "amount": total}
        return ledger.keep_partial(
            txn,
            f"transaction {n} ({el.tag}): the date {raw_date[:40]!r} "
            f"or the total {total[:40]!r} could not be read (the "
            "transaction is kept as written)",
        )
    return ledger.add(txn)


def extract_ofx(path: Path, ext: Extraction) -> None:
    meta = ext.metadata
    meta["format"] = "ofx"
    with path.open("rb") as fh:
        data = fh.read(MAX_MARKUP_BYTES + 1)
    if len(data) > MAX_MARKUP_BYTES:
        data = data[:MAX_MARKUP_BYTES]
        ext.errors.append(
            f"the file is larger than {MAX_MARKUP_BYTES // 2**20} MB; only the start was read"
        )
    if _DANGEROUS_XML_RE.search(data):
        ext.errors.append(
            "the file declares a DOCTYPE or ENTITY, which OFX never needs; it was "
            "not parsed (this is how XML bombs work)"
        )
        return
    head = data[:4096].decode("latin-1")
    version = re.search(r"VERSION\s*[:=]\s*\"?(\d+)", head)
    meta["ofx_version"] = version.group(1) if version else None
    enc = re.search(r"(?:CHARSET|encoding)\s*[:=]\s*[\"']?([\w-]+)", head)
    meta["encoding"] = _ofx_codec(enc.group(1) if enc else None)
    root = _ofx_tree(data, meta["encoding"], meta)
    sonrs = next(root.iter("SONRS"), None)
    fi = sonrs.find("FI") if sonrs is not None else None
    meta["institution"] = {"org": _text(fi, "ORG") or None, "fid": _text(fi, "FID") or None}
    meta["server_date"] = _ofx_date_str(_text(sonrs, "DTSERVER"))
    status: list[dict[str, str | None]] = [
        {
            "in": parent.tag,
            "code": _text(st, "CODE") or None,
            "severity": _text(st, "SEVERITY") or None,
            "message": _text(st, "MESSAGE") or None,
        }
        for parent in root.iter()
        for st in parent.findall("STATUS")
    ]
    meta["status"] = status[:100]
    ledger = Ledger()
    statements: list[dict[str, Any]] = []
    seen: set[int] = set()
    n = 0
    containers = [el for el in root.iter() if el.tag in _STATEMENT_TAGS]
    for stmt in [*containers, root]:
        curdef = _text(stmt, "CURDEF").upper() or None
        before = len(ledger.txns)
        trns = [t for t in stmt.iter("STMTTRN") if id(t) not in seen]
        for t in trns:
            seen.add(id(t))
            n += 1
            if not _ofx_stmttrn(t, curdef, n, ledger):
                break
        invlist = stmt.find("INVTRANLIST")
        inv_count = 0
        if invlist is not None and stmt is not root:
            for child in invlist:
                if child.tag in ("INVBANKTRAN", "DTSTART", "DTEND"):
                    continue
                inv_count += 1
                n += 1
                if not _ofx_invtran(child, curdef, n, ledger):
                    break
        if stmt is root:
            if len(ledger.txns) > before:  # STMTTRN outside any statement: a broken file
                statements.append(
                    {
                        "type": "unknown",
                        "account": None,
                        "currency": None,
                        "transaction_count": len(ledger.txns) - before,
                    }
                )
            break
        account_el = next((a for a in (stmt.find(t) for t in _ACCOUNT_TAGS) if a is not None), None)
        account = (
            {
                c.tag.lower(): " ".join(html.unescape(c.text or "").split())
                for c in account_el
                if len(c) == 0
            }
            if account_el is not None
            else None
        )
        tranlist = stmt.find("BANKTRANLIST")
        if tranlist is None:
            tranlist = invlist
        entry: dict[str, Any] = {
            "type": _STATEMENT_TAGS[stmt.tag],
            "account": account,
            "currency": curdef,
            "start": _ofx_date_str(_text(tranlist, "DTSTART")),
            "end": _ofx_date_str(_text(tranlist, "DTEND")),
            "ledger_balance": _ofx_balance(stmt.find("LEDGERBAL")),
            "available_balance": _ofx_balance(stmt.find("AVAILBAL")),
            "transaction_count": len(ledger.txns) - before,
        }
        if inv_count:
            entry["investment_transactions"] = inv_count
        statements.append(entry)
    meta["statements"] = statements
    first = next((s for s in statements if s.get("account")), None)
    meta["account"] = first["account"] if first else None
    meta["currency"] = first["currency"] if first else None
    ledger.finish(ext)
    bad = [
        s
        for s in status
        if (s["severity"] or "").upper() == "ERROR"
        or (s["code"] not in (None, "0") and (s["severity"] or "").upper() != "INFO")
    ]
    for s in bad:
        ext.errors.append(
            f"the bank's file reports an error in {s['in']}: code {s['code']}"
            f" ({s['severity']}) {s['message'] or ''}".strip()
        )
    if not ledger.txns:
        if bad:
            ext.errors.insert(
                0,
                "the OFX file contains no transactions: the bank sent an error "
                "message instead of a statement",
            )
        elif not containers and not n:
            ext.errors.insert(0, "no OFX statement found in the file")
        else:
            ext.errors.insert(0, "the OFX file contains no readable transactions")
