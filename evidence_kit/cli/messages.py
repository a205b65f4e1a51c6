"""``evkit messages``: the messages of a chat export or mailbox; and the conversation summary
that ``evkit show`` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from evidence_kit.cli import util

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.extractors.chat.model import Message

_PLATFORMS = {
    "whatsapp": "WhatsApp chat",
    "signal": "Signal chat (text export)",
    "telegram": "Telegram chat",
    "messenger/instagram": "Messenger or Instagram chat",
    "discord": "Discord channel",
    "mbox": "Mailbox",
}


_ORDER = {
    "DMY": "day first (day/month/year)",
    "MDY": "month first (month/day/year)",
    "YMD": "year first (year/month/day)",
}


def conversation_lines(meta: dict[str, Any]) -> list[str]:
    """The plain-words summary of each conversation in an item's metadata (for ``show``)."""
    out: list[str] = []
    for conv in meta.get("conversations") or []:
        if not isinstance(conv, dict):
            continue
        kind = _PLATFORMS.get(str(conv.get("platform")), str(conv.get("platform")))
        title = f": {conv['title']}" if conv.get("title") else ""
        out.append(f"  {kind}{title}")
        people = conv.get("participants") or []
        shown = ", ".join(str(p) for p in people[:12]) + (" ..." if len(people) > 12 else "")
        out.append(f"    Participants   {len(people)}: {shown or '-'}")
        first = conv.get("first") or conv.get("first_local")
        last = conv.get("last") or conv.get("last_local")
        zone = "UTC" if conv.get("first") else "as written in the file, no time zone"
        out.append(f"    Period         {first or '?'} to {last or '?'} ({zone})")
        extra = []
        if conv.get("with_attachments"):
            extra.append(f"{conv['with_attachments']} with files")
        if conv.get("system_messages"):
            extra.append(f"{conv['system_messages']} notices from the app")
        more = f" ({', '.join(extra)})" if extra else ""
        out.append(f"    Messages       {conv.get('count', 0)}{more}")
        order = conv.get("date_order")
        if isinstance(order, dict):
            state = "decided" if order.get("decided") else "NOT decided"
            words = _ORDER.get(str(order.get("order")), str(order.get("order")))
            out.append(f"    Dates read     {words} ({state}: {order.get('basis')})")
        out.extend(
            f"    Note: {w.get('text')}" for w in conv.get("warnings") or [] if isinstance(w, dict)
        )
    return [util.printable(line) for line in out]


def _line(msg: Message) -> str:
    when = msg.at or (msg.local + " (no zone)" if msg.local else msg.written)
    who = msg.sender if msg.sender is not None else "(notice)"
    files = "".join(f" [file {a.name}{' = ' + a.item if a.item else ''}]" for a in msg.attachments)
    from evidence_kit.extractors.chat.model import where_text

    where = msg.where
    at = where_text(where)
    if where.get("item"):
        at += f", item {where['item']}"
    flags = f" ({', '.join(msg.flags)})" if msg.flags else ""
    text = util.printable(msg.text.replace("\n", " / "))
    return f"{util.printable(when)}  {util.printable(who)}: {text}{files}{flags}  [{at}]"


@click.command()
@click.argument("item_id")
@click.option("--from", "sender", help="Only messages whose sender's name contains this.")
@click.option("--since", help="Only messages from this date or time on (e.g. 2026-11-19).")
@click.option("--grep", help="Only messages whose text contains this (any case).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def messages(
    ctx: click.Context,
    item_id: str,
    sender: str | None,
    since: str | None,
    grep: str | None,
    as_json: bool,
) -> None:
    """List the messages of a chat export or mailbox (e.g. evkit messages E0007).

    Times are in UTC; a chat that does not say its time zone (WhatsApp) is read in the case's
    time zone, and each message says so. Every message shows where it is in the saved file.
    """
    from evidence_kit.app.messages import MessageFilter, list_messages

    first = True
    assumed: set[str] = set()

    def emit(msg: Message) -> None:
        nonlocal first
        if msg.zone.startswith("collector:"):
            assumed.add(msg.zone.removeprefix("collector:"))
        if as_json:  # the opening is written with the first message: an error before it
            # leaves stdout empty rather than half a JSON document
            click.echo(('{"messages": [\n  ' if first else ", ") + util.json_text(msg.to_dict()))
        else:
            click.echo(_line(msg))
        first = False

    result = list_messages(
        util.case_start(ctx),
        item_id,
        MessageFilter(sender=sender, since=since, grep=grep),
        get_signer=util.signer,
        on_recover=util.warn,
        each=emit,
    )
    if as_json:
        tail = {
            "item": result.item_id,
            "conversations": list(result.conversations),
            "total": result.total,
            "shown": result.shown,
            "timezone": result.timezone,
            "reading_differs": result.reading_differs,
        }
        click.echo(('{"messages": [' if first else "") + "], " + util.json_text(tail)[1:])
        return
    click.echo(
        f"{result.shown} of {result.total} message(s) in {result.item_id} "
        f"({util.printable(result.name)})."
    )
    if assumed:
        click.echo(
            "Times are in UTC. This chat does not say which time zone its times are in, so "
            f"evkit read them as {util.printable(', '.join(sorted(assumed)))} time (your case's "
            "time zone)."
        )
    if result.reading_differs:
        click.echo(
            "Note: this version of evkit reads these messages differently from the version "
            f"that saved them. The saved file itself is unchanged. To record the new reading: "
            f"evkit extract {result.item_id}"
        )
