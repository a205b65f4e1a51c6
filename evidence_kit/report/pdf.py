"""``custody-form.pdf``: a printable chain-of-custody form (fpdf2).

It carries what a receiving officer needs on paper: the case summary and reference numbers,
every item with its full SHA-256, the seal hash and the collector's key fingerprint, the limits
of what the record proves, and a transfer section to sign by hand.

Fonts: a Unicode TrueType font is embedded so that names in Latin, Greek and Cyrillic scripts
print as written. evkit looks for DejaVu Sans (Debian/Ubuntu package ``fonts-dejavu-core``),
then Liberation, then Arial (macOS, Windows); ``EVKIT_PDF_FONT`` may name a .ttf file instead.
Characters the font lacks (and every character outside Latin-1 when no Unicode font is found,
in which case the PDF core fonts are used) are written as ``<U+XXXX>`` codes, so nothing is lost
silently; the form then says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence_kit.report.html import INVISIBLE, story_period
from evidence_kit.report.interface import ReportInput

#: (regular, bold, monospace) candidates, first complete-enough set wins.
FONT_CANDIDATES: tuple[tuple[str, str, str], ...] = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ),
    (
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
    ),
    (
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu-sans-mono-fonts/DejaVuSansMono.ttf",
    ),
    (
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu/DejaVuSansMono.ttf",
    ),
    (
        "/usr/local/share/fonts/DejaVuSans.ttf",
        "/usr/local/share/fonts/DejaVuSans-Bold.ttf",
        "/usr/local/share/fonts/DejaVuSansMono.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    ),
    (
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
        "/System/Library/Fonts/Supplemental/Courier New.ttf",
    ),
    (
        "C:\\Windows\\Fonts\\arial.ttf",
        "C:\\Windows\\Fonts\\arialbd.ttf",
        "C:\\Windows\\Fonts\\cour.ttf",
    ),
)


@dataclass(frozen=True)
class FontSet:
    """The TrueType files to embed (None: fall back to the PDF core fonts)."""

    regular: Path | None
    bold: Path | None
    mono: Path | None

    @property
    def unicode(self) -> bool:
        return self.regular is not None


def find_fonts() -> FontSet:
    """The first available Unicode font set (see the module docstring)."""
    env = os.environ.get("EVKIT_PDF_FONT")
    if env and Path(env).is_file():
        return FontSet(Path(env), None, None)
    for regular, bold, mono in FONT_CANDIDATES:
        if Path(regular).is_file():
            return FontSet(
                Path(regular),
                Path(bold) if Path(bold).is_file() else None,
                Path(mono) if Path(mono).is_file() else None,
            )
    return FontSet(None, None, None)


def clean(text: Any, covered: Any = None, limit: int = 2000, *, multiline: bool = True) -> str:
    """Text safe to draw: control and invisible characters, and characters the font lacks
    (``covered``: a set/dict of code points, or None for Latin-1 core fonts), as <U+XXXX>.
    A line break is kept only in ``multiline`` text: in a one-line value (a title, a name) it
    is shown too, so that recorded text cannot start a line of the form of its own."""
    if text is None:
        return ""
    s = text if isinstance(text, str) else str(text)
    if len(s) > limit:
        s = s[:limit] + f" ... ({len(s) - limit} more characters in case.json)"
    out: list[str] = []
    for ch in s:
        cp = ord(ch)
        if ch == "\n" and multiline:
            out.append(ch)
        elif cp in INVISIBLE or cp < 32 or 0x7F <= cp < 0xA0 or 0xD800 <= cp < 0xE000:
            out.append(f"<U+{cp:04X}>")
        elif covered is None:
            out.append(ch if cp <= 0xFF else f"<U+{cp:04X}>")
        elif cp in covered or cp == 32:
            out.append(ch)
        else:
            out.append(f"<U+{cp:04X}>")
    return "".join(out)


def _split_hash(h: Any) -> str:
    text = str(h or "")
    return text if len(text) <= 32 else "\n".join(text[i : i + 32] for i in range(0, len(text), 32))


class _Form:
    """Drawing helpers over one fpdf2 document."""

    def __init__(self, snapshot: Mapping[str, Any]) -> None:
        from fpdf import FPDF

        self.s = snapshot
        fonts = find_fonts()
        self.fonts = fonts
        case = snapshot.get("case") or {}
        seal = snapshot.get("seal") or {}
        footer_text = (
            f"Case {case.get('case_id') or ''} - seal SHA-256 "
            f"{str(seal.get('sha256') or '')[:16]}..."
        )

        class Doc(FPDF):
            def footer(doc: Any) -> None:  # noqa: N805 - fpdf2's hook; `self` is the form
                doc.set_y(-12)
                doc.set_font(self.sans, "", 7)
                doc.set_text_color(90)
                doc.cell(
                    0,
                    5,
                    clean(footer_text, self.covered) + f"   -   page {doc.page_no()} of {{nb}}",
                    align="C",
                )
                doc.set_text_color(0)

        pdf = Doc(orientation="P", unit="mm", format="A4")
        pdf.set_margins(12, 12, 12)
        pdf.set_auto_page_break(True, margin=16)
        pdf.alias_nb_pages()
        pdf.set_title(clean(f"Chain of custody: {case.get('title') or ''}", None, 200))
        pdf.set_creator("evkit")
        pdf.set_subject("Chain of custody record")
        if fonts.regular is not None:
            pdf.add_font("evsans", "", str(fonts.regular))
            pdf.add_font("evsans", "B", str(fonts.bold or fonts.regular))
            pdf.add_font("evmono", "", str(fonts.mono or fonts.regular))
            self.sans, self.mono = "evsans", "evmono"
            self.covered: Any = getattr(pdf.fonts["evsans"], "cmap", None)
        else:
            self.sans, self.mono = "helvetica", "courier"
            self.covered = None
        self.pdf = pdf

    # -- primitives
    def text(
        self,
        text: Any,
        size: float = 9,
        bold: bool = False,
        h: float = 4.6,
        limit: int = 2000,
        *,
        multiline: bool = True,
    ) -> None:
        from fpdf.enums import WrapMode, XPos, YPos

        self.pdf.set_font(self.sans, "B" if bold else "", size)
        self.pdf.multi_cell(
            0,
            h,
            clean(text, self.covered, limit, multiline=multiline),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            wrapmode=WrapMode.WORD,
            align="L",
        )

    def when(self, value: Any) -> str:
        """A recorded time in the case's zone with UTC beside (a date stays a date)."""
        from evidence_kit.timeutil import time_text

        return time_text(value, str((self.s.get("case") or {}).get("timezone") or "UTC"))

    def heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
        pdf.ln(3)
        self.text(text, 12, bold=True, h=6)
        pdf.set_draw_color(60)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1.5)

    def pairs(self, rows: Sequence[tuple[str, Any, bool]]) -> None:
        """Label/value rows; the bool marks monospace values (hashes)."""
        from fpdf.enums import WrapMode
        from fpdf.fonts import FontFace

        pdf = self.pdf
        pdf.set_font(self.sans, "", 9)
        with pdf.table(
            col_widths=(45, 141),
            first_row_as_headings=False,
            text_align="LEFT",
            line_height=4.6,
            wrapmode=WrapMode.WORD,
            align="LEFT",
            borders_layout="HORIZONTAL_LINES",
            padding=1,
        ) as table:
            for label, value, mono in rows:
                if value in (None, ""):
                    continue
                row = table.row()
                row.cell(clean(label, self.covered), style=FontFace(emphasis="BOLD"))
                style = FontFace(family=self.mono, size_pt=8.5) if mono else None
                row.cell(clean(value, self.covered, 1500, multiline=False), style=style)

    # -- sections
    def build(self) -> bytes:
        s = self.s
        pdf = self.pdf
        pdf.add_page()
        case = s.get("case") or {}
        self.text("Chain of custody record: digital evidence", 16, bold=True, h=8)
        self.text(case.get("title"), 11, h=6, limit=300, multiline=False)
        pdf.ln(2)
        if not self.fonts.unicode:
            self.text(
                "Note: no Unicode font was available when this form was made, so "
                "characters outside Latin-1 are written as <U+XXXX> codes. The HTML "
                "and JSON reports in the same folder show them as written.",
                8,
            )
        self.summary()
        self.losses()
        self.people()
        self.events()
        self.items()
        self.integrity()
        self.transfer()
        out = pdf.output()
        return bytes(out)

    def summary(self) -> None:
        s = self.s
        case = s.get("case") or {}
        col = case.get("collector") or {}
        refs = "\n".join(
            f"{r.get('agency')}: {r.get('number')}"
            for r in s.get("references") or []
            if isinstance(r, Mapping)
        )
        period = story_period(s)
        self.heading("What happened")
        self.pairs(
            [
                ("In the victim's words", case.get("incident") or "not written yet", False),
                ("When", period, False),
                ("Jurisdiction", case.get("jurisdiction"), False),
                ("Collected by", col.get("name"), False),
                ("Organisation", col.get("organization"), False),
                (
                    "Contact",
                    ", ".join(str(v) for v in (col.get("email"), col.get("phone")) if v),
                    False,
                ),
                ("Collector's time zone", case.get("timezone"), False),
                (
                    "Victim (collected for them)",
                    ", ".join(
                        str(v)
                        for k, v in (case.get("victim") or {}).items()
                        if v and k in ("name", "email", "phone", "address", "age_band")
                    )
                    + (
                        "; police may contact them directly: "
                        + str((case.get("victim") or {}).get("may_contact"))
                        if (case.get("victim") or {}).get("may_contact")
                        else ""
                    ),
                    False,
                ),
                ("Reference numbers", refs or "none recorded yet", False),
            ]
        )

    def _grid(self, widths: tuple[int, ...], head: Sequence[str], rows: list[list[str]]) -> None:
        """A small table with a header row; cells are plain text (cleaned here)."""
        from fpdf.enums import WrapMode
        from fpdf.fonts import FontFace

        pdf = self.pdf
        pdf.set_font(self.sans, "", 7.5)
        with pdf.table(
            col_widths=widths,
            text_align="LEFT",
            line_height=3.5,
            wrapmode=WrapMode.WORD,
            align="LEFT",
            padding=1,
            headings_style=FontFace(emphasis="BOLD", fill_color=225),
        ) as table:
            row = table.row()
            for h in head:
                row.cell(h)
            for cells in rows:
                row = table.row()
                for c in cells:
                    row.cell(clean(c, self.covered, 600))

    def people(self) -> None:
        labels = {
            "name": "Name",
            "username": "Username",
            "email": "E-mail",
            "phone": "Phone",
            "url": "Website",
            "ip": "Internet address (IP)",
            "wallet": "Crypto wallet",
            "account": "Bank account",
        }
        rows = []
        for e in self.s.get("suspects") or []:
            if not isinstance(e, Mapping) or not e.get("current"):
                continue
            details = e.get("details") if isinstance(e.get("details"), Mapping) else {}
            who = "\n".join(
                f"{labels.get(str(k), str(k))}: {v}" for k, v in (details or {}).items() if v
            )
            linked = [str(i) for i in e.get("item_ids") or []]
            found = [str(i) for i in e.get("mentioned_in") or [] if str(i) not in linked]
            ev = ", ".join(linked) + (
                (", " if linked else "") + "mentioned in " + ", ".join(found) if found else ""
            )
            rows.append([who, ev or "none linked"])
        self.heading("Suspects")
        if not rows:
            self.text("No suspects recorded.", 9)
            return
        self._grid((120, 66), ("Who (as recorded by the collector)", "Evidence"), rows)

    def events(self) -> None:
        rows = []
        for e in self.s.get("key_events") or []:
            if not isinstance(e, Mapping):
                continue
            said = "the collector" if e.get("source") == "collector statement" else "the file"
            when = self.when(e.get("at")) if e.get("precision") == "instant" else e.get("local")
            rows.append([str(when or ""), str(e.get("what") or ""), said])
        if not rows:
            return
        tz = (self.s.get("case") or {}).get("timezone") or "UTC"
        self.heading("Key events")
        self._grid((40, 120, 26), (f"When ({tz}; UTC)", "What", "Said by"), rows[:20])
        if len(rows) > 20:
            self.text(f"... and {len(rows) - 20} more in the HTML report.", 8)

    def integrity(self) -> None:
        s = self.s
        case = s.get("case") or {}
        seal = s.get("seal") or {}
        st = s.get("statements") or {}
        ts = (s.get("timestamps") or {}).get("events") or []
        counts = s.get("counts") or {}
        self.heading("Integrity")
        self.pairs(
            [
                ("Case ID", case.get("case_id"), True),
                ("Created", self.when(case.get("created_at")), False),
                (
                    "Evidence",
                    f"{counts.get('items', 0)} item(s), {counts.get('bytes', 0):,} bytes "
                    f"({counts.get('sensitive_items', 0)} marked sensitive); "
                    f"{counts.get('events', 0)} custody events",
                    False,
                ),
                ("Signing key fingerprint", case.get("key_fingerprint"), True),
                ("Signing key ID", case.get("key_id"), True),
                ("Seal SHA-256", seal.get("sha256"), True),
                (
                    "Which seal",
                    f"evkit/seal.json as it was before this form was made; sealed "
                    f"{self.when(seal.get('sealed_at'))}, covering custody events 1-"
                    f"{seal.get('custody_events')}; seal signature "
                    f"{'valid' if seal.get('signature_valid') else 'NOT valid'}.",
                    False,
                ),
                (
                    "Trusted timestamps",
                    f"{len(ts)} RFC 3161 timestamp(s) recorded"
                    if ts
                    else "none: every time in this case is self-asserted",
                    False,
                ),
                ("Check with", f'evkit verify --key "{case.get("key_fingerprint")}"', True),
            ]
        )
        pdf = self.pdf
        pdf.ln(1)
        self.text("What this proves: " + str(st.get("integrity") or ""), 7.5, h=3.6)
        self.text("Times: " + str(st.get("times") or ""), 7.5, h=3.6)
        self.text("Sensitive items: " + str(st.get("sensitive") or ""), 7.5, h=3.6)

    def items(self) -> None:
        from fpdf.enums import WrapMode
        from fpdf.fonts import FontFace

        items = [it for it in self.s.get("items") or [] if isinstance(it, Mapping)]
        self.heading(f"Evidence items ({len(items)})")
        if not items:
            self.text("No items.")
            return
        pdf = self.pdf
        pdf.set_font(self.sans, "", 7.5)
        mono = FontFace(family=self.mono, size_pt=7.5)
        with pdf.table(
            col_widths=(13, 85, 34, 54),
            text_align="LEFT",
            line_height=3.5,
            wrapmode=WrapMode.WORD,
            align="LEFT",
            padding=1,
            headings_style=FontFace(emphasis="BOLD", fill_color=225),
        ) as table:
            head = table.row()
            for h in ("ID", "What it is and shows", "Acquired (collector's time) by", "SHA-256"):
                head.cell(h)
            for it in items:
                acq = it.get("acquired") or {}
                name = (
                    "(name withheld: sensitive item)"
                    if it.get("withheld")
                    else str(it.get("name") or "")
                )
                parent = it.get("parent") or {}
                size = it.get("size")
                size_text = f"{size:,} bytes" if isinstance(size, int) else "size unknown"
                desc = f"{clean(name, self.covered, 300, multiline=False)}\n" + clean(
                    f"{it.get('kind') or it.get('mime')}, {size_text}", self.covered
                )
                if it.get("summary") and not it.get("withheld"):
                    desc += "\n" + clean(it.get("summary"), self.covered, 400, multiline=False)
                for f in it.get("findings") or []:
                    if isinstance(f, Mapping) and f.get("severity") == "warning":
                        desc += "\nWarning: " + clean(
                            f.get("text"), self.covered, 300, multiline=False
                        )
                if parent:
                    desc += f"\ninside {parent.get('id')} ({parent.get('role')})"
                if it.get("sensitive"):
                    desc += "\nSENSITIVE"
                if it.get("description"):
                    desc += "\nNote: " + clean(
                        it.get("description"), self.covered, 200, multiline=False
                    )
                by, host = (
                    clean(acq.get(k), self.covered, multiline=False) for k in ("by", "host")
                )
                when = self.when(acq.get("at") or acq.get("local"))
                acquired = clean(f"{when}\nby {by}\non {host}", self.covered, 300)
                row = table.row()
                row.cell(clean(it.get("id"), self.covered))
                row.cell(desc)
                row.cell(acquired)
                row.cell(_split_hash(it.get("sha256")), style=mono)

    def losses(self) -> None:
        losses = self.s.get("losses") or {}
        totals = losses.get("totals") or {}
        entries = [
            e for e in losses.get("entries") or [] if isinstance(e, Mapping) and e.get("current")
        ]
        self.heading("Money lost (as stated by the collector)")
        if not entries:
            self.text("No payments recorded.", 9)
            return
        self.text(
            "Total: "
            + ", ".join(f"{v} {k}" for k, v in totals.items())
            + f" in {len(entries)} payment(s).",
            10,
            bold=True,
        )
        rows = [
            [
                self.when(e.get("at") or e.get("date")),
                f"{e.get('amount')} {e.get('currency')}",
                str(e.get("method") or ""),
                str(e.get("to_account") or ""),
                str(e.get("reference") or ""),
                ", ".join(str(i) for i in e.get("item_ids") or []) or "none yet",
            ]
            for e in entries
        ]
        self._grid(
            (30, 24, 28, 48, 30, 26),
            (
                "When (your zone; UTC)",
                "Amount",
                "How",
                "To (account or wallet)",
                "Reference",
                "Evidence",
            ),
            rows,
        )

    def transfer(self) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        if pdf.get_y() > pdf.h - 110:
            pdf.add_page()
        self.heading("Transfer of custody")
        self.text(
            "Each person who releases or receives this evidence (the case folder, a copy, "
            "or a handover package) fills in one row. Check the seal SHA-256 above with "
            "'evkit verify' at each transfer.",
            8,
            h=4,
        )
        pdf.ln(1)
        pdf.set_font(self.sans, "", 8)
        with pdf.table(
            col_widths=(50, 50, 34, 52),
            text_align="LEFT",
            line_height=4,
            min_row_height=18,
            align="LEFT",
            padding=1,
            headings_style=FontFace(emphasis="BOLD", fill_color=225),
        ) as table:
            head = table.row()
            for h in (
                "Released by (name, signature)",
                "Received by (name, signature)",
                "Date / time",
                "Purpose",
            ):
                head.cell(h)
            for _ in range(3):
                row = table.row()
                for _c in range(4):
                    row.cell("")
        pdf.ln(4)
        self.text("Collector's declaration", 10, bold=True, h=5)
        col = clean(
            ((self.s.get("case") or {}).get("collector") or {}).get("name") or "",
            self.covered,
            multiline=False,
        )
        self.text(
            f"I, {col}, preserved the items listed above with evkit and signed the custody "
            "record with the key whose fingerprint is shown above.",
            8.5,
            h=4.2,
        )
        pdf.ln(8)
        pdf.set_font(self.sans, "", 8.5)
        y = pdf.get_y()
        pdf.line(pdf.l_margin, y, pdf.l_margin + 80, y)
        pdf.line(pdf.l_margin + 100, y, pdf.l_margin + 160, y)
        pdf.ln(1)
        pdf.cell(100, 4, "Signature")
        pdf.cell(60, 4, "Date")


class PdfRenderer:
    """The printable chain-of-custody form."""

    name = "pdf"
    filename = "custody-form.pdf"
    media_type = "application/pdf"

    def render(self, report: ReportInput) -> bytes:
        return _Form(report.snapshot).build()
