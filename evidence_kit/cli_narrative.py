"""Commands for the story police read: notes, suspects, losses, references, marks, timeline,
identifiers and the report. Registered by ``cli.py`` through :data:`COMMANDS`.

Only click, cliutil and errors are imported at module level (``evkit --help`` stays fast); the
core modules are imported inside each command.
"""

from __future__ import annotations

from typing import Any

import click

from evidence_kit import cliutil
from evidence_kit.errors import UsageError

_ITEM_HELP = "An item this is about (e.g. E0003). Repeatable."


def _p(value: Any) -> str:
    """Terminal-safe text (evidence values are attacker-controlled)."""
    return cliutil.printable("" if value is None else str(value))


# ---- note -------------------------------------------------------------------------------------
@click.command()
@click.argument("text", required=False)
@click.option("--at", "at", metavar="WHEN",
              help="When it happened, in your time zone: '2026-11-20 14:05' or '2026-11-20'.")
@click.option("--item", "items", multiple=True, metavar="ID", help=_ITEM_HELP)
@click.option("--correct", type=int, metavar="EVENT",
              help="Replace the note recorded as event EVENT (see 'evkit note --list'); "
              "the old note is kept in the log.")
@click.option("--list", "list_", is_flag=True, help="List the notes instead of adding one.")
@click.option("--json", "as_json", is_flag=True, help="With --list: machine-readable output.")
@click.pass_context
def note(ctx: click.Context, text: str | None, at: str | None, items: tuple[str, ...],
         correct: int | None, list_: bool, as_json: bool) -> None:
    """Record a note: what happened, in your words, signed into the custody log.

    \b
    evkit note "He called from 07700 900123 saying he was from the bank" --at "2026-11-20 14:05"
    evkit note "Screenshot of the first message" --item E0003
    evkit note --correct 12 "The call was at 14:50, not 14:05"
    """
    from evidence_kit.narrative import add_note, read_narrative

    case = cliutil.open_case(ctx)
    if list_:
        notes = read_narrative(case.read_log().events).all("note")
        if as_json:
            cliutil.emit_json([e.to_dict() for e in notes])
            return
        if not notes:
            click.echo('No notes yet. Add one with: evkit note "what happened"')
        for e in notes:
            state = "" if e.current else (f"  [replaced by {e.superseded_by}]"
                                          if e.superseded_by else "  [withdrawn]")
            when = e.data.get("at_local") or e.data.get("at") or "-"
            about = ", ".join(e.data.get("item_ids") or [])
            click.echo(f"{e.seq:>4}  {_p(when):<26} {_p(e.data.get('text') or '')}"
                       f"{'  (' + _p(about) + ')' if about else ''}{state}")
        return
    if not text:
        raise UsageError('Give the note text, e.g. evkit note "He called at 14:05".')
    seq = add_note(case, cliutil.signer(), text, at=at, item_ids=items, correct=correct)
    verb = f"Corrected note {correct}" if correct else "Noted"
    click.echo(f"{verb}: event {seq} in the custody log (signed and sealed).")


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
@click.option("--item", "items", multiple=True, metavar="ID", help=_ITEM_HELP)
@click.option("--from-identifier", metavar="KIND:VALUE",
              help="Promote an identifier found in the evidence (see 'evkit identifiers'), "
              "e.g. email:mark@example.net; links the items it was found in.")
@click.option("--supersedes", type=int, metavar="EVENT",
              help="This replaces the suspect recorded as event EVENT.")
@click.pass_context
def suspect_add(ctx: click.Context, /, items: tuple[str, ...], from_identifier: str | None,
                supersedes: int | None, **details: str | None) -> None:
    """Record a suspect (any details you have)."""
    from evidence_kit.narrative import add_suspect

    case = cliutil.open_case(ctx)
    seq = add_suspect(case, cliutil.signer(), details, item_ids=items,
                      from_identifier=from_identifier, supersedes=supersedes)
    click.echo(f"Recorded the suspect as event {seq}.")


@suspect.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--all", "show_all", is_flag=True, help="Include replaced and withdrawn entries.")
@click.pass_context
def suspect_list(ctx: click.Context, as_json: bool, show_all: bool) -> None:
    """List the suspects recorded."""
    from evidence_kit.narrative import read_narrative

    case = cliutil.read_case(ctx)
    nar = read_narrative(case.read_log().events)
    entries = nar.all("suspect") if show_all else nar.current("suspect")
    if as_json:
        cliutil.emit_json([e.to_dict() for e in entries])
        return
    if not entries:
        click.echo("No suspects recorded. Add one with: evkit suspect add --name ... --email ...")
    for e in entries:
        details = e.data.get("details") or {}
        text = "; ".join(f"{k}: {v}" for k, v in details.items()) or "(withdrawn)"
        ids = ", ".join(e.data.get("item_ids") or [])
        state = "" if e.current else "  [replaced/withdrawn]"
        click.echo(f"{e.seq:>4}  {_p(text)}{'  (evidence: ' + _p(ids) + ')' if ids else ''}"
                   f"{state}")


@suspect.command("withdraw")
@click.argument("event", type=int)
@click.option("--reason", help="Why it is withdrawn.")
@click.pass_context
def suspect_withdraw(ctx: click.Context, event: int, reason: str | None) -> None:
    """Withdraw the suspect recorded as EVENT (the record stays in the log)."""
    _withdraw(ctx, "suspect", event, reason)


def _withdraw(ctx: click.Context, action: str, event: int, reason: str | None) -> None:
    from evidence_kit.narrative import withdraw

    case = cliutil.open_case(ctx)
    seq = withdraw(case, cliutil.signer(), action, event, reason)
    click.echo(f"Withdrew {action} {event} (event {seq}); it stays in the custody log.")


# ---- loss -------------------------------------------------------------------------------------
@click.group()
def loss() -> None:
    """Money lost: each payment the criminals got."""


@loss.command("add")
@click.option("--amount", required=True, help="The amount, e.g. 250.00.")
@click.option("--currency", required=True, help="3-letter currency code, e.g. GBP.")
@click.option("--date", "when", metavar="WHEN", help="When you paid: '2026-11-20' or "
              "'2026-11-20 14:05' (your time zone).")
@click.option("--method", help="How: 'bank transfer', 'gift cards', 'bitcoin', ...")
@click.option("--to-account", help="The account or wallet the money went to.")
@click.option("--reference", help="The payment reference.")
@click.option("--item", "items", multiple=True, metavar="ID",
              help="Evidence of the payment (e.g. the statement E0005). Repeatable.")
@click.option("--supersedes", type=int, metavar="EVENT",
              help="This replaces the loss recorded as event EVENT.")
@click.pass_context
def loss_add(ctx: click.Context, amount: str, currency: str, when: str | None,
             method: str | None, to_account: str | None, reference: str | None,
             items: tuple[str, ...], supersedes: int | None) -> None:
    """Record a payment you lost."""
    from evidence_kit.narrative import add_loss

    case = cliutil.open_case(ctx)
    seq = add_loss(case, cliutil.signer(), amount=amount, currency=currency, when=when,
                   method=method, to_account=to_account, reference=reference, item_ids=items,
                   supersedes=supersedes)
    click.echo(f"Recorded the loss as event {seq}.")


@loss.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def loss_list(ctx: click.Context, as_json: bool) -> None:
    """List the losses, with totals per currency."""
    from evidence_kit.narrative import loss_totals, read_narrative

    case = cliutil.read_case(ctx)
    nar = read_narrative(case.read_log().events)
    entries = nar.current("loss")
    totals = loss_totals(entries)
    if as_json:
        cliutil.emit_json({"losses": [e.to_dict() for e in entries], "totals": totals})
        return
    if not entries:
        click.echo("No losses recorded. Add one with: evkit loss add --amount 250.00 "
                   "--currency GBP --date 2026-11-20")
        return
    for e in entries:
        d = e.data
        when = d.get("at_local") or d.get("at") or "-"
        extra = "; ".join(f"{k.replace('_', ' ')} {d[k]}" for k in
                          ("method", "to_account", "reference") if d.get(k))
        click.echo(f"{e.seq:>4}  {_p(when):<25} {_p(d.get('amount')):>12} "
                   f"{_p(d.get('currency'))}  {_p(extra)}")
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
@click.option("--supersedes", type=int, metavar="EVENT",
              help="This replaces the reference recorded as event EVENT.")
@click.pass_context
def ref_add(ctx: click.Context, agency: str, number: str, supersedes: int | None) -> None:
    """Record a reference number."""
    from evidence_kit.narrative import add_reference

    case = cliutil.open_case(ctx)
    seq = add_reference(case, cliutil.signer(), agency=agency, number=number,
                        supersedes=supersedes)
    click.echo(f"Recorded the reference as event {seq}.")


@ref.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def ref_list(ctx: click.Context, as_json: bool) -> None:
    """List the reference numbers (from 'evkit init --ref' and 'evkit ref add')."""
    from evidence_kit.narrative import read_narrative, references

    case = cliutil.read_case(ctx)
    refs = references(case.info, read_narrative(case.read_log().events))
    if as_json:
        cliutil.emit_json(refs)
        return
    if not refs:
        click.echo("No reference numbers. Add one with: evkit ref add --agency 'Action Fraud' "
                   "--number NFRC...")
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
@click.option("--sensitive/--not-sensitive", default=None,
              help="Sensitive items are never shown in reports (hash, size and type only).")
@click.option("--reason", help="Why (kept in the custody log).")
@click.pass_context
def mark(ctx: click.Context, item_ids: tuple[str, ...], sensitive: bool | None,
         reason: str | None) -> None:
    """Mark items sensitive (e.g. intimate images) or not: evkit mark E0004 --sensitive."""
    from evidence_kit.narrative import mark_sensitive

    if sensitive is None:
        raise UsageError("Say --sensitive or --not-sensitive.")
    case = cliutil.open_case(ctx)
    for raw in item_ids:
        case.item(raw)  # every ID exists before anything changes
    signer = cliutil.signer()
    changed = False
    for raw in item_ids:
        item = mark_sensitive(case, signer, raw, sensitive, reason)
        word = "sensitive" if sensitive else "not sensitive"
        if item is None:
            click.echo(f"{case.item(raw).id} is already marked {word}; nothing changed.")
        else:
            changed = True
            click.echo(f"{item.id} is now marked {word} (record revision {item.rev}).")
            last = case.read_log().events[-1].get("data") or {}
            embedded = [str(i) for i in last.get("embedded") or []]
            if embedded:
                click.echo(f"The {len(embedded)} file(s) inside it ({', '.join(embedded)}) are "
                           "marked sensitive too.")
    if changed and (case.root / "evkit" / "report").is_dir():
        cliutil.warn("The report in evkit/report/ was made before this change; run "
                     "'evkit report' again to update it.")


# ---- identifiers ------------------------------------------------------------------------------
@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--kind", help="Only this kind (email, url, domain, ip, phone, iban, btc, ...).")
@click.pass_context
def identifiers(ctx: click.Context, as_json: bool, kind: str | None) -> None:
    """List e-mail addresses, URLs, IPs, phones, accounts and wallets found in the evidence."""
    from evidence_kit.narrative import collect_identifiers

    case = cliutil.read_case(ctx)
    found = collect_identifiers(case.items().values())
    if kind:
        found = [i for i in found if i["kind"] == kind.strip().lower()]
    if as_json:
        cliutil.emit_json(found)
        return
    if not found:
        click.echo("No identifiers found" + (f" of kind {kind}." if kind else "."))
        return
    for i in found:
        flag = "  [sensitive items only]" if i["sensitive_only"] else ""
        click.echo(f"{_p(i['kind']):<8} {_p(i['value'])}  in {_p(', '.join(i['item_ids']))}"
                   f"{flag}")
    click.echo(f"{len(found)} identifier(s). Promote one with: evkit suspect add "
               "--from-identifier KIND:VALUE")


# ---- timeline ---------------------------------------------------------------------------------
@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def timeline(ctx: click.Context, as_json: bool) -> None:
    """Everything dated in the case, in order, with where each time came from.

    Sources: your notes and losses (self-asserted), times inside the files (written by
    whoever made the file), the acquisition clock (your computer's clock when evkit copied
    the file), and trusted RFC 3161 timestamps (independent), if any.
    """
    from evidence_kit.narrative import read_narrative
    from evidence_kit.timeline import build_timeline

    case = cliutil.read_case(ctx)
    events = case.read_log().events
    entries = build_timeline(case.info, case.items().values(), read_narrative(events), events)
    if as_json:
        cliutil.emit_json(entries)
        return
    if not entries:
        click.echo("Nothing dated yet.")
        return
    click.echo(f"Times in {_p(case.info.get('timezone') or 'UTC')}; ordered by UTC.")
    for e in entries:
        flags = f"  [{'; '.join(e['flags'])}]" if e["flags"] else ""
        click.echo(f"{_p(e['local']):<26} {_p(e['source']):<19} {_p(e['trust']):<13} "
                   f"{_p(e['what'])[:200]}{_p(flags)}")


# ---- report -----------------------------------------------------------------------------------
@click.command()
@click.option("--format", "formats", metavar="LIST",
              help="Comma-separated: html,pdf,csv,json (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def report(ctx: click.Context, formats: str | None, as_json: bool) -> None:
    """Write the chain-of-custody report into the case (evkit/report/), signed and sealed.

    index.html (the full index: summary, items, metadata, timeline, suspects, losses and the
    custody log), custody-form.pdf (a printable form with every SHA-256 and a transfer
    section to sign), items.csv (one row per item) and case.json (everything).
    """
    from evidence_kit.report import parse_formats, write_reports

    chosen = parse_formats(formats)
    case = cliutil.open_case(ctx)
    result = write_reports(case, cliutil.signer(), chosen)
    if as_json:
        cliutil.emit_json({"files": [{"format": f.format, "path": f.path, "sha256": f.sha256,
                                      "size": f.size} for f in result.files],
                           "describes_seal": result.seal_sha256, "event": result.event_seq})
        return
    for f in result.files:
        click.echo(f"Wrote {case.root / f.path}  sha256:{f.sha256}")
    click.echo(f"The report describes the seal sha256:{result.seal_sha256}; it was logged as "
               f"event {result.event_seq} and the case was re-sealed.")


COMMANDS = (note, suspect, loss, ref, timeline, report, mark, identifiers)
