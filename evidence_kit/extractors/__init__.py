"""File-type extractors behind one interface, chosen by libmagic type.

The registry is built once, explicitly, from a fixed list of modules (each exposes ``EXTRACTORS``),
and never changes at run time. :func:`extract` runs the first extractor that accepts the file and
always returns an :class:`Extraction`: an extractor that raises is recorded, not propagated,
because the files we read were written by criminals and a parser bug must never stop evidence
from being preserved.
"""

from __future__ import annotations

import mimetypes
from functools import cache
from pathlib import Path

from evidence_kit.extractors.interface import (
    Child,
    ExtractContext,
    Extraction,
    Extractor,
    Identifier,
    TimeFact,
)
from evidence_kit.util import optional_module

__all__ = [
    "Child",
    "ExtractContext",
    "Extraction",
    "Extractor",
    "Identifier",
    "TimeFact",
    "extract",
    "registry",
    "type_mismatch",
]

# Order matters: the first extractor that accepts a file reads it.
_MODULES = (
    "evidence_kit.extractors.email",
    "evidence_kit.extractors.image",
    "evidence_kit.extractors.statement",
    "evidence_kit.extractors.pdf",
)

_OCTET = "application/octet-stream"
# Names under which unidentified content is still worth a parser (a superset of the modules').
_NAMED_SUFFIXES = frozenset({
    ".eml", ".msg", ".mht", ".mhtml", ".pdf", ".csv", ".tsv", ".tab", ".txt", ".ofx", ".qfx",
    ".qbo", ".sta", ".mt940", ".940", ".xml", ".camt", ".heic", ".heif", ".hif", ".avif", ".jpg",
    ".jpeg", ".jpe", ".png", ".gif", ".webp", ".tif", ".tiff", ".bmp",
})


def might_accept(module: str, mime: str, suffix: str) -> bool:
    """A cheap superset of each module's ``accepts``, so that parsers (Pillow, pypdf, ...) are
    imported only for files they might read. A test checks the superset property."""
    m = mime.split(";", 1)[0].strip().lower()
    if m in ("", _OCTET, "inode/x-empty") and suffix not in _NAMED_SUFFIXES:
        return False
    if module.endswith(".email"):
        return m.startswith(("message/", "text/")) or "outlook" in m or suffix in (".eml", ".msg")
    if module.endswith(".image"):
        return m.startswith("image/") or m == _OCTET
    if module.endswith(".statement"):
        return (m.startswith("text/") or "xml" in m or "ofx" in m or "qfx" in m or "qbo" in m
                or "csv" in m or m == _OCTET)
    if module.endswith(".pdf"):
        return "pdf" in m or (m == _OCTET and suffix == ".pdf")
    return True


@cache
def _load(name: str) -> tuple[Extractor, ...]:
    module = optional_module(name)
    return tuple(module.EXTRACTORS) if module is not None else ()


def registry() -> tuple[Extractor, ...]:
    """All extractors (importing every parser: use :func:`extract` to import only what's used)."""
    return tuple(ex for name in _MODULES for ex in _load(name))


# Extensions that libmagic types differently from mimetypes but that are not a mismatch.
_EQUIVALENT = {
    "text/plain": {".txt", ".csv", ".eml", ".log", ".json", ".md", ".ofx", ".qfx", ".qbo", ".sta"},
    "text/csv": {".csv", ".txt"},
    "message/rfc822": {".eml", ".msg", ".txt", ".mht", ".mhtml"},
    "application/octet-stream": set(),
}

# Content types whose disagreement with the extension is worth flagging to police.
_FLAG_FAMILIES = ("image/", "application/pdf", "application/x-dosexec", "application/zip",
                  "application/x-executable", "application/vnd.microsoft.portable-executable",
                  "application/x-msdownload", "text/html", "application/x-sharedlib")


def type_mismatch(mime: str, original_name: str) -> dict[str, str] | None:
    """Describe a disagreement between content type and file name, or return None.

    Flags ``invoice.pdf.exe`` (executable content), a PNG named ``.jpg`` and similar. Text-like
    types are not flagged against text-like extensions, and files without an extension are not
    flagged at all.
    """
    suffixes = [s.lower() for s in Path(original_name).suffixes if 1 < len(s) <= 6]
    if not suffixes or mime in ("", "application/octet-stream", "inode/x-empty"):
        return None
    last = suffixes[-1]
    if last in _EQUIVALENT.get(mime, set()):
        return None
    expected, _ = mimetypes.guess_type("x" + last, strict=False)
    if expected == mime:
        return None
    executable = mime in (
        "application/x-dosexec",
        "application/x-executable",
        "application/vnd.microsoft.portable-executable",
        "application/x-msdownload",
        "application/x-sharedlib",
        "application/x-pie-executable",
    )
    if len(suffixes) >= 2 and last in (".exe", ".scr", ".bat", ".cmd", ".js", ".vbs", ".com"):
        return {
            "content_type": mime,
            "extension": last,
            "reason": f"double extension {''.join(suffixes[-2:])}: looks like a "
            f"{suffixes[-2]} file but ends in {last}",
        }
    if expected is None and not executable:
        return None
    flagged_family = expected is not None and any(
        mime.startswith(f) or expected.startswith(f) for f in _FLAG_FAMILIES)
    if executable or flagged_family:
        return {
            "content_type": mime,
            "extension": last,
            "reason": f"the name ends in {last} (usually {expected or 'unknown'}) "
            f"but the content is {mime}",
        }
    return None


def extract(path: Path, mime: str, ctx: ExtractContext) -> Extraction:
    """Run the extractor for this type; never raises for bad file content."""
    suffix = Path(ctx.original_name).suffix.lower()
    chosen: Extractor | None = None
    for name in _MODULES:
        if not might_accept(name, mime, suffix):
            continue
        chosen = next((ex for ex in _load(name) if ex.accepts(mime, suffix)), None)
        if chosen is not None:
            break
    if chosen is None:
        result = Extraction(extractor="none")
    else:
        try:
            result = chosen.extract(path, ctx)
        except MemoryError:
            result = Extraction(extractor=chosen.name,
                                errors=["the file needed too much memory to read"])
        # Hostile input: any parser failure is recorded as a finding about the file, by design.
        except Exception as exc:  # noqa: BLE001
            result = Extraction(
                extractor=chosen.name,
                errors=[f"could not be read as {chosen.name}: {type(exc).__name__}: {exc}"[:500]],
            )
    mismatch = type_mismatch(mime, ctx.original_name)
    if mismatch is not None:
        result.metadata["type_mismatch"] = mismatch
    return result
