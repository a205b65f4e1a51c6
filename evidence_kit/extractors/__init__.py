"""File-type extractors behind one interface, chosen by declared type, name and first bytes.

The registry (:mod:`evidence_kit.extractors.registry`) is built once, explicitly, from one entry
per extractor, and never changes at run time. :func:`extract` runs the first extractor that
accepts the file and always returns an :class:`Extraction`: an extractor that raises is
recorded, not propagated, because the files we read were written by criminals and a parser bug
must never stop evidence from being preserved.
"""

from __future__ import annotations

import functools
import mimetypes
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from evidence_kit.extractors.interface import (
    SNIFF_BYTES,
    Accepts,
    Child,
    ExtractContext,
    Extraction,
    Extractor,
    Identifier,
    TimeFact,
    normalize_mime,
)
from evidence_kit.extractors.registry import REGISTRY, Registered

__all__ = [
    "REGISTRY",
    "Accepts",
    "Child",
    "ExtractContext",
    "Extraction",
    "Extractor",
    "Identifier",
    "Registered",
    "TimeFact",
    "choose",
    "extract",
    "thumbnail",
    "type_mismatch",
]


def choose(
    mime: str,
    suffix: str,
    head: Callable[[], bytes] = lambda: b"",
    entries: Sequence[Registered] = REGISTRY,
) -> Registered | None:
    """The first entry whose declaration accepts this file, or None.

    ``head`` gives the file's first bytes; it is called at most once, and only if an entry that
    did not match by type and name declares a ``sniff`` function.
    """
    by_type, sniffers = _by_type(mime, suffix, tuple(entries))
    if sniffers:
        first = head()[:SNIFF_BYTES]
        for entry in sniffers:
            if entry.accepting.sniff is not None and entry.accepting.sniff(first):
                return entry
    return by_type


@functools.lru_cache(maxsize=512)
def _by_type(
    mime: str, suffix: str, entries: tuple[Registered, ...]
) -> tuple[Registered | None, tuple[Registered, ...]]:
    """The first entry accepting this type and name, and the entries before it that sniff
    (tried first, in order): worked out once per type and name, not once per file."""
    sniffers: list[Registered] = []
    for entry in entries:
        if entry.accepting.by_type(mime, suffix):
            return entry, tuple(sniffers)
        if entry.accepting.sniff is not None:
            sniffers.append(entry)
    return None, tuple(sniffers)


def _load(entry: Registered) -> Extractor | None:
    """The entry's extractor, or None if its module is not part of this build.

    A module that exists but fails to import because *its* dependency is missing is a packaging
    bug, so that error propagates.
    """
    try:
        return entry.load()
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.startswith("evidence_kit.extractors."):
            return None
        raise


def thumbnail(path: Path, max_px: int = 320) -> bytes | None:
    """A JPEG preview of an image, from the first extractor in this build that makes previews.

    None if no extractor makes previews or this file gets none (damaged, too large, not an
    image); the caller decides which files deserve one.
    """
    for entry in REGISTRY:
        if entry.thumbnail is None:
            continue
        try:
            return entry.thumbnail(path, max_px)
        except ModuleNotFoundError as exc:
            if exc.name is None or not exc.name.startswith("evidence_kit.extractors."):
                raise
    return None


def _head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


# Extensions that libmagic types differently from mimetypes but that are not a mismatch.
_EQUIVALENT = {
    "text/plain": {".txt", ".csv", ".eml", ".log", ".json", ".md", ".ofx", ".qfx", ".qbo", ".sta"},
    "text/csv": {".csv", ".txt"},
    "message/rfc822": {".eml", ".msg", ".txt", ".mht", ".mhtml"},
    "application/octet-stream": set(),
}

# Content types whose disagreement with the extension is worth flagging to police.
_FLAG_FAMILIES = (
    "image/",
    "application/pdf",
    "application/x-dosexec",
    "application/zip",
    "application/x-executable",
    "application/vnd.microsoft.portable-executable",
    "application/x-msdownload",
    "text/html",
    "application/x-sharedlib",
)


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
        mime.startswith(f) or expected.startswith(f) for f in _FLAG_FAMILIES
    )
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
    suffix = os.path.splitext(ctx.original_name)[1].lower()
    chosen: Extractor | None = None
    remaining: Sequence[Registered] = REGISTRY
    while chosen is None:
        entry = choose(mime, suffix, lambda: _head(path), remaining)
        if entry is None:
            break
        chosen = _load(entry)
        remaining = remaining[remaining.index(entry) + 1 :]
    if chosen is None:
        result = Extraction(extractor="none")
    else:
        try:
            result = chosen.extract(path, ctx)
        except MemoryError:
            result = Extraction(
                extractor=chosen.name, errors=["the file needed too much memory to read"]
            )
        # Hostile input: any parser failure is recorded as a finding about the file, by design.
        except Exception as exc:
            result = Extraction(
                extractor=chosen.name,
                errors=[f"could not be read as {chosen.name}: {type(exc).__name__}: {exc}"[:500]],
            )
    if (
        not result.identifiers
        and result.extractor in ("none", "statement")
        and normalize_mime(mime).startswith("text/")
    ):
        # A note or a pasted conversation that no extractor reads as such: its identifiers
        # (phone numbers, IBANs, wallets, addresses) still point at the line they are on.
        from evidence_kit.extractors.textids import text_file_identifiers

        try:
            found, finder = text_file_identifiers(_head(path, 2 * 1024 * 1024), ctx.jurisdiction)
            result.identifiers = found
            if any(i.kind == "phone" for i in found) or finder.region is None:
                result.metadata["phone_region"] = finder.describe()
        except OSError as exc:
            result.errors.append(f"the text could not be read for identifiers: {exc}"[:500])
    mismatch = type_mismatch(mime, ctx.original_name)
    if mismatch is not None:
        result.metadata["type_mismatch"] = mismatch
    return result
