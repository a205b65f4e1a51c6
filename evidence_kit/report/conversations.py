"""The report's conversation section: each chat export or mailbox in the case, summarised, with
the messages that an identifier was found in (read from the stored copy, at most
:data:`MAX_POINTED` per conversation). Sensitive items are counted, never described."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from evidence_kit.models import Item

#: Most messages shown per conversation (the ones identifiers point at).
MAX_POINTED = 50
_MESSAGE_FIELD = re.compile(r"^message (\d+) \(")  # as the chat extractor writes it
_SUMMARY_KEYS = (
    "platform",
    "title",
    "participants",
    "count",
    "first",
    "last",
    "first_local",
    "last_local",
    "date_order",
    "warnings",
)


def conversation_views(root: Path, items: Iterable[Item], tz: str) -> dict[str, Any]:
    """``{"conversations": [...], "withheld": N}`` for the report snapshot."""
    out: list[dict[str, Any]] = []
    withheld = 0
    for item in items:
        ex = item.extraction or {}
        convs = (ex.get("metadata") or {}).get("conversations") if isinstance(ex, dict) else None
        if ex.get("extractor") != "chat" or not isinstance(convs, list) or not convs:
            continue
        if item.sensitive:
            withheld += 1
            continue
        pointed: dict[int, list[str]] = {}
        for ident in ex.get("identifiers") or []:
            if not isinstance(ident, dict):
                continue
            m = _MESSAGE_FIELD.match(str(ident.get("field") or ""))
            if m and (len(pointed) < MAX_POINTED or int(m.group(1)) in pointed):
                pointed.setdefault(int(m.group(1)), []).append(
                    f"{ident.get('kind')}: {ident.get('value')}"
                )
        messages = _read(root / item.stored, item.name, tz, pointed) if pointed else []
        for i, conv in enumerate(convs):
            if not isinstance(conv, dict):
                continue
            view = {k: conv.get(k) for k in _SUMMARY_KEYS}
            view["item"] = item.id
            view["messages"] = [m for m in messages if m["conversation"] == i]
            out.append(view)
    return {"conversations": out, "withheld": withheld}


def _read(stored: Path, name: str, tz: str, pointed: dict[int, list[str]]) -> list[dict[str, Any]]:
    from evidence_kit.extractors.chat.extractor import message_rows

    rows: list[dict[str, Any]] = []
    for row in message_rows(stored, name, tz):
        n = int(row.get("n") or 0)
        if n in pointed:
            rows.append({**row, "identifiers": pointed[n]})
            if len(rows) == len(pointed):
                break
    return rows
