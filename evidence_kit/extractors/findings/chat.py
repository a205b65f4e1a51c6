"""Chat exports and mailboxes: one summary line (platform, messages, people, period).

The plain-word warnings of a conversation (address-book names, an export at its cap, no time
zone in the file) are shown with the conversation itself (``evkit show``, the report's
conversation section), not repeated as findings."""

from __future__ import annotations

from collections.abc import Mapping

from evidence_kit.extractors.findings.base import plural, quoted, type_label
from evidence_kit.extractors.interface import Description, RecordView

_KINDS = {
    "whatsapp": "WhatsApp chat",
    "signal": "Signal chat",
    "telegram": "Telegram chat",
    "messenger/instagram": "Messenger or Instagram chat",
    "discord": "Discord channel",
    "mbox": "Mailbox",
}


def describe(view: RecordView) -> Description:
    """A chat export's summary line."""
    raw = view.metadata.get("conversations")
    convs = [c for c in raw if isinstance(c, Mapping)] if isinstance(raw, list) else []
    if not convs:
        kind = type_label(view.mime)
        return Description(kind, f"{kind}: {quoted(view.name)} (no messages could be read)")
    platforms = {str(c.get("platform") or "") for c in convs}
    kind = _KINDS.get(platforms.pop(), "Chat export") if len(platforms) == 1 else "Chat export"
    count = sum(int(c.get("count") or 0) for c in convs if isinstance(c.get("count"), int))
    people = sorted({str(p) for c in convs for p in (c.get("participants") or [])})
    days = sorted(
        str(d)[:10]
        for c in convs
        for d in (c.get("first") or c.get("first_local"), c.get("last") or c.get("last_local"))
        if d
    )
    parts = [f"{kind}: {plural(count, 'message')}"]
    if len(convs) > 1:
        parts[0] += f" in {plural(len(convs), 'conversation')}"
    if people:
        shown = ", ".join(quoted(p, 40) for p in people[:5]) + (", ..." if len(people) > 5 else "")
        parts.append(f"{plural(len(people), 'person', 'people')} ({shown})")
    if days:
        parts.append(days[0] if days[0] == days[-1] else f"{days[0]} to {days[-1]}")
    return Description(kind, "; ".join(parts))
