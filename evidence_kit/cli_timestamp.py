"""``evkit timestamp``: trusted time from an RFC 3161 timestamp authority, offline first.

``request`` writes a request for the case's current seal into the case and prints how to send
it (evkit itself uses the network only with an explicit ``--tsa URL``); ``import`` checks the
authority's answer and keeps it; ``list`` shows them. ``evkit verify`` re-checks every
timestamp. The work is done in :mod:`evidence_kit.timestamp`; only click and cliutil here at
import time.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from evidence_kit import cliutil
from evidence_kit.errors import IncompleteError, PathNotFoundError, UsageError

if TYPE_CHECKING:
    from evidence_kit.timestamp import ImportResult


def _shown(path: Path) -> str:
    """A path as the user should type it: relative to the current folder when it is below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") and len(rel) > len(str(path)) else rel


def _response_out(root: Path, ts_id: str) -> Path:
    """Where to tell curl to save the answer: here, but never inside the case folder."""
    here = Path.cwd().resolve()
    base = root.parent if here == root or root in here.parents else here
    return base / f"{ts_id}.tsr"


def _read_input(path: str, what: str, limit: int) -> bytes:
    p = Path(path).expanduser()
    if not p.exists():
        raise PathNotFoundError(f"{path} does not exist.")
    if not p.is_file():
        raise UsageError(f"{path} is not a file; give the {what}.")
    try:
        with open(p, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        from evidence_kit.errors import UnreadableInputError

        raise UnreadableInputError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    if len(data) > limit:
        raise UsageError(f"{path} is too large to be the {what}.")
    return data


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
@click.option("--tsa", "tsa_url", metavar="URL",
              help="Send the request to this timestamp authority now and import its answer "
              "(uses the network; without --tsa evkit stays offline).")
@click.option("--ca", "ca_file", metavar="TSA-CA.pem",
              help="With --tsa: the authority's CA certificate, to check its answer.")
@click.option("--timeout", default=30.0, show_default=True, metavar="SECONDS",
              help="With --tsa: how long to wait for the authority.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def request(ctx: click.Context, tsa_url: str | None, ca_file: str | None, timeout: float,
            as_json: bool) -> None:
    """Write a timestamp request for the case's seal into the case.

    The seal as it is now is kept as evkit/timestamps/T0001.seal.json, and the request
    (T0001.tsq) asks for the SHA-256 of exactly those bytes, with a random nonce.
    """
    from evidence_kit import timestamp as ts

    if ca_file is not None and tsa_url is None:
        raise UsageError("--ca goes with --tsa here.",
                         hint="To check an answer you sent yourself, use "
                         "'evkit timestamp import T0001.tsr --ca TSA-CA.pem'.")
    ca_pem = _read_input(ca_file, "CA certificate", ts.MAX_CA_FILE) if ca_file else None
    if ca_pem is not None:
        ts.load_certificates(ca_pem, ca_file or "the CA file")  # refuse a bad file up front
    if tsa_url is not None:
        ts.check_tsa_url(tsa_url)  # before anything is written into the case
    case = cliutil.open_case(ctx)
    signer = cliutil.signer()
    rec = ts.create_request(case, signer, tsa=tsa_url, on_recover=cliutil.warn)
    tsq_path = case.root / ts.ts_path(rec.id, "request")
    tsq = _shown(tsq_path)
    out = _shown(_response_out(case.root, rec.id))
    url = tsa_url or ts.DEFAULT_TSA
    info: dict[str, Any] = {
        "id": rec.id, "request": str(tsq_path), "imprint": rec.imprint, "nonce": str(rec.nonce),
        "covers": {"sealed_at": rec.sealed_at, "events": rec.events, "head": rec.head},
        "send": ts.curl_command(tsq, url, out), "inspect": ts.openssl_query_command(tsq),
    }
    if tsa_url is None:
        if as_json:
            cliutil.emit_json(info)
            return
        click.echo(f"Timestamp request {rec.id} saved as {tsq}")
        click.echo(f"It asks a timestamp authority to sign the case's seal of {rec.sealed_at} "
                   f"(custody log event {rec.events}), {rec.imprint}.")
        click.echo("evkit does not go online. Send it yourself from any computer with internet "
                   "access, for example to FreeTSA:")
        click.echo(f"  {info['send']}")
        click.echo(f"See what it asks for:  {info['inspect']}")
        click.echo(f"Then keep the answer:  evkit timestamp import {shlex.quote(out)} "
                   "--ca TSA-CA.pem")
        click.echo("  (TSA-CA.pem is the authority's CA certificate, from its web site; "
                   "for FreeTSA cacert.pem)")
        return
    try:
        answer = ts.send_request(tsa_url, ts.request_bytes(case.root, rec.id), timeout=timeout)
    except IncompleteError as err:
        raise IncompleteError(
            f"{err.message} The request {rec.id} is saved in the case.",
            hint=f"Send it later with: {info['send']}  then: evkit timestamp import "
            f"{shlex.quote(out)}") from err
    result = ts.import_response(case, signer, answer, ca_pem=ca_pem, request_id=rec.id,
                                source=f"The answer from {tsa_url}", on_recover=cliutil.warn)
    if as_json:
        cliutil.emit_json({**info, "imported": _result_dict(result)})
        return
    click.echo(f"Timestamp request {rec.id} sent to {tsa_url}.")
    _print_result(result)


@timestamp.command("import")
@click.argument("response", metavar="RESPONSE.tsr")
@click.option("--ca", "ca_file", metavar="TSA-CA.pem",
              help="The authority's CA certificate: check the timestamp's signature and keep a "
              "copy in the case so anyone can check it again offline.")
@click.option("--request", "request_id", metavar="T0001",
              help="The request this answers (default: the one it matches).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def import_(ctx: click.Context, response: str, ca_file: str | None, request_id: str | None,
            as_json: bool) -> None:
    """Check a timestamp authority's answer and keep it in the case.

    The answer must match a request of this case (its imprint and nonce); otherwise nothing
    is stored (exit 2). With --ca the signature and certificate chain are checked too.
    """
    from evidence_kit import timestamp as ts

    data = _read_input(response, "timestamp response (.tsr)", ts.MAX_RESPONSE)
    ca_pem = _read_input(ca_file, "CA certificate", ts.MAX_CA_FILE) if ca_file else None
    case = cliutil.open_case(ctx)
    signer = cliutil.signer()
    result = ts.import_response(case, signer, data, ca_pem=ca_pem, request_id=request_id,
                                source=response, on_recover=cliutil.warn)
    if as_json:
        cliutil.emit_json(_result_dict(result))
        return
    _print_result(result)


def _result_dict(result: ImportResult) -> dict[str, Any]:
    return {
        "id": result.id, "tsa": result.tsa, "gen_time": result.gen_time, "serial": result.serial,
        "covers": result.covers, "signature": "verified" if result.signature_checked
        else "not checked", "ca": list(result.ca_names), "changed": result.changed,
        "ca_added": result.ca_added, "openssl_verify": result.openssl_verify(),
    }


def _print_result(result: ImportResult) -> None:
    from evidence_kit.timestamp import ts_path

    if not result.changed:
        click.echo(f"This timestamp is already kept in the case as {result.id}; nothing changed.")
    elif result.ca_added:
        click.echo(f"Checked timestamp {result.id} against the CA certificate and kept it as "
                   f"{ts_path(result.id, 'ca')}.")
    else:
        click.echo(f"Imported timestamp {result.id} from {cliutil.printable(result.tsa)}.")
    covers = result.covers
    click.echo(f"  Time:    {result.gen_time.replace('T', ' ').replace('Z', ' UTC')} "
               f"(serial {result.serial})")
    click.echo(f"  Covers:  the case's seal of {covers.get('sealed_at')} (custody log event "
               f"{covers.get('events')}), {covers.get('seal_sha256')}")
    if result.signature_checked:
        who = "; ".join(cliutil.printable(s) for s in result.ca_names) or "the stored CA"
        click.echo(f"  Signature: verified against {who}")
    else:
        click.echo("  Signature: not checked (no CA certificate given). Import the same file "
                   "again with --ca TSA-CA.pem to check it and keep the certificate.")
    click.echo("The case is sealed. Anyone can check the timestamp in the case folder with:")
    click.echo(f"  {result.openssl_verify()}")


@timestamp.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the case's timestamps and requests still waiting for an answer."""
    from evidence_kit.timestamp import list_timestamps

    case = cliutil.read_case(ctx)
    entries = list_timestamps(case.root, include_pending=True)
    if as_json:
        cliutil.emit_json(entries)
        return
    if not entries:
        click.echo("No timestamps yet. Request one with: evkit timestamp request")
        return
    for e in entries:
        covers = e.get("covers") or {}
        what = f"seal of {covers.get('sealed_at')} (log event {covers.get('events')})"
        if e["status"] == "pending":
            click.echo(cliutil.printable(f"{e['id']}  waiting for an answer   covers the {what}"))
            continue
        when = str(e.get("gen_time") or "?").replace("T", " ").replace("Z", " UTC")
        click.echo(cliutil.printable(f"{e['id']}  {when}  by {e.get('tsa')}; covers the "
                                     f"{what}; signature {e.get('signature')}"))


COMMANDS = (timestamp,)
