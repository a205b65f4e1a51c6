"""Preservation targets: for each online service that appears in the case, what an officer
would name in a data-preservation request, and the dates it covers.

Services come from the evidence and the collector's statements: mail providers (the domains of
the sender, reply and return addresses, and the sending servers of the relay chain), websites
and platforms (the suspects' web addresses, and where deceptive links lead), banks (the accounts
money went to) and crypto-currency services (the wallets). evkit never guesses a company's
name: a bank is "the bank holding account ...", a wallet's service is to be found from the
wallet. Such requests are time-limited, so the sheet says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

PRESERVATION_NOTE = (
    "Providers keep data only for a while. A preservation request asks them to keep it while "
    "a court order is obtained, and it is time-limited: for example 90 days (renewable once) "
    "under 18 U.S.C. § 2703(f) in the United States, and at least 60 days under Article 29 of "
    "the Budapest Convention on Cybercrime. Send requests early."
)

_WALLET = re.compile(r"^(?:bc1[0-9a-z]{20,}|[13][1-9A-HJ-NP-Za-km-z]{25,34}|0x[0-9a-fA-F]{40})$")


@dataclass(slots=True)
class _Target:
    kind: str
    service: str
    identifiers: dict[str, set[str]] = field(default_factory=dict)  # value -> item IDs
    dates: set[str] = field(default_factory=set)  # YYYY-MM-DD

    def add(self, value: str, items: Sequence[str] = (), date: str | None = None) -> None:
        self.identifiers.setdefault(value, set()).update(str(i) for i in items)
        if date:
            self.dates.add(date[:10])


def _hostname(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:  # "http://[x": a hostile or broken address
        return None


def _host_domain(host: str) -> str:
    labels = host.lower().strip(".[]").split(".")
    return ".".join(labels[-3:]) if len(labels) > 3 else ".".join(labels)


def preservation_targets(
    items: Sequence[Mapping[str, Any]],
    losses: Sequence[Mapping[str, Any]],
    suspects: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The targets, from the report snapshot's items (sensitive ones carry no extraction),
    current losses and current suspects: [{kind, service, identifiers: [{value, items}],
    first, last}]."""
    targets: dict[tuple[str, str], _Target] = {}

    def target(kind: str, service: str) -> _Target:
        return targets.setdefault((kind, service), _Target(kind, service))

    for it in items:
        ex = it.get("extraction") if isinstance(it.get("extraction"), Mapping) else None
        md = ex.get("metadata") if ex and ex.get("extractor") == "email" else None
        if not isinstance(md, Mapping):
            continue
        iid = [str(it.get("id"))]
        date_info = md.get("date") if isinstance(md.get("date"), Mapping) else {}
        sent = str((date_info or {}).get("utc") or "") or None
        addresses = md.get("addresses") if isinstance(md.get("addresses"), Mapping) else {}
        headers = md.get("headers") if isinstance(md.get("headers"), Mapping) else {}
        sender_domain = ""
        for key in ("from", "reply_to", "return_path", "sender"):
            for a in (addresses or {}).get(key) or []:
                address = str(a.get("address") or "") if isinstance(a, Mapping) else ""
                if "@" not in address:
                    continue
                domain = address.rpartition("@")[2].lower()
                sender_domain = sender_domain or domain
                target("e-mail provider", domain).add(address.lower(), iid, sent)
        message_id = (headers or {}).get("message_id")
        if message_id and sender_domain:
            target("e-mail provider", sender_domain).add(f"Message-ID {message_id}", iid, sent)
        hops = [h for h in md.get("received") or [] if isinstance(h, Mapping)]
        for hop in hops[:-1]:  # the last hop is the recipient's own server
            host = str(hop.get("by_host") or "")
            if "." not in host:
                continue
            detail = f"message received by {host}"
            if hop.get("id"):
                detail += f", queue ID {hop['id']}"
            if hop.get("from_ip"):
                detail += f", from {hop['from_ip']}"
            target("mail server operator", _host_domain(host)).add(
                detail, iid, str(hop.get("at") or "") or sent
            )
        for m in md.get("link_mismatches") or []:
            href = str(m.get("href") or "") if isinstance(m, Mapping) else ""
            link_host = _hostname(href) if "://" in href else None
            if link_host:
                target("website or host", link_host).add(href, iid, sent)

    for e in suspects:
        details = e.get("details") if isinstance(e.get("details"), Mapping) else {}
        linked = [str(i) for i in e.get("item_ids") or []]
        for key, value in (details or {}).items():
            v = str(value or "").strip()
            if not v:
                continue
            if key == "email" and "@" in v:
                target("e-mail provider", v.rpartition("@")[2].lower()).add(v.lower(), linked)
            elif key == "url":
                site = _hostname(v if "://" in v else "https://" + v)
                if site:
                    target("website or platform", site).add(v, linked)
            elif key == "phone":
                target("phone company", f"the phone company of {v}").add(v, linked)
            elif key == "account":
                target("bank", f"the bank holding account {v}").add(v, linked)
            elif key == "wallet":
                target("crypto-currency service", f"the service holding wallet {v}").add(v, linked)

    for e in losses:
        account = str(e.get("to_account") or "").strip()
        if not account:
            continue
        when = str(e.get("date") or e.get("at") or "") or None
        linked = [str(i) for i in e.get("item_ids") or []]
        if _WALLET.match(account):
            target("crypto-currency service", f"the service holding wallet {account}").add(
                account, linked, when
            )
        else:
            target("bank", f"the bank holding account {account}").add(account, linked, when)

    out = []
    for t in targets.values():
        dates = sorted(t.dates)
        out.append(
            {
                "kind": t.kind,
                "service": t.service,
                "identifiers": [
                    {"value": v, "items": sorted(ids)} for v, ids in sorted(t.identifiers.items())
                ],
                "first": dates[0] if dates else None,
                "last": dates[-1] if dates else None,
            }
        )
    return out
