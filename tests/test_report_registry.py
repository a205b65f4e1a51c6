"""Report formats come from one typed registry; previews come through the extractors' registry."""

from __future__ import annotations

from pathlib import Path

from evidence_kit.extractors import thumbnail
from evidence_kit.report import FORMATS, RENDERERS, parse_formats, renderer

ROOT = Path(__file__).resolve().parents[1]


def test_formats_in_default_order_and_named_by_their_renderers() -> None:
    assert FORMATS == ("html", "pdf", "csv", "json")
    assert parse_formats(None) == list(FORMATS)
    for name in FORMATS:
        r = renderer(name)
        assert r is RENDERERS[name]
        assert r.name == name and r.filename and r.media_type


def test_report_package_never_imports_an_extractor_module() -> None:
    for path in (ROOT / "evidence_kit" / "report").glob("*.py"):
        text = path.read_text("utf-8")
        assert "extractors.image" not in text, path
        assert "importlib" not in text, path


def test_thumbnail_through_the_registry() -> None:
    thumb = thumbnail(ROOT / "samples" / "photo-of-receipt.jpg", 64)
    assert thumb is not None and thumb.startswith(b"\xff\xd8")
    assert thumbnail(ROOT / "samples" / "statement.csv") is None
