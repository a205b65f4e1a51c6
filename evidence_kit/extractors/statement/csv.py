"""CSV / TSV statement exports: dialect, header roles in five languages, decimal and date order."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, TextIO

from evidence_kit.extractors.interface import Extraction
from evidence_kit.extractors.statement import common
from evidence_kit.extractors.statement.common import (
    MAX_CELL_CHARS,
    MAX_LINE_CHARS,
    SNIFF_BYTES,
    SYMBOLS,
    TABLE_SUFFIXES,
    DateOrderVotes,
    DecimalVotes,
    Ledger,
    Money,
    Txn,
    _fold,
    clean_text,
    parse_amount,
    parse_date,
    sniff_encoding,
)

# --------------------------------------------------------------------------------------------
# CSV / TSV
# --------------------------------------------------------------------------------------------

# Header names per role, in EN/DE/FR/ES/NL, written as _norm_header() produces them.
_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "date": (
        "date",
        "posting date",
        "post date",
        "posted date",
        "date posted",
        "transaction date",
        "trans date",
        "txn date",
        "booking date",
        "book date",
        "run date",
        "entry date",
        "completed date",
        "started date",
        "processed date",
        "date of transaction",
        "buchungstag",
        "buchungsdatum",
        "buchung",
        "datum",
        "belegdatum",
        "umsatzdatum",
        "date operation",
        "date d operation",
        "date de l operation",
        "date de operation",
        "date comptable",
        "date de comptabilisation",
        "date transaction",
        "fecha",
        "fecha operacion",
        "fecha de operacion",
        "f operacion",
        "fecha contable",
        "fecha movimiento",
        "boekdatum",
        "transactiedatum",
        "datum transactie",
        "data",
    ),
    "value_date": (
        "value date",
        "valuta",
        "valutadatum",
        "wertstellung",
        "wertstellungsdatum",
        "wert",
        "date de valeur",
        "date valeur",
        "fecha valor",
        "f valor",
        "rentedatum",
        "settlement date",
        "valuedatum",
    ),
    "amount": (
        "amount",
        "amt",
        "transaction amount",
        "sum",
        "betrag",
        "umsatz",
        "montant",
        "importe",
        "cantidad",
        "monto",
        "bedrag",
        "transactiebedrag",
        "net amount",
    ),
    "debit": (
        "debit",
        "debits",
        "debit amount",
        "withdrawal",
        "withdrawals",
        "withdrawal amount",
        "paid out",
        "money out",
        "out",
        "outflow",
        "outgoing",
        "spent",
        "soll",
        "belastung",
        "ausgang",
        "ausgaben",
        "montant debit",
        "cargo",
        "cargos",
        "debe",
        "af",
        "afschrijving",
        "uitgaven",
        "debet",
    ),
    "credit": (
        "credit",
        "credits",
        "credit amount",
        "deposit",
        "deposits",
        "paid in",
        "money in",
        "in",
        "inflow",
        "incoming",
        "received",
        "haben",
        "gutschrift",
        "eingang",
        "einnahmen",
        "montant credit",
        "abono",
        "abonos",
        "haber",
        "ingreso",
        "ingresos",
        "bij",
        "bijschrijving",
        "inkomsten",
    ),
    "direction": (
        "debit / credit",
        "credit / debit",
        "dr / cr",
        "cr / dr",
        "d / c",
        "c / d",
        "soll / haben",
        "s / h",
        "af bij",
        "af / bij",
        "debit credit",
        "credit debit",
        "debit credit indicator",
        "credit debit indicator",
        "cdtdbtind",
        "sens",
    ),
    "balance": (
        "balance",
        "running balance",
        "runningbalance",
        "balance after",
        "closing balance",
        "saldo",
        "kontostand",
        "neuer saldo",
        "saldo nach buchung",
        "solde",
        "nouveau solde",
        "saldo disponible",
        "balans",
        "saldo na mutatie",
        "saldo na trn",
    ),
    "currency": (
        "currency",
        "ccy",
        "cur",
        "curr",
        "currency code",
        "wahrung",
        "waehrung",
        "whrg",
        "devise",
        "monnaie",
        "moneda",
        "divisa",
        "munt",
    ),
    "counterparty": (
        "payee",
        "payee name",
        "name",
        "beneficiary",
        "beneficiary name",
        "counterparty",
        "counter party",
        "merchant",
        "merchant name",
        "recipient",
        "payer",
        "payer / payee",
        "paid to",
        "auftraggeber / empfanger",
        "empfanger",
        "zahlungsempfanger",
        "auftraggeber",
        "begunstigter / zahlungspflichtiger",
        "name zahlungsbeteiligter",
        "zahlungsbeteiligter",
        "beneficiaire",
        "tiers",
        "contrepartie",
        "beneficiario",
        "ordenante",
        "naam",
        "naam / omschrijving",
        "tegenpartij",
        "naam tegenpartij",
    ),
    "description": (
        "description",
        "transaction description",
        "narrative",
        "memo",
        "reference",
        "payment reference",
        "remarks",
        "remark",
        "particulars",
        "transaction details",
        "transaction",
        "note",
        "notes",
        "purpose",
        "action",
        "verwendungszweck",
        "buchungstext",
        "umsatztext",
        "text",
        "vorgang",
        "beschreibung",
        "buchungsinformationen",
        "libelle",
        "libelle operation",
        "libelle de l operation",
        "detail",
        "remarque",
        "motif",
        "informations complementaires",
        "concepto",
        "descripcion",
        "detalle",
        "observaciones",
        "referencia",
        "movimiento",
        "omschrijving",
        "mededelingen",
    ),
    "type": (
        "type",
        "transaction type",
        "details",
        "trntype",
        "buchungsart",
        "umsatzart",
        "typ",
        "mutatiesoort",
        "code",
        "type d operation",
        "tipo",
    ),
}
_EXACT: Final[dict[str, str]] = {name: role for role, names in _SYNONYMS.items() for name in names}
# For headers with extra words ("Amount in GBP", "Date of posting"): checked in this order,
# because "balance amount" is a balance and "debit amount" is a debit.
_KEYWORDS: Final[tuple[tuple[str, str], ...]] = (
    ("balance", "balance"),
    ("saldo", "balance"),
    ("solde", "balance"),
    ("kontostand", "balance"),
    ("value date", "value_date"),
    ("valuta", "value_date"),
    ("wertstellung", "value_date"),
    ("currency", "currency"),
    ("wahrung", "currency"),
    ("devise", "currency"),
    ("moneda", "currency"),
    ("debit", "debit"),
    ("credit", "credit"),
    ("withdrawal", "debit"),
    ("deposit", "credit"),
    ("amount", "amount"),
    ("betrag", "amount"),
    ("montant", "amount"),
    ("importe", "amount"),
    ("bedrag", "amount"),
    ("date", "date"),
    ("datum", "date"),
    ("fecha", "date"),
    ("description", "description"),
    ("omschrijving", "description"),
    ("verwendungszweck", "description"),
    ("libelle", "description"),
    ("concepto", "description"),
    ("memo", "description"),
    ("payee", "counterparty"),
    ("beneficiary", "counterparty"),
    ("empfanger", "counterparty"),
    ("auftraggeber", "counterparty"),
)
_SINGLE_ROLES: Final = (
    "date",
    "value_date",
    "amount",
    "debit",
    "credit",
    "direction",
    "balance",
    "currency",
    "counterparty",
    "type",
)
_PAREN_RE: Final = re.compile(r"[(\[](.*?)[)\]]")
_UPPER_CODE_RE: Final = re.compile(r"[A-Z]{3}")
_HINT_RE: Final = re.compile(r"[A-Za-z]{3}|[€£]")
_SLASH_RE: Final = re.compile(r"\s*/\s*")
_NON_WORD_RE: Final = re.compile(r"[^\w/]+")
_ISO_CODES_HINT: Final = frozenset(
    {
        "EUR",
        "USD",
        "GBP",
        "CHF",
        "CAD",
        "AUD",
        "NZD",
        "JPY",
        "CNY",
        "HKD",
        "SGD",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "BGN",
        "TRY",
        "INR",
        "ZAR",
        "BRL",
        "MXN",
        "ARS",
        "RUB",
        "UAH",
        "ILS",
        "AED",
        "SAR",
        "NGN",
        "KES",
        "PHP",
        "THB",
        "MYR",
        "IDR",
        "KRW",
        "BTC",
    }
)


def _norm_header(cell: str) -> tuple[str, str | None]:
    """Normalise a header cell; also return a currency it names, e.g. "Betrag (EUR)" -> EUR."""
    raw = clean_text(cell)
    hint: str | None = None
    for token in _HINT_RE.findall(raw):
        if token.upper() in _ISO_CODES_HINT:
            hint = token.upper()
        elif token in ("€", "£"):
            hint = SYMBOLS[token]
    text = _fold(_PAREN_RE.sub(" ", raw))
    text = _SLASH_RE.sub(" / ", text)
    text = _NON_WORD_RE.sub(" ", text).replace("_", " ")
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


@functools.lru_cache(maxsize=4096)
def _header_cell(cell: str) -> tuple[str, str | None, str | None, bool]:
    """(normalised text, currency hint, role, exact) of one header cell (cached: the same rows
    are tried under every candidate delimiter, and exports of one bank repeat one header)."""
    norm, hint = _norm_header(cell)
    role, exact = _role_of(norm) if norm else (None, False)
    return norm, hint, role, exact


def _layout_from_header(cells: Sequence[str], index: int) -> _Layout | None:
    """Assign roles to a header row; None unless it has a date and an amount."""
    found: dict[str, list[tuple[int, bool]]] = {}
    hints: dict[int, str] = {}
    named: list[str] = []
    for i, cell in enumerate(cells):
        norm, hint, role, exact = _header_cell(cell)
        if not norm:
            continue
        named.append(cell)
        if role is None:
            continue
        found.setdefault(role, []).append((i, exact))
        if hint is not None:
            hints[i] = hint
    if not (
        ("date" in found or "value_date" in found)
        and ({"amount", "debit", "credit"} & found.keys())
    ):
        return None  # (checked first: most rows name no roles, and values cost more to test)
    for cell in named:
        if parse_date(cell) is not None or parse_amount(cell) is not None:
            return None  # a data row, not a header
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
    hint = next(
        (
            hints[cols[r]]
            for r in ("amount", "debit", "credit", "balance")
            if r in cols and cols[r] in hints
        ),
        None,
    )
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
    currency_cols = [
        c
        for c in range(width)
        if c not in cols.values()
        and share(c, lambda v: bool(_UPPER_CODE_RE.fullmatch(v.strip()))) >= 0.9
    ]
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


def _sniff_head(sample: str) -> str:
    """What csv.Sniffer is shown: 4 KiB of whole lines. It counts every ASCII character on
    every line (~5 ms for 16 KiB), and its guess only orders the candidates, which are all
    tried."""
    head = sample[:4096]
    if len(sample) > 4096 and "\n" in head:
        head = head[: head.rfind("\n") + 1]
    return head


def _dialect_candidates(sample: str, suffix: str) -> list[tuple[str, str]]:
    """(delimiter, quotechar) pairs to try: csv.Sniffer's guess first, then the usual ones."""
    order = ["\t", ",", ";", "|"] if suffix in (".tsv", ".tab") else [",", ";", "\t", "|"]
    found: list[tuple[str, str]] = []
    try:
        head = _sniff_head(sample)
        if any(d in head for d in ",;\t|"):  # else it can only fail (slowly)
            sniffed = csv.Sniffer().sniff(head, delimiters=",;\t|")
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
    """Choose delimiter and columns: a header naming a date and an amount wins, else guess.

    The candidates are tried in :func:`_dialect_candidates` order (csv.Sniffer's guess first):
    the best header wins, the earlier candidate on a tie; without a header, the first candidate
    whose values show a date and an amount column. The sniffer's guess is only asked for when
    that order decides: when the sample has no ``'`` its guess can only be one of the usual
    four pairs (its quotechar is ``'`` or ``"``), so the usual four are tried first and the
    order matters only if two of them do equally well.
    """
    usual = [(d, '"') for d in ("\t", ",", ";", "|")]
    ordered: list[tuple[str, str]] | None = None
    if "'" in _sniff_head(sample):
        ordered = _dialect_candidates(sample, suffix)
    tried = ordered if ordered is not None else usual
    rows_of = {c: _read_rows(sample, c[0], c[1], 200) for c in tried}

    def first(winners: list[tuple[str, str]]) -> tuple[str, str]:
        nonlocal ordered
        if len(winners) == 1:
            return winners[0]
        if ordered is None:
            ordered = _dialect_candidates(sample, suffix)
        return next(c for c in ordered if c in winners)

    headers: dict[tuple[str, str], tuple[tuple[int, float, int], _Layout]] = {}
    for cand in tried:
        rows = rows_of[cand]
        for idx, row in enumerate(rows[:60]):
            layout = _layout_from_header(row, idx)
            if layout is None:
                continue
            after = [r for r in rows[idx + 1 : idx + 21] if any(c.strip() for c in r)]
            fits = sum(1 for r in after if len(r) >= layout.needed) / len(after) if after else 1
            score = (1 if fits >= 0.5 else 0, fits, len(layout.cols) + len(layout.description))
            headers[cand] = (score, layout)
            break
    if headers:
        top = max(score for score, _ in headers.values())
        cand = first([c for c, (score, _) in headers.items() if score == top])
        return cand[0], cand[1], headers[cand][1]
    guessed: dict[tuple[str, str], _Layout] = {}
    for cand in tried:
        layout = _layout_without_header([r for r in rows_of[cand] if any(c.strip() for c in r)])
        if layout is not None:
            guessed[cand] = layout
            if ordered is not None:
                break  # the order is known: the first one wins
    if guessed:
        cand = first(list(guessed))
        return cand[0], cand[1], guessed[cand]
    return None


def _filled(row: Sequence[str]) -> int:
    """How many cells of ``row`` are not blank, counted up to 2 (all the callers ask)."""
    n = 0
    for c in row:
        if c.strip():
            n += 1
            if n == 2:
                break
    return n


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

    def __init__(
        self, path: Path, encoding: str, delimiter: str, quotechar: str, layout: _Layout
    ) -> None:
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
                self.problem = (
                    f"reading stopped at line {reader.line_num + 1}: a line longer "
                    f"than {MAX_LINE_CHARS:,} characters is not a statement row"
                )

    def survey(self) -> None:
        """Pass 1: decimal separator and date order from the whole column, not one value."""
        cols = self.layout.cols
        money_cols = [cols[r] for r in ("amount", "debit", "credit", "balance") if r in cols]
        dec = DecimalVotes()
        dates = DateOrderVotes()
        dollar = False
        seen = 0
        for _, row in self._records():
            if _filled(row) < 2:
                continue
            seen += 1
            if seen > common.MAX_TRANSACTIONS:  # the same rows pass 2 will read
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

    def read(self, ledger: Ledger) -> None:
        """Pass 2: one transaction per row; a row that cannot be read in full is kept with its
        raw values and what could not be read (see :meth:`Ledger.keep_partial`)."""
        lay = self.layout
        cols = lay.cols
        raw_cols = [
            (role, cols[role])
            for role in ("date", "value_date", "amount", "debit", "credit", "direction", "balance")
            if role in cols
        ]
        debit_credit = bool({"debit", "credit"} & cols.keys())
        for line, row in self._records():
            if _filled(row) < 2:
                if any(c.strip() for c in row):
                    self.ignored += 1
                continue
            problems: list[str] = []
            unreadable: list[str] = []
            raw: dict[str, str] = {role: _cell(row, i) for role, i in raw_cols}
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
            if amount is None and not bad_amount and debit_credit:
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
            if _UPPER_CODE_RE.fullmatch(col_currency):
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
                desc_parts += [c[:MAX_CELL_CHARS].strip() for c in row[len(lay.header) :]]
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
            txn = Txn(
                when, amount, description, currency, line, raw_date, balance, counterparty, extra
            )
            if unreadable:
                txn.raw, txn.unreadable = raw, unreadable
                kept = ledger.keep_partial(
                    txn, f"line {line}: " + "; ".join(problems) + " (the row is kept as written)"
                )
            else:
                kept = ledger.add(txn)
            if not kept:
                break


def extract_csv(path: Path, head: bytes, suffix: str, ext: Extraction) -> None:
    encoding, guessed = sniff_encoding(head)
    meta = ext.metadata
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        sample = fh.read(SNIFF_BYTES)
        complete = len(sample) < SNIFF_BYTES
    if not complete and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]  # never judge a half line
    found = _find_layout(sample, suffix)
    if found is None:
        if suffix in TABLE_SUFFIXES and suffix != ".txt":
            meta.update({"format": "csv", "encoding": encoding})
            ext.errors.append(
                "no date or amount column found: this does not look like a bank statement table"
            )
        else:
            meta.update(
                {
                    "format": None,
                    "encoding": encoding,
                    "note": "not recognised as a bank statement (no table with a date "
                    "and an amount column)",
                }
            )
        return
    delimiter, quotechar, layout = found
    meta.update(
        {
            "format": "csv",
            "encoding": encoding,
            "encoding_guessed": guessed,
            "delimiter": delimiter,
            "header": layout.header,
            "header_row": None if layout.header_index < 0 else layout.header_index + 1,
            "columns": layout.columns_meta(),
        }
    )
    if layout.header is None:
        ext.errors.append(
            "the file has no header row; the date, amount and description "
            "columns were guessed from the values"
        )
    reader = _CsvReader(path, encoding, delimiter, quotechar, layout)
    reader.survey()
    ledger = Ledger()
    reader.read(ledger)
    meta["decimal_separator"] = reader.decimal
    if reader.order_basis is not None:
        meta["date_order"] = "day-first" if reader.order == "dmy" else "month-first"
        meta["date_order_basis"] = reader.order_basis
        if reader.order_basis == "guess":
            ext.errors.append(
                "dates such as 03/04 could be day-first or month-first and "
                f"nothing in the file settles it; read as {meta['date_order']}"
            )
    meta["ignored_rows"] = reader.ignored
    meta["currency_symbols"] = sorted(reader.symbols)
    if reader.problem:
        ext.errors.append(reader.problem)
    ledger.finish(ext)
    if not ledger.txns:
        ext.errors.insert(0, "no transaction rows could be read")
