"""``evkit timestamp``: trusted time from an RFC 3161 timestamp authority, offline first.

``request`` writes a request for the case's current seal into the case and prints how to send
it (evkit itself uses the network only with an explicit ``--tsa URL``); ``import`` checks the
authority's answer and keeps it; ``list`` shows them. ``evkit verify`` re-checks every
timestamp. The work is done by :mod:`evidence_kit.app.timestamp` over
:mod:`evidence_kit.timestamp.rfc3161`; only click and the CLI helpers here at import time.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

import click

from evidence_kit.cli import util

if TYPE_CHECKING:
    from evidence_kit.timestamp.rfc3161 import ImportResult


@click.group("timestamp")
def timestamp() -> None:
    """Trusted time: prove when the sealed case existed (RFC 3161).

    \b
    A timestamp authority (TSA) signs the SHA-256 of the case's seal with the current time.
    evkit never goes online by itself:
      1. evkit timestamp request        (writes T0001.tsq into the case, prints a curl command)
      2. send it with that command      (on any computer with internet access)
      3. evkit timestamp import T0001.tsr --ca TSA-CA.pem
    Or do all three at once: evkit timestamp request --tsa https://freetsa.org/tsr --ca cacert.pem
    'evkit verify' re-checks every timestamp, offline.
    """


@timestamp.command("request")
@click.option(
    "--tsa",
    "tsa_url",
    metavar="URL",
    help="Send the request to this timestamp authority now and import its answer "
    "(uses the network; without --tsa evkit stays offline).",
)
@click.option(
    "--ca",
    "ca_file",
    metavar="TSA-CA.pem",
    help="With --tsa: the authority's CA certificate, to check its answer.",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="With --tsa: how long to wait for the authority.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def request(
    ctx: click.Context, tsa_url: str | None, ca_file: str | None, timeout: float, as_json: bool
) -> None:
    """Write a timestamp request for the case's seal into the case.

    The seal as it is now is kept as evkit/timestamps/T0001.seal.json, and the request
    (T0001.tsq) asks for the SHA-256 of exactly those bytes, with a random nonce.
    """
    from evidence_kit.app.timestamp import as_typed, request_timestamp
    from evidence_kit.timestamp import rfc3161 as ts

    done = request_timestamp(
        util.case_start(ctx),
        tsa_url=tsa_url,
        ca_file=ca_file,
        timeout=timeout,
        get_signer=util.signer,
        on_recover=util.warn,
    )
    rec = done.record
    tsq = as_typed(done.request_path)
    out = as_typed(done.response_path)
    info: dict[str, Any] = {
        "id": rec.id,
        "request": str(done.request_path),
        "imprint": rec.imprint,
        "nonce": str(rec.nonce),
        "covers": {"sealed_at": rec.sealed_at, "events": rec.events, "head": rec.head},
        "send": ts.curl_command(tsq, done.url, out),
        "inspect": ts.openssl_query_command(tsq),
    }
    result = done.imported
    if result is None:  # offline: the person sends the request
        if as_json:
            util.emit_json(info)
            return
        click.echo(f"Timestamp request {rec.id} saved as {tsq}")
        click.echo(
            f"It asks a timestamp authority to sign the case's seal of {rec.sealed_at} "
            f"(custody log event {rec.events}), {rec.imprint}."
        )
        click.echo(
            "evkit does not go online. Send it yourself from any computer with internet "
            "access, for example to FreeTSA:"
        )
        click.echo(f"  {info['send']}")
        click.echo(f"See what it asks for:  {info['inspect']}")
        click.echo(
            f"Then keep the answer:  evkit timestamp import {shlex.quote(out)} --ca TSA-CA.pem"
        )
        click.echo(
            "  (TSA-CA.pem is the authority's CA certificate, from its web site; "
            "for FreeTSA cacert.pem)"
        )
        return
    if as_json:
        util.emit_json({**info, "imported": _result_dict(result)})
        return
    click.echo(f"Timestamp request {rec.id} sent to {tsa_url}.")
    _print_result(result)


@timestamp.command("import")
@click.argument("response", metavar="RESPONSE.tsr")
@click.option(
    "--ca",
    "ca_file",
    metavar="TSA-CA.pem",
    help="The authority's CA certificate: check the timestamp's signature and keep a "
    "copy in the case so anyone can check it again offline.",
)
@click.option(
    "--request",
    "request_id",
    metavar="T0001",
    help="The request this answers (default: the one it matches).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def import_(
    ctx: click.Context, response: str, ca_file: str | None, request_id: str | None, as_json: bool
) -> None:
    """Check a timestamp authority's answer and keep it in the case.

    The answer must match a request of this case (its imprint and nonce); otherwise nothing
    is stored (exit 2). With --ca the signature and certificate chain are checked too.
    """
    from evidence_kit.app.timestamp import import_timestamp

    result = import_timestamp(
        util.case_start(ctx),
        response,
        ca_file=ca_file,
        request_id=request_id,
        get_signer=util.signer,
        on_recover=util.warn,
    )
    if as_json:
        util.emit_json(_result_dict(result))
        return
    _print_result(result)


def _result_dict(result: ImportResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "tsa": result.tsa,
        "gen_time": result.gen_time,
        "serial": result.serial,
        "covers": result.covers,
        "signature": "verified" if result.signature_checked else "not checked",
        "ca": list(result.ca_names),
        "changed": result.changed,
        "ca_added": result.ca_added,
        "openssl_verify": result.openssl_verify(),
    }


def _print_result(result: ImportResult) -> None:
    from evidence_kit.timestamp.rfc3161 import ts_path

    if not result.changed:
        click.echo(f"This timestamp is already kept in the case as {result.id}; nothing changed.")
    elif result.ca_added:
        click.echo(
            f"Checked timestamp {result.id} against the CA certificate and kept it as "
            f"{ts_path(result.id, 'ca')}."
        )
    else:
        click.echo(f"Imported timestamp {result.id} from {util.printable(result.tsa)}.")
    covers = result.covers
    click.echo(
        f"  Time:    {result.gen_time.replace('T', ' ').replace('Z', ' UTC')} "
        f"(serial {result.serial})"
    )
    click.echo(
        f"  Covers:  the case's seal of {covers.get('sealed_at')} (custody log event "
        f"{covers.get('events')}), {covers.get('seal_sha256')}"
    )
    if result.signature_checked:
        who = "; ".join(util.printable(s) for s in result.ca_names) or "the stored CA"
        click.echo(f"  Signature: verified against {who}")
    else:
        click.echo(
            "  Signature: not checked (no CA certificate given). Import the same file "
            "again with --ca TSA-CA.pem to check it and keep the certificate."
        )
    click.echo("The case is sealed. Anyone can check the timestamp in the case folder with:")
    click.echo(f"  {result.openssl_verify()}")


@timestamp.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the case's timestamps and requests still waiting for an answer."""
    from evidence_kit.app.timestamp import list_timestamps

    entries = list_timestamps(util.case_start(ctx), get_signer=util.signer, on_recover=util.warn)
    if as_json:
        util.emit_json(entries)
        return
    if not entries:
        click.echo("No timestamps yet. Request one with: evkit timestamp request")
        return
    for e in entries:
        covers = e.get("covers") or {}
        what = f"seal of {covers.get('sealed_at')} (log event {covers.get('events')})"
        if e["status"] == "pending":
            click.echo(util.printable(f"{e['id']}  waiting for an answer   covers the {what}"))
            continue
        when = str(e.get("gen_time") or "?").replace("T", " ").replace("Z", " UTC")
        click.echo(
            util.printable(
                f"{e['id']}  {when}  by {e.get('tsa')}; covers the "
                f"{what}; signature {e.get('signature')}"
            )
        )
