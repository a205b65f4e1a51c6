"""Authentication claims (``Authentication-Results``, ARC): reported as stated, never re-checked."""

from __future__ import annotations

import re
from typing import Any

from evidence_kit.extractors.email.common import AUTH_NOTE
from evidence_kit.extractors.email.headers import _decode_header

# ============================================================================================
# Authentication claims
# ============================================================================================

_RESINFO_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*=\s*([A-Za-z0-9_.\-]+)(.*)$", re.S)
_PROP_RE = re.compile(r"([A-Za-z0-9_.\-]+)\s*=\s*(\"[^\"]*\"|[^\s;()]+)")


def _split_semicolons(s: str) -> list[str]:
    """Split on ';' outside comments and quotes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    cur: list[str] = []
    for c in s:
        if c == '"' and depth == 0:
            quoted = not quoted
        elif c == "(" and not quoted:
            depth += 1
        elif c == ")" and not quoted and depth:
            depth -= 1
        if c == ";" and depth == 0 and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _strip_comments(s: str) -> str:
    prev = None
    while prev != s:
        prev = s
        s = re.sub(r"\([^()]*\)", " ", s)
    return s


def _auth_results(raw: str, arc: bool) -> dict[str, Any]:
    text = " ".join(_decode_header(raw).split())
    segs = _split_semicolons(text)
    out: dict[str, Any] = {"authserv_id": None, "verdicts": [], "raw": text[:4000]}
    if arc and segs and re.match(r"(?i)^i\s*=\s*\d+$", segs[0]):
        out["instance"] = segs.pop(0).split("=", 1)[1].strip()
    if segs and not _RESINFO_RE.match(_strip_comments(segs[0])):
        out["authserv_id"] = _strip_comments(segs.pop(0)).strip() or None
    for seg in segs[:50]:
        clean = _strip_comments(seg)
        m = _RESINFO_RE.match(clean)
        if not m:
            if clean.strip().lower() == "none":
                out["verdicts"].append({"method": "none", "result": "none", "properties": {}})
            continue
        props = {k.lower(): v.strip('"') for k, v in _PROP_RE.findall(m.group(3))}
        out["verdicts"].append(
            {
                "method": m.group(1).lower(),
                "result": m.group(2).lower(),
                "properties": dict(list(props.items())[:20]),
            }
        )
    return out


def _authentication(raw_items: list[tuple[str, str]]) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    arc: list[dict[str, Any]] = []
    spf: list[dict[str, Any]] = []
    dkim: list[dict[str, Any]] = []
    summary: dict[str, list[str]] = {"spf": [], "dkim": [], "dmarc": []}
    for k, v in raw_items:
        name = k.strip().lower()
        if name == "authentication-results" and len(results) < 50:
            r = _auth_results(v, arc=False)
            results.append(r)
            for verdict in r["verdicts"]:
                if verdict["method"] in summary:
                    summary[verdict["method"]].append(verdict["result"])
        elif name == "arc-authentication-results" and len(arc) < 50:
            arc.append(_auth_results(v, arc=True))
        elif name == "received-spf" and len(spf) < 50:
            text = " ".join(_decode_header(v).split())
            words = text.split(None, 1)
            result = words[0].lower().strip(";") if words else ""
            spf.append({"result": result, "raw": text[:4000]})
            if result:
                summary["spf"].append(result)
        elif name == "dkim-signature" and len(dkim) < 50:
            text = " ".join(_decode_header(v).split())
            tags: dict[str, str] = {}
            for seg in text.split(";"):
                key, eq, val = seg.partition("=")
                if eq:
                    tags.setdefault(key.strip().lower(), "".join(val.split()))
            dkim.append(
                {
                    "d": (tags.get("d") or "").lower() or None,
                    "s": tags.get("s"),
                    "a": tags.get("a"),
                    "i": tags.get("i"),
                    "raw": text[:4000],
                }
            )
    return {
        "note": AUTH_NOTE,
        "results": results,
        "arc_results": arc,
        "received_spf": spf,
        "dkim_signatures": dkim,
        "summary": summary,
    }
