"""Tiny helpers shared by the core and the command line (standard library only: start-up cost)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def human_size(n: int) -> str:
    """``16008`` -> ``16.0 KB`` (decimal units, as file managers show them)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"


def optional_module(name: str) -> ModuleType | None:
    """Import one of evkit's own optional modules; None if it is not part of this build.

    A module that exists but fails to import because *its* dependency is missing is a packaging
    bug, so that error propagates.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def hostname() -> str:
    """This computer's network name, as ``socket.gethostname()`` gives it (``uname`` on POSIX:
    the same value, without importing ``socket`` on every command)."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        return str(uname().nodename)
    import socket

    return socket.gethostname()


def _fs_bytes(name: str) -> bytes:
    try:
        return os.fsencode(name)
    except UnicodeEncodeError:  # a lone surrogate that did not come from the file system
        return name.encode("utf-8", "surrogatepass")


def fs_text(name: str) -> str:
    """A name from the file system as valid Unicode text, for records and JSON.

    POSIX names are bytes; Python keeps bytes that are not UTF-8 as lone surrogates, which no
    JSON encoder accepts. Those bytes become U+FFFD (as file managers show them); the exact
    bytes are kept by :func:`fs_hex`.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return _fs_bytes(name).decode("utf-8", "replace")
    return name


def fs_hex(name: str) -> str | None:
    """The exact bytes of a file-system name in hex when it is not valid UTF-8, else None."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return _fs_bytes(name).hex()
    return None


def printable(text: str) -> str:
    """Recorded or foreign text made safe to show on a terminal: THE one function every
    command uses for names, titles, notes, paths and messages that quote them.

    Hostile text must neither drive the terminal nor disguise itself, so every character
    that could is shown as a visible escape: control characters (ESC ``\\x1b``, BEL
    ``\\x07``, CR ``\\r``, LF ``\\n``, tab, DEL, C1), line and paragraph separators,
    invisible format characters such as the bidirectional overrides (U+202E ``\\u202e``) and
    zero-width characters, and private-use or unassigned code points. Bytes of a file name
    that are not UTF-8 (lone surrogates) are shown as the byte, ``\\xe9``. Letters of any
    script, symbols, emoji and spaces (including no-break spaces) are kept as they are.
    ``--json`` output does not use this: escaping there is JSON's job. Text files meant to
    be read in a terminal (VERIFY.txt, receipts) use it for every recorded value too.
    """
    if text.isprintable():
        return text
    return "".join(visible_char(ch) for ch in text)


def visible_char(ch: str) -> str:
    """One character as :func:`printable` shows it."""
    if ch.isprintable():
        return ch
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    import unicodedata

    if unicodedata.category(ch) == "Zs":  # a space of another width: harmless, keep it
        return ch
    return repr(ch)[1:-1]  # \\x1b, \\n, \\u202e, \\U000f0000
