"""ISO 20022 camt.052 / camt.053 / camt.054 XML statements, read with entity expansion refused."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Final
from xml.parsers import expat

from evidence_kit.extractors.interface import Extraction
from evidence_kit.extractors.statement.common import Ledger, Txn, money_str, parse_date
from evidence_kit.extractors.statement.mt940 import mt_amount

# --------------------------------------------------------------------------------------------
# ISO 20022 camt.052 / camt.053 / camt.054
# --------------------------------------------------------------------------------------------


class _RefusedXmlError(Exception):
    """The XML declares a DTD or entities; refused to avoid entity-expansion bombs."""


class _StopReadingError(Exception):
    """Enough has been read (transaction cap)."""


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _find(el: ET.Element | None, path: str) -> ET.Element | None:
    """Find by "/"-separated local names (the tree is built without namespaces)."""
    if el is None:
        return None
    return el.find(path)


def _ftext(el: ET.Element | None, path: str) -> str:
    found = _find(el, path)
    return "" if found is None or found.text is None else " ".join(found.text.split())


def _camt_party(tx: ET.Element | None, role: str) -> tuple[str | None, str | None]:
    """Name and account (IBAN or other id) of the debtor or creditor of a transaction."""
    parties = _find(tx, "RltdPties")
    name = _ftext(parties, f"{role}/Pty/Nm") or _ftext(parties, f"{role}/Nm")
    acct = _ftext(parties, f"{role}Acct/Id/IBAN") or _ftext(parties, f"{role}Acct/Id/Othr/Id")
    return name or None, acct or None


class _CamtReader:
    """Streams a camt file with expat, building small trees only for the parts we need."""

    _STMT: Final = frozenset({"Stmt", "Rpt", "Ntfctn"})
    _CAPTURE: Final = frozenset({"Id", "Acct", "Bal", "Ntry", "FrToDt", "ElctrncSeqNb"})

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.statements: list[dict[str, Any]] = []
        self.stack: list[str] = []
        self.builder: ET.TreeBuilder | None = None
        self.capture_depth = 0
        self.stmt: dict[str, Any] | None = None
        self.entries = 0
        self.kind: str | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if self.kind is None and not self.stack:
            self.kind = (
                name.rsplit("}", 1)[0].lstrip("{").rsplit(":", 1)[-1] if "}" in name else None
            )
        self.stack.append(local)
        if self.builder is not None:
            self.builder.start(local, {_local(k): v for k, v in attrs.items()})
            return
        if local in self._STMT:
            self.stmt = {
                "id": None,
                "account": None,
                "currency": None,
                "from": None,
                "to": None,
                "opening_balance": None,
                "closing_balance": None,
                "transaction_count": 0,
            }
            self.statements.append(self.stmt)
        elif (
            self.stmt is not None
            and len(self.stack) >= 2
            and self.stack[-2] in self._STMT
            and local in self._CAPTURE
        ):
            self.builder = ET.TreeBuilder()
            self.capture_depth = len(self.stack)
            self.builder.start(local, {_local(k): v for k, v in attrs.items()})

    def data(self, text: str) -> None:
        if self.builder is not None:
            self.builder.data(text)

    def end(self, name: str) -> None:
        local = _local(name)
        if self.builder is not None:
            self.builder.end(local)
            if len(self.stack) == self.capture_depth:
                el = self.builder.close()
                self.builder = None
                self._handle(el)
        elif local in self._STMT:
            self.stmt = None
        self.stack.pop()

    def _handle(self, el: ET.Element) -> None:
        stmt = self.stmt
        if stmt is None:
            return
        if el.tag == "Id":
            stmt["id"] = " ".join((el.text or "").split())
        elif el.tag == "Acct":
            stmt["account"] = _ftext(el, "Id/IBAN") or _ftext(el, "Id/Othr/Id") or None
            stmt["currency"] = _ftext(el, "Ccy") or stmt["currency"]
        elif el.tag == "FrToDt":
            stmt["from"] = _ftext(el, "FrDtTm")[:10] or None
            stmt["to"] = _ftext(el, "ToDtTm")[:10] or None
        elif el.tag == "Bal":
            code = _ftext(el, "Tp/CdOrPrtry/Cd")
            amt_el = el.find("Amt")
            amount = mt_amount(_ftext(el, "Amt").replace(".", ","))
            if amount is not None and _ftext(el, "CdtDbtInd") == "DBIT":
                amount = -amount
            bal = {
                "amount": None if amount is None else money_str(amount),
                "currency": None if amt_el is None else amt_el.get("Ccy"),
                "date": (_ftext(el, "Dt/Dt") or _ftext(el, "Dt/DtTm")[:10]) or None,
            }
            if code in ("OPBD", "PRCD"):
                stmt["opening_balance"] = bal
            elif code in ("CLBD",):
                stmt["closing_balance"] = bal
        elif el.tag == "Ntry":
            self._entry(el, stmt)

    def _entry(self, el: ET.Element, stmt: dict[str, Any]) -> None:
        self.entries += 1
        n = self.entries
        raw_date = (
            _ftext(el, "BookgDt/Dt")
            or _ftext(el, "BookgDt/DtTm")
            or _ftext(el, "ValDt/Dt")
            or _ftext(el, "ValDt/DtTm")
        )
        when = parse_date(raw_date[:10])
        amt_el = el.find("Amt")
        raw_amount = _ftext(el, "Amt")
        amount = mt_amount(raw_amount.replace(".", ","))
        credit = _ftext(el, "CdtDbtInd") != "DBIT"
        if amount is not None and not credit:
            amount = -amount
        tx = el.find("NtryDtls/TxDtls")
        name, acct = _camt_party(tx, "Dbtr" if credit else "Cdtr")
        remittance = " ".join(
            u.text.strip()
            for u in el.iterfind("NtryDtls/TxDtls/RmtInf/Ustrd")
            if u.text and u.text.strip()
        )
        description = remittance or _ftext(el, "AddtlNtryInf") or _ftext(tx, "AddtlTxInf")
        extra: dict[str, str] = {}
        if acct:
            extra["counterparty_account"] = acct
        ref = _ftext(el, "AcctSvcrRef") or _ftext(tx, "Refs/EndToEndId")
        if ref:
            extra["reference"] = ref
        value_date = parse_date((_ftext(el, "ValDt/Dt") or _ftext(el, "ValDt/DtTm"))[:10])
        if value_date is not None:
            extra["value_date"] = value_date.isoformat()
        currency = (amt_el.get("Ccy") if amt_el is not None else None) or stmt.get("currency")
        txn = Txn(when, amount, description, currency, n, raw_date, None, name, extra)
        txn.unreadable = [
            f for f, bad in (("date", when is None), ("amount", amount is None)) if bad
        ]
        if txn.unreadable:
            txn.raw = {
                "date": raw_date,
                "amount": raw_amount,
                "credit_debit": _ftext(el, "CdtDbtInd"),
            }
            kept = self.ledger.keep_partial(
                txn,
                f"entry {n}: the date {raw_date[:40]!r} or amount {raw_amount[:40]!r} "
                "could not be read (the entry is kept as written)",
            )
        else:
            stmt["transaction_count"] += 1
            kept = self.ledger.add(txn)
        if not kept:
            raise _StopReadingError


def _refuse(*_args: object) -> int:
    raise _RefusedXmlError


def extract_camt(path: Path, head: bytes, ext: Extraction) -> None:
    meta = ext.metadata
    meta["format"] = "camt"
    declared = re.search(rb"<\?xml[^>]*encoding=[\"']([\w.-]+)", head[:512])
    meta["encoding"] = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    ledger = Ledger()
    reader = _CamtReader(ledger)
    parser = expat.ParserCreate(namespace_separator="}")
    # defusedxml's approach with the standard library: refuse any DTD or entity declaration,
    # so entity-expansion ("billion laughs") and external-entity attacks cannot start.
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.data
    parser.buffer_text = True
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1024 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _RefusedXmlError:
        ext.errors.append(
            "the XML declares a DOCTYPE or entities, which camt never needs; it "
            "was not read further (this is how XML bombs work)"
        )
    except _StopReadingError:
        pass
    except expat.ExpatError as exc:
        ext.errors.append(f"the XML is malformed ({exc}); entries before that point were read")
    meta["message_type"] = reader.kind
    meta["statements"] = reader.statements[:1000]
    first = reader.statements[0] if reader.statements else None
    meta["account"] = first["account"] if first else None
    meta["currency"] = first["currency"] if first else None
    ledger.finish(ext)
    if not reader.statements:
        ext.errors.insert(0, "no camt statement (Stmt/Rpt/Ntfctn) found in the XML")
    elif not ledger.txns:
        ext.errors.insert(0, "the camt statement contains no readable entries")
