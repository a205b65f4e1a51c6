"""``index.html``: the chain-of-custody index, one self-contained file that prints well.

Safety: the evidence was written by criminals, so every value from the case is passed through
:func:`html.escape` (quotes included) before it reaches the page; nothing from the evidence
becomes an attribute other than escaped ``alt``/``title`` text; links are shown as text, never
as ``<a href>``. The page has no JavaScript at all, loads nothing (images are ``data:`` URIs of
thumbnails evkit made itself), and declares a Content Security Policy that forbids scripts,
frames, fonts, forms and any network access should anything slip through. Bidirectional and
invisible control characters (used to disguise ``invoice\u202eexe.pdf``) are shown as codes.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from evidence_kit.report.interface import ReportInput

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)

MAX_STRING = 4000
MAX_ENTRIES = 300
MAX_DEPTH = 12

#: Code points that change how text reads without being seen (zero-width, direction marks):
#: shown as escapes in reports (HTML and PDF).
INVISIBLE = {
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    0x2060,
    0xFEFF,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
}

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif;
  color: #111; background: #fff; margin: 0 auto; max-width: 1150px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; border-bottom: 2px solid #333; padding-bottom: 2px; margin-top: 32px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: #444; margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid #bbb; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
td, dt, dd, .pre { overflow-wrap: anywhere; }
code, .hash, .pre, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12px; }
.hash { word-break: break-all; }
.pre { white-space: pre-wrap; margin: 0; }
dl.kv { display: grid; grid-template-columns: minmax(120px, max-content) minmax(55%, 1fr);
  gap: 2px 12px; margin: 4px 0; }
dl.kv > dt { font-weight: 600; color: #333; }
dl.kv > dd { margin: 0; }
dl.kv dl.kv { border-left: 2px solid #ddd; padding-left: 8px; }
ol.list { margin: 0; padding-left: 22px; }
.box { border: 2px solid #333; padding: 10px 14px; margin: 12px 0; background: #fafafa; }
.warn { border-color: #a60; background: #fff8ec; }
.tag { display: inline-block; border: 1px solid #777; border-radius: 3px; padding: 0 4px;
  font-size: 11px; white-space: nowrap; }
.trusted { border-color: #070; color: #050; }
.self { border-color: #a60; color: #640; }
.withheld { color: #700; font-style: italic; }
.muted { color: #555; }
.ctl { color: #a00; font-family: monospace; font-size: 11px; }
.item { border: 1px solid #ccc; padding: 8px 12px; margin: 10px 0; }
.thumb { float: right; max-width: 240px; max-height: 240px; margin: 0 0 8px 12px;
  border: 1px solid #999; }
.clear { clear: both; }
.custody td { font-size: 12px; }
td.id { white-space: nowrap; font-weight: 600; }
footer { margin-top: 32px; font-size: 12px; color: #444; }
table.plain td.id { width: 4em; }
table.fp td:nth-child(4) { width: 40%; }
table.fp td:nth-child(3), .nw { white-space: nowrap; }
table.evidence td:nth-child(2) { width: 26%; }
ul.findings { margin: 4px 0 0; padding-left: 18px; }
ul.findings li.warning { color: #7a2900; }
img.mini { max-width: 120px; max-height: 90px; margin-top: 4px; border: 1px solid #999; }
p.total { font-size: 16px; }
details#appendix { margin-top: 32px; border-top: 2px solid #333; }
details#appendix > summary { font-weight: 600; font-size: 16px; padding: 8px 0; }
dl.kv dl.kv dl.kv { display: block; }
@page { size: A4; margin: 14mm; }
@media print {
  body { font-size: 9.5pt; max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, .item, .box { break-inside: avoid; page-break-inside: avoid; }
  .custody td, code, .hash, .pre { font-size: 7.5pt; }
  .thumb { max-width: 45mm; max-height: 45mm; }
  img.mini { max-width: 28mm; max-height: 22mm; }
  details#appendix:not([open]) { display: none; }
  a { color: inherit; text-decoration: none; }
}
"""


def visible(text: str) -> str:
    """Show invisible, bidirectional and control characters as ``<U+202E>``-style codes."""
    out: list[str] = []
    for ch in text:
        cp = ord(ch)
        if (
            cp in INVISIBLE
            or (cp < 32 and ch not in "\n\t")
            or 0x7F <= cp < 0xA0
            or 0xD800 <= cp < 0xE000
        ):  # lone surrogates: undecodable file-name bytes
            out.append(f"\x00U+{cp:04X}\x01")
        else:
            out.append(ch)
    return "".join(out)


def esc(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute (control codes made visible)."""
    if value is None:
        return ""
    text = visible(value if isinstance(value, str) else str(value))
    escaped = html.escape(text, quote=True)
    return escaped.replace("\x00", '<span class="ctl">&lt;').replace("\x01", "&gt;</span>")


def _short(text: str, limit: int = MAX_STRING) -> str:
    if len(text) <= limit:
        return esc(text)
    return (
        esc(text[:limit]) + f' <span class="muted">… ({len(text) - limit:,} more '
        "characters: the full value is in case.json)</span>"
    )


def render_value(value: Any, depth: int = 0) -> str:
    """Any JSON value as nested HTML (escaped, size-limited)."""
    if depth > MAX_DEPTH:
        return '<span class="muted">(nested too deeply to show: see case.json)</span>'
    if isinstance(value, Mapping):
        if not value:
            return '<span class="muted">(none)</span>'
        parts = ['<dl class="kv">']
        for n, (k, v) in enumerate(value.items()):
            if n >= MAX_ENTRIES:
                parts.append(
                    f'<dt>…</dt><dd class="muted">{len(value) - n:,} more entries: '
                    "see case.json</dd>"
                )
                break
            parts.append(f"<dt>{esc(k)}</dt><dd>{render_value(v, depth + 1)}</dd>")
        parts.append("</dl>")
        return "".join(parts)
    if isinstance(value, list | tuple):
        if not value:
            return '<span class="muted">(none)</span>'
        parts = ['<ol class="list">']
        for n, v in enumerate(value):
            if n >= MAX_ENTRIES:
                parts.append(f'<li class="muted">{len(value) - n:,} more: see case.json</li>')
                break
            parts.append(f"<li>{render_value(v, depth + 1)}</li>")
        parts.append("</ol>")
        return "".join(parts)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return '<span class="muted">-</span>'
    text = str(value)
    if "\n" in text:
        return f'<div class="pre">{_short(text)}</div>'
    return _short(text)


def _dl(rows: Iterable[tuple[str, str]]) -> str:
    """A definition list from (label, already-escaped HTML) pairs, skipping empty values."""
    body = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows if v)
    return f'<dl class="kv">{body}</dl>'


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """A table; cells are already-escaped HTML."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="id">{c}</td>' if n == 0 else f"<td>{c}</td>" for n, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _size(n: Any) -> str:
    try:
        value = int(n)
    except (TypeError, ValueError):
        return esc(n)
    size = float(value)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            human = f"{value:,} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
            return esc(human if unit == "bytes" else f"{human} ({value:,} bytes)")
        size /= 1000
    return esc(value)


def _size_short(n: Any) -> str:
    try:
        value = int(n)
    except (TypeError, ValueError):
        return esc(n)
    size = float(value)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000:
            return esc(f"{value:,} bytes" if unit == "bytes" else f"{size:.1f} {unit}")
        size /= 1000
    return esc(f"{size:.1f} TB")


def _hash(h: Any) -> str:
    return f'<code class="hash">{esc(h)}</code>' if h else '<span class="muted">-</span>'


def _withheld(text: str = "withheld: sensitive item") -> str:
    return f'<span class="withheld">({esc(text)})</span>'


def _trust(entry: Mapping[str, Any]) -> str:
    trusted = entry.get("trust") == "trusted"
    cls = "trusted" if trusted else "self"
    return (
        f'<span class="tag {cls}">{esc(entry.get("trust"))}</span> '
        f'<span class="muted">{esc(entry.get("trust_text"))}</span>'
    )


_DETAIL_LABELS = {
    "name": "Name",
    "username": "Username",
    "email": "E-mail",
    "phone": "Phone",
    "url": "Website",
    "ip": "Internet address (IP)",
    "wallet": "Crypto wallet",
    "account": "Bank account",
}
_CONTACT_LABELS = {
    "first_contact": "How the victim first met or was contacted by them",
    "previous_contact": "Earlier contact",
    "realised": "What made the victim realise it was a crime",
}
_SEVERITY_WORDS = {"warning": "<strong>Warning:</strong> ", "notable": "Worth a look: "}


def story_period(s: Mapping[str, Any]) -> str:
    """First and last day of the story: of the collector's own statements (notes, losses)
    when there are any, else of every key event."""
    events = [e for e in s.get("key_events") or [] if isinstance(e, Mapping) and e.get("at")]
    own = [e for e in events if e.get("source") == "collector statement"]
    days = sorted(str(e.get("local") or "")[:10] for e in own or events)
    if not days:
        return ""
    return f"{days[0]} to {days[-1]}" if days[0] != days[-1] else days[0]


def _where(where: Any) -> str:
    """Where a message is in its file: lines, bytes or the JSON path."""
    if not isinstance(where, Mapping):
        return ""
    if isinstance(where.get("lines"), list) and len(where["lines"]) == 2:
        return f"lines {where['lines'][0]}-{where['lines'][1]}"
    if isinstance(where.get("bytes"), list) and len(where["bytes"]) == 2:
        return f"bytes {where['bytes'][0]}-{where['bytes'][1]}"
    if where.get("row") is not None:
        return f"row {where['row']}"
    return str(where.get("json") or "")


def _when(value: Any, s: Mapping[str, Any]) -> str:
    """A recorded time in the case's zone with UTC beside (a date stays a date), escaped; a
    narrow column may break it between the two, never inside either."""
    from evidence_kit.timeutil import time_text

    text = time_text(value, str((s.get("case") or {}).get("timezone") or "UTC"))
    local, sep, utc = text.partition(" (")
    if not sep:
        return esc(text)
    return f'<span class="nw">{esc(local)}</span> <span class="nw">({esc(utc)}</span>'


def _items_ref(ids: Any) -> str:
    if not isinstance(ids, list) or not ids:
        return ""
    return esc(", ".join(str(i) for i in ids))


class HtmlRenderer:
    """The chain-of-custody index as a single HTML file."""

    name = "html"
    filename = "index.html"
    media_type = "text/html"

    def render(self, report: ReportInput) -> bytes:
        s = report.snapshot
        case = s.get("case") or {}
        title = str(case.get("title") or "Untitled case")
        opened = " open" if report.full else ""
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Chain of custody: {esc(title)}</title>",
            f"<style>{STYLE}</style></head><body>",
            "<header><h1>Evidence report and chain of custody record</h1>",
            f'<p class="sub">{esc(title)}</p></header>',
            '<main id="story">',
            self._story(s),
            self._money(s),
            self._people(s),
            self._key_events(s),
            self._evidence(s, report.thumbnails),
            self._conversations(s),
            self._preservation(s),
            self._limits(s),
            self._summary(s),
            self._items(s),
            self._timestamps(s),
            "</main>",
            f'<details id="appendix"{opened}><summary>Appendix: every detail recorded '
            "(read from the files, the full timeline, the identifiers, notes and the "
            "signed case history). Not printed unless opened.</summary>",
            self._details(s, report.thumbnails),
            self._web_pages(s),
            self._timeline(s),
            self._suspects(s),
            self._identifiers(s),
            self._losses(s),
            self._notes(s),
            self._custody(s),
            "</details>",
            self._footer(s),
            "</body></html>",
        ]
        return ("\n".join(parts) + "\n").encode("utf-8")

    # ---- the story: what a reader needs first --------------------------------------------------
    def _story(self, s: Mapping[str, Any]) -> str:
        case = s.get("case") or {}
        collector = case.get("collector") or {}
        period = story_period(s)
        refs = [r for r in s.get("references") or [] if isinstance(r, Mapping)]
        ref_rows = [[esc(r.get("agency")), esc(r.get("number"))] for r in refs]
        refs_html = (
            _table(["Agency", "Reference number"], ref_rows, "plain")
            if ref_rows
            else '<p class="muted">No reference number yet. When you report, add it with: '
            '<code>evkit ref add --agency "Action Fraud" --number NFRC...</code></p>'
        )
        incident = case.get("incident")
        return "".join(
            [
                '<section id="what-happened"><h2>What happened</h2>',
                _dl(
                    [
                        (
                            "In the victim's words",
                            render_value(incident)
                            if incident
                            else '<span class="muted">not written yet</span>',
                        ),
                        ("When", esc(period)),
                        ("Where (jurisdiction)", esc(case.get("jurisdiction"))),
                        ("Case", esc(case.get("title"))),
                    ]
                ),
                "<h3>Who collected this evidence, and how to reach them</h3>",
                _dl(
                    [
                        ("Name", esc(collector.get("name"))),
                        ("Organisation", esc(collector.get("organization"))),
                        ("E-mail", esc(collector.get("email"))),
                        ("Phone", esc(collector.get("phone"))),
                        ("Time zone", esc(case.get("timezone"))),
                    ]
                ),
                self._victim(case),
                "<h3>Reference numbers</h3>",
                refs_html,
                "</section>",
            ]
        )

    def _victim(self, case: Mapping[str, Any]) -> str:
        victim = case.get("victim") or {}
        if not isinstance(victim, Mapping) or not victim:
            return ""
        contact = {"yes": "yes", "no": "no: contact the collector instead"}
        return "<h3>The victim (the collector is reporting for them)</h3>" + _dl(
            [
                ("Name", esc(victim.get("name"))),
                ("E-mail", esc(victim.get("email"))),
                ("Phone", esc(victim.get("phone"))),
                ("Address", esc(victim.get("address"))),
                ("Organisation", esc(victim.get("organization"))),
                ("Age band", esc(victim.get("age_band"))),
                (
                    "Police may contact them directly",
                    esc(contact.get(str(victim.get("may_contact")), "")),
                ),
            ]
        )

    def _preservation(self, s: Mapping[str, Any]) -> str:
        pres = s.get("preservation") or {}
        targets = [t for t in pres.get("targets") or [] if isinstance(t, Mapping)]
        if not targets:
            return ""
        rows = []
        for t in targets:
            idents = [i for i in t.get("identifiers") or [] if isinstance(i, Mapping)]
            shown = "<br>".join(
                f'<span class="mono">{esc(i.get("value"))}</span>' for i in idents[:8]
            )
            if len(idents) > 8:
                shown += f'<br><span class="muted">and {len(idents) - 8} more</span>'
            items = sorted({str(x) for i in idents for x in i.get("items") or []})
            dates = (
                f"{esc(t.get('first'))} to {esc(t.get('last'))}"
                if t.get("first") and t.get("first") != t.get("last")
                else esc(t.get("first") or "not known")
            )
            rows.append(
                [
                    f"<strong>{esc(t.get('service'))}</strong><br>"
                    f'<span class="muted">{esc(t.get("kind"))}</span>',
                    shown,
                    dates,
                    esc(", ".join(items)),
                ]
            )
        return (
            '<section id="preservation"><h2>Data to ask services to keep</h2>'
            f'<p class="muted">{esc(pres.get("note"))}</p>'
            + _table(["Service", "What to name in the request", "Dates", "Evidence"], rows, "plain")
            + "</section>"
        )

    def _money(self, s: Mapping[str, Any]) -> str:
        losses = s.get("losses") or {}
        entries = [
            e for e in losses.get("entries") or [] if isinstance(e, Mapping) and e.get("current")
        ]
        if not entries:
            return (
                '<section id="money"><h2>Money lost</h2><p class="muted">No payments '
                "recorded.</p></section>"
            )
        totals = losses.get("totals") or {}
        total = ", ".join(f"{v} {k}" for k, v in totals.items())
        rows = [
            [
                _when(e.get("at") or e.get("date"), s),
                f"<strong>{esc(e.get('amount'))} {esc(e.get('currency'))}</strong>",
                esc(e.get("method")),
                f'<span class="mono">{esc(e.get("to_account"))}</span>',
                esc(e.get("reference")),
                _items_ref(e.get("item_ids")) or '<span class="muted">none yet</span>',
            ]
            for e in entries
        ]
        return (
            '<section id="money"><h2>Money lost</h2>'
            f'<p class="total">Total: <strong>{esc(total)}</strong> in '
            f"{esc(len(entries))} payment(s), as stated by the collector.</p>"
            + _table(
                [
                    f"When ({(s.get('case') or {}).get('timezone') or 'UTC'}; UTC)",
                    "Amount",
                    "How",
                    "To (account or wallet)",
                    "Reference",
                    "Evidence",
                ],
                rows,
                "plain",
            )
            + "</section>"
        )

    def _people(self, s: Mapping[str, Any]) -> str:
        rows = []
        for e in s.get("suspects") or []:
            if not isinstance(e, Mapping) or not e.get("current"):
                continue
            details = e.get("details") or {}
            shown = "<br>".join(
                f'{esc(_DETAIL_LABELS.get(str(k), str(k)))}: <span class="mono">{esc(v)}</span>'
                for k, v in (details.items() if isinstance(details, Mapping) else [])
                if v
            )
            raw_contact = e.get("contact")
            contact: Mapping[str, Any] = raw_contact if isinstance(raw_contact, Mapping) else {}
            for key, label in _CONTACT_LABELS.items():
                if contact.get(key):
                    shown += f"<br><em>{esc(label)}:</em> {esc(contact[key])}"
            linked = [str(i) for i in e.get("item_ids") or []]
            found = [str(i) for i in e.get("mentioned_in") or [] if str(i) not in linked]
            evidence = esc(", ".join(linked))
            if found:
                evidence += (", " if linked else "") + esc("mentioned in " + ", ".join(found))
            rows.append([shown, evidence or '<span class="muted">none linked</span>'])
        body = (
            _table(["Who (as recorded by the collector)", "Evidence"], rows, "plain")
            if rows
            else '<p class="muted">No suspects recorded.</p>'
        )
        return f'<section id="people"><h2>Suspects</h2>{body}</section>'

    def _key_events(self, s: Mapping[str, Any]) -> str:
        rows = []
        for e in s.get("key_events") or []:
            if not isinstance(e, Mapping):
                continue
            instant = e.get("precision") == "instant" and e.get("at")
            when = _when(e.get("at"), s) if instant else esc(e.get("local"))
            said = "the collector" if e.get("source") == "collector statement" else "the file"
            rows.append([when, esc(e.get("what")), esc(said)])
        tz = esc((s.get("case") or {}).get("timezone"))
        body = (
            _table([f"When ({tz}; UTC)", "What", "Said by"], rows, "plain")
            if rows
            else '<p class="muted">No dated events yet.</p>'
        )
        return (
            '<section id="key-events"><h2>Key events</h2><p class="muted">What the collector '
            "wrote down and the moments the files record of themselves, in order. The full "
            "timeline is in the appendix.</p>" + body + "</section>"
        )

    def _evidence(self, s: Mapping[str, Any], thumbs: Mapping[str, bytes]) -> str:
        rows = []
        for it in s.get("items") or []:
            if not isinstance(it, Mapping):
                continue
            iid = str(it.get("id"))
            what = f"<strong>{esc(it.get('kind'))}</strong><br>"
            what += _withheld() if it.get("withheld") else esc(it.get("name"))
            if it.get("parent"):
                what += f'<br><span class="muted">inside {esc(it["parent"].get("id"))}</span>'
            thumb = thumbs.get(iid)
            if thumb and not it.get("sensitive"):
                data = base64.b64encode(thumb).decode("ascii")
                what += (
                    f'<br><img class="mini" alt="preview of {esc(iid)}" '
                    f'src="data:image/jpeg;base64,{data}">'
                )
            if it.get("withheld"):
                shows = _withheld("marked sensitive: what it shows is not in this report")
            else:
                shows = esc(it.get("summary") or "")
                if it.get("description"):
                    shows += f"<br>Collector's note: {esc(it.get('description'))}"
                found = [f for f in it.get("findings") or [] if isinstance(f, Mapping)]
                if found:
                    shows += (
                        '<ul class="findings">'
                        + "".join(
                            f'<li class="{esc(f.get("severity"))}">'
                            f"{_SEVERITY_WORDS.get(str(f.get('severity')), '')}"
                            f"{esc(f.get('text'))}</li>"
                            for f in found
                        )
                        + "</ul>"
                    )
            rows.append([esc(iid), what, shows])
        body = (
            _table(["ID", "Item", "What it shows"], rows, "plain evidence")
            if rows
            else '<p class="muted">No items yet.</p>'
        )
        return (
            '<section id="evidence"><h2>The evidence</h2><p class="muted">What each item '
            "shows, read from the file by evkit. A warning is a common sign of deception, not "
            "proof; times inside files were written by whoever made them.</p>" + body + "</section>"
        )

    # ---- sections --------------------------------------------------------------------------
    def _summary(self, s: Mapping[str, Any]) -> str:
        case = s.get("case") or {}
        seal = s.get("seal") or {}
        counts = s.get("counts") or {}
        valid = seal.get("signature_valid")
        seal_html = (
            f'{_hash(seal.get("sha256"))}<br><span class="muted">The case is locked against '
            "changes and signed after every step: this is the fingerprint (SHA-256) of that "
            f"signed lock file ({esc(seal.get('path'))}) as it was before this report was "
            f"written; signed {_when(seal.get('sealed_at'), s)}, covering steps 1&ndash;"
            f"{esc(seal.get('custody_events'))} of the case history; signature "
            f"{'valid' if valid else 'NOT valid'} when this report was made.</span>"
        )
        return "".join(
            [
                '<section id="summary"><h2>Integrity: proof the files did not change</h2>',
                _dl(
                    [
                        ("Case ID", f"<code>{esc(case.get('case_id'))}</code>"),
                        ("Case started", _when(case.get("created_at"), s)),
                        (
                            "Collector's signature code (key fingerprint)",
                            f'<code class="hash">{esc(case.get("key_fingerprint"))}</code>',
                        ),
                        ("Full key ID", _hash(case.get("key_id"))),
                        ("Signed lock (seal)", seal_html),
                        (
                            "Evidence",
                            esc(
                                f"{counts.get('items', 0)} item(s), "
                                f"{counts.get('bytes', 0):,} bytes; "
                                f"{counts.get('sensitive_items', 0)} marked sensitive"
                            ),
                        ),
                        ("Steps in the case history", esc(counts.get("events"))),
                    ]
                ),
                "</section>",
            ]
        )

    def _limits(self, s: Mapping[str, Any]) -> str:
        st = s.get("statements") or {}
        return "".join(
            [
                '<section id="limits" class="box warn"><h2>What this record proves, and what it '
                "does not</h2>",
                f"<p><strong>Integrity, not authenticity.</strong> {esc(st.get('integrity'))}</p>",
                f"<p><strong>Times.</strong> {esc(st.get('times'))}</p>",
                f"<p><strong>Sensitive items.</strong> {esc(st.get('sensitive'))}</p>",
                f"<p><strong>Scope.</strong> {esc(st.get('scope'))}</p>",
                "<p><strong>Links.</strong> Web addresses found in the evidence are shown as text "
                "only; do not visit them from a normal computer.</p>",
                '<p>To check the case: <code>evkit verify --key "'
                + esc((s.get("case") or {}).get("key_fingerprint"))
                + '"</code> in the case folder '
                "(or any BagIt validator, which checks the list of files and their fingerprints)."
                "</p></section>",
            ]
        )

    def _items(self, s: Mapping[str, Any]) -> str:
        rows = []
        for it in s.get("items") or []:
            if not isinstance(it, Mapping):
                continue
            acq = it.get("acquired") or {}
            name = _withheld() if it.get("withheld") else esc(it.get("name"))
            if it.get("parent"):
                name += f'<br><span class="muted">inside {esc(it["parent"].get("id"))}</span>'
            if it.get("sensitive"):
                name += ' <span class="tag">sensitive</span>'
            acquired = f"{_when(acq.get('at') or acq.get('local'), s)}<br>{esc(acq.get('by'))}"
            if acq.get("source"):
                acquired += f'<br><span class="muted">{esc(acq.get("source"))}</span>'
            rows.append(
                [
                    esc(it.get("id")),
                    name,
                    _size_short(it.get("size")),
                    _hash(it.get("sha256")),
                    acquired,
                ]
            )
        body = (
            _table(["ID", "Name", "Size", "Fingerprint (SHA-256)", "Added to the case"], rows, "fp")
            if rows
            else '<p class="muted">No items yet.</p>'
        )
        return (
            '<section id="items"><h3>The files and their fingerprints</h3><p class="muted">A '
            "fingerprint (SHA-256) is a code computed from every byte of a file: if one byte "
            "changes, the code changes. Anyone can recompute it with "
            "<code>sha256sum</code>. Times are in the collector's time zone ("
            f"{esc((s.get('case') or {}).get('timezone'))}) with UTC beside; the full record "
            "of each item "
            "is in the appendix.</p>" + body + "</section>"
        )

    def _details(self, s: Mapping[str, Any], thumbs: Mapping[str, bytes]) -> str:
        parts = ['<section id="details"><h2>Item details</h2>']
        for it in s.get("items") or []:
            if not isinstance(it, Mapping):
                continue
            iid = str(it.get("id"))
            acq = it.get("acquired") or {}
            parts.append(f'<div class="item"><h3>{esc(iid)} &middot; ')
            parts.append(_withheld() if it.get("withheld") else esc(it.get("name")))
            parts.append("</h3>")
            thumb = thumbs.get(iid)
            if thumb and not it.get("sensitive"):
                data = base64.b64encode(thumb).decode("ascii")
                parts.append(
                    f'<img class="thumb" alt="preview of {esc(iid)}" '
                    f'src="data:image/jpeg;base64,{data}">'
                )
            rows: list[tuple[str, str]] = [
                ("SHA-256", _hash(it.get("sha256"))),
                ("Size", _size(it.get("size"))),
                ("Type", esc(it.get("mime"))),
                ("Collector's description", esc(it.get("description"))),
                (
                    "Acquired",
                    esc(
                        f"{acq.get('local')} ({acq.get('at')} UTC) by "
                        f"{acq.get('by')} on {acq.get('host')} with {acq.get('tool')}"
                    ),
                ),
                ("Method", esc(acq.get("method"))),
                ("Source", esc(acq.get("source"))),
                ("Record revision", esc(it.get("rev"))),
            ]
            if it.get("parent"):
                rows.append(
                    ("Found inside", esc(f"{it['parent'].get('id')} ({it['parent'].get('role')})"))
                )
            if it.get("children"):
                rows.append(("Contains", _items_ref(it.get("children"))))
            if it.get("withheld"):
                rows.append(
                    ("Contents", _withheld("name, preview and contents withheld: sensitive item"))
                )
                parts.append(_dl(rows))
            else:
                orig = it.get("original") or {}
                rows[4:4] = [
                    ("Stored as", f"<code>{esc(it.get('stored'))}</code>"),
                    ("Original location", esc(orig.get("path"))),
                    ("Original modified", esc(orig.get("modified"))),
                ]
                if orig.get("declared_name") and orig.get("declared_name") != it.get("name"):
                    rows.append(("Declared name", esc(orig.get("declared_name"))))
                parts.append(_dl(rows))
                ex = it.get("extraction")
                if isinstance(ex, Mapping) and (ex.get("metadata") or ex.get("errors")):
                    parts.append(
                        f"<h3>Read from the file (by the {esc(ex.get('extractor'))} reader)</h3>"
                    )
                    parts.append(render_value(ex.get("metadata") or {}))
                    if ex.get("errors"):
                        parts.append(
                            "<p><strong>Could not read:</strong></p>"
                            + render_value(list(ex.get("errors") or []))
                        )
            parts.append('<div class="clear"></div></div>')
        parts.append("</section>")
        return "".join(parts)

    def _web_pages(self, s: Mapping[str, Any]) -> str:
        from evidence_kit.report.webpages import web_pages

        rows = []
        for r in web_pages(s.get("items") or []):
            claimed = esc(r.get("claimed") or "(not stated)")
            if r.get("claimed_raw") and r.get("claimed_raw") != r.get("claimed"):
                claimed += f'<br><span class="muted">as written: {esc(r["claimed_raw"])}</span>'
            if r.get("claimed_source"):
                claimed += f'<br><span class="muted">{esc(r["claimed_source"])}</span>'
            warnings = "<br>".join(esc(w) for w in r.get("warnings") or [])
            title = _short(str(r.get("title") or ""), 500)
            if r.get("linked"):
                title += (
                    f'<br><span class="muted">saved with its folder {esc(r.get("linked_folder"))}:'
                    f" {esc(', '.join(r['linked'][:50]))}</span>"
                )
            rows.append(
                [
                    esc(r.get("item")),
                    f"<code>{_short(str(r.get('url') or '(no address stated)'), 2000)}</code>",
                    title,
                    claimed,
                    esc(r.get("acquired_at")),
                    warnings,
                ]
            )
        if not rows:
            return ""
        return (
            '<section id="web-pages"><h2>Web pages</h2><p class="muted">Saved web pages, shown '
            "as text only: nothing from them is loaded or run. The capture time is the one the "
            "file states (the saving computer's or tool's clock); the acquisition time is when "
            "evkit copied the file. They are different facts.</p>"
            + _table(
                [
                    "Item",
                    "Address (URL)",
                    "Title",
                    "Captured (as the file states, UTC)",
                    "Acquired by evkit (UTC)",
                    "Warnings",
                ],
                rows,
            )
            + "</section>"
        )

    def _timeline(self, s: Mapping[str, Any]) -> str:
        rows = []
        for e in s.get("timeline") or []:
            if not isinstance(e, Mapping):
                continue
            when = esc(e.get("local"))
            if e.get("precision") == "instant":
                when += f'<br><span class="muted">{esc(e.get("at"))}</span>'
            flags = "; ".join(str(f) for f in e.get("flags") or [])
            raw = e.get("raw")
            detail = esc(e.get("what"))
            if raw and raw != e.get("at"):
                detail += f'<br><span class="muted">as written: {esc(raw)}</span>'
            if flags:
                detail += f'<br><span class="muted">{esc(flags)}</span>'
            rows.append([when, esc(e.get("source")), _trust(e), detail])
        body = (
            _table(["When (collector's time zone; UTC)", "Source", "Trust", "What"], rows)
            if rows
            else '<p class="muted">No dated facts yet.</p>'
        )
        tz = esc((s.get("case") or {}).get("timezone"))
        return (
            f'<section id="timeline"><h2>Timeline</h2><p class="muted">Ordered by UTC; '
            f"shown in {tz}. Dates without a time sort at the start of their day. Times read "
            "from sensitive items are left out.</p>" + body + "</section>"
        )

    def _conversations(self, s: Mapping[str, Any]) -> str:
        found = s.get("conversations") or {}
        convs = [c for c in found.get("conversations") or [] if isinstance(c, Mapping)]
        withheld = found.get("withheld") or 0
        if not convs and not withheld:
            return ""
        parts = ['<section id="conversations"><h2>Conversations</h2>']
        for c in convs:
            first = c.get("first") or c.get("first_local")
            last = c.get("last") or c.get("last_local")
            zone = "UTC" if c.get("first") else "as written in the export, which has no time zone"
            order = c.get("date_order") if isinstance(c.get("date_order"), Mapping) else {}
            parts.append(
                f"<h3>{esc(c.get('item'))}: {esc(c.get('platform'))} "
                f"{esc(c.get('title') or '')}</h3>"
            )
            parts.append(
                _dl(
                    [
                        (
                            "Participants (as written)",
                            esc(", ".join(map(str, c.get("participants") or []))),
                        ),
                        ("Messages", esc(c.get("count"))),
                        ("Period", esc(f"{first} to {last} ({zone})")),
                        (
                            "Day/month order",
                            esc(f"{order.get('order')}: {order.get('basis')}") if order else "",
                        ),
                    ]
                )
            )
            warnings = [w for w in c.get("warnings") or [] if isinstance(w, Mapping)]
            if warnings:
                parts.append(
                    '<ul class="warn">'
                    + "".join(f"<li>{esc(w.get('text'))}</li>" for w in warnings)
                    + "</ul>"
                )
            rows = [
                [
                    esc(m.get("n")),
                    esc(m.get("at") or m.get("local") or m.get("written")),
                    esc(m.get("sender") if m.get("sender") is not None else "(notice)"),
                    _short(str(m.get("text") or "")),
                    esc("; ".join(m.get("identifiers") or [])),
                    esc(_where(m.get("where"))),
                ]
                for m in c.get("messages") or []
                if isinstance(m, Mapping)
            ]
            if rows:
                parts.append("<p>Messages in which an identifier was found:</p>")
                parts.append(
                    _table(
                        [
                            "#",
                            "Time (UTC)",
                            "Sender (as written)",
                            "Text",
                            "Identifiers",
                            "Where in the file",
                        ],
                        rows,
                    )
                )
        if withheld:
            parts.append(
                f'<p class="muted">{esc(withheld)} conversation(s) in sensitive items are '
                "withheld.</p>"
            )
        parts.append("</section>")
        return "".join(parts)

    def _suspects(self, s: Mapping[str, Any]) -> str:
        rows = []
        for e in s.get("suspects") or []:
            if not isinstance(e, Mapping) or not e.get("current"):
                continue
            details = e.get("details") or {}
            src = e.get("from_identifier") or {}
            note = ""
            if src:
                note = esc(f"promoted from identifier {src.get('kind')}:{src.get('value')}")
            if e.get("supersedes"):
                note += esc(f" corrects event {e['supersedes']}")
            rows.append(
                [esc(e.get("seq")), render_value(details), _items_ref(e.get("item_ids")), note]
            )
        body = (
            _table(["Event", "Details (as stated by the collector)", "Evidence", "Notes"], rows)
            if rows
            else '<p class="muted">No suspects recorded.</p>'
        )
        return f'<section id="suspects"><h2>Suspects</h2>{body}</section>'

    def _identifiers(self, s: Mapping[str, Any]) -> str:
        rows = [
            [
                esc(i.get("kind")),
                f'<span class="mono">{esc(i.get("value"))}</span>',
                _items_ref(i.get("item_ids")),
                esc(", ".join(i.get("fields") or [])),
            ]
            for i in s.get("identifiers") or []
            if isinstance(i, Mapping)
        ]
        withheld = (s.get("counts") or {}).get("withheld_identifiers") or 0
        extra = (
            (
                f'<p class="muted">{esc(withheld)} identifier(s) found only in sensitive '
                "items are withheld.</p>"
            )
            if withheld
            else ""
        )
        body = (
            _table(
                ["Kind", "Value (shown as text, not a link)", "Items", "Where in the file"], rows
            )
            if rows
            else '<p class="muted">No identifiers found.</p>'
        )
        return (
            f'<section id="identifiers"><h2>Identifiers found in the evidence</h2>{body}'
            f"{extra}</section>"
        )

    def _losses(self, s: Mapping[str, Any]) -> str:
        losses = s.get("losses") or {}
        rows = []
        for e in losses.get("entries") or []:
            if not isinstance(e, Mapping) or not e.get("current"):
                continue
            rows.append(
                [
                    esc(e.get("seq")),
                    _when(e.get("at") or e.get("date"), s),
                    esc(f"{e.get('amount')} {e.get('currency')}"),
                    esc(e.get("method")),
                    esc(e.get("to_account")),
                    esc(e.get("reference")),
                    _items_ref(e.get("item_ids")),
                ]
            )
        totals = losses.get("totals") or {}
        total_html = "".join(
            f"<li><strong>{esc(v)} {esc(k)}</strong></li>" for k, v in totals.items()
        )
        body = (
            (
                _table(
                    ["Event", "When", "Amount", "Method", "To account", "Reference", "Evidence"],
                    rows,
                )
                + f"<p>Total by currency:</p><ul>{total_html}</ul>"
            )
            if rows
            else '<p class="muted">No losses recorded.</p>'
        )
        return f'<section id="losses"><h2>Money lost</h2>{body}</section>'

    def _notes(self, s: Mapping[str, Any]) -> str:
        rows = []
        for e in s.get("notes") or []:
            if not isinstance(e, Mapping):
                continue
            state = (
                "current"
                if e.get("current")
                else (
                    f"replaced by event {e.get('superseded_by')}"
                    if e.get("superseded_by")
                    else "withdrawn"
                )
            )
            if e.get("supersedes"):
                state += f"; corrects event {e['supersedes']}"
            when = e.get("at_local") or e.get("at") or "(no time given)"
            text = (
                render_value(e.get("text"))
                if e.get("text")
                else _withheld("withdrawn" + (f": {e.get('reason')}" if e.get("reason") else ""))
            )
            rows.append(
                [
                    esc(e.get("seq")),
                    esc(e.get("recorded_at")),
                    esc(when),
                    text,
                    _items_ref(e.get("item_ids")),
                    esc(state),
                ]
            )
        body = (
            _table(
                [
                    "Event",
                    "Written (computer clock, UTC)",
                    "About the time",
                    "Note",
                    "Items",
                    "Status",
                ],
                rows,
            )
            if rows
            else '<p class="muted">No notes.</p>'
        )
        return (
            f'<section id="notes"><h2>Collector\'s notes</h2><p class="muted">Every version '
            "is kept; corrections are new notes that replace older ones.</p>"
            f"{body}</section>"
        )

    def _timestamps(self, s: Mapping[str, Any]) -> str:
        ts = s.get("timestamps") or {}
        events = [e for e in ts.get("events") or [] if isinstance(e, Mapping)]
        files = [f for f in ts.get("files") or [] if isinstance(f, Mapping)]
        if not events and not files:
            body = (
                "<p>None. No RFC 3161 trusted timestamp has been obtained for this case, so "
                "every time in it is self-asserted.</p>"
            )
        else:
            body = _table(
                [
                    "Event",
                    "Authority",
                    "Time (from the authority)",
                    "Covers (seal)",
                    "Token file",
                    "TSA signature",
                ],
                [
                    [
                        esc(e.get("seq")),
                        esc(e.get("authority")),
                        esc(e.get("time")),
                        _hash(e.get("covers"))
                        + (
                            f'<br><span class="muted">custody events 1&ndash;'
                            f"{esc(e.get('covers_events'))}</span>"
                            if e.get("covers_events")
                            else ""
                        ),
                        f"<code>{esc(e.get('token'))}</code>",
                        esc(
                            e.get("signature")
                            or ("verified" if e.get("verified") else "not checked")
                        ),
                    ]
                    for e in events
                ],
            )
            if files:
                body += _table(
                    ["Timestamp file", "SHA-256", "Size"],
                    [
                        [
                            f"<code>{esc(f.get('path'))}</code>",
                            _hash(f.get("sha256")),
                            _size(f.get("size")),
                        ]
                        for f in files
                    ],
                )
        return f'<section id="timestamps"><h2>Trusted timestamps</h2>{body}</section>'

    def _custody(self, s: Mapping[str, Any]) -> str:
        rows = []
        for ev in s.get("custody") or []:
            if not isinstance(ev, Mapping):
                continue
            actor = ev.get("actor") or {}
            who = esc(actor.get("name") if isinstance(actor, Mapping) else actor)
            data = json.dumps(
                ev.get("data"), indent=1, ensure_ascii=False, sort_keys=True, default=str
            )
            flag = ' <span class="tag">redacted</span>' if ev.get("redacted") else ""
            rows.append(
                [
                    esc(ev.get("seq")),
                    esc(ev.get("at")),
                    f"<strong>{esc(ev.get('action'))}</strong>{flag}",
                    f'{who}<br><span class="muted">{esc(ev.get("host"))}; '
                    f"{esc(ev.get('tool'))}</span>",
                    f'<div class="pre">{_short(data, 20000)}</div>',
                    f'<span class="hash muted">prev {esc(ev.get("prev"))}<br>sig '
                    f"{esc(ev.get('sig'))}</span>",
                ]
            )
        return (
            '<section id="custody"><h2>Custody log</h2><p class="muted">Every event, in '
            "order, as signed with the collector's key (times from the collector's computer "
            "clock, UTC). Each event's <em>prev</em> is the SHA-256 of the event before it."
            "</p>"
            + _table(["#", "When (UTC)", "Action", "By", "Details", "Chain"], rows, "custody")
            + "</section>"
        )

    def _footer(self, s: Mapping[str, Any]) -> str:
        gen = s.get("generated") or {}
        return (
            f"<footer>Generated {esc(gen.get('at'))} UTC by {esc(gen.get('by'))} with "
            f"{esc(gen.get('tool'))} on {esc(gen.get('host'))}. This page contains no "
            "scripts and loads nothing from the network.</footer>"
        )
