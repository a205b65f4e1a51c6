"""Use cases for trusted time (RFC 3161): request a timestamp, import the answer, list them.

evkit goes online only when a face passes a timestamp authority's URL (``--tsa``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_kit.app.session import GetSigner, OnRecover, open_case, reading
from evidence_kit.errors import IncompleteError, PathNotFoundError, UsageError

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.timestamp.rfc3161 import ImportResult, RequestRecord


def read_input(path: str, what: str, limit: int) -> bytes:
    """The bytes of a file the person names (a response, a CA certificate), at most ``limit``."""
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


@dataclass(frozen=True, slots=True)
class Requested:
    """A timestamp request written into the case, and, if sent now, the authority's answer.

    ``send`` is how to send it (a curl command saving the answer to ``response_path``).
    """

    root: Path
    record: RequestRecord
    request_path: Path
    response_path: Path
    url: str
    imported: ImportResult | None


def request_timestamp(
    start: Path,
    *,
    tsa_url: str | None,
    ca_file: str | None,
    timeout: float,
    get_signer: GetSigner,
    on_recover: OnRecover,
) -> Requested:
    """Write a timestamp request for the case's seal; with ``tsa_url`` send it now and import
    the answer (checked against ``ca_file`` if given)."""
    from evidence_kit.timestamp import rfc3161 as ts

    if ca_file is not None and tsa_url is None:
        raise UsageError(
            "--ca goes with --tsa here.",
            hint="To check an answer you sent yourself, use "
            "'evkit timestamp import T0001.tsr --ca TSA-CA.pem'.",
        )
    ca_pem = read_input(ca_file, "CA certificate", ts.MAX_CA_FILE) if ca_file else None
    if ca_pem is not None:
        ts.load_certificates(ca_pem, ca_file or "the CA file")  # refuse a bad file up front
    if tsa_url is not None:
        ts.check_tsa_url(tsa_url)  # before anything is written into the case
    case = open_case(start, get_signer, on_recover)
    signer = get_signer()
    rec = ts.create_request(case, signer, tsa=tsa_url, on_recover=on_recover)
    tsq_path = case.root / ts.ts_path(rec.id, "request")
    out_path = response_out(case.root, rec.id)
    url = tsa_url or ts.DEFAULT_TSA
    if tsa_url is None:
        return Requested(case.root, rec, tsq_path, out_path, url, None)
    try:
        answer = ts.send_request(tsa_url, ts.request_bytes(case.root, rec.id), timeout=timeout)
    except IncompleteError as err:
        import shlex

        out = as_typed(out_path)
        send = ts.curl_command(as_typed(tsq_path), url, out)
        raise IncompleteError(
            f"{err.message} The request {rec.id} is saved in the case.",
            hint=f"Send it later with: {send}  then: evkit timestamp import {shlex.quote(out)}",
        ) from err
    result = ts.import_response(
        case,
        signer,
        answer,
        ca_pem=ca_pem,
        request_id=rec.id,
        source=f"The answer from {tsa_url}",
        on_recover=on_recover,
    )
    return Requested(case.root, rec, tsq_path, out_path, url, result)


def as_typed(path: Path) -> str:
    """A path as the person should type it: relative to the current folder when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if rel.startswith("..") and len(rel) > len(str(path)) else rel


def response_out(root: Path, ts_id: str) -> Path:
    """Where to tell curl to save the answer: here, but never inside the case folder."""
    here = Path.cwd().resolve()
    base = root.parent if here == root or root in here.parents else here
    return base / f"{ts_id}.tsr"


def import_timestamp(
    start: Path,
    response: str,
    *,
    ca_file: str | None,
    request_id: str | None,
    get_signer: GetSigner,
    on_recover: OnRecover,
) -> ImportResult:
    """Check a timestamp authority's answer (the file ``response``) and keep it in the case."""
    from evidence_kit.timestamp import rfc3161 as ts

    data = read_input(response, "timestamp response (.tsr)", ts.MAX_RESPONSE)
    ca_pem = read_input(ca_file, "CA certificate", ts.MAX_CA_FILE) if ca_file else None
    case = open_case(start, get_signer, on_recover)
    signer = get_signer()
    return ts.import_response(
        case,
        signer,
        data,
        ca_pem=ca_pem,
        request_id=request_id,
        source=response,
        on_recover=on_recover,
    )


def list_timestamps(
    start: Path, *, get_signer: GetSigner, on_recover: OnRecover
) -> list[dict[str, Any]]:
    """The case's timestamps and the requests still waiting for an answer."""
    from evidence_kit.timestamp import rfc3161 as ts

    with reading(start, get_signer, on_recover) as case:
        return ts.list_timestamps(case.root, include_pending=True)
