"""A page saved as one HTML file: SingleFile, a browser's "Save page as", or plain HTML.

SingleFile writes a leading comment ``Page saved with SingleFile / url: ... / saved date: ...``;
Chrome and Internet Explorer write the "mark of the web" ``<!-- saved from url=(0058)... -->``.
Both are claims of the saving tool, recorded as such. A plain HTML file has neither: its
address is only what the page itself says (``<link rel=canonical>``), if anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

from evidence_kit.extractors.interface import ExtractContext, Extraction
from evidence_kit.extractors.web.common import HTML_INPUT_CAP
from evidence_kit.extractors.web.html import decode_html, read_page
from evidence_kit.extractors.web.pages import Pages


def extract_html(path: Path, ctx: ExtractContext, result: Extraction) -> None:
    """Read one saved HTML page into ``result``."""
    with path.open("rb") as fh:
        data = fh.read(HTML_INPUT_CAP + 1)
    cut = len(data) > HTML_INPUT_CAP
    html, charset = decode_html(data[:HTML_INPUT_CAP])
    # The saving tool's comment comes first; read it before deciding how to describe the page.
    head = read_page(html[:20000])
    md = result.metadata
    md["charset"] = charset
    url: str | None = None
    url_source: str | None = None
    claimed: str | None = None
    claimed_source: str | None = None
    if head.singlefile:
        md["format"] = "singlefile-html"
        md["singlefile"] = head.singlefile
        url, url_source = head.singlefile["url"], "SingleFile comment"
        claimed = head.singlefile.get("saved_date") or None
        claimed_source = "SingleFile saved date"
    elif head.saved_from:
        md["format"] = "saved-html"
        md["saved_from"] = head.saved_from
        url, url_source = head.saved_from, "'saved from url' comment"
    else:
        md["format"] = "html"
    pages = Pages(result)
    facts = pages.add_html(
        html,
        url=url,
        url_source=url_source,
        claimed_raw=claimed,
        claimed_source=claimed_source,
    )
    if facts is not None and url is None and facts.canonical:
        pages.pages[0]["url"] = facts.canonical
        pages.pages[0]["url_source"] = "the page's own canonical link"
    if facts is not None and facts.local_refs:
        _companion(facts.local_refs, ctx.original_name, md)
    if cut:
        result.errors.append(
            f"the page is larger than {HTML_INPUT_CAP // (1024 * 1024)} MB; only its first "
            f"{HTML_INPUT_CAP // (1024 * 1024)} MB were read (the whole file is preserved)"
        )
    if claimed and pages.pages and pages.pages[0].get("claimed_capture", {}).get("at") is None:
        result.errors.append(f"the saved date {claimed[:100]!r} could not be read as a time")
    pages.finish()


def _companion(refs: list[str], original_name: str, md: dict[str, Any]) -> None:
    """The ``<name>_files/`` folder a browser's "Save page as, complete" wrote beside the page,
    and the files the page uses from it (their names, as the page references them)."""
    folders: dict[str, list[str]] = {}
    for ref in refs:
        folder, _, rest = unquote(ref.removeprefix("./")).partition("/")
        files = folders.setdefault(folder, [])
        if rest and rest not in files:
            files.append(rest)
    folder = max(folders, key=lambda f: len(folders[f]))
    stem = original_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    md["companion_folder"] = {
        "name": folder,
        "files": folders[folder][:500],
        "files_referenced": len(folders[folder]),
        "matches_page_name": folder == f"{stem}_files",
        "note": (
            "the page was saved with its files in this folder beside it ('Save page as, "
            "complete'); add the folder too to preserve them"
        ),
    }
