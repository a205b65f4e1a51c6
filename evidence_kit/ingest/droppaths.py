"""Turn what a terminal pastes when files are dragged into it back into file paths.

Victims drag evidence from their file manager into the terminal. Every terminal writes
the dropped paths differently:

* macOS Terminal and iTerm2 escape spaces and shell specials with a backslash:
  ``/Users/jane/Desktop/Screenshot\\ 2026-11-20\\ at\\ 09.14.png``
* GNOME Terminal, Konsole and other Linux terminals wrap the path in single quotes and
  write an embedded quote as ``'\\''``: ``'/home/jane/Mark'\\''s photo.jpg'``
* Windows Terminal (PowerShell, cmd) wraps paths with spaces in double quotes, and the
  backslashes inside are path separators: ``"C:\\Users\\Jane\\My File.png"``
* some terminals and file managers drop ``file://`` URIs, percent-encoded:
  ``file:///home/jane/a%20b.png``

:func:`split_dropped` reads any mix of these (several files on a line, several lines);
:func:`split_lines` reads one path per line (stdin mode). Neither touches the file
system, and nothing is expanded: no ``$VARS``, no globs, no ``~`` (see
:func:`normalize_dropped` for that).
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

__all__ = ["normalize_dropped", "split_dropped", "split_lines"]

#: Characters that separate paths outside quotes. Deliberately ASCII only: a
#: no-break or ideographic space is part of a file name, never a separator.
_SEPARATORS = frozenset(" \t\r\n")

#: A token that opens like a Windows path (``C:\``, ``\\server``), possibly inside a
#: quote. In such a token a backslash is a path separator, never an escape.
_WINDOWS_START = re.compile(r"""["']?(?:[A-Za-z]:\\|\\\\)""")

#: After a backslash inside POSIX double quotes, only these characters are escaped.
_DQUOTE_ESCAPABLE = frozenset('"\\$`')

#: A word that opens as an absolute ``file:`` URI (``file:/``, ``file://``, ``file:///``).
_URI_START = re.compile(r"file:/", re.IGNORECASE)

#: ``/C:/Users/...`` as found in ``file:///C:/Users/...``.
_URI_DRIVE = re.compile(r"/[A-Za-z]:(?:/|$)")

_SNIPPET_MAX = 120


def _unclosed_quote(text: str, pos: int) -> ValueError:
    """Build the error for a quote opened at ``text[pos]`` and never closed on its line."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start:] if end < 0 else text[start:end]
    line = line.strip(" \t\r")
    if len(line) > _SNIPPET_MAX:
        line = line[: _SNIPPET_MAX - 1] + "\u2026"
    return ValueError(f"a quote is not closed in: {line}")


def _line_break_at(text: str, pos: int) -> int:
    """Return the length of a line break (``\\n`` or ``\\r\\n``) at ``pos``, else 0."""
    if text.startswith("\r\n", pos):
        return 2
    if text.startswith("\n", pos):
        return 1
    return 0


def _single_quoted(text: str, pos: int, windows: bool, out: list[str]) -> int:
    """Read a single-quoted segment opening at ``text[pos]``; return the index after it.

    Everything inside is literal. In a Windows-looking token a doubled quote (``''``) is
    PowerShell's way of writing one quote, and is read as one.
    """
    i = pos + 1
    while True:
        end = text.find("'", i)
        if end < 0 or text.find("\n", i, end) >= 0:
            raise _unclosed_quote(text, pos)
        out.append(text[i:end])
        if windows and text.startswith("'", end + 1):
            out.append("'")
            i = end + 2
            continue
        return end + 1


def _double_quoted(text: str, pos: int, windows: bool, out: list[str]) -> int:
    """Read a double-quoted segment opening at ``text[pos]``; return the index after it.

    In a Windows-looking token every backslash is literal (``"C:\\Users\\Jane\\"``).
    Otherwise POSIX rules apply: a backslash escapes only ``" \\ $ ``` and a line break.
    """
    i = pos + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return i + 1
        if c == "\n":
            break
        if c == "\\" and not windows and i + 1 < n:
            brk = _line_break_at(text, i + 1)
            if brk:
                i += 1 + brk  # POSIX line continuation: both vanish
                continue
            if text[i + 1] in _DQUOTE_ESCAPABLE:
                out.append(text[i + 1])
                i += 2
                continue
        out.append(c)
        i += 1
    raise _unclosed_quote(text, pos)


def _tokenize(text: str) -> list[str]:
    """Split ``text`` into shell-like words, without any expansion.

    Quotes do not span lines: a quote still open at the end of its line is an error,
    which catches the common mistake of a typed, unescaped apostrophe (``Jane's``).
    Words that are empty after unquoting (``''``) are dropped: no path is empty.

    An unquoted word that opens as a ``file:/`` URI is taken literally up to the next
    separator: a URI has its spaces percent-encoded, and RFC 3986 lets an apostrophe, a
    parenthesis or an ampersand stand as they are (``file:///home/jane/Jane's%20Desktop/x.png``
    is what terminals paste), so quotes and backslashes there are part of the name.
    """
    tokens: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        if text[i] in _SEPARATORS:
            i += 1
            continue
        if _URI_START.match(text, i):
            end = i
            while end < n and text[end] not in _SEPARATORS:
                end += 1
            tokens.append(text[i:end])
            i = end
            continue
        windows = _WINDOWS_START.match(text, i) is not None
        parts: list[str] = []
        while i < n and text[i] not in _SEPARATORS:
            c = text[i]
            if c == "'":
                i = _single_quoted(text, i, windows, parts)
            elif c == '"':
                i = _double_quoted(text, i, windows, parts)
            elif c == "\\" and not windows:
                if i + 1 >= n:  # a lone backslash at the very end: keep it
                    parts.append(c)
                    i += 1
                    continue
                brk = _line_break_at(text, i + 1)
                if brk:
                    i += 1 + brk  # POSIX line continuation
                else:
                    parts.append(text[i + 1])
                    i += 2
            else:
                parts.append(c)
                i += 1
        word = "".join(parts)
        if word:
            tokens.append(word)
    return tokens


def _from_file_uri(word: str) -> str:
    """Decode ``word`` if it is a ``file:`` URI; return it unchanged otherwise.

    ``file:///p``, ``file://localhost/p`` and ``file:/p`` give ``/p``;
    ``file:///C:/p`` gives ``C:/p`` (Windows accepts forward slashes); a URI naming
    another host gives the UNC-style ``//host/p``. Percent escapes are decoded as UTF-8;
    bytes that are not UTF-8 become lone surrogates, as :func:`os.fsdecode` does.
    The rest of the URI is taken as path: ``?`` and ``#`` are not special, because
    terminals that do not encode them put them there only as part of a file name.
    """
    if word[:5].lower() != "file:":
        return word
    rest = word[5:]
    if rest.startswith("//"):
        authority_end = rest.find("/", 2)
        if authority_end < 0:
            return word  # ``file://host`` with no path: not something we can open
        host = rest[2:authority_end]
        path = rest[authority_end:]
        if re.fullmatch(r"[A-Za-z]:", host):  # the malformed ``file://C:/Users/...``
            path = "/" + host + path
        elif host and host.lower() != "localhost":
            path = "//" + host + path
    elif rest.startswith("/"):
        path = rest
    else:
        return word  # ``file:name`` is a relative file name, not a URI
    path = unquote(path, encoding="utf-8", errors="surrogateescape")
    if _URI_DRIVE.match(path):
        path = path[1:]
    return path


def split_dropped(text: str) -> list[str]:
    """Return the paths in ``text`` as pasted by a terminal when files are dropped on it.

    Any mix of macOS backslash escapes, single quotes (with the ``'\\''`` idiom),
    double quotes and ``file://`` URIs (quoted or not; unquoted, their apostrophes and other
    characters RFC 3986 allows are literal) is accepted; paths are separated by unquoted
    spaces, tabs and line breaks (``\\r\\n`` included). Outside quotes a backslash
    escapes the next character, as in a POSIX shell, except in a word that starts like
    a Windows path (``C:\\``, ``\\\\server``, optionally after an opening quote): there
    every backslash is a literal path separator, and a doubled single quote inside
    single quotes is one quote (PowerShell). Names are returned exactly as written: no
    Unicode normalization, no variable, glob or ``~`` expansion.

    Paths are returned in order; duplicates are kept so that the caller can report them.

    Raises:
        ValueError: a quote is not closed on its line; the message quotes that line.
    """
    return [_from_file_uri(word) for word in _tokenize(text)]


def split_lines(text: str) -> list[str]:
    """Return one path per non-empty line of ``text`` (stdin mode).

    Lines are never split on spaces and backslashes are kept as they are. Surrounding
    spaces, tabs and ``\\r`` are removed. A line that is quoted as a whole
    (``'/home/jane/My File.png'``, ``"C:\\Users\\Jane\\My File.png"``, including the
    ``'\\''`` idiom) is unquoted; a line that merely starts and ends with a quote but is
    not one quoted word is kept as written. ``file://`` URIs are decoded.
    """
    paths: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip(" \t\r\f\v")
        if not line:
            continue
        if len(line) >= 2 and line[0] in "'\"" and line[-1] == line[0]:
            try:
                words = _tokenize(line)
            except ValueError:
                words = []
            if len(words) == 1:
                line = words[0]
        paths.append(_from_file_uri(line))
    return paths


def normalize_dropped(path: str) -> str:
    """Expand a leading ``~`` or ``~user`` to the home directory; change nothing else."""
    return os.path.expanduser(path)
