"""``evkit add``, ``list``, ``show``, ``log``, ``extract`` and ``identifiers``: the evidence."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, NoReturn

import click

from evidence_kit.cli import util
from evidence_kit.cli.views import event_summary, p
from evidence_kit.errors import EXIT_INCOMPLETE, EXIT_USAGE, UsageError

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.ingest.add import Problem
    from evidence_kit.models import Item


# ---- add ------------------------------------------------------------------------------------
def _unescaped(line: str) -> str:
    """A path read from standard input as written; but a line pasted from a terminal with its
    spaces escaped (``My\\ File.png``) that names no file as written is read as the terminal
    meant it, when that names a file (a backslash in a name is rare, a pasted path is not)."""
    from evidence_kit.ingest.droppaths import normalize_dropped, split_dropped

    if "\\" not in line or os.path.lexists(normalize_dropped(line)):
        return line
    try:
        words = split_dropped(line)
    except ValueError:
        return line
    if len(words) == 1 and os.path.lexists(normalize_dropped(words[0])):
        return words[0]
    return line


def _read_paths(args: tuple[str, ...]) -> tuple[list[str], list[Problem]]:
    """The paths to add, and the dragged lines that could not be read as paths (each is
    reported as not added, so that none is missed)."""
    from evidence_kit.ingest.add import Problem
    from evidence_kit.ingest.droppaths import normalize_dropped, split_dropped, split_lines

    paths: list[str] = []
    unread: list[Problem] = []
    for arg in args:
        if arg == "-":
            data = sys.stdin.read() if sys.stdin is not None else ""
            paths.extend(_unescaped(p) for p in split_lines(data))
        elif arg[:6].lower() == "file:/":
            paths.extend(split_lines(arg))
        else:
            paths.append(arg)
    if not args:
        if not util.tty_in():
            raise UsageError(
                "No files given.",
                hint="Name files or folders, or use 'evkit add -' "
                "to read paths from standard input.",
            )
        util.warn("Drag files or folders here and press Enter (an empty line to finish):")
        while True:
            line = sys.stdin.readline()
            if not line.strip():
                break
            try:
                paths.extend(split_dropped(line))
            except ValueError:
                whole = line.strip(" \t\r\n")
                if os.path.lexists(normalize_dropped(whole)):  # typed, with an apostrophe
                    paths.append(whole)
                    continue
                unread.append(
                    Problem(
                        whole,
                        "could not be read as the name of a file (it has a "
                        "quote or apostrophe that is not closed). Drag the file "
                        "in again, or type its name inside double quotes.",
                        "unreadable",
                    )
                )
                util.warn(
                    "  That line could not be read as a file name; drag the file in "
                    "again, or press Enter to finish."
                )
    return paths, unread


@click.command()
@click.argument("paths", nargs=-1)
@click.option("--note", help="A note kept with these items (what they are, why they matter).")
@click.option("--source", help="Where the files came from, e.g. 'WhatsApp export', 'Gmail'.")
@click.option(
    "--sensitive",
    is_flag=True,
    help="Mark these items sensitive (e.g. intimate "
    "images): never shown in reports, withheld from handovers by default.",
)
@click.option(
    "--no-extract", is_flag=True, help="Do not read metadata now (evkit extract can do it later)."
)
@click.pass_context
def add(
    ctx: click.Context,
    paths: tuple[str, ...],
    note: str | None,
    source: str | None,
    sensitive: bool,
    no_extract: bool,
) -> None:
    """Copy files and folders into the case, hashed, recorded and sealed.

    PATHS may be files, folders (added recursively), file:// URIs, or '-' to read one path per
    line from standard input. With no PATHS in a terminal, evkit asks you to drag files in.
    Your original files are only read, never changed.
    """
    from evidence_kit.app.evidence import AddOptions, add_files

    result = add_files(
        util.case_start(ctx),
        lambda: _read_paths(paths),
        AddOptions(note=note, source=source, sensitive=sensitive, extract=not no_extract),
        get_signer=util.signer,
        on_recover=util.warn,
        progress=util.shown_progress(),
    )
    for problem in result.notes:
        util.warn(f"note: {problem.path} {problem.message}")
    added = result.added
    if added:
        ids = f"{added[0].id}" if len(added) == 1 else f"{added[0].id}-{added[-1].id}"
        size = sum(i.size for i in added)
        kids = sum(1 for i in added if i.parent)
        extra = f", including {kids} attachment(s) found inside" if kids else ""
        click.echo(f"Added {len(added)} item(s) ({util.size_text(size)}) as {ids}{extra}.")
    for dup in result.duplicates:
        shown = util.original_text(
            {"path": dup.get("original_path") or dup.get("name"), "path_hex": dup.get("path_hex")},
            "path",
        )
        click.echo(
            f"Already in the case: {shown} is identical to "
            f"{util.printable(str(dup['same_as']))}, so it was not stored twice "
            "(noted in the log)."
        )
    if result.skipped_system:
        click.echo(f"Skipped {result.skipped_system} system file(s) such as .DS_Store.")
    if result.anything_added:
        click.echo("The case is sealed. Run 'evkit verify' at any time to check it.")
    if result.failures:
        _not_added(ctx, list(result.failures), anything_added=result.anything_added)


def _not_added(ctx: click.Context, failures: list[Problem], *, anything_added: bool) -> NoReturn:
    """End ``add`` when something was left out: the LAST line says so, and the exit code is not
    0 (2 when every file left out is a path that does not exist, else 3)."""
    if len(failures) == 1:
        f = failures[0]
        util.warn(f"1 file was NOT added: {f.path} {f.message}")
    else:
        for f in failures:
            util.warn(f"  not added: {f.path} {f.message}")
        rest = " The other files were added." if anything_added else ""
        util.warn(f"{len(failures)} files were NOT added (listed above).{rest}")
    only_missing = all(f.kind == "missing" for f in failures)
    ctx.exit(EXIT_USAGE if only_missing else EXIT_INCOMPLETE)


# ---- list / show / log ----------------------------------------------------------------------
@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def list_items(ctx: click.Context, as_json: bool) -> None:
    """List the items in the case."""
    from evidence_kit.app.evidence import list_items as items_of

    items = items_of(util.case_start(ctx), get_signer=util.signer, on_recover=util.warn)
    if as_json:
        util.emit_json([it.to_dict() for it in items])
        return
    if not items:
        click.echo("No items yet. Add files with: evkit add <files or folders>")
        return
    from evidence_kit.extractors.findings.base import type_label  # formatting only

    click.echo(f"{'ID':<6} {'Size':>9}  {'Type':<24} {'Fingerprint':<16}  Name")
    for it in items:
        name = (util.original_text(it.original, "name") or it.name) + (
            f"  (from {it.parent['id']})" if it.parent else ""
        )
        flag = " [sensitive]" if it.sensitive else ""
        click.echo(
            util.printable(
                f"{it.id:<6} {util.size_text(it.size):>9}  {type_label(it.mime)[:24]:<24} "
                f"{it.sha256[:16]}  "
                f"{name}{flag}"
            )
        )
    click.echo(f"{len(items)} item(s), {util.size_text(sum(i.size for i in items))}")


_MARKS = {"warning": "Warning:", "notable": "Worth a look:", "fact": "-"}


@click.command()
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (the record).")
@click.option("--full", is_flag=True, help="Also every detail evkit recorded and read.")
@click.pass_context
def show(ctx: click.Context, item_id: str, as_json: bool, full: bool) -> None:
    """Show what one item is and what it shows (e.g. evkit show E0003).

    First a plain summary and the findings (warnings first); --full adds every detail
    recorded about the item and read from the file; --json prints the stored record.
    """
    from evidence_kit.app.evidence import describe_item

    view = describe_item(
        util.case_start(ctx), item_id, get_signer=util.signer, on_recover=util.warn
    )
    item, desc = view.item, view.description
    if as_json:
        util.emit_json(item.to_dict())
        return
    name = util.original_text(item.original, "name") or util.printable(item.name)
    click.echo(f"{util.printable(item.id)}  {name}")
    click.echo(util.printable(desc.summary))
    if desc.findings:
        click.echo("")
        click.echo("What it shows:")
        for f in desc.findings:
            click.echo(util.printable(f"  {_MARKS.get(f.severity, '-')} {f.text}"))
    click.echo("")
    meta = (item.extraction or {}).get("metadata") or {}
    if meta.get("conversations"):  # a chat export or mailbox: who, when, how many, warnings
        from evidence_kit.cli.messages import conversation_lines

        click.echo(f"Conversation (list the messages with: evkit messages {item.id}):")
        for line in conversation_lines(meta):
            click.echo(line)
        click.echo("")
    from evidence_kit.timeutil import time_text  # formatting only

    acquired = item.acquired
    added = time_text(acquired.get("at"), view.timezone)
    click.echo(
        util.printable(
            f"Kept in the case as {desc.kind}, {util.size_text(item.size)}; added "
            f"{added or acquired.get('local') or acquired.get('at')} by {acquired.get('by')}"
            + (f", from {item.parent['id']}" if item.parent else "")
            + (" (marked sensitive)" if item.sensitive else "")
            + "."
        )
    )
    click.echo(
        "Fingerprint of the file (SHA-256, a code that changes if one byte changes): "
        + util.printable(item.sha256)
    )
    if not full:
        click.echo(f"Everything recorded about it: evkit show {util.printable(item.id)} --full")
        return
    _show_full(item, view.timezone)


def _show_full(item: Item, tz_name: str) -> None:
    """Every recorded detail of an item (``evkit show --full``)."""
    from evidence_kit.timeutil import time_text  # formatting only

    rec = item.to_dict()
    click.echo("")
    rows = [
        ("SHA-256", item.sha256),
        ("Size", f"{item.size} bytes ({util.size_text(item.size)})"),
        ("Type", item.mime),
        ("Stored as", item.stored),
        ("Original path", util.original_text(item.original, "path") or "-"),
        ("Modified", time_text(item.original.get("modified"), tz_name) or "-"),
        ("Acquired", time_text(item.acquired.get("at"), tz_name) or "-"),
        ("Acquired by", f"{item.acquired.get('by')} on {item.acquired.get('host')}"),
        ("Source", item.acquired.get("source") or "-"),
        ("Note", item.acquired.get("note") or "-"),
        ("Parent", f"{item.parent['id']} ({item.parent.get('role')})" if item.parent else "-"),
        ("Sensitive", "yes" if item.sensitive else "no"),
    ]
    for label, value in rows:
        click.echo(f"  {label:<14} {util.printable(str(value))}")
    ex = rec.get("extraction") or {}
    meta = ex.get("metadata") or {}
    if meta.get("conversations"):  # shown above the details
        meta = {k: v for k, v in meta.items() if k != "conversations"}
    if meta:
        click.echo(util.printable(f"  Metadata ({ex.get('extractor')}):"))
        for line in json.dumps(meta, indent=2, ensure_ascii=False).splitlines()[1:-1]:
            click.echo("  " + util.printable(line))
    for err in ex.get("errors") or []:
        click.echo(f"  Could not read: {util.printable(str(err))}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def log(ctx: click.Context, as_json: bool) -> None:
    """Show the custody log: every event, in order (a duplicate shows where the copy was
    found, from its record)."""
    from evidence_kit.app.evidence import read_log

    events = read_log(util.case_start(ctx), get_signer=util.signer, on_recover=util.warn)
    if as_json:
        util.emit_json(events)
        return
    for ev in events:
        data = ev.get("data") or {}
        summary = event_summary(str(ev.get("action")), data)
        who = (ev.get("actor") or {}).get("name", "?")
        click.echo(
            util.printable(
                f"{ev.get('seq')!s:>4}  {ev.get('at')}  {ev.get('action')!s:<14} {who}: {summary}"
            )
        )


# ---- extract --------------------------------------------------------------------------------
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
    from evidence_kit.app.evidence import extract as reextract

    if not item_ids and not all_items:
        raise UsageError("Name the items to re-extract (e.g. E0003), or give --all.")
    if item_ids and all_items:
        raise UsageError("Give item IDs or --all, not both.")
    result = reextract(
        util.case_start(ctx),
        None if all_items else item_ids,
        get_signer=util.signer,
        on_recover=util.warn,
    )
    if as_json:
        util.emit_json(
            {
                "updated": list(result.updated),
                "new_items": [i.id for i in result.new_items],
                "errors": result.errors,
            }
        )
        return
    click.echo(f"Re-extracted {len(result.updated)} item(s); the case is sealed.")
    for item in result.new_items:
        click.echo(
            f"New item {item.id}: {util.printable(item.name)} "
            f"(found inside {item.parent['id'] if item.parent else '?'})"
        )
    for item_id, errors in result.errors.items():
        for err in errors:
            click.echo(f"{item_id}: could not read: {util.printable(err)}")


# ---- identifiers ----------------------------------------------------------------------------
@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--kind", help="Only this kind (email, url, domain, ip, phone, iban, btc, ...).")
@click.pass_context
def identifiers(ctx: click.Context, as_json: bool, kind: str | None) -> None:
    """List e-mail addresses, URLs, IPs, phones, accounts and wallets found in the evidence."""
    from evidence_kit.app.evidence import identifiers as found_in

    found = found_in(util.case_start(ctx), kind, get_signer=util.signer, on_recover=util.warn)
    if as_json:
        util.emit_json(found)
        return
    if not found:
        click.echo("No identifiers found" + (f" of kind {kind}." if kind else "."))
        return
    for i in found:
        flag = "  [sensitive items only]" if i["sensitive_only"] else ""
        facts = ", ".join(str(i[k]) for k in ("country", "bank") if i.get(k))
        about = f" ({p(facts)})" if facts else ""
        click.echo(
            f"{p(i['kind']):<8} {p(i['value'])}{about}  in {p(', '.join(i['item_ids']))}{flag}"
        )
    click.echo(
        f"{len(found)} identifier(s). Promote one with: evkit suspect add "
        "--from-identifier KIND:VALUE"
    )
