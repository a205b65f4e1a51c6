"""Collects the pages of one capture into the record: bounded, with identifiers and times."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evidence_kit.extractors.identifiers import find_identifiers, merge
from evidence_kit.extractors.interface import Extraction, Identifier
from evidence_kit.extractors.web.common import MAX_PAGES, TEXT_CAP, claimed_time
from evidence_kit.extractors.web.html import PageFacts, read_page

#: Page text kept in one record across all its pages.
TOTAL_TEXT_CAP = 4 * TEXT_CAP
#: HTML read (and tokenised) across all pages of one record.
TOTAL_HTML_CAP = 24 * 1024 * 1024
#: Identifiers kept in one record.
MAX_IDENTIFIERS = 3000


@dataclass
class Pages:
    """The pages of one capture as they are found, and what the record says about them."""

    result: Extraction
    pages: list[dict[str, Any]] = field(default_factory=list)
    pages_seen: int = 0
    html_read: int = 0
    text_used: int = 0
    warnings: list[str] = field(default_factory=list)
    _idents: list[list[Identifier]] = field(default_factory=list)

    def add_html(
        self,
        html: str,
        *,
        url: str | None,
        url_source: str | None,
        claimed_raw: str | None = None,
        claimed_source: str | None = None,
        role: str = "page",
        extra: dict[str, Any] | None = None,
    ) -> PageFacts | None:
        """Read one page's markup and add it; None once :data:`MAX_PAGES` is reached."""
        self.pages_seen += 1
        if len(self.pages) >= MAX_PAGES:
            return None
        if self.html_read + len(html) > TOTAL_HTML_CAP:
            self.add_other(
                {
                    "role": role,
                    "url": url,
                    "url_source": url_source,
                    "title": None,
                    "note": "not read: this file's pages are larger in total than evkit reads",
                    "_claimed_raw": claimed_raw,
                    "_claimed_source": claimed_source,
                    **(extra or {}),
                }
            )
            self.pages_seen -= 1  # add_other counted it
            return None
        self.html_read += len(html)
        facts = read_page(html, url)
        idx = len(self.pages)
        entry: dict[str, Any] = {"role": role, "url": url, "url_source": url_source}
        entry.update(facts.to_dict())
        entry["title_source"] = "the page's <title>" if facts.title else None
        entry["claimed_capture"] = self._claimed(claimed_raw, claimed_source, idx)
        room = max(0, TOTAL_TEXT_CAP - self.text_used)
        entry["text"] = facts.text[:room]
        entry["text_truncated"] = facts.text_truncated or len(facts.text) > room
        self.text_used += len(entry["text"])
        if facts.error:
            self.result.errors.append(
                f"page {idx + 1}: the HTML could not be read completely ({facts.error})"
            )
        if extra:
            entry.update(extra)
        self.pages.append(entry)
        self.warnings.extend(f"page {idx + 1}: {w}" for w in facts.warnings())
        where = f"page[{idx}]"
        if url:
            self._idents.append(find_identifiers(url, f"{where}.url"))
        self._idents.append(find_identifiers(entry["text"], f"{where}.text"))
        self._idents.append(find_identifiers("\n".join(facts.links_out), f"{where}.links"))
        actions = "\n".join(str(f.get("action") or "") for f in facts.forms)
        if actions.strip():
            self._idents.append(find_identifiers(actions, f"{where}.forms"))
        return facts

    def add_other(self, entry: dict[str, Any]) -> None:
        """A captured page that is not HTML (an image, a PDF): URL, type and time only."""
        self.pages_seen += 1
        if len(self.pages) >= MAX_PAGES:
            return
        idx = len(self.pages)
        raw = entry.pop("_claimed_raw", None)
        source = entry.pop("_claimed_source", None)
        entry["claimed_capture"] = self._claimed(raw, source, idx)
        if entry.get("url"):
            self._idents.append(find_identifiers(str(entry["url"]), f"page[{idx}].url"))
        self.pages.append(entry)

    def _claimed(self, raw: str | None, source: str | None, idx: int) -> dict[str, Any] | None:
        if not raw:
            return None
        fact = claimed_time(raw, f"web page captured ({source}, as the file states)", "")
        if fact is not None:
            fact = type(fact)(fact.at, fact.label, fact.raw, f"page[{idx}].claimed_capture")
            if len(self.result.times) < MAX_PAGES:
                self.result.times.append(fact)
        return {"raw": raw[:200], "at": fact.at if fact else None, "source": source}

    def finish(self) -> None:
        """Write the pages, warnings and identifiers into the record."""
        md = self.result.metadata
        md["pages"] = self.pages
        md["pages_found"] = self.pages_seen
        if self.pages_seen > len(self.pages):
            md["pages_truncated"] = True
            self.result.errors.append(
                f"{self.pages_seen} pages were found; the first {len(self.pages)} are described "
                "(all are kept in this file exactly as saved)"
            )
        md["warnings"] = self.warnings[:200]
        found = merge(*self._idents, self.result.identifiers)
        self.result.identifiers = found[:MAX_IDENTIFIERS]
