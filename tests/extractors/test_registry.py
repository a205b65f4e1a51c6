"""The explicit registry chooses exactly the extractor the old module-name dispatch chose."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evidence_kit.extractors import (
    REGISTRY,
    Accepts,
    ExtractContext,
    Extraction,
    Registered,
    choose,
)
from evidence_kit.extractors.interface import SNIFF_BYTES
from evidence_kit.ingest.add import sniff_mime

from .dispatch_before import MIMES, SUFFIXES, chosen_before

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"


_WEB_NAMED = {
    ".mhtml": ("message/rfc822", "", "application/octet-stream", "inode/x-empty"),
    ".mht": ("message/rfc822", "", "application/octet-stream", "inode/x-empty"),
    ".wacz": ("application/zip", "application/octet-stream"),
    ".warc": ("application/gzip", "application/x-gzip", "application/octet-stream"),
    ".arc": ("application/gzip", "application/x-gzip", "application/octet-stream"),
}


def _web_expected(mime: str, suffix: str) -> bool:
    """Saved web pages (issue 15), chosen before the old rules: WARC/ARC types, and
    MHTML/WACZ/WARC names under the generic types libmagic gives them (HTML is chosen by its
    first bytes, which this table does not see)."""
    if mime in ("application/xhtml+xml", "application/warc", "application/x-ia-arc"):
        return True
    if suffix in (".mhtml", ".mht", ".warc", ".arc") and mime.startswith("text/"):
        return True
    return mime in _WEB_NAMED.get(suffix, ())


def _before(mime: str, suffix: str) -> str:
    return "web" if _web_expected(mime, suffix) else chosen_before(mime, suffix)


def _chosen(mime: str, suffix: str) -> str:
    entry = choose(mime, suffix)
    return "none" if entry is None else entry.name


#: Names the chat extractor (issue 14) takes that nothing read before: a mailbox by its name,
#: so that a damaged one is recorded as such. Everything else it takes by content (sniff).
_CHAT_NAMES = (".mbox", ".mbx")


def _expected(mime: str, suffix: str) -> str:
    before = _before(mime, suffix)
    if (
        before == "none"
        and suffix in _CHAT_NAMES
        and (mime.startswith("text/") or mime == "application/octet-stream")
    ):
        return "chat"
    return before


def test_same_choice_as_before_for_every_type_and_name() -> None:
    for mime, suffix in itertools.product(MIMES, SUFFIXES):
        assert _chosen(mime, suffix) == _expected(mime, suffix), (mime, suffix)


def _files() -> list[Path]:
    files = sorted(p for p in (ROOT / "samples").rglob("*") if p.is_file())
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("*") if p.is_file())
    return files


def test_same_choice_as_before_for_every_sample_and_corpus_file() -> None:
    files = _files()
    assert len(files) > 3
    for path in files:
        with path.open("rb") as fh:
            mime = sniff_mime(fh.read(8192))
        suffix = path.suffix.lower()
        assert _chosen(mime, suffix) == _expected(mime, suffix), (path, mime)


def test_entries_name_their_extractor_and_declare_unique_names() -> None:
    names = [e.name for e in REGISTRY]
    assert names == ["web", "email", "image", "chat", "statement", "pdf"]
    for entry in REGISTRY:
        assert entry.load().name == entry.name
        assert callable(entry.load().extract)


def test_unidentified_binaries_choose_nothing() -> None:
    assert choose("application/octet-stream", ".bin") is None
    assert choose("", "") is None


def test_a_sniff_declaration_reads_only_the_first_bytes(tmp_path: Path) -> None:
    class Magic:
        name = "magic"

        def extract(self, path: Path, ctx: ExtractContext) -> Extraction:
            return Extraction(extractor=self.name)

    seen: list[int] = []

    def sniff(head: bytes) -> bool:
        seen.append(len(head))
        return head.startswith(b"MAGIC")

    entry = Registered("magic", Accepts(sniff=sniff), Magic)
    assert (
        choose("application/octet-stream", ".bin", lambda: b"MAGIC" + b"x" * 9999, (entry,))
        is entry
    )
    assert seen == [SNIFF_BYTES]
    assert choose("application/octet-stream", ".bin", lambda: b"other", (entry,)) is None
    called: list[int] = []
    by_type = Registered("typed", Accepts(mime_types=frozenset({"x/y"})), Magic)
    assert choose("x/y", "", lambda: called.append(1) or b"", (by_type,)) is by_type
    assert called == []


def test_extract_imports_only_the_chosen_extractor(tmp_path: Path) -> None:
    p = tmp_path / "a.eml"
    p.write_bytes(b"From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from evidence_kit.extractors import ExtractContext, extract\n"
        f"p = Path({str(p)!r})\n"
        "r = extract(p, 'message/rfc822', ExtractContext(p.parent / 's', 'a.eml'))\n"
        "assert r.extractor == 'email', r\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('evidence_kit.extractors.'))\n"
        "heavy = [m for m in ('PIL', 'pypdf', 'exifread', 'charset_normalizer') "
        "if m in sys.modules]\n"
        "print(loaded, heavy)\n"
        "assert not any(m.split('.')[2] in ('image', 'pdf', 'statement') for m in loaded)\n"
        "assert not heavy\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda e: e.name)
def test_declarations_lower_case_their_keys(entry: Registered) -> None:
    for key in entry.accepting.extensions:
        assert key == key.lower() and (key == "" or key.startswith("."))
