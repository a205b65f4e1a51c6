"""The registry's cheap pre-filter never hides a file from an extractor that would read it."""

from __future__ import annotations

import itertools

from evidence_kit.extractors import _MODULES, _load, might_accept
from evidence_kit.extractors import image as image_mod
from evidence_kit.extractors import statement as statement_mod

MIMES = sorted(
    set(image_mod._MIMES) | set(statement_mod._TEXT_MIMES) | set(statement_mod._OFX_MIMES)
    | set(statement_mod._XML_MIMES)
    | {"application/pdf", "application/x-pdf", "message/rfc822", "message/global",
       "application/vnd.ms-outlook", "application/cdfv2", "application/x-ole-storage",
       "application/vnd.ms-office", "application/cdfv2-corrupt", "text/html", "inode/x-empty",
       "", "application/zip", "video/mp4", "application/octet-stream", "text/x-c"})
SUFFIXES = sorted(
    set(image_mod._SUFFIXES) | set(statement_mod._STATEMENT_SUFFIXES)
    | set(statement_mod._TABLE_SUFFIXES)
    | {"", ".pdf", ".eml", ".msg", ".xml", ".camt", ".bin", ".exe", ".docx", ".zip", ".txt"})


def test_prefilter_is_a_superset_of_every_extractor() -> None:
    for name in _MODULES:
        for ex in _load(name):
            for mime, suffix in itertools.product(MIMES, SUFFIXES):
                if ex.accepts(mime, suffix):
                    assert might_accept(name, mime, suffix), (name, mime, suffix)


def test_prefilter_skips_unidentified_binaries() -> None:
    assert not any(might_accept(n, "application/octet-stream", ".bin") for n in _MODULES)
