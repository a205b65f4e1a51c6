"""Shared pieces of the command line: terminals, prompts, JSON output, opening a case.

Command modules (``cli.py`` and the ``cli_*.py`` modules it registers) use these so that every
command asks, warns and prints the same way. Only click and the standard library at import time.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from evidence_kit.util import human_size

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.case import Case
    from evidence_kit.signing import Signer


def tty_in() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def tty_err() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


def ask_passphrase(prompt: str) -> str | None:
    if not tty_in():
        return None
    return str(click.prompt(prompt, hide_input=True, err=True))


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False))


def warn(message: str) -> None:
    click.echo(message, err=True)


def case_start(ctx: click.Context) -> Path:
    start = ctx.obj.get("case") if ctx.obj else None
    return Path(start) if start else Path.cwd()


def open_case(ctx: click.Context) -> Case:
    from evidence_kit.case import Case

    case = Case.open(case_start(ctx))
    if case.pending():
        # An earlier command was interrupted: finish it before anything else reads the case.
        message = case.recover_if_needed(signer())
        if message:
            warn(message)
    return case


def read_case(ctx: click.Context) -> Case:
    """Open the case for a command that only reads it (list, show, log, ...).

    As :func:`open_case`, then a shared lock is held until the command ends: a command changing
    the case holds it exclusively until the case is sealed again, so what is read is never
    its work in progress (that command is waited for briefly, else "another evkit command is
    working on this case", exit 3).
    """
    from evidence_kit.fsutil import CaseLock
    from evidence_kit.layout import LOCK_PATH

    case = open_case(ctx)
    lock = CaseLock(case.root / LOCK_PATH)
    lock.acquire(exclusive=False)
    if case.pending():  # a command stopped after the check above: finish it first
        lock.release()
        message = case.recover_if_needed(signer())
        if message:
            warn(message)
        lock.acquire(exclusive=False)
    ctx.call_on_close(lock.release)
    return case


def signer() -> Signer:
    from evidence_kit.signing import load_signer

    return load_signer(ask_passphrase)


def size_text(n: int) -> str:
    """``16008`` -> ``16.0 KB``."""
    return human_size(n)


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[int, str], None] | None]:
    """A progress bar on a terminal for work worth waiting for; nothing otherwise."""
    if not tty_err() or total < 64 * 1024 * 1024:
        yield None
        return
    with click.progressbar(
        length=total, label=label, file=sys.stderr, show_pos=False, show_percent=True
    ) as bar:

        def step(n: int, _name: str = "") -> None:
            bar.update(n)

        yield step


def printable(text: str) -> str:
    """Hostile names must not drive the terminal: escape control characters."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
