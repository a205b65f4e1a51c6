"""Shared pieces of the command line: terminals, prompts, JSON output, safe text, progress.

Every command module of :mod:`evidence_kit.cli` uses these so that every command asks, warns
and prints the same way; they are also the callbacks handed to the application layer
(:func:`signer`, :func:`warn`, :func:`progress`). Only click and the standard library at import
time.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from evidence_kit.util import human_size, visible_char
from evidence_kit.util import printable as printable

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.app.session import Progress
    from evidence_kit.store.signing import Signer


def tty_in() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def tty_err() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


def ask_passphrase(prompt: str) -> str | None:
    if not tty_in():
        return None
    return str(click.prompt(prompt, hide_input=True, err=True))


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON. Text is kept exactly (readers parse it back unchanged), but every
    character :func:`printable` would escape is written as a JSON ``\\uXXXX`` escape, so that
    JSON on a terminal cannot drive it either (JSON itself escapes only U+0000-U+001F)."""
    click.echo(json_text(obj, indent=2))


def json_text(obj: Any, indent: int | None = None) -> str:
    """``obj`` as JSON text, escaped as :func:`emit_json` prints it (compact without indent)."""
    text = json.dumps(
        obj,
        indent=indent,
        ensure_ascii=False,
        separators=None if indent else (",", ":"),
    )
    return _INVISIBLE_IN_JSON.sub(_json_escape, text)


#: Candidates for :func:`_json_escape`: anything but a line break and printable ASCII.
_INVISIBLE_IN_JSON = re.compile(r"[^\n\x20-\x7e]")


def _json_escape(match: re.Match[str]) -> str:
    ch = match.group()
    if visible_char(ch) == ch:
        return ch
    code = ord(ch)
    if code > 0xFFFF:  # as a UTF-16 surrogate pair, the only way JSON escapes it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def warn(message: str) -> None:
    """One line for the person on standard error; names it quotes are shown safely."""
    click.echo(printable(message), err=True)


def case_start(ctx: click.Context) -> Path:
    start = ctx.obj.get("case") if ctx.obj else None
    return Path(start) if start else Path.cwd()


def signer() -> Signer:
    """The collector's signer; the passphrase is asked on a terminal if the key has one."""
    from evidence_kit.store.signing import load_signer

    return load_signer(ask_passphrase)


def shown_progress() -> Progress | None:
    """The progress display for the application layer: only on a terminal."""
    return progress if tty_err() else None


#: Set by a command that has finished everything it does (all output written, nothing left to
#: close): the console script may then end the process without the interpreter's teardown.
fast_exit = False


def exit_without_teardown() -> None:
    """Let ``main`` skip the interpreter's teardown: after a verify of a big case, freeing
    its hundred thousand objects one by one took ~20 ms of a ~400 ms run."""
    global fast_exit
    fast_exit = True


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


def original_text(original: dict[str, Any], key: str) -> str:
    """An item's original ``name`` or ``path`` for a terminal. A name that was not valid UTF-8
    is recorded as text with U+FFFD plus its exact bytes (``name_hex``/``path_hex``): shown
    from those bytes, the undecodable ones as ``\\xNN`` (``caf\\xe9.txt``)."""
    exact = original.get(f"{key}_hex")
    if isinstance(exact, str):
        try:
            return printable(bytes.fromhex(exact).decode("utf-8", "surrogateescape"))
        except ValueError:
            pass
    value = original.get(key)
    return printable(str(value)) if value is not None else ""
