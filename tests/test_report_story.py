"""The report reads as a story: its first two pages (PDF form, and the HTML as a browser prints
it) hold what happened, the money lost, the suspects and the reference numbers; a 12-item case
prints in at most 8 pages without its appendix; no raw field names outside the appendix."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, Run, corpus_or_skip

CHROMIUM = Path("/usr/bin/chromium")
PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="poppler-utils not installed")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium not installed (.ci/run installs it)"
)

INCIDENT = "Met 'Mark' on a dating app; sent money for a customs fee and a flight ticket"


def _keys(value: object, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(str(k))
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def field_names(text: str, case: Path) -> list[str]:
    """The raw field names (snake_case keys of the report's own case.json, such as
    looks_like_screenshot or transfer_encoding) that appear as words in ``text``."""
    import json

    snapshot = json.loads((case / "evkit/report/case.json").read_text(encoding="utf-8"))
    keys = {k for k in _keys(snapshot, set()) if "_" in k}
    assert {"looks_like_screenshot", "transfer_encoding", "to_account"} & keys
    return sorted(k for k in keys if re.search(rf"(?<![\w.-]){re.escape(k)}(?![\w-])", text))


def pdf_text(pdf: Path, first: int = 1, last: int | None = None) -> str:
    args = [str(PDFTOTEXT), "-f", str(first)]
    if last is not None:
        args += ["-l", str(last)]
    out = subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def pages(pdf: Path) -> int:
    return pdf_text(pdf).count("\f")


def print_html(page: Path, out: Path, profile: Path) -> Path:
    r = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.is_file(), r.stderr[-2000:]
    return out


def build_story(evkit: Callable[..., Run], case: Path) -> None:
    """The collector's story: a note, two payments, a suspect, a second reference."""
    steps = [
        ("note", "Mark asked for GBP 250 for a customs fee", "--at", "2026-11-19 21:30"),
        (
            "loss",
            "add",
            "--amount",
            "250.00",
            "--currency",
            "GBP",
            "--date",
            "2026-11-20",
            "--method",
            "bank transfer",
            "--to-account",
            "12-34-56 12345678",
        ),
        (
            "loss",
            "add",
            "--amount",
            "0.0125",
            "--currency",
            "BTC",
            "--date",
            "2026-11-22",
            "--method",
            "bitcoin",
            "--to-account",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        ),
        (
            "suspect",
            "add",
            "--name",
            "Mark Williams",
            "--email",
            "mark.williams.oilrig@example.net",
            "--phone",
            "+44 7700 900123",
        ),
        ("ref", "add", "--agency", "Metropolitan Police", "--number", "CAD 4471/20NOV"),
    ]
    for args in steps:
        r = evkit(*args, cwd=case)
        assert r.exit_code == 0, (args, r.output)


def new_case(evkit: Callable[..., Run], root: Path) -> Path:
    case = root / "case"
    r = evkit(
        "init",
        str(case),
        "--title",
        "Romance scam 2026",
        "--collector",
        "Jane Doe",
        "--email",
        "jane@example.org",
        "--incident",
        INCIDENT,
        "--jurisdiction",
        "England and Wales",
        "--ref",
        "Action Fraud=NFRC261100123",
        "--timezone",
        "Europe/London",
        input="",
    )
    assert r.exit_code == 0, r.output
    return case


def demo_files(root: Path) -> list[Path]:
    out = root / "files"
    out.mkdir()
    for p in SAMPLES.iterdir():
        if p.suffix in (".png", ".jpg", ".eml", ".csv"):
            shutil.copy(p, out / p.name)
    return sorted(out.iterdir())


def assert_story_first(text: str) -> None:
    flat = " ".join(text.split())
    assert " ".join(INCIDENT.split()) in flat
    assert "250.00 GBP" in flat and "0.0125 BTC" in flat  # the total per currency
    assert "Mark Williams" in flat and "mark.williams.oilrig@example.net" in flat
    assert "+44 7700 900123" in flat
    assert "NFRC261100123" in flat and "CAD 4471/20NOV" in flat
    assert "England and Wales" in flat


@needs_pdftotext
def test_demo_case_custody_form_opens_with_the_story(
    evkit: Callable[..., Run], tmp_path: Path
) -> None:
    case = new_case(evkit, tmp_path)
    assert evkit("add", *map(str, demo_files(tmp_path)), cwd=case).exit_code == 0
    build_story(evkit, case)
    r = evkit("report", cwd=case)
    assert r.exit_code == 0, r.output
    form = case / "evkit/report/custody-form.pdf"
    first_two = pdf_text(form, 1, 2)
    assert_story_first(first_two)
    # The form still carries what an officer signs for: every fingerprint, the transfer rows.
    whole = pdf_text(form)
    assert "Transfer of custody" in whole and "Signing key fingerprint" in whole
    # The money: total by currency, then each payment with where it went and its date.
    flat = " ".join(first_two.split())
    assert "Total: 0.0125 BTC, 250.00 GBP in 2 payment(s)." in flat
    assert "12-34-56 12345678" in flat and "2026-11-22" in flat
    # What each item shows, in plain words (values read by hand from samples/).
    assert "replies go to a different address (m.williams.private@example.com)" in " ".join(
        whole.split()
    )


@needs_pdftotext
@needs_chromium
def test_demo_case_printed_html(evkit: Callable[..., Run], tmp_path: Path) -> None:
    case = new_case(evkit, tmp_path)
    assert evkit("add", *map(str, demo_files(tmp_path)), cwd=case).exit_code == 0
    build_story(evkit, case)
    assert evkit("report", cwd=case).exit_code == 0
    page = case / "evkit/report/index.html"
    printed = print_html(page, tmp_path / "printed.pdf", tmp_path / "profile")
    assert_story_first(pdf_text(printed, 1, 2))
    text = pdf_text(printed)
    assert not field_names(text, case), field_names(text, case)
    assert "nested too deeply" not in text
    # The plain type names, never the MIME types.
    for label in ("E-mail", "PNG image", "JPEG image", "PDF document"):
        assert label in text
    for mime in ("message/rfc822", "image/png", "application/pdf"):
        assert mime not in text
    # The appendix is in the page (closed), printed only with --full.
    html = page.read_text(encoding="utf-8")
    assert '<details id="appendix">' in html and "transfer_encoding" in html
    assert evkit("report", "--format", "html", "--full", cwd=case).exit_code == 0
    assert '<details id="appendix" open>' in page.read_text(encoding="utf-8")
    full = pdf_text(print_html(page, tmp_path / "full.pdf", tmp_path / "profile2"))
    assert "transfer_encoding" in full and pages(tmp_path / "full.pdf") > pages(printed)


def corpus_files(root: Path) -> list[Path]:
    corpus = corpus_or_skip()
    chosen = [
        "images/grader__Screenshot_20240508_221724_Grader.png",
        "images/exiftool__Apple.jpg",
        "images/exifpy__Canon_40D_photoshop_import.jpg",
        "email/mikel-mail__attachment_pdf.eml",
        "statements/beangulp__statement.csv",
        "statements/ofxparse__checking.ofx",
        "pdf/sample-files__minimal-document.pdf",
    ]
    out = root / "files"
    out.mkdir()
    for rel in chosen:
        src = corpus / rel
        if not src.is_file():
            pytest.skip(f"corpus file missing: {rel}")
        shutil.copy(src, out / src.name.split("__", 1)[1])
    for n, text in enumerate(
        ["He first wrote on the app on 2 November.", "I paid on 20 November from my account."]
    ):
        (out / f"statement {n + 1}.txt").write_text(text + "\n")
    for p in SAMPLES.iterdir():
        if p.suffix == ".eml":
            shutil.copy(p, out / p.name)
    return sorted(out.iterdir())


@needs_pdftotext
@needs_chromium
def test_corpus_case_of_twelve_items_prints_in_eight_pages(
    evkit: Callable[..., Run], tmp_path: Path
) -> None:
    files = corpus_files(tmp_path)
    case = new_case(evkit, tmp_path)
    r = evkit("add", *map(str, files), cwd=case)
    assert r.exit_code == 0, r.output
    build_story(evkit, case)
    assert evkit("report", cwd=case).exit_code == 0
    import json

    items = json.loads(evkit("list", "--json", cwd=case).stdout)
    assert len(items) >= 12
    printed = print_html(
        case / "evkit/report/index.html", tmp_path / "printed.pdf", tmp_path / "profile"
    )
    assert pages(printed) <= 8
    assert_story_first(pdf_text(printed, 1, 2))
    text = pdf_text(printed)
    assert not field_names(text, case), field_names(text, case)
    assert "nested too deeply" not in text
    form = case / "evkit/report/custody-form.pdf"
    assert_story_first(pdf_text(form, 1, 2))
    # The edited photo and the screenshot say so in the evidence list.
    flat = " ".join(text.split())
    assert "Screenshot (PNG image" in flat
    assert "editing software" in flat


def test_hostile_story_stays_data(evkit: Callable[..., Run], tmp_path: Path) -> None:
    from evidence_kit.verify.reportcheck import active_content

    case = new_case(evkit, tmp_path)
    mail = tmp_path / "evil.eml"
    mail.write_bytes(
        b'From: "<script>alert(1)</script>" <eve@example.net>\r\n'
        b"Reply-To: <a href=x>@evil.example.com\r\nSubject: <img src=x onerror=alert(1)>\r\n"
        b"Date: Thu, 19 Nov 2026 13:15:03 +0000\r\nContent-Type: text/html\r\n\r\n"
        b'<a href="javascript:alert(1)">https://bank.example/</a>\r\n'
    )
    assert evkit("add", str(mail), cwd=case).exit_code == 0
    for args in (
        ("suspect", "add", "--name", "<script>alert(2)</script>", "--url", "javascript:alert(3)"),
        ("loss", "add", "--amount", "1", "--currency", "GBP", "--to-account", "<b>x</b>"),
    ):
        assert evkit(*args, cwd=case).exit_code == 0
    assert evkit("report", "--format", "html", cwd=case).exit_code == 0
    page = (case / "evkit/report/index.html").read_bytes()
    assert active_content(page) == []
    assert b"<script" not in page.lower() and b"<img src=x" not in page
    assert b"&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert b"javascript:alert(1)" in page  # shown as text only
    assert b'href="javascript' not in page
