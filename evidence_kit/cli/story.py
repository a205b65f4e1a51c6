"""Commands for the story police read: notes, suspects, losses, references, marks, timeline
and the report. Thin commands over :mod:`evidence_kit.app.story`.

Only click, the CLI helpers and errors are imported at module level (``evkit --help`` stays
fast); the application layer is imported inside each command.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from evidence_kit.cli import util
from evidence_kit.cli.views import p as _p
from evidence_kit.errors import UsageError

_ITEM_HELP = "An item this is about (e.g. E0003). Repeatable."


# ---- note -------------------------------------------------------------------------------------
@click.command()
@click.argument("text", required=False)
@click.option(
    "--at",
    "at",
    metavar="WHEN",
    help="When it happened, in your time zone: '2026-11-20 14:05' or '2026-11-20'.",
)
@click.option("--item", "items", multiple=True, metavar="ID", help=_ITEM_HELP)
@click.option(
    "--correct",
    type=int,
    metavar="EVENT",
    help="Replace the note recorded as event EVENT (see 'evkit note --list'); "
    "the old note is kept in the log.",
)
@click.option("--list", "list_", is_flag=True, help="List the notes instead of adding one.")
@click.option("--json", "as_json", is_flag=True, help="With --list: machine-readable output.")
@click.pass_context
def note(
    ctx: click.Context,
    text: str | None,
    at: str | None,
    items: tuple[str, ...],
    correct: int | None,
    list_: bool,
    as_json: bool,
) -> None:
    """Record a note: what happened, in your words, signed into the custody log.

    \b
    evkit note "He called from 07700 900123 saying he was from the bank" --at "2026-11-20 14:05"
    evkit note "Screenshot of the first message" --item E0003
    evkit note --correct 12 "The call was at 14:50, not 14:05"
    """
    from evidence_kit.app import story
    from evidence_kit.timeutil import time_text  # formatting only

    if list_:
        notes = story.list_notes(util.case_start(ctx), get_signer=util.signer, on_recover=util.warn)
        if as_json:
            util.emit_json([e.to_dict() for e in notes])
            return
        if not notes:
            click.echo('No notes yet. Add one with: evkit note "what happened"')
        for e in notes:
            state = (
                ""
                if e.current
                else (f"  [replaced by {e.superseded_by}]" if e.superseded_by else "  [withdrawn]")
            )
            when = time_text(e.data.get("at"), str(e.data.get("timezone") or "UTC")) or "-"
            about = ", ".join(e.data.get("item_ids") or [])
            click.echo(
                f"{e.seq:>4}  {_p(when):<34} {_p(e.data.get('text') or '')}"
                f"{'  (' + _p(about) + ')' if about else ''}{state}"
            )
        return
    if not text:
        raise UsageError('Give the note text, e.g. evkit note "He called at 14:05".')
    seq = story.add_note(
        util.case_start(ctx),
        text,
        at=at,
        item_ids=items,
        correct=correct,
        get_signer=util.signer,
        on_recover=util.warn,
    )
    verb = f"Corrected note {correct}" if correct else "Noted"
    click.echo(f"{verb}: saved as step {seq} of the case history (signed).")


# ---- suspect ----------------------------------------------------------------------------------
@click.group()
def suspect() -> None:
    """Suspects: who you believe did it, and how they contacted you."""


@suspect.command("add")
@click.option("--name", help="Name as they gave it.")
@click.option("--username", help="User name or handle (e.g. on Instagram, Telegram).")
@click.option("--email", help="E-mail address.")
@click.option("--phone", help="Phone number.")
@click.option("--url", help="Web site or profile address.")
@click.option("--ip", help="IP address.")
@click.option("--wallet", help="Crypto-currency wallet address.")
@click.option("--account", help="Bank account (IBAN, or sort code and account number).")
@click.option(
    "--first-contact", help="How you first met them or were contacted (where, when, how)."
)
@click.option("--previous-contact", help="Any contact with them before this.")
@click.option("--realised", help="What made you realise it was a crime.")
@click.option("--item", "items", multiple=True, metavar="ID", help=_ITEM_HELP)
@click.option(
    "--from-identifier",
    metavar="KIND:VALUE",
    help="Promote an identifier found in the evidence (see 'evkit identifiers'), "
    "e.g. email:mark@example.net; links the items it was found in.",
)
@click.option(
    "--supersedes",
    type=int,
    metavar="EVENT",
    help="This replaces the suspect recorded as event EVENT.",
)
@click.pass_context
def suspect_add(
    ctx: click.Context,
    /,
    items: tuple[str, ...],
    from_identifier: str | None,
    supersedes: int | None,
    first_contact: str | None,
    previous_contact: str | None,
    realised: str | None,
    **details: str | None,
) -> None:
    """Record a suspect (any details you have, and how you came into contact with them)."""
    from evidence_kit.app.story import add_suspect

    seq = add_suspect(
        util.case_start(ctx),
        details,
        item_ids=items,
        from_identifier=from_identifier,
        supersedes=supersedes,
        get_signer=util.signer,
        on_recover=util.warn,
        contact={
            "first_contact": first_contact,
            "previous_contact": previous_contact,
            "realised": realised,
        },
    )
    click.echo(
        f"Recorded the suspect as step {seq} of the case history "
        f"(to correct it later: evkit suspect add ... --supersedes {seq})."
    )


@suspect.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--all", "show_all", is_flag=True, help="Include replaced and withdrawn entries.")
@click.pass_context
def suspect_list(ctx: click.Context, as_json: bool, show_all: bool) -> None:
    """List the suspects recorded."""
    from evidence_kit.app.story import list_suspects

    entries = list_suspects(
        util.case_start(ctx),
        include_replaced=show_all,
        get_signer=util.signer,
        on_recover=util.warn,
    )
    if as_json:
        util.emit_json([e.to_dict() for e in entries])
        return
    if not entries:
        click.echo("No suspects recorded. Add one with: evkit suspect add --name ... --email ...")
    for e in entries:
        details = e.data.get("details") or {}
        text = "; ".join(f"{k}: {v}" for k, v in details.items()) or "(withdrawn)"
        ids = ", ".join(e.data.get("item_ids") or [])
        state = "" if e.current else "  [replaced/withdrawn]"
        click.echo(f"{e.seq:>4}  {_p(text)}{'  (evidence: ' + _p(ids) + ')' if ids else ''}{state}")


@suspect.command("withdraw")
@click.argument("event", type=int)
@click.option("--reason", help="Why it is withdrawn.")
@click.pass_context
def suspect_withdraw(ctx: click.Context, event: int, reason: str | None) -> None:
    """Withdraw the suspect recorded as EVENT (the record stays in the log)."""
    _withdraw(ctx, "suspect", event, reason)


def _withdraw(ctx: click.Context, action: str, event: int, reason: str | None) -> None:
    from evidence_kit.app.story import withdraw

    seq = withdraw(
        util.case_start(ctx), action, event, reason, get_signer=util.signer, on_recover=util.warn
    )
    click.echo(
        f"Withdrew the {action} of step {event} (as step {seq}); the case history keeps both."
    )


# ---- loss -------------------------------------------------------------------------------------
@click.group()
def loss() -> None:
    """Money lost: each payment the criminals got."""


@loss.command("add")
@click.option("--amount", required=True, help="The amount, e.g. 250.00.")
@click.option("--currency", required=True, help="3-letter currency code, e.g. GBP.")
@click.option(
    "--date",
    "when",
    metavar="WHEN",
    help="When you paid: '2026-11-20' or '2026-11-20 14:05' (your time zone).",
)
@click.option("--method", help="How: 'bank transfer', 'gift cards', 'bitcoin', ...")
@click.option("--to-account", help="The account or wallet the money went to.")
@click.option("--reference", help="The payment reference.")
@click.option(
    "--item",
    "items",
    multiple=True,
    metavar="ID",
    help="Evidence of the payment (e.g. the statement E0005). Repeatable.",
)
@click.option(
    "--supersedes",
    type=int,
    metavar="EVENT",
    help="This replaces the loss recorded as event EVENT.",
)
@click.pass_context
def loss_add(
    ctx: click.Context,
    amount: str,
    currency: str,
    when: str | None,
    method: str | None,
    to_account: str | None,
    reference: str | None,
    items: tuple[str, ...],
    supersedes: int | None,
) -> None:
    """Record a payment you lost."""
    from evidence_kit.app.story import Loss, add_loss

    seq = add_loss(
        util.case_start(ctx),
        Loss(
            amount=amount,
            currency=currency,
            when=when,
            method=method,
            to_account=to_account,
            reference=reference,
        ),
        item_ids=items,
        supersedes=supersedes,
        get_signer=util.signer,
        on_recover=util.warn,
    )
    click.echo(
        f"Recorded the loss as step {seq} of the case history "
        f"(to correct it later: evkit loss add ... --supersedes {seq})."
    )


@loss.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def loss_list(ctx: click.Context, as_json: bool) -> None:
    """List the losses, with totals per currency."""
    from evidence_kit.app.story import list_losses
    from evidence_kit.timeutil import time_text  # formatting only

    losses = list_losses(util.case_start(ctx), get_signer=util.signer, on_recover=util.warn)
    entries, totals = losses.entries, losses.totals
    if as_json:
        util.emit_json({"losses": [e.to_dict() for e in entries], "totals": totals})
        return
    if not entries:
        click.echo(
            "No losses recorded. Add one with: evkit loss add --amount 250.00 "
            "--currency GBP --date 2026-11-20"
        )
        return
    for e in entries:
        d = e.data
        when = time_text(d.get("at") or d.get("date"), str(d.get("timezone") or "UTC")) or "-"
        extra = "; ".join(
            f"{k.replace('_', ' ')} {d[k]}"
            for k in ("method", "to_account", "reference")
            if d.get(k)
        )
        click.echo(
            f"{e.seq:>4}  {_p(when):<25} {_p(d.get('amount')):>12} "
            f"{_p(d.get('currency'))}  {_p(extra)}"
        )
    for cur, total in totals.items():
        click.echo(f"Total {_p(cur)}: {_p(total)}")


@loss.command("withdraw")
@click.argument("event", type=int)
@click.option("--reason", help="Why it is withdrawn.")
@click.pass_context
def loss_withdraw(ctx: click.Context, event: int, reason: str | None) -> None:
    """Withdraw the loss recorded as EVENT (the record stays in the log)."""
    _withdraw(ctx, "loss", event, reason)


# ---- ref --------------------------------------------------------------------------------------
@click.group()
def ref() -> None:
    """Reference numbers from the police or other agencies (several allowed)."""


@ref.command("add")
@click.option("--agency", required=True, help="Who gave it, e.g. 'Action Fraud'.")
@click.option("--number", required=True, help="The reference, e.g. NFRC261100123.")
@click.option(
    "--supersedes",
    type=int,
    metavar="EVENT",
    help="This replaces the reference recorded as event EVENT.",
)
@click.pass_context
def ref_add(ctx: click.Context, agency: str, number: str, supersedes: int | None) -> None:
    """Record a reference number."""
    from evidence_kit.app.story import add_reference

    seq = add_reference(
        util.case_start(ctx),
        agency=agency,
        number=number,
        supersedes=supersedes,
        get_signer=util.signer,
        on_recover=util.warn,
    )
    click.echo(f"Recorded the reference as step {seq} of the case history.")


@ref.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def ref_list(ctx: click.Context, as_json: bool) -> None:
    """List the reference numbers (from 'evkit init --ref' and 'evkit ref add')."""
    from evidence_kit.app.story import list_references

    refs = list_references(util.case_start(ctx), get_signer=util.signer, on_recover=util.warn)
    if as_json:
        util.emit_json(refs)
        return
    if not refs:
        click.echo(
            "No reference numbers. Add one with: evkit ref add --agency 'Action Fraud' "
            "--number NFRC..."
        )
    for r in refs:
        where = f"event {r['seq']}" if r.get("seq") else "case created"
        click.echo(f"{_p(r['agency'])}: {_p(r['number'])}  ({where})")


@ref.command("withdraw")
@click.argument("event", type=int)
@click.option("--reason", help="Why it is withdrawn.")
@click.pass_context
def ref_withdraw(ctx: click.Context, event: int, reason: str | None) -> None:
    """Withdraw the reference recorded as EVENT (the record stays in the log)."""
    _withdraw(ctx, "ref", event, reason)


# ---- mark -------------------------------------------------------------------------------------
@click.command()
@click.argument("item_ids", nargs=-1, required=True)
@click.option(
    "--sensitive/--not-sensitive",
    default=None,
    help="Sensitive items are never shown in reports (hash, size and type only).",
)
@click.option("--reason", help="Why (kept in the custody log).")
@click.pass_context
def mark(
    ctx: click.Context, item_ids: tuple[str, ...], sensitive: bool | None, reason: str | None
) -> None:
    """Mark items sensitive (e.g. intimate images) or not: evkit mark E0004 --sensitive."""
    from evidence_kit.app.story import Marked
    from evidence_kit.app.story import mark as mark_items

    if sensitive is None:
        raise UsageError("Say --sensitive or --not-sensitive.")
    word = "sensitive" if sensitive else "not sensitive"

    def show(m: Marked) -> None:
        if m.rev is None:
            click.echo(f"{m.item_id} is already marked {word}; nothing changed.")
            return
        click.echo(f"{m.item_id} is now marked {word} (record revision {m.rev}).")
        if m.embedded:
            click.echo(
                f"The {len(m.embedded)} file(s) inside it ({', '.join(m.embedded)}) are "
                "marked sensitive too."
            )

    result = mark_items(
        util.case_start(ctx),
        item_ids,
        sensitive,
        reason,
        get_signer=util.signer,
        on_recover=util.warn,
        on_marked=show,
    )
    if result.report_outdated:
        util.warn(
            "The report in evkit/report/ was made before this change; run "
            "'evkit report' again to update it."
        )


# ---- timeline ---------------------------------------------------------------------------------
@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--all", "all_messages", is_flag=True, help="Every chat message, not one line per day."
)
@click.pass_context
def timeline(ctx: click.Context, as_json: bool, all_messages: bool) -> None:
    """Everything dated in the case, in order, with where each time came from.

    Sources: your notes and losses (self-asserted), times inside the files (written by
    whoever made the file), the acquisition clock (your computer's clock when evkit copied
    the file), and trusted RFC 3161 timestamps (independent), if any. Chats and mailboxes
    show one line per conversation and day; --all shows every message.
    """
    from evidence_kit.app.story import timeline as dated
    from evidence_kit.timeutil import time_text  # formatting only

    found = dated(
        util.case_start(ctx),
        get_signer=util.signer,
        on_recover=util.warn,
        all_messages=all_messages,
    )
    entries = list(found.entries)
    if as_json:
        util.emit_json(entries)
        return
    if not entries:
        click.echo("Nothing dated yet.")
        return
    click.echo(f"Times in {_p(found.timezone)} with UTC beside; ordered by UTC.")
    shown: set[str] = set()
    for e in entries:
        flags = f"  [{'; '.join(e['flags'])}]" if e["flags"] else ""
        when = time_text(e["at"], found.timezone) if e.get("precision") == "instant" else ""
        click.echo(
            f"{_p(when or e['local']):<34} {_p(e['source']):<19} {_p(e['trust']):<13} "
            f"{_p(e['what'])[:200]}{_p(flags)}"
        )
        item = e.get("item")
        if item and item not in shown and item in found.findings:
            shown.add(item)  # an item's findings once, beside its first entry
            for f in found.findings[item]:
                word = "Warning" if f.severity == "warning" else "Worth a look"
                click.echo(_p(f"{'':<34} {word} ({item}): {f.text}")[:300])


# ---- report -----------------------------------------------------------------------------------
@click.command()
@click.option(
    "--format", "formats", metavar="LIST", help="Comma-separated: html,pdf,csv,json (default: all)."
)
@click.option(
    "--full", is_flag=True, help="Print every recorded detail too (the report's appendix)."
)
@click.option(
    "--for",
    "drafts",
    multiple=True,
    type=click.Choice(["ic3", "reportfraud", "police", "interpol"]),
    help="Write a police report draft (text and HTML) for this intake instead: ic3 (US), "
    "reportfraud (UK, formerly Action Fraud), police (a local police statement), interpol "
    "(a cover sheet for the national bureau). Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def report(
    ctx: click.Context, formats: str | None, full: bool, drafts: tuple[str, ...], as_json: bool
) -> None:
    """Write the report into the case (evkit/report/), signed and sealed.

    index.html opens with the story (what happened, who is reporting, reference numbers,
    money lost, suspects, key events), then what each item shows, then the proof that nothing
    changed; every recorded detail is in a closed appendix (printed with --full).
    custody-form.pdf is the printable chain-of-custody form with every fingerprint (SHA-256)
    and a transfer section to sign; items.csv has one row per item; case.json everything.
    """
    from evidence_kit.app.story import write_report

    result = write_report(
        util.case_start(ctx),
        formats,
        get_signer=util.signer,
        on_recover=util.warn,
        full=full,
        drafts=drafts,
    )
    if as_json:
        util.emit_json(
            {
                "files": [
                    {"format": f.format, "path": f.path, "sha256": f.sha256, "size": f.size}
                    for f in result.files
                ],
                "describes_seal": result.seal_sha256,
                "event": result.event_seq,
            }
        )
        return
    for f in result.files:
        click.echo(f"Wrote {result.root / f.path}")
    click.echo(
        f"Saved as step {result.event_seq} of the case history; the case is locked against "
        "changes and signed again. Open index.html in a browser to read or print it."
    )


# ---- status, incident, victim, collector --------------------------------------------------------
@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """What the case holds, and what police will ask for that is still missing (with the
    command that adds each)."""
    from evidence_kit.app.story import status as status_of

    found = status_of(util.case_start(ctx), get_signer=util.signer, on_recover=util.warn)
    if as_json:
        util.emit_json(
            {
                "title": found.title,
                "items": found.items,
                "losses": found.losses,
                "missing": [m.to_dict() for m in found.missing],
            }
        )
        return
    money = ", ".join(f"{v} {k}" for k, v in found.losses.items()) or "none recorded"
    click.echo(_p(f"Case '{found.title}': {found.items} item(s); money lost: {money}."))
    if not found.missing:
        click.echo("Nothing on the police checklist is missing. Next: evkit report")
        return
    click.echo(f"Still missing ({len(found.missing)}), what police usually ask for:")
    for n, m in enumerate(found.missing, 1):
        click.echo(_p(f"{n}. {m.text}"))
        click.echo(_p(f"   To fix: {m.fix}"))


@click.command()
@click.argument("text")
@click.pass_context
def incident(ctx: click.Context, text: str) -> None:
    """Write what happened, in your own words (replaces the summary given at init)."""
    from evidence_kit.app.story import set_incident

    seq = set_incident(util.case_start(ctx), text, get_signer=util.signer, on_recover=util.warn)
    click.echo(f"Saved the summary of what happened as step {seq} of the case history.")


def _person_options(f: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(
        [
            click.option("--name", help="Full name."),
            click.option("--email", help="E-mail address."),
            click.option("--phone", help="Phone number."),
            click.option("--address", help="Postal address."),
            click.option("--organization", help="Organisation (e.g. a victim support service)."),
            click.option("--age-band", help="Age band, where it matters (e.g. '60+', 'under 18')."),
            click.option(
                "--may-contact",
                type=click.Choice(["yes", "no"]),
                help="Whether police may contact this person directly.",
            ),
        ]
    ):
        f = option(f)
    return f


def _record_person(ctx: click.Context, role: str, details: dict[str, str | None]) -> None:
    from evidence_kit.app.story import record_person

    seq = record_person(
        util.case_start(ctx), role, details, get_signer=util.signer, on_recover=util.warn
    )
    click.echo(f"Saved the {role}'s details as step {seq} of the case history.")


@click.command()
@_person_options
@click.pass_context
def victim(ctx: click.Context, /, **details: str | None) -> None:
    """Record the victim's details, when someone else collects the evidence for them."""
    _record_person(ctx, "victim", details)


@click.command()
@_person_options
@click.pass_context
def collector(ctx: click.Context, /, **details: str | None) -> None:
    """Record or update how police can reach the person collecting the evidence."""
    _record_person(ctx, "collector", details)
