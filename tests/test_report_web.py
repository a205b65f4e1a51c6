"""Saved web pages in the report (issue 15): a "Web pages" section, text only, never live HTML.

A hostile page (scripts, an iframe, remote images and style sheets, a meta refresh, a phishing
form), saved as MHTML and as SingleFile HTML and pointing at a local listener, goes through
``evkit add`` and ``evkit report``; the report shows each page's address, title and both times
as escaped text, passes evkit's own active-content check and, in headless Chromium, makes no
request and runs no script.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_report import CHROMIUM, _chromium, _report, beacon  # noqa: F401 (beacon: a fixture)

from evidence_kit.ingest.add import add_files
from evidence_kit.report.webpages import gap_warning
from evidence_kit.store.case import create_case
from evidence_kit.store.signing import Signer
from evidence_kit.verify.reportcheck import active_content

TITLE = "Bank <script>document.title='pwned'</script> login"


def _page(url: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><title>{html.escape(TITLE)}</title>"
        f'<script src="{url}/x.js"></script><script>fetch("{url}/inline")</script>'
        f'<link rel="stylesheet" href="{url}/s.css">'
        f'<meta http-equiv="refresh" content="0;url={url}/refresh">'
        f"<style>body{{background:url({url}/bg.png)}}</style></head>"
        f'<body onload="fetch(\'{url}/onload\')"><iframe src="{url}/frame"></iframe>'
        f'<img src="{url}/pixel.png" onerror="fetch(\'{url}/err\')">'
        "<p>Confirm your account today.</p>"
        f'<form action="{url}/collect" method="post"><input type="password" name="pw">'
        '<input name="cc" autocomplete="cc-number"></form>'
        f'<a href="{url}/next">next</a></body></html>'
    )


def _mhtml(url: str) -> bytes:
    return (
        b"From: <Saved by Blink>\r\n"
        + f"Snapshot-Content-Location: {url}/login\r\n".encode()
        + b"Subject: Bank login\r\nDate: Tue, 3 Mar 2020 11:49:41 -0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/related;\r\n\ttype="text/html";\r\n\tboundary="--B"\r\n\r\n'
        b"----B\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: 8bit\r\n"
        + f"Content-Location: {url}/login\r\n\r\n".encode()
        + _page(url).encode()
        + b"\r\n----B\r\n"
        + f"Content-Type: text/html\r\nContent-Location: {url}/frame\r\n\r\n".encode()
        + f'<script>fetch("{url}/frame-script")</script><img src="{url}/f.png">'.encode()
        + b"\r\n----B--\r\n"
    )


def _singlefile(url: str) -> str:
    return _page(url).replace(
        "<html>",
        f"<html><!--\n Page saved with SingleFile \n url: {url}/sf \n saved date: "
        "Mon Nov 30 2026 10:00:00 GMT+0100 (Central European Standard Time)\n-->",
        1,
    )


@pytest.fixture
def web_case(tmp_path: Path, signer: Signer, beacon: tuple[str, list[str]]) -> dict[str, Any]:  # noqa: F811
    url, _ = beacon
    root = tmp_path / "case"
    case = create_case(
        root,
        {"title": "Web", "collector": {"name": "Jane"}, "timezone": "UTC", "references": []},
        signer,
    )
    src = tmp_path / "src"
    src.mkdir()
    (src / "bank.mhtml").write_bytes(_mhtml(url))
    (src / "bank-singlefile.html").write_text(_singlefile(url), encoding="utf-8")
    rep = add_files(case, signer, [str(src / "bank.mhtml"), str(src / "bank-singlefile.html")])
    assert not rep.failures
    return {"root": root, "case": case, "url": url}


def test_web_pages_section_shows_pages_as_text(evkit: Any, web_case: dict[str, Any]) -> None:
    root, url = web_case["root"], web_case["url"]
    items = {it.name: it for it in web_case["case"].items().values()}
    assert items["bank.mhtml"].extraction["extractor"] == "web"
    assert items["bank-singlefile.html"].extraction["metadata"]["format"] == "singlefile-html"
    _report(evkit, root, "--format", "html")
    data = (root / "evkit/report/index.html").read_bytes()
    assert active_content(data) == []
    page = data.decode("utf-8")
    section = page.split('<section id="web-pages">', 1)[1].split("</section>", 1)[0]
    assert html.escape(f"{url}/login") in section
    assert html.escape(f"{url}/sf") in section
    assert html.escape(TITLE) in section  # the page's own title, escaped
    assert "2020-03-03T11:49:41Z" in section  # MHTML Date, as the file states it
    assert "2026-11-30T09:00:00Z" in section  # SingleFile saved date, in UTC
    assert "days before evkit acquired it" in section  # the 2020 capture: a large gap
    assert "asking for a password and card details" in section
    assert "<script" not in page.lower() and "<iframe" not in page.lower()
    assert not re.search(r"\b(href|src|action)\s*=\s*[\"']?\s*https?:", page, re.IGNORECASE)
    assert verify_ok(root)


def verify_ok(root: Path) -> bool:
    from evidence_kit.verify.checks import FolderSource, verify_source

    return verify_source(FolderSource(root)).intact


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed")
def test_chromium_renders_web_pages_without_requests_or_scripts(
    evkit: Any,
    web_case: dict[str, Any],
    beacon: tuple[str, list[str]],  # noqa: F811
    tmp_path: Path,
) -> None:
    root = web_case["root"]
    _report(evkit, root, "--format", "html")
    page = root / "evkit/report/index.html"
    dom = _chromium(tmp_path / "p", "--dump-dom", "--virtual-time-budget=3000", page.as_uri())
    assert "<body" in dom.stdout, dom.stderr[-2000:]
    assert "pwned" not in re.findall(r"<title>(.*?)</title>", dom.stdout, re.DOTALL)[0]
    assert "<script" not in dom.stdout.lower()
    assert beacon[1] == [], f"the report made network requests: {beacon[1]}"


def test_gap_warning() -> None:
    assert gap_warning("2020-01-01T00:00:00Z", "2026-11-20T00:00:00Z") is not None
    assert gap_warning("2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z") is None
    after = gap_warning("2026-11-21T00:00:00Z", "2026-11-20T00:00:00Z")
    assert after is not None and "AFTER" in after
    assert gap_warning(None, "2026-11-20T00:00:00Z") is None


def test_save_page_as_complete_links_its_folder(evkit: Any, tmp_path: Path, signer: Signer) -> None:
    src = tmp_path / "saved"
    (src / "page_files").mkdir(parents=True)
    (src / "page.html").write_text(
        "<!DOCTYPE html>\n<!-- saved from url=(0026)https://shop.example/item -->\n"
        '<html><head><title>Cheap phones</title><link rel="stylesheet" '
        'href="./page_files/a.css"></head><body><img src="./page_files/b%20c.png">'
        "</body></html>"
    )
    (src / "page_files" / "a.css").write_text("body{}")
    (src / "page_files" / "b c.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (src / "alone.html").write_text('<html><body><img src="alone_files/x.png"></body></html>')
    root = tmp_path / "case"
    case = create_case(
        root,
        {"title": "Web", "collector": {"name": "Jane"}, "timezone": "UTC", "references": []},
        signer,
    )
    assert not add_files(case, signer, [str(src)]).failures
    items = {it.name: it for it in case.items().values()}
    md = items["page.html"].extraction["metadata"]
    assert md["format"] == "saved-html"
    assert md["companion_folder"]["name"] == "page_files"
    assert md["companion_folder"]["files"] == ["a.css", "b c.png"]
    assert md["companion_folder"]["matches_page_name"] is True
    _report(evkit, root, "--format", "html")
    page = (root / "evkit/report/index.html").read_text("utf-8")
    section = page.split('<section id="web-pages">', 1)[1].split("</section>", 1)[0]
    ids = sorted([items["a.css"].id, items["b c.png"].id])
    assert f"saved with its folder page_files: {', '.join(ids)}" in section
    assert "a folder &#x27;alone_files&#x27; saved beside it, which is not in this case" in section


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from(list("<>\"'&/=")),
    max_size=60,
)
_VALUE = st.none() | _TEXT | st.integers() | st.lists(_TEXT, max_size=3)


@settings(max_examples=150, deadline=None)
@given(
    page=st.dictionaries(
        st.sampled_from(["url", "title", "claimed_capture", "role", "text"]), _VALUE, max_size=5
    ),
    claimed=st.fixed_dictionaries({"at": _VALUE, "raw": _VALUE, "source": _VALUE}),
    warnings=st.lists(_TEXT, max_size=3),
    errors=st.lists(_TEXT, max_size=3),
    folder=_VALUE,
)
def test_any_web_record_renders_as_inert_text(
    page: dict[str, Any],
    claimed: dict[str, Any],
    warnings: list[str],
    errors: list[str],
    folder: Any,
) -> None:
    from evidence_kit.report.html import HtmlRenderer

    page = {**page, "claimed_capture": claimed}
    item = {
        "id": "E0001",
        "withheld": False,
        "original": {"path": "/x/page.html"},
        "acquired": {"at": "2026-11-20T09:00:00Z"},
        "extraction": {
            "extractor": "web",
            "metadata": {
                "pages": [page, "not a page"],
                "warnings": warnings,
                "companion_folder": {"name": folder},
            },
            "errors": [f"digest mismatch {e}" for e in errors],
        },
    }
    out = HtmlRenderer()._web_pages({"items": [item, {"id": 3}, None]})
    assert out.startswith('<section id="web-pages">')
    tags = set(re.findall(r"</?([a-zA-Z0-9]+)", out))
    assert tags <= {"section", "h2", "p", "table", "thead", "tbody", "tr", "th", "td", "code",
                    "br", "span"}, tags  # fmt: skip
    assert active_content(_page_of(out)) == []


def _page_of(section: str) -> bytes:
    from evidence_kit.report.html import CSP, esc

    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        f"</head><body>{section}</body></html>"
    ).encode()
