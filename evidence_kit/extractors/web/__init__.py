"""Saved web pages as evidence: MHTML, SingleFile and browser-saved HTML, WARC/ARC and WACZ.

A victim saves a scam shop, a fake bank login or a harasser's profile before it disappears.
This extractor records what such a capture says about itself: the page's address (URL), its
title, the capture time **as the file claims it** (the saving computer's clock, or the archiving
tool's; not evkit's acquisition time, which the item record keeps separately), the page's text
(bounded) for search and identifiers, its links out, and forms that ask for a password or card
details (a fact about the page, not a verdict). Archives (WARC, WACZ) also get their recorded
digests re-checked.

Rules, because the bytes may be hostile:

* nothing in a capture is executed, fetched or rendered: HTML is tokenised with
  :mod:`html.parser`, and everything read is stored as text;
* never crash: a damaged capture is still preserved, and ``errors`` says what could not be read;
* bounded work: text, pages, links, records and identifiers are capped, and the record says so.

Modules: ``common`` (limits, times), ``html`` (one page), ``pages`` (the record's page list),
``mhtml``, ``warc`` (WARC and ARC, with warcio, imported only here) and ``wacz``.
"""

from __future__ import annotations

from pathlib import Path

from evidence_kit.extractors.interface import ExtractContext, Extraction
from evidence_kit.extractors.web.common import CLAIMED_NOTE, err, make_json_safe

__all__ = ["EXTRACTOR", "WebExtractor", "capture_format"]

_MIME_HEADS = (b"from:", b"content-type:", b"mime-version:", b"subject:", b"date:", b"snapshot-")


def capture_format(head: bytes, name: str) -> str:
    """Which reader a capture needs, from its first bytes and (last) its name."""
    lower = name.lower()
    if head.startswith(b"PK\x03\x04"):
        return "wacz"
    if head.startswith(b"\x1f\x8b") or head.startswith((b"WARC/", b"filedesc:")):
        return "warc"
    start = head.lstrip()[:200].lower()
    if b"snapshot-content-location:" in head[:4096].lower() or (
        start.startswith(_MIME_HEADS) and lower.endswith((".mht", ".mhtml"))
    ):
        return "mhtml"
    if lower.endswith((".mht", ".mhtml")) and b"<" not in start[:1]:
        return "mhtml"
    return "html"


class WebExtractor:
    """Reads saved web pages and web archives."""

    name = "web"

    def extract(self, path: Path, ctx: ExtractContext) -> Extraction:
        """Read the capture; never raises for bad content (errors are recorded instead)."""
        result = Extraction(extractor=self.name)
        result.metadata["times_note"] = CLAIMED_NOTE
        try:
            with path.open("rb") as fh:
                head = fh.read(4096)
            kind = capture_format(head, ctx.original_name)
            if kind == "mhtml":
                from evidence_kit.extractors.web.mhtml import extract_mhtml

                extract_mhtml(path, ctx, result)
            elif kind == "warc":
                from evidence_kit.extractors.web.warc import extract_warc

                extract_warc(path, ctx, result)
            elif kind == "wacz":
                from evidence_kit.extractors.web.wacz import extract_wacz

                extract_wacz(path, ctx, result)
            else:
                from evidence_kit.extractors.web.saved import extract_html

                extract_html(path, ctx, result)
        except MemoryError:
            raise
        except RecursionError:
            result.errors.append(
                "the capture is nested too deeply to read completely; it is kept in this "
                "file exactly as saved"
            )
        # Hostile input: whatever went wrong is a finding about the file, not a crash.
        except Exception as exc:
            result.errors.append(err("could not be read completely as a saved web page", exc))
        make_json_safe(result)
        return result


#: The extractor this module provides, for the registry.
EXTRACTOR = WebExtractor()
