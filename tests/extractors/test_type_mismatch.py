"""A file whose content disagrees with its name is flagged (invoice.pdf.exe, a PNG named .jpg)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence_kit.extractors import ExtractContext, extract, type_mismatch


@pytest.mark.parametrize(
    ("mime", "name", "flagged"),
    [
        ("image/png", "holiday.jpg", True),
        ("application/x-dosexec", "invoice.pdf.exe", True),
        ("application/x-dosexec", "invoice.pdf", True),
        ("application/pdf", "invoice.pdf", False),
        ("image/jpeg", "photo.JPG", False),
        ("text/plain", "chat.txt", False),
        ("text/csv", "statement.csv", False),
        ("message/rfc822", "scam.eml", False),
        ("application/octet-stream", "data.bin", False),
        ("image/png", "no-extension", False),
    ],
)
def test_type_mismatch_table(mime: str, name: str, flagged: bool) -> None:
    assert (type_mismatch(mime, name) is not None) == flagged


def test_mismatch_is_recorded_in_the_extraction(tmp_path: Path) -> None:
    png = tmp_path / "x"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    ex = extract(
        png, "image/png", ExtractContext(scratch_dir=tmp_path / "s", original_name="receipt.jpg")
    )
    assert ex.metadata["type_mismatch"]["extension"] == ".jpg"
    assert "image/png" in ex.metadata["type_mismatch"]["reason"]
