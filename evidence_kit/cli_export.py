"""``evkit export``, ``evkit exports`` and ``evkit import``: handover packages for the police.

Thin commands over :mod:`evidence_kit.export`: parse, call one core function, print, exit.
Only click, cliutil and errors are imported at start-up; the core is imported inside commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from evidence_kit import cliutil
from evidence_kit.errors import UsageError


@click.command()
@click.option("--to", "dest", type=click.Path(), metavar="FILE.zip",
              help="Where to write the package (default: <case>-X0001.zip next to the case "
                   "folder, or in the current folder). Never inside the case folder.")
@click.option("--recipient", metavar="TEXT",
              help='Who receives it, e.g. "DC Sam Patel, Metropolitan Police".')
@click.option("--reference", metavar="CRIME-REF", help="Their crime or case reference number.")
@click.option("--purpose", metavar="TEXT", help="Why it is handed over, e.g. 'investigation'.")
@click.option("--include-sensitive", is_flag=True,
              help="Also include items marked sensitive (withheld by default).")
@click.option("--since-last", is_flag=True,
              help="Supplementary package: only items not handed over in the last handover.")
@click.option("--since", "since", metavar="EXPORT_ID",
              help="Supplementary package: only items not handed over in EXPORT_ID (e.g. X0001).")
@click.option("--json", "as_json", is_flag=True, help="Print the receipt as JSON.")
@click.pass_context
def export(ctx: click.Context, dest: str | None, recipient: str | None, reference: str | None,
           purpose: str | None, include_sensitive: bool, since_last: bool, since: str | None,
           as_json: bool) -> None:
    """Make a handover zip the police can check with their own tools.

    The zip holds the case as a BagIt bag with a VERIFY.txt explaining how to check it with
    sha256sum, the BagIt validator and openssl. The handover is first recorded, signed, in the
    custody log. Sensitive items are withheld (but listed by hash) unless --include-sensitive.
    A receipt with the zip's SHA-256 is saved next to the zip.

    Supplementary handovers (--since-last, --since X0001) carry every record but only the
    evidence not yet handed over in that handover (or the ones it added to); the others are
    listed as withheld, "previously handed over in X0001", and the package checks on its own.
    """
    from evidence_kit.export import ExportRequest, export_case, plan_export

    if recipient is None and cliutil.tty_in():
        recipient = click.prompt('Who receives it (e.g. "DC Sam Patel, Metropolitan Police")',
                                 err=True)
    if not recipient or not recipient.strip():
        raise UsageError("A handover needs a recipient.",
                         hint='Give --recipient "DC Sam Patel, Metropolitan Police".')
    case = cliutil.open_case(ctx)
    request = ExportRequest(recipient=recipient, reference=reference, purpose=purpose,
                            include_sensitive=include_sensitive, since=since,
                            since_last=since_last, dest=Path(dest) if dest else None)
    total = plan_export(case.items(), case.read_log(), request).payload_bytes
    signer = cliutil.signer()
    with cliutil.progress(total, "Packing") as step:
        result = export_case(case, signer, request,
                             progress=(lambda n: step(n, "")) if step else None,
                             on_recover=cliutil.warn)
    if as_json:
        cliutil.emit_json(result.receipt)
        return
    from evidence_kit.export import receipt_text

    # The receipt quotes the case title and the recipient: shown with control characters
    # visible, so that a line break in them cannot forge a line of the receipt.
    shown = receipt_text(_printable_values(result.receipt), result.package.path)
    for line in shown.splitlines():
        click.echo(cliutil.printable(line))
    click.echo("")
    click.echo(cliutil.printable(
        f"Receipt saved as {result.receipt_txt} and {result.receipt_json.name}."))
    for note in result.package.notes:
        click.echo(f"Note: {note}")
    click.echo("Give the recipient the zip; keep the receipt. They can check the package "
               "with the steps in VERIFY.txt inside it.")


def _printable_values(value: Any) -> Any:
    """A copy of a receipt with every text value made terminal-safe (``cliutil.printable``)."""
    if isinstance(value, str):
        return cliutil.printable(value)
    if isinstance(value, dict):
        return {k: _printable_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable_values(v) for v in value]
    return value


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def exports(ctx: click.Context, as_json: bool) -> None:
    """List the handovers of this case (from the signed custody log)."""
    from evidence_kit.export import list_exports

    case = cliutil.read_case(ctx)
    found = list_exports(case)
    if as_json:
        cliutil.emit_json([s.to_dict() for s in found])
        return
    if not found:
        click.echo("No handovers yet. Make one with: evkit export --recipient \"...\"")
        return
    for summary in found:
        d = summary.to_dict()
        state = f"  CANCELLED: {d['cancelled']}" if d["cancelled"] else ""
        click.echo(cliutil.printable(
            f"{d['export']}  {d['at']}  to {d['recipient']}"
            + (f"  ref {d['reference']}" if d["reference"] else "") + state))
        reasons: dict[str, int] = {}
        for w in d["withheld"]:
            reasons[str(w.get("reason"))] = reasons.get(str(w.get("reason")), 0) + 1
        held = ", ".join(f"{n} {r}" for r, n in reasons.items()) or "none"
        click.echo(cliutil.printable(
            f"       {len(d['included'])} item(s) included; withheld: {held}"
            + (f"; supplementary to {d['supplementary_to']}" if d["supplementary_to"] else "")))
        pkg = cliutil.printable(str(d["package"] or "?"))
        if d["cancelled"]:
            click.echo(f"       no package was written (it would have been {pkg})")
            continue
        sha = d["zip_sha256"] or "unknown here (see the receipt next to the zip)"
        click.echo(f"       package {pkg}, SHA-256 {cliutil.printable(str(sha))}")


@click.command("import")
@click.argument("package", type=click.Path(dir_okay=False))
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--key", "expected_key", metavar="FINGERPRINT",
              help="Fail unless the package was signed with this key (from the custody form).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable verification output.")
@click.pass_context
def import_cmd(ctx: click.Context, package: str, directory: str, expected_key: str | None,
               as_json: bool) -> None:
    """Unpack a handover zip safely into a new folder, then verify it.

    Nothing is written outside DIRECTORY, which must be new or empty. A package with unsafe
    entries (paths that climb out, links, duplicates, zip bombs) is refused as a whole.
    Exit code as for 'evkit verify': 0 intact, 1 changed, 3 could not check.
    """
    from evidence_kit.cli import _render_report
    from evidence_kit.errors import PathNotFoundError
    from evidence_kit.export import import_zip

    if not Path(package).exists():
        raise PathNotFoundError(f"{package} does not exist.")
    count, rep = import_zip(Path(package), Path(directory), expected_key=expected_key)
    if as_json:
        cliutil.emit_json({"unpacked": count, "folder": str(Path(directory).resolve()),
                           "verification": rep.to_dict()})
    else:
        click.echo(cliutil.printable(f"Unpacked {count} file(s) into {Path(directory).resolve()}."))
        _render_report(rep)
    ctx.exit(rep.exit_code)


COMMANDS = (export, exports, import_cmd)
