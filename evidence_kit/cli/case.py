"""``evkit init`` and ``evkit key``: the case folder and the collector's signing key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from evidence_kit.cli import util
from evidence_kit.errors import IncompleteError, UsageError

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.app.case import InitResult


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--title", help="A short name for the case, e.g. 'Romance scam 2026'.")
@click.option("--collector", help="Your name (the person collecting the evidence).")
@click.option("--email", help="Your e-mail address, for the police to contact you.")
@click.option("--phone", help="Your phone number.")
@click.option("--organization", help="Organisation collecting (e.g. a victim support service).")
@click.option("--incident", help="A short summary of what happened.")
@click.option("--jurisdiction", help="Where it is being reported (e.g. 'England and Wales').")
@click.option(
    "--ref",
    "refs",
    multiple=True,
    metavar="AGENCY=NUMBER",
    help="A reference number, e.g. 'Action Fraud=NFRC261100123'. Repeatable.",
)
@click.option(
    "--timezone", "tz", help="Your time zone, e.g. Europe/London (default: this computer's)."
)
@click.option(
    "--victim",
    metavar="NAME",
    help="When you collect for someone else (e.g. as an advocate): the victim's name. Their "
    "contact details can be added with 'evkit victim'.",
)
@click.option("--victim-phone", help="The victim's phone number (with --victim).")
@click.option("--victim-email", help="The victim's e-mail address (with --victim).")
def init(
    directory: str,
    title: str | None,
    collector: str | None,
    email: str | None,
    phone: str | None,
    organization: str | None,
    incident: str | None,
    jurisdiction: str | None,
    refs: tuple[str, ...],
    tz: str | None,
    victim: str | None,
    victim_phone: str | None,
    victim_email: str | None,
) -> None:
    """Create a new case folder DIRECTORY (and your signing key on first use)."""
    import shlex
    from pathlib import Path

    from evidence_kit.app.case import init_state
    from evidence_kit.store.signing import fingerprint

    before = init_state(Path(directory))
    try:
        result, title, collector = _init(
            directory,
            title,
            collector,
            email,
            phone,
            organization,
            incident,
            jurisdiction,
            refs,
            tz,
            victim,
            victim_phone,
            victim_email,
        )
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        if init_state(Path(directory)) != before:
            raise  # something was made: the general words (run it again) apply
        made = "no case folder" + ("" if before.key else " and no signing key")
        raise IncompleteError(
            f"Stopped: nothing was created ({made}).",
            hint=f"To start the case again, run: evkit init {shlex.quote(directory)}",
        ) from exc
    click.echo(f"Created case '{util.printable(title)}' in {util.printable(str(result.root))}")
    click.echo(
        f"Signed by {util.printable(collector)}, key fingerprint {fingerprint(result.key_id)}"
    )
    click.echo(f"Next: cd {util.printable(shlex.quote(directory))} && evkit add <files or folders>")


def _init(
    directory: str,
    title: str | None,
    collector: str | None,
    email: str | None,
    phone: str | None,
    organization: str | None,
    incident: str | None,
    jurisdiction: str | None,
    refs: tuple[str, ...],
    tz: str | None,
    victim: str | None,
    victim_phone: str | None,
    victim_email: str | None,
) -> tuple[InitResult, str, str]:
    """Ask on a terminal for what was not given, then create the case (``init``)."""
    from pathlib import Path

    from evidence_kit.app.case import CaseDetails, NewKey, init_case
    from evidence_kit.store.signing import fingerprint

    if title is None and util.tty_in():
        title = click.prompt("Case title (e.g. 'Romance scam 2026')", err=True)
    if collector is None and util.tty_in():
        collector = click.prompt("Your name (who is collecting the evidence)", err=True)
    if email is None and util.tty_in():
        email = (
            click.prompt(
                "Your e-mail (optional, Enter to skip)", default="", show_default=False, err=True
            )
            or None
        )
    if victim is None and util.tty_in():
        victim = (
            click.prompt(
                "Are you collecting for someone else? Their name (Enter if it is for you)",
                default="",
                show_default=False,
                err=True,
            )
            or None
        )
        if victim:
            victim_phone = victim_phone or (
                click.prompt(
                    "Their phone (optional, Enter to skip)",
                    default="",
                    show_default=False,
                    err=True,
                )
                or None
            )
    if incident is None and util.tty_in():
        incident = (
            click.prompt(
                "What happened, in a few words (optional, Enter to skip; "
                "'evkit incident' can add it later)",
                default="",
                show_default=False,
                err=True,
            )
            or None
        )
    if not title or not collector:
        raise UsageError(
            "A case needs a title and a collector name.",
            hint='Give --title "..." and --collector "..." (no terminal to ask).',
        )
    references = []
    for ref in refs:
        agency, sep, number = ref.partition("=")
        if not sep or not agency.strip() or not number.strip():
            raise UsageError(f"--ref {ref!r} should look like 'Action Fraud=NFRC261100123'.")
        references.append((agency.strip(), number.strip()))

    def new_passphrase() -> str | None:
        if not util.tty_in():
            return None
        chosen: str = click.prompt(
            "Choose a passphrase to protect your signing key (Enter for none)",
            default="",
            hide_input=True,
            confirmation_prompt=True,
            show_default=False,
            err=True,
        )
        return chosen or None

    def on_new_key(key: NewKey) -> None:
        util.warn(
            f"Created your signing key in {key.keys_dir} (fingerprint {fingerprint(key.key_id)})."
        )

    details = CaseDetails(
        title,
        collector,
        email=email,
        phone=phone,
        organization=organization,
        incident=incident,
        jurisdiction=jurisdiction,
        references=tuple(references),
        timezone=tz,
        victim={"name": victim, "phone": victim_phone, "email": victim_email} if victim else None,
    )
    result = init_case(
        Path(directory),
        details,
        ask_passphrase=util.ask_passphrase,
        new_passphrase=new_passphrase,
        on_new_key=on_new_key,
    )
    return result, title, collector


@click.group()
def key() -> None:
    """Your signing key (kept in your key store, never in a case)."""


@key.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def key_show(as_json: bool) -> None:
    """Print your public key's fingerprint."""
    from evidence_kit.app.case import show_key
    from evidence_kit.store.signing import fingerprint

    shown = show_key()
    if as_json:
        util.emit_json(
            {
                "key_id": shown.key_id,
                "fingerprint": fingerprint(shown.key_id),
                "home": str(shown.home),
                "public_key_pem": shown.public_key_pem,
            }
        )
        return
    click.echo(f"Fingerprint: {fingerprint(shown.key_id)}")
    click.echo(f"Key ID:      {shown.key_id}")
    click.echo(f"Key store:   {shown.home / 'keys'}")
