"""``evkit extract``: re-read metadata from the stored copies (logged; originals untouched)."""

from __future__ import annotations

import click

from evidence_kit import cliutil
from evidence_kit.errors import UsageError


@click.command()
@click.argument("item_ids", nargs=-1)
@click.option("--all", "all_items", is_flag=True, help="Re-extract every item.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def extract(ctx: click.Context, item_ids: tuple[str, ...], all_items: bool, as_json: bool) -> None:
    """Re-run the metadata extractors on stored items (e.g. after upgrading evkit).

    Reads only the stored copies; writes a new revision of each item's record and one
    custody event. Attachments found now for the first time become new items.
    """
    from evidence_kit.ingest import reextract

    if not item_ids and not all_items:
        raise UsageError("Name the items to re-extract (e.g. E0003), or give --all.")
    if item_ids and all_items:
        raise UsageError("Give item IDs or --all, not both.")
    case = cliutil.open_case(ctx)
    report = reextract(case, cliutil.signer(), None if all_items else list(item_ids),
                       on_recover=cliutil.warn)
    if as_json:
        cliutil.emit_json({"updated": report.updated,
                           "new_items": [i.id for i in report.new_children],
                           "errors": report.errors})
        return
    click.echo(f"Re-extracted {len(report.updated)} item(s); the case is sealed.")
    for item in report.new_children:
        click.echo(f"New item {item.id}: {cliutil.printable(item.name)} "
                   f"(found inside {item.parent['id'] if item.parent else '?'})")
    for item_id, errors in report.errors.items():
        for err in errors:
            click.echo(f"{item_id}: could not read: {cliutil.printable(err)}")


COMMANDS = (extract,)
