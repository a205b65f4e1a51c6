"""The statement extractor: real bank exports from the shared corpus, crafted files, fuzzing.

Golden numbers are computed here by independent, deliberately naive parsing of each file (plain
``csv`` / regex / Decimal), never with the extractor's own helpers.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from decimal import Decimal
from pathlib import Path

import magic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_kit.extractors import ExtractContext, Extraction, extract
from evidence_kit.extractors.statement import (
    MAX_TIME_FACTS,
    StatementExtractor,
    infer_decimal_separator,
    parse_amount,
    parse_date,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
STATEMENTS = CORPUS / "statements"
SKIP_REASON = "shared corpus not available: ../shared/corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=SKIP_REASON)


def corpus_files() -> list[Path]:
    if not STATEMENTS.is_dir():
        return []
    return sorted(
        p
        for p in STATEMENTS.iterdir()
        if p.is_file() and p.suffix.lower() not in (".pdf", ".xls", ".xlsx")
    )


def run(path: Path) -> Extraction:
    """Through the registry, exactly as the case store calls it."""
    mime = magic.from_file(str(path), mime=True)
    return extract(path, mime, ExtractContext(scratch_dir=path.parent, original_name=path.name))


def direct(path: Path, name: str | None = None) -> Extraction:
    ctx = ExtractContext(scratch_dir=path.parent, original_name=name or path.name)
    return StatementExtractor().extract(path, ctx)


def write(tmp: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    p = tmp / name
    p.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return p


def amounts(ext: Extraction) -> list[Decimal]:
    return [Decimal(t["amount"]) for t in ext.metadata["transactions"]]


# ---------------------------------------------------------------------------------------------
# Corpus: every non-PDF/XLS statement goes through the registry without raising
# ---------------------------------------------------------------------------------------------


@needs_corpus
# A placeholder keeps the skip reason readable when the corpus is absent (an empty parameter
# list would be skipped with pytest's generic message instead).
@pytest.mark.parametrize("path", corpus_files() or [Path("corpus-missing")], ids=lambda p: p.name)
def test_corpus_statement_reads_or_says_why(path: Path) -> None:
    ext = run(path)
    assert ext.extractor == "statement", (path.name, ext.errors)
    meta = ext.metadata
    assert meta["transactions"] or ext.errors, path.name
    assert meta["transaction_count"] == len(meta["transactions"])
    for t in meta["transactions"]:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", t["date"])
        Decimal(t["amount"])  # a plain decimal string
        assert t["currency"] is None or re.fullmatch(r"[A-Z]{3}", t["currency"])
    assert len(ext.times) == min(len(meta["transactions"]), MAX_TIME_FACTS)
    ext.to_dict()  # JSON-shaped


def _ledger_totals(values: list[Decimal]) -> dict[str, str]:
    money_in = sum((v for v in values if v > 0), Decimal(0))
    money_out = sum((-v for v in values if v < 0), Decimal(0))
    return {"in": str(money_in), "out": str(money_out), "net": str(money_in - money_out)}


@needs_corpus
def test_golden_chase_style_csv() -> None:
    path = STATEMENTS / "beangulp__statement.csv"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = [Decimal(r["Amount"]) for r in rows]
    assert len(expected) == 6 and sum(expected) == Decimal("-1490.16")
    ext = run(path)
    assert ext.metadata["transaction_count"] == 6
    assert amounts(ext) == expected
    total = ext.metadata["totals"]["?"]  # "-2680.89": no currency is named anywhere
    assert {k: total[k] for k in ("in", "out", "net")} == _ledger_totals(expected)
    first = ext.metadata["transactions"][0]
    assert first["date"] == "2016-03-18" and first["balance"] == "3409.86"
    assert ext.metadata["date_range"] == {"first": "2016-03-04", "last": "2016-03-18"}


@needs_corpus
def test_golden_german_ing_csv_with_preamble() -> None:
    path = STATEMENTS / "de-ing__test_with_saldo_1.csv"
    lines = path.read_bytes().decode("latin-1").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Buchung;"))
    rows = [line.split(";") for line in lines[start + 1 :] if line.strip()]
    expected = [Decimal(r[7].replace(".", "").replace(",", ".")) for r in rows]
    assert len(expected) == 9 and sum(expected) == Decimal("-178.60")
    ext = run(path)
    meta = ext.metadata
    assert meta["delimiter"] == ";" and meta["decimal_separator"] == ","
    assert meta["header_row"] == start + 1
    assert meta["transaction_count"] == 9
    assert amounts(ext) == expected
    assert meta["totals"]["EUR"]["net"] == str(sum(expected))
    assert meta["transactions"][0]["counterparty"].startswith("PayDude")
    # "Überweisung" read in the right code page, not as mojibake
    assert any("Überweisung" in t["description"] for t in meta["transactions"])


@needs_corpus
def test_golden_french_cp1252_csv() -> None:
    path = STATEMENTS / "hledger__sample.fr.cp1252.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("cp1252"))))
    expected = [Decimal(r["Montant"]) for r in rows]
    assert expected == [Decimal("50.00"), Decimal("-10.00"), Decimal("-20.00")]
    ext = run(path)
    assert ext.metadata["encoding"] == "cp1252"
    assert ext.metadata["transaction_count"] == 3
    assert amounts(ext) == expected
    assert ext.metadata["totals"]["?"]["net"] == "20.00"
    descriptions = [t["description"] for t in ext.metadata["transactions"]]
    assert descriptions[0] == "DÉPÔT" and "€" in descriptions[2]


def _ofx_trnamt(path: Path) -> list[Decimal]:
    text = path.read_bytes().decode("latin-1")
    return [Decimal(v.strip()) for v in re.findall(r"<TRNAMT>([^<\r\n]+)", text)]


@needs_corpus
def test_golden_ofx_sgml_checking() -> None:
    path = STATEMENTS / "ofxparse__checking.ofx"
    expected = _ofx_trnamt(path)
    assert len(expected) == 3 and sum(expected) == Decimal("-59.50")
    ext = run(path)
    meta = ext.metadata
    assert meta["format"] == "ofx" and meta["transaction_count"] == 3
    assert amounts(ext) == expected
    assert meta["totals"]["USD"]["net"] == "-59.50"
    assert meta["account"] == {
        "bankid": "5472369148",
        "acctid": "1452687~7",
        "accttype": "CHECKING",
    }
    assert meta["statements"][0]["ledger_balance"] == {"amount": "100.99", "as_of": "2013-05-25"}
    assert meta["transactions"][2]["checknum"] == "319"


@needs_corpus
def test_golden_ofx_bofa_single_line() -> None:
    path = STATEMENTS / "beangulp__2013-12-03.bofa.ofx"
    expected = _ofx_trnamt(path)
    ext = run(path)
    assert ext.metadata["transaction_count"] == len(expected) == 27
    assert sum(amounts(ext)) == sum(expected)
    assert ext.metadata["totals"]["USD"]["net"] == str(sum(expected))
    # Dates are the dates written in the file, not shifted by the [-7:MST] offset
    assert ext.metadata["transactions"][0]["date"] == "2013-11-21"


@needs_corpus
def test_ofx_tolerant_reader_agrees_with_ofxtools(monkeypatch: pytest.MonkeyPatch) -> None:
    import evidence_kit.extractors.statement.common as mod

    path = STATEMENTS / "beangulp__2013-12-03.bofa.ofx"
    strict = direct(path)
    monkeypatch.setattr(mod, "MAX_OFXTOOLS_BYTES", 0)
    tolerant = direct(path)
    assert strict.metadata["parser"] == "ofxtools" and tolerant.metadata["parser"] == "tolerant"
    assert strict.metadata["transactions"] == tolerant.metadata["transactions"]


@needs_corpus
def test_ofx_error_status_and_broken_files() -> None:
    err = run(STATEMENTS / "ofxparse__error_message.ofx")
    assert err.metadata["transaction_count"] == 0
    assert any("2000" in e and "General Server Error" in e for e in err.errors)
    broken = run(STATEMENTS / "ofxparse__decimal_error.ofx")
    assert broken.metadata["parser"] == "tolerant"
    assert any("201120000000" in e for e in broken.errors)


@needs_corpus
def test_mt940_and_camt() -> None:
    sta = STATEMENTS / "mt940__rabo.sta"
    text = sta.read_text("latin-1")
    expected = []
    for mark, amount in re.findall(r"^:61:\d{6}(?:\d{4})?(R?[CD])([\d,]+)", text, re.M):
        value = Decimal(amount.replace(",", "."))
        expected.append(-value if mark in ("D", "RC") else value)
    ext = run(sta)
    assert ext.metadata["format"] == "mt940"
    assert amounts(ext) == expected and len(expected) == 5
    assert ext.metadata["statements"][0]["opening_balance"]["amount"] == "473.17"
    camt = run(STATEMENTS / "iso20022__camt053.xml")
    assert camt.metadata["format"] == "camt"
    assert camt.metadata["transactions"][0]["amount"] == "1284.30"
    assert camt.metadata["transactions"][0]["currency"] == "CHF"
    assert camt.metadata["transactions"][0]["counterparty"] == "PAYEE"


# ---------------------------------------------------------------------------------------------
# Crafted files
# ---------------------------------------------------------------------------------------------


def test_debit_credit_columns_and_month_first_from_values(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "s.csv",
        "Date,Description,Withdrawals,Deposits,Balance\n"
        '01/13/2024,Wire to scammer,"$4,500.00",,"$1,000.00"\n'
        '01/14/2024,Refund,,$10.00,"$1,010.00"\n',
    )
    ext = direct(p)
    meta = ext.metadata
    assert [t["amount"] for t in meta["transactions"]] == ["-4500.00", "10.00"]
    assert meta["date_order"] == "month-first" and meta["date_order_basis"] == "values"
    assert meta["currency_symbols"] == ["$"]
    assert meta["totals"]["?"]["out"] == "4500.00"


def test_direction_column_and_currency_in_header(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "nl.csv",
        "Datum,Naam / Omschrijving,Af Bij,Bedrag (EUR),Mededelingen\n"
        '20240102,Albert Heijn,Af,"12,50",Pas 123\n'
        '20240103,Werkgever,Bij,"2.000,00",Salaris\n',
    )
    meta = direct(p).metadata
    assert [(t["amount"], t["currency"]) for t in meta["transactions"]] == [
        ("-12.50", "EUR"),
        ("2000.00", "EUR"),
    ]
    assert meta["transactions"][0]["counterparty"] == "Albert Heijn"


def test_skipped_rows_are_counted_with_reasons(tmp_path: Path) -> None:
    body = "Buchungstag;Verwendungszweck;Soll;Haben\n02.01.2024;Miete;1.200,00;\n"
    body += "".join(f"xx.01.2024;row {i};1,00;\n" for i in range(25))
    p = write(tmp_path, "de.csv", body, "cp1252")
    ext = direct(p)
    assert ext.metadata["transaction_count"] == 1
    assert ext.metadata["skipped_rows"] == 25
    reasons = [e for e in ext.errors if "could not be read" in e and e.startswith("line")]
    assert len(reasons) == 20
    assert any("5 more rows" in e for e in ext.errors)


def test_not_a_table(tmp_path: Path) -> None:
    letter = "Dear customer,\nyour account is blocked.\n"
    txt = direct(write(tmp_path, "letter.txt", letter))
    assert txt.metadata["format"] is None and not txt.errors
    as_csv = direct(write(tmp_path, "letter.csv", letter))
    assert any("no date or amount column" in e for e in as_csv.errors)
    empty = direct(write(tmp_path, "empty.csv", b""))
    assert empty.errors == ["the file is empty"]


def test_overlong_line_stops_reading(tmp_path: Path) -> None:
    p = write(tmp_path, "long.csv", "Date,Amount\n2024-01-01,1.00\n" + "9" * 1_200_000 + "\n")
    ext = direct(p)
    assert ext.metadata["transaction_count"] == 1
    assert any("longer than" in e for e in ext.errors)


def test_transaction_and_timeline_caps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import evidence_kit.extractors.statement.common as mod

    monkeypatch.setattr(mod, "MAX_TRANSACTIONS", 1500)
    rows = "".join(f"2024-01-{i % 28 + 1:02d},item {i},-1.00\n" for i in range(1600))
    ext = direct(write(tmp_path, "many.csv", "Date,Memo,Amount\n" + rows))
    assert ext.metadata["transaction_count"] == 1500 and ext.metadata["truncated"]
    assert ext.metadata["timeline_capped"] and len(ext.times) == MAX_TIME_FACTS
    assert ext.times[0].at == "2024-01-01" and ext.times[0].field == "transactions[0]"


def test_identifiers_from_descriptions(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "id.csv",
        "Date,Description,Amount\n"
        "2024-03-01,Transfer to GB82 WEST 1234 5698 7654 32 ref invest@crypto-gains.example,"
        "-5000.00\n2024-03-02,Transfer to GB82 WEST 1234 5698 7654 32,-100.00\n",
    )
    ext = direct(p)
    kinds = {(i.kind, i.value) for i in ext.identifiers}
    assert ("iban", "GB82WEST12345698765432") in kinds
    assert ("email", "invest@crypto-gains.example") in kinds
    assert len([i for i in ext.identifiers if i.kind == "iban"]) == 1  # first sighting only
    assert ext.identifiers[0].field == "transactions[0].description"


OFX_BROKEN = """OFXHEADER:100
DATA:OFXSGML
VERSION:102

<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>GBP
<BANKACCTFROM><BANKID>400000<ACCTID>12345678</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20240101<DTEND>20240131
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240105<TRNAMT>-950.00<NAME>CRYPTO &amp; CO<MEMO><![CDATA[a<b]]>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240106120000[+1:CET]<TRNAMT>12.5<NAME>Refund</STMTTRN>
</BANKTRANLIST>
"""


def test_ofx_unclosed_and_truncated(tmp_path: Path) -> None:
    ext = direct(write(tmp_path, "x.qfx", OFX_BROKEN))
    meta = ext.metadata
    assert [(t["date"], t["amount"], t["currency"]) for t in meta["transactions"]] == [
        ("2024-01-05", "-950.00", "GBP"),
        ("2024-01-06", "12.5", "GBP"),
    ]
    assert meta["transactions"][0]["counterparty"] == "CRYPTO & CO"
    assert meta["transactions"][0]["memo"] == "a<b"
    assert meta["account"] == {"bankid": "400000", "acctid": "12345678"}


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
<Ntry><Amt Ccy="EUR">&lol2;</Amt></Ntry></Stmt></BkToCstmrStmt></Document>
"""


def test_xml_entity_declarations_refused(tmp_path: Path) -> None:
    camt = direct(write(tmp_path, "bomb.xml", BOMB))
    assert camt.metadata["format"] == "camt" and camt.metadata["transaction_count"] == 0
    assert any("DOCTYPE" in e for e in camt.errors)
    ofx = direct(write(tmp_path, "bomb.ofx", BOMB.replace("Document", "OFX")))
    assert ofx.metadata["transaction_count"] == 0
    assert any("DOCTYPE" in e for e in ofx.errors)


def test_mt940_swift_envelope(tmp_path: Path) -> None:
    text = (
        "{1:F01BANKBEBBAXXX0000000000}{2:O940}{4:\r\n:20:REF1\r\n:25:BE68539007547034\r\n"
        ":28C:1/1\r\n:60F:C240101EUR1000,00\r\n:61:2401020102D250,00NTRFNONREF//X1\r\n"
        ":86:Payment to fraudster BE71096123456769\r\n:61:2401030103C5,5NMSCNONREF\r\n"
        ":62F:C240103EUR755,50\r\n-}"
    )
    ext = direct(write(tmp_path, "stmt.txt", text))
    meta = ext.metadata
    assert meta["format"] == "mt940" and meta["account"] == "BE68539007547034"
    assert [(t["date"], t["amount"]) for t in meta["transactions"]] == [
        ("2024-01-02", "-250.00"),
        ("2024-01-03", "5.5"),
    ]
    assert meta["statements"][0]["closing_balance"]["amount"] == "755.50"


def test_accepts() -> None:
    ex = StatementExtractor()
    assert ex.accepts("text/csv", ".csv") and ex.accepts("text/plain", ".txt")
    assert ex.accepts("text/plain", ".ofx") and ex.accepts("text/xml", ".ofx")
    assert ex.accepts("text/plain", ".sta") and ex.accepts("text/xml", ".xml")
    assert not ex.accepts("application/pdf", ".pdf")
    assert not ex.accepts("application/vnd.ms-excel", ".xls")
    assert not ex.accepts("image/png", ".csv")


# ---------------------------------------------------------------------------------------------
# Parsers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal", "value", "currency"),
    [
        ("1.234,56", ",", "1234.56", None),
        ("-1,234.56", ".", "-1234.56", None),
        ("(12.00)", ".", "-12.00", None),
        ("12,00-", ",", "-12.00", None),
        ("12.00 DR", ".", "-12.00", None),
        ("€ -5,50", ",", "-5.50", "EUR"),
        ("1 234,56 EUR", ",", "1234.56", "EUR"),
        ("£1,000", None, "1000", "GBP"),
        ("1'234.50", None, "1234.50", None),
        ("+12,10", None, "12.10", None),
        ("\u062f.\u0627.\u200f4.750", ".", "4.750", "JOD"),
    ],
)
def test_parse_amount_examples(
    text: str, decimal: str | None, value: str, currency: str | None
) -> None:
    money = parse_amount(text, decimal)
    assert money is not None and money.amount == Decimal(value) and money.currency == currency


@pytest.mark.parametrize("text", ["", "abc", "12 34", "1e5", "12.3.4", "--5", "EUR", "1-2"])
def test_parse_amount_rejects(text: str) -> None:
    assert parse_amount(text) is None


def test_parse_date_examples() -> None:
    d = "2024-01-31"
    for text in (
        "2024-01-31",
        "31.01.2024",
        "31/01/24",
        "20240131",
        "31 Jan 2024",
        "31-janv.-2024",
        "Jan 31, 2024",
        "2024-01-31T10:00:00Z",
        "31. Januar 2024",
    ):
        assert str(parse_date(text)) == d, text
    assert str(parse_date("01/31/2024", "mdy")) == d
    assert parse_date("01/31/2024", "dmy") is None
    assert parse_date("2024-02-30") is None and parse_date("Total") is None


@settings(max_examples=100, deadline=None)
@given(
    st.decimals(
        min_value=Decimal("-1e12"),
        max_value=Decimal("1e12"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_amount_round_trip_both_styles(value: Decimal) -> None:
    english = f"{value:,.2f}"  # 1,234.56
    german = english.replace(",", "_").replace(".", ",").replace("_", ".")  # 1.234,56
    for text, sep in ((english, "."), (german, ",")):
        money = parse_amount(text, sep)
        assert money is not None, text
        assert money.amount == value, text
        # The column-level inference finds the style given a few values of it.
        assert infer_decimal_separator([text, "0" + sep + "50"]) == sep


_CSV_ALPHABET = "0123456789,.;-/()$€ \t\n\r\"'abcDEFxyzäé|+"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000), st.sampled_from([".csv", ".txt", ".tsv", ".ofx", ".sta", ""]))
def test_arbitrary_bytes_never_raise(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / f"f{suffix}"
        p.write_bytes(data)
        ext = direct(p)
        assert isinstance(ext, Extraction)
        ext.to_dict()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(
        [
            "Date,Description,Amount",
            "Datum;Verwendungszweck;Betrag;Saldo",
            "Date\tLibellé\tDébit\tCrédit",
            "Fecha|Concepto|Importe|Moneda",
            "",
        ]
    ),
    st.lists(st.text(alphabet=_CSV_ALPHABET, max_size=60), max_size=40),
    st.sampled_from(["utf-8", "cp1252", "utf-16"]),
)
def test_csvish_text_never_raises(header: str, lines: list[str], encoding: str) -> None:
    body = "\n".join([header, *lines]) if header else "\n".join(lines)
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "s.csv"
        p.write_bytes(body.encode(encoding, errors="replace"))
        ext = direct(p)
        for t in ext.metadata.get("transactions", []):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", t["date"])
            Decimal(t["amount"])


_OFX_TOKENS = [
    "<OFX>",
    "</OFX>",
    "<STMTRS>",
    "</STMTRS>",
    "<STMTTRN>",
    "</STMTTRN>",
    "<DTPOSTED>",
    "<TRNAMT>",
    "</TRNAMT>",
    "<NAME>",
    "<MEMO>",
    "<CURDEF>",
    "<BANKTRANLIST>",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?OFX x?>",
    "20240131",
    "-12.50",
    "$120",
    "&amp;",
    "<",
    ">",
    "/",
    "\n",
    " ",
    "x",
    "<STATUS><CODE>2000",
    "<INVTRANLIST><BUYMF><INVTRAN><DTTRADE>20240101<TOTAL>-5",
]
_MT_TOKENS = [
    ":20:",
    ":25:",
    ":60F:",
    ":61:",
    ":86:",
    ":62F:",
    "\n",
    "C",
    "D",
    "RC",
    "240131",
    "0131",
    "EUR",
    "1,00",
    "12,",
    "NTRF",
    "NONREF",
    "//",
    "{1:F01}{4:",
    "-}",
    " ",
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_OFX_TOKENS), max_size=80),
    st.lists(st.sampled_from(_MT_TOKENS), max_size=80),
)
def test_markup_soup_never_raises(ofx: list[str], mt: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, body in (
            ("a.ofx", "OFXHEADER:100\n\n" + "".join(ofx)),
            ("b.sta", ":20:X\n" + "".join(mt)),
        ):
            p = Path(tmp) / name
            p.write_text(body, encoding="utf-8")
            ext = direct(p)
            for t in ext.metadata["transactions"]:
                Decimal(t["amount"])


# ---------------------------------------------------------------------------------------------
# Issue 12, defect 14: a row that cannot be read in full is kept, never dropped
# ---------------------------------------------------------------------------------------------


def _left_out(ext: Extraction, rows: int) -> None:
    left = ext.metadata["left_out_of_totals"]
    assert left["rows"] == rows == ext.metadata["skipped_rows"]
    assert sum(left["reasons"].values()) == rows and "partial_transactions" in left["note"]
    assert any("kept as written" in e and "left out of the totals" in e for e in ext.errors)


OFX_BAD_DATE = """OFXHEADER:100
DATA:OFXSGML
VERSION:102

<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>CAD
<BANKACCTFROM><BANKID>123845030<ACCTID>192639749<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20110412<DTEND>20110614
<STMTTRN><TRNTYPE>OTHER<DTPOSTED>201120000000<TRNAMT>$120<FITID>2000957249<NAME>Fail1</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20110501<TRNAMT>12O.00<FITID>2000957250
<NAME>TO SCAMMER GB82WEST12345698765432</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20110502<TRNAMT>-50.00<FITID>2000957251<NAME>Shop</STMTTRN>
</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


def test_defect_14_ofx_row_with_malformed_date_or_amount_is_kept(tmp_path: Path) -> None:
    ext = direct(write(tmp_path, "bad.ofx", OFX_BAD_DATE))
    meta = ext.metadata
    assert [t["amount"] for t in meta["transactions"]] == ["-50.00"]  # only full rows count
    bad_date, bad_amount = meta["partial_transactions"]
    assert bad_date["unreadable"] == ["date"] and bad_date["date"] is None
    assert bad_date["raw"] == {"date": "201120000000", "amount": "$120"}
    assert bad_date["amount"] == "120" and bad_date["counterparty"] == "Fail1"
    assert bad_date["fitid"] == "2000957249" and bad_date["note"] == "the date could not be read"
    assert bad_amount["unreadable"] == ["amount"] and bad_amount["amount"] is None
    assert bad_amount["date"] == "2011-05-01" and bad_amount["raw"]["amount"] == "12O.00"
    assert meta["totals"]["CAD"]["count"] == 1 and meta["date_range"]["first"] == "2011-05-02"
    _left_out(ext, 2)
    assert any("201120000000" in e for e in ext.errors)
    # The row whose date was read is still a dated fact, saying what is missing.
    partial_facts = [t for t in ext.times if t.field.startswith("partial_transactions")]
    assert [t.at for t in partial_facts] == ["2011-05-01"]
    assert "amount could not be read" in partial_facts[0].label
    assert any(i.field.startswith("partial_transactions[1]") for i in ext.identifiers)


def test_defect_14_csv_row_with_malformed_date_or_amount_is_kept(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "s.csv",
        "Date,Description,Amount,Balance\n"
        "2024-03-01,Salary,2000.00,2000.00\n"
        "2024-13-45,Transfer to scammer,-950.00,1050.00\n"
        "2024-03-03,Crypto deposit,-1x00.00,50.00\n",
    )
    ext = direct(p)
    meta = ext.metadata
    assert [t["amount"] for t in meta["transactions"]] == ["2000.00"]
    bad_date, bad_amount = meta["partial_transactions"]
    assert bad_date["date"] is None and bad_date["amount"] == "-950.00"
    assert bad_date["unreadable"] == ["date"] and bad_date["raw"]["date"] == "2024-13-45"
    assert bad_date["description"] == "Transfer to scammer" and bad_date["row"] == 3
    assert bad_amount["amount"] is None and bad_amount["date"] == "2024-03-03"
    assert bad_amount["unreadable"] == ["amount"] and bad_amount["raw"]["amount"] == "-1x00.00"
    assert bad_amount["balance"] == "50.00"
    assert meta["totals"]["?"]["count"] == 1
    _left_out(ext, 2)
    assert meta["left_out_of_totals"]["reasons"] == {
        "the date could not be read": 1,
        "the amount could not be read": 1,
    }


def test_defect_14_mt940_row_with_malformed_date_or_line_is_kept(tmp_path: Path) -> None:
    text = (
        ":20:REF1\r\n:25:BE68539007547034\r\n:28C:1/1\r\n:60F:C240101EUR1000,00\r\n"
        ":61:2401020102D250,00NTRFNONREF//X1\r\n:86:Rent\r\n"
        ":61:2413450102D950,00NTRFNONREF//X2\r\n:86:To scammer one\r\n"
        ":61:garbled D 480 EUR\r\n:86:To scammer two\r\n"
        ":62F:C240131EUR750,00\r\n-\r\n"
    )
    ext = direct(write(tmp_path, "s.sta", text))
    meta = ext.metadata
    assert meta["format"] == "mt940"
    assert [t["amount"] for t in meta["transactions"]] == ["-250.00"]
    bad_date, garbled = meta["partial_transactions"]
    assert bad_date["unreadable"] == ["date"] and bad_date["amount"] == "-950.00"
    assert bad_date["raw"]["date"] == "241345" and bad_date["description"] == "To scammer one"
    assert garbled["unreadable"] == ["date", "amount"]
    assert garbled["date"] is None and garbled["amount"] is None
    assert garbled["raw"] == {"line": "garbled D 480 EUR"}
    assert garbled["description"] == "To scammer two"  # its :86: stays with it
    assert garbled["note"] == "the date and the amount could not be read"
    assert "information" not in meta["statements"][0]
    _left_out(ext, 2)


CAMT_BAD = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
<Id>S1</Id><Acct><Id><IBAN>CH9300762011623852957</IBAN></Id><Ccy>CHF</Ccy></Acct>
<Ntry><Amt Ccy="CHF">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<BookgDt><Dt>2024-01-02</Dt></BookgDt></Ntry>
<Ntry><Amt Ccy="CHF">1284.30</Amt><CdtDbtInd>DBIT</CdtDbtInd>
<BookgDt><Dt>2024-02-31</Dt></BookgDt>
<NtryDtls><TxDtls><RltdPties><Cdtr><Nm>SCAMMER LTD</Nm></Cdtr></RltdPties></TxDtls></NtryDtls>
</Ntry>
<Ntry><Amt Ccy="CHF">12,84.30</Amt><CdtDbtInd>DBIT</CdtDbtInd>
<BookgDt><Dt>2024-02-03</Dt></BookgDt></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""


def test_defect_14_camt_entry_with_malformed_date_or_amount_is_kept(tmp_path: Path) -> None:
    ext = direct(write(tmp_path, "s.xml", CAMT_BAD))
    meta = ext.metadata
    assert meta["format"] == "camt"
    assert [t["amount"] for t in meta["transactions"]] == ["100.00"]
    bad_date, bad_amount = meta["partial_transactions"]
    assert bad_date["unreadable"] == ["date"] and bad_date["amount"] == "-1284.30"
    assert bad_date["counterparty"] == "SCAMMER LTD" and bad_date["currency"] == "CHF"
    assert bad_date["raw"]["date"] == "2024-02-31"
    assert bad_amount["unreadable"] == ["amount"] and bad_amount["date"] == "2024-02-03"
    assert bad_amount["raw"]["amount"] == "12,84.30"
    assert meta["statements"][0]["transaction_count"] == 1
    _left_out(ext, 2)


def test_defect_14_clean_statement_has_nothing_left_out(tmp_path: Path) -> None:
    ext = direct(write(tmp_path, "ok.csv", "Date,Description,Amount\n2024-03-01,Salary,20.00\n"))
    assert ext.metadata["partial_transactions"] == []
    assert ext.metadata["left_out_of_totals"] == {"rows": 0, "reasons": {}, "note": None}
    assert "unreadable" not in ext.metadata["transactions"][0]
