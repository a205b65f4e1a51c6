"""Trusted time: RFC 3161 timestamps over the case's seal, offline first.

A timestamp authority (TSA) signs "this hash existed at this time". evkit asks it to sign the
SHA-256 of the case's seal (``evkit/seal.json``), which binds every record file and the custody
log head, so the timestamp proves that the whole sealed case, as it stood, existed by then.

Writing anything into the case re-seals it, so the seal being timestamped must be kept as it
was. ``evkit timestamp request`` therefore copies the current seal into the case first::

    evkit/timestamps/T0001.seal.json   the exact seal bytes being timestamped
    evkit/timestamps/T0001.seal.sig    its Ed25519 signature (still verifies with the case key)
    evkit/timestamps/T0001.tsq         the RFC 3161 request: SHA-256 of T0001.seal.json,
                                       a random 64-bit nonce, certReq = true

and logs a signed ``timestamp.request`` event. The copied seal records the custody log head
(event N and the hash of line N); the log only grows, so that line stays in the log and the
copy remains provably an earlier state of this case after later seals supersede it.

The request is sent by the user (``curl``, printed by the CLI) or, only when asked with
``--tsa URL``, by :func:`send_request`; nothing else here uses the network.
``evkit timestamp import`` then checks the answer against the pending request (imprint, nonce,
status) and, given the TSA's CA certificate, the token's signature, and stores::

    evkit/timestamps/T0001.tsr         the TSA's response, byte for byte
    evkit/timestamps/T0001.ca.pem      the CA certificate(s) it was checked against (optional)

with a signed ``timestamp`` event (TSA name, genTime, serial, what it covers). A later
``--ca`` import of the same response adds the certificate (``timestamp.ca`` event).
:func:`verify_check` repeats every check offline during ``evkit verify``.

Digests in events print as ``sha256:<hex>``; nonces and serial numbers are strings because
canonical JSON cannot carry integers above 2**53.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_kit.errors import IncompleteError, IntegrityError, StorageError, UsageError
from evidence_kit.models import Check, Finding, LogHead, Seal, digest
from evidence_kit.store.canonical import loads
from evidence_kit.store.case import SEAL_PATH, SEAL_SIG_PATH, Case
from evidence_kit.store.custody import LOG_PATH, parse_log
from evidence_kit.store.fsutil import atomic_write, fsync_dir
from evidence_kit.store.signing import PublicKey, Signer

if TYPE_CHECKING:  # typing only: rfc3161_client and cryptography load when first needed
    from cryptography import x509
    from rfc3161_client import TimeStampResponse

    from evidence_kit.verify.checks import VerifyContext

TS_DIR = "evkit/timestamps"
REQUEST_ACTION = "timestamp.request"
TOKEN_ACTION = "timestamp"  # noqa: S105 (an event name, not a secret)
CA_ACTION = "timestamp.ca"
#: Shown in the manual instructions when no --tsa is given (a free public TSA).
DEFAULT_TSA = "https://freetsa.org/tsr"
SHA256_OID = "2.16.840.1.101.3.4.2.1"
#: A timestamp response is a few KB; anything far larger is not one.
MAX_RESPONSE = 1 << 20
MAX_CA_FILE = 1 << 20
NETWORK_TIMEOUT = 30.0

SUFFIXES = {
    "request": "tsq",
    "seal": "seal.json",
    "seal_sig": "seal.sig",
    "token": "tsr",
    "ca": "ca.pem",
}


def ts_path(ts_id: str, kind: str) -> str:
    """Bag-relative path of one of a timestamp's files (``kind`` is a key of SUFFIXES)."""
    return f"{TS_DIR}/{ts_id}.{SUFFIXES[kind]}"


def _digest(data: bytes) -> str:
    return digest(hashlib.sha256(data).hexdigest())


def _utc_text(moment: datetime) -> str:
    """``2026-11-23T10:00:01Z`` (fractional seconds kept when the TSA gives them)."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def _serial_text(serial: int) -> str:
    hexed = f"{serial:X}"
    return "0x" + ("0" + hexed if len(hexed) % 2 else hexed)


# ---- what the custody log says ----------------------------------------------------------------
@dataclass(frozen=True)
class RequestRecord:
    """A ``timestamp.request`` event: what was asked, and which seal it covers."""

    id: str
    seq: int  # custody log line of the request event
    imprint: str  # "sha256:<hex>" of the seal copy
    nonce: int
    sealed_at: str
    events: int  # the covered seal's custody.events (log line N)
    head: str  # the covered seal's custody.head (hash of log line N)
    tsa: str | None


@dataclass(frozen=True)
class TokenRecord:
    """A ``timestamp`` event (plus any later ``timestamp.ca`` event for the same ID)."""

    id: str
    seq: int
    data: dict[str, Any]
    token_sha256: str
    ca_sha256: str | None


@dataclass
class LogTimestamps:
    """Every timestamp request and imported token the custody log records, by ID."""

    requests: dict[str, RequestRecord] = field(default_factory=dict)
    tokens: dict[str, TokenRecord] = field(default_factory=dict)

    def pending(self) -> list[RequestRecord]:
        return [r for i, r in sorted(self.requests.items()) if i not in self.tokens]

    def next_id(self) -> str:
        numbers = [int(i[1:]) for i in self.requests if i[1:].isdigit()]
        return f"T{max(numbers, default=0) + 1:04d}"


def scan_log(events: list[dict[str, Any]]) -> LogTimestamps:
    """Collect the timestamp events (malformed ones are skipped; the log check reports them)."""
    out = LogTimestamps()
    for event in events:
        action = event.get("action")
        data = event.get("data")
        if action not in (REQUEST_ACTION, TOKEN_ACTION, CA_ACTION) or not isinstance(data, dict):
            continue
        ts_id = str(data.get("id", ""))
        seq = event.get("seq") if isinstance(event.get("seq"), int) else 0
        try:
            if action == REQUEST_ACTION:
                seal = data.get("seal") or {}
                out.requests[ts_id] = RequestRecord(
                    id=ts_id,
                    seq=int(seq or 0),
                    imprint=str(data["imprint"]),
                    nonce=int(str(data["nonce"])),
                    sealed_at=str(seal.get("sealed_at", "")),
                    events=int(seal["events"]),
                    head=str(seal["head"]),
                    tsa=str(data["tsa"]) if data.get("tsa") else None,
                )
            elif action == TOKEN_ACTION:
                ca = data.get("ca") or {}
                out.tokens[ts_id] = TokenRecord(
                    id=ts_id,
                    seq=int(seq or 0),
                    data=data,
                    token_sha256=str(data["token_sha256"]),
                    ca_sha256=str(ca["sha256"]) if ca.get("sha256") else None,
                )
            elif ts_id in out.tokens:
                tok = out.tokens[ts_id]
                out.tokens[ts_id] = TokenRecord(
                    tok.id, tok.seq, tok.data, tok.token_sha256, str(data["sha256"])
                )
        except (KeyError, TypeError, ValueError):
            continue
    return out


# ---- commands the user can run themselves ----------------------------------------------------
def curl_command(tsq: str, url: str = DEFAULT_TSA, out: str = "T0001.tsr") -> str:
    """The manual way to send a request: POST it with curl, keep the answer."""
    return (
        f'curl -sS -H "Content-Type: application/timestamp-query" --data-binary '
        f"{shlex.quote('@' + tsq)} {shlex.quote(url)} -o {shlex.quote(out)}"
    )


def openssl_query_command(tsq: str) -> str:
    """Show what a request asks for (imprint, nonce, certReq) with openssl."""
    return f"openssl ts -query -in {shlex.quote(tsq)} -text"


def openssl_verify_command(ts_id: str, *, ca: bool = True, untrusted: bool = False) -> str:
    """The openssl command that checks a stored token independently of evkit.

    Run it in the case folder. ``-CAfile`` is the copy of the CA certificate(s) made at
    import; with ``ca=False`` (none in the case) it names the file the reader must supply.
    The token normally carries the TSA's own certificate (evkit asks for it with certReq), so
    ``-untrusted`` is only added (``untrusted=True``) for a token without it, whose TSA
    certificate was then given in the same file as the CA. openssl checks the certificates'
    validity at the current time; evkit checks them at the token's genTime.
    """
    ca_file = ts_path(ts_id, "ca") if ca else "TSA-CA.pem"
    extra = f" -untrusted {ca_file}" if untrusted else ""
    return (
        f"openssl ts -verify -in {ts_path(ts_id, 'token')} "
        f"-data {ts_path(ts_id, 'seal')} -CAfile {ca_file}{extra}"
    )


# ---- requesting --------------------------------------------------------------------------------
def _seal_problem(
    seal_raw: bytes | None, sig_raw: bytes | None, key: PublicKey, events: int, head: str
) -> str | None:
    """Why this seal cannot be timestamped (None if it is intact and current)."""
    if seal_raw is None or sig_raw is None:
        return "the case has no seal (evkit/seal.json or seal.sig is missing)"
    if not key.verify(sig_raw, seal_raw):
        return "the seal's signature does not match"
    try:
        seal = Seal.from_bytes(seal_raw)
    except ValueError:
        return "the seal is damaged"
    if seal.custody != LogHead(events, head):
        return "the seal does not record the custody log's last event"
    return None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def create_request(
    case: Case,
    signer: Signer,
    *,
    tsa: str | None = None,
    on_recover: Callable[[str], None] | None = None,
) -> RequestRecord:
    """Write a timestamp request for the case's current seal into the case; re-seals it.

    The seal as it is now is copied to ``T000N.seal.json``/``.seal.sig`` and the request's
    imprint is the SHA-256 of that copy. Refuses (exit 1) if the current seal is not intact.
    """
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    root = case.root
    key = case.public_key()

    def current_seal() -> tuple[bytes, bytes]:
        log = case.read_log()
        seal_raw, sig_raw = _read(root / SEAL_PATH), _read(root / SEAL_SIG_PATH)
        problem = _seal_problem(seal_raw, sig_raw, key, log.head.events, log.head.head)
        if problem or seal_raw is None or sig_raw is None:
            raise IntegrityError(
                f"The case cannot be timestamped: {problem}.",
                hint="Run 'evkit verify' to see what changed; a timestamp should cover an "
                "intact seal.",
            )
        return seal_raw, sig_raw

    checked = current_seal()  # before the session: a refusal must not change the case
    with case.session(signer, "timestamp request", on_recover=on_recover) as sess:
        log = case.read_log()
        now = (_read(root / SEAL_PATH), _read(root / SEAL_SIG_PATH))
        # re-sealed meanwhile (e.g. a recovery): check the seal that is there now
        seal_raw, sig_raw = checked if now == checked else current_seal()
        seal = Seal.from_bytes(seal_raw)  # checked by current_seal()
        ts_id = scan_log(log.events).next_id()
        req = (
            TimestampRequestBuilder()
            .data(seal_raw)
            .hash_algorithm(HashAlgorithm.SHA256)
            .nonce(nonce=True)
            .cert_request(cert_request=True)
            .build()
        )
        imprint = _digest(seal_raw)
        if digest(req.message_imprint.message.hex()) != imprint or req.nonce is None:
            raise IncompleteError("The timestamp request could not be built correctly.")
        tsq = req.as_bytes()
        record = RequestRecord(
            id=ts_id,
            seq=log.head.events + 1,
            imprint=imprint,
            nonce=req.nonce,
            sealed_at=seal.sealed_at,
            events=log.head.events,
            head=log.head.head,
            tsa=tsa,
        )
        files = {"seal": seal_raw, "seal_sig": sig_raw, "request": tsq}
        data = {
            "id": ts_id,
            "hash": "sha256",
            "imprint": imprint,
            "nonce": str(req.nonce),
            "cert_req": True,
            "request_sha256": _digest(tsq),
            "seal": {
                "sha256": imprint,
                "sealed_at": record.sealed_at,
                "events": record.events,
                "head": record.head,
            },
            "files": {kind: ts_path(ts_id, kind) for kind in files},
            "tsa": tsa,
        }
        _write_and_log(case, sess.log, ts_id, files, REQUEST_ACTION, data)
    return record


def _write_and_log(
    case: Case,
    log: Callable[[str, dict[str, Any]], None],
    ts_id: str,
    files: dict[str, bytes],
    action: str,
    data: dict[str, Any],
) -> None:
    """Write the files under evkit/timestamps/, then log the event that records them.

    If the event was not written, the files are removed again so the case has no unlogged
    timestamp files (a crash in between leaves them unlogged; verification ignores those).
    """
    root = case.root
    before = case.read_log().head.events
    written: list[Path] = []
    try:
        if not (root / TS_DIR).is_dir():
            (root / TS_DIR).mkdir(parents=True)
            fsync_dir((root / TS_DIR).parent)
        for kind, body in files.items():  # durable before the event that names them
            path = root / ts_path(ts_id, kind)
            atomic_write(path, body, sync=True)
            written.append(path)
        log(action, data)
    except BaseException:
        if case.read_log().head.events == before:
            for path in written:
                path.unlink(missing_ok=True)
        raise


# ---- sending (only with an explicit --tsa URL) -----------------------------------------------
def check_tsa_url(url: str) -> None:
    """Only http:// and https:// addresses (never file: or other schemes); UsageError if not."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"--tsa {url!r} is not an http:// or https:// address.",
            hint=f"For example: --tsa {DEFAULT_TSA}",
        )


def send_request(url: str, tsq: bytes, *, timeout: float = NETWORK_TIMEOUT) -> bytes:
    """POST a request to a TSA and return its answer. The only network access in evkit."""
    import urllib.error
    import urllib.request

    from evidence_kit import __version__

    check_tsa_url(url)
    headers = {
        "Content-Type": "application/timestamp-query",
        "Accept": "application/timestamp-reply",
        "User-Agent": f"evkit/{__version__}",
    }
    # the scheme was checked above: only http(s), never file: or custom schemes
    request = urllib.request.Request(url, data=tsq, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 (checked)
            body: bytes = resp.read(MAX_RESPONSE + 1)
            ctype = str(resp.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        raise IncompleteError(
            f"The timestamp service at {url} answered with HTTP error {exc.code} ({exc.reason})."
        ) from exc
    except urllib.error.URLError as exc:
        raise IncompleteError(
            f"Could not reach the timestamp service at {url}: {_reason(exc.reason)}."
        ) from exc
    except (TimeoutError, OSError) as exc:
        raise IncompleteError(
            f"Could not reach the timestamp service at {url}: {_reason(exc)}."
        ) from exc
    if len(body) > MAX_RESPONSE or "html" in ctype.lower():
        raise IncompleteError(
            f"The service at {url} did not answer with a timestamp response "
            f"(it sent {ctype or 'something else'})."
        )
    return body


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "no answer (timed out)"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


# ---- importing ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    """What ``import_response`` did, for the CLI to report."""

    id: str
    tsa: str
    gen_time: str
    serial: str
    covers: dict[str, Any]
    signature_checked: bool
    ca_names: tuple[str, ...]  # the CA certificates checked against, for people to read
    changed: bool  # False: this exact response was already imported (and no CA was added)
    ca_added: bool = False  # a CA certificate was added to an earlier import
    embedded_cert: bool = True  # the token carries the TSA's certificate (as certReq asks)

    def openssl_verify(self) -> str:
        """The openssl command that checks this timestamp in the case folder."""
        return openssl_verify_command(
            self.id, ca=self.signature_checked, untrusted=not self.embedded_cert
        )


def load_certificates(data: bytes, name: str = "the CA file") -> list[x509.Certificate]:
    """Certificates from PEM (one or more) or DER bytes; UsageError if there are none."""
    from cryptography import x509

    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise UsageError(
            f"{name} does not hold a readable X.509 certificate.",
            hint="Give the TSA's CA certificate in PEM form (e.g. cacert.pem).",
        ) from exc
    if not certs:
        raise UsageError(f"{name} holds no certificate.")
    return certs


def _pem_of(certs: list[x509.Certificate]) -> bytes:
    """Only the certificates, re-encoded (never copy anything else from the user's file)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    return b"".join(c.public_bytes(Encoding.PEM) for c in certs)


def _decode(response: bytes) -> TimeStampResponse | None:
    """Parse a response with rfc3161_client; None if it is not one.

    rfc3161_client insists on DER's sorted order for the token's certificate SET, but OpenSSL
    based TSAs (``openssl ts -reply -chain``) write the signer's certificate first and the
    chain after it in any order. Those responses are parsed from a copy with only that SET
    re-ordered (see :func:`_sorted_certificate_set`); the stored file stays as the TSA sent it.
    """
    from rfc3161_client import decode_timestamp_response

    try:
        return decode_timestamp_response(response)
    except (ValueError, TypeError):
        pass
    resorted = _sorted_certificate_set(response)
    if resorted is None:
        return None
    try:
        return decode_timestamp_response(resorted)
    except (ValueError, TypeError):
        return None


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int] | None:
    """(tag, content start, content end) of the DER element at ``pos``; None if malformed."""
    if pos + 2 > end:
        return None
    tag, first = data[pos], data[pos + 1]
    if tag & 0x1F == 0x1F or first == 0x80:  # high tag numbers / indefinite length: not DER
        return None
    start = pos + 2
    length = first
    if first & 0x80:
        count = first & 0x7F
        if count > 4 or start + count > end:
            return None
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    if start + length > end:
        return None
    return tag, start, start + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]] | None:
    """(tag, element start, content start, content end) of each element in [start, end)."""
    out: list[tuple[int, int, int, int]] = []
    pos = start
    while pos < end:
        tlv = _tlv(data, pos, end)
        if tlv is None:
            return None
        out.append((tlv[0], pos, tlv[1], tlv[2]))
        pos = tlv[2]
    return out


def _sorted_certificate_set(response: bytes) -> bytes | None:
    """A copy of ``response`` whose SignedData ``certificates`` SET is in DER order.

    Only the order of whole certificate elements changes, so every length stays the same and
    nothing covered by the CMS signature is touched. This walks just the element headers on
    the path TimeStampResp > timeStampToken > content > SignedData > certificates; all
    parsing and checking of content is left to rfc3161_client. None if the path is not there.
    """
    top = _tlv(response, 0, len(response))
    if top is None or top[0] != 0x30:
        return None
    resp = _children(response, top[1], top[2])
    if resp is None or len(resp) < 2 or resp[1][0] != 0x30:
        return None
    info = _children(response, resp[1][2], resp[1][3])  # ContentInfo: OID, [0] EXPLICIT
    if info is None or len(info) < 2 or info[1][0] != 0xA0:
        return None
    inner = _children(response, info[1][2], info[1][3])
    if not inner or inner[0][0] != 0x30:
        return None
    signed = _children(response, inner[0][2], inner[0][3])
    certs_field = next((c for c in signed or [] if c[0] == 0xA0), None)
    if certs_field is None:
        return None
    certs = _children(response, certs_field[2], certs_field[3])
    if not certs:
        return None
    elements = sorted(response[c[1] : c[3]] for c in certs)
    return response[: certs_field[2]] + b"".join(elements) + response[certs_field[3] :]


def _signer_certificate(resp: TimeStampResponse) -> x509.Certificate | None:
    """The embedded certificate that matches the SignerInfo (the TSA's own certificate)."""
    from cryptography import x509

    try:
        infos = list(resp.signed_data.signer_infos)
        certs = [x509.load_der_x509_certificate(c) for c in resp.signed_data.certificates]
    except ValueError:
        return None
    for info in infos:
        for cert in certs:
            if cert.issuer == info.issuer and cert.serial_number == info.serial_number:
                return cert
    return None


def tsa_name(resp: TimeStampResponse) -> tuple[str, str]:
    """A short display name for the TSA ("FreeTSA (Free TSA)") and its full subject."""
    from cryptography import x509

    name: x509.Name | None = None
    cert = _signer_certificate(resp)
    if cert is not None:
        name = cert.subject
    else:
        try:
            general = resp.tst_info.name
            if isinstance(general, x509.DirectoryName):
                name = general.value
        except (ValueError, TypeError, AttributeError):
            name = None
    if name is None:
        return "unknown TSA", ""
    return short_name(name), name.rfc4514_string()


def short_name(name: x509.Name) -> str:
    """``Common Name (Organization)`` of a certificate name, for people to read."""
    from cryptography.x509.oid import NameOID

    def first(oid: x509.ObjectIdentifier) -> str:
        values = name.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    cn, org = first(NameOID.COMMON_NAME), first(NameOID.ORGANIZATION_NAME)
    return f"{cn} ({org})" if cn and org and org != cn else (cn or org or name.rfc4514_string())


def _imprint_of(resp: TimeStampResponse) -> str | None:
    """``sha256:<hex>`` of the token's message imprint (None if it is not SHA-256)."""
    imprint = resp.tst_info.message_imprint
    if imprint.hash_algorithm.dotted_string != SHA256_OID:
        return None
    return digest(imprint.message.hex())


def _nonce_of(resp: TimeStampResponse) -> int | None:
    try:
        nonce = resp.tst_info.nonce
    except (ValueError, TypeError, AttributeError):
        return None
    return nonce if isinstance(nonce, int) else None


def _status_text(resp: TimeStampResponse) -> str:
    from rfc3161_client import PKIStatus

    try:
        status = PKIStatus(resp.status).name.lower().replace("_", " ")
    except ValueError:
        status = f"status {resp.status}"
    texts = "; ".join(str(t) for t in (resp.status_string or []))
    return f"{status}{': ' + texts if texts else ''}"


def check_signature(
    resp: TimeStampResponse, seal_raw: bytes, nonce: int, certs: list[x509.Certificate]
) -> str | None:
    """Check the token's CMS signature and TSA chain against ``certs``; None if it verifies.

    The chain is checked at the token's genTime (a TSA certificate that expired since then
    still proves the time). Also re-checks status, nonce, imprint and the critical
    timeStamping extended key usage of the TSA certificate. A token that does not carry the
    TSA's certificate (a TSA that ignored certReq) is checked with the timestamping
    certificate from ``certs``, if the file has one.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from rfc3161_client import VerificationError, VerifierBuilder

    builder = VerifierBuilder().nonce(nonce)
    if _signer_certificate(resp) is None:
        for cert in certs:
            try:
                eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except x509.ExtensionNotFound:
                continue
            if ExtendedKeyUsageOID.TIME_STAMPING in eku:
                builder = builder.tsa_certificate(cert)
                break
        else:
            return (
                "the response does not include the TSA's certificate; give a file with "
                "the TSA's certificate as well as its CA certificate"
            )
    seen: set[bytes] = set()
    for cert in certs:
        der = cert.public_bytes(Encoding.DER)
        if der not in seen:
            seen.add(der)
            builder = builder.add_root_certificate(cert)
    try:
        builder.build().verify(resp, hashlib.sha256(seal_raw).digest())
    except (VerificationError, ValueError) as exc:
        return _plain_signature_error(str(exc))
    return None


def _plain_signature_error(text: str) -> str:
    low = text.lower()
    if (
        "unable to get local issuer" in low
        or "self-signed certificate in certificate chain" in low
        or "unable to get issuer" in low
    ):
        return "the TSA's certificate was not issued by the given CA certificate(s)"
    if "signature failure" in low or "digest failure" in low:
        return "the token's signature does not match its content (it was altered)"
    if "expired" in low or "not yet valid" in low:
        return "a certificate in the chain was not valid at the token's time"
    if "eku" in low or "timestamping" in low:
        return "the signing certificate is not a timestamping certificate"
    if "mismatch between messages" in low:
        return "the token does not cover this seal"
    if "nonce" in low:
        return "the token's nonce does not match the request"
    return text.split("ErrorStack", 1)[0].strip().rstrip(":") or "it does not verify"


def import_response(
    case: Case,
    signer: Signer,
    response: bytes,
    *,
    ca_pem: bytes | None = None,
    request_id: str | None = None,
    source: str = "the response",
    on_recover: Callable[[str], None] | None = None,
) -> ImportResult:
    """Check a TSA response against the case's pending request and store it; re-seals.

    Everything is checked before the case is touched, so a refused response leaves nothing
    behind. Exit codes: 2 if the response is not for this case's request (or the CA does not
    verify it); 3 if the TSA refused the request.
    """
    if len(response) > MAX_RESPONSE:
        raise UsageError(f"{source} is too large to be an RFC 3161 timestamp response.")
    resp = _decode(response)
    if resp is None:
        raise UsageError(
            f"{source} is not an RFC 3161 timestamp response (.tsr).",
            hint="Give the file the timestamp authority sent back, not the request (.tsq).",
        )
    from rfc3161_client import PKIStatus

    if resp.status != PKIStatus.GRANTED:
        raise IncompleteError(
            f"The timestamp authority did not grant the request "
            f"({_status_text(resp)}); nothing was stored.",
            hint="Send the request again later, or to another authority.",
        )
    try:
        imprint, nonce = _imprint_of(resp), _nonce_of(resp)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{source} is a damaged timestamp response: {exc}.") from exc
    certs = load_certificates(ca_pem) if ca_pem is not None else None

    state = scan_log(case.read_log().events)
    if request_id is not None:
        wanted = request_id.strip().upper()
        if wanted.removeprefix("T").isdigit():
            wanted = f"T{int(wanted.removeprefix('T')):04d}"
        if wanted not in state.requests:
            raise UsageError(
                f"This case has no timestamp request {request_id}.",
                hint="'evkit timestamp list' shows the requests.",
            )
        candidates = [state.requests[wanted]]
    else:
        candidates = list(state.requests.values())
    matches = [r for r in candidates if r.imprint == imprint and r.nonce == nonce]
    if not matches:
        elsewhere = [
            r.id for r in state.requests.values() if r.imprint == imprint and r.nonce == nonce
        ]
        if elsewhere:
            raise UsageError(
                f"{source} answers request {elsewhere[-1]}, not {request_id}; nothing was stored."
            )
        raise UsageError(_mismatch_message(source, candidates, imprint, nonce))
    req = matches[-1]
    seal_raw = _read(case.root / ts_path(req.id, "seal"))
    if seal_raw is None or _digest(seal_raw) != req.imprint:
        raise IntegrityError(
            f"The seal copy {ts_path(req.id, 'seal')} of request {req.id} is "
            "missing or changed, so the response cannot be checked.",
            hint="Run 'evkit verify' to see what changed.",
        )
    signature_error = check_signature(resp, seal_raw, req.nonce, certs) if certs else None
    if signature_error:
        raise UsageError(
            f"The timestamp's signature does not verify against the CA "
            f"certificate given: {signature_error}. Nothing was stored.",
            hint="Give the certificate of the authority that issued this "
            "timestamp (for FreeTSA: cacert.pem).",
        )
    name, subject = tsa_name(resp)
    info = resp.tst_info
    gen_time, serial = _utc_text(info.gen_time), _serial_text(info.serial_number)
    covers = {
        "seal_sha256": req.imprint,
        "sealed_at": req.sealed_at,
        "events": req.events,
        "head": req.head,
    }
    ca_subjects = [c.subject.rfc4514_string() for c in certs] if certs else []
    ca_names = tuple(short_name(c.subject) for c in certs) if certs else ()
    embedded = _signer_certificate(resp) is not None
    ca_bytes = _pem_of(certs) if certs else None
    token_sha = _digest(response)

    existing = state.tokens.get(req.id)
    if existing is not None:
        if existing.token_sha256 != token_sha:
            raise UsageError(
                f"Timestamp request {req.id} already has a different timestamp "
                "imported; nothing was stored."
            )
        if ca_bytes is None or existing.ca_sha256 is not None:
            return ImportResult(
                req.id,
                name,
                gen_time,
                serial,
                covers,
                existing.ca_sha256 is not None,
                ca_names,
                changed=False,
                embedded_cert=embedded,
            )
        with case.session(signer, "timestamp import", on_recover=on_recover) as sess:
            _write_and_log(
                case,
                sess.log,
                req.id,
                {"ca": ca_bytes},
                CA_ACTION,
                {
                    "id": req.id,
                    "sha256": _digest(ca_bytes),
                    "subjects": ca_subjects,
                    "file": ts_path(req.id, "ca"),
                    "signature": "verified",
                },
            )
        return ImportResult(
            req.id,
            name,
            gen_time,
            serial,
            covers,
            True,
            ca_names,
            changed=True,
            ca_added=True,
            embedded_cert=embedded,
        )

    files = {"token": response}
    if ca_bytes is not None:
        files["ca"] = ca_bytes
    data: dict[str, Any] = {
        "id": req.id,
        "tsa": name,
        "tsa_subject": subject,
        "gen_time": gen_time,
        "serial": serial,
        "policy": info.policy.dotted_string,
        "imprint": req.imprint,
        "nonce": str(req.nonce),
        "covers": covers,
        "token_sha256": token_sha,
        "files": {kind: ts_path(req.id, kind) for kind in files},
        "ca": (
            {"sha256": _digest(ca_bytes), "subjects": ca_subjects} if ca_bytes is not None else None
        ),
        "signature": "verified" if ca_bytes is not None else "not checked",
        "signer_cert_embedded": embedded,
    }
    with case.session(signer, "timestamp import", on_recover=on_recover) as sess:
        if req.id in scan_log(case.read_log().events).tokens:  # imported meanwhile
            raise UsageError(
                f"Timestamp request {req.id} was imported by another command just now."
            )
        _write_and_log(case, sess.log, req.id, files, TOKEN_ACTION, data)
    return ImportResult(
        req.id,
        name,
        gen_time,
        serial,
        covers,
        ca_bytes is not None,
        ca_names,
        changed=True,
        embedded_cert=embedded,
    )


def _mismatch_message(
    source: str, candidates: list[RequestRecord], imprint: str | None, nonce: int | None
) -> str:
    """One sentence saying why a response fits none of the candidate requests."""
    del nonce  # a matching imprint with any other nonce is "another request"
    if not candidates:
        return (
            f"{source} cannot be imported: this case has no timestamp request "
            "(run 'evkit timestamp request' first)."
        )
    names = ", ".join(r.id for r in candidates)
    what = (
        f"this case's request ({names})"
        if len(candidates) == 1
        else (f"any of this case's requests ({names})")
    )
    if imprint is None:
        return f"{source} does not use SHA-256, so it is not for {what}; nothing was stored."
    if any(r.imprint == imprint for r in candidates):
        return (
            f"{source} covers this case's seal but answers another request (its nonce "
            f"is not that of {what}); nothing was stored."
        )
    return (
        f"{source} is not for {what}: it timestamps {imprint[:23]}..., a different "
        "seal; nothing was stored."
    )


# ---- verification (evkit verify) -------------------------------------------------------------
def verify_check(ctx: VerifyContext) -> tuple[Check, list[Finding]] | None:
    """Re-check every stored timestamp offline; None when the case has none.

    For each imported token: its file is the one the signed ``timestamp`` event recorded; it
    covers the stored seal copy (imprint); that copy is signed by the case key and records a
    custody log head that is line N of the current log (an earlier state of this case); and,
    when a CA certificate is stored, the token's signature and TSA chain verify against it.
    A token covering a seal that later seals superseded is the normal case, not a problem.
    """
    state = scan_log(ctx.log.events)
    if not state.requests and not state.tokens:
        return None
    findings: list[Finding] = []
    notes: list[str] = []
    unchecked: list[str] = []
    for ts_id, tok in sorted(state.tokens.items()):
        before = len(findings)
        note = _check_token(ctx, ts_id, tok, state.requests.get(ts_id), findings, unchecked)
        if len(findings) == before and note:
            notes.append(note)
    pending = state.pending()
    if not state.tokens:
        detail = "no timestamp imported yet"
    else:
        detail = "; ".join(notes) if notes else ""
    if unchecked:
        detail += f"; TSA signature not checked for {', '.join(unchecked)}: no CA certificate given"
    if pending:
        detail += (
            f"; {len(pending)} request(s) waiting for a response "
            f"({', '.join(r.id for r in pending)})"
        )
    detail = detail.strip("; ")
    ok = not findings
    if not ok:
        detail = f"{len(findings)} problem(s)" + (f"; {detail}" if detail else "")
    return Check("Trusted timestamps", ok, detail), findings


def _check_token(
    ctx: VerifyContext,
    ts_id: str,
    tok: TokenRecord,
    req: RequestRecord | None,
    findings: list[Finding],
    unchecked: list[str],
) -> str | None:
    """Check one imported token; append findings; return its one-line description."""
    token_rel, seal_rel, sig_rel = (ts_path(ts_id, k) for k in ("token", "seal", "seal_sig"))
    token, seal_raw, sig_raw = (ctx.source.read(r) for r in (token_rel, seal_rel, sig_rel))
    for rel, body in ((token_rel, token), (seal_rel, seal_raw), (sig_rel, sig_raw)):
        if body is None:
            findings.append(
                Finding("timestamp.missing", f"{rel}, part of timestamp {ts_id}, is missing.", rel)
            )
    if token is None or seal_raw is None or sig_raw is None:
        return None
    if _digest(token) != tok.token_sha256:
        findings.append(
            Finding(
                "timestamp.changed",
                f"The timestamp token {token_rel} was changed after it was imported.",
                token_rel,
            )
        )
    resp = _decode(token)
    if resp is None:
        findings.append(
            Finding(
                "timestamp.damaged",
                f"{token_rel} can no longer be read as "
                "an RFC 3161 timestamp response: it is damaged.",
                token_rel,
            )
        )
        return None
    from rfc3161_client import PKIStatus

    try:
        granted = resp.status == PKIStatus.GRANTED
        imprint, nonce = _imprint_of(resp), _nonce_of(resp)
        gen_time = _utc_text(resp.tst_info.gen_time)
    except (ValueError, TypeError) as exc:
        findings.append(Finding("timestamp.damaged", f"{token_rel} is damaged: {exc}.", token_rel))
        return None
    if not granted:
        findings.append(
            Finding("timestamp.damaged", f"{token_rel} is not a granted timestamp.", token_rel)
        )
    if imprint != _digest(seal_raw):
        findings.append(
            Finding(
                "timestamp.imprint",
                f"Timestamp {ts_id} does not cover the "
                f"stored seal copy {seal_rel}: one of them was changed.",
                seal_rel,
            )
        )
    if req is not None and nonce != req.nonce:
        findings.append(
            Finding(
                "timestamp.nonce",
                f"Timestamp {ts_id}'s nonce is not the one "
                "its request carried: it answers another request.",
                token_rel,
            )
        )
    covered = _check_seal_copy(ctx, ts_id, seal_raw, sig_raw, seal_rel, findings)
    if tok.ca_sha256 is not None:
        ca_rel = ts_path(ts_id, "ca")
        ca_raw = ctx.source.read(ca_rel)
        if ca_raw is None:
            findings.append(
                Finding(
                    "timestamp.missing",
                    f"{ca_rel}, the CA certificate of timestamp {ts_id}, is missing.",
                    ca_rel,
                )
            )
        elif _digest(ca_raw) != tok.ca_sha256:
            findings.append(
                Finding(
                    "timestamp.changed",
                    f"The CA certificate {ca_rel} was changed after it was imported.",
                    ca_rel,
                )
            )
        else:
            try:
                certs = load_certificates(ca_raw, ca_rel)
                err = check_signature(resp, seal_raw, req.nonce if req else (nonce or 0), certs)
            except UsageError as exc:
                err = exc.message
            if err:
                findings.append(
                    Finding(
                        "timestamp.signature",
                        f"Timestamp {ts_id}'s signature does not verify against {ca_rel}: {err}.",
                        token_rel,
                    )
                )
    else:
        unchecked.append(ts_id)
    if covered is None:
        return None
    sealed_at, n = covered
    name = str(tok.data.get("tsa") or "unknown TSA")
    return (
        f"{ts_id} by {name} at {gen_time.replace('T', ' ').replace('Z', ' UTC')} covers "
        f"the seal of {sealed_at} (log event {n} of {len(ctx.log.hashes)})"
    )


def _check_seal_copy(
    ctx: VerifyContext,
    ts_id: str,
    seal_raw: bytes,
    sig_raw: bytes,
    seal_rel: str,
    findings: list[Finding],
) -> tuple[str, int] | None:
    """The stored seal copy is this case's, signed by its key, at line N of the log."""
    if ctx.key is not None and not ctx.key.verify(sig_raw, seal_raw):
        findings.append(
            Finding(
                "timestamp.seal-signature",
                f"The seal copy {seal_rel} is not signed by the case's key: it was altered.",
                seal_rel,
            )
        )
    try:
        seal = loads(seal_raw)
        custody = seal["custody"]
        n, head = custody["events"], custody["head"]
        sealed_at = str(seal.get("sealed_at", "?"))
        case_id = seal.get("case_id")
    except (ValueError, KeyError, TypeError):
        findings.append(
            Finding("timestamp.seal-damaged", f"The seal copy {seal_rel} is damaged.", seal_rel)
        )
        return None
    if ctx.case_info and case_id != ctx.case_info.get("case_id"):
        findings.append(
            Finding(
                "timestamp.seal-case",
                f"The seal copy {seal_rel} belongs to a different case.",
                seal_rel,
            )
        )
        return None
    hashes = ctx.log.hashes
    if not isinstance(n, int) or not 1 <= n <= len(hashes) or hashes[n - 1] != head:
        findings.append(
            Finding(
                "timestamp.log",
                f"The seal that timestamp {ts_id} covers "
                f"records custody log event {n} with a hash the log does not "
                "have there: the log was rewritten since.",
                LOG_PATH,
            )
        )
        return None
    return sealed_at, n


# ---- reading for reports ---------------------------------------------------------------------
def list_timestamps(case_root: Path, *, include_pending: bool = False) -> list[dict[str, Any]]:
    """The case's timestamps as the custody log records them, for reports and exports.

    Each entry: ``id``, ``status`` ("imported" or "pending"), ``tsa``, ``tsa_subject``,
    ``gen_time`` (UTC, ISO 8601 with Z), ``serial``, ``covers`` (the seal's ``sealed_at``,
    ``seal_sha256``, custody ``events`` and ``head``), ``signature`` ("verified" against the
    stored CA or "not checked"), ``files`` and ``openssl_verify`` (a command to run in the
    case folder). Not a verification: ``evkit verify`` re-checks them.
    """
    try:
        raw = (Path(case_root) / LOG_PATH).read_bytes()
    except FileNotFoundError:
        return []
    state = scan_log(parse_log(raw).events)
    out: list[dict[str, Any]] = []
    for ts_id, req in sorted(state.requests.items()):
        tok = state.tokens.get(ts_id)
        covers = {
            "seal_sha256": req.imprint,
            "sealed_at": req.sealed_at,
            "events": req.events,
            "head": req.head,
        }
        if tok is None:
            if include_pending:
                out.append(
                    {
                        "id": ts_id,
                        "status": "pending",
                        "tsa": None,
                        "tsa_subject": None,
                        "gen_time": None,
                        "serial": None,
                        "covers": covers,
                        "signature": None,
                        "tsa_url": req.tsa,
                        "files": {"request": ts_path(ts_id, "request")},
                        "openssl_verify": None,
                    }
                )
            continue
        has_ca = tok.ca_sha256 is not None
        files = {k: ts_path(ts_id, k) for k in ("seal", "seal_sig", "request", "token")}
        if has_ca:
            files["ca"] = ts_path(ts_id, "ca")
        out.append(
            {
                "id": ts_id,
                "status": "imported",
                "tsa": tok.data.get("tsa"),
                "tsa_subject": tok.data.get("tsa_subject"),
                "gen_time": tok.data.get("gen_time"),
                "serial": tok.data.get("serial"),
                "covers": tok.data.get("covers") or covers,
                "signature": "verified" if has_ca else "not checked",
                "tsa_url": req.tsa,
                "files": files,
                "openssl_verify": openssl_verify_command(
                    ts_id, ca=has_ca, untrusted=tok.data.get("signer_cert_embedded") is False
                ),
            }
        )
    for ts_id, tok in sorted(state.tokens.items()):  # a token without its request event
        if ts_id not in state.requests:
            out.append(
                {
                    "id": ts_id,
                    "status": "imported",
                    "tsa": tok.data.get("tsa"),
                    "tsa_subject": tok.data.get("tsa_subject"),
                    "gen_time": tok.data.get("gen_time"),
                    "serial": tok.data.get("serial"),
                    "covers": tok.data.get("covers"),
                    "signature": None,
                    "tsa_url": None,
                    "files": {"token": ts_path(ts_id, "token")},
                    "openssl_verify": openssl_verify_command(ts_id, ca=tok.ca_sha256 is not None),
                }
            )
    return out


def request_bytes(case_root: Path, ts_id: str) -> bytes:
    """The stored request (.tsq) of ``ts_id``, to send it."""
    path = Path(case_root) / ts_path(ts_id, "request")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise StorageError(
            f"The timestamp request {path} cannot be read: {exc.strerror or exc}."
        ) from exc


__all__ = [
    "CA_ACTION",
    "DEFAULT_TSA",
    "REQUEST_ACTION",
    "TOKEN_ACTION",
    "TS_DIR",
    "ImportResult",
    "LogTimestamps",
    "RequestRecord",
    "TokenRecord",
    "check_signature",
    "check_tsa_url",
    "create_request",
    "curl_command",
    "import_response",
    "list_timestamps",
    "load_certificates",
    "openssl_query_command",
    "openssl_verify_command",
    "request_bytes",
    "scan_log",
    "send_request",
    "short_name",
    "ts_path",
    "tsa_name",
    "verify_check",
]
