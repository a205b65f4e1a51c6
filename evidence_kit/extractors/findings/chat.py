"""Chat exports and mailboxes: one summary line (platform, messages, people, period).

The plain-word warnings of a conversation (address-book names, an export at its cap, no time
zone in the file) are shown with the conversation itself (``evkit show``, the report's
conversation section), not repeated as findings."""

from __future__ import annotations

from collections.abc import Mapping

from evidence_kit.extractors.findings.base import plural, quoted, type_label
from evidence_kit.extractors.interface import Description, Finding, RecordView

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
    return Description(kind, "; ".join(parts), _absent(view))


def _absent(view: RecordView) -> tuple[Finding, ...]:
    """Files the messages point at (photos, videos, documents) that the export does not hold."""
    absent = view.metadata.get("referenced_absent")
    count = absent.get("count") if isinstance(absent, Mapping) else None
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        return ()
    files = absent.get("files") if isinstance(absent, Mapping) else None
    first = files[0] if isinstance(files, list) and files else None
    name = first.get("name") if isinstance(first, Mapping) else None
    example = f" (for example {quoted(str(name), 60)})" if name else ""
    return (
        Finding(
            "chat.files-absent",
            "notable",
            f"{plural(count, 'file')} the messages point at {'is' if count == 1 else 'are'} "
            f"not in this export{example}. If you still have them, add the whole export "
            "folder (or zip) with evkit add, or download the export again with media included.",
        ),
    )
