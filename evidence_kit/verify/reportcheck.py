"""Verify check (10): HTML reports keep docs/FORMAT.md's promise of carrying no active content.

A report page (``evkit/report/*.html``) is opened by people in a browser, so a signature alone
is not enough: a package re-signed by someone else's key verifies, and its report would run
whatever it carries. evkit's own ``index.html`` has no script, no links, loads nothing and
declares a strict Content-Security-Policy. Each page is read with a real HTML tokenizer
(:mod:`html.parser`) and must have:

* no ``<script>``, ``<iframe>``/``<frame>``, ``<object>``/``<embed>``/``<applet>``, ``<base>``,
  ``<link>``, ``<form>``, ``<svg>``/``<math>``, ``<meta http-equiv=refresh>``;
* no event-handler attribute (``on...=``);
* no URL in ``href``/``src``/``action``/… other than a ``#fragment`` or, for ``<img src>``, a
  ``data:image/`` raster picture (so no ``javascript:``/``data:`` links, no ``http(s)://``,
  ``//`` or relative references); no ``srcset``;
* no CSS ``url()`` except ``data:image/`` pictures, no ``@import``, no ``expression(``;
* a ``<meta http-equiv="Content-Security-Policy">`` before any content, with
  ``default-src 'none'`` and nothing that allows scripts;
* valid UTF-8, and no markup the tokenizer and a browser could read differently (raw
  ``<script``-like tags anywhere, comments holding ``<``, processing instructions, CDATA).

Anything else is the finding ``report.active`` (exit 1). Used by ``evkit verify`` (folders and
zips) and by ``evkit import``, which refuses such a package.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from evidence_kit.models import Check, Finding

if TYPE_CHECKING:
    from evidence_kit.verify.checks import VerifyContext

REPORT_PREFIX = "evkit/report/"
#: Files a browser renders as a page (SVG included: it can carry script too).
PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".xht", ".svg")

_FORBIDDEN = {
    "script": "a script",
    "iframe": "a frame",
    "frame": "a frame",
    "frameset": "a frame",
    "object": "an embedded object",
    "embed": "an embedded object",
    "applet": "an embedded object",
    "base": "a <base> element",
    "link": "a link to another resource",
    "form": "a form",
    "svg": "SVG markup",
    "math": "MathML markup",
    "portal": "a portal",
    "noscript": "a <noscript> element",
    "template": "a <template> element",
}
_URL_ATTRS = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "poster",
        "background",
        "data",
        "codebase",
        "cite",
        "longdesc",
        "ping",
        "manifest",
        "lowsrc",
        "dynsrc",
        "usemap",
        "archive",
        "classid",
        "icon",
        "profile",
        "xlink:href",
    }
)
_DATA_IMAGE = re.compile(
    r"^data:image/(?:png|jpeg|jpg|gif|webp|bmp);base64,[A-Za-z0-9+/=\s]*$", re.IGNORECASE
)
#: Raw tags a browser acts on: looked for in the bytes too, in case the tokenizer was misled
#: (evkit escapes every '<' in what it shows, so its pages never contain these).
_RAW_TAG = re.compile(
    r"<\s*/?\s*(script|iframe|frame|object|embed|applet|base|link|svg|math|"
    r"portal|form)[\s/>]",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"url\s*\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_CONTENT_BEFORE_CSP = frozenset({"html", "head", "meta", "title"})


def _url(value: str) -> str:
    """A URL as a browser reads it: no tabs or newlines, no leading controls or spaces."""
    return (
        re.sub(r"[\t\n\r]", "", value)
        .lstrip(
            "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
            "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
            "\x19\x1a\x1b\x1c\x1d\x1e\x1f "
        )
        .strip()
    )


def _css_problem(css: str) -> str | None:
    low = css.lower()
    if "<" in css:
        return "markup inside a style sheet"
    if "@import" in low:
        return "a style sheet that imports another (@import)"
    if "expression(" in low or "javascript:" in low or "behavior:" in low:
        return "script in a style sheet"
    for m in _CSS_URL.finditer(css):
        if not _DATA_IMAGE.match(_url(m.group(2))):
            return f"a style sheet that loads {_url(m.group(2))[:60]!r}"
    return None


def _csp_problem(content: str) -> str | None:
    directives: dict[str, list[str]] = {}
    for part in content.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])
    if directives.get("default-src") != ["'none'"]:
        return "a Content-Security-Policy without default-src 'none'"
    for name in (
        "script-src",
        "script-src-elem",
        "script-src-attr",
        "object-src",
        "frame-src",
        "child-src",
        "connect-src",
        "worker-src",
    ):
        if name in directives and directives[name] != ["'none'"]:
            return f"a Content-Security-Policy that allows {name}"
    for name, values in directives.items():
        if any(v in ("*", "http:", "https:", "'unsafe-eval'") or "://" in v for v in values):
            return f"a Content-Security-Policy whose {name} allows other sources"
    return None


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.csp = False
        self.content_started = False
        self._stack: list[str] = []

    def _note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_tag(tag, attrs)
        if tag == "style":
            self._stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_tag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._stack:
            self._stack.pop()

    def _check_tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN:
            self._note(f"{_FORBIDDEN[tag]} (<{tag}>)")
        values = {name: value or "" for name, value in attrs}
        if tag == "meta":
            equiv = values.get("http-equiv", "").strip().lower()
            if equiv == "refresh":
                self._note("an automatic redirect (<meta http-equiv=refresh>)")
            elif equiv == "content-security-policy":
                problem = _csp_problem(values.get("content", ""))
                if problem:
                    self._note(problem)
                elif not self.content_started:
                    self.csp = True
            elif equiv and equiv not in ("content-type", "x-ua-compatible"):
                self._note(f"a <meta http-equiv={equiv!r}> instruction")
        elif tag not in _CONTENT_BEFORE_CSP:
            self.content_started = True
        for name, value in attrs:
            if name.startswith("on"):
                self._note(f"an event handler that runs script ({name}=)")
            elif name == "srcset":
                self._note("an image source set (srcset=)")
            elif name == "style":
                problem = _css_problem(value or "")
                if problem:
                    self._note(problem)
            elif name in _URL_ATTRS or name.endswith(":href"):
                url = _url(value or "")
                if url.startswith("#") and name == "href":
                    continue
                if tag == "img" and name == "src" and _DATA_IMAGE.match(url):
                    continue
                scheme = url.split(":", 1)[0].lower() if ":" in url.split("/", 1)[0] else ""
                if scheme in ("javascript", "vbscript"):
                    self._note(f"a script link ({name}={scheme}:)")
                elif scheme == "data":
                    self._note(f"embedded content ({name}=data:)")
                elif scheme or url.startswith(("//", "\\\\", "/\\")):
                    self._note(f"a reference to an outside resource ({name}={url[:60]!r})")
                else:
                    self._note(f"a reference to another file ({name}={url[:60]!r})")

    def handle_data(self, data: str) -> None:
        if self._stack:
            problem = _css_problem(data)
            if problem:
                self._note(problem)

    def handle_comment(self, data: str) -> None:
        if "<" in data or ">" in data or "--!" in data:
            self._note("a comment holding markup")

    def handle_decl(self, decl: str) -> None:
        if decl.strip().lower() != "doctype html":
            self._note(f"an unexpected declaration (<!{decl[:30]}>)")

    def unknown_decl(self, data: str) -> None:
        self._note("an unexpected declaration (CDATA)")

    def handle_pi(self, data: str) -> None:
        self._note("a processing instruction (<?...>)")


def active_content(data: bytes) -> list[str]:
    """What in an HTML page breaks the no-active-content promise (empty: nothing)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return ["text that is not UTF-8 (a browser could read it differently)"]
    text = text.removeprefix("\ufeff")
    parser = _Inspector()
    parser.feed(text)
    parser.close()
    problems = list(parser.problems)
    raw = _RAW_TAG.search(text)
    if raw and not any(f"<{raw.group(1).lower()}>" in p for p in problems):
        problems.append(f"markup a browser would run or load (<{raw.group(1).lower()}>)")
    if not parser.csp:
        problems.append("no Content-Security-Policy at the top of the page")
    return problems


def is_page(rel: str) -> bool:
    return rel.startswith(REPORT_PREFIX) and rel.lower().endswith(PAGE_SUFFIXES)


def report_findings(files: list[str], read: Callable[[str], bytes | None]) -> list[Finding]:
    """``report.active`` for each report page that carries active content."""
    findings: list[Finding] = []
    for rel in sorted(r for r in files if is_page(r)):
        data = read(rel)
        if data is None:
            continue  # missing or unreadable: the tag manifest and seal checks report it
        problems = active_content(data)
        if problems:
            shown = "; ".join(problems[:3]) + (
                f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            )
            findings.append(
                Finding(
                    "report.active",
                    f"The report page {rel} contains {shown}. evkit's reports "
                    "never do, so it was altered: do not open it in a web browser.",
                    rel,
                )
            )
    return findings


def verify_check(ctx: VerifyContext) -> tuple[Check, list[Finding]] | None:
    """Check (10) for a case folder or package that holds report pages."""
    pages = [r for r in ctx.files if is_page(r)]
    if not pages:
        return None
    findings = report_findings(pages, ctx.source.read)
    detail = (
        f"{len(pages)} report page(s): no script, no links, nothing loaded, strict CSP"
        if not findings
        else f"{len(findings)} problem(s)"
    )
    return Check("Report pages", not findings, detail), findings
