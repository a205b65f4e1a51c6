"""``items.csv``: one row per item, for spreadsheets (UTF-8 with BOM so Excel reads it right).

Beside the recorded details, each row says what the item shows in plain words: ``summary``
(one line) and ``findings`` (one a line, each starting ``Warning:``, ``Worth a look:`` or, for
a plain fact, nothing), as in ``evkit show`` and the HTML report; empty for a sensitive item.

A header row (:data:`COLUMNS`), one row per item, then a blank row and a few two-cell rows of
plain-language notes (what the hashes prove, which times are self-asserted, the seal hash and
key fingerprint): programs should stop reading at the first blank row (or use ``case.json``).

Every cell is neutralised against spreadsheet formula injection: a value that starts with
``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed (or a look-alike of one of
these: full-width, small or superscript forms, the minus sign) gets a leading ``'``, so Excel,
LibreOffice and Google Sheets show it as text instead of running it. The check looks past any
leading invisible characters first: white space of every Unicode kind (no-break space,
ideographic space, line and paragraph separators...), control and format characters (zero-width
spaces and joiners, bidi marks and overrides, the byte-order mark, soft hyphen) and the other
default-ignorable code points (variation selectors, Hangul fillers), since a spreadsheet may
drop or skip them. File names and e-mail subjects are chosen by criminals.
"""

from __future__ import annotations

import csv as _csv
import io
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from evidence_kit.report.interface import ReportInput

#: Characters that make a spreadsheet treat a cell as a formula (or a DDE command): the ASCII
#: ones, tab, CR and LF, and every character that Unicode compatibility folding (NFKC) turns into
#: ``=``, ``+``, ``-`` or ``@`` (full-width, small, superscript, subscript forms), plus the minus
#: sign U+2212.
FORMULA_START = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\n",
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",  # full-width
    "\ufe66",
    "\ufe62",
    "\ufe63",
    "\ufe6b",  # small forms
    "\u207c",
    "\u207a",
    "\u208c",
    "\u208a",  # superscript and subscript = +
    "\ufb29",
    "\u2212",  # Hebrew alternative plus sign, minus sign
)
_TRIGGERS = frozenset(FORMULA_START)

#: Invisible characters that are not white space, control or format characters by category but
#: are default-ignorable (Unicode DerivedCoreProperties) or render blank: combining grapheme
#: joiner, Hangul fillers, Mongolian free variation selectors, variation selectors, braille
#: blank, and the reserved default-ignorable U+FFF0..U+FFF8.
_OTHER_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(map(chr, [*range(0xFE00, 0xFE10), *range(0xFFF0, 0xFFF9)]))
)
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


def _invisible(ch: str) -> bool:
    """White space of any kind, a control or format character, or another invisible one."""
    if ch.isspace() or ch in _OTHER_INVISIBLE:
        return True
    if "\U000e0000" <= ch <= "\U000e0fff":  # tags, variation selectors supplement, reserved
        return True
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES


COLUMNS = (
    "id",
    "name",
    "declared_name",
    "type",
    "size_bytes",
    "sha256",
    "summary",
    "findings",
    "stored_as",
    "sensitive",
    "parent",
    "acquired_at_utc",
    "acquired_local",
    "acquired_by",
    "acquired_host",
    "acquired_method",
    "source",
    "collector_note",
    "original_path",
    "original_modified",
    "extractor",
    "subject_or_title",
    "identifiers",
    "read_errors",
)


def neutralise(value: str) -> str:
    """Make one cell safe to open in a spreadsheet (see the module docstring)."""
    for ch in value:
        if ch in _TRIGGERS:
            return "'" + value
        if not _invisible(ch):
            return value
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return neutralise(str(value))


def subject_of(meta: Any) -> str | None:
    """An e-mail's subject or a document's title, wherever the extractor put it."""
    if not isinstance(meta, Mapping):
        return None
    for holder in (meta, meta.get("headers"), meta.get("info"), meta.get("document")):
        if isinstance(holder, Mapping):
            for key in ("subject", "Subject", "title", "Title"):
                value = holder.get(key)
                if isinstance(value, str) and value:
                    return value
    return None


#: How each finding's severity is said in the ``findings`` column (facts need no word).
SEVERITY_WORDS = {"warning": "Warning: ", "notable": "Worth a look: ", "fact": ""}


def findings_text(findings: Any) -> str | None:
    """An item's findings for one cell: one a line, warnings first (as recorded), each with
    its severity in words."""
    if not isinstance(findings, list):
        return None
    lines = [
        f"{SEVERITY_WORDS.get(str(f.get('severity')), '')}{f.get('text')}"
        for f in findings
        if isinstance(f, Mapping) and f.get("text")
    ]
    return "\n".join(lines) or None


def item_row(item: Mapping[str, Any]) -> list[str]:
    """The cells of one item, in :data:`COLUMNS` order (already neutralised)."""
    acq = item.get("acquired") or {}
    orig = item.get("original") or {}
    ex = item.get("extraction") or {}
    meta = ex.get("metadata") or {}
    subject = subject_of(meta)
    parent = item.get("parent") or {}
    withheld = bool(item.get("withheld"))
    values: Sequence[Any] = (
        item.get("id"),
        "(withheld: sensitive)" if withheld else item.get("name"),
        None if withheld else orig.get("declared_name"),
        item.get("mime"),
        item.get("size"),
        item.get("sha256"),
        "(withheld: sensitive)" if withheld else item.get("summary"),
        None if withheld else findings_text(item.get("findings")),
        "(withheld: sensitive)" if withheld else item.get("stored"),
        bool(item.get("sensitive")),
        parent.get("id") if isinstance(parent, dict) else None,
        acq.get("at"),
        acq.get("local"),
        acq.get("by"),
        acq.get("host"),
        acq.get("method"),
        acq.get("source"),
        acq.get("note"),
        orig.get("path"),
        orig.get("modified"),
        ex.get("extractor"),
        None if withheld else subject,
        len(ex.get("identifiers") or []) if ex else None,
        "; ".join(str(e) for e in ex.get("errors") or []) if ex else None,
    )
    return [_cell(v) for v in values]


def render_rows(rows: Sequence[Sequence[Any]]) -> bytes:
    """CSV bytes (BOM, CRLF, every cell neutralised) for arbitrary rows; used by tests too."""
    buf = io.StringIO(newline="")
    writer = _csv.writer(buf, quoting=_csv.QUOTE_MINIMAL, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    # backslashreplace: a lone surrogate (undecodable file-name byte) stays visible as \udcXX
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8", "backslashreplace")


class CsvRenderer:
    """One row per item, columns :data:`COLUMNS`."""

    name = "csv"
    filename = "items.csv"
    media_type = "text/csv"

    def render(self, report: ReportInput) -> bytes:
        items = report.snapshot.get("items") or []
        rows: list[list[str]] = [list(COLUMNS)]
        rows.extend(item_row(it) for it in items if isinstance(it, Mapping))
        rows.append([])
        statements = report.snapshot.get("statements") or {}
        seal = report.snapshot.get("seal") or {}
        case = report.snapshot.get("case") or {}
        rows.append(
            [
                "About this file",
                "The rows above list every item; after this blank row "
                "come notes for people, not data.",
            ]
        )
        rows.extend(
            [label, str(statements.get(key) or "")]
            for label, key in (
                ("What the hashes prove", "integrity"),
                ("Times", "times"),
                ("Sensitive items", "sensitive"),
                ("Scope", "scope"),
            )
        )
        rows.append(["Seal SHA-256", str(seal.get("sha256") or "")])
        rows.append(["Signing key fingerprint", str(case.get("key_fingerprint") or "")])
        return render_rows(rows)
