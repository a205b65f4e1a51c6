"""Identifiers in message text and plain-text evidence, with phone numbers and IBANs read by
well-kept libraries rather than hand-written rules.

- Phone numbers: Google's libphonenumber (``phonenumbers``) knows every country's numbering
  plan. Its matcher finds numbers in running text and says which country a number belongs to.
  A number written without a country code ("07911 123456") is read in the numbering plan of
  the case's jurisdiction (:func:`region_for`); with no known jurisdiction only numbers written
  in international form ("+44 7911 123456", "0044 ...") are reported, because a national number
  means nothing without its country.
- IBANs: ``schwifty`` checks the country's IBAN format (the SWIFT IBAN registry) as well as the
  checksum, and names the bank and its BIC from its bank directory where it knows them.

Everything else (e-mail addresses, URLs, wallets, handles...) still comes from
:func:`evidence_kit.extractors.identifiers.find_identifiers`; its own phone guesses are replaced
by the matcher's. Both libraries are imported only when a text is searched, so ``evkit --help``
does not load them. The text is attacker-written: each search is bounded in length and a
:class:`TextFinder` in total work.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from evidence_kit.extractors.interface import Identifier

__all__ = [
    "MAX_PHONE_SCAN",
    "PHONE_BUDGET",
    "TextFinder",
    "region_for",
    "text_file_identifiers",
]

#: Phone numbers are looked for in at most this many characters of one text (the matcher is
#: slow on long runs of digits and spaces: about 10 microseconds a character at worst).
MAX_PHONE_SCAN = 64 * 1024
#: And in at most this many characters per file, in all (a hostile export cannot make
#: evkit spend more than a few minutes here).
PHONE_BUDGET = 32 * 1024 * 1024

# Only a text holding seven digits close together can hold a phone number: the matcher is not
# even started for the others (most chat messages), which keeps a 100,000-message chat fast.
_MAY_BE_PHONE = re.compile(r"(?:\d[ ().\-/\u00a0]{0,3}){6}\d")
# Spans whose digits are not phone numbers: links, e-mail addresses, IBANs written in groups
# of four, and any word mixing letters and digits (an IBAN, a wallet, an order code).
_NOT_PHONE = re.compile(
    r"(?i:(?:https?|hxxps?)://|www\.)\S{1,2048}"
    r"|[\w.%+\-]{1,64}@\S{1,255}"
    r"|[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![A-Za-z0-9])"
)
_WORD = re.compile(r"\w+")


# --- the case's jurisdiction -> a default region -------------------------------------------

_UK = (
    "england",
    "wales",
    "scotland",
    "northern ireland",
    "united kingdom",
    "uk",
    "u.k.",
    "great britain",
    "britain",
    "gb",
)
_CROWN = {"isle of man": "IM", "jersey": "JE", "guernsey": "GG"}
_US_STATES = (
    "alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii "
    "idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts "
    "michigan minnesota mississippi missouri montana nebraska nevada ohio oklahoma oregon "
    "pennsylvania tennessee texas utah vermont virginia washington wisconsin wyoming"
).split() + [
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "rhode island",
    "south carolina",
    "south dakota",
    "west virginia",
    "district of columbia",
    "washington dc",
    "washington, d.c.",
]
_US = ("united states", "usa", "u.s.a.", "u.s.", "us", "america")
_CANADA = ("canada ontario quebec alberta manitoba saskatchewan yukon nunavut").split() + [
    "british columbia",
    "nova scotia",
    "new brunswick",
    "prince edward island",
    "newfoundland",
    "northwest territories",
]
_AUSTRALIA = [
    "australia",
    "new south wales",
    "queensland",
    "tasmania",
    "western australia",
    "south australia",
    "northern territory",
    "australian capital territory",
]


def _has(text: str, phrase: str) -> bool:
    return re.search(r"(?<![\w.])" + re.escape(phrase) + r"(?![\w])", text) is not None


@lru_cache(maxsize=64)
def region_for(jurisdiction: str | None) -> str | None:
    """The region code (ISO 3166 alpha-2, as ``phonenumbers`` uses) whose numbering plan
    national phone numbers are read in, from the case's jurisdiction as written; None if it
    cannot be told ("England and Wales" -> GB, "Texas" -> US, "Germany" or "DE" -> DE)."""
    if not isinstance(jurisdiction, str):
        return None
    text = " ".join(jurisdiction.lower().split())[:200]
    if not text:
        return None
    if any(_has(text, w) for w in _AUSTRALIA):  # before the UK: "New South Wales"
        return "AU"
    for name, code in _CROWN.items():
        if _has(text, name):
            return code
    if any(_has(text, w) for w in _UK):
        return "GB"
    if "georgia" in text and not any(_has(text, w) for w in _US):
        return None  # the US state or the country: not a guess to make
    if any(_has(text, w) for w in (*_US, *_US_STATES, "georgia")):
        return "US"
    if any(_has(text, w) for w in _CANADA):
        return "CA"
    return _country(text)


def _country(text: str) -> str | None:
    """A country named (or coded) in ``text``: the whole text, then its parts."""
    import pycountry

    parts = [text, *(p.strip() for p in re.split(r"[,;()/]| - ", text))]
    for part in parts:
        if not part:
            continue
        try:
            found = pycountry.countries.lookup(part)
        except LookupError:
            continue
        code = str(found.alpha_2)
        return code if _phone_region_known(code) else None
    return None


def _phone_region_known(code: str) -> bool:
    import phonenumbers

    return code in phonenumbers.SUPPORTED_REGIONS


# --- finding -------------------------------------------------------------------------------


class TextFinder:
    """Finds identifiers in texts of one item, reading national phone numbers in ``region``.

    One finder per item: it keeps the item's phone-scan budget (:data:`PHONE_BUDGET`);
    :attr:`cut_short` says when it ran out, so the record can say so.
    """

    def __init__(self, jurisdiction: str | None) -> None:
        self.jurisdiction = jurisdiction
        self.region = region_for(jurisdiction)
        self.budget = PHONE_BUDGET
        self.cut_short = False

    def describe(self) -> dict[str, Any]:
        """How phone numbers were read, for the record (``metadata.phone_region``)."""
        return {"region": self.region, "jurisdiction": self.jurisdiction}

    def find(self, text: str, field: str) -> list[Identifier]:
        """Identifiers in ``text`` tagged with ``field``; never raises for any text."""
        from evidence_kit.extractors.identifiers import MAX_SCAN_CHARS, find_identifiers

        if not isinstance(text, str) or not text:
            return []
        out: list[Identifier] = []
        for ident in find_identifiers(text, field):
            if ident.kind == "phone":
                continue  # the matcher below decides what is a phone number
            if ident.kind == "iban":
                checked = _iban(ident)
                if checked is not None:
                    out.append(checked)
                continue
            out.append(ident)
        seen = {(i.kind, i.value) for i in out}
        for phone in self._phones(text[:MAX_SCAN_CHARS], field):
            if ("phone", phone.value) not in seen:
                seen.add(("phone", phone.value))
                out.append(phone)
        return out

    def _phones(self, text: str, field: str) -> list[Identifier]:
        if _MAY_BE_PHONE.search(text) is None:
            return []
        if len(text) > MAX_PHONE_SCAN:
            text = text[:MAX_PHONE_SCAN]
            self.cut_short = True
        if self.budget <= 0:
            self.cut_short = True
            return []
        self.budget -= len(text)
        import phonenumbers
        from phonenumbers import Leniency

        masked = _mask(text)
        if _MAY_BE_PHONE.search(masked) is None:
            return []  # the digits were an IBAN's, a link's...
        found: list[tuple[int, int, Any]] = []
        if self.region is not None:
            # A national number must be a valid one in the region's plan, written with its
            # trunk prefix where the plan requires it ("07911 123456", not "7911 123456").
            matcher = phonenumbers.PhoneNumberMatcher(masked, self.region, Leniency.VALID)
            found.extend((m.start, m.end, m.number) for m in matcher)
        # A number written with "+" and a country code is reported when it is possible in that
        # country's plan (right length), even if not allocated yet: the sender chose to write
        # it as a phone number.
        if "+" in masked or "\uff0b" in masked:  # only "+" numbers have a country without one
            for m in phonenumbers.PhoneNumberMatcher(masked, "ZZ", Leniency.POSSIBLE):
                if not any(a < m.end and m.start < b for a, b, _ in found):
                    found.append((m.start, m.end, m.number))
        found.sort(key=lambda f: f[0])
        out: list[Identifier] = []
        for _a, _b, number in found:
            value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            region = phonenumbers.region_code_for_number(
                number
            ) or phonenumbers.region_code_for_country_code(number.country_code)
            country = region if region and region not in ("ZZ", "001") else None
            out.append(Identifier("phone", value, field, country=country))
        return out


def _mask(text: str) -> str:
    """``text`` with the digits of links, e-mail addresses, IBANs and letter-digit words
    blanked (same length, so positions stay)."""
    chars = list(text)

    def blank(a: int, b: int) -> None:
        chars[a:b] = " " * (b - a)

    for m in _NOT_PHONE.finditer(text):
        blank(*m.span())
    for m in _WORD.finditer(text):
        w = m.group()
        if not w.isdigit() and any(c.isdigit() for c in w):
            blank(*m.span())
    return "".join(chars)


@lru_cache(maxsize=1024)
def _iban_facts(value: str) -> tuple[bool, str | None, str | None, str | None]:
    """(valid, country, bank name, BIC) of an IBAN, by schwifty."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        iban = IBAN(value)
    except (SchwiftyException, ValueError):
        return False, None, None, None
    try:
        bank_name = iban.bank_name
        bic = iban.bic
    except (SchwiftyException, ValueError, KeyError):
        bank_name, bic = None, None
    return True, str(iban.country_code), bank_name or None, str(bic) if bic else None


def _iban(ident: Identifier) -> Identifier | None:
    """The IBAN with its country and bank, or None if schwifty says it is not a valid one."""
    valid, country, bank, bic = _iban_facts(ident.value)
    if not valid:
        return None
    return Identifier("iban", ident.value, ident.field, country=country, bank=bank, bic=bic)


def text_file_identifiers(
    data: bytes, jurisdiction: str | None
) -> tuple[list[Identifier], TextFinder]:
    """Identifiers in a plain-text file (a note, a pasted chat), each pointing at its line
    (``"text line 3"``), with the finder used (how phone numbers were read)."""
    from evidence_kit.extractors.identifiers import MAX_IDENTIFIERS, MAX_SCAN_CHARS

    finder = TextFinder(jurisdiction)
    found: dict[tuple[str, str], Identifier] = {}
    text = data[:MAX_SCAN_CHARS].decode("utf-8", "replace")
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        for ident in finder.find(line, f"text line {n}"):
            found.setdefault((ident.kind, ident.value), ident)
        if len(found) >= MAX_IDENTIFIERS:
            break
    return list(found.values())[:MAX_IDENTIFIERS], finder
