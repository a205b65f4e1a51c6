"""Tests for evidence_kit.ingest.droppaths: what terminals paste when files are dropped on them."""

from __future__ import annotations

import re
import shlex
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evidence_kit.ingest.droppaths import normalize_dropped, split_dropped, split_lines

NFD_MAERZ = unicodedata.normalize("NFD", "Überweisung – März.pdf")
JP_SCREENSHOT = "スクリーンショット 2026-11-20 9.14.07.png"

# (terminal / situation, pasted text, expected paths)
REAL_WORLD: list[tuple[str, str, list[str]]] = [
    # --- macOS Terminal: backslash escapes, a trailing space after each drop ---
    (
        "macOS Terminal screenshot",
        "/Users/jane/Desktop/Screenshot\\ 2026-11-20\\ at\\ 09.14.png ",
        ["/Users/jane/Desktop/Screenshot 2026-11-20 at 09.14.png"],
    ),
    (
        "macOS Terminal several files",
        "/Users/jane/Desktop/Screenshot\\ 2026-11-20\\ at\\ 09.14.png "
        "/Users/jane/Downloads/invoice.pdf /Users/jane/Desktop/chat\\ export.txt ",
        [
            "/Users/jane/Desktop/Screenshot 2026-11-20 at 09.14.png",
            "/Users/jane/Downloads/invoice.pdf",
            "/Users/jane/Desktop/chat export.txt",
        ],
    ),
    (
        "macOS Terminal parentheses",
        "/Users/jane/Downloads/invoice\\ \\(1\\).pdf ",
        ["/Users/jane/Downloads/invoice (1).pdf"],
    ),
    (
        "macOS Terminal apostrophe",
        "/Users/jane/Desktop/Mark\\'s\\ photo.jpg ",
        ["/Users/jane/Desktop/Mark's photo.jpg"],
    ),
    (
        "macOS Terminal ampersand",
        "/Users/jane/Documents/Bank\\ \\&\\ Card\\ statements.pdf",
        ["/Users/jane/Documents/Bank & Card statements.pdf"],
    ),
    (
        "macOS Terminal NFD non-ASCII stays NFD",
        "/Users/jane/Documents/" + NFD_MAERZ.replace(" ", "\\ ") + " ",
        ["/Users/jane/Documents/" + NFD_MAERZ],
    ),
    (
        "macOS Terminal Japanese",
        "/Users/jane/Desktop/" + JP_SCREENSHOT.replace(" ", "\\ ") + " ",
        ["/Users/jane/Desktop/" + JP_SCREENSHOT],
    ),
    (
        "macOS Terminal double quote and dollar",
        '/Users/jane/Desktop/\\"urgent\\"\\ \\$250.png',
        ['/Users/jane/Desktop/"urgent" $250.png'],
    ),
    # --- iTerm2: same escaping, brackets and other specials ---
    (
        "iTerm2 brackets",
        "/Users/jane/Desktop/Chat\\ export\\ \\[WhatsApp\\].txt ",
        ["/Users/jane/Desktop/Chat export [WhatsApp].txt"],
    ),
    (
        "iTerm2 semicolon, hash, exclamation",
        "/Users/jane/Desktop/call\\;log\\ \\#2\\!.csv",
        ["/Users/jane/Desktop/call;log #2!.csv"],
    ),
    (
        "iTerm2 escaped backslash",
        "/Users/jane/Desktop/odd\\\\name.txt",
        ["/Users/jane/Desktop/odd\\name.txt"],
    ),
    # --- GNOME Terminal: single quotes, '\'' for an embedded quote ---
    (
        "GNOME Terminal screenshot",
        "'/home/jane/Pictures/Screenshot from 2026-11-20 09-14-07.png' ",
        ["/home/jane/Pictures/Screenshot from 2026-11-20 09-14-07.png"],
    ),
    (
        "GNOME Terminal embedded quote",
        "'/home/jane/Pictures/Mark'\\''s photo.jpg' ",
        ["/home/jane/Pictures/Mark's photo.jpg"],
    ),
    (
        "GNOME Terminal several files",
        "'/home/jane/Downloads/invoice (1).pdf' '/home/jane/Downloads/Bank & Card.pdf' ",
        ["/home/jane/Downloads/invoice (1).pdf", "/home/jane/Downloads/Bank & Card.pdf"],
    ),
    (
        "GNOME Terminal double quote inside single quotes",
        "'/home/jane/\"urgent\" message.eml'",
        ['/home/jane/"urgent" message.eml'],
    ),
    # --- Konsole / KDE ---
    (
        "Konsole non-ASCII",
        "'/home/jane/Downloads/Überweisung – März.pdf' ",
        ["/home/jane/Downloads/Überweisung – März.pdf"],
    ),
    (
        "Konsole Japanese",
        "'/home/jane/Pictures/" + JP_SCREENSHOT + "'",
        ["/home/jane/Pictures/" + JP_SCREENSHOT],
    ),
    (
        "Konsole unquoted simple path",
        "/home/jane/Downloads/statement.csv",
        ["/home/jane/Downloads/statement.csv"],
    ),
    # --- file:// URIs (xterm/KDE drops, kitty, some file managers) ---
    (
        "file URI with spaces",
        "file:///home/jane/a%20b.png",
        ["/home/jane/a b.png"],
    ),
    (
        "file URI with localhost",
        "file://localhost/home/jane/Screenshot%20from%202026-11-20.png",
        ["/home/jane/Screenshot from 2026-11-20.png"],
    ),
    (
        "file URI UTF-8 percent-encoding",
        "file:///home/jane/Downloads/%C3%9Cberweisung%20%E2%80%93%20M%C3%A4rz.pdf",
        ["/home/jane/Downloads/Überweisung – März.pdf"],
    ),
    (
        "file URI Japanese",
        "file:///home/jane/%E3%82%B9%E3%82%AF%E3%83%AA%E3%83%BC%E3%83%B3%E3%82%B7%E3%83%A7"
        "%E3%83%83%E3%83%88.png",
        ["/home/jane/スクリーンショット.png"],
    ),
    (
        "file URI NFD stays NFD",
        "file:///Users/jane/U%CC%88berweisung.pdf",
        ["/Users/jane/U\u0308berweisung.pdf"],
    ),
    (
        "file URI Windows drive",
        "file:///C:/Users/Jane/My%20File.png",
        ["C:/Users/Jane/My File.png"],
    ),
    (
        "file URI other host is UNC",
        "file://nas/share/evidence/chat.txt",
        ["//nas/share/evidence/chat.txt"],
    ),
    (
        "file URI single slash",
        "file:/home/jane/a%20b.png",
        ["/home/jane/a b.png"],
    ),
    (
        "file URIs one per line (text/uri-list)",
        "file:///home/jane/a.png\r\nfile:///home/jane/b%20c.png\r\n",
        ["/home/jane/a.png", "/home/jane/b c.png"],
    ),
    (
        "quoted file URI",
        "'file:///home/jane/a%20b.png'",
        ["/home/jane/a b.png"],
    ),
    (
        "uppercase scheme",
        "FILE:///home/jane/a.png",
        ["/home/jane/a.png"],
    ),
    # --- Windows Terminal: PowerShell and cmd ---
    (
        "Windows Terminal quoted path",
        '"C:\\Users\\Jane\\Pictures\\Screenshot 2026-11-20 091407.png"',
        ["C:\\Users\\Jane\\Pictures\\Screenshot 2026-11-20 091407.png"],
    ),
    (
        "Windows Terminal unquoted path",
        "C:\\Users\\Jane\\Downloads\\invoice.pdf",
        ["C:\\Users\\Jane\\Downloads\\invoice.pdf"],
    ),
    (
        "Windows Terminal several files",
        '"C:\\Users\\Jane\\My File.png" C:\\Users\\Jane\\b.pdf "D:\\Evidence\\chat log.txt"',
        [
            "C:\\Users\\Jane\\My File.png",
            "C:\\Users\\Jane\\b.pdf",
            "D:\\Evidence\\chat log.txt",
        ],
    ),
    (
        "Windows Terminal lowercase drive, forward slashes",
        "c:/Users/Jane/a.png",
        ["c:/Users/Jane/a.png"],
    ),
    (
        "Windows folder with trailing backslash inside quotes",
        '"C:\\Users\\Jane\\Evidence\\"',
        ["C:\\Users\\Jane\\Evidence\\"],
    ),
    (
        "Windows UNC quoted",
        '"\\\\NAS\\share\\Evidence\\chat log.txt"',
        ["\\\\NAS\\share\\Evidence\\chat log.txt"],
    ),
    (
        "Windows UNC unquoted",
        "\\\\NAS\\share\\a.txt",
        ["\\\\NAS\\share\\a.txt"],
    ),
    (
        "PowerShell single quotes with doubled quote",
        "'C:\\Users\\Jane\\Mark''s photo.jpg'",
        ["C:\\Users\\Jane\\Mark's photo.jpg"],
    ),
    (
        "Windows CRLF lines",
        '"C:\\Users\\Jane\\a b.png"\r\n"C:\\Users\\Jane\\c d.png"\r\n',
        ["C:\\Users\\Jane\\a b.png", "C:\\Users\\Jane\\c d.png"],
    ),
    (
        "Windows non-ASCII",
        '"C:\\Users\\Jürgen\\Downloads\\Überweisung – März.pdf"',
        ["C:\\Users\\Jürgen\\Downloads\\Überweisung – März.pdf"],
    ),
    # --- mixtures, whitespace, duplicates ---
    (
        "every style on one line",
        "/Users/jane/a\\ b.png '/home/jane/c d.png' \"C:\\e f.png\" file:///tmp/g%20h.png",
        ["/Users/jane/a b.png", "/home/jane/c d.png", "C:\\e f.png", "/tmp/g h.png"],
    ),
    (
        "several lines, several files each",
        "'/home/jane/a.png' '/home/jane/b.png'\n/Users/jane/c\\ d.png\n\n  \t\n",
        ["/home/jane/a.png", "/home/jane/b.png", "/Users/jane/c d.png"],
    ),
    (
        "duplicates are kept",
        "/home/jane/a.png /home/jane/a.png",
        ["/home/jane/a.png", "/home/jane/a.png"],
    ),
    (
        "tabs and trailing CR",
        "\t/home/jane/a.png\t/home/jane/b.png\r",
        ["/home/jane/a.png", "/home/jane/b.png"],
    ),
    (
        "no-break space is part of the name",
        "/home/jane/a\u00a0b.png",
        ["/home/jane/a\u00a0b.png"],
    ),
    (
        "POSIX double quotes",
        '"/home/jane/My \\"best\\" file.png"',
        ['/home/jane/My "best" file.png'],
    ),
    (
        "POSIX double quotes keep other backslashes",
        '"/home/jane/a\\b.png"',
        ["/home/jane/a\\b.png"],
    ),
    (
        "line continuation",
        "/home/jane/long\\\nname.png",
        ["/home/jane/longname.png"],
    ),
    (
        "no expansion of variables, globs or tilde",
        "$HOME/*.png ~/a.png",
        ["$HOME/*.png", "~/a.png"],
    ),
    ("empty", "", []),
    ("only whitespace", " \r\n\t\n", []),
    ("an empty quoted word is not a path", "'' \"\"", []),
]


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [pytest.param(p, e, id=name) for name, p, e in REAL_WORLD],
)
def test_split_dropped_real_world(pasted: str, expected: list[str]) -> None:
    assert split_dropped(pasted) == expected


def test_nfd_is_not_normalized() -> None:
    (path,) = split_dropped("'/Users/jane/" + NFD_MAERZ + "'")
    assert path.endswith(NFD_MAERZ)
    assert path != unicodedata.normalize("NFC", path)


@pytest.mark.parametrize(
    "pasted",
    [
        "'/home/jane/My File.png",
        '"C:\\Users\\Jane\\My File.png',
        "/home/jane/Jane's photo.png",
        '/home/jane/a.png "/home/jane/b.png',
        # a quote does not continue onto the next line
        "'/home/jane/a.png\n/home/jane/b.png'",
        '"/home/jane/a.png\n/home/jane/b.png"',
        "'C:\\Users\\Jane\\Mark''s photo.jpg",
    ],
)
def test_unbalanced_quote_is_a_plain_error(pasted: str) -> None:
    with pytest.raises(ValueError, match=r"^a quote is not closed in: "):
        split_dropped(pasted)


def test_unbalanced_quote_message_names_the_line() -> None:
    with pytest.raises(ValueError) as info:
        split_dropped("/home/jane/ok.png\n/home/jane/Jane's photo.png\n/home/jane/x.png")
    assert str(info.value) == "a quote is not closed in: /home/jane/Jane's photo.png"


def test_unbalanced_quote_message_is_shortened() -> None:
    with pytest.raises(ValueError) as info:
        split_dropped("'" + "x" * 500)
    assert len(str(info.value)) < 200
    assert str(info.value).endswith("\u2026")


# --- split_lines (stdin mode: one path per line) ---

SPLIT_LINES: list[tuple[str, str, list[str]]] = [
    (
        "plain lines",
        "/home/jane/My File.png\n/home/jane/b.png\n",
        ["/home/jane/My File.png", "/home/jane/b.png"],
    ),
    (
        "CRLF and surrounding blanks",
        "  /home/jane/a b.png \r\n\r\n\t/home/jane/c.png\r\n",
        ["/home/jane/a b.png", "/home/jane/c.png"],
    ),
    ("whole line single-quoted", "'/home/jane/a b.png'\n", ["/home/jane/a b.png"]),
    (
        "whole line single-quoted with idiom",
        "'/home/jane/Mark'\\''s photo.jpg'",
        ["/home/jane/Mark's photo.jpg"],
    ),
    (
        "whole line double-quoted Windows",
        '"C:\\Users\\Jane\\My File.png"\r\n',
        ["C:\\Users\\Jane\\My File.png"],
    ),
    ("unquoted Windows", "C:\\Users\\Jane\\My File.png", ["C:\\Users\\Jane\\My File.png"]),
    ("backslashes are literal", "/Users/jane/a\\ b.png", ["/Users/jane/a\\ b.png"]),
    ("apostrophe is fine", "/home/jane/Jane's photo.png", ["/home/jane/Jane's photo.png"]),
    ("file URI", "file:///home/x/a%20b.png\n", ["/home/x/a b.png"]),
    ("quoted file URI", "'file:///home/x/a%20b.png'", ["/home/x/a b.png"]),
    ("two quoted words stay as written", "'/a' '/b'", ["'/a' '/b'"]),
    (
        "non-ASCII",
        "/home/jane/Überweisung – März.pdf\n" + "/home/jane/" + JP_SCREENSHOT,
        ["/home/jane/Überweisung – März.pdf", "/home/jane/" + JP_SCREENSHOT],
    ),
    ("duplicates kept", "/a\n/a\n", ["/a", "/a"]),
    ("empty", "\n\n \n", []),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [pytest.param(t, e, id=name) for name, t, e in SPLIT_LINES],
)
def test_split_lines(text: str, expected: list[str]) -> None:
    assert split_lines(text) == expected


# --- normalize_dropped ---


def test_normalize_dropped_expands_tilde(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/jane")
    monkeypatch.setenv("USERPROFILE", "/home/jane")
    assert normalize_dropped("~/Desktop/a b.png").replace("\\", "/") == "/home/jane/Desktop/a b.png"


@pytest.mark.parametrize(
    "path", ["/home/jane/./a.png", "relative/../x.png", "$HOME/a.png", "C:\\Users\\Jane\\a.png"]
)
def test_normalize_dropped_changes_nothing_else(path: str) -> None:
    assert normalize_dropped(path) == path


# --- property tests ---

# "Path-ish": any text except NUL and line breaks, no surrogates (not encodable as paths).
PATHISH = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00\n"),
    min_size=1,
    max_size=40,
)

# What macOS Terminal / iTerm2 escape with a backslash, plus whitespace and the backslash.
MAC_SPECIALS = frozenset(" \t\r\\'\"()&;|<>*?[]{}$`!#~=%,^")

_WINDOWS_LOOKING = re.compile(r"(?:[A-Za-z]:\\|\\)")


def _is_uri(s: str) -> bool:
    return s[:5].lower() == "file:"


def _mac_escape(s: str) -> str:
    return "".join("\\" + c if c in MAC_SPECIALS else c for c in s)


@settings(max_examples=400)
@given(st.lists(PATHISH, max_size=6))
def test_shlex_quote_round_trip(paths: list[str]) -> None:
    assume(not any(_is_uri(p) for p in paths))
    assert split_dropped(" ".join(shlex.quote(p) for p in paths)) == paths


@settings(max_examples=400)
@given(st.lists(PATHISH, max_size=6))
def test_shlex_quote_round_trip_one_per_line(paths: list[str]) -> None:
    assume(not any(_is_uri(p) for p in paths))
    text = "\r\n".join(shlex.quote(p) for p in paths) + "\r\n"
    assert split_dropped(text) == paths
    assert split_lines(text) == paths


@settings(max_examples=400)
@given(st.lists(PATHISH, max_size=6))
def test_macos_backslash_escape_round_trip(paths: list[str]) -> None:
    # Documented limit of the heuristic: a word that opens like a Windows path
    # (``C:\`` or ``\``) keeps its backslashes literal, so it cannot be escaped this way.
    assume(not any(_is_uri(p) or _WINDOWS_LOOKING.match(p) for p in paths))
    text = " ".join(_mac_escape(p) for p in paths) + " "
    assert split_dropped(text) == paths


@settings(max_examples=400)
@given(st.lists(PATHISH, max_size=6))
def test_macos_style_absolute_paths_round_trip(paths: list[str]) -> None:
    absolute = ["/Users/jane/" + p for p in paths]
    text = " ".join(_mac_escape(p) for p in absolute) + " "
    assert split_dropped(text) == absolute


SEGMENT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00/"),
    min_size=1,
    max_size=15,
)
ABSOLUTE_POSIX = st.lists(SEGMENT, min_size=1, max_size=5).map(lambda s: "/" + "/".join(s))


@settings(max_examples=400)
@given(st.lists(ABSOLUTE_POSIX, max_size=6))
def test_file_uri_round_trip(paths: list[str]) -> None:
    # ``/C:/...`` is read as the Windows drive in ``file:///C:/...``: a documented limit.
    assume(not any(re.match(r"/[A-Za-z]:(?:/|$)", p) for p in paths))
    # PurePosixPath so the test means the same on every OS; on POSIX it is pathlib.Path.
    uris = [PurePosixPath(p).as_uri() for p in paths]
    expected = [str(PurePosixPath(p)) for p in paths]
    assert split_dropped(" ".join(uris)) == expected
    assert split_dropped("\r\n".join(uris)) == expected
    assert split_lines("\n".join(uris)) == expected


# --- issue 12, defect 11: file:// URIs keep characters RFC 3986 allows unencoded ---

DEFECT_11_URIS: list[tuple[str, str, list[str]]] = [
    (
        "apostrophe in a file URI (RFC 8089)",
        "file:///home/jane/Jane's%20Desktop/x.png",
        ["/home/jane/Jane's Desktop/x.png"],
    ),
    (
        "apostrophe URI among other drops",
        "'/home/jane/a b.png' file:///home/jane/Jane's%20Desktop/x.png /Users/jane/c\\ d.png",
        ["/home/jane/a b.png", "/home/jane/Jane's Desktop/x.png", "/Users/jane/c d.png"],
    ),
    (
        "sub-delims left unencoded",
        "file:///home/jane/invoice(1)&copy;!*+,=.pdf",
        ["/home/jane/invoice(1)&copy;!*+,=.pdf"],
    ),
    (
        "apostrophe URI, uri-list lines",
        "file:///home/jane/Mark's.png\r\nfile:///home/jane/Jane's%20x.png\r\n",
        ["/home/jane/Mark's.png", "/home/jane/Jane's x.png"],
    ),
    (
        "GNOME-quoted URI with the quote idiom",
        "'file:///home/jane/Jane'\\''s%20Desktop/x.png'",
        ["/home/jane/Jane's Desktop/x.png"],
    ),
]


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [pytest.param(p, e, id=name) for name, p, e in DEFECT_11_URIS],
)
def test_defect_11_file_uri_with_apostrophe_is_accepted(pasted: str, expected: list[str]) -> None:
    assert split_dropped(pasted) == expected
    if "\n" not in pasted and not pasted.startswith("'") and " " not in pasted:
        assert split_lines(pasted) == expected


#: Everything a terminal may leave unencoded in a URI path: printable ASCII but ``%`` and space.
_URI_LITERAL = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in "%")


@settings(max_examples=400)
@given(st.lists(ABSOLUTE_POSIX, max_size=6))
def test_defect_11_minimally_encoded_file_uri_round_trip(paths: list[str]) -> None:
    # Terminals encode as little as they can: quotes, backslashes, brackets stay literal.
    assume(not any(re.match(r"/[A-Za-z]:(?:/|$)", p) for p in paths))
    uris = ["file://" + quote(p, safe=_URI_LITERAL) for p in paths]
    assert split_dropped(" ".join(uris)) == paths
    assert split_dropped("\r\n".join(uris)) == paths
    assert split_lines("\n".join(uris)) == paths
