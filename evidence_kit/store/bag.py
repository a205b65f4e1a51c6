"""BagIt 1.0 (RFC 8493) files: declaration, bag-info, payload and tag manifests, safe names.

evkit writes bags that any BagIt validator accepts, and parses manifests defensively, because
a bag handed to us (or back to us) may have been tampered with: no absolute paths, no ``..``,
no paths outside ``data/`` in the payload manifest, and CR/LF/% percent-encoded as RFC 8493 says.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
PAYLOAD_MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
BAG_INFO = "bag-info.txt"
BAGIT = "bagit.txt"

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
#: One line in the common form, ``<lower-case hex>  <path>``, whose path needs no decoding and
#: is safe by its characters alone: it does not start with white space or ``*`` (both would be
#: stripped), ``/``, ``.`` or a drive letter; it holds no ``%``, backslash or NUL; it does not
#: end in CR, ``/`` or ``/.``. Only "..", "//" and "/./" are left to look for (see below).
_STANDARD_LINE = re.compile(
    r"^([0-9a-f]{64})  ((?![A-Za-z]:)[^\s*%/.\\\x00][^\n%\\\x00]*)(?<![\r/])(?<!/\.)\n",
    re.MULTILINE,
)


def safe_name(item_id: str, original_name: str, max_len: int = 80) -> str:
    """A file name that trips no tool: ``E0001_Screenshot_2026-11-20_at_09.14.png``.

    ASCII only (NFKD with accents dropped, so NFC and NFD spellings give the same name), no
    spaces, quotes, backslashes or control characters, no leading dot, bounded length. The item
    ID prefix makes it unique; the original name is kept, exactly, in the item record.
    """
    base = original_name.replace("\\", "/").rsplit("/", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = ascii_name.rpartition(".")
    if not dot:
        stem, ext = ascii_name, ""
    stem = _SAFE.sub("_", stem).strip("._-")
    ext = _SAFE.sub("", ext)[:12]
    stem = stem[: max(1, max_len - len(ext) - len(item_id) - 2)] or "file"
    return f"{item_id}_{stem}" + (f".{ext}" if ext else "")


def neutral_name(item_id: str, original_name: str, mime: str) -> str:
    """The stored name of a sensitive file: its ID and an extension only (``E0004.jpg``).

    The extension is the original's when it is a known file type's, else the detected type's:
    nothing else from the original name, which may say what the file shows.
    """
    import mimetypes

    ext = "." + safe_name(item_id, original_name).rpartition(".")[2]
    if not mimetypes.guess_type("x" + ext, strict=False)[0]:
        ext = mimetypes.guess_extension(mime.split(";", 1)[0].strip(), strict=False) or ""
    return item_id + (ext if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", ext) else "")


_STORED_ID = re.compile(r"data/(E[0-9]{4,})(?:[._]|$)")


def item_id_of_stored(rel: str) -> str | None:
    """The item ID a stored path starts with (``data/E0004_x.png`` -> ``E0004``)."""
    m = _STORED_ID.match(rel)
    return m.group(1) if m else None


def encode_path(path: str) -> str:
    """RFC 8493 §2.1.3: percent-encode CR, LF and % in manifest file names."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(path: str) -> str:
    return (
        path.replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%0A", "\n")
        .replace("%0a", "\n")
        .replace("%25", "%")
    )


def is_dangerous(path: str) -> bool:
    """True for paths that could escape the bag (absolute, ``..``, drive letters, NUL)."""
    if (
        not path
        or "\x00" in path
        or path.startswith(("/", "\\"))
        or (len(path) > 1 and path[1] == ":" and path[0].isascii() and path[0].isalpha())
    ):
        return True
    if (
        ".." not in path
        and "//" not in path
        and "\\" not in path
        and "/./" not in path
        and not path.startswith("./")
        and not path.endswith(("/", "/."))
    ):
        return False  # the common case: nothing normalisation could change
    norm = posixpath.normpath(path.replace("\\", "/"))
    return norm.startswith("../") or norm == ".." or norm != path.replace("\\", "/")


def manifest_bytes(entries: Mapping[str, str]) -> bytes:
    """``<sha256>  <path>`` lines sorted by path: what ``sha256sum -c`` reads."""
    return "".join(f"{h}  {encode_path(p)}\n" for p, h in sorted(entries.items())).encode("utf-8")


@dataclass
class ParsedManifest:
    entries: dict[str, str]
    problems: list[str]


def parse_manifest(data: bytes) -> ParsedManifest:
    """Parse a manifest, collecting (not raising on) every malformed or dangerous line."""
    entries: dict[str, str] = {}
    problems: list[str] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return ParsedManifest({}, ["is not UTF-8 text"])
    if text.endswith("\n") or not text:
        # Every line as evkit and sha256sum write them (no "%" to decode) and no path that
        # could be unsafe: one pass of a compiled pattern, not a loop of checks per line
        # (a 20,000-line manifest in a few ms, not tens).
        pairs = _STANDARD_LINE.findall(text)
        if (
            len(pairs) == text.count("\n")
            and ".." not in text
            and "//" not in text
            and "/./" not in text
        ):
            fast = {path: digest for digest, path in pairs}
            if len(fast) == len(pairs):
                return ParsedManifest(fast, [])
    hex64 = _HEX64.fullmatch
    for n, line in enumerate(text.split("\n"), start=1):
        if (
            len(line) > 66
            and line[64] == " "
            and line[65] in " *"
            and line[66] != "*"
            and not line[66].isspace()
            and line[-1] != "\r"
            and hex64(line, 0, 64)
        ):
            # The common form, ``<hex>  <path>`` as evkit and sha256sum write it: no splitting.
            digest, path = line[:64], line[66:]
        else:
            line = line.rstrip("\r")
            if not line.strip():
                continue
            parts = line.split(None, 1)
            if len(parts) != 2 or not hex64(parts[0]):
                problems.append(f"line {n} is not '<sha256> <path>'")
                continue
            digest, path = parts[0], parts[1].lstrip("*")
        if "%" in path:
            path = decode_path(path)
        if is_dangerous(path):
            problems.append(f"line {n} names an unsafe path {path!r}")
            continue
        if path in entries:
            problems.append(f"line {n} lists {path!r} twice")
        entries[path] = digest.lower()
    return ParsedManifest(entries, problems)


def _clean(value: str) -> str:
    # bag-info values are single logical lines; user text may hold newlines or control chars.
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def bag_info_bytes(fields: Iterable[tuple[str, str]]) -> bytes:
    """``Label: value`` lines; values cleaned to one line; empty values dropped."""
    out = []
    for label, value in fields:
        v = _clean(value)
        if v:
            out.append(f"{label}: {v}\n")
    return "".join(out).encode("utf-8")


def parse_bag_info(data: bytes) -> dict[str, list[str]]:
    info: dict[str, list[str]] = {}
    last: str | None = None
    for line in data.decode("utf-8", "replace").splitlines():
        if line[:1] in (" ", "\t") and last:
            info[last][-1] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        if sep:
            last = label.strip()
            info.setdefault(last, []).append(value.strip())
    return info


def payload_oxum(sizes: Iterable[int]) -> str:
    total = 0
    count = 0
    for s in sizes:
        total += s
        count += 1
    return f"{total}.{count}"
