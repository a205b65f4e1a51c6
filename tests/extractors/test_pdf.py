"""The PDF extractor against real third-party PDFs, crafted ones and fuzzing."""

from __future__ import annotations

import atexit
import io
import json
import logging
import shutil
import tempfile
from functools import cache
from pathlib import Path

import magic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PageObject, PdfWriter
from pypdf.annotations import Link

import evidence_kit.extractors.pdf as pdfmod
from evidence_kit.extractors import ExtractContext, Extraction, extract
from evidence_kit.extractors.pdf import PdfExtractor, parse_pdf_date

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
if not CORPUS.is_dir():
    pytest.skip("shared corpus not available: ../shared/corpus", allow_module_level=True)

PDFS = CORPUS / "pdf"
STATEMENTS = CORPUS / "statements"
CORPUS_PDFS = sorted([*PDFS.glob("*.pdf"), *STATEMENTS.glob("*.pdf")])
ENCRYPTED_ERROR = "encrypted: text and dates not readable without the password"


SCRATCH = Path(tempfile.mkdtemp(prefix="evkit-pdf-test-"))
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)


@cache
def run(path: Path) -> Extraction:
    """Extract through the registry, as the case store does (cached: tests only read it)."""
    mime = magic.from_file(str(path), mime=True)
    return extract(path, mime, ExtractContext(scratch_dir=SCRATCH, original_name=path.name))


def direct(path: Path) -> Extraction:
    """Call the PDF extractor itself, uncached (for tests that patch its limits)."""
    return PdfExtractor().extract(
        path, ExtractContext(scratch_dir=path.parent, original_name=path.name)
    )


@pytest.mark.parametrize("path", CORPUS_PDFS, ids=lambda p: p.name)
def test_every_corpus_pdf_is_read_or_explained(path: Path) -> None:
    result = run(path)
    assert result.extractor == "pdf"
    assert result.metadata or result.errors
    for key in ("pdf_version", "encrypted", "page_count"):
        assert key in result.metadata
    json.dumps(result.to_dict(), allow_nan=False)
    assert result.children == []  # attachments are listed, never extracted
    assert not list(SCRATCH.iterdir())
    assert all(t.at[:4].isdigit() for t in result.times)


def test_pdftex_document() -> None:
    r = run(PDFS / "sample-files__minimal-document.pdf")
    md = r.metadata
    assert md["pdf_version"] == "1.5"
    assert md["encrypted"] is False
    assert md["page_count"] == 1
    assert md["info"]["Producer"] == "pdfTeX-1.40.23"
    assert md["info"]["Creator"] == "TeX"
    assert md["text"].startswith("Lorem ipsum dolor sit amet")
    assert md["text_truncated"] is False
    times = {t.field: t for t in r.times}
    created = times["pdf.info.CreationDate"]
    assert created.at == "2022-04-03T16:05:42Z"  # 18:05:42 at +02:00
    assert created.raw == "D:20220403180542+02'00'"
    assert created.label == "PDF created (Info CreationDate)"
    assert times["pdf.info.ModDate"].at == "2022-04-03T16:05:42Z"


def test_canva_statement_and_identifiers() -> None:
    r = run(STATEMENTS / "reds__mercury_statement_20241105.pdf")
    md = r.metadata
    assert md["page_count"] == 6
    assert md["text_pages"] == 6
    assert md["info"]["Producer"] == "Canva"
    assert md["info"]["Author"] == "Groach45"
    assert {t.field: t.at for t in r.times}["pdf.info.CreationDate"] == "2024-11-21T23:43:15Z"
    assert ("url", "www.mercurycards.com") in {(i.kind, i.value) for i in r.identifiers}


def test_scanned_statement_with_xmp() -> None:
    r = run(STATEMENTS / "monopoly__example_statement.pdf")
    md = r.metadata
    assert md["page_count"] == 4
    assert md["xmp"]["creator_tool"] == "Adobe Acrobat 23.3"
    assert md["xmp"]["document_id"].startswith("uuid:")
    times = {t.field: t.at for t in r.times}
    assert times["pdf.xmp.create_date"] == "2023-10-04T14:58:50Z"  # 22:58:50+08:00
    assert times["pdf.xmp.modify_date"] == times["pdf.info.ModDate"] == "2023-12-11T14:31:22Z"


def test_google_docs_and_pdfa_producers() -> None:
    google = run(PDFS / "sample-files__google-doc-document.pdf").metadata
    assert google["info"] == {
        "Title": "PDF Example Document",
        "Producer": "Skia/PDF m103 Google Docs Renderer",
    }
    pdfa = run(PDFS / "sample-files__crazyones-pdfa.pdf").metadata
    assert pdfa["info"]["Producer"] == "GPL Ghostscript 10.00.0"
    assert "Title" not in pdfa["info"]  # empty strings are dropped
    assert pdfa["xmp"]["producer"] == "GPL Ghostscript 10.00.0"


def test_raw_utf8_title_is_decoded() -> None:
    md = run(PDFS / "pypdf__bytes.pdf").metadata
    assert md["info"]["Title"] == "Microsoft Word - トランスバース社買収電話会議英語Final.docx"


def test_malformed_date_with_z_and_junk() -> None:
    r = run(PDFS / "sample-files__output_with_metadata_pymupdf.pdf")
    assert {t.field: t.at for t in r.times}["pdf.info.CreationDate"] == "2023-04-10T07:46:54Z"
    assert r.metadata["xmp"]["title"] == "Sample PDF with XMP Metadata"


def test_broken_xref_and_javascript() -> None:
    md = run(PDFS / "pypdf__issue-297.pdf").metadata
    assert md["page_count"] == 1
    assert md["text"] == "test example"
    assert md["has_javascript"] is True  # /OpenAction runs app.alert(...)


def test_attachment_is_listed_not_extracted() -> None:
    r = run(PDFS / "sample-files__with-attachment.pdf")
    assert [a["name"] for a in r.metadata["attachments"]] == ["image.png"]
    assert r.children == []


@pytest.mark.parametrize(
    "path",
    [
        PDFS / "sample-files__libreoffice-writer-password.pdf",
        STATEMENTS / "monopoly__protected.pdf",
    ],
    ids=lambda p: p.name,
)
def test_password_protected(path: Path) -> None:
    r = run(path)
    md = r.metadata
    assert md["encrypted"] is True
    assert md["decrypted_with_empty_password"] is False
    assert md["page_count"] is None
    assert r.errors == [ENCRYPTED_ERROR]
    assert r.times == []
    assert "text" not in md


def test_encryption_described() -> None:
    assert run(STATEMENTS / "monopoly__protected.pdf").metadata["encryption"] == {
        "filter": "Standard",
        "version": 5,
        "revision": 6,
        "key_bits": 256,
        "algorithm": "AES-256",
    }
    rc4 = run(PDFS / "sample-files__libreoffice-writer-password.pdf").metadata["encryption"]
    assert rc4["algorithm"] == "RC4 128-bit"


def _crafted(tmp_path: Path, *, encrypt: bool = False) -> Path:
    """minimal-document.pdf plus a link annotation and an e-mail in Author."""
    w = PdfWriter(clone_from=PDFS / "sample-files__minimal-document.pdf")
    w.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://login.example.net/acct?id=7"))
    w.add_metadata({"/Author": "refunds@example.org"})
    if encrypt:  # owner password only: opens for anyone, like many bank statements
        w.encrypt(user_password="", owner_password="owner-secret", algorithm="AES-128")
    buf = io.BytesIO()
    w.write(buf)
    p = tmp_path / "crafted.pdf"
    p.write_bytes(buf.getvalue())
    return p


def test_empty_user_password_is_opened(tmp_path: Path) -> None:
    r = direct(_crafted(tmp_path, encrypt=True))
    md = r.metadata
    assert md["encrypted"] is True
    assert md["decrypted_with_empty_password"] is True
    assert md["encryption"]["algorithm"] == "AES-128"
    assert md["page_count"] == 1
    assert md["text"].startswith("Lorem ipsum")
    assert r.errors == []


def test_links_and_info_become_identifiers(tmp_path: Path) -> None:
    r = direct(_crafted(tmp_path))
    assert r.metadata["links"] == ["https://login.example.net/acct?id=7"]
    found = {(i.kind, i.value, i.field) for i in r.identifiers}
    assert ("url", "https://login.example.net/acct?id=7", "pdf.link") in found
    assert ("email", "refunds@example.org", "pdf.info.Author") in found


def test_text_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    path = STATEMENTS / "monopoly__example_statement.pdf"  # 4 pages, ~4,600 characters
    monkeypatch.setattr(pdfmod, "MAX_TEXT_CHARS", 1000)
    md = direct(path).metadata
    assert len(md["text"]) == 1000
    assert md["text_truncated"] is True
    assert "text limit" in md["text_stopped"]

    monkeypatch.setattr(pdfmod, "MAX_TEXT_CHARS", 200_000)
    monkeypatch.setattr(pdfmod, "MAX_TEXT_PAGES", 2)
    md = direct(path).metadata
    assert md["text_pages"] == 2
    assert md["page_count"] == 4
    assert "page limit" in md["text_stopped"]
    assert md["text_truncated"] is True

    monkeypatch.setattr(pdfmod, "TEXT_TIME_BUDGET_S", -1.0)
    md = direct(path).metadata
    assert md["text_pages"] == 0
    assert "time limit" in md["text_stopped"]
    assert md["text_truncated"] is True


def test_one_bad_page_costs_only_that_page(monkeypatch: pytest.MonkeyPatch) -> None:
    original = PageObject.extract_text
    calls = {"n": 0}

    def flaky(self: PageObject, *args: object, **kwargs: object) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("hostile content stream")
        return original(self)

    monkeypatch.setattr(PageObject, "extract_text", flaky)
    r = direct(STATEMENTS / "monopoly__example_statement.pdf")
    assert r.metadata["text_pages"] == 3
    assert r.errors == ["the text of page 2 could not be read: ValueError: hostile content stream"]


def test_pypdf_warnings_are_silenced() -> None:
    logging.getLogger("pypdf").setLevel(logging.WARNING)
    direct(PDFS / "pypdf__issue-297.pdf")  # uncached: extract itself sets the level
    assert logging.getLogger("pypdf").level == logging.ERROR


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("D:20240101120000+01'00'", ("2024-01-01T11:00:00Z", True)),
        ("D:20240101120000-05'30'", ("2024-01-01T17:30:00Z", True)),
        ("D:20240101120000-05'30", ("2024-01-01T17:30:00Z", True)),
        ("D:20240101120000Z", ("2024-01-01T12:00:00Z", True)),
        ("D:20240101120000Z00'00'", ("2024-01-01T12:00:00Z", True)),
        ("20240101120000", ("2024-01-01T12:00:00", False)),
        ("D:2024", ("2024-01-01T00:00:00", False)),
        ("D:202402291230", ("2024-02-29T12:30:00", False)),
        ("D:20231301000000", None),  # month 13
        ("D:20240101120000+25'00'", ("2024-01-01T12:00:00", False)),  # impossible offset
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_pdf_date(raw: str, expected: tuple[str, bool] | None) -> None:
    assert parse_pdf_date(raw) == expected


def test_accepts() -> None:
    ex = PdfExtractor()
    assert ex.accepts("application/pdf", ".pdf")
    assert ex.accepts("application/pdf", "")
    assert ex.accepts("application/octet-stream", ".pdf")
    assert not ex.accepts("application/octet-stream", ".png")
    assert not ex.accepts("text/plain", ".pdf")


def test_not_a_pdf_is_explained(tmp_path: Path) -> None:
    p = tmp_path / "fake.pdf"
    p.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    r = direct(p)
    assert r.errors
    assert r.metadata["page_count"] is None or isinstance(r.metadata["page_count"], int)


_SEED = (PDFS / "pypdf__issue-297.pdf").read_bytes()


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_pdfs_never_raise(tmp_path: Path, data: st.DataObject) -> None:
    blob = bytearray(_SEED)
    for _ in range(data.draw(st.integers(1, 10))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        blob[pos] = data.draw(st.integers(0, 255))
    blob = blob[: data.draw(st.integers(0, len(blob)))]
    p = tmp_path / "x.pdf"
    p.write_bytes(bytes(blob))
    ctx = ExtractContext(scratch_dir=tmp_path, original_name="x.pdf")
    assert isinstance(extract(p, magic.from_buffer(bytes(blob), mime=True), ctx), Extraction)
    result = PdfExtractor().extract(p, ctx)  # handles everything itself
    json.dumps(result.to_dict(), allow_nan=False)
