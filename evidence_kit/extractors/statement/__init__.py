"""Bank statements: CSV/TSV exports, OFX/QFX/QBO, SWIFT MT940 and ISO 20022 camt.053 XML.

A fraud victim's bank statement is the evidence of the loss. This extractor lists every
transaction it can read (date, description, signed amount, currency, running balance) so the
case report can total the money that left the account, and it says plainly which rows it could
not read and why. A row whose date or amount cannot be read is never dropped: it is kept in
``partial_transactions`` with everything else that could be read and its values as written,
and the totals say that they leave it out. PDF statements are handled by the ``pdf`` extractor,
not here.

Metadata schema (all formats; the loss report relies on it)::

    format            "csv" | "ofx" | "mt940" | "camt" | None (not recognised as a statement;
                      then "note" says why, and "errors" too if the name promised a statement)
    encoding          Python codec used to decode the text, e.g. "utf-8", "cp1252"
                      (CSV also has encoding_guessed: True unless a BOM or valid UTF-8 decided)
    transactions      list of dicts, in file order:
        date          "YYYY-MM-DD" as written in the file (no time-zone conversion)
        description   str ("" if none)
        counterparty  str | None (payee / payer column, OFX NAME, camt Dbtr/Cdtr name)
        amount        str decimal, signed: negative = money out of the account, e.g. "-12.34"
        currency      ISO 4217 code such as "GBP", or None if the file does not say
        balance       str decimal | None (running balance after the transaction, if given)
        row           int: CSV = line number in the file where the record ends (1-based);
                      OFX = n-th STMTTRN in the file; MT940 = line of the :61: field;
                      camt = n-th Ntry in the file
        ...           optional extras, only when present: "type", "reference", "memo",
                      "fitid", "checknum", "value_date" (YYYY-MM-DD), "counterparty_account",
                      "kind" ("investment" for OFX BUYMF/REINVEST/...: amount = TOTAL as written)
    transaction_count int, == len(transactions)
    partial_transactions  list of dicts, in file order: rows/entries that looked like
                      transactions but whose date or amount could not be read. Same keys as
                      ``transactions``, but "date" and/or "amount" are None, plus:
        unreadable    ["date"] | ["amount"] | ["date", "amount"]: what could not be read
        raw           {field: text as written}: CSV "date", "amount" / "debit" / "credit",
                      "balance"...; OFX "date", "amount"; MT940 "line" (the :61: text) and,
                      when its shape was readable, "date", "mark", "amount"; camt "date",
                      "amount", "credit_debit"
        note          plain words, e.g. "the date could not be read"
    totals            {"EUR" (or "?" when unknown): {"in": str, "out": str, "net": str,
                      "count": int}}; "out" is a positive number (money out), net = in - out;
                      over ``transactions`` only (see left_out_of_totals)
    date_range        {"first": "YYYY-MM-DD", "last": "YYYY-MM-DD"} | None (``transactions``)
    left_out_of_totals {"rows": int, "reasons": {"the date could not be read": n, ...},
                      "note": str | None}: the rows totals, counts and date_range leave out
    skipped_rows      int: rows/entries that looked like transactions but could not be read in
                      full (== left_out_of_totals["rows"]; up to 20 reasons are in
                      Extraction.errors; the rows themselves are in partial_transactions)
    truncated         bool: True if more than 100,000 transactions were present (rest not read)
    timeline_capped   bool: True if only the first 1,000 transactions became timeline facts
                      (partial rows with a readable date become facts too, if room is left)

    The keys above are always present (empty / None / 0 / False when nothing was read).

    CSV only: delimiter, header (list of str, or None when the file has no header row),
    header_row (1-based line of the header, or None), columns ({"date": i, "amount": i,
    "debit": i, "credit": i, "direction": i, "balance": i, "currency": i, "value_date": i,
    "counterparty": i, "type": i, "description": [i, ...]}; 0-based, only roles found),
    decimal_separator ("." or ","), date_order ("day-first" | "month-first", when dates
    like 03/04/2024 occur) with date_order_basis ("values" | "sort order" | "convention" |
    "guess"), ignored_rows (rows with fewer than two filled cells: notes and footers),
    currency_symbols (symbols such as "$" that do not name one currency).

    OFX: ofx_version, parser ("ofxtools" | "tolerant"), strict_ofx_check {"passed", "problem"}
    (many genuine bank files fail the strict OFX specification; failing is not a sign of
    tampering), institution {"org", "fid"}, server_date, status [{"in", "code", "severity",
    "message"}], statements [{"type", "account": {...as written...}, "currency", "start",
    "end", "ledger_balance": {"amount", "as_of"}, "available_balance", "transaction_count",
    "investment_transactions"?}], account and currency (of the first statement),
    ofxtools_problem (why ofxtools could not parse it, when parser is "tolerant").

    MT940 / camt: statements [{"reference"/"id", "account", "currency", "opening_balance":
    {"amount", "currency", "date"}, "closing_balance", "transaction_count", ...}], account,
    currency; camt also message_type (e.g. "camt.053.001.08").

Everything is read defensively: the file may be broken or hostile. Nothing here raises for bad
content; problems become plain-language entries in ``Extraction.errors``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from evidence_kit.extractors import registry
from evidence_kit.extractors.interface import ExtractContext, Extraction, Extractor
from evidence_kit.extractors.statement.camt import extract_camt
from evidence_kit.extractors.statement.common import (
    MAX_MARKUP_BYTES,
    MAX_TIME_FACTS,
    MT940_SUFFIXES,
    NAME,
    OFX_SUFFIXES,
    SNIFF_BYTES,
    STATEMENT_SUFFIXES,
    Money,
    infer_decimal_separator,
    parse_amount,
    parse_date,
    sniff_encoding,
)
from evidence_kit.extractors.statement.csv import extract_csv
from evidence_kit.extractors.statement.mt940 import extract_mt940
from evidence_kit.extractors.statement.ofx import extract_ofx

__all__ = [
    "EXTRACTOR",
    "MAX_TIME_FACTS",
    "Money",
    "StatementExtractor",
    "infer_decimal_separator",
    "parse_amount",
    "parse_date",
    "sniff_encoding",
]


# --------------------------------------------------------------------------------------------
# The extractor
# --------------------------------------------------------------------------------------------

_MT940_START_RE: Final = re.compile(r"(?m)^(?:\{4:)?:20:")
_MT940_FIELD_RE: Final = re.compile(r"(?m)^:(?:25|60[FM]|61):")


def _sniff_kind(head: bytes, suffix: str) -> str:
    """ "ofx", "camt", "mt940", "xml" (other XML) or "table", from the first bytes."""
    encoding, _ = sniff_encoding(head)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n\x00")
    upper = text[:8192].upper()
    if "OFXHEADER" in upper[:2048] or "<?OFX" in upper or "<OFX>" in upper:
        return "ofx"
    if "urn:iso:std:iso:20022:tech:xsd:camt.05" in text:
        return "camt"
    if _MT940_START_RE.search(text[:16384]) and _MT940_FIELD_RE.search(text[:16384]):
        return "mt940"
    if suffix in OFX_SUFFIXES:
        return "ofx"
    if suffix in MT940_SUFFIXES:
        return "mt940"
    if text.startswith("<"):
        return "xml"
    return "table"


class StatementExtractor:
    """Reads bank statement exports: CSV/TSV, OFX/QFX/QBO, MT940 and camt.053 XML."""

    name: str = NAME

    def accepts(self, mime: str, suffix: str) -> bool:
        """CSV-like text, OFX family, MT940 and XML that may be camt (declared in the registry)."""
        return registry.STATEMENT.accepts(mime, suffix)

    def extract(self, path: Path, ctx: ExtractContext) -> Extraction:
        """Read the statement at ``path``; errors are reported in the result, never raised."""
        ext = Extraction(extractor=NAME)
        suffix = Path(ctx.original_name).suffix.lower()
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
        kind = _sniff_kind(head, suffix) if head.strip() else "empty"
        if kind == "empty":
            ext.metadata["format"] = None
            ext.errors.append("the file is empty")
        elif kind == "ofx":
            extract_ofx(path, ext)
        elif kind == "camt":
            extract_camt(path, head, ext)
        elif kind == "mt940":
            with path.open("rb") as fh:
                data = fh.read(MAX_MARKUP_BYTES + 1)
            if len(data) > MAX_MARKUP_BYTES:
                ext.errors.append("the file is larger than 64 MB; only the start was read")
            encoding, _ = sniff_encoding(head)
            ext.metadata["encoding"] = encoding
            extract_mt940(data[:MAX_MARKUP_BYTES].decode(encoding, errors="replace"), ext)
        elif kind == "xml":
            ext.metadata.update(
                {"format": None, "note": "XML that is not an OFX or ISO 20022 camt statement"}
            )
            if suffix in STATEMENT_SUFFIXES:
                ext.errors.append("not a bank statement format this tool reads")
        else:
            extract_csv(path, head, suffix, ext)
        # One shape for every result, so the loss report never has to guess.
        for key, empty in (
            ("transactions", []),
            ("transaction_count", 0),
            ("totals", {}),
            ("date_range", None),
            ("skipped_rows", 0),
            ("truncated", False),
            ("timeline_capped", False),
        ):
            ext.metadata.setdefault(key, empty)
        return ext


#: The extractor this module provides, for the registry.
EXTRACTOR: Extractor = StatementExtractor()
