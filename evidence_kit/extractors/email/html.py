"""Text and HTML bodies: visible text, links, and links whose text names another host."""

from __future__ import annotations

import re
from email.message import Message
from html.parser import HTMLParser
from urllib.parse import urlsplit

from evidence_kit.extractors.email.common import (
    HTML_INPUT_CAP,
    MAX_MISMATCHES,
    MAX_URLS,
    TEXT_CAP,
    _State,
)
from evidence_kit.extractors.email.decode import _part_bytes
from evidence_kit.extractors.email.headers import _decode_bytes
from evidence_kit.extractors.email.parts import _param

# --- bodies ----------------------------------------------------------------------------------


def _body_part(part: Message, section: str, ctype: str, state: _State) -> None:
    limit = TEXT_CAP * 4 if ctype == "text/plain" else HTML_INPUT_CAP
    data, cut = _part_bytes(part, state.src, limit)
    declared = _param(part, "charset", "content-type")
    if declared is None and ctype == "text/html":
        declared = _meta_charset(data)
    text, used, clean = _decode_bytes(data, declared)
    if not clean:
        state.charset_errors = True
        state.charset_notes.append(
            f"part {section}: declared charset {declared or '(none)'}, decoded as {used}"
        )
    if "\ufffd" in text and clean:
        state.charset_errors = True
    text = text.replace("\x00", "").replace("\r\n", "\n")
    if ctype == "text/html":
        visible, anchors, urls, error = _html_text(text)
        if error:
            state.result.errors.append(
                f"part {section}: the HTML could not be read completely ({error})"
            )
        _add_html_links(state, urls, anchors)
        if state.html_len < TEXT_CAP:
            state.html_parts.append(visible[: TEXT_CAP - state.html_len])
            state.html_len += len(visible)
        if state.html_len > TEXT_CAP or cut:
            state.html_truncated = True
    else:
        _add_text(state, text)
        if cut:
            state.text_truncated = True


def _add_text(state: _State, text: str) -> None:
    if state.text_len < TEXT_CAP:
        state.text_parts.append(text[: TEXT_CAP - state.text_len])
    state.text_len += len(text)
    if state.text_len > TEXT_CAP:
        state.text_truncated = True


_META_CHARSET_RE = re.compile(
    rb"""(?i)<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]{1,40})"""
)


def _meta_charset(data: bytes) -> str | None:
    """The charset an HTML body declares for itself (what a browser would use)."""
    m = _META_CHARSET_RE.search(data[:8192])
    return m.group(1).decode("ascii") if m else None


def _add_html_links(state: _State, urls: list[str], anchors: list[tuple[str, str]]) -> None:
    for href in urls:
        state.hrefs.append(href)  # mailto: included, for the e-mail identifiers
        if not href.lower().startswith("mailto:"):
            _add_url(state, href)
    for anchor_text, href in anchors:
        if _is_mismatch(anchor_text, href) and len(state.mismatches) < MAX_MISMATCHES:
            state.mismatches.append({"text": anchor_text[:500], "href": href[:2000]})


def _add_url(state: _State, url: str) -> None:
    if url in state.urls:
        return
    if len(state.urls) >= MAX_URLS:
        state.urls_truncated = True
        return
    state.urls[url] = None


_URL_ATTRS = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "background",
        "poster",
        "data",
        "longdesc",
        "cite",
        "srcset",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "template", "title"})
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "blockquote",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "pre",
        "form",
        "center",
        "dd",
        "dt",
    }
)
_ABS_URL_RE = re.compile(r"(?i)^(?:(?:https?|hxxps?|ftp)://|www\.|//)")


class _HTMLText(HTMLParser):
    """Visible text, anchors and referenced URLs of an HTML body (nothing is fetched)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.size = 0
        self.skip = 0
        self.anchors: list[tuple[str, str]] = []
        self.urls: list[str] = []
        self._anchor: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "body":
            self.skip = 0  # an unclosed <title> must not hide the whole body
        if tag in _BLOCK_TAGS:
            self._emit("\n")
        for name, value in attrs:
            if name in _URL_ATTRS and value and len(self.urls) < MAX_URLS:
                cands = (
                    [c.split()[0] for c in value.split(",") if c.split()]
                    if name == "srcset"
                    else [value]
                )
                for cand in cands:
                    cand = cand.strip()
                    if _ABS_URL_RE.match(cand) or cand.lower().startswith("mailto:"):
                        self.urls.append(cand)
        if tag == "a":
            self._close_anchor()
            href = dict(attrs).get("href")
            if href:
                self._anchor = (href.strip(), [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            return  # <title/> opens nothing
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self.skip:
            self.skip -= 1
        if tag in _BLOCK_TAGS:
            self._emit("\n")
        if tag == "a":
            self._close_anchor()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self._emit(data)
        if self._anchor is not None and sum(map(len, self._anchor[1])) < 2000:
            self._anchor[1].append(data)

    def _emit(self, s: str) -> None:
        if self.size < TEXT_CAP * 2:
            self.pieces.append(s)
            self.size += len(s)

    def _close_anchor(self) -> None:
        if self._anchor is not None:
            href, parts = self._anchor
            text = " ".join("".join(parts).split())
            if text and len(self.anchors) < 5000:
                self.anchors.append((text, href))
            self._anchor = None


def _html_text(html: str) -> tuple[str, list[tuple[str, str]], list[str], str | None]:
    parser = _HTMLText()
    error = None
    try:
        parser.feed(html[:HTML_INPUT_CAP])
        parser.close()
    # html.parser has raised AssertionError and others on hostile markup in some versions.
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
    parser._close_anchor()
    raw = "".join(parser.pieces).replace("\xa0", " ")
    lines = [" ".join(ln.split()) for ln in raw.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, parser.anchors, parser.urls, error


_LOOKS_URL_RE = re.compile(r"(?i)^(?:(?:https?|hxxps?)://|www\.)\S+$")
_LOOKS_DOMAIN_RE = re.compile(r"(?i)^(?:[\w\-]+\.)+[^\W\d_]{2,63}\.?(?:[/:?#]\S*)?$")


def _host_of(url: str) -> str | None:
    u = url.strip()
    if u[:4].lower() == "hxxp":
        u = "http" + u[4:]
    if u.startswith("//"):
        u = "http:" + u
    elif "://" not in u:
        u = "http://" + u
    try:
        host = urlsplit(u).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    return host[4:] if host.startswith("www.") else host


def _is_mismatch(text: str, href: str) -> bool:
    """True when link text shows a web address whose host differs from where the link goes."""
    t = text.strip().strip("<>[]()\"'").strip()
    if "@" in t or not (_LOOKS_URL_RE.match(t) or _LOOKS_DOMAIN_RE.match(t)):
        return False
    shown = _host_of(t)
    if not shown:
        return False
    h = href.strip()
    scheme = h.split(":", 1)[0].lower() if ":" in h else ""
    if scheme in ("javascript", "data", "vbscript", "file"):
        return True
    if not (_ABS_URL_RE.match(h)):
        return False  # relative links and mailto: cannot be compared
    actual = _host_of(h)
    if not actual:
        return False
    return not (actual == shown or actual.endswith("." + shown) or shown.endswith("." + actual))
