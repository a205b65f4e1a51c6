"""What every statement format shares: limits, amounts, dates, text encodings, and the ledger
that turns collected transactions into the metadata schema described in the package docstring."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final, NamedTuple

import charset_normalizer

from evidence_kit.extractors.identifiers import find_identifiers
from evidence_kit.extractors.interface import Extraction, Identifier, TimeFact

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

OFX_SUFFIXES: Final = frozenset({".ofx", ".qfx", ".qbo"})
MT940_SUFFIXES: Final = frozenset({".sta", ".mt940", ".940"})
TABLE_SUFFIXES: Final = frozenset({".csv", ".tsv", ".txt", ".tab"})
STATEMENT_SUFFIXES: Final = OFX_SUFFIXES | MT940_SUFFIXES | frozenset({".csv", ".tsv", ".tab"})


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
SYMBOLS: Final[dict[str, str | None]] = {
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "₽": "RUB",
    "₺": "TRY",
    "₩": "KRW",
    "₪": "ILS",
    "₴": "UAH",
    "₦": "NGN",
    "₱": "PHP",
    "฿": "THB",
    "₫": "VND",
    "₿": "BTC",
    "zł": "PLN",
    "kč": "CZK",
    "ft": "HUF",
    "lei": "RON",
    "r$": "BRL",
    "us$": "USD",
    "u$s": "USD",
    "a$": "AUD",
    "au$": "AUD",
    "c$": "CAD",
    "ca$": "CAD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "fr": "CHF",
    "fr.": "CHF",
    "sfr": "CHF",
    "ر.س": "SAR",
    "د.إ": "AED",
    "د.ك": "KWD",
    "ج.م": "EGP",
    "د.ا": "JOD",
    "د.ب": "BHD",
    "ر.ق": "QAR",
    "ر.ع": "OMR",
    "د.م": "MAD",
    "د.ت": "TND",
    "د.ج": "DZD",
    "ل.ل": "LBP",
    "د.ع": "IQD",
    "ل.د": "LYD",
    "$": None,
    "¥": None,
    "kr": None,
    "kr.": None,
    "rs": None,
    "rs.": None,
}
# Bidi marks become spaces, not nothing: in "د.ا.\u200f4.750" the mark is what separates the
# Jordanian dinar sign from the number.
_BIDI: Final = dict.fromkeys(
    map(
        ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u061c\u200b"
    ),
    " ",
)
_WS_RE: Final = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_NUM_RE: Final = re.compile(r"[.,]?\d(?:[\d.,' ]*\d)?")
_CODE_RE: Final = re.compile(r"[A-Za-z]{3}")
_MINUS: Final = "-\u2212\u2013\u2012"
_DEBIT_MARKS: Final = frozenset({"dr", "db", "debit", "d", "s", "soll"})
_CREDIT_MARKS: Final = frozenset({"cr", "credit", "c", "h", "haben"})


def clean_text(text: str) -> str:
    """Drop bidi marks and normalise every kind of space to one ASCII space."""
    if text.isascii() and text.isprintable() and "  " not in text:
        return text.strip()  # no bidi mark, no space but single ASCII ones (most cells)
    return _WS_RE.sub(" ", text.translate(_BIDI)).strip()


def _read_affix(affix: str, *, suffix: bool) -> tuple[int, str | None, str | None] | None:
    """Sign (+1/-1/0), currency and symbol written around a number; None if it is not money."""
    if not affix:
        return 0, None, None  # most amounts are written bare
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
            if cand in SYMBOLS:
                symbol, currency = token, SYMBOLS[cand] or currency
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
        if len(token) <= 6 and all(
            not c.isascii() and (c.isalpha() or c in ".") or c == "." for c in token
        ):
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
    s = clean_text(text)
    if not s or len(s) > 64:
        return None
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    m = _NUM_RE.search(s)
    if m is None:
        return None
    pre, num, post = s[: m.start()], m.group(0).strip(), s[m.end() :]
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
    votes = DecimalVotes()
    for v in values:
        votes.add(v)
    return votes.decide(default)


class DecimalVotes:
    """Evidence, value by value, for the decimal separator of a column."""

    def __init__(self) -> None:
        self.dot = 0
        self.comma = 0

    def add(self, value: str) -> None:
        m = _NUM_RE.search(clean_text(value))
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
    r"(\d{1,2})(?:st|nd|rd|th)?[.]?[\s./-]*([^\W\d_]{3,})\.?[\s./-]*(\d{4}|\d{2})(?!\d)"
)
_MONDY_RE: Final = re.compile(
    r"([^\W\d_]{3,})\.?[\s-]+(\d{1,2})(?:st|nd|rd|th)?,?[\s-]+(\d{4})(?!\d)"
)

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
    if text.isascii():  # nothing to strip (most cells): 10x faster
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _month(word: str) -> int | None:
    w = _fold(word).rstrip(".")
    if len(w) < 3:
        return None
    hits = {n for n, names in _MONTH_NAMES.items() for name in names if name.startswith(w)}
    return hits.pop() if len(hits) == 1 else None


def year(text: str) -> int:
    y = int(text)
    if len(text) == 2:  # the POSIX strptime pivot: 69 -> 2069, 70 -> 1970
        y += 2000 if y < 70 else 1900
    return y


def make_date(y: int, m: int, d: int) -> date | None:
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
    s = clean_text(text).strip("'\"")
    if not s or len(s) > 64:
        return None
    m = _ISO_RE.match(s)
    if m:
        return make_date(int(m[1]), int(m[2]), int(m[3]))
    m = _COMPACT_RE.match(s)
    if m:
        return make_date(int(m[1]), int(m[2]), int(m[3]))
    m = _NUMERIC_RE.match(s)
    if m:
        a, b, y = int(m[1]), int(m[3]), year(m[4])
        return make_date(y, b, a) if order == "dmy" else make_date(y, a, b)
    m = _DMONY_RE.match(s)
    if m:
        month = _month(m[2])
        return None if month is None else make_date(year(m[3]), month, int(m[1]))
    m = _MONDY_RE.match(s)
    if m:
        month = _month(m[1])
        return None if month is None else make_date(int(m[3]), month, int(m[2]))
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


class DateOrderVotes:
    """Decides day-first vs month-first for a whole date column, not value by value."""

    def __init__(self) -> None:
        self.day_first = 0
        self.month_first = 0
        self.numeric = 0
        self.dots = 0
        self.dmy = _Monotonic()
        self.mdy = _Monotonic()

    def add(self, text: str) -> None:
        m = _NUMERIC_RE.match(clean_text(text).strip("'\""))
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
        y = year(m[4])
        self.dmy.add(make_date(y, b, a))
        self.mdy.add(make_date(y, a, b))

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
    except Exception:
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


def money_str(d: Decimal) -> str:
    if d == 0:
        d = abs(d)
    return format(d, "f")


@dataclass(slots=True)
class Txn:
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
            "amount": None if self.amount is None else money_str(self.amount),
            "currency": self.currency,
            "balance": None if self.balance is None else money_str(self.balance),
            "row": self.row,
        }
        out.update(self.extra)
        if self.unreadable:
            out["unreadable"] = list(self.unreadable)
            out["raw"] = {k: v[:MAX_CELL_CHARS] for k, v in self.raw.items()}
            out["note"] = _unreadable_note(self.unreadable)
        return out


def _unreadable_note(fields: Sequence[str]) -> str:
    """ "the date could not be read", "the date and the amount could not be read"..."""
    names = [f"the {f}" for f in fields] or ["the row"]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{joined} could not be read"


#: Why totals, counts and the date range leave a kept row out, by what could not be read.
LEFT_OUT_NOTE: Final = (
    "rows whose date or amount could not be read are listed in "
    "partial_transactions as written; they are not counted in transactions, "
    "totals or date_range"
)


class Ledger:
    """Collects transactions and the rows that could not be read in full, then fills the
    Extraction. A row that cannot be read in full is never dropped: it is kept in ``partial``
    with what could be read, its raw values and the fields that could not be read."""

    def __init__(self, cap: int | None = None) -> None:
        self.cap = MAX_TRANSACTIONS if cap is None else cap
        self.txns: list[Txn] = []
        self.partial: list[Txn] = []
        self.skipped = 0
        self.left_out: Counter[str] = Counter()
        self.reasons: list[str] = []
        self.truncated = False

    @property
    def full(self) -> bool:
        return len(self.txns) >= self.cap

    def add(self, txn: Txn) -> bool:
        """Keep ``txn``; False (and ``truncated``) once the cap is reached."""
        if txn.unreadable:
            return self.keep_partial(txn, _unreadable_note(txn.unreadable))
        if self.full:
            self.truncated = True
            return False
        self.txns.append(txn)
        return True

    def keep_partial(self, txn: Txn, reason: str) -> bool:
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
            k: {
                "in": money_str(v["in"]),
                "out": money_str(v["out"]),
                "net": money_str(v["in"] - v["out"]),
                "count": counts[k],
            }
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
                "totals, counts and date range"
            )
        if self.truncated:
            ext.errors.append(
                f"the file has more than {self.cap:,} transactions; only the "
                f"first {self.cap:,} were read"
            )
        ext.errors.extend(self.reasons)
        if self.skipped > len(self.reasons):
            ext.errors.append(
                f"... and {self.skipped - len(self.reasons):,} more rows that could not be read"
            )
        meta["timeline_capped"] = len(self.txns) > MAX_TIME_FACTS
        for i, t in enumerate(self.txns[:MAX_TIME_FACTS]):
            ext.times.append(_time_fact(t, f"transactions[{i}]"))
        # Kept rows with a readable date are dated facts too (the amount is what is missing).
        room = MAX_TIME_FACTS - len(ext.times)
        dated = [(i, t) for i, t in enumerate(self.partial) if t.when is not None]
        for i, t in dated[: max(room, 0)]:
            ext.times.append(_time_fact(t, f"partial_transactions[{i}]"))
        ext.identifiers.extend(
            _identifiers([("transactions", self.txns), ("partial_transactions", self.partial)])
        )


def _time_fact(t: Txn, where: str) -> TimeFact:
    who = f"{t.counterparty}: " if t.counterparty else ""
    what = f"{who}{t.description}".strip() or "(no description)"
    if t.amount is None:
        written = t.raw.get("amount")
        amount = f"({_unreadable_note(['amount'])}" + (f": {written[:40]!r})" if written else ")")
    else:
        amount = money_str(t.amount)
    label = f"transaction: {what[:160]} {amount} {t.currency or ''}"
    at = "" if t.when is None else t.when.isoformat()
    return TimeFact(at=at, label=label.strip(), raw=t.raw_date[:100], field=where)


def _identifiers(groups: Sequence[tuple[str, Sequence[Txn]]]) -> list[Identifier]:
    """Account numbers, e-mails, URLs... in descriptions and counterparties, first sighting each
    (``groups``: (metadata key, rows) pairs, scanned in order)."""
    seen: set[tuple[str, str]] = set()
    scanned: set[str] = set()
    found: list[Identifier] = []
    for where, i, t in ((k, i, t) for k, txns in groups for i, t in enumerate(txns)):
        fields = [("description", t.description), ("counterparty", t.counterparty or "")]
        fields += [
            (k, t.extra[k]) for k in ("counterparty_account", "reference", "memo") if k in t.extra
        ]
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
