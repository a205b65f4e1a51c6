"""Identifiers in message text and plain-text evidence read by well-kept libraries (issue 14,
deliverable 3): phone numbers by ``phonenumbers`` in the case's jurisdiction's numbering plan,
IBANs by ``schwifty`` with their country and bank."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_kit.extractors import ExtractContext, extract
from evidence_kit.extractors.interface import Identifier
from evidence_kit.extractors.textids import MAX_PHONE_SCAN, TextFinder, region_for


def _by_kind(found: list[Identifier], kind: str) -> list[Identifier]:
    return [i for i in found if i.kind == kind]


@pytest.mark.parametrize(
    ("jurisdiction", "region"),
    [
        ("England and Wales", "GB"),
        ("Scotland", "GB"),
        ("Northern Ireland", "GB"),
        ("UK", "GB"),
        ("United Kingdom (Metropolitan Police)", "GB"),
        ("Isle of Man", "IM"),
        ("Texas", "US"),
        ("New York, USA", "US"),
        ("United States", "US"),
        ("Ontario", "CA"),
        ("New South Wales", "AU"),
        ("Germany", "DE"),
        ("DE", "DE"),
        ("Paris, France", "FR"),
        ("Georgia", None),  # the US state or the country: not guessed
        ("Narnia", None),
        ("", None),
        (None, None),
    ],
)
def test_jurisdiction_to_region(jurisdiction: str | None, region: str | None) -> None:
    assert region_for(jurisdiction) == region


def test_a_national_number_needs_the_jurisdiction() -> None:
    text = "my new number is 07400 123456, call after 6"
    uk = _by_kind(TextFinder("England and Wales").find(text, "m"), "phone")
    assert [(i.value, i.country) for i in uk] == [("+447400123456", "GB")]
    assert not _by_kind(TextFinder(None).find(text, "m"), "phone")


def test_international_numbers_are_found_without_a_jurisdiction() -> None:
    found = TextFinder(None).find("WhatsApp me +44 7700 900123 or +1 (415) 555-2671.", "m")
    assert [(i.value, i.country) for i in _by_kind(found, "phone")] == [
        ("+447700900123", "GB"),
        ("+14155552671", "US"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Date 2026-11-20 and 20.11.2026",
        "on 05.11.2026 10:30",
        "amount 1.234.567,89 EUR or 1,234,567.89 USD",
        "ts 1700000000",
        "+1 234",
        "see https://example.com/order/07400123456",
        "order A07400123456B",
        "pay GB29 NWBK 6016 1331 9268 19 today",
    ],
)
def test_not_phone_numbers(text: str) -> None:
    assert not _by_kind(TextFinder("England and Wales").find(text, "m"), "phone")


def test_a_bad_iban_checksum_is_not_reported() -> None:
    found = TextFinder("Germany").find("pay DE89 3704 0044 0532 0130 01 please", "m")
    assert not [i for i in found if i.kind in ("iban", "phone")]


def test_an_iban_the_checksum_passes_but_the_country_format_does_not_is_dropped() -> None:
    # A mod-97-valid string in a made-up shape for Germany (letters where DE has digits).
    from evidence_kit.extractors.identifiers import find_identifiers

    candidates = [f"DE{n:02d}ABCD00440532013000" for n in range(100)]
    fake = next(c for c in candidates if _by_kind(find_identifiers(c, "m"), "iban"))
    assert not _by_kind(TextFinder(None).find(f"pay {fake} now", "m"), "iban")


def test_a_valid_iban_carries_its_country_and_bank() -> None:
    found = TextFinder(None).find("IBAN: DE89 3704 0044 0532 0130 00 (Mark)", "message 3")
    (iban,) = _by_kind(found, "iban")
    assert iban.value == "DE89370400440532013000"
    assert (iban.country, iban.bank, iban.bic) == ("DE", "Commerzbank", "COBADEFFXXX")
    assert iban.field == "message 3"
    assert iban.to_dict() == {
        "kind": "iban",
        "value": "DE89370400440532013000",
        "field": "message 3",
        "country": "DE",
        "bank": "Commerzbank",
        "bic": "COBADEFFXXX",
    }
    (gb,) = _by_kind(TextFinder(None).find("GB29NWBK60161331926819", "m"), "iban")
    assert gb.country == "GB" and gb.bank and "WESTMINSTER" in gb.bank


def test_other_identifiers_stay_and_records_without_country_are_unchanged() -> None:
    found = TextFinder(None).find("mail scam@example.com or see www.example.org", "m")
    assert {(i.kind, i.value) for i in found} >= {
        ("email", "scam@example.com"),
        ("domain", "example.com"),
    }
    assert found[0].to_dict() == {"kind": "email", "value": "scam@example.com", "field": "m"}


def test_a_plain_text_note_reads_national_numbers_in_the_cases_plan(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("He called me.\n\nHis number: 07400 123456\nIBAN GB29NWBK60161331926819\n")
    ctx = ExtractContext(tmp_path / "s", "note.txt", jurisdiction="England and Wales")
    ex = extract(note, "text/plain", ctx)
    found = {(i.kind, i.value, i.field, i.country) for i in ex.identifiers}
    assert ("phone", "+447400123456", "text line 3", "GB") in found
    assert ("iban", "GB29NWBK60161331926819", "text line 4", "GB") in found
    assert ex.metadata["phone_region"] == {"region": "GB", "jurisdiction": "England and Wales"}
    ex = extract(note, "text/plain", ExtractContext(tmp_path / "s", "note.txt"))
    assert not [i for i in ex.identifiers if i.kind == "phone"]


def test_long_texts_are_scanned_in_bounded_pieces() -> None:
    finder = TextFinder("England and Wales")
    text = "1 " * MAX_PHONE_SCAN + "07400 123456"
    assert not _by_kind(finder.find(text, "m"), "phone")  # beyond the scanned part
    assert finder.cut_short


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 +-()./ABCDEGZ@:x\u00a0\n"), max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    found = TextFinder("England and Wales").find(text, "m")
    assert len({(i.kind, i.value) for i in found}) == len(found)
    assert all(i.value.startswith("+") for i in found if i.kind == "phone")
