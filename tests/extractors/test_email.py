"""Tests for the e-mail extractor: the shared real-world corpus, golden values read from the
files by hand, hostile synthetic messages, resource bounds and fuzzing."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
import time
import tracemalloc
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_kit.extractors import ExtractContext, Extraction, extract
from evidence_kit.extractors.email import EmailExtractor
from evidence_kit.extractors.email import common as email_mod

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="shared corpus not available: ../shared/corpus"
)

EX = EmailExtractor()


def run(path: Path, scratch: Path, **limits: int) -> Extraction:
    ctx = ExtractContext(scratch_dir=scratch, original_name=path.name, **limits)
    return EX.extract(path, ctx)


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted((CORPUS / "email").iterdir()) + sorted((CORPUS / "weird").glob("*.msg"))


def write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


# --- corpus: everything goes through the registry without raising ----------------------------


@corpus
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_through_registry(path: Path, tmp_path: Path) -> None:
    import magic

    mime = magic.from_file(str(path), mime=True)
    scratch = tmp_path / "scratch"
    result = extract(path, mime, ExtractContext(scratch_dir=scratch, original_name=path.name))
    assert result.extractor == "email"
    assert result.metadata.get("headers") or result.errors
    # The record must be plain JSON (no lone surrogates, no bytes).
    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")
    for child in result.children:
        assert child.path.parent == scratch
        assert re.fullmatch(r"child-\d{4,}\.bin", child.path.name)
    for t in result.times:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", t.at)


@corpus
def test_elided_and_plain_paths_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cutting base64 runs out before parsing must not change a single decoded byte."""
    names = [
        "mikel-mail__attachment_pdf.eml",
        "php-mime__issue274.eml",
        "php-mime__issue163.eml",
        "mikel-mail__attachment_message_rfc822.eml",
        "spamscope__mail_malformed_3.eml",
    ]
    for name in names:
        path = CORPUS / "email" / name
        plain = run(path, tmp_path / f"a-{name}")
        monkeypatch.setattr(email_mod, "ELIDE_MIN", 64)
        elided = run(path, tmp_path / f"b-{name}")
        monkeypatch.setattr(email_mod, "ELIDE_MIN", 256 * 1024)
        a_hashes = [(a["part"], a["sha256"], a["size"]) for a in plain.metadata["attachments"]]
        b_hashes = [(a["part"], a["sha256"], a["size"]) for a in elided.metadata["attachments"]]
        assert a_hashes == b_hashes, name
        assert plain.metadata["body"] == elided.metadata["body"], name


# --- golden values (read from the files by hand) ---------------------------------------------


@corpus
def test_golden_attachment_pdf(tmp_path: Path) -> None:
    path = CORPUS / "email" / "mikel-mail__attachment_pdf.eml"
    r = run(path, tmp_path)
    md = r.metadata
    assert md["headers"]["from"] == "Test Tester <xxxx@xxxx.com>"
    assert md["headers"]["subject"] == "Another PDF with 🎉 Unicode chars in it 🍿"
    assert md["date"]["raw"] == "Tue, 10 May 2005 11:26:39 -0600"
    assert md["date"]["utc"] == "2005-05-10T17:26:39Z"
    hops = md["received"]
    assert len(hops) == 7
    # Hop 0 is the oldest (the bottom header): "by 10.54.110.5 with HTTP", no from part.
    assert hops[0]["from_ip"] is None and hops[0]["by_host"] == "10.54.110.5"
    assert hops[3]["from_ip"] == "64.233.184.203"
    assert md["origin_ip"]["ip"] == "64.233.184.203" and md["origin_ip"]["hop"] == 3

    # The attachment, decoded independently from the raw file.
    raw = path.read_bytes()
    m = re.search(rb'filename="broken.pdf"\r?\n\r?\n(.*?)\r?\n\r?\n?------=_Part', raw, re.S)
    assert m is not None
    expected = hashlib.sha256(base64.b64decode(b"".join(m.group(1).split()))).hexdigest()
    (att,) = md["attachments"]
    assert att["filename"] == "broken.pdf" and att["sha256"] == expected
    (child,) = r.children
    assert hashlib.sha256(child.path.read_bytes()).hexdigest() == expected
    assert child.role == "attachment" and child.mime == "application/pdf"
    assert child.field == "mime.part[2]"
    labels = [t.label for t in r.times]
    assert "e-mail sent (Date header)" in labels and "relay hop 3 received" in labels


@corpus
def test_golden_m0020_hops(tmp_path: Path) -> None:
    r = run(CORPUS / "email" / "php-mime__m0020.eml", tmp_path)
    md = r.metadata
    assert md["headers"]["from"] == "Finntack Newsletter <newsletter@finntack.com>"
    assert md["headers"]["subject"] == "1"
    assert md["date"]["utc"] == "2014-03-27T22:28:12Z"
    hops = md["received"]
    assert len(hops) == 5
    assert hops[0]["from_ip"] == "fe80::d9e1:f2e9:23cd:91e2"  # zone "%22" dropped
    assert hops[4]["by_host"] == "store192a.mail.ord1c"
    assert md["origin_ip"]["ip"] == "184.106.73.70" and md["origin_ip"]["hop"] == 2
    assert md["headers"]["x_originating_ip"] == "[212.118.239.134]"
    found = {(i.kind, i.value, i.field) for i in r.identifiers}
    assert ("ip", "212.118.239.134", "headers.x_originating_ip") in found
    assert ("ip", "184.106.73.70", "received[2]") in found
    assert not any(i.value == "127.0.0.1" for i in r.identifiers)


@corpus
def test_golden_phishing_mail_test_17(tmp_path: Path) -> None:
    r = run(CORPUS / "email" / "spamscope__mail_test_17.eml", tmp_path)
    md = r.metadata
    assert md["headers"]["subject"] == "Transferencia Interbancaria Banca en Línea"
    assert md["addresses"]["from"][0]["address"] == "notificaccion-clientes@bbva.mx"
    assert md["addresses"]["reply_to"][0]["address"] == "info@alejandrosalcedo.es"
    assert md["date"]["utc"] == "2022-10-10T20:11:32Z"
    assert len(md["received"]) == 4
    assert md["received"][0]["from_ip"] is None
    assert md["origin_ip"]["ip"] == "152.228.133.10"
    auth = md["authentication"]
    assert auth["note"] == "as stated in the headers; not re-checked offline"
    assert auth["summary"]["spf"] and set(auth["summary"]["spf"]) == {"none"}
    assert any("Reply-To goes to a different domain" in w for w in md["warnings"])


@corpus
def test_nested_rfc822_child(tmp_path: Path) -> None:
    r = run(CORPUS / "email" / "mikel-mail__attachment_message_rfc822.eml", tmp_path)
    nested = [c for c in r.children if c.role == "message/rfc822"]
    assert len(nested) == 1
    data = nested[0].path.read_bytes()
    assert b"broken.pdf" in data and b"Content-Type: multipart/mixed" in data
    # The forwarded message is re-read as its own item: its PDF is not duplicated here.
    assert all(c.role == "message/rfc822" for c in r.children)


@corpus
def test_non_ascii_attachment_names(tmp_path: Path) -> None:
    r = run(CORPUS / "email" / "mikel-mail__attachment_with_quoted_filename.eml", tmp_path / "a")
    assert [a["filename"] for a in r.metadata["attachments"]] == ["Eelanalüüsi päring.jpg"]
    assert r.metadata["headers"]["subject"] == "Eelanalüüsi päring"
    r = run(CORPUS / "email" / "mikel-mail__attachment_nonascii_filename.eml", tmp_path / "b")
    assert [a["filename"] for a in r.metadata["attachments"]] == ["ciële.txt"]
    r = run(CORPUS / "email" / "mikel-mail__japanese_attachment_long_name.eml", tmp_path / "c")
    assert r.metadata["attachments"][0]["filename"] == "かきくけこ" * 5 + ".txt"


@corpus
def test_broken_inputs_from_corpus(tmp_path: Path) -> None:
    bad_time = run(CORPUS / "email" / "mikel-mail__raw_email_bad_time.eml", tmp_path / "a")
    d = bad_time.metadata["date"]
    assert d["utc"] is None and d["problem"] == "implausible" and "3609" in d["raw"]
    assert not [t for t in bad_time.times if t.field == "headers.date"]
    bad = run(CORPUS / "email" / "mikel-mail__bad_date_header.eml", tmp_path / "b")
    assert bad.metadata["date"]["problem"] == "unparseable"
    sjis = run(CORPUS / "email" / "mikel-mail__japanese_shift_jis.eml", tmp_path / "c")
    assert "このメールはテスト用のメールです" in sjis.metadata["body"]["text"]
    assert sjis.metadata["body"]["charset_errors"] is False
    cp1252 = run(CORPUS / "email" / "mikel-mail__invalid_subject_characters.eml", tmp_path / "d")
    assert cp1252.metadata["headers"]["subject"].startswith("Formação FrenetikPolis")
    malformed = run(CORPUS / "email" / "spamscope__mail_malformed_3.eml", tmp_path / "e")
    assert "Toallero" in malformed.metadata["body"]["html_text"]
    assert any("boundary" in w for w in malformed.metadata["warnings"])
    uu = run(
        CORPUS / "email" / "mikel-mail__content_transfer_encoding_x_uuencode.eml", tmp_path / "f"
    )
    assert uu.metadata["attachments"][0]["transfer_encoding"] == "x-uuencode"
    many = run(CORPUS / "email" / "php-mime__issue408.eml", tmp_path / "g")
    assert len(many.children) == 328


@corpus
def test_outlook_msg(tmp_path: Path) -> None:
    r = run(CORPUS / "weird" / "spamscope__mail_outlook_1.msg", tmp_path)
    md = r.metadata
    assert md["format"] == "msg"
    assert md["headers"]["subject"] == "Newsletter Prüfung Personalwesen / Prüfung Eröffnungsbilanz"
    assert md["date"]["utc"] == "2017-09-18T10:00:18Z"
    assert len(md["received"]) == 10
    assert md["origin_ip"]["ip"] == "92.222.251.162"
    assert len(r.children) == 5
    assert md["attachments"][0]["filename"] == "newsletter.png"
    assert r.children[0].path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_broken_msg_records_error(tmp_path: Path) -> None:
    p = write(tmp_path, "x.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    r = run(p, tmp_path / "s")
    assert r.errors and r.metadata["format"] == "msg"


# --- accepts ---------------------------------------------------------------------------------


def test_accepts() -> None:
    assert EX.accepts("message/rfc822", "")
    assert EX.accepts("text/plain", ".eml")
    assert EX.accepts("text/html", ".eml")
    assert EX.accepts("application/octet-stream", ".eml")
    assert EX.accepts("application/vnd.ms-outlook", "")
    assert EX.accepts("application/CDFV2", ".msg")
    assert not EX.accepts("application/pdf", ".eml")
    assert not EX.accepts("text/plain", ".txt")
    assert not EX.accepts("application/CDFV2", ".doc")


# --- synthetic hostile messages --------------------------------------------------------------


def hostile_message() -> bytes:
    msg = MIMEMultipart()
    msg["From"] = '"PayPal Security" <service@paypa1.example>'
    msg["Reply-To"] = "collect@evil.example"
    msg["To"] = "victim@example.org"
    msg["Subject"] = "<script>alert(1)</script>"
    msg["Date"] = "Fri, 20 Nov 2026 09:14:00 +0100"
    msg.attach(MIMEText("Pay now: https://paypa1.example/login or call +44 20 7946 0958"))
    msg.attach(
        MIMEText(
            '<p>Hello</p><script>var x="hidden-script-text";</script><style>.a{}</style>'
            '<a href="http://evil.example/login">https://www.mybank.com/secure</a>'
            '<a href="https://www.mybank.com/help">www.mybank.com</a>'
            '<a href="https://secure.mybank.com/">mybank.com</a>'
            '<a href="https://evil.example/x">Click here</a>'
            '<a href="javascript:steal()">www.bank.example</a>'
            '<img src="https://tracker.example/p.gif">',
            "html",
        )
    )
    for name in ('=HYPERLINK("http://evil")', "../../etc/passwd"):
        part = MIMEApplication(b"payload for " + name.encode())
        part.add_header("Content-Disposition", "attachment", filename=name)
        msg.attach(part)
    return msg.as_bytes()


def test_hostile_names_are_data_and_children_stay_inside(tmp_path: Path) -> None:
    p = write(tmp_path, "evil.eml", hostile_message())
    scratch = tmp_path / "scratch"
    r = run(p, scratch)
    md = r.metadata
    assert md["headers"]["subject"] == "<script>alert(1)</script>"
    names = [a["filename"] for a in md["attachments"]]
    assert names == ['=HYPERLINK("http://evil")', "../../etc/passwd"]
    assert [c.filename for c in r.children] == names
    for child in r.children:
        assert child.path.resolve().parent == scratch.resolve()
        assert re.fullmatch(r"child-\d{4}\.bin", child.path.name)
    assert sorted(p.name for p in scratch.iterdir()) == ["child-0001.bin", "child-0002.bin"]
    assert r.children[1].path.read_bytes() == b"payload for ../../etc/passwd"
    assert not (tmp_path / "etc").exists()
    assert "hidden-script-text" not in md["body"]["html_text"]
    assert "Hello" in md["body"]["html_text"]
    assert "https://tracker.example/p.gif" in md["urls"]
    assert "https://paypa1.example/login" in md["urls"]


def test_link_mismatches(tmp_path: Path) -> None:
    r = run(write(tmp_path, "evil.eml", hostile_message()), tmp_path / "s")
    assert r.metadata["link_mismatches"] == [
        {"text": "https://www.mybank.com/secure", "href": "http://evil.example/login"},
        {"text": "www.bank.example", "href": "javascript:steal()"},
    ]


def test_identifiers_and_times(tmp_path: Path) -> None:
    r = run(write(tmp_path, "evil.eml", hostile_message()), tmp_path / "s")
    got = {(i.kind, i.value, i.field) for i in r.identifiers}
    assert ("email", "service@paypa1.example", "headers.from") in got
    assert ("email", "collect@evil.example", "headers.reply_to") in got
    assert ("phone", "+442079460958", "body.text") in got
    assert ("url", "https://paypa1.example/login", "body.text") in got
    assert ("domain", "evil.example", "headers.reply_to") in got
    assert [(t.at, t.label, t.field) for t in r.times] == [
        ("2026-11-20T08:14:00Z", "e-mail sent (Date header)", "headers.date")
    ] or r.metadata["date"]["problem"] == "implausible"  # only if the clock is before 2026
    assert any("Reply-To goes to a different domain" in w for w in r.metadata["warnings"])


def test_display_name_spoof_warning(tmp_path: Path) -> None:
    raw = (
        b"From: alice@bank.example <bob@evil.example>\r\nSubject: hi\r\n"
        b"Date: Mon, 01 Jan 2024 12:00:00 +0000\r\n\r\nbody\r\n"
    )
    r = run(write(tmp_path, "s.eml", raw), tmp_path / "s")
    assert any(
        "alice@bank.example" in w and "bob@evil.example" in w for w in r.metadata["warnings"]
    )


def test_received_parsing_and_order(tmp_path: Path) -> None:
    raw = (
        b"Received: from mx.victim.example (mx.victim.example [10.0.0.5])\r\n"
        b"\tby inbox.victim.example with ESMTP id AAA for <v@victim.example>;"
        b" Mon, 01 Jan 2024 12:00:05 +0000\r\n"
        b"Received: from unknown (HELO 192.168.1.1) (93.184.216.34)\r\n"
        b"  by mx.victim.example with SMTP; Mon, 01 Jan 2024 12:00:03 +0000\r\n"
        b"Received: from [IPv6:2001:db8::7] (helo=laptop)\r\n"
        b"  by 203.0.113.9 with esmtpa id ZZZ; garbage date\r\n"
        b"From: x@y.example\r\nSubject: s\r\n\r\nbody\r\n"
    )
    r = run(write(tmp_path, "r.eml", raw), tmp_path / "s")
    hops = r.metadata["received"]
    assert [h["from_ip"] for h in hops] == ["2001:db8::7", "93.184.216.34", "10.0.0.5"]
    assert hops[0]["at"] is None and "at_problem" in hops[0]
    assert hops[1]["by_host"] == "mx.victim.example" and hops[1]["with"] == "SMTP"
    assert hops[2]["id"] == "AAA" and hops[2]["for"] == "v@victim.example"
    assert hops[2]["at"] == "2024-01-01T12:00:05Z"
    # 2001:db8::/32 is documentation space, so not global: the origin is hop 1.
    assert r.metadata["origin_ip"]["ip"] == "93.184.216.34"
    assert r.metadata["origin_ip"]["hop"] == 1
    assert [t.label for t in r.times] == ["relay hop 1 received", "relay hop 2 received"]


def test_authentication_parsing(tmp_path: Path) -> None:
    raw = (
        b"Authentication-Results: mx.google.com;\r\n"
        b"       dkim=pass header.i=@bank.example header.s=s1 header.b=abc;\r\n"
        b"       spf=softfail (google.com: domain of x@y transitions) smtp.mailfrom=x@y.example;"
        b"\r\n       dmarc=fail (p=REJECT sp=REJECT dis=NONE) header.from=bank.example\r\n"
        b"ARC-Authentication-Results: i=1; mx.google.com; spf=pass smtp.mailfrom=a@b.example\r\n"
        b"Received-SPF: softfail (google.com: domain of transitioning x@y.example)\r\n"
        b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=Bank.Example; s=s1;\r\n"
        b"\th=from:subject; bh=xyz=; b=abc\r\n"
        b"From: x@y.example\r\nSubject: s\r\n\r\nbody\r\n"
    )
    r = run(write(tmp_path, "a.eml", raw), tmp_path / "s")
    auth = r.metadata["authentication"]
    assert auth["summary"] == {"spf": ["softfail", "softfail"], "dkim": ["pass"], "dmarc": ["fail"]}
    res = auth["results"][0]
    assert res["authserv_id"] == "mx.google.com"
    assert res["verdicts"][1]["properties"]["smtp.mailfrom"] == "x@y.example"
    assert auth["arc_results"][0]["instance"] == "1"
    assert auth["arc_results"][0]["verdicts"][0]["result"] == "pass"
    assert auth["dkim_signatures"][0]["d"] == "bank.example"
    assert auth["dkim_signatures"][0]["s"] == "s1"
    assert ("domain", "bank.example") in {(i.kind, i.value) for i in r.identifiers}


def test_encodings_and_broken_structure(tmp_path: Path) -> None:
    raw = (
        b"From: =?windows-1251?B?wOJ0b3I=?= <a@b.example>\r\n"
        b"Subject: =?utf-8?Q?Caf=C3=A9?= =?unknown-charset?B?SGk=?= \xe9t\xe9\r\n"
        b"Content-Type: multipart/mixed; boundary=declared\r\n\r\n"
        b"--used\r\nContent-Type: text/plain; charset=x-nonsense\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nna\xefve caf\xe9\r\n"
        b"--used\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nwqFIb2xhIQ===junk===\r\n--used--\r\n"
    )
    r = run(write(tmp_path, "e.eml", raw), tmp_path / "s")
    md = r.metadata
    assert md["addresses"]["from"][0]["name"] == "Авtor"
    assert md["headers"]["subject"].startswith("CaféHi ")
    assert "naïve café" in md["body"]["text"] and "¡Hola!" in md["body"]["text"]
    assert md["body"]["charset_errors"] is True
    json.dumps(r.to_dict())


def test_headers_only_and_empty(tmp_path: Path) -> None:
    r = run(
        write(tmp_path, "h.eml", b"From: a@b.example\r\nSubject: only headers\r\n"), tmp_path / "s"
    )
    assert r.metadata["headers"]["subject"] == "only headers"
    assert r.metadata["date"]["problem"] == "missing"
    r = run(write(tmp_path, "e.eml", b""), tmp_path / "s2")
    assert r.errors == ["the file is empty"]


def test_child_limits(tmp_path: Path) -> None:
    msg = MIMEMultipart()
    msg["Subject"] = "five"
    for i in range(5):
        msg.attach(MIMEApplication(bytes([i]) * (100 + i), Name=f"f{i}.bin"))
    p = write(tmp_path, "five.eml", msg.as_bytes())
    r = run(p, tmp_path / "s", max_children=2)
    assert len(r.children) == 2
    assert all(a["sha256"] for a in r.metadata["attachments"])
    assert any("more than 2 attachments" in e for e in r.errors)
    r = run(p, tmp_path / "s2", max_child_bytes=102)
    assert [a["child"] is not None for a in r.metadata["attachments"]] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert r.metadata["attachments"][4]["size"] == 104
    assert not list((tmp_path / "s2").glob("child-0004.bin"))
    assert sum("larger than the 102 bytes" in e for e in r.errors) == 2


def test_hundred_parts_fast(tmp_path: Path) -> None:
    msg = MIMEMultipart()
    msg["Subject"] = "many"
    msg.attach(MIMEText("body"))
    for i in range(100):
        msg.attach(MIMEApplication(os.urandom(2000), Name=f"a{i}.bin"))
    p = write(tmp_path, "many.eml", msg.as_bytes())
    t = time.monotonic()
    r = run(p, tmp_path / "s")
    assert time.monotonic() - t < 5
    assert len(r.children) == 100 and r.metadata["parts"] == 101


def test_large_attachment_streams(tmp_path: Path) -> None:
    """A 50 MB attachment: decoded correctly, quickly, without holding it several times."""
    size = 50 * 1024 * 1024
    p = tmp_path / "big.eml"
    digest = hashlib.sha256()
    with p.open("wb") as fh:
        fh.write(
            b"From: a@b.example\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="BB"\r\n\r\n--BB\r\n'
            b"Content-Type: text/plain\r\n\r\nsee attached\r\n--BB\r\n"
            b'Content-Type: application/octet-stream; name="big.bin"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n"
        )
        block = os.urandom(57 * 1024)  # repeated: fast to make, still not compressible text
        written = 0
        while written < size:
            chunk = block[: size - written]
            digest.update(chunk)
            fh.write(base64.encodebytes(chunk).replace(b"\n", b"\r\n"))
            written += len(chunk)
        fh.write(b"\r\n--BB--\r\n")
    tracemalloc.start()
    try:
        t = time.monotonic()
        r = run(p, tmp_path / "s")
        elapsed = time.monotonic() - t
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.errors == []
    (att,) = r.metadata["attachments"]
    assert att["size"] == size and att["sha256"] == digest.hexdigest()
    assert r.children[0].path.stat().st_size == size
    assert r.metadata["body"]["text"] == "see attached"
    assert peak < 3 * size, f"peak traced memory {peak / 1e6:.0f} MB"
    assert elapsed < 20


# --- fuzzing ---------------------------------------------------------------------------------

_HEADER_NAMES = st.sampled_from(
    [
        "From",
        "To",
        "Subject",
        "Date",
        "Received",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        "Reply-To",
        "Authentication-Results",
        "DKIM-Signature",
        "X-Junk",
    ]
)
_HEADER_VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "multipart/mixed; boundary=b",
            'multipart/alternative; boundary="b"',
            "message/rfc822",
            "text/html; charset=gb2312",
            "text/plain; charset=utf-7",
            "base64",
            "quoted-printable",
            "x-uuencode",
            "attachment; filename*=utf-8''%E2%82%AC%ZZ.txt",
            "=?utf-8?B?====?=",
            "=?x?Q?=FF=?=",
            "from a ([1.2.3.4]) by b; Thu, 13 Feb 1969 23:32 -0330",
            "Mon, 99 Foo 99999 99:99:99 +9999",
            "spf=pass; dkim=(",
            "v=1; d=; s",
        ]
    ),
)
_BODY = st.one_of(
    st.binary(max_size=400),
    st.lists(
        st.sampled_from(
            [
                b"--b",
                b"--b--",
                b"\r\n",
                b"Content-Type: text/html",
                b"QUJD",
                b"<a href='http://x.example'>www.y.example</a>",
                b"=\r\n",
                b"begin 644 x\r\n",
                b"\xff\xfe",
                b"\x00",
            ]
        ),
        max_size=40,
    ).map(b"".join),
)


@st.composite
def header_ish(draw: st.DrawFn) -> bytes:
    lines = [
        f"{draw(_HEADER_NAMES)}: {draw(_HEADER_VALUES)}" for _ in range(draw(st.integers(0, 8)))
    ]
    head = "\r\n".join(lines).encode("utf-8", "surrogateescape")
    return head + b"\r\n\r\n" + draw(_BODY)


@settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.one_of(st.binary(max_size=3000), header_ish()))
def test_fuzz_never_raises(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f.eml"
        p.write_bytes(data)
        r = EX.extract(p, ExtractContext(scratch_dir=Path(d) / "s", original_name="f.eml"))
        assert isinstance(r, Extraction)
        json.dumps(r.to_dict(), ensure_ascii=False).encode("utf-8")
        for child in r.children:
            assert child.path.parent == Path(d) / "s"


# ---- issue 12, defect 13: deep message/rfc822 chains ------------------------------------------
def _rfc822_chain(levels: int) -> bytes:
    """A message holding a message holding a message... ``levels`` wrappers deep."""
    msg = b"From: bottom@example.com\r\nSubject: innermost\r\n\r\nthe innermost text\r\n"
    for i in range(levels):
        msg = (
            f"From: level{i}@example.com\r\nSubject: wrapper {i}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: message/rfc822\r\n\r\n"
        ).encode() + msg
    return msg


def test_defect_13_rfc822_chain_200_deep_is_cut_with_a_note(tmp_path: Path) -> None:
    p = tmp_path / "chain.eml"
    p.write_bytes(_rfc822_chain(200))
    r = run(p, tmp_path / "x")
    limit = email_mod.MAX_MIME_DEPTH
    notes = [e for e in r.errors if f"first {limit} levels" in e]
    assert len(notes) == 1, r.errors
    assert "199 levels deep" in notes[0]  # how deep it really goes, below the attached message
    assert "kept in this file exactly as received" in notes[0] and "not read" in notes[0]
    (att,) = r.metadata["attachments"]
    assert att["nesting_cut_at"] == limit and att["child"]
    (child,) = r.children
    assert child.path.read_bytes().count(b"message/rfc822") == limit + 1
    json.dumps(r.to_dict())


def test_defect_13_chain_within_the_limit_has_no_note(tmp_path: Path) -> None:
    p = tmp_path / "chain.eml"
    p.write_bytes(_rfc822_chain(email_mod.MAX_MIME_DEPTH + 1))
    r = run(p, tmp_path / "x")
    assert r.errors == []
    assert "nesting_cut_at" not in r.metadata["attachments"][0]
    assert r.children[0].path.read_bytes().endswith(b"the innermost text\r\n")
