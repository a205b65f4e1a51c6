"""``evkit verify``, ``export``, ``exports`` and ``import``: checking the case and handing it
over (packages for the police). Thin commands over :mod:`evidence_kit.app.verify` and
:mod:`evidence_kit.app.handover`.
"""

from __future__ import annotations

from pathlib import Path

import click

from evidence_kit.cli import util
from evidence_kit.cli.views import printable_values, render_report
from evidence_kit.errors import UsageError


# ---- verify ---------------------------------------------------------------------------------
@click.command()
@click.argument("target", required=False, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--record",
    is_flag=True,
    help="Also log this verification in the case's "
    "custody log (changes the case; default is read-only).",
)
@click.option(
    "--key",
    "expected_key",
    metavar="FINGERPRINT",
    help="Fail unless the case was signed with this key (from the custody form).",
)
@click.pass_context
def verify(
    ctx: click.Context, target: str | None, as_json: bool, record: bool, expected_key: str | None
) -> None:
    """Check that nothing in the case changed since it was sealed.

    Re-hashes every evidence file and checks every manifest, the custody log's chain and
    signatures, and the seal. TARGET is a case folder (default: the current case) or a
    handover .zip made by 'evkit export' (read in place, never unpacked).
    Exit 0 intact, 1 something changed (each difference is named), 3 could not check.
    """
    from evidence_kit.app.verify import verify as check
    from evidence_kit.errors import (
        EXIT_INTEGRITY,
        CaseLockedError,
        EvkitError,
        UnreadableInputError,
        UsageError,
    )

    try:
        rep = check(
            target,
            util.case_start(ctx),
            expected_key=expected_key,
            record=record,
            get_signer=util.signer,
            on_recover=util.warn,
            progress=util.shown_progress(),
        )
    except EvkitError as exc:
        if not as_json or isinstance(exc, UsageError):
            raise
        # A program reading --json gets its answer on stdout too (a busy case, a file that is
        # not a package: could not check, exit 3); the person sees the same words as without
        # --json.
        util.warn(f"evkit: {exc.message}")
        if exc.hint:
            util.warn(f"       {exc.hint}")
        changed = exc.exit_code == EXIT_INTEGRITY
        code = (
            "case.busy"
            if isinstance(exc, CaseLockedError)
            else "package.unreadable"
            if isinstance(exc, UnreadableInputError)
            else "package.changed"
            if changed
            else "not-checked"
        )
        finding = {
            "code": code,
            "message": f"{exc.message} {exc.hint or ''}".strip(),
            "path": None,
            "kind": "changed" if changed else "unchecked",
        }
        util.emit_json(
            {
                "target": target,
                "result": "changed" if changed else "not-verified",
                "findings": [finding],
                "checks": [],
            }
        )
        ctx.exit(exc.exit_code)
    if as_json:
        util.emit_json(rep.to_dict())
    else:
        render_report(rep)
    util.exit_without_teardown()
    ctx.exit(rep.exit_code)


# ---- export ---------------------------------------------------------------------------------
@click.command()
@click.option(
    "--to",
    "dest",
    type=click.Path(),
    metavar="FILE.zip",
    help="Where to write the package (default: <case>-X0001.zip next to the case "
    "folder, or in the current folder). Never inside the case folder.",
)
@click.option(
    "--recipient", metavar="TEXT", help='Who receives it, e.g. "DC Sam Patel, Metropolitan Police".'
)
@click.option("--reference", metavar="CRIME-REF", help="Their crime or case reference number.")
@click.option("--purpose", metavar="TEXT", help="Why it is handed over, e.g. 'investigation'.")
@click.option(
    "--include-sensitive",
    is_flag=True,
    help="Also include items marked sensitive (withheld by default).",
)
@click.option(
    "--since-last",
    is_flag=True,
    help="Supplementary package: only items not handed over in the last handover.",
)
@click.option(
    "--since",
    "since",
    metavar="EXPORT_ID",
    help="Supplementary package: only items not handed over in EXPORT_ID (e.g. X0001).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the receipt as JSON.")
@click.pass_context
def export(
    ctx: click.Context,
    dest: str | None,
    recipient: str | None,
    reference: str | None,
    purpose: str | None,
    include_sensitive: bool,
    since_last: bool,
    since: str | None,
    as_json: bool,
) -> None:
    """Make a handover zip the police can check with their own tools.

    The zip holds the case as a BagIt bag with a VERIFY.txt explaining how to check it with
    sha256sum, the BagIt validator and openssl. The handover is first recorded, signed, in the
    custody log. Sensitive items are withheld (but listed by hash) unless --include-sensitive.
    A receipt with the zip's SHA-256 is saved next to the zip.

    Supplementary handovers (--since-last, --since X0001) carry every record but only the
    evidence not yet handed over in that handover (or the ones it added to); the others are
    listed as withheld, "previously handed over in X0001", and the package checks on its own.
    """
    from evidence_kit.app.handover import Handover
    from evidence_kit.app.handover import export as hand_over

    if recipient is None and util.tty_in():
        recipient = click.prompt(
            'Who receives it (e.g. "DC Sam Patel, Metropolitan Police")', err=True
        )
    if not recipient or not recipient.strip():
        raise UsageError(
            "A handover needs a recipient.",
            hint='Give --recipient "DC Sam Patel, Metropolitan Police".',
        )
    handover = Handover(
        recipient=recipient,
        reference=reference,
        purpose=purpose,
        include_sensitive=include_sensitive,
        since=since,
        since_last=since_last,
        dest=Path(dest) if dest else None,
    )
    result = hand_over(
        util.case_start(ctx),
        handover,
        get_signer=util.signer,
        on_recover=util.warn,
        progress=util.shown_progress(),
    )
    if as_json:
        util.emit_json(result.receipt)
        return
    from evidence_kit.handover.export import receipt_text

    # The receipt quotes the case title and the recipient: shown with control characters
    # visible, so that a line break in them cannot forge a line of the receipt.
    shown = receipt_text(printable_values(result.receipt), result.package.path)
    for line in shown.splitlines():
        click.echo(util.printable(line))
    click.echo("")
    click.echo(
        util.printable(f"Receipt saved as {result.receipt_txt} and {result.receipt_json.name}.")
    )
    for note in result.package.notes:
        click.echo(f"Note: {note}")
    click.echo(
        "Give the recipient the zip; keep the receipt. They can check the package "
        "with the steps in VERIFY.txt inside it."
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def exports(ctx: click.Context, as_json: bool) -> None:
    """List the handovers of this case (from the signed custody log)."""
    from evidence_kit.app.handover import list_exports

    found = list_exports(util.case_start(ctx), get_signer=util.signer, on_recover=util.warn)
    if as_json:
        util.emit_json([s.to_dict() for s in found])
        return
    if not found:
        click.echo('No handovers yet. Make one with: evkit export --recipient "..."')
        return
    for summary in found:
        d = summary.to_dict()
        state = f"  CANCELLED: {d['cancelled']}" if d["cancelled"] else ""
        click.echo(
            util.printable(
                f"{d['export']}  {d['at']}  to {d['recipient']}"
                + (f"  ref {d['reference']}" if d["reference"] else "")
                + state
            )
        )
        reasons: dict[str, int] = {}
        for w in d["withheld"]:
            reasons[str(w.get("reason"))] = reasons.get(str(w.get("reason")), 0) + 1
        held = ", ".join(f"{n} {r}" for r, n in reasons.items()) or "none"
        click.echo(
            util.printable(
                f"       {len(d['included'])} item(s) included; withheld: {held}"
                + (f"; supplementary to {d['supplementary_to']}" if d["supplementary_to"] else "")
            )
        )
        pkg = util.printable(str(d["package"] or "?"))
        if d["cancelled"]:
            click.echo(f"       no package was written (it would have been {pkg})")
            continue
        sha = d["zip_sha256"] or "unknown here (see the receipt next to the zip)"
        click.echo(f"       package {pkg}, SHA-256 {util.printable(str(sha))}")


@click.command("import")
@click.argument("package", type=click.Path(dir_okay=False))
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--key",
    "expected_key",
    metavar="FINGERPRINT",
    help="Fail unless the package was signed with this key (from the custody form).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable verification output.")
@click.pass_context
def import_cmd(
    ctx: click.Context, package: str, directory: str, expected_key: str | None, as_json: bool
) -> None:
    """Unpack a handover zip safely into a new folder, then verify it.

    Nothing is written outside DIRECTORY, which must be new or empty. A package with unsafe
    entries (paths that climb out, links, duplicates, zip bombs) is refused as a whole.
    Exit code as for 'evkit verify': 0 intact, 1 changed, 3 could not check.
    """
    from evidence_kit.app.handover import import_package

    result = import_package(package, directory, expected_key=expected_key)
    if as_json:
        util.emit_json(
            {
                "unpacked": result.count,
                "folder": str(result.folder),
                "verification": result.report.to_dict(),
            }
        )
    else:
        click.echo(util.printable(f"Unpacked {result.count} file(s) into {result.folder}."))
        render_report(result.report)
    ctx.exit(result.report.exit_code)
