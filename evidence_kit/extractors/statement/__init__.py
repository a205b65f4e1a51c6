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

import codecs
import csv
import html
import io
import re
import unicodedata
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, NamedTuple, TextIO
from xml.parsers import expat

import charset_normalizer

from evidence_kit.extractors import registry
from evidence_kit.extractors.identifiers import find_identifiers
from evidence_kit.extractors.interface import (
    ExtractContext,
    Extraction,
    Extractor,
    Identifier,
    TimeFact,
)

__all__ = [
    "EXTRACTOR",
    "Money",
    "StatementExtractor",
    "infer_decimal_separator",
    "parse_amount",
    "parse_date",
    "sniff_encoding",
]

NAME: Final = "statement"
MAX_TRANSACTIONS: Final = 100_000
MAX_TIME_FACTS: Final = 1000
MAX_ERROR_EXAMPLES: Final = 20
MAX_IDENTIFIERS: Final = 1000
SNIFF_BYTES: Final = 64 * 1024
# A "line" longer than this is not a statement row; stopping avoids holding a 500 MB line.
MAX_LINE_CHARS: Final = 1_000_000
# OFX and MT940 are read whole (they are small in practice); beyond this only the start is read.
MAX_MARKUP_BYTES: Final = 64 * 1024 * 1024
# ofxtools' tokenizer can backtrack badly on hostile input, so only small files go through it.
MAX_OFXTOOLS_BYTES: Final = 8 * 1024 * 1024
MAX_CELL_CHARS: Final = 2000

_OFX_SUFFIXES: Final = frozenset({".ofx", ".qfx", ".qbo"})
_MT940_SUFFIXES: Final = frozenset({".sta", ".mt940", ".940"})
_TABLE_SUFFIXES: Final = frozenset({".csv", ".tsv", ".txt", ".tab"})
_STATEMENT_SUFFIXES: Final = _OFX_SUFFIXES | _MT940_SUFFIXES | frozenset({".csv", ".tsv", ".tab"})


# --------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------


class Money(NamedTuple):
    """A parsed amount: signed value, ISO currency if the text named one, the symbol as seen."""

    amount: Decimal
    currency: str | None
    symbol: str | None


# Symbols that name exactly one currency. "$", "kr" and "¥" are shared by several countries, so
# they are kept as a symbol only: guessing "USD" for an Australian victim would be wrong evidence.
_SYMBOLS: Final[dict[str, str | None]] = {
    "€": "EUR", "£": "GBP", "₹": "INR", "₽": "RUB", "₺": "TRY", "₩": "KRW", "₪": "ILS",
    "₴": "UAH", "₦": "NGN", "₱": "PHP", "฿": "THB", "₫": "VND", "₿": "BTC", "zł": "PLN",
    "kč": "CZK", "ft": "HUF", "lei": "RON", "r$": "BRL", "us$": "USD", "u$s": "USD",
    "a$": "AUD", "au$": "AUD", "c$": "CAD", "ca$": "CAD", "nz$": "NZD", "hk$": "HKD",
    "s$": "SGD", "fr": "CHF", "fr.": "CHF", "sfr": "CHF", "ر.س": "SAR", "د.إ": "AED",
    "د.ك": "KWD", "ج.م": "EGP", "د.ا": "JOD", "د.ب": "BHD", "ر.ق": "QAR", "ر.ع": "OMR",
    "د.م": "MAD", "د.ت": "TND", "د.ج": "DZD", "ل.ل": "LBP", "د.ع": "IQD", "ل.د": "LYD",
    "$": None, "¥": None, "kr": None, "kr.": None, "rs": None, "rs.": None,
}
# Bidi marks become spaces, not nothing: in "د.ا.\u200f4.750" the mark is what separates the
# Jordanian dinar sign from the number.
_BIDI: Final = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                      "\u2066\u2067\u2068\u2069\ufeff\u061c\u200b"), " ")
_WS_RE: Final = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_NUM_RE: Final = re.compile(r"[.,]?\d(?:[\d.,' ]*\d)?")
_CODE_RE: Final = re.compile(r"[A-Za-z]{3}")
_MINUS: Final = "-\u2212\u2013\u2012"
_DEBIT_MARKS: Final = frozenset({"dr", "db", "debit", "d", "s", "soll"})
_CREDIT_MARKS: Final = frozenset({"cr", "credit", "c", "h", "haben"})


def _clean_text(text: str) -> str:
    """Drop bidi marks and normalise every kind of space to one ASCII space."""
    return _WS_RE.sub(" ", text.translate(_BIDI)).strip()


def _read_affix(affix: str, *, suffix: bool) -> tuple[int, str | None, str | None] | None:
    """Sign (+1/-1/0), currency and symbol written around a number; None if it is not money."""
    minus_count = sum(1 for c in affix if c in _MINUS)
    minus = minus_count > 0
    plus = "+" in affix
    if (minus and plus) or minus_count > 1 or affix.count("+") > 1:
        return None
    sign = -1 if minus else (1 if plus else 0)
    rest = "".join(c for c in affix if c not in _MINUS and c != "+").strip()
    currency: str | None = None
    symbol: str | None = None
    for token in rest.split():
        low = token.lower()
        if suffix and low in _DEBIT_MARKS:
            if sign == 1:
                return None
            sign = -1
            continue
        if suffix and low in _CREDIT_MARKS:
            if sign == -1:
                return None
            sign = 1
            continue
        found = False
        for cand in (low, low.rstrip(".")):
            if cand in _SYMBOLS:
                symbol, currency = token, _SYMBOLS[cand] or currency
                found = True
                break
        if found:
            continue
        # A glued symbol and code such as "$USD" or "€EUR".
        if len(token) == 4 and token[0] in "$€£¥" and _CODE_RE.fullmatch(token[1:]):
            symbol, currency = token[0], token[1:].upper()
            continue
        if _CODE_RE.fullmatch(token):
            currency = token.upper()
            continue
        if len(token) <= 6 and all(not c.isascii() and (c.isalpha() or c in ".") or c == "."
                                   for c in token):
            symbol = token  # a local currency sign we do not know, e.g. in Arabic script
            continue
        return None
    return sign, currency, symbol


def _valid_groups(int_part: str) -> bool:
    """True if ``int_part`` is digits grouped by one kind of thousands separator."""
    seps = {c for c in int_part if not c.isdigit()}
    if not seps:
        return True
    if len(seps) > 1:
        return False
    groups = int_part.split(seps.pop())
    if not groups[0] or len(groups[0]) > 3 or any(not g.isdigit() for g in groups):
        return False
    tail = groups[1:]
    if all(len(g) == 3 for g in tail):
        return True
    # Indian grouping: 1,23,45,678.00
    return len(tail[-1]) == 3 and all(len(g) == 2 for g in tail[:-1])


def _number_to_decimal(num: str, decimal: str | None) -> Decimal | None:
    """Turn "1.234,56" / "1,234.56" / "1 234,56" / "1'234.56" into a Decimal."""
    num = num.replace("\u2019", "'")
    if num[0] in ".,":
        num = "0" + num
    dots, commas = num.count("."), num.count(",")
    candidates: list[str | None]
    if dots and commas:
        candidates = ["." if num.rfind(".") > num.rfind(",") else ","]
    elif dots or commas:
        sep = "." if dots else ","
        if dots + commas > 1:
            candidates = [None]
        elif decimal is not None:
            # A column-level hint; if this value contradicts it, the value wins.
            candidates = [sep, None] if sep == decimal else [None, sep]
        else:
            after = len(num) - num.rfind(sep) - 1
            head = num[: num.rfind(sep)].replace(" ", "").replace("'", "")
            thousands_like = after == 3 and not head.startswith("0")
            if sep == "," and thousands_like:
                candidates = [None, sep]
            else:
                candidates = [sep, None]
    else:
        candidates = [None]
    for dec in candidates:
        if dec is None:
            int_part, frac = num, ""
        else:
            int_part, _, frac = num.rpartition(dec)
        if frac and not frac.isdigit():
            continue
        if not _valid_groups(int_part):
            continue
        digits = "".join(c for c in int_part if c.isdigit())
        try:
            return Decimal(f"{digits}.{frac}" if frac else digits)
        except InvalidOperation:
            continue
    return None


def parse_amount(text: str, decimal: str | None = None) -> Money | None:
    """Parse a money amount as banks write it; None if ``text`` is not one amount.

    Handles "1.234,56", "-1,234.56", "(12.00)", "12.00-", "12.00 DR", "€ -5,50", "$1,000",
    "1 234,56 EUR" and bidi marks around Arabic currency signs. ``decimal`` is the decimal
    separator inferred for the whole column (see :func:`infer_decimal_separator`); a single
    value that cannot be read that way is read the other way rather than rejected.
    """
    s = _clean_text(text)
    if not s or len(s) > 64:
        return None
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    m = _NUM_RE.search(s)
    if m is None:
        return None
    pre, num, post = s[: m.start()], m.group(0).strip(), s[m.end():]
    if "(" in pre and ")" in post:
        negative = True
        pre, post = pre.replace("(", ""), post.replace(")", "")
    if any(c.isdigit() for c in post):
        return None
    before = _read_affix(pre, suffix=False)
    after = _read_affix(post, suffix=True)
    if before is None or after is None:
        return None
    if before[0] and after[0] and before[0] != after[0]:
        return None
    value = _number_to_decimal(num, decimal)
    if value is None:
        return None
    # "(-12.00)" is written by some banks to mean minus once, not plus.
    negative = negative or before[0] == -1 or after[0] == -1
    if negative:
        value = -value
    if value == 0:
        value = abs(value)
    return Money(value, after[1] or before[1], after[2] or before[2])


def infer_decimal_separator(values: Sequence[str], default: str = ".") -> str:
    """Decide whether a column writes decimals with "." or "," by looking at every value."""
    votes = _DecimalVotes()
    for v in values:
        votes.add(v)
    return votes.decide(default)


class _DecimalVotes:
    """Evidence, value by value, for the decimal separator of a column."""

    def __init__(self) -> None:
        self.dot = 0
        self.comma = 0

    def add(self, value: str) -> None:
        m = _NUM_RE.search(_clean_text(value))
        if m is None:
            return
        num = m.group(0).replace(" ", "").replace("'", "")
        dots, commas = num.count("."), num.count(",")
        if dots and commas:
            if num.rfind(".") > num.rfind(","):
                self.dot += 1
            else:
                self.comma += 1
            return
        if not (dots or commas):
            return
        sep = "." if dots else ","
        if dots + commas > 1:  # repeated: it groups thousands, so the other one is decimal
            if sep == ".":
                self.comma += 1
            else:
                self.dot += 1
            return
        head, _, tail = num.rpartition(sep)
        if len(tail) != 3 or head in ("", "0") or head.startswith("0"):
            if sep == ".":
                self.dot += 1
            else:
                self.comma += 1

    def decide(self, default: str) -> str:
        if self.dot == self.comma:
            return default
        return "." if self.dot > self.comma else ","


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_ISO_RE: Final = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_COMPACT_RE: Final = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\d{2,6}(?:[.:]\d+)?)?(?:\s*\[[^\]]*\])?$")
_NUMERIC_RE: Final = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")
_DMONY_RE: Final = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)?[.]?[\s./-]*([^\W\d_]{3,})\.?[\s./-]*(\d{4}|\d{2})(?!\d)")
_MONDY_RE: Final = re.compile(
    r"([^\W\d_]{3,})\.?[\s-]+(\d{1,2})(?:st|nd|rd|th)?,?[\s-]+(\d{4})(?!\d)")

# Month names in English, German, French, Spanish and Dutch (accents stripped, lower case).
_MONTH_NAMES: Final[dict[int, tuple[str, ...]]] = {
    1: ("january", "januar", "janvier", "enero", "januari", "janv", "jänner", "janner"),
    2: ("february", "februar", "fevrier", "febrero", "februari", "fevr"),
    3: ("march", "marz", "maerz", "mars", "marzo", "maart"),
    4: ("april", "avril", "abril"),
    5: ("may", "mai", "mayo", "mei"),
    6: ("june", "juni", "juin", "junio"),
    7: ("july", "juli", "juillet", "julio", "juil"),
    8: ("august", "aout", "agosto", "augustus"),
    9: ("september", "septembre", "septiembre", "setiembre", "sept"),
    10: ("october", "oktober", "octobre", "octubre"),
    11: ("november", "novembre", "noviembre"),
    12: ("december", "dezember", "decembre", "diciembre"),
}


def _fold(text: str) -> str:
    """Lower-case and strip accents, so "Währung" matches "wahrung" and "Février" "fevrier"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _month(word: str) -> int | None:
    w = _fold(word).rstrip(".")
    if len(w) < 3:
        return None
    hits = {n for n, names in _MONTH_NAMES.items() for name in names if name.startswith(w)}
    return hits.pop() if len(hits) == 1 else None


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:  # the POSIX strptime pivot: 69 -> 2069, 70 -> 1970
        y += 2000 if y < 70 else 1900
    return y


def _make_date(y: int, m: int, d: int) -> date | None:
    if not 1900 <= y <= 2199:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str, order: str = "dmy") -> date | None:
    """Parse a statement date; ``order`` ("dmy" or "mdy") settles 03/04/2024-style dates.

    Accepts ISO (with or without a time after it), YYYYMMDD, dd.mm.yyyy, dd/mm/yy, mm/dd/yyyy,
    "12 Jan 2024", "12-janv.-2024", "Jan 12, 2024" (month names in EN/DE/FR/ES/NL).
    """
    s = _clean_text(text).strip("'\"")
    if not s or len(s) > 64:
        return None
    m = _ISO_RE.match(s)
    if m:
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    m = _COMPACT_RE.match(s)
    if m:
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    m = _NUMERIC_RE.match(s)
    if m:
        a, b, y = int(m[1]), int(m[3]), _year(m[4])
        return _make_date(y, b, a) if order == "dmy" else _make_date(y, a, b)
    m = _DMONY_RE.match(s)
    if m:
        month = _month(m[2])
        return None if month is None else _make_date(_year(m[3]), month, int(m[1]))
    m = _MONDY_RE.match(s)
    if m:
        month = _month(m[1])
        return None if month is None else _make_date(int(m[3]), month, int(m[2]))
    return None


class _Monotonic:
    """Tracks whether a sequence of dates is sorted (either way); statements usually are."""

    def __init__(self) -> None:
        self.prev: date | None = None
        self.up = True
        self.down = True
        self.changes = 0

    def add(self, d: date | None) -> None:
        if d is None:
            self.up = self.down = False
            return
        if self.prev is not None and d != self.prev:
            self.changes += 1
            if d < self.prev:
                self.up = False
            else:
                self.down = False
        self.prev = d

    @property
    def sorted(self) -> bool:
        return self.changes >= 2 and (self.up or self.down)


class _DateOrderVotes:
    """Decides day-first vs month-first for a whole date column, not value by value."""

    def __init__(self) -> None:
        self.day_first = 0
        self.month_first = 0
        self.numeric = 0
        self.dots = 0
        self.dmy = _Monotonic()
        self.mdy = _Monotonic()

    def add(self, text: str) -> None:
        m = _NUMERIC_RE.match(_clean_text(text).strip("'\""))
        if m is None:
            return
        self.numeric += 1
        if m[2] == ".":
            self.dots += 1
        a, b = int(m[1]), int(m[3])
        if a > 12 >= b:
            self.day_first += 1
        elif b > 12 >= a:
            self.month_first += 1
        y = _year(m[4])
        self.dmy.add(_make_date(y, b, a))
        self.mdy.add(_make_date(y, a, b))

    def decide(self, prefer_month_first: bool) -> tuple[str, str | None]:
        """Return ("dmy" | "mdy", basis); basis None when no ambiguous date was seen."""
        if self.numeric == 0:
            return "dmy", None
        if self.day_first or self.month_first:
            return ("dmy" if self.day_first >= self.month_first else "mdy"), "values"
        if self.dmy.sorted != self.mdy.sorted:
            return ("dmy" if self.dmy.sorted else "mdy"), "sort order"
        if self.dots * 2 > self.numeric:
            return "dmy", "convention"  # dotted dates are day-first everywhere they are used
        return ("mdy" if prefer_month_first else "dmy"), "guess"


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------

_WESTERN_EXTRA: Final = frozenset("€£¥§°²³µ´·«»¿¡’‘“”„‚…–—•ªº©®™±¼½¾¢¤¦¨¯¸¹\u00a0")


def _plausible_western(text: str) -> bool:
    """True if cp1252-decoded text reads like a Western European language.

    Cyrillic or Greek bytes also decode to Latin-1 letters, but then whole words are non-ASCII;
    in German, French or Spanish text accented letters sit among ASCII ones.
    """
    run = longest = non_ascii = letters = 0
    for c in text:
        if ord(c) < 128:
            run = 0
            if c.isalpha():
                letters += 1
            continue
        if not (c.isalpha() and c not in "×÷") and c not in _WESTERN_EXTRA:
            return False
        if c.isalpha():
            letters += 1
            non_ascii += 1
            run += 1
            longest = max(longest, run)
        else:
            run = 0
    return longest <= 3 and non_ascii * 3 <= max(letters, 1)


def sniff_encoding(sample: bytes) -> tuple[str, bool]:
    """Pick a codec for ``sample``; return (codec, guessed) where guessed means no BOM/UTF-8.

    Order: byte-order mark, UTF-16 without BOM, UTF-8, cp1252 if it reads like a Western
    language (charset-normalizer mistakes short German and French exports for cp775 or
    mac_iceland), then charset-normalizer, then cp1252 as the last resort.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", False
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", False
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    if len(sample) >= 4 and sample.count(0) * 3 >= len(sample):
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > 0.9 * (len(sample) // 2):
            return "utf-16-le", True
        if even > 0.9 * (len(sample) // 2):
            return "utf-16-be", True
    try:
        # final=False: the sample may end in the middle of a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", False
    try:
        if _plausible_western(sample.decode("cp1252")):
            return "cp1252", True
    except UnicodeDecodeError:
        pass
    try:
        best = charset_normalizer.from_bytes(sample).best()
    except Exception:  # noqa: BLE001 - a detector bug must not lose the statement
        best = None
    if best is not None and best.encoding:
        try:
            codecs.lookup(best.encoding)
        except LookupError:
            return "cp1252", True
        return best.encoding, True
    return "cp1252", True


# --------------------------------------------------------------------------------------------
# Collected transactions -> Extraction
# --------------------------------------------------------------------------------------------


def _money_str(d: Decimal) -> str:
    if d == 0:
        d = abs(d)
    return format(d, "f")


@dataclass(slots=True)
class _Txn:
    """One transaction row. ``when``/``amount`` are None only on a row kept with ``unreadable``
    naming what could not be read (``raw`` then holds those values as written)."""

    when: date | None
    amount: Decimal | None
    description: str
    currency: str | None
    row: int
    raw_date: str
    balance: Decimal | None = None
    counterparty: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "date": None if self.when is None else self.when.isoformat(),
            "description": self.description,
            "counterparty": self.counterparty,
            "amount": None if self.amount is None else _money_str(self.amount),
            "currency": self.currency,
            "balance": None if self.balance is None else _money_str(self.balance),
            "row": self.row,
        }
        out.update(self.extra)
        if self.unreadable:
            out["unreadable"] = list(self.unreadable)
            out["raw"] = {k: v[:MAX_CELL_CHARS] for k, v in self.raw.items()}
            out["note"] = _unreadable_note(self.unreadable)
        return out


def _unreadable_note(fields: Sequence[str]) -> str:
    """ "the date could not be read", "the date and the amount could not be read"... """
    names = [f"the {f}" for f in fields] or ["the row"]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{joined} could not be read"


#: Why totals, counts and the date range leave a kept row out, by what could not be read.
LEFT_OUT_NOTE: Final = ("rows whose date or amount could not be read are listed in "
                        "partial_transactions as written; they are not counted in transactions, "
                        "totals or date_range")


class _Ledger:
    """Collects transactions and the rows that could not be read in full, then fills the
    Extraction. A row that cannot be read in full is never dropped: it is kept in ``partial``
    with what could be read, its raw values and the fields that could not be read."""

    def __init__(self, cap: int | None = None) -> None:
        self.cap = MAX_TRANSACTIONS if cap is None else cap
        self.txns: list[_Txn] = []
        self.partial: list[_Txn] = []
        self.skipped = 0
        self.left_out: Counter[str] = Counter()
        self.reasons: list[str] = []
        self.truncated = False

    @property
    def full(self) -> bool:
        return len(self.txns) >= self.cap

    def add(self, txn: _Txn) -> bool:
        """Keep ``txn``; False (and ``truncated``) once the cap is reached."""
        if txn.unreadable:
            return self.keep_partial(txn, _unreadable_note(txn.unreadable))
        if self.full:
            self.truncated = True
            return False
        self.txns.append(txn)
        return True

    def keep_partial(self, txn: _Txn, reason: str) -> bool:
        """Keep a row that could not be read in full (``txn.unreadable`` says which fields), with
        ``reason`` in the errors; False (and ``truncated``) once the cap is reached."""
        if not txn.unreadable:
            txn.unreadable = ["row"]
        if len(self.partial) >= self.cap:
            self.truncated = True
            return False
        self.partial.append(txn)
        self.skip(reason)
        self.left_out[_unreadable_note(txn.unreadable)] += 1
        return True

    def skip(self, reason: str) -> None:
        self.skipped += 1
        if len(self.reasons) < MAX_ERROR_EXAMPLES:
            self.reasons.append(reason[:300])

    def finish(self, ext: Extraction) -> None:
        meta = ext.metadata
        meta["transactions"] = [t.to_dict() for t in self.txns]
        meta["transaction_count"] = len(self.txns)
        meta["partial_transactions"] = [t.to_dict() for t in self.partial]
        totals: dict[str, dict[str, Decimal]] = {}
        counts: Counter[str] = Counter()
        for t in self.txns:
            if t.amount is None:  # never: such a row is in partial
                continue
            key = t.currency or "?"
            bucket = totals.setdefault(key, {"in": Decimal(0), "out": Decimal(0)})
            if t.amount > 0:
                bucket["in"] += t.amount
            else:
                bucket["out"] -= t.amount
            counts[key] += 1
        meta["totals"] = {
            k: {"in": _money_str(v["in"]), "out": _money_str(v["out"]),
                "net": _money_str(v["in"] - v["out"]), "count": counts[k]}
            for k, v in sorted(totals.items())
        }
        days = [t.when for t in self.txns if t.when is not None]
        if days:
            meta["date_range"] = {"first": min(days).isoformat(), "last": max(days).isoformat()}
        else:
            meta["date_range"] = None
        meta["left_out_of_totals"] = {
            "rows": self.skipped,
            "reasons": dict(self.left_out.most_common()),
            "note": LEFT_OUT_NOTE if self.skipped else None,
        }
        meta["skipped_rows"] = self.skipped
        meta["truncated"] = self.truncated
        if self.partial:
            ext.errors.append(
                f"{len(self.partial):,} row{'s' if len(self.partial) != 1 else ''} could not be "
                "read in full: kept as written (in partial_transactions) but left out of the "
                "totals, counts and date range")
        if self.truncated:
            ext.errors.append(f"the file has more than {self.cap:,} transactions; only the "
                              f"first {self.cap:,} were read")
        ext.errors.extend(self.reasons)
        if self.skipped > len(self.reasons):
            ext.errors.append(f"... and {self.skipped - len(self.reasons):,} more rows that "
                              "could not be read")
        meta["timeline_capped"] = len(self.txns) > MAX_TIME_FACTS
        for i, t in enumerate(self.txns[:MAX_TIME_FACTS]):
            ext.times.append(_time_fact(t, f"transactions[{i}]"))
        # Kept rows with a readable date are dated facts too (the amount is what is missing).
        room = MAX_TIME_FACTS - len(ext.times)
        dated = [(i, t) for i, t in enumerate(self.partial) if t.when is not None]
        for i, t in dated[:max(room, 0)]:
            ext.times.append(_time_fact(t, f"partial_transactions[{i}]"))
        ext.identifiers.extend(_identifiers([("transactions", self.txns),
                                             ("partial_transactions", self.partial)]))


def _time_fact(t: _Txn, where: str) -> TimeFact:
    who = f"{t.counterparty}: " if t.counterparty else ""
    what = f"{who}{t.description}".strip() or "(no description)"
    if t.amount is None:
        written = t.raw.get("amount")
        amount = f"({_unreadable_note(['amount'])}" + (f": {written[:40]!r})" if written else ")")
    else:
        amount = _money_str(t.amount)
    label = f"transaction: {what[:160]} {amount} {t.currency or ''}"
    at = "" if t.when is None else t.when.isoformat()
    return TimeFact(at=at, label=label.strip(), raw=t.raw_date[:100], field=where)


def _identifiers(groups: Sequence[tuple[str, Sequence[_Txn]]]) -> list[Identifier]:
    """Account numbers, e-mails, URLs... in descriptions and counterparties, first sighting each
    (``groups``: (metadata key, rows) pairs, scanned in order)."""
    seen: set[tuple[str, str]] = set()
    scanned: set[str] = set()
    found: list[Identifier] = []
    for where, i, t in ((k, i, t) for k, txns in groups for i, t in enumerate(txns)):
        fields = [("description", t.description), ("counterparty", t.counterparty or "")]
        fields += [(k, t.extra[k]) for k in ("counterparty_account", "reference", "memo")
                   if k in t.extra]
        for name, text in fields:
            # Statements repeat the same payee text many times; a text already scanned can
            # only yield identifiers already recorded (with their first field).
            if not text or text in scanned:
                continue
            scanned.add(text)
            for ident in find_identifiers(text, f"{where}[{i}].{name}"):
                key = (ident.kind, ident.value)
                if key in seen:
                    continue
                seen.add(key)
                found.append(ident)
                if len(found) >= MAX_IDENTIFIERS:
                    return found
    return found


# --------------------------------------------------------------------------------------------
# CSV / TSV
# --------------------------------------------------------------------------------------------

# Header names per role, in EN/DE/FR/ES/NL, written as _norm_header() produces them.
_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "date": (
        "date", "posting date", "post date", "posted date", "date posted", "transaction date",
        "trans date", "txn date", "booking date", "book date", "run date", "entry date",
        "completed date", "started date", "processed date", "date of transaction",
        "buchungstag", "buchungsdatum", "buchung", "datum", "belegdatum", "umsatzdatum",
        "date operation", "date d operation", "date de l operation", "date de operation",
        "date comptable", "date de comptabilisation", "date transaction",
        "fecha", "fecha operacion", "fecha de operacion", "f operacion", "fecha contable",
        "fecha movimiento", "boekdatum", "transactiedatum", "datum transactie", "data",
    ),
    "value_date": (
        "value date", "valuta", "valutadatum", "wertstellung", "wertstellungsdatum", "wert",
        "date de valeur", "date valeur", "fecha valor", "f valor", "rentedatum",
        "settlement date", "valuedatum",
    ),
    "amount": (
        "amount", "amt", "transaction amount", "sum", "betrag", "umsatz", "montant",
        "importe", "cantidad", "monto", "bedrag", "transactiebedrag", "net amount",
    ),
    "debit": (
        "debit", "debits", "debit amount", "withdrawal", "withdrawals", "withdrawal amount",
        "paid out", "money out", "out", "outflow", "outgoing", "spent", "soll", "belastung",
        "ausgang", "ausgaben", "montant debit", "cargo", "cargos", "debe", "af",
        "afschrijving", "uitgaven", "debet",
    ),
    "credit": (
        "credit", "credits", "credit amount", "deposit", "deposits", "paid in", "money in",
        "in", "inflow", "incoming", "received", "haben", "gutschrift", "eingang",
        "einnahmen", "montant credit", "abono", "abonos", "haber", "ingreso", "ingresos",
        "bij", "bijschrijving", "inkomsten",
    ),
    "direction": (
        "debit / credit", "credit / debit", "dr / cr", "cr / dr", "d / c", "c / d",
        "soll / haben", "s / h", "af bij", "af / bij", "debit credit", "credit debit",
        "debit credit indicator", "credit debit indicator", "cdtdbtind", "sens",
    ),
    "balance": (
        "balance", "running balance", "runningbalance", "balance after", "closing balance",
        "saldo", "kontostand", "neuer saldo", "saldo nach buchung", "solde",
        "nouveau solde", "saldo disponible", "balans", "saldo na mutatie", "saldo na trn",
    ),
    "currency": (
        "currency", "ccy", "cur", "curr", "currency code", "wahrung", "waehrung", "whrg",
        "devise", "monnaie", "moneda", "divisa", "munt",
    ),
    "counterparty": (
        "payee", "payee name", "name", "beneficiary", "beneficiary name", "counterparty",
        "counter party", "merchant", "merchant name", "recipient", "payer", "payer / payee",
        "paid to", "auftraggeber / empfanger", "empfanger", "zahlungsempfanger",
        "auftraggeber", "begunstigter / zahlungspflichtiger", "name zahlungsbeteiligter",
        "zahlungsbeteiligter", "beneficiaire", "tiers", "contrepartie", "beneficiario",
        "ordenante", "naam", "naam / omschrijving", "tegenpartij", "naam tegenpartij",
    ),
    "description": (
        "description", "transaction description", "narrative", "memo", "reference",
        "payment reference", "remarks", "remark", "particulars", "transaction details",
        "transaction", "note", "notes", "purpose", "action", "verwendungszweck",
        "buchungstext", "umsatztext", "text", "vorgang", "beschreibung",
        "buchungsinformationen", "libelle", "libelle operation", "libelle de l operation",
        "detail", "remarque", "motif", "informations complementaires", "concepto",
        "descripcion", "detalle", "observaciones", "referencia", "movimiento",
        "omschrijving", "mededelingen",
    ),
    "type": (
        "type", "transaction type", "details", "trntype", "buchungsart", "umsatzart", "typ",
        "mutatiesoort", "code", "type d operation", "tipo",
    ),
}
_EXACT: Final[dict[str, str]] = {name: role for role, names in _SYNONYMS.items() for name in names}
# For headers with extra words ("Amount in GBP", "Date of posting"): checked in this order,
# because "balance amount" is a balance and "debit amount" is a debit.
_KEYWORDS: Final[tuple[tuple[str, str], ...]] = (
    ("balance", "balance"), ("saldo", "balance"), ("solde", "balance"),
    ("kontostand", "balance"), ("value date", "value_date"), ("valuta", "value_date"),
    ("wertstellung", "value_date"), ("currency", "currency"), ("wahrung", "currency"),
    ("devise", "currency"), ("moneda", "currency"), ("debit", "debit"), ("credit", "credit"),
    ("withdrawal", "debit"), ("deposit", "credit"), ("amount", "amount"),
    ("betrag", "amount"), ("montant", "amount"), ("importe", "amount"), ("bedrag", "amount"),
    ("date", "date"), ("datum", "date"), ("fecha", "date"), ("description", "description"),
    ("omschrijving", "description"), ("verwendungszweck", "description"),
    ("libelle", "description"), ("concepto", "description"), ("memo", "description"),
    ("payee", "counterparty"), ("beneficiary", "counterparty"),
    ("empfanger", "counterparty"), ("auftraggeber", "counterparty"),
)
_SINGLE_ROLES: Final = ("date", "value_date", "amount", "debit", "credit", "direction",
                        "balance", "currency", "counterparty", "type")
_PAREN_RE: Final = re.compile(r"[(\[](.*?)[)\]]")
_ISO_CODES_HINT: Final = frozenset({
    "EUR", "USD", "GBP", "CHF", "CAD", "AUD", "NZD", "JPY", "CNY", "HKD", "SGD", "SEK", "NOK",
    "DKK", "PLN", "CZK", "HUF", "RON", "BGN", "TRY", "INR", "ZAR", "BRL", "MXN", "ARS", "RUB",
    "UAH", "ILS", "AED", "SAR", "NGN", "KES", "PHP", "THB", "MYR", "IDR", "KRW", "BTC",
})


def _norm_header(cell: str) -> tuple[str, str | None]:
    """Normalise a header cell; also return a currency it names, e.g. "Betrag (EUR)" -> EUR."""
    raw = _clean_text(cell)
    hint: str | None = None
    for token in re.findall(r"[A-Za-z]{3}|[€£]", raw):
        if token.upper() in _ISO_CODES_HINT:
            hint = token.upper()
        elif token in ("€", "£"):
            hint = _SYMBOLS[token]
    text = _fold(_PAREN_RE.sub(" ", raw))
    text = re.sub(r"\s*/\s*", " / ", text)
    text = re.sub(r"[^\w/]+", " ", text).replace("_", " ")
    text = " ".join(text.split())
    if hint is not None:
        text = " ".join(w for w in text.split() if w.upper() != hint) or text
    return text, hint


def _role_of(norm: str) -> tuple[str | None, bool]:
    """The role of a normalised header cell and whether it matched a synonym exactly."""
    role = _EXACT.get(norm)
    if role is not None:
        return role, True
    words = norm.split()
    if not words or len(words) > 5:
        return None, False
    padded = f" {norm} "
    for kw, kw_role in _KEYWORDS:
        if f" {kw} " in padded:
            return kw_role, False
    return None, False


@dataclass(slots=True)
class _Layout:
    """Where the columns are in a CSV statement."""

    header_index: int  # 0-based record index of the header; -1 if the file has none
    header: list[str] | None
    cols: dict[str, int]
    description: list[int]
    currency_hint: str | None = None

    @property
    def needed(self) -> int:
        return max([*self.cols.values(), *self.description, 0]) + 1

    def columns_meta(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.cols)
        if self.description:
            out["description"] = list(self.description)
        return out


def _layout_from_header(cells: Sequence[str], index: int) -> _Layout | None:
    """Assign roles to a header row; None unless it has a date and an amount."""
    found: dict[str, list[tuple[int, bool]]] = {}
    hints: dict[int, str] = {}
    for i, cell in enumerate(cells):
        norm, hint = _norm_header(cell)
        if not norm:
            continue
        if parse_date(cell) is not None or parse_amount(cell) is not None:
            return None  # a data row, not a header
        role, exact = _role_of(norm)
        if role is None:
            continue
        found.setdefault(role, []).append((i, exact))
        if hint is not None:
            hints[i] = hint
    if "date" not in found and "value_date" in found:
        found["date"] = found.pop("value_date")
    if "date" not in found or not ({"amount", "debit", "credit"} & found.keys()):
        return None
    cols: dict[str, int] = {}
    for role in _SINGLE_ROLES:
        if role not in found or role == "currency":
            continue
        options = found[role]
        exact_hits = [i for i, e in options if e]
        cols[role] = exact_hits[0] if exact_hits else options[0][0]
    if "currency" in found:
        anchor = cols.get("amount", cols.get("debit", cols.get("credit", 0)))
        options = found["currency"]
        pool = [i for i, e in options if e] or [i for i, _ in options]
        # ING exports have two "Währung" columns: take the one next to (preferably after) amount.
        cols["currency"] = min(pool, key=lambda i: (abs(i - anchor), 0 if i > anchor else 1))
    used = set(cols.values())
    description = [i for i, _ in found.get("description", []) if i not in used]
    hint = next((hints[cols[r]] for r in ("amount", "debit", "credit", "balance")
                 if r in cols and cols[r] in hints), None)
    return _Layout(index, [c[:200] for c in cells], cols, description, hint)


def _layout_without_header(rows: Sequence[Sequence[str]]) -> _Layout | None:
    """Guess columns of a header-less export (Easybank, ABN AMRO) from the values themselves."""
    if not rows:
        return None
    width = Counter(len(r) for r in rows).most_common(1)[0][0]
    body = [r for r in rows if len(r) == width]
    if width < 2 or len(body) < 1 or len(body) * 2 < len(rows):
        return None

    def share(col: int, test: Callable[[str], bool]) -> float:
        values = [r[col] for r in body if r[col].strip()]
        return sum(1 for v in values if test(v)) / len(values) if values else 0.0

    def is_amount(v: str) -> bool:
        m = parse_amount(v)
        # Account numbers are digits only; amounts have decimals or a sign.
        return m is not None and any(c in v for c in ".,-+()")

    date_cols = [c for c in range(width) if share(c, lambda v: parse_date(v) is not None) >= 0.9]
    amount_cols = [c for c in range(width) if c not in date_cols and share(c, is_amount) >= 0.9]
    if not date_cols or not amount_cols:
        return None
    cols = {"date": date_cols[0], "amount": amount_cols[0]}
    if len(date_cols) > 1:
        cols["value_date"] = date_cols[1]
    currency_cols = [c for c in range(width) if c not in cols.values()
                     and share(c, lambda v: bool(re.fullmatch(r"[A-Z]{3}", v.strip()))) >= 0.9]
    if currency_cols:
        cols["currency"] = currency_cols[0]
    used = set(cols.values())
    text_cols = [c for c in range(width) if c not in used and c not in amount_cols]
    lengths = {c: sum(len(r[c]) for r in body) / len(body) for c in text_cols}
    description = [max(lengths, key=lambda c: lengths[c])] if lengths else []
    return _Layout(-1, None, cols, description)


class _LineFeed:
    """Yields lines of a text stream without ever holding a line longer than MAX_LINE_CHARS."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.too_long = False

    def __iter__(self) -> Iterator[str]:
        while True:
            line = self.stream.readline(MAX_LINE_CHARS)
            if not line:
                return
            if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                self.too_long = True
                return
            yield line


def _dialect_candidates(sample: str, suffix: str) -> list[tuple[str, str]]:
    """(delimiter, quotechar) pairs to try: csv.Sniffer's guess first, then the usual ones."""
    order = ["\t", ",", ";", "|"] if suffix in (".tsv", ".tab") else [",", ";", "\t", "|"]
    found: list[tuple[str, str]] = []
    try:
        sniffed = csv.Sniffer().sniff(sample[:16384], delimiters=",;\t|")
        found.append((sniffed.delimiter, sniffed.quotechar or '"'))
    except csv.Error:
        pass
    found += [(d, '"') for d in order if (d, '"') not in found]
    return found


def _read_rows(text: str, delimiter: str, quotechar: str, limit: int) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quotechar):
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def _find_layout(sample: str, suffix: str) -> tuple[str, str, _Layout] | None:
    """Choose delimiter and columns: a header naming a date and an amount wins, else guess."""
    best: tuple[tuple[int, float, int], str, str, _Layout] | None = None
    candidates = _dialect_candidates(sample, suffix)
    for delim, quote in candidates:
        rows = _read_rows(sample, delim, quote, 200)
        for idx, row in enumerate(rows[:60]):
            layout = _layout_from_header(row, idx)
            if layout is None:
                continue
            after = [r for r in rows[idx + 1: idx + 21] if any(c.strip() for c in r)]
            fits = sum(1 for r in after if len(r) >= layout.needed) / len(after) if after else 1
            score = (1 if fits >= 0.5 else 0, fits, len(layout.cols) + len(layout.description))
            if best is None or score > best[0]:  # ties: the earlier (sniffed) dialect stays
                best = (score, delim, quote, layout)
            break
    if best is not None:
        return best[1], best[2], best[3]
    for delim, quote in candidates:
        rows = [r for r in _read_rows(sample, delim, quote, 200) if any(c.strip() for c in r)]
        layout = _layout_without_header(rows)
        if layout is not None:
            return delim, quote, layout
    return None


def _cell(row: Sequence[str], idx: int | None) -> str:
    if idx is None or idx >= len(row):
        return ""
    return row[idx][:MAX_CELL_CHARS].strip()


def _direction(value: str) -> int:
    v = _fold(value.strip()).rstrip(".")
    if v in ("d", "dr", "db", "debit", "debet", "s", "soll", "af", "-", "dbit", "out"):
        return -1
    if v in ("c", "cr", "credit", "h", "haben", "bij", "+", "crdt", "in"):
        return 1
    return 0


class _CsvReader:
    """Reads one CSV/TSV statement in two streaming passes: column statistics, then rows."""

    def __init__(self, path: Path, encoding: str, delimiter: str, quotechar: str,
                 layout: _Layout) -> None:
        self.path = path
        self.encoding = encoding
        self.delimiter = delimiter
        self.quotechar = quotechar
        self.layout = layout
        self.problem: str | None = None
        self.decimal = "," if delimiter == ";" else "."
        self.order = "dmy"
        self.order_basis: str | None = None
        self.symbols: set[str] = set()
        self.ignored = 0

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, record) for each record after the header, streamed from disk."""
        with self.path.open("r", encoding=self.encoding, errors="replace", newline="") as fh:
            feed = _LineFeed(fh)
            reader = csv.reader(feed, delimiter=self.delimiter, quotechar=self.quotechar)
            index = -1
            try:
                for row in reader:
                    index += 1
                    if index <= self.layout.header_index:
                        continue
                    yield reader.line_num, row
            except csv.Error as exc:
                self.problem = f"reading stopped at line {reader.line_num}: {exc}"
            if feed.too_long:
                self.problem = (f"reading stopped at line {reader.line_num + 1}: a line longer "
                                f"than {MAX_LINE_CHARS:,} characters is not a statement row")

    def survey(self) -> None:
        """Pass 1: decimal separator and date order from the whole column, not one value."""
        cols = self.layout.cols
        money_cols = [cols[r] for r in ("amount", "debit", "credit", "balance") if r in cols]
        dec = _DecimalVotes()
        dates = _DateOrderVotes()
        dollar = False
        seen = 0
        for _, row in self._records():
            if sum(1 for c in row if c.strip()) < 2:
                continue
            seen += 1
            if seen > MAX_TRANSACTIONS:  # the same rows pass 2 will read
                break
            dates.add(_cell(row, cols["date"]))
            for c in money_cols:
                value = _cell(row, c)
                if value:
                    dec.add(value)
                    if "$" in value:
                        dollar = True
            if _cell(row, cols.get("currency")).upper() == "USD":
                dollar = True
        self.decimal = dec.decide(self.decimal)
        self.order, self.order_basis = dates.decide(prefer_month_first=dollar)

    def _money(self, value: str, what: str, problems: list[str]) -> Money | None | bool:
        """Parsed money, None for an empty cell, False (after noting why) if unreadable."""
        if not value:
            return None
        money = parse_amount(value, self.decimal)
        if money is None:
            problems.append(f"the {what} {value[:60]!r} is not an amount")
            return False
        if money.symbol and money.currency is None:
            self.symbols.add(money.symbol)
        return money

    def read(self, ledger: _Ledger) -> None:
        """Pass 2: one transaction per row; a row that cannot be read in full is kept with its
        raw values and what could not be read (see :meth:`_Ledger.keep_partial`)."""
        lay = self.layout
        cols = lay.cols
        for line, row in self._records():
            if sum(1 for c in row if c.strip()) < 2:
                if any(c.strip() for c in row):
                    self.ignored += 1
                continue
            problems: list[str] = []
            unreadable: list[str] = []
            raw: dict[str, str] = {role: _cell(row, cols[role]) for role in
                   ("date", "value_date", "amount", "debit", "credit", "direction", "balance")
                   if role in cols}
            raw_date = raw["date"]
            when = parse_date(raw_date, self.order)
            if when is None and "value_date" in cols:
                when = parse_date(raw["value_date"], self.order)
            if when is None:
                problems.append(f"the date {raw_date[:60] or '(empty)'!r} could not be read")
                unreadable.append("date")
            amount: Decimal | None = None
            currency: str | None = None
            bad_amount = False
            if "amount" in cols:
                got = self._money(raw["amount"], "amount", problems)
                bad_amount = got is False
                if isinstance(got, Money):
                    amount, currency = got.amount, got.currency
                    sign = _direction(_cell(row, cols.get("direction")))
                    if sign == -1 and amount > 0:
                        amount = -amount
            if amount is None and not bad_amount and ({"debit", "credit"} & cols.keys()):
                out = self._money(raw.get("debit", ""), "debit", problems)
                inc = self._money(raw.get("credit", ""), "credit", problems)
                bad_amount = out is False or inc is False
                if not bad_amount and (isinstance(out, Money) or isinstance(inc, Money)):
                    amount = Decimal(0)
                    if isinstance(out, Money):
                        amount -= abs(out.amount)
                        currency = out.currency
                    if isinstance(inc, Money):
                        amount += abs(inc.amount)
                        currency = currency or inc.currency
            if amount is None:
                if not bad_amount:
                    problems.append("there is no amount")
                unreadable.append("amount")
            col_currency = _cell(row, cols.get("currency")).upper()
            if re.fullmatch(r"[A-Z]{3}", col_currency):
                currency = col_currency
            currency = currency or lay.currency_hint
            balance: Decimal | None = None
            if "balance" in cols:
                bal = parse_amount(raw["balance"], self.decimal)
                balance = None if bal is None else bal.amount
            desc_parts = [_cell(row, i) for i in lay.description]
            if lay.header and len(row) > len(lay.header) and len(lay.header) - 1 in lay.description:
                # Unquoted delimiters inside the last (text) column make ragged rows (Livebank):
                # the overflow belongs to that text, not lost.
                desc_parts += [c[:MAX_CELL_CHARS].strip() for c in row[len(lay.header):]]
            description = " / ".join(" ".join(p.split()) for p in desc_parts if p)
            counterparty = " ".join(_cell(row, cols.get("counterparty")).split()) or None
            extra: dict[str, str] = {}
            kind = _cell(row, cols.get("type"))
            if kind:
                extra["type"] = kind[:100]
            if "value_date" in cols:
                vd = parse_date(raw["value_date"], self.order)
                if vd is not None:
                    extra["value_date"] = vd.isoformat()
            txn = _Txn(when, amount, description, currency, line, raw_date, balance,
                       counterparty, extra)
            if unreadable:
                txn.raw, txn.unreadable = raw, unreadable
                kept = ledger.keep_partial(txn, f"line {line}: " + "; ".join(problems)
                                           + " (the row is kept as written)")
            else:
                kept = ledger.add(txn)
            if not kept:
                break


def _extract_csv(path: Path, head: bytes, suffix: str, ext: Extraction) -> None:
    encoding, guessed = sniff_encoding(head)
    meta = ext.metadata
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        sample = fh.read(SNIFF_BYTES)
        complete = len(sample) < SNIFF_BYTES
    if not complete and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]  # never judge a half line
    found = _find_layout(sample, suffix)
    if found is None:
        if suffix in _TABLE_SUFFIXES and suffix != ".txt":
            meta.update({"format": "csv", "encoding": encoding})
            ext.errors.append("no date or amount column found: this does not look like a "
                              "bank statement table")
        else:
            meta.update({"format": None, "encoding": encoding,
                         "note": "not recognised as a bank statement (no table with a date "
                                 "and an amount column)"})
        return
    delimiter, quotechar, layout = found
    meta.update({
        "format": "csv",
        "encoding": encoding,
        "encoding_guessed": guessed,
        "delimiter": delimiter,
        "header": layout.header,
        "header_row": None if layout.header_index < 0 else layout.header_index + 1,
        "columns": layout.columns_meta(),
    })
    if layout.header is None:
        ext.errors.append("the file has no header row; the date, amount and description "
                          "columns were guessed from the values")
    reader = _CsvReader(path, encoding, delimiter, quotechar, layout)
    reader.survey()
    ledger = _Ledger()
    reader.read(ledger)
    meta["decimal_separator"] = reader.decimal
    if reader.order_basis is not None:
        meta["date_order"] = "day-first" if reader.order == "dmy" else "month-first"
        meta["date_order_basis"] = reader.order_basis
        if reader.order_basis == "guess":
            ext.errors.append("dates such as 03/04 could be day-first or month-first and "
                              f"nothing in the file settles it; read as {meta['date_order']}")
    meta["ignored_rows"] = reader.ignored
    meta["currency_symbols"] = sorted(reader.symbols)
    if reader.problem:
        ext.errors.append(reader.problem)
    ledger.finish(ext)
    if not ledger.txns:
        ext.errors.insert(0, "no transaction rows could be read")


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
            content = text[lt + 9: end if end != -1 else n]
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
        body = text[lt + 1: gt].strip()
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
    return None if m is None else _make_date(int(m[1]), int(m[2]), int(m[3]))


def _ofx_date_str(raw: str) -> str | None:
    d = _ofx_date(raw)
    return None if d is None else d.isoformat()


def _ofx_balance(el: ET.Element | None) -> dict[str, Any] | None:
    if el is None:
        return None
    amount = parse_amount(_text(el, "BALAMT"), ".")
    return {"amount": None if amount is None else _money_str(amount.amount),
            "as_of": _ofx_date_str(_text(el, "DTASOF"))}


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
    if len(data) <= MAX_OFXTOOLS_BYTES:
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
                except Exception as exc:  # noqa: BLE001 - we only report the strict verdict
                    meta["strict_ofx_check"] = {"passed": False,
                                                "problem": f"{type(exc).__name__}: {exc}"[:300]}
                return root
        except Exception as exc:  # noqa: BLE001 - many real bank files are slightly broken
            meta["ofxtools_problem"] = f"{type(exc).__name__}: {exc}"[:300]
    meta["parser"] = "tolerant"
    meta["strict_ofx_check"] = {"passed": False,
                                "problem": "ofxtools could not parse the file"}
    return _ofx_tree_tolerant(_ofx_decode(data, codec))


def _ofx_stmttrn(el: ET.Element, curdef: str | None, n: int, ledger: _Ledger) -> bool:
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
    currency = (_text(currency_el, "CURSYM").upper()
                or (money.currency if money is not None else None) or curdef)
    name = _text(el, "NAME") or _text(el.find("PAYEE"), "NAME")
    memo = _text(el, "MEMO")
    description = name if not memo or memo == name else (f"{name} / {memo}" if name else memo)
    extra = {k: v for k, v in (("type", _text(el, "TRNTYPE")), ("fitid", _text(el, "FITID")),
                               ("memo", memo), ("reference", _text(el, "REFNUM")),
                               ("checknum", _text(el, "CHECKNUM"))) if v}
    bal = parse_amount(_text(el, "ACCTBAL"), ".")  # a non-standard extension some banks use
    txn = _Txn(when, None if money is None else money.amount, description, currency, n,
               raw_date, None if bal is None else bal.amount, name or None, extra)
    if unreadable:
        txn.raw, txn.unreadable = {"date": raw_date, "amount": raw_amount}, unreadable
        return ledger.keep_partial(txn, f"transaction {n}: " + "; ".join(problems)
                                   + " (the transaction is kept as written)")
    return ledger.add(txn)


def _ofx_invtran(el: ET.Element, curdef: str | None, n: int, ledger: _Ledger) -> bool:
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
    txn = _Txn(when, None if money is None else money.amount, _text(inv, "MEMO"), curdef, n,
               raw_date, None, None, extra)
    txn.unreadable = [f for f, bad in (("date", when is None), ("amount", money is None)) if bad]
    if txn.unreadable:
        txn.raw = {"date": raw_date, "amount": total}
        return ledger.keep_partial(txn, f"transaction {n} ({el.tag}): the date {raw_date[:40]!r} "
                                   f"or the total {total[:40]!r} could not be read (the "
                                   "transaction is kept as written)")
    return ledger.add(txn)


def _extract_ofx(path: Path, ext: Extraction) -> None:
    meta = ext.metadata
    meta["format"] = "ofx"
    with path.open("rb") as fh:
        data = fh.read(MAX_MARKUP_BYTES + 1)
    if len(data) > MAX_MARKUP_BYTES:
        data = data[:MAX_MARKUP_BYTES]
        ext.errors.append(f"the file is larger than {MAX_MARKUP_BYTES // 2**20} MB; only the "
                          "start was read")
    if _DANGEROUS_XML_RE.search(data):
        ext.errors.append("the file declares a DOCTYPE or ENTITY, which OFX never needs; it was "
                          "not parsed (this is how XML bombs work)")
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
        {"in": parent.tag, "code": _text(st, "CODE") or None,
         "severity": _text(st, "SEVERITY") or None, "message": _text(st, "MESSAGE") or None}
        for parent in root.iter() for st in parent.findall("STATUS")
    ]
    meta["status"] = status[:100]
    ledger = _Ledger()
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
                statements.append({"type": "unknown", "account": None, "currency": None,
                                   "transaction_count": len(ledger.txns) - before})
            break
        account_el = next((a for a in (stmt.find(t) for t in _ACCOUNT_TAGS) if a is not None),
                          None)
        account = ({c.tag.lower(): " ".join(html.unescape(c.text or "").split())
                    for c in account_el if len(c) == 0} if account_el is not None else None)
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
    bad = [s for s in status if (s["severity"] or "").upper() == "ERROR"
           or (s["code"] not in (None, "0") and (s["severity"] or "").upper() != "INFO")]
    for s in bad:
        ext.errors.append(f"the bank's file reports an error in {s['in']}: code {s['code']}"
                          f" ({s['severity']}) {s['message'] or ''}".strip())
    if not ledger.txns:
        if bad:
            ext.errors.insert(0, "the OFX file contains no transactions: the bank sent an error "
                                 "message instead of a statement")
        elif not containers and not n:
            ext.errors.insert(0, "no OFX statement found in the file")
        else:
            ext.errors.insert(0, "the OFX file contains no readable transactions")


# --------------------------------------------------------------------------------------------
# SWIFT MT940
# --------------------------------------------------------------------------------------------

_MT_TAG_RE: Final = re.compile(r":(\d{2}[A-Z]?):(.*)")
_MT_61_RE: Final = re.compile(
    r"(?P<vdate>\d{6})(?P<edate>\d{4})?(?P<mark>RC|RD|EC|ED|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,]*)(?P<rest>.*)", re.S)
_MT_BAL_RE: Final = re.compile(r"(?P<mark>[CD])(?P<date>\d{6})(?P<cur>[A-Z]{3})(?P<amount>[\d,]+)")


def _mt_date(yymmdd: str) -> date | None:
    return _make_date(_year(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))


def _mt_amount(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ".").rstrip(".") or "x")
    except InvalidOperation:
        return None


def _mt_balance(value: str) -> dict[str, Any] | None:
    m = _MT_BAL_RE.match(value.strip())
    if m is None:
        return None
    amount = _mt_amount(m["amount"])
    when = _mt_date(m["date"])
    if amount is None:
        return None
    if m["mark"] == "D":
        amount = -amount
    return {"amount": _money_str(amount), "currency": m["cur"],
            "date": None if when is None else when.isoformat()}


def _extract_mt940(text: str, ext: Extraction) -> None:
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
            line = line[cut + 3:]
        if line in ("-", "-}", "}"):
            continue
        m = _MT_TAG_RE.match(line)
        if m:
            tags.append([m[1], m[2], lineno])
        elif tags:
            tags[-1][1] += "\n" + line
    ledger = _Ledger()
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
            txn = _Txn(None, None, details, currency, line, "", None, None, {},
                       {"line": written}, ["date", "amount"])
            ledger.keep_partial(txn, f"line {line}: the :61: line {written[:60]!r} could not "
                                "be read (the transaction is kept as written)")
            return
        when = _mt_date(m61["vdate"])
        amount = _mt_amount(m61["amount"])
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
        txn = _Txn(when, amount, details or reference, currency, line, m61["vdate"], None, None,
                   extra)
        txn.unreadable = [f for f, bad in (("date", when is None), ("amount", amount is None))
                          if bad]
        if txn.unreadable:
            txn.raw = {"line": written, "date": m61["vdate"], "mark": m61["mark"],
                       "amount": m61["amount"]}
            ledger.keep_partial(txn, f"line {line}: the {' and the '.join(txn.unreadable)} on "
                                f"the :61: line {written[:60]!r} could not be read (the "
                                "transaction is kept as written)")
            return
        stmt["transaction_count"] += 1
        ledger.add(txn)

    for tag, value, lineno in tags:
        if ledger.full:
            ledger.truncated = True
            break
        if tag == "20":
            flush()
            stmt = {"reference": value.strip(), "account": None, "statement_number": None,
                    "currency": None, "opening_balance": None, "closing_balance": None,
                    "transaction_count": 0}
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

    def __init__(self, ledger: _Ledger) -> None:
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
            self.kind = name.rsplit("}", 1)[0].lstrip("{").rsplit(":", 1)[-1] if "}" in name \
                else None
        self.stack.append(local)
        if self.builder is not None:
            self.builder.start(local, {_local(k): v for k, v in attrs.items()})
            return
        if local in self._STMT:
            self.stmt = {"id": None, "account": None, "currency": None, "from": None,
                         "to": None, "opening_balance": None, "closing_balance": None,
                         "transaction_count": 0}
            self.statements.append(self.stmt)
        elif self.stmt is not None and len(self.stack) >= 2 and self.stack[-2] in self._STMT \
                and local in self._CAPTURE:
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
            amount = _mt_amount(_ftext(el, "Amt").replace(".", ","))
            if amount is not None and _ftext(el, "CdtDbtInd") == "DBIT":
                amount = -amount
            bal = {"amount": None if amount is None else _money_str(amount),
                   "currency": None if amt_el is None else amt_el.get("Ccy"),
                   "date": (_ftext(el, "Dt/Dt") or _ftext(el, "Dt/DtTm")[:10]) or None}
            if code in ("OPBD", "PRCD"):
                stmt["opening_balance"] = bal
            elif code in ("CLBD",):
                stmt["closing_balance"] = bal
        elif el.tag == "Ntry":
            self._entry(el, stmt)

    def _entry(self, el: ET.Element, stmt: dict[str, Any]) -> None:
        self.entries += 1
        n = self.entries
        raw_date = (_ftext(el, "BookgDt/Dt") or _ftext(el, "BookgDt/DtTm")
                    or _ftext(el, "ValDt/Dt") or _ftext(el, "ValDt/DtTm"))
        when = parse_date(raw_date[:10])
        amt_el = el.find("Amt")
        raw_amount = _ftext(el, "Amt")
        amount = _mt_amount(raw_amount.replace(".", ","))
        credit = _ftext(el, "CdtDbtInd") != "DBIT"
        if amount is not None and not credit:
            amount = -amount
        tx = el.find("NtryDtls/TxDtls")
        name, acct = _camt_party(tx, "Dbtr" if credit else "Cdtr")
        remittance = " ".join(u.text.strip() for u in el.iterfind("NtryDtls/TxDtls/RmtInf/Ustrd")
                              if u.text and u.text.strip())
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
        txn = _Txn(when, amount, description, currency, n, raw_date, None, name, extra)
        txn.unreadable = [f for f, bad in (("date", when is None), ("amount", amount is None))
                          if bad]
        if txn.unreadable:
            txn.raw = {"date": raw_date, "amount": raw_amount,
                       "credit_debit": _ftext(el, "CdtDbtInd")}
            kept = self.ledger.keep_partial(
                txn, f"entry {n}: the date {raw_date[:40]!r} or amount {raw_amount[:40]!r} "
                "could not be read (the entry is kept as written)")
        else:
            stmt["transaction_count"] += 1
            kept = self.ledger.add(txn)
        if not kept:
            raise _StopReadingError


def _refuse(*_args: object) -> int:
    raise _RefusedXmlError


def _extract_camt(path: Path, head: bytes, ext: Extraction) -> None:
    meta = ext.metadata
    meta["format"] = "camt"
    declared = re.search(rb"<\?xml[^>]*encoding=[\"']([\w.-]+)", head[:512])
    meta["encoding"] = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    ledger = _Ledger()
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
        ext.errors.append("the XML declares a DOCTYPE or entities, which camt never needs; it "
                          "was not read further (this is how XML bombs work)")
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


# --------------------------------------------------------------------------------------------
# The extractor
# --------------------------------------------------------------------------------------------

_MT940_START_RE: Final = re.compile(r"(?m)^(?:\{4:)?:20:")
_MT940_FIELD_RE: Final = re.compile(r"(?m)^:(?:25|60[FM]|61):")


def _sniff_kind(head: bytes, suffix: str) -> str:
    """"ofx", "camt", "mt940", "xml" (other XML) or "table", from the first bytes."""
    encoding, _ = sniff_encoding(head)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n\x00")
    upper = text[:8192].upper()
    if "OFXHEADER" in upper[:2048] or "<?OFX" in upper or "<OFX>" in upper:
        return "ofx"
    if "urn:iso:std:iso:20022:tech:xsd:camt.05" in text:
        return "camt"
    if _MT940_START_RE.search(text[:16384]) and _MT940_FIELD_RE.search(text[:16384]):
        return "mt940"
    if suffix in _OFX_SUFFIXES:
        return "ofx"
    if suffix in _MT940_SUFFIXES:
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
            _extract_ofx(path, ext)
        elif kind == "camt":
            _extract_camt(path, head, ext)
        elif kind == "mt940":
            with path.open("rb") as fh:
                data = fh.read(MAX_MARKUP_BYTES + 1)
            if len(data) > MAX_MARKUP_BYTES:
                ext.errors.append("the file is larger than 64 MB; only the start was read")
            encoding, _ = sniff_encoding(head)
            ext.metadata["encoding"] = encoding
            _extract_mt940(data[:MAX_MARKUP_BYTES].decode(encoding, errors="replace"), ext)
        elif kind == "xml":
            ext.metadata.update({"format": None,
                                 "note": "XML that is not an OFX or ISO 20022 camt statement"})
            if suffix in _STATEMENT_SUFFIXES:
                ext.errors.append("not a bank statement format this tool reads")
        else:
            _extract_csv(path, head, suffix, ext)
        # One shape for every result, so the loss report never has to guess.
        for key, empty in (("transactions", []), ("transaction_count", 0), ("totals", {}),
                           ("date_range", None), ("skipped_rows", 0), ("truncated", False),
                           ("timeline_capped", False)):
            ext.metadata.setdefault(key, empty)
        return ext


#: The extractor this module provides, for the registry.
EXTRACTOR: Extractor = StatementExtractor()
