"""The ``evkit`` command line: parse, call one core function, render, exit with a documented code.

Nothing here hashes, signs or knows the case layout; that is the core's job. Errors from the core
are translated to a message and an exit code in one place, :func:`main`.

Exit codes: 0 ok; 1 integrity failure (the evidence or its records changed); 2 usage error (bad
arguments, a path that does not exist); 3 could not complete (case locked, disk full, key
unavailable, unreadable input, interrupted).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from evidence_kit import __version__, cliutil
from evidence_kit.errors import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    CaseLockedError,
    EvkitError,
    PathNotFoundError,
    UsageError,
    disk_full_error,
    is_disk_full,
)

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.ingest import Problem


# ---- the group ------------------------------------------------------------------------------
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--case",
    "case_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="The case folder to use (default: the current folder or the nearest one above it).",
)
@click.version_option(__version__, prog_name="evkit")
@click.pass_context
def cli(ctx: click.Context, case_dir: str | None) -> None:
    """Preserve evidence of cybercrime so police can trust it.

    evkit copies your files (screenshots, e-mails, statements) byte for byte into a case
    folder, records where and when they came from, and seals everything with your signature,
    so anyone can later check that nothing changed. It never uses the network.

    \b
    Start:   evkit init my-case --title "What happened" --collector "Your name"
    Add:     cd my-case && evkit add ~/Desktop/Screenshot.png ~/Downloads/scam.eml
    Check:   evkit verify
    \b
    Exit codes: 0 ok, 1 evidence or records changed, 2 usage error,
    3 could not complete (locked, disk full, key unavailable, unreadable input).
    """
    ctx.ensure_object(dict)
    ctx.obj["case"] = case_dir


# ---- init -----------------------------------------------------------------------------------
@cli.command()
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
) -> None:
    """Create a new case folder DIRECTORY (and your signing key on first use)."""
    import shlex

    from evidence_kit.case import create_case
    from evidence_kit.signing import create_key, fingerprint, key_exists, key_home, load_signer
    from evidence_kit.timeutil import system_timezone, zone

    if title is None and cliutil.tty_in():
        title = click.prompt("Case title (e.g. 'Romance scam 2026')", err=True)
    if collector is None and cliutil.tty_in():
        collector = click.prompt("Your name (who is collecting the evidence)", err=True)
    if email is None and cliutil.tty_in():
        email = (
            click.prompt(
                "Your e-mail (optional, Enter to skip)", default="", show_default=False, err=True
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
        references.append({"agency": agency.strip(), "number": number.strip()})
    tz = tz or system_timezone()
    try:
        zone(tz)
    except ValueError as exc:
        raise UsageError(str(exc).capitalize() + ".") from exc
    home = key_home()
    ask: Callable[[str], str | None] = cliutil.ask_passphrase
    if not key_exists(home):
        passphrase = os.environ.get("EVKIT_PASSPHRASE")
        if passphrase is None and cliutil.tty_in():
            passphrase = (
                click.prompt(
                    "Choose a passphrase to protect your signing key (Enter for none)",
                    default="",
                    hide_input=True,
                    confirmation_prompt=True,
                    show_default=False,
                    err=True,
                )
                or None
            )
        info = create_key(passphrase or None, home)
        chosen = passphrase
        ask = lambda _prompt: chosen  # noqa: E731 - just chosen: do not ask again
        cliutil.warn(
            f"Created your signing key in {info.home / 'keys'} "
            f"(fingerprint {fingerprint(info.key_id)})."
        )
    signer = load_signer(ask, home)
    case = create_case(
        Path(directory),
        {
            "title": title,
            "collector": {
                k: v
                for k, v in {
                    "name": collector,
                    "email": email,
                    "phone": phone,
                    "organization": organization,
                }.items()
                if v
            },
            "incident": incident,
            "jurisdiction": jurisdiction,
            "references": references,
            "timezone": tz,
        },
        signer,
    )
    click.echo(f"Created case '{cliutil.printable(title)}' in {cliutil.printable(str(case.root))}")
    click.echo(f"Signed by {cliutil.printable(collector)}, "
               f"key fingerprint {fingerprint(signer.key_id)}")
    click.echo(f"Next: cd {cliutil.printable(shlex.quote(directory))} "
               "&& evkit add <files or folders>")


# ---- add ------------------------------------------------------------------------------------
def _read_paths(args: tuple[str, ...]) -> tuple[list[str], list[Problem]]:
    """The paths to add, and the dragged lines that could not be read as paths (each is
    reported as not added, so that none is missed)."""
    from evidence_kit.droppaths import normalize_dropped, split_dropped, split_lines
    from evidence_kit.ingest import Problem

    paths: list[str] = []
    unread: list[Problem] = []
    for arg in args:
        if arg == "-":
            data = sys.stdin.read() if sys.stdin is not None else ""
            paths.extend(split_lines(data))
        elif arg[:6].lower() == "file:/":
            paths.extend(split_lines(arg))
        else:
            paths.append(arg)
    if not args:
        if not cliutil.tty_in():
            raise UsageError(
                "No files given.",
                hint="Name files or folders, or use 'evkit add -' "
                "to read paths from standard input.",
            )
        cliutil.warn("Drag files or folders here and press Enter (an empty line to finish):")
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
                unread.append(Problem(whole, "could not be read as the name of a file (it has a "
                                      "quote or apostrophe that is not closed). Drag the file "
                                      "in again, or type its name inside double quotes.",
                                      "unreadable"))
                cliutil.warn("  That line could not be read as a file name; drag the file in "
                             "again, or press Enter to finish.")
    return paths, unread


@cli.command()
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
    from evidence_kit.ingest import add_files, total_size

    case = cliutil.open_case(ctx)
    given, unread = _read_paths(paths)
    if not given and not unread:
        raise UsageError("No files given.")
    if not given:
        _not_added(ctx, unread, anything_added=False)
    total = total_size(given) if cliutil.tty_err() else 0  # only a progress bar needs it
    signer = cliutil.signer()
    with cliutil.progress(total, "Copying") as step:
        report = add_files(
            case,
            signer,
            given,
            note=note,
            source=source,
            sensitive=sensitive,
            extract=not no_extract,
            progress=step,
            on_recover=cliutil.warn,
        )
    for problem in report.problems:
        if not problem.is_failure:
            cliutil.warn(f"note: {problem.path} {problem.message}")
    added = report.added
    if added:
        ids = f"{added[0].id}" if len(added) == 1 else f"{added[0].id}-{added[-1].id}"
        size = sum(i.size for i in added)
        kids = sum(1 for i in added if i.parent)
        extra = f", including {kids} attachment(s) found inside" if kids else ""
        click.echo(f"Added {len(added)} item(s) ({cliutil.size_text(size)}) as {ids}{extra}.")
    for dup in report.duplicates:
        shown = cliutil.original_text(
            {"path": dup.get("original_path") or dup.get("name"), "path_hex": dup.get("path_hex")},
            "path")
        click.echo(f"Already in the case: {shown} is identical to "
                   f"{cliutil.printable(str(dup['same_as']))}, so it was not stored twice "
                   "(noted in the log).")
    if report.skipped_system:
        click.echo(f"Skipped {report.skipped_system} system file(s) such as .DS_Store.")
    if added or report.duplicates:
        click.echo("The case is sealed. Run 'evkit verify' at any time to check it.")
    if unread or report.failures:
        _not_added(ctx, unread + report.failures, anything_added=bool(added or report.duplicates))


def _not_added(ctx: click.Context, failures: list[Problem], *, anything_added: bool) -> NoReturn:
    """End ``add`` when something was left out: the LAST line says so, and the exit code is not
    0 (2 when every file left out is a path that does not exist, else 3)."""
    if len(failures) == 1:
        p = failures[0]
        cliutil.warn(f"1 file was NOT added: {p.path} {p.message}")
    else:
        for p in failures:
            cliutil.warn(f"  not added: {p.path} {p.message}")
        rest = " The other files were added." if anything_added else ""
        cliutil.warn(f"{len(failures)} files were NOT added (listed above).{rest}")
    only_missing = all(p.kind == "missing" for p in failures)
    ctx.exit(EXIT_USAGE if only_missing else EXIT_INCOMPLETE)


# ---- verify ---------------------------------------------------------------------------------
@cli.command()
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
    # Only what finds the case and starts the hashing is imported first (see layout.py).
    from evidence_kit.fsutil import CaseLock
    from evidence_kit.layout import LOCK_PATH, find_case, has_pending
    from evidence_kit.verify import FolderSource, verify_source
    from evidence_kit.verify_extras import standard_checks

    if target is not None and not Path(target).exists():
        raise PathNotFoundError(f"{target} does not exist.")
    if target is not None and Path(target).is_file():
        if not target.lower().endswith(".zip"):
            raise UsageError(f"{target} is a file; give a case folder or a handover .zip.")
        if record:
            raise UsageError("--record needs a case folder; a handover zip is only read.")
        from evidence_kit.export import open_zip, verify_zip

        with open_zip(Path(target)) as source:
            with cliutil.progress(source.payload_bytes(), "Verifying") as zstep:
                rep = verify_zip(
                    source,
                    expected_key=expected_key,
                    progress=(lambda n: zstep(n, "")) if zstep else None,
                )
        _show_report_and_exit(ctx, rep, as_json)
    root = find_case(Path(target) if target else cliutil.case_start(ctx))
    # A shared lock for the whole check: a command changing the case holds it exclusively
    # until the case is sealed again, so what is read here is always a sealed state, never
    # work in progress (which would look like changes).
    lock = CaseLock(root / LOCK_PATH)
    _lock_to_verify(lock)
    if has_pending(root):  # left by a command that stopped: nobody is working on it now
        from evidence_kit.case import Case

        lock.release()
        try:
            message = Case.open(root).recover_if_needed(cliutil.signer())
        except CaseLockedError:
            raise _busy() from None
        except EvkitError:
            # Not the collector (no key here), or still no room to finish: the interruption
            # is reported as found, "could not check" (exit 3), never as a change.
            message = None
        if message:
            cliutil.warn(message)
        _lock_to_verify(lock)
    try:
        with cliutil.progress(_payload_size(root) if cliutil.tty_err() else 0,
                              "Verifying") as step:
            rep = verify_source(
                FolderSource(root),
                expected_key=expected_key,
                progress=(lambda n: step(n, "")) if step else None,
                extra_checks=standard_checks(),
            )
    finally:
        lock.release()
    if record:
        from evidence_kit.case import Case
        from evidence_kit.narrative import record_verification

        record_verification(Case.open(root), cliutil.signer(), rep)
    _show_report_and_exit(ctx, rep, as_json)


def _busy() -> CaseLockedError:
    return CaseLockedError(
        "Another evkit command is changing this case right now, so it cannot be checked yet.",
        hint="Run 'evkit verify' again when that command has finished.",
    )


def _lock_to_verify(lock: Any) -> None:
    try:
        lock.acquire(exclusive=False)
    except CaseLockedError:
        raise _busy() from None


#: Set by a command that has finished everything it does (all output written, nothing left to
#: close): the console script may then end the process without the interpreter's teardown.
_fast_exit = False


def _exit_without_teardown() -> None:
    """Let :func:`main` skip the interpreter's teardown: after a verify of a big case, freeing
    its hundred thousand objects one by one took ~20 ms of a ~400 ms run."""
    global _fast_exit
    _fast_exit = True


def _show_report_and_exit(ctx: click.Context, rep: Any, as_json: bool) -> NoReturn:
    if as_json:
        cliutil.emit_json(rep.to_dict())
    else:
        _render_report(rep)
    _exit_without_teardown()
    ctx.exit(rep.exit_code)


def _payload_size(root: Path) -> int:
    total = 0
    for dirpath, _d, files in os.walk(root / "data"):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


def _render_report(rep: Any) -> None:
    from evidence_kit.signing import fingerprint

    # Everything below may come from a foreign package: shown with control characters visible.
    p = cliutil.printable
    title = f"'{p(str(rep.title))}'" if rep.title else "(unnamed case)"
    click.echo(f"Verifying case {title} at {p(str(rep.target))}")
    for c in rep.checks:
        click.echo(f"  [{'ok' if c.ok else '!!'}] {p(str(c.name))}: {p(str(c.detail))}")
    if rep.key_id:
        click.echo(p(f"Collector key: {fingerprint(rep.key_id)}  ({rep.key_id})"))
    if rep.seal_sha256:
        click.echo(p(f"Seal: sha256:{rep.seal_sha256}, sealed {rep.sealed_at}"))
    if rep.intact:
        click.echo(
            f"Result: INTACT. All {rep.items} evidence file(s) and {rep.events} custody "
            "event(s) are exactly as sealed."
        )
        return
    word = "CHANGED" if rep.exit_code == 1 else "NOT VERIFIED"
    click.echo(f"Result: {word}. {len(rep.findings)} problem(s) found:")
    for n, f in enumerate(rep.findings, start=1):
        click.echo(f"  {n}. {p(str(f.message))}")


# ---- list / show / log / key --------------------------------------------------------------
@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def list_items(ctx: click.Context, as_json: bool) -> None:
    """List the items in the case."""
    case = cliutil.read_case(ctx)
    items = case.items()
    if as_json:
        cliutil.emit_json([it.to_dict() for it in items.values()])
        return
    if not items:
        click.echo("No items yet. Add files with: evkit add <files or folders>")
        return
    click.echo(f"{'ID':<6} {'Size':>9}  {'Type':<24} {'SHA-256':<16}  Name")
    for it in items.values():
        name = (cliutil.original_text(it.original, "name") or it.name) + (
            f"  (from {it.parent['id']})" if it.parent else "")
        flag = " [sensitive]" if it.sensitive else ""
        click.echo(cliutil.printable(
            f"{it.id:<6} {cliutil.size_text(it.size):>9}  {it.mime[:24]:<24} {it.sha256[:16]}  "
            f"{name}{flag}"
        ))
    click.echo(f"{len(items)} item(s), {cliutil.size_text(sum(i.size for i in items.values()))}")


@cli.command()
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def show(ctx: click.Context, item_id: str, as_json: bool) -> None:
    """Show everything recorded about one item (e.g. evkit show E0003)."""
    case = cliutil.read_case(ctx)
    item = case.item(item_id)
    if as_json:
        cliutil.emit_json(item.to_dict())
        return
    rec = item.to_dict()
    name = cliutil.original_text(item.original, "name") or cliutil.printable(item.name)
    click.echo(f"{cliutil.printable(item.id)}  {name}")
    rows = [
        ("SHA-256", item.sha256),
        ("Size", f"{item.size} bytes ({cliutil.size_text(item.size)})"),
        ("Type", item.mime),
        ("Stored as", item.stored),
        ("Original path", cliutil.original_text(item.original, "path") or "-"),
        ("Modified", item.original.get("modified") or "-"),
        ("Acquired", f"{item.acquired.get('at')} ({item.acquired.get('local')})"),
        ("Acquired by", f"{item.acquired.get('by')} on {item.acquired.get('host')}"),
        ("Source", item.acquired.get("source") or "-"),
        ("Note", item.acquired.get("note") or "-"),
        ("Parent", f"{item.parent['id']} ({item.parent.get('role')})" if item.parent else "-"),
        ("Sensitive", "yes" if item.sensitive else "no"),
    ]
    for label, value in rows:
        click.echo(f"  {label:<14} {cliutil.printable(str(value))}")
    ex = rec.get("extraction") or {}
    meta = ex.get("metadata") or {}
    if meta:
        click.echo(cliutil.printable(f"  Metadata ({ex.get('extractor')}):"))
        for line in json.dumps(meta, indent=2, ensure_ascii=False).splitlines()[1:-1][:200]:
            click.echo("  " + cliutil.printable(line))
    for err in ex.get("errors") or []:
        click.echo(f"  Could not read: {cliutil.printable(str(err))}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def log(ctx: click.Context, as_json: bool) -> None:
    """Show the custody log: every event, in order (a duplicate shows where the copy was
    found, from its record)."""
    case = cliutil.read_case(ctx)
    events = case.events_with_duplicates()
    if as_json:
        cliutil.emit_json(events)
        return
    for ev in events:
        data = ev.get("data") or {}
        summary = _event_summary(str(ev.get("action")), data)
        who = (ev.get("actor") or {}).get("name", "?")
        click.echo(cliutil.printable(
            f"{ev.get('seq')!s:>4}  {ev.get('at')}  {ev.get('action')!s:<14} {who}: {summary}"
        ))


def _event_summary(action: str, data: dict[str, Any]) -> str:
    items = data.get("items") or []
    if action == "case.created":
        return f"created case '{data.get('title')}'"
    if action == "acquire":
        dups = data.get("duplicates") or []
        ids = ", ".join(str(i.get("id")) for i in items[:6]) + (" ..." if len(items) > 6 else "")
        text = f"acquired {len(items)} item(s) {ids}".rstrip()
        return text + (f"; {len(dups)} duplicate(s) not stored twice" if dups else "")
    if action == "recover":
        return (
            f"finished interrupted {', '.join(data.get('interrupted') or [])}: "
            f"{data.get('not_added_count', len(data.get('not_added') or []))} file(s) not added"
        )
    if action == "verify":
        return f"verification: {data.get('result')}"
    if action == "extract":
        return f"re-extracted metadata of {len(items)} item(s)"
    summaries = {
        "note": lambda d: f"note: {str(d.get('text', ''))[:80]}",
        "suspect": lambda d: "suspect: " + ", ".join(
            f"{k}={v}" for k, v in (d.get("details") or {}).items())[:100],
        "loss": lambda d: f"loss: {d.get('amount')} {d.get('currency')} ({d.get('method') or '-'})",
        "ref": lambda d: f"reference: {d.get('agency')} {d.get('number')}",
        "mark": lambda d: f"{d.get('item')} marked "
        + ("sensitive" if d.get("sensitive") else "not sensitive"),
        "report": lambda d: f"report written ({len(d.get('files') or [])} file(s))",
        "transfer": lambda d: f"handover {d.get('export')} to {d.get('recipient')}: "
        f"{len(d.get('included') or [])} item(s), {len(d.get('withheld') or [])} withheld",
        "transfer.cancelled": lambda d: f"handover {d.get('export')} cancelled",
        "timestamp.request": lambda d: f"timestamp request {d.get('id')} for the current seal",
        "timestamp": lambda d: f"trusted timestamp {d.get('id')} by {d.get('tsa')} at "
        f"{d.get('gen_time')}",
    }
    if action in summaries:
        try:
            return summaries[action](data)
        except (TypeError, AttributeError):  # hostile or odd data: fall through to raw JSON
            pass
    return json.dumps(data, ensure_ascii=False)[:120]


@cli.group()
def key() -> None:
    """Your signing key (kept in your key store, never in a case)."""


@key.command("show")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def key_show(as_json: bool) -> None:
    """Print your public key's fingerprint."""
    from evidence_kit.signing import fingerprint, key_home, load_public

    pub = load_public()
    if as_json:
        cliutil.emit_json(
            {
                "key_id": pub.key_id,
                "fingerprint": fingerprint(pub.key_id),
                "home": str(key_home()),
                "public_key_pem": pub.pem.decode(),
            }
        )
        return
    click.echo(f"Fingerprint: {fingerprint(pub.key_id)}")
    click.echo(f"Key ID:      {pub.key_id}")
    click.echo(f"Key store:   {key_home() / 'keys'}")


def _save_traceback() -> str:
    import tempfile
    import traceback

    try:
        fd, path = tempfile.mkstemp(prefix="evkit-error-", suffix=".txt")
        with os.fdopen(fd, "w") as f:
            f.write(f"evkit {__version__}\n{traceback.format_exc()}")
    except OSError:
        return "Run again with EVKIT_DEBUG=1 to see details."
    return f"Details: {path}"


# ---- commands from other modules ------------------------------------------------------------
# Each module exposes COMMANDS (click commands/groups); imported at start-up, so they must import
# only click and cliutil at module level (heavy libraries inside the command functions).
_COMMAND_MODULES = (
    "evidence_kit.cli_extract",
    "evidence_kit.cli_narrative",
    "evidence_kit.cli_export",
    "evidence_kit.cli_timestamp",
)


def _register() -> None:
    from evidence_kit.util import optional_module

    for name in _COMMAND_MODULES:
        module = optional_module(name)
        for command in module.COMMANDS if module is not None else ():
            cli.add_command(command)


_register()


# ---- entry point ----------------------------------------------------------------------------
def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code; every domain error becomes one line and a code."""
    try:
        code = cli.main(args=argv, prog_name="evkit", standalone_mode=False)
    except EvkitError as err:  # messages may quote names: shown with control characters visible
        click.echo(f"evkit: {cliutil.printable(err.message)}", err=True)
        if err.hint:
            click.echo(f"       {cliutil.printable(err.hint)}", err=True)
        return err.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        import io

        shown = io.StringIO()  # click's message quotes what was typed: shown safely too
        exc.show(file=shown)
        for line in shown.getvalue().splitlines():
            click.echo(cliutil.printable(line), err=True)
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("\nevkit: stopped. The case was left consistent; run the command again "
                   "for anything not finished ('evkit log' shows what was kept).", err=True)
        return EXIT_INCOMPLETE
    except KeyboardInterrupt:
        click.echo(
            "\nevkit: stopped (Ctrl-C). The case was left consistent; run the command "
            "again to finish.",
            err=True,
        )
        return EXIT_INCOMPLETE
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        if is_disk_full(exc):  # the same plain words as every other disk-full path
            full = disk_full_error()
            click.echo(f"evkit: {full.message}\n       {full.hint}", err=True)
            return EXIT_INCOMPLETE
        click.echo(cliutil.printable(
            f"evkit: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")), err=True)
        return EXIT_INCOMPLETE
    except Exception as exc:  # a bug: one line for the user, the traceback kept for a report
        if os.environ.get("EVKIT_DEBUG"):
            raise
        click.echo(
            f"evkit: internal error ({type(exc).__name__}: {cliutil.printable(str(exc))}). "
            "This is a bug in "
            f"evkit; your case was left consistent. {_save_traceback()}",
            err=True,
        )
        return EXIT_INCOMPLETE
    return code if isinstance(code, int) else EXIT_OK


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point."""
    code = run(argv)
    if _fast_exit:  # see _exit_without_teardown; output first, as a normal exit would
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            pass
        else:
            os._exit(code)
    sys.exit(code)
