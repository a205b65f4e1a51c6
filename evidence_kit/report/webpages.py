"""The "Web pages" rows of a report: each saved page's address, title and two times.

Drawn from the snapshot's item views (so sensitive items, whose extraction is withheld there,
never appear). The capture time is the one the file states (the saving computer's or archiving
tool's clock); the acquisition time is evkit's. They are different facts, shown side by side,
and a gap larger than :data:`LARGE_GAP_DAYS` days, or a capture "after" the acquisition, is
pointed out. Everything here is returned as plain text for the renderers to escape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

#: A stated capture time further than this from evkit's acquisition is pointed out.
LARGE_GAP_DAYS = 30
#: Pages listed per item (an archive may hold hundreds; the rest are in case.json).
MAX_PAGES_PER_ITEM = 50


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def gap_warning(claimed_at: Any, acquired_at: Any) -> str | None:
    """Plain words for a large or impossible gap between the two times, else None."""
    claimed, acquired = _when(claimed_at), _when(acquired_at)
    if claimed is None or acquired is None:
        return None
    days = (acquired - claimed).total_seconds() / 86400
    if days < -1 / 24:
        return (
            "the file states a capture time AFTER evkit acquired it: the saving computer's "
            "clock was wrong, or the time was altered"
        )
    if days > LARGE_GAP_DAYS:
        return (
            f"the file states it was captured {int(days)} days before evkit acquired it "
            "(the page may have changed or gone since)"
        )
    return None


def _path(item: Any) -> str | None:
    orig = item.get("original") if isinstance(item, Mapping) else None
    path = orig.get("path") if isinstance(orig, Mapping) else None
    return path if isinstance(path, str) and path else None


def companion_items(page_item: Mapping[str, Any], folder: str, items: list[Any]) -> list[str]:
    """IDs of the items added from the page's ``<name>_files/`` folder (same parent folder)."""
    path = _path(page_item)
    if not path or not folder or "/" in folder:
        return []
    prefix = path.rsplit("/", 1)[0] + "/" + folder + "/"
    return [
        str(it.get("id"))
        for it in items
        if isinstance(it, Mapping) and (_path(it) or "").startswith(prefix)
    ]


def web_pages(items: Iterable[Any]) -> list[dict[str, Any]]:
    """One row per saved page: item, url, title, claimed, acquired_at, warnings, linked."""
    items = list(items)
    rows: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, Mapping) or item.get("withheld"):
            continue
        ex = item.get("extraction")
        if not isinstance(ex, Mapping) or ex.get("extractor") != "web":
            continue
        md: Mapping[str, Any] = ex.get("metadata") or {}
        if not isinstance(md, Mapping):
            md = {}
        pages = md.get("pages") if isinstance(md.get("pages"), list) else []
        acq: Any = item.get("acquired") or {}
        acquired = acq.get("at") if isinstance(acq, Mapping) else None
        item_warnings = [
            str(e)
            for e in ex.get("errors") or []
            if isinstance(e, str) and ("digest mismatch" in e or "cut short" in e)
        ][:5]
        page_warnings = [str(w) for w in md.get("warnings") or [] if isinstance(w, str)]
        companion = md.get("companion_folder")
        linked: list[str] = []
        if isinstance(companion, Mapping) and isinstance(companion.get("name"), str):
            linked = companion_items(item, companion["name"], items)
            if not linked:
                item_warnings.append(
                    f"the page uses files from a folder '{companion['name']}' saved beside it, "
                    "which is not in this case"
                )
        if not pages:
            rows.append(
                {
                    "item": item.get("id"),
                    "format": md.get("format"),
                    "url": None,
                    "title": None,
                    "claimed": None,
                    "claimed_raw": None,
                    "acquired_at": acquired,
                    "warnings": [
                        *item_warnings,
                        "no page was found in this file (its record says why)",
                    ],
                }
            )
            continue
        for n, page in enumerate(pages[:MAX_PAGES_PER_ITEM]):
            if not isinstance(page, Mapping):
                continue
            claimed: Any = page.get("claimed_capture") or {}
            if not isinstance(claimed, Mapping):
                claimed = {}
            warnings = [
                w.split(": ", 1)[1] for w in page_warnings if w.startswith(f"page {n + 1}:")
            ]
            gap = gap_warning(claimed.get("at"), acquired)
            if gap:
                warnings.append(gap)
            if n == 0:
                warnings = item_warnings + warnings
            rows.append(
                {
                    "item": item.get("id"),
                    "format": md.get("format"),
                    "url": page.get("url"),
                    "title": page.get("title"),
                    "claimed": claimed.get("at"),
                    "claimed_raw": claimed.get("raw"),
                    "claimed_source": claimed.get("source"),
                    "acquired_at": acquired,
                    "warnings": warnings,
                    "linked": linked if n == 0 else [],
                    "linked_folder": companion.get("name")
                    if n == 0 and isinstance(companion, Mapping)
                    else None,
                }
            )
        if len(pages) > MAX_PAGES_PER_ITEM:
            more = len(pages) - MAX_PAGES_PER_ITEM
            rows.append(
                {
                    "item": item.get("id"),
                    "format": md.get("format"),
                    "url": None,
                    "title": f"... and {more} more pages (see case.json)",
                    "claimed": None,
                    "claimed_raw": None,
                    "acquired_at": None,
                    "warnings": [],
                }
            )
    return rows
