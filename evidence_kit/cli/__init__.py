"""The ``evkit`` command line: parse, call one application function, render, exit with a
documented code.

Each command (in :mod:`~evidence_kit.cli.case`, :mod:`~evidence_kit.cli.evidence`,
:mod:`~evidence_kit.cli.story`, :mod:`~evidence_kit.cli.handover`,
:mod:`~evidence_kit.cli.timestamp`) parses its options, calls one function of
:mod:`evidence_kit.app` and renders the result as text or JSON. Nothing here hashes, signs or
knows the case layout. Errors are translated to a message and an exit code in one place,
:func:`run`.

Exit codes: 0 ok; 1 integrity failure (the evidence or its records changed); 2 usage error (bad
arguments, a path that does not exist); 3 could not complete (case locked, disk full, key
unavailable, unreadable input, interrupted).
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from evidence_kit import __version__
from evidence_kit.cli import util
from evidence_kit.errors import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    EvkitError,
    disk_full_error,
    is_disk_full,
)


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


# ---- the commands, in one explicit place ----------------------------------------------------
# Command modules import only click, the CLI helpers and errors at module level (``evkit --help``
# stays fast); each command imports its application-layer function when it runs.
from evidence_kit.cli import case, evidence, handover, messages, story, timestamp  # noqa: E402

COMMANDS: tuple[click.Command, ...] = (
    case.init,
    evidence.add,
    handover.verify,
    evidence.list_items,
    evidence.show,
    evidence.log,
    case.key,
    evidence.extract,
    story.note,
    story.suspect,
    story.loss,
    story.ref,
    story.timeline,
    story.report,
    story.status,
    story.incident,
    story.victim,
    story.collector,
    story.mark,
    evidence.identifiers,
    messages.messages,
    handover.export,
    handover.exports,
    handover.import_cmd,
    timestamp.timestamp,
)
for _command in COMMANDS:
    cli.add_command(_command)


# ---- entry point ----------------------------------------------------------------------------
def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code; every domain error becomes one line and a code."""
    try:
        code = cli.main(args=argv, prog_name="evkit", standalone_mode=False)
    except EvkitError as err:  # messages may quote names: shown with control characters visible
        click.echo(f"evkit: {util.printable(err.message)}", err=True)
        if err.hint:
            click.echo(f"       {util.printable(err.hint)}", err=True)
        return err.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        import io

        shown = io.StringIO()  # click's message quotes what was typed: shown safely too
        exc.show(file=shown)
        for line in shown.getvalue().splitlines():
            click.echo(util.printable(line), err=True)
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo(
            "\nevkit: stopped. The case was left consistent; run the command again "
            "for anything not finished ('evkit log' shows what was kept).",
            err=True,
        )
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
        click.echo(
            util.printable(f"evkit: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")),
            err=True,
        )
        return EXIT_INCOMPLETE
    except Exception as exc:  # a bug: one line for the user, the traceback kept for a report
        if os.environ.get("EVKIT_DEBUG"):
            raise
        click.echo(
            f"evkit: internal error ({type(exc).__name__}: {util.printable(str(exc))}). "
            "This is a bug in "
            f"evkit; your case was left consistent. {_save_traceback()}",
            err=True,
        )
        return EXIT_INCOMPLETE
    return code if isinstance(code, int) else EXIT_OK


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point."""
    code = run(argv)
    if util.fast_exit:  # see util.exit_without_teardown; output first, as a normal exit would
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            pass
        else:
            os._exit(code)
    sys.exit(code)
