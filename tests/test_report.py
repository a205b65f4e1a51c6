"""``evkit report``: the HTML index, PDF custody form, CSV and JSON, with hostile evidence."""

from __future__ import annotations

import csv
import html
import http.server
import io
import json
import re
import subprocess
import threading
import unicodedata
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_kit.ingest.add import add_files
from evidence_kit.report.csv import FORMULA_START, neutralise, render_rows
from evidence_kit.store.case import Case, create_case
from evidence_kit.store.signing import Signer
from evidence_kit.verify.checks import FolderSource, verify_source

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE_TITLE = "Scam <script>document.title='pwned'</script>"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
PWN = "<img src=x onerror=\"document.title='pwned'\">"
FORMULA = '=HYPERLINK("http://evil","x")'
FORMULA_FILE = '=HYPERLINK("evil.example","x").txt'  # no '/' possible in a file name
UNICODE_NAME = "Квитанция Ωμέγα.txt"


# ---- fixtures --------------------------------------------------------------------------------
class _Beacon(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def beacon() -> Iterator[tuple[str, list[str]]]:
    """A local web server that records every request: hostile evidence points at it."""
    _Beacon.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Beacon.hits
    finally:
        server.shutdown()
        server.server_close()


def _png(path: Path, color: tuple[int, int, int]) -> None:
    from PIL import Image

    Image.new("RGB", (64, 48), color).save(path, format="PNG")


def _hostile_eml(url: str) -> bytes:
    body_html = (
        f'<html><body>{SCRIPT}{IMG}<img src="{url}/pixel.png">'
        f'<a href="{url}/login">Log in</a><link rel=stylesheet href="{url}/a.css">'
        "</body></html>"
    )
    return (
        'From: "' + IMG + '" <mark@example.net>\r\n'
        "To: Jane <jane@example.org>\r\n"
        f"Subject: {SCRIPT} {PWN}\r\n"
        "Date: Fri, 20 Nov 2026 18:05:00 +0900\r\n"
        "Message-ID: <hostile@example.net>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="BOUND"\r\n\r\n'
        "--BOUND\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"{body_html}\r\n"
        "--BOUND\r\nContent-Type: text/plain\r\n"
        "Content-Disposition: attachment; filename*=utf-8''"
        f"{urllib.parse.quote(FORMULA, safe='')}\r\n"
        "\r\n=1+1 attachment body\r\n"
        "--BOUND--\r\n"
    ).encode("utf-8")


def _inject(
    case: Case,
    signer: Signer,
    item_id: str,
    extra_meta: dict[str, Any],
    identifiers: list[dict[str, str]] | None = None,
) -> None:
    """Add hostile metadata on top of what the extractor found (as a new record revision)."""
    with case.session(signer, "test") as sess:
        item = sess.items[item_id]
        rec = item.to_dict()
        ex = dict(rec.get("extraction") or {"extractor": "email", "times": [], "errors": []})
        ex["metadata"] = {**(ex.get("metadata") or {}), **extra_meta}
        ex["identifiers"] = list(ex.get("identifiers") or []) + list(identifiers or [])
        rec["extraction"] = ex
        rec["rev"] = item.rev + 1
        sess.commit("extract", {"item": item_id}, records=[rec])


@pytest.fixture
def hostile(tmp_path: Path, signer: Signer, beacon: tuple[str, list[str]]) -> dict[str, Any]:
    """A case holding hostile e-mail, hostile file names, images (one sensitive), Unicode."""
    url, _hits = beacon
    root = tmp_path / "case"
    case = create_case(
        root,
        {
            "title": HOSTILE_TITLE,
            "collector": {"name": "Jane Doe"},
            "timezone": "Europe/London",
            "references": [],
        },
        signer,
    )
    src = tmp_path / "src"
    src.mkdir()
    (src / "hostile.eml").write_bytes(_hostile_eml(url))
    (src / FORMULA_FILE).write_text("formula name")
    (src / (IMG + ".txt")).write_text("tag name")
    (src / UNICODE_NAME).write_text("unicode name")
    _png(src / "photo.png", (200, 30, 30))
    _png(src / "private-selfie.png", (30, 200, 30))
    files = [
        "hostile.eml",
        FORMULA_FILE,
        IMG + ".txt",
        UNICODE_NAME,
        "photo.png",
        "private-selfie.png",
    ]
    rep = add_files(case, signer, [str(src / f) for f in files])
    assert not rep.failures, rep.failures
    by_name = {it.name: it.id for it in case.items().values()}
    eml = by_name["hostile.eml"]
    _inject(
        case,
        signer,
        eml,
        {
            "subject": f"{SCRIPT} {PWN}",
            "urls": ["javascript:alert(1)", f"{url}/phish", f'<a href="{url}/x">x</a>'],
            "style_attack": f"</style><style>body{{background:url({url}/bg.png)}}</style>",
            "control_chars": "invoice\u202eexe.pdf \x00\x1b[31m",
        },
        [{"kind": "url", "value": f"{url}/phish", "field": "body.html"}],
    )
    secret = by_name["private-selfie.png"]
    _inject(
        case,
        signer,
        secret,
        {"secret_caption": "TOP-SECRET-CAPTION"},
        [{"kind": "email", "value": "secret-lover@example.net", "field": "exif.comment"}],
    )
    with case.session(signer, "mark") as sess:
        item = sess.items[secret]
        rec = item.to_dict()
        rec["rev"], rec["sensitive"] = item.rev + 1, True
        sess.commit("mark", {"item": secret, "sensitive": True}, records=[rec])
    return {"root": root, "case": case, "ids": by_name, "url": url}


def _report(evkit: Any, root: Path, *args: str) -> dict[str, Any]:
    r = evkit("report", "--json", *args, cwd=root)
    assert r.exit_code == 0, r.output
    return dict(json.loads(r.stdout))


def _intact(root: Path) -> None:
    import bagit

    rep = verify_source(FolderSource(root))
    assert rep.intact, [f.message for f in rep.findings]
    bagit.Bag(str(root)).validate()


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


# ---- the report files and the bag --------------------------------------------------------------
def test_report_is_written_into_the_case_as_sealed_tag_files(
    evkit: Any, hostile: dict[str, Any]
) -> None:
    root = hostile["root"]
    seal_before = (root / "evkit/seal.json").read_bytes()
    out = _report(evkit, root)
    names = {f["path"] for f in out["files"]}
    assert names == {
        "evkit/report/index.html",
        "evkit/report/custody-form.pdf",
        "evkit/report/items.csv",
        "evkit/report/case.json",
    }
    import hashlib

    assert out["describes_seal"] == hashlib.sha256(seal_before).hexdigest()
    ev = json.loads((root / "evkit/custody.jsonl").read_text().splitlines()[-1])
    assert ev["action"] == "report" and ev["seq"] == out["event"]
    for f in ev["data"]["files"]:
        assert hashlib.sha256((root / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    tags = (root / "tagmanifest-sha256.txt").read_text()
    for name in names:
        assert name in tags
    _intact(root)


def test_html_is_inert_whatever_the_evidence_says(evkit: Any, hostile: dict[str, Any]) -> None:
    root = hostile["root"]
    _report(evkit, root, "--format", "html")
    page = (root / "evkit/report/index.html").read_text("utf-8")
    assert "<script" not in page.lower()
    assert not re.search(r"<img[^>]*onerror", page, re.IGNORECASE)
    assert not re.search(
        r"<(a|link|iframe|object|embed|base|form|meta\s+http-equiv=.refresh)\b", page, re.IGNORECASE
    )
    assert not re.search(
        r"\b(href|src|action|srcset)\s*=\s*[\"']?\s*(https?:|//|javascript:)", page, re.IGNORECASE
    )
    styles = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    assert len(styles) == 1 and page.lower().count("<style") == 1  # only ours
    assert "url(" not in styles[0] and "@import" not in styles[0]
    assert " style=" not in page  # no inline style attributes at all
    for m in re.finditer(r"<img\b[^>]*>", page):
        assert re.search(r'src="data:image/jpeg;base64,[A-Za-z0-9+/=]+"', m.group(0)), m.group(0)
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;; '
        "img-src data:; style-src &#x27;unsafe-inline&#x27;"
    ) in page
    # the hostile values are there, as text
    assert html.escape(SCRIPT) in page
    assert html.escape(FORMULA_FILE) in page
    assert html.escape(hostile["url"] + "/phish") in page  # a link shown as text
    assert "&lt;U+202E&gt;" in page and "&lt;U+001B&gt;" in page  # disguises made visible
    assert html.escape(HOSTILE_TITLE) in page


def test_defect_9_evkit_own_report_passes_the_active_content_check(
    evkit: Any, hostile: dict[str, Any], tmp_path: Path
) -> None:
    """verify's report check (report.active) accepts what evkit itself writes, whatever the
    evidence says, in the case folder, in a handover zip and through import."""
    from evidence_kit.verify.reportcheck import active_content

    root = hostile["root"]
    _report(evkit, root)
    page = (root / "evkit/report/index.html").read_bytes()
    assert SCRIPT.encode() not in page and active_content(page) == []
    r = evkit("verify", "--json", cwd=root)
    assert r.exit_code == 0, r.output
    checks = {c["name"]: c for c in json.loads(r.stdout)["checks"]}
    assert checks["Report pages"]["ok"], checks
    out = tmp_path / "handover.zip"
    r = evkit("export", "--to", str(out), "--recipient", "DC Test", "--include-sensitive", cwd=root)
    assert r.exit_code == 0, r.output
    assert evkit("verify", str(out)).exit_code == 0
    r = evkit("import", str(out), str(tmp_path / "unpacked"))
    assert r.exit_code == 0, r.output


def test_csv_cells_cannot_run_formulas(evkit: Any, hostile: dict[str, Any]) -> None:
    root = hostile["root"]
    _report(evkit, root, "--format", "csv")
    rows = _csv_rows(root / "evkit/report/items.csv")
    header = rows[0]
    assert header[:6] == ["id", "name", "declared_name", "type", "size_bytes", "sha256"]
    items = rows[1 : rows.index([])]
    assert len(items) == len(Case.open(root).items())
    names = [r[1] for r in items]
    assert "'" + FORMULA_FILE in names
    declared = [r[header.index("declared_name")] for r in items]
    if any(declared):  # the e-mail extractor found the attachment
        assert "'" + FORMULA in declared
    formulas = [c for r in rows for c in r if c.lstrip("'").startswith("=HYPERLINK")]
    assert formulas and all(c.startswith("'=") for c in formulas)
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
    subjects = [r[header.index("subject_or_title")] for r in items]
    assert f"{SCRIPT} {PWN}" in subjects  # CSV is not HTML: text kept as is, never a formula


def test_pdf_has_every_hash_the_seal_and_unicode_names(evkit: Any, hostile: dict[str, Any]) -> None:
    from evidence_kit.report.pdf import find_fonts

    root = hostile["root"]
    out = _report(evkit, root, "--format", "pdf")
    text = _pdf_text(root / "evkit/report/custody-form.pdf")
    flat = _squash(text)
    for item in Case.open(root).items().values():
        assert item.sha256 in flat, item.id
    assert out["describes_seal"] in flat
    case = Case.open(root)
    from evidence_kit.store.signing import fingerprint

    assert _squash(fingerprint(case.key_id)) in flat
    assert "Transferofcustody" in flat and "Releasedby" in flat and "Receivedby" in flat
    assert "donotprovethatthecontent" in flat
    if find_fonts().unicode:
        assert _squash(UNICODE_NAME) in flat
    else:
        assert "<U+041A>" in text


def test_sensitive_items_show_no_name_preview_or_content(
    evkit: Any, hostile: dict[str, Any]
) -> None:
    root = hostile["root"]
    secret = hostile["ids"]["private-selfie.png"]
    photo = hostile["ids"]["photo.png"]
    _report(evkit, root)
    page = (root / "evkit/report/index.html").read_text("utf-8")
    blob = (root / "evkit/report/case.json").read_text("utf-8")
    table = (root / "evkit/report/items.csv").read_text("utf-8-sig")
    pdf = _pdf_text(root / "evkit/report/custody-form.pdf")
    for text in (page, blob, table, pdf):
        assert "private-selfie" not in text
        assert "TOP-SECRET-CAPTION" not in text
        assert "secret-lover@example.net" not in text
    item = Case.open(root).item(secret)
    assert item.sha256 in page and item.sha256 in table and item.sha256 in blob
    assert f'alt="preview of {secret}"' not in page
    from evidence_kit.extractors import image

    if hasattr(image, "make_thumbnail"):
        assert f'alt="preview of {photo}"' in page
    snap = json.loads(blob)
    shown = next(i for i in snap["items"] if i["id"] == secret)
    assert shown["withheld"] and shown["name"] is None and shown["extraction"] is None
    # Since issue 12 (defect 7) the signed events never carry a sensitive file's name or path
    # (only salted record hashes), so there is nothing left for the report to redact.
    custody_text = json.dumps(snap["custody"])
    assert "private-selfie" not in custody_text
    assert not any(e.get("redacted") for e in snap["custody"])
    assert snap["counts"]["withheld_identifiers"] == 1


def test_honest_statement_in_every_format(evkit: Any, hostile: dict[str, Any]) -> None:
    root = hostile["root"]
    _report(evkit, root)
    phrase = "do not prove that the content of the files is authentic"
    assert phrase in (root / "evkit/report/index.html").read_text()
    assert phrase in (root / "evkit/report/case.json").read_text()
    assert phrase in (root / "evkit/report/items.csv").read_text("utf-8-sig")
    assert _squash(phrase) in _squash(_pdf_text(root / "evkit/report/custody-form.pdf"))
    page = (root / "evkit/report/index.html").read_text()
    assert "self-asserted" in page and "No RFC 3161 trusted timestamp" in page


# ---- the report follows the case ---------------------------------------------------------------
def test_report_reflects_the_case_and_regenerates(
    evkit: Any, tmp_path: Path, evidence: Path
) -> None:
    root = tmp_path / "case"
    assert (
        evkit(
            "init",
            str(root),
            "--title",
            "Romance scam",
            "--collector",
            "Jane Doe",
            "--timezone",
            "Europe/London",
        ).exit_code
        == 0
    )
    assert evkit("add", str(evidence), cwd=root).exit_code == 0
    steps = [
        ("note", "Mark phoned pretending to be from the bank", "--at", "2026-11-20 14:05"),
        ("suspect", "add", "--name", "Mark Williams", "--email", "mark@example.net"),
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
            "12-34-56 87654321",
        ),
        ("loss", "add", "--amount", "100", "--currency", "GBP"),
        ("ref", "add", "--agency", "Action Fraud", "--number", "NFRC261100123"),
    ]
    for step in steps:
        r = evkit(*step, cwd=root)
        assert r.exit_code == 0, r.output
    first = _report(evkit, root)
    page = (root / "evkit/report/index.html").read_text()
    snap = json.loads((root / "evkit/report/case.json").read_text())
    for text in (
        "Mark phoned pretending to be from the bank",
        "Mark Williams",
        "mark@example.net",
        "12-34-56 87654321",
        "NFRC261100123",
        "350.00",
        "chat export.txt",
    ):
        assert html.escape(text) in page, text
    assert snap["losses"]["totals"] == {"GBP": "350.00"}
    assert [s["details"]["name"] for s in snap["suspects"]] == ["Mark Williams"]
    assert snap["references"][0]["number"] == "NFRC261100123"
    assert len(snap["items"]) == 3 and len(snap["custody"]) == first["event"] - 1
    assert any(t["what"].startswith("Note: Mark phoned") for t in snap["timeline"])
    _intact(root)

    new = tmp_path / "later.txt"
    new.write_text("a later message")
    assert evkit("add", str(new), cwd=root).exit_code == 0
    second = _report(evkit, root)
    assert second["describes_seal"] != first["describes_seal"]
    snap = json.loads((root / "evkit/report/case.json").read_text())
    assert [i["name"] for i in snap["items"]][-1] == "later.txt"
    assert any(e["action"] == "report" for e in snap["custody"])  # the first report is logged
    assert "later.txt" in (root / "evkit/report/index.html").read_text()
    assert "later.txt" in (root / "evkit/report/items.csv").read_text("utf-8-sig")
    later = Case.open(root).items()["E0004"]
    assert later.sha256 in _squash(_pdf_text(root / "evkit/report/custody-form.pdf"))
    _intact(root)


def test_format_option(evkit: Any, tmp_path: Path) -> None:
    root = tmp_path / "case"
    evkit("init", str(root), "--title", "t", "--collector", "c")
    out = _report(evkit, root, "--format", "csv, JSON")
    assert [f["format"] for f in out["files"]] == ["csv", "json"]
    assert not (root / "evkit/report/index.html").exists()
    r = evkit("report", "--format", "docx", cwd=root)
    assert r.exit_code == 2 and "Unknown report format 'docx'" in r.stderr
    _intact(root)


def test_trusted_timestamps_are_listed(signer: Signer, tmp_path: Path) -> None:
    from evidence_kit.report.html import HtmlRenderer
    from evidence_kit.report.interface import ReportInput
    from evidence_kit.report.model import build_snapshot

    case = create_case(
        tmp_path / "c",
        {"title": "t", "collector": {"name": "c"}, "timezone": "Europe/London", "references": []},
        signer,
    )
    with case.session(signer, "test") as sess:
        sess.log(
            "timestamp",
            {
                "id": "T0001",
                "tsa": "Example TSA",
                "serial": "42",
                "gen_time": "2026-11-21T10:00:00Z",
                "covers": {"seal_sha256": "sha256:" + "ab" * 32, "events": 1},
                "files": {"token": "evkit/timestamps/T0001.tsr"},
                "signature": "verified",
            },
        )
    snap = build_snapshot(case, (case.root / "evkit/seal.json").read_bytes())
    ts = snap["timestamps"]["events"][0]
    assert ts["authority"] == "Example TSA" and ts["time"] == "2026-11-21T10:00:00Z"
    assert ts["verified"] is True and ts["token"] == "evkit/timestamps/T0001.tsr"
    trusted = [t for t in snap["timeline"] if t["trust"] == "trusted"]
    assert trusted and trusted[0]["at"] == "2026-11-21T10:00:00Z"
    page = HtmlRenderer().render(ReportInput(snap)).decode()
    assert "Example TSA" in page and "T0001.tsr" in page


# ---- CSV neutralisation properties -------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text(max_size=40), min_size=1, max_size=5), min_size=1, max_size=5))
def test_no_csv_cell_starts_with_a_formula_character(rows: list[list[str]]) -> None:
    data = render_rows(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert len(parsed) == len(rows)
    for original, row in zip(rows, parsed, strict=True):
        assert len(row) == len(original)
        for before, cell in zip(original, row, strict=True):
            assert not cell.startswith(FORMULA_START)
            assert cell == before or cell == "'" + before  # nothing else is changed


@given(st.text(max_size=30), st.sampled_from(list(FORMULA_START) + [" =", "  +"]))
def test_neutralise_formula_prefixes(rest: str, prefix: str) -> None:
    assert neutralise(prefix + rest) == "'" + prefix + rest
    assert not neutralise(prefix + rest).startswith(FORMULA_START)


# Leading characters a spreadsheet may skip or drop before it looks for a formula, listed here
# independently of the guard: every Unicode white space, control and format character (zero-width
# space, bidi marks, BOM...) and the other default-ignorable or blank ones.
_SKIPPABLE = (
    "\u00a0\u3000\u2007\u202f\u2028\u2029\u0085\u000b\u000c\t\n\r\u200b\u200c"
    "\u200d\u200e\u200f\u202a\u202e\u2066\u2069\u2060\ufeff\u00ad\u180e\u034f"
    "\u3164\u115f\uffa0\ufe0f\u2800\U000e0001\U000e0100 "
)


def _visible_start(text: str) -> str:
    """``text`` without its leading invisible characters (test's own definition)."""
    i = 0
    while i < len(text) and (
        text[i].isspace()
        or text[i] in _SKIPPABLE
        or unicodedata.category(text[i]) in ("Cc", "Cf", "Zs", "Zl", "Zp")
    ):
        i += 1
    return text[i:]


def _is_formula_start(text: str) -> bool:
    first = text[:1]
    return bool(first) and (
        unicodedata.normalize("NFKC", first) in ("=", "+", "-", "@") or first == "\u2212"
    )


@pytest.mark.parametrize(
    "lead",
    [
        "\u00a0",
        "\u3000",
        "\t",
        "\n",
        "\r\n",
        " \u00a0 ",
        "\u2028",
        "\u200b",
        "\u202e",
        "\ufeff",
        "\u2060",
        "\u00a0\u200d\u3000",
    ],
)
@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\uff1d", "\ufe66", "\u2212"])
def test_defect_10_formula_after_unicode_whitespace_is_neutralised(lead: str, trigger: str) -> None:
    value = lead + trigger + 'HYPERLINK("http://evil.example","x")'
    assert neutralise(value) == "'" + value
    data = render_rows([[value]])
    cell = next(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))[0]
    assert cell == "'" + value


_HOSTILE_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(_SKIPPABLE + "=+-@\uff1d\u2212'a1 "), st.characters()),
    max_size=12,
)


@settings(max_examples=500, deadline=None)
@given(_HOSTILE_TEXT)
def test_defect_10_guarded_cell_never_starts_with_a_formula(value: str) -> None:
    guarded = neutralise(value)
    assert guarded in (value, "'" + value)  # nothing else is changed
    if not guarded.startswith("'"):
        assert not _is_formula_start(_visible_start(guarded)), repr(value)
        assert not guarded.startswith(FORMULA_START)


# ---- a real browser ----------------------------------------------------------------------------
def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium not installed (.ci/run installs it)"
)
def test_chromium_renders_the_report_without_running_or_fetching_anything(
    evkit: Any, hostile: dict[str, Any], beacon: tuple[str, list[str]], tmp_path: Path
) -> None:
    root = hostile["root"]
    _report(evkit, root, "--format", "html")
    page = root / "evkit/report/index.html"
    shot = tmp_path / "out.png"
    r = _chromium(
        tmp_path / "profile1", f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri()
    )
    assert shot.is_file(), r.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == (1200, 2000)
        colors = im.convert("L").getcolors(maxcolors=1 << 16)
        assert colors is None or len(colors) > 8  # not a blank page
    dom = _chromium(
        tmp_path / "profile2", "--dump-dom", "--virtual-time-budget=3000", page.as_uri()
    )
    assert "<body" in dom.stdout, dom.stderr[-2000:]
    titles = re.findall(r"<title>(.*?)</title>", dom.stdout, re.DOTALL)
    assert [html.unescape(t) for t in titles] == [f"Chain of custody: {HOSTILE_TITLE}"]
    assert "pwned" not in html.unescape(titles[0]).replace(HOSTILE_TITLE, "")
    assert "<script" not in dom.stdout.lower()
    hits = beacon[1]
    assert hits == [], f"the report made network requests: {hits}"


# ---- HTML escaping property ----------------------------------------------------------------------
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_OUR_TAGS = re.compile(r'</?(dl|dt|dd|ol|li|div|span)( class="(kv|list|pre|muted|ctl)")?>')


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_any_metadata_renders_as_text_only(value: Any) -> None:
    from evidence_kit.report.html import render_value

    out = render_value(value)
    assert "<" not in _OUR_TAGS.sub("", out)  # every '<' left is one of our own tags
    assert '"' not in _OUR_TAGS.sub("", out)  # no attribute can be opened by the data
