"""Known-answer and property tests for the identifier finder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_kit.extractors.identifiers import (
    MAX_IDENTIFIERS,
    find_identifiers,
    merge,
    normalize_ip,
)
from evidence_kit.extractors.interface import Identifier


def found(text: str) -> list[tuple[str, str]]:
    return [(i.kind, i.value) for i in find_identifiers(text, "body.text")]


def kinds(text: str, kind: str) -> list[str]:
    return [v for k, v in found(text) if k == kind]


# --- e-mail, URL, domain -----------------------------------------------------------------------


def test_email_lower_cased_with_domain() -> None:
    assert found("Write to John.Doe@Example.COM today.") == [
        ("email", "john.doe@example.com"),
        ("domain", "example.com"),
    ]


def test_url_trailing_punctuation_and_brackets() -> None:
    assert kinds("See https://login.example.com/a?b=1).", "url") == [
        "https://login.example.com/a?b=1"
    ]
    assert kinds("(https://en.example.org/wiki/Foo_(bar)) ok", "url") == [
        "https://en.example.org/wiki/Foo_(bar)"
    ]
    assert kinds("go to www.paypal-verify.net, now", "url") == ["www.paypal-verify.net"]


def test_defanged_url_and_domain() -> None:
    out = found("hxxp://evil[.]example/login")
    assert ("url", "hxxp://evil[.]example/login") in out
    assert ("domain", "evil.example") in out


def test_punycode_domain_decoded_and_ascii_kept() -> None:
    doms = kinds("http://xn--80ak6aa92e.com/x", "domain")
    assert doms == ["аррӏе.com", "xn--80ak6aa92e.com"]


def test_url_with_ip_host_gives_ip_not_domain() -> None:
    out = found("http://192.0.2.44:8080/a")
    assert ("ip", "192.0.2.44") in out
    assert not [v for k, v in out if k == "domain"]


def test_url_userinfo_disguise_is_not_an_email() -> None:
    out = found("http://paypal.com@evil.example/")
    assert ("domain", "evil.example") in out
    assert not kinds("http://paypal.com@evil.example/", "email")


def test_order_of_first_appearance_and_dedup() -> None:
    out = found("b@y.org then a@x.org then b@y.org again")
    assert [v for k, v in out if k == "email"] == ["b@y.org", "a@x.org"]


# --- IPs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ips"),
    [
        ("from 203.0.113.7 via", ["203.0.113.7"]),
        ("999.1.1.1", []),
        ("version 1.2.3 released", []),
        ("10.0.0.1.5 is an OID", []),
        ("[IPv6:2001:DB8::2]", ["2001:db8::2"]),
        ("at 12:30:45 today", []),
        ("std::add:: nothing", []),
        ("fe80::1%eth0", ["fe80::1"]),
    ],
)
def test_ips(text: str, ips: list[str]) -> None:
    assert kinds(text, "ip") == ips


def test_normalize_ip() -> None:
    assert normalize_ip("[203.0.113.5]") == "203.0.113.5"
    assert normalize_ip("IPv6:2001:DB8:0:0::1") == "2001:db8::1"
    assert normalize_ip("1.2.3") is None
    assert normalize_ip("999.1.1.1") is None
    assert normalize_ip("localhost") is None


# --- phones ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("Call +44 20 7946 0958 now", ["+442079460958"]),
        ("call 020 7946 0958", ["02079460958"]),
        ("US (555) 123-4567", ["5551234567"]),
        ("0049 30 12345678", ["+493012345678"]),
        ("French 01 23 45 67 89.", ["0123456789"]),
        ("Date 2026-11-20 and 20.11.2026", []),
        ("on 05.11.2026 10:30", []),
        ("amount 1.234.567,89 EUR or 1,234,567.89 USD", []),
        ("order 01234567890", []),
        ("ts 1700000000", []),
        ("+1 234", []),
    ],
)
def test_phones(text: str, phones: list[str]) -> None:
    assert kinds(text, "phone") == phones


# --- IBAN, crypto ----------------------------------------------------------------------------


def test_iban_valid_spaced_and_compact() -> None:
    out = kinds("IBAN DE89 3704 0044 0532 0130 00 BANK and GB82WEST12345698765432.", "iban")
    assert out == ["DE89370400440532013000", "GB82WEST12345698765432"]


def test_iban_bad_checksum_rejected_and_not_a_phone() -> None:
    out = found("pay DE89 3704 0044 0532 0130 01 please")
    assert not [v for k, v in out if k in ("iban", "phone")]


def test_bitcoin() -> None:
    text = (
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy "
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    )
    assert kinds(text, "btc") == [
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    ]
    # One character changed: the checksum fails.
    assert kinds("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "btc") == []
    assert kinds("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr", "btc") == []


def test_eth() -> None:
    assert kinds("send to 0x52908400098527886E0F7030069857D2E4169EE7 now", "eth") == [
        "0x52908400098527886e0f7030069857d2e4169ee7"
    ]
    assert kinds("0x52908400098527886E0F7030069857D2E4169EE", "eth") == []


# --- handles ---------------------------------------------------------------------------------


def test_handles() -> None:
    assert kinds("DM @Scam_King on telegram", "handle") == ["@scam_king"]
    assert kinds("@start of text", "handle") == ["@start"]
    assert kinds("mail me at bob@example.com", "handle") == []
    assert kinds("see @gmail.com", "handle") == []
    assert kinds("@a alone", "handle") == []
    assert kinds("@" + "x" * 31, "handle") == []


# --- helpers and properties ------------------------------------------------------------------


def test_field_is_attached() -> None:
    (first, *_rest) = find_identifiers("a@b.cc", "headers.from")
    assert first == Identifier("email", "a@b.cc", "headers.from")


def test_merge_keeps_first_field() -> None:
    a = [Identifier("email", "x@y.zz", "headers.from")]
    b = [Identifier("email", "x@y.zz", "body.text"), Identifier("ip", "192.0.2.1", "body.text")]
    assert merge(a, b) == [a[0], b[1]]


def test_bounded_output() -> None:
    text = " ".join(f"user{i}@example{i}.com" for i in range(2000))
    assert len(find_identifiers(text, "x")) == MAX_IDENTIFIERS


def test_empty_and_non_text() -> None:
    assert find_identifiers("", "x") == []


_alphabet = st.sampled_from(
    list("0123456789abcdefABXZ .-+/:@()[]\n\t_=%?&#,;xn")
    + ["http://", "www.", "+44 ", "DE89", "bc1q", "0x", "IPv6:", "::", "é", "а", "\u200b", "\x00"]
)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=2000), st.lists(_alphabet, max_size=400).map("".join)))
def test_arbitrary_text_never_raises(text: str) -> None:
    out = find_identifiers(text, "body.text")
    assert len(out) < MAX_IDENTIFIERS + 1
    assert len({(i.kind, i.value) for i in out}) == len(out)


def test_a_plain_text_note_gives_its_identifiers_with_their_lines(tmp_path: Path) -> None:
    """Issue 14: any plain-text evidence (a note, a pasted chat) is searched, line by line."""
    from evidence_kit.extractors import ExtractContext, extract

    note = tmp_path / "note.txt"
    note.write_text(
        "He called me.\n\nHis number: +44 7700 900123\nPay to GB33BUKB20201555555555 today\n"
    )
    ex = extract(note, "text/plain", ExtractContext(tmp_path / "s", "note.txt"))
    found = {(i.kind, i.value, i.field) for i in ex.identifiers}
    assert ("phone", "+447700900123", "text line 3") in found
    assert ("iban", "GB33BUKB20201555555555", "text line 4") in found
