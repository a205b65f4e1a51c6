"""Text views shared by several commands: a verification report, custody-log lines, receipts.

Renderers print with click and make every recorded or foreign text terminal-safe
(:func:`evidence_kit.cli.util.printable`); they compute nothing about the case.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from evidence_kit.cli import util

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.models import VerificationReport


def p(value: Any) -> str:
    """Terminal-safe text (evidence values are attacker-controlled)."""
    return util.printable("" if value is None else str(value))


def render_report(rep: VerificationReport) -> None:
    """A verification report, one check a line, then the result and each problem found."""
    from evidence_kit.store.signing import fingerprint

    # Everything below may come from a foreign package: shown with control characters visible.
    p = util.printable
    title = f"'{p(str(rep.title))}'" if rep.title else "(unnamed case)"
    click.echo(f"Verifying case {title} at {p(str(rep.target))}")
    for c in rep.checks:
        click.echo(f"  [{'ok' if c.ok else '!!'}] {p(str(c.name))}: {p(str(c.detail))}")
    if rep.key_id:
        click.echo(p(f"Collector key: {fingerprint(rep.key_id)}  ({rep.key_id})"))
    if rep.seal_sha256:
        click.echo(p(f"Seal: sha256:{rep.seal_sha256}, sealed {rep.sealed_at}"))
    if rep.intact:
        click.echo(
            f"Result: INTACT. All {rep.items} evidence file(s) and {rep.events} custody "
            "event(s) are exactly as sealed."
        )
        return
    word = "CHANGED" if rep.exit_code == 1 else "NOT VERIFIED"
    click.echo(f"Result: {word}. {len(rep.findings)} problem(s) found:")
    for n, f in enumerate(rep.findings, start=1):
        click.echo(f"  {n}. {p(str(f.message))}")


def event_summary(action: str, data: dict[str, Any]) -> str:
    """One custody event in a few words (``evkit log``)."""
    items = data.get("items") or []
    if action == "case.created":
        return f"created case '{data.get('title')}'"
    if action == "acquire":
        dups = data.get("duplicates") or []
        ids = ", ".join(str(i.get("id")) for i in items[:6]) + (" ..." if len(items) > 6 else "")
        text = f"acquired {len(items)} item(s) {ids}".rstrip()
        return text + (f"; {len(dups)} duplicate(s) not stored twice" if dups else "")
    if action == "recover":
        return (
            f"finished interrupted {', '.join(data.get('interrupted') or [])}: "
            f"{data.get('not_added_count', len(data.get('not_added') or []))} file(s) not added"
        )
    if action == "verify":
        return f"verification: {data.get('result')}"
    if action == "extract":
        return f"re-extracted metadata of {len(items)} item(s)"
    summaries = {
        "note": lambda d: f"note: {str(d.get('text', ''))[:80]}",
        "suspect": lambda d: (
            "suspect: " + ", ".join(f"{k}={v}" for k, v in (d.get("details") or {}).items())[:100]
        ),
        "loss": lambda d: f"loss: {d.get('amount')} {d.get('currency')} ({d.get('method') or '-'})",
        "ref": lambda d: f"reference: {d.get('agency')} {d.get('number')}",
        "incident": lambda d: f"what happened: {str(d.get('text', ''))[:80]}",
        "person": lambda d: (
            f"{d.get('role')}: "
            + ", ".join(f"{k}={v}" for k, v in (d.get("details") or {}).items())
        )[:120],
        "mark": lambda d: (
            f"{d.get('item')} marked " + ("sensitive" if d.get("sensitive") else "not sensitive")
        ),
        "report": lambda d: f"report written ({len(d.get('files') or [])} file(s))",
        "transfer": lambda d: (
            f"handover {d.get('export')} to {d.get('recipient')}: "
            f"{len(d.get('included') or [])} item(s), {len(d.get('withheld') or [])} withheld"
        ),
        "transfer.cancelled": lambda d: f"handover {d.get('export')} cancelled",
        "timestamp.request": lambda d: f"timestamp request {d.get('id')} for the current seal",
        "timestamp": lambda d: (
            f"trusted timestamp {d.get('id')} by {d.get('tsa')} at {d.get('gen_time')}"
        ),
    }
    if action in summaries:
        try:
            return summaries[action](data)
        except (TypeError, AttributeError):  # hostile or odd data: fall through to raw JSON
            pass
    return json.dumps(data, ensure_ascii=False)[:120]


def printable_values(value: Any) -> Any:
    """A copy of a receipt with every text value made terminal-safe (``util.printable``)."""
    if isinstance(value, str):
        return util.printable(value)
    if isinstance(value, dict):
        return {k: printable_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable_values(v) for v in value]
    return value
