"""One captured HTML page read as data: title, visible text, links out, forms, active content.

The page is tokenised with the standard library's :class:`html.parser.HTMLParser`; nothing is
executed, fetched or rendered. What is recorded are facts about the markup ("a form asks for a
password"), never a verdict about the site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from evidence_kit.extractors.web.common import (
    HTML_INPUT_CAP,
    MAX_FORMS,
    MAX_LINKS,
    TEXT_CAP,
)

_SKIP = frozenset({"script", "style", "template", "title", "noscript", "textarea"})
_BLOCK = frozenset(
    {
        "p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "ul", "ol", "blockquote", "hr", "section", "article", "header", "footer",
        "pre", "form", "dd", "dt", "main", "nav", "aside", "label", "option",
    }
)  # fmt: skip
_ACTIVE = {
    "script": "scripts",
    "iframe": "iframes",
    "frame": "iframes",
    "object": "embedded_objects",
    "embed": "embedded_objects",
    "applet": "embedded_objects",
}
_RESOURCE_ATTRS = {
    "img": "src",
    "script": "src",
    "iframe": "src",
    "frame": "src",
    "embed": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "object": "data",
    "link": "href",
}
_CARD_RE = re.compile(
    r"(?i)(cc-?(number|num|csc|exp)|card.?(number|num|no)|credit.?card|cvv|cvc|csc|"
    r"security.?code|kartennummer|numero.?carte|pan\b)"
)
_PASS_HINT_RE = re.compile(r"(?i)(passw|passcode|\bpin\b|kennwort|mot.?de.?passe|contrase)")
_SINGLEFILE_RE = re.compile(
    r"(?is)Page saved with SingleFile.{0,200}?url:\s*(\S{1,4000})(?:.{0,200}?saved date:\s*"
    r"([^\n\r]{1,200}))?"
)
#: A reference into the folder a browser's "Save page as, complete" writes beside the page.
_FILES_REF_RE = re.compile(r"^(?:\./)?[^/:?#]{1,200}_files/[^?#]+$")
_SAVED_FROM_RE = re.compile(r"(?i)saved from url=\(\d{1,6}\)\s*(\S{1,4000})")


@dataclass
class PageFacts:
    """What one HTML page says about itself."""

    title: str | None = None
    text: str = ""
    text_truncated: bool = False
    base: str | None = None
    canonical: str | None = None
    links_out: list[str] = field(default_factory=list)
    links_out_truncated: bool = False
    forms: list[dict[str, Any]] = field(default_factory=list)
    active: dict[str, int] = field(default_factory=dict)
    remote_resources: int = 0
    meta_refresh: str | None = None
    singlefile: dict[str, str] | None = None
    saved_from: str | None = None
    local_refs: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record's form of these facts (text is stored separately by the caller)."""
        out: dict[str, Any] = {
            "title": self.title,
            "links_out": self.links_out,
            "links_out_truncated": self.links_out_truncated,
            "forms": self.forms,
            "active_content": {
                "scripts": self.active.get("scripts", 0),
                "iframes": self.active.get("iframes", 0),
                "embedded_objects": self.active.get("embedded_objects", 0),
                "remote_resources": self.remote_resources,
                "meta_refresh": self.meta_refresh,
            },
        }
        if self.canonical:
            out["canonical"] = self.canonical
        return out

    def warnings(self) -> list[str]:
        """Facts worth a reader's attention, stated as facts (not verdicts)."""
        out = []
        for form in self.forms:
            asks = form.get("asks_for") or []
            if asks:
                where = form.get("action") or "(no action: the page's own address)"
                out.append(f"the page has a form asking for {' and '.join(asks)}, sent to {where}")
        return out


class _Reader(HTMLParser):
    def __init__(self, page_url: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()
        self.page_url = page_url
        self.skip = 0
        self.in_title = False
        self.title_seen = False
        self.title_parts: list[str] = []
        self.pieces: list[str] = []
        self.size = 0
        self.form: dict[str, Any] | None = None
        self.seen_links: set[str] = set()
        self.comments = 0
        self.tags = 0

    # --- helpers ---

    def _abs(self, value: str) -> str | None:
        v = value.strip()
        if not v or v.startswith("#") or len(v) > 4000:
            return None
        base = self.facts.base or self.page_url or ""
        try:
            joined = urljoin(base, v) if base else v
            scheme = urlsplit(joined).scheme.lower()
        except ValueError:
            return None
        return joined if scheme in ("http", "https", "ftp") else None

    def _emit(self, s: str) -> None:
        if self.size < TEXT_CAP * 2:
            self.pieces.append(s)
            self.size += len(s)
        else:
            self.facts.text_truncated = True

    def _close_form(self) -> None:
        if self.form is not None:
            asks = []
            if self.form.pop("_password", False):
                asks.append("a password")
            if self.form.pop("_card", False):
                asks.append("card details")
            self.form["asks_for"] = asks
            if len(self.facts.forms) < MAX_FORMS:
                self.facts.forms.append(self.form)
            self.form = None

    # --- parser callbacks ---

    def handle_comment(self, data: str) -> None:
        self.comments += 1
        if self.comments > 20 or (self.facts.singlefile and self.facts.saved_from):
            return
        m = _SINGLEFILE_RE.search(data[:10000])
        if m and self.facts.singlefile is None:
            self.facts.singlefile = {"url": m.group(1), "saved_date": (m.group(2) or "").strip()}
        m2 = _SAVED_FROM_RE.search(data[:5000])
        if m2 and self.facts.saved_from is None:
            self.facts.saved_from = m2.group(1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags += 1
        if self.tags > MAX_TAGS:
            raise _TooManyTagsError
        a = {k: (v or "") for k, v in attrs[:200]}
        if tag in _SKIP:
            self.skip += 1
        elif tag == "body":
            self.skip = 0  # an unclosed <title> must not hide the whole body
        if tag == "title" and not self.title_seen:
            self.in_title = self.title_seen = True  # the first <title> only (not an SVG's)
        if tag in _BLOCK:
            self._emit("\n")
        kind = _ACTIVE.get(tag)
        if kind:
            self.facts.active[kind] = self.facts.active.get(kind, 0) + 1
        res_attr = _RESOURCE_ATTRS.get(tag)
        if res_attr and a.get(res_attr):
            v = a[res_attr].strip().lower()
            if v.startswith(("http:", "https:", "//")):
                self.facts.remote_resources += 1
            elif _FILES_REF_RE.match(a[res_attr].strip()) and len(self.facts.local_refs) < 2000:
                self.facts.local_refs.append(a[res_attr].strip()[:1000])
        if tag == "base" and a.get("href") and self.facts.base is None:
            self.facts.base = self._abs(a["href"]) or None
        elif tag == "link" and "canonical" in a.get("rel", "").lower().split():
            self.facts.canonical = self._abs(a.get("href", "")) or self.facts.canonical
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.facts.meta_refresh = a.get("content", "")[:2000]
        elif tag in ("a", "area") and a.get("href"):
            self._link(a["href"])
        elif tag == "form":
            self._close_form()
            action = a.get("action", "")
            self.form = {
                "action": (self._abs(action) or action.strip())[:2000] or None,
                "method": (a.get("method") or "get").lower()[:20],
                "fields": 0,
                "_password": False,
                "_card": False,
            }
        elif tag in ("input", "select") and self.form is not None:
            self.form["fields"] += 1
            itype = a.get("type", "").lower()
            hint = " ".join(a.get(k, "") for k in ("name", "id", "autocomplete", "placeholder"))
            if itype == "password" or "current-password" in hint or "new-password" in hint:
                self.form["_password"] = True
            elif itype in ("", "text", "tel", "number") and _PASS_HINT_RE.search(hint):
                self.form["_password"] = True
            if _CARD_RE.search(hint):
                self.form["_card"] = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            kind = _ACTIVE.get(tag)
            if kind:
                self.facts.active[kind] = self.facts.active.get(kind, 0) + 1
            return  # <script/> opens nothing
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skip:
            self.skip -= 1
        if tag == "title":
            self.in_title = False
        if tag in _BLOCK:
            self._emit("\n")
        if tag == "form":
            self._close_form()

    def handle_data(self, data: str) -> None:
        if self.in_title and sum(map(len, self.title_parts)) < 2000:
            self.title_parts.append(data)
        if self.skip:
            return
        self._emit(data)

    def _link(self, href: str) -> None:
        url = self._abs(href)
        if url is None or url in self.seen_links:
            return
        if len(self.facts.links_out) >= MAX_LINKS:
            self.facts.links_out_truncated = True
            return
        self.seen_links.add(url)
        self.facts.links_out.append(url)


_STRAY_LT_RE = re.compile(r"<(?![A-Za-z!/?])")
#: Elements read per page: enough for any real page, bounded for hostile ones.
MAX_TAGS = 100_000


class _TooManyTagsError(Exception):
    """Stops the tokenizer once :data:`MAX_TAGS` elements were read."""


def _defuse(html: str) -> str:
    """The markup with every "<" that cannot start a complete construct written as "&lt;".

    A browser reads such a "<" as text too. Left as it is, html.parser searches the rest of
    the page for the construct's end from each one again, so a page of a few megabytes of
    "<!" or "<!--x>" would take it hours. A "<" cannot open a tag after the last ">", a comment
    after the last "-->", or a marked section after the last "]]>".
    """
    html = _STRAY_LT_RE.sub("&lt;", html)
    last_gt = html.rfind(">")
    if last_gt != len(html) - 1:
        html = html[: last_gt + 1] + html[last_gt + 1 :].replace("<", "&lt;")
    for opener, closer in (("<!--", "-->"), ("<![", "]]>")):
        end = html.rfind(closer)
        tail = html[end + 1 :] if end >= 0 else html
        if opener in tail:
            cut = end + 1 if end >= 0 else 0
            html = html[:cut] + tail.replace(opener, "&lt;" + opener[1:])
    return html


def read_page(html: str, page_url: str | None = None) -> PageFacts:
    """Read one page's markup; never raises (a parser failure is kept in ``error``)."""
    reader = _Reader(page_url)
    if len(html) > HTML_INPUT_CAP:
        reader.facts.text_truncated = True
    # A "<" that cannot open a tag is text to a browser too; as "&lt;" it cannot make the
    # tokenizer rescan (thousands of them in a row take it minutes otherwise).
    markup = _defuse(html[:HTML_INPUT_CAP])
    try:
        # One feed: fed in pieces, html.parser re-reads an unfinished tag from its start on
        # every piece, which a hostile page can make quadratic.
        reader.feed(markup)
        reader.close()
    except _TooManyTagsError:
        reader.facts.text_truncated = True
        reader.facts.error = f"only the first {MAX_TAGS} elements were read"
    # html.parser has raised AssertionError and others on hostile markup in some versions.
    except Exception as exc:
        reader.facts.error = f"{type(exc).__name__}: {exc}"[:200]
    reader._close_form()
    facts = reader.facts
    if reader.title_parts:
        facts.title = " ".join("".join(reader.title_parts).split())[:1000] or None
    raw = "".join(reader.pieces).replace("\xa0", " ")
    lines = [" ".join(ln.split()) for ln in raw.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if len(text) > TEXT_CAP:
        facts.text_truncated = True
    facts.text = text[:TEXT_CAP]
    return facts


_META_CHARSET_RE = re.compile(
    rb"""(?i)<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{1,40})"""
)


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Text of an HTML document and the charset used (declared, then ``<meta>``, then UTF-8)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "utf-16"
    names = [declared] if declared else []
    m = _META_CHARSET_RE.search(data[:8192])
    if m:
        names.append(m.group(1).decode("ascii"))
    for name in [*names, "utf-8"]:
        try:
            return data.decode(name, "strict"), name
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", "replace"), "cp1252"
