"""E-mail findings: who it claims to be from and where replies go, links that lie, the
authentication results as the receiving server stated them, where it was sent from, and a
Date header that disagrees with the servers' own times."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from evidence_kit.extractors.findings.base import (
    parse_utc,
    plural,
    quoted,
    type_label,
    when_text,
)
from evidence_kit.extractors.interface import Description, Finding, RecordView

#: A Date header more than this far before the first server's time is worth a look (mail can
#: queue for a while, but hours are unusual) ...
EARLY_GAP_SECONDS = 2 * 3600
#: ... and a Date header after the first server received the message is impossible unless a
#: clock is wrong or the header was written afterwards (a little clock drift is normal).
LATE_GAP_SECONDS = 10 * 60

#: Extractor warnings that the findings below already say in their own words.
_COVERED = ("Reply-To goes to", "Return-Path goes to", "the From display name shows")

_AUTH_WORDS = {
    "pass": "passed",
    "fail": "failed",
    "softfail": "soft-failed",
    "neutral": "neutral",
    "none": "none",
    "temperror": "temporary error",
    "permerror": "permanent error",
    "policy": "policy",
}
_BAD = frozenset({"fail", "softfail", "permerror"})


def _addresses(md: Mapping[str, Any], key: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of one address header, as the record holds them."""
    table = md.get("addresses")
    entries = table.get(key) if isinstance(table, Mapping) else None
    return [
        (str(e.get("name") or ""), str(e.get("address") or ""))
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, Mapping)
    ]


def _domain(address: str) -> str:
    return address.lower().rpartition("@")[2]


def _person(name: str, address: str) -> str:
    if name and address:
        return f"{quoted(name, 60)} <{address}>"
    return address or quoted(name, 60)


def _hops(md: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    hops = md.get("received")
    return [h for h in hops if isinstance(h, Mapping)] if isinstance(hops, list) else []


def _public(ip: str) -> bool:
    """Not a private, loopback or link-local address: one that can point at someone outside.
    (Documentation ranges count as public here: they stand for real addresses in examples.)"""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if addr.is_loopback or addr.is_link_local or addr.is_unspecified or addr.is_multicast:
        return False
    private = (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
    )
    return not any(addr in ipaddress.ip_network(n) for n in private)


def _sender_findings(md: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    frm = _addresses(md, "from")
    from_addr = frm[0][1].lower() if frm else ""
    from_dom = _domain(from_addr)
    replies = [a for _n, a in _addresses(md, "reply_to") if a]
    other = [a for a in replies if a.lower() != from_addr]
    if from_addr and other:
        different_domain = any(_domain(a) != from_dom for a in other)
        out.append(
            Finding(
                "email.reply-to",
                "warning" if different_domain else "notable",
                f"Replies go to a different address ({', '.join(other[:3])}) than the one "
                f"the e-mail is from ({from_addr}): a common sign of impersonation.",
            )
        )
    bounce = [a for _n, a in _addresses(md, "return_path") if a]
    if from_dom and bounce and all(_domain(a) != from_dom for a in bounce):
        out.append(
            Finding(
                "email.return-path",
                "notable",
                f"The return address used by the mail servers (Return-Path: {bounce[0]}) "
                f"is on a different domain than the sender's ({from_dom}).",
            )
        )
    sender = [a for _n, a in _addresses(md, "sender") if a]
    if from_addr and sender and sender[0].lower() != from_addr:
        out.append(
            Finding(
                "email.sender",
                "notable",
                f"It was sent on behalf of the sender by another address (Sender: {sender[0]}).",
            )
        )
    if frm:
        shown = frm[0][0]
        words = [w.strip("'\"<>(),;") for w in shown.split()]
        for word in words:
            if "@" in word and "." in word.rpartition("@")[2] and word.lower() != from_addr:
                out.append(
                    Finding(
                        "email.display-name",
                        "warning",
                        f"The sender's name shows the address {word}, but the e-mail really "
                        f"came from {from_addr or '(no address)'}: the name is made to deceive.",
                    )
                )
                break
    return out


def _link_findings(md: Mapping[str, Any]) -> list[Finding]:
    raw = md.get("link_mismatches")
    found = [m for m in raw if isinstance(m, Mapping)] if isinstance(raw, list) else []
    out = [
        Finding(
            "email.link-mismatch",
            "warning",
            f"A link shows the text {quoted(m.get('text'))} but leads somewhere else: "
            f"{quoted(m.get('href'), 120)}. Do not open it.",
        )
        for m in found[:5]
    ]
    if len(found) > 5:
        out.append(
            Finding(
                "email.link-mismatch",
                "warning",
                f"{plural(len(found) - 5, 'more link')} also show one address and lead to another.",
            )
        )
    return out


def _auth_finding(md: Mapping[str, Any]) -> Finding | None:
    auth = md.get("authentication")
    if not isinstance(auth, Mapping):
        return None
    summary = auth.get("summary")
    results = auth.get("results")
    if not isinstance(summary, Mapping):
        return None
    parts: list[str] = []
    bad = False
    for method in ("spf", "dkim", "dmarc"):
        values = summary.get(method)
        if not isinstance(values, list) or not values:
            continue
        words = [str(v).lower() for v in values[:3]]
        bad = bad or any(w in _BAD for w in words)
        parts.append(f"{method.upper()} {', '.join(_AUTH_WORDS.get(w, w) for w in words)}")
    if not parts:
        return None
    server = ""
    if isinstance(results, list) and results and isinstance(results[0], Mapping):
        server = str(results[0].get("authserv_id") or "")
    by = f" by the receiving server {server}" if server else ""
    meaning = (
        " A failed check means the sending server was not allowed to send for that address."
        if bad
        else ""
    )
    return Finding(
        "email.auth",
        "warning" if bad else "fact",
        f"Sender checks as stated{by} (not re-checked by evkit): {'; '.join(parts)}.{meaning}",
    )


def _origin_findings(md: Mapping[str, Any]) -> list[Finding]:
    hops = _hops(md)
    out: list[Finding] = []
    if not hops:
        out.append(
            Finding(
                "email.no-relay-headers",
                "notable",
                "This e-mail has no relay lines (Received headers), so it cannot show where it "
                "was sent from: it may be a forwarded or pasted copy. Save the original e-mail "
                "with its full headers (as a .eml file) if you still have it.",
            )
        )
        return out
    origin = next((h for h in hops if _public(str(h.get("from_ip") or ""))), None)
    if origin is not None:
        by = str(origin.get("by_host") or "")
        out.append(
            Finding(
                "email.origin-ip",
                "fact",
                f"Sent from the internet address (IP) {origin.get('from_ip')}"
                + (f", as recorded by the server {by}" if by else "")
                + ": the earliest one on its way. Treat it as a lead: the lines before "
                "your provider's servers can be forged.",
            )
        )
    last = hops[-1]
    last_ip = str(last.get("from_ip") or "")
    if last is not origin and last_ip and last.get("by_host"):
        out.append(
            Finding(
                "email.last-hop",
                "fact",
                f"Handed to the receiving server {last.get('by_host')} by "
                f"{last.get('from_host') or 'a server'} ({last_ip}).",
            )
        )
    return out


def _date_gap(md: Mapping[str, Any], tz: str) -> Finding | None:
    date = md.get("date")
    sent = parse_utc(date.get("utc")) if isinstance(date, Mapping) else None
    hops = [parse_utc(h.get("at")) for h in _hops(md)]
    first = next((h for h in hops if h is not None), None)
    if sent is None or first is None:
        return None
    gap = (first - sent).total_seconds()
    if -LATE_GAP_SECONDS <= gap <= EARLY_GAP_SECONDS:
        return None
    hours = abs(gap) / 3600
    span = f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"
    if gap > 0:
        how = f"{span} before the first server received it ({when_text(first, tz)})"
    else:
        how = f"{span} after the first server received it ({when_text(first, tz)})"
    return Finding(
        "email.date-gap",
        "notable",
        f"The date written in the e-mail ({when_text(sent, tz)}) is {how}: the sender's clock "
        "is wrong or the date was changed.",
    )


def _other_warnings(md: Mapping[str, Any]) -> list[Finding]:
    raw = md.get("warnings")
    texts = [str(w) for w in raw if isinstance(w, str)] if isinstance(raw, list) else []
    return [
        Finding("email.note", "notable", f"Noticed while reading the e-mail: {t[:300]}.")
        for t in texts[:5]
        if not t.startswith(_COVERED)
    ]


def _attachments(view: RecordView) -> Finding | None:
    md = view.metadata
    raw = md.get("attachments")
    declared = [a for a in raw if isinstance(a, Mapping)] if isinstance(raw, list) else []
    if not declared and not view.children:
        return None
    if view.children:
        listed = ", ".join(f"{i} {quoted(n, 60)}" for i, n in view.children[:10])
        n = len(view.children)
        more = f" and {n - 10} more" if n > 10 else ""
        return Finding(
            "email.attachments",
            "fact",
            f"{plural(n, 'attachment')}, kept as separate items: {listed}{more}.",
            tuple(i for i, _n in view.children),
        )
    names = ", ".join(quoted(a.get("filename") or "(no name)", 60) for a in declared[:10])
    return Finding("email.attachments", "fact", f"{plural(len(declared), 'attachment')}: {names}.")


def _summary(view: RecordView, findings: Sequence[Finding]) -> str:
    md = view.metadata
    frm = _addresses(md, "from")
    who = _person(*frm[0]) if frm else "an unknown sender"
    headers = md.get("headers") if isinstance(md.get("headers"), Mapping) else {}
    date = md.get("date")
    sent = parse_utc(date.get("utc")) if isinstance(date, Mapping) else None
    parts = [f"E-mail from {who}" + (f", {when_text(sent, view.timezone)}" if sent else "")]
    subject = headers.get("subject") if isinstance(headers, Mapping) else None
    if subject:
        parts[0] += f", subject {quoted(subject, 70)}"
    codes = {f.code: f for f in findings}
    replies = [a for _n, a in _addresses(md, "reply_to") if a]
    if "email.reply-to" in codes and replies:
        parts.append(f"replies go to a different address ({replies[0]})")
    if "email.display-name" in codes:
        parts.append("the sender's name shows a different address")
    if "email.link-mismatch" in codes:
        parts.append("a link leads somewhere other than it shows")
    auth = md.get("authentication")
    summary = auth.get("summary") if isinstance(auth, Mapping) else None
    if isinstance(summary, Mapping):
        for method in ("spf", "dkim", "dmarc"):
            values = summary.get(method)
            if isinstance(values, list) and any(str(v).lower() in _BAD for v in values):
                parts.append(f"{method.upper()} failed")
    hops = _hops(md)
    origin = next((h for h in hops if _public(str(h.get("from_ip") or ""))), None)
    if origin is not None:
        parts.append(f"sent from {origin.get('from_ip')}")
    if view.children:
        first = ", ".join(f"{i} {n}" for i, n in view.children[:3])
        more = ", …" if len(view.children) > 3 else ""
        parts.append(f"{plural(len(view.children), 'attachment')} ({first}{more})")
    return "; ".join(parts)


def describe(view: RecordView) -> Description:
    """The e-mail's summary line and findings."""
    md = view.metadata
    findings: list[Finding] = []
    findings += _sender_findings(md)
    findings += _link_findings(md)
    auth = _auth_finding(md)
    if auth is not None:
        findings.append(auth)
    findings += _origin_findings(md)
    gap = _date_gap(md, view.timezone)
    if gap is not None:
        findings.append(gap)
    findings += _other_warnings(md)
    attached = _attachments(view)
    if attached is not None:
        findings.append(attached)
    kind = type_label(view.mime)
    if not view.mime.startswith("message/") and "outlook" not in view.mime:
        kind = "E-mail"  # libmagic calls many real e-mails text/plain; the reader knew better
    return Description(kind, _summary(view, findings), tuple(findings))
