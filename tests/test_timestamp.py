"""Trusted time (RFC 3161): request, import and verify timestamps over the case's seal.

A throw-away CA and TSA are built with openssl for each test module; openssl ts -reply plays
the timestamp authority. Nothing here touches the network: --tsa is only tried against a tiny
HTTP server on 127.0.0.1 started by the test, and against a closed local port.
"""

from __future__ import annotations

import http.server
import json
import shlex
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bagit
import pytest

from evidence_kit.ingest.add import add_files
from evidence_kit.store.case import SEAL_PATH, SEAL_SIG_PATH, Case
from evidence_kit.store.custody import LOG_PATH
from evidence_kit.store.signing import Signer
from evidence_kit.timestamp.rfc3161 import (
    _decode,
    _sorted_certificate_set,
    list_timestamps,
    openssl_verify_command,
    ts_path,
)
from evidence_kit.verify.checks import FolderSource, verify_source

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

TSA_CNF = """\
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[ v3_tsa ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
serial = {serial}
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _openssl(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=True)


@dataclass
class Authority:
    """A throw-away CA and the TSA it certified, answering with ``openssl ts -reply``."""

    dir: Path
    ca: Path
    tsa_key: Path
    tsa_crt: Path
    cnf: Path

    def reply(self, query: Path, out: Path, *, chain: bool = True) -> bytes:
        args = [
            "ts",
            "-reply",
            "-config",
            str(self.cnf),
            "-queryfile",
            str(query),
            "-inkey",
            str(self.tsa_key),
            "-signer",
            str(self.tsa_crt),
            "-out",
            str(out),
        ]
        if chain:
            args += ["-chain", str(self.ca)]
        _openssl(*args)
        return out.read_bytes()


def _make_authority(d: Path, name: str) -> Authority:
    d.mkdir(parents=True)
    cnf = d / "tsa.cnf"
    cnf.write_text(TSA_CNF.format(serial=d / "tsaserial"))
    (d / "tsaserial").write_text("01\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl(
        "req",
        "-x509",
        "-new",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "3650",
        "-subj",
        f"/CN={name} Root CA/O=evkit tests",
        "-config",
        str(cnf),
        "-extensions",
        "v3_ca",
        cwd=d,
    )
    _openssl(
        "req",
        "-new",
        *ec,
        "-keyout",
        "tsa.key",
        "-out",
        "tsa.csr",
        "-subj",
        f"/CN={name} TSA/O=evkit tests",
        "-config",
        str(cnf),
        cwd=d,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        "tsa.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "tsa.crt",
        "-days",
        "3650",
        "-extfile",
        str(cnf),
        "-extensions",
        "v3_tsa",
        cwd=d,
    )
    return Authority(d, d / "ca.crt", d / "tsa.key", d / "tsa.crt", cnf)


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return _make_authority(tmp_path_factory.mktemp("pki") / "tsa", "Test")


@pytest.fixture(scope="module")
def other_tsa(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return _make_authority(tmp_path_factory.mktemp("pki") / "other", "Other")


@pytest.fixture
def case(make_case: Callable[..., Case], signer: Signer, evidence: Path) -> Case:
    c = make_case(title="T", collector={"name": "Jane"}, timezone="UTC", references=[])
    add_files(c, signer, [str(evidence / "note.txt")])
    return c


def assert_sound(root: Path) -> Any:
    """The case verifies intact and is a valid BagIt bag; returns the verification report."""
    rep = verify_source(FolderSource(root))
    assert rep.intact, [f.message for f in rep.findings]
    bagit.Bag(str(root)).validate()
    return rep


def ts_check(rep: Any) -> Any:
    return next(c for c in rep.checks if c.name == "Trusted timestamps")


def events(root: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (root / LOG_PATH).read_text().splitlines()]


def request(evkit: Callable[..., Any], root: Path, *args: str) -> str:
    """Run ``evkit timestamp request`` and return the new request's ID."""
    r = evkit("timestamp", "request", "--json", *args, cwd=root)
    assert r.exit_code == 0, r.output
    return str(json.loads(r.stdout)["id"])


# ---- the whole round trip -------------------------------------------------------------------
def test_request_import_verify_with_evkit_and_openssl(
    evkit: Callable[..., Any], case: Case, tsa: Authority, tmp_path: Path
) -> None:
    root = case.root
    seal_before = (root / SEAL_PATH).read_bytes()
    sig_before = (root / SEAL_SIG_PATH).read_bytes()
    events_before = len(events(root))

    r = evkit("timestamp", "request", cwd=root)
    assert r.exit_code == 0, r.output
    assert "Timestamp request T0001 saved as evkit/timestamps/T0001.tsq" in r.stdout
    assert (
        'curl -sS -H "Content-Type: application/timestamp-query" --data-binary '
        "@evkit/timestamps/T0001.tsq https://freetsa.org/tsr -o ../T0001.tsr"
    ) in r.stdout
    assert "openssl ts -query -in evkit/timestamps/T0001.tsq -text" in r.stdout
    assert "evkit timestamp import ../T0001.tsr" in r.stdout
    assert_sound(root)

    # The request covers the seal exactly as it was before the command (kept as a copy).
    assert (root / ts_path("T0001", "seal")).read_bytes() == seal_before
    assert (root / ts_path("T0001", "seal_sig")).read_bytes() == sig_before
    assert (root / SEAL_PATH).read_bytes() != seal_before  # the case was re-sealed since
    tsq = root / ts_path("T0001", "request")
    text = _openssl("ts", "-query", "-in", str(tsq), "-text").stdout
    assert "Hash Algorithm: sha256" in text and "Certificate required: yes" in text
    assert "Nonce: 0x" in text
    req_event = events(root)[-1]
    assert req_event["action"] == "timestamp.request"
    assert req_event["data"]["seal"]["events"] == events_before

    tsr = tmp_path / "T0001.tsr"
    answer = tsa.reply(tsq, tsr, chain=True)
    # openssl agrees that the answer matches the request (imprint and nonce) and verifies.
    ok = _openssl("ts", "-verify", "-queryfile", str(tsq), "-in", str(tsr), "-CAfile", str(tsa.ca))
    assert "Verification: OK" in ok.stdout

    r = evkit("timestamp", "import", str(tsr), "--ca", str(tsa.ca), cwd=root)
    assert r.exit_code == 0, r.output
    assert "Imported timestamp T0001 from Test TSA (evkit tests)" in r.stdout
    assert "Signature: verified" in r.stdout
    assert openssl_verify_command("T0001") in r.stdout
    assert (root / ts_path("T0001", "token")).read_bytes() == answer  # byte for byte
    assert b"BEGIN CERTIFICATE" in (root / ts_path("T0001", "ca")).read_bytes()

    rep = assert_sound(root)
    check = ts_check(rep)
    assert check.ok
    assert "T0001 by Test TSA (evkit tests)" in check.detail
    assert f"covers the seal of {req_event['data']['seal']['sealed_at']}" in check.detail
    assert f"(log event {events_before} of {len(events(root))})" in check.detail

    # The exact command evkit documents works with openssl, run in the case folder.
    cmd = openssl_verify_command("T0001")
    assert cmd == (
        "openssl ts -verify -in evkit/timestamps/T0001.tsr -data "
        "evkit/timestamps/T0001.seal.json -CAfile evkit/timestamps/T0001.ca.pem"
    )
    done = subprocess.run(shlex.split(cmd), cwd=root, capture_output=True, text=True)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr

    tok = events(root)[-1]
    assert tok["action"] == "timestamp"
    assert tok["data"]["tsa"] == "Test TSA (evkit tests)"
    assert tok["data"]["gen_time"].endswith("Z")
    assert tok["data"]["signature"] == "verified"
    assert tok["data"]["covers"]["events"] == events_before

    listed = list_timestamps(root)
    assert len(listed) == 1 and listed[0]["id"] == "T0001"
    assert listed[0]["tsa"] == "Test TSA (evkit tests)"
    assert listed[0]["gen_time"] == tok["data"]["gen_time"]
    assert listed[0]["covers"]["events"] == events_before
    assert listed[0]["openssl_verify"] == cmd
    r = evkit("timestamp", "list", cwd=root)
    assert r.exit_code == 0 and "T0001" in r.stdout and "signature verified" in r.stdout
    r = evkit("verify", cwd=root)
    assert r.exit_code == 0 and "Trusted timestamps" in r.stdout, r.output


def test_import_without_ca_then_add_the_ca(
    evkit: Callable[..., Any], case: Case, tsa: Authority, tmp_path: Path
) -> None:
    root = case.root
    ts_id = request(evkit, root)
    tsr = tmp_path / "answer.tsr"
    tsa.reply(root / ts_path(ts_id, "request"), tsr, chain=False)

    r = evkit("timestamp", "import", str(tsr), cwd=root)
    assert r.exit_code == 0, r.output
    assert "Signature: not checked" in r.stdout
    assert "-CAfile TSA-CA.pem" in r.stdout
    check = ts_check(assert_sound(root))
    assert (
        check.ok and "TSA signature not checked for T0001: no CA certificate given" in check.detail
    )
    assert list_timestamps(root)[0]["signature"] == "not checked"
    assert not (root / ts_path(ts_id, "ca")).exists()

    r = evkit("timestamp", "import", str(tsr), "--ca", str(tsa.ca), cwd=root)
    assert r.exit_code == 0, r.output
    assert "Checked timestamp T0001 against the CA certificate" in r.stdout
    check = ts_check(assert_sound(root))
    assert check.ok and "not checked" not in check.detail
    assert list_timestamps(root)[0]["signature"] == "verified"
    assert events(root)[-1]["action"] == "timestamp.ca"
    done = subprocess.run(
        shlex.split(openssl_verify_command(ts_id)), cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr

    n = len(events(root))
    r = evkit("timestamp", "import", str(tsr), "--ca", str(tsa.ca), cwd=root)
    assert r.exit_code == 0 and "already kept" in r.stdout
    assert len(events(root)) == n
    assert_sound(root)


# ---- refusals: nothing stored -------------------------------------------------------------
def _unchanged(root: Path) -> Callable[[], None]:
    seal, log = (root / SEAL_PATH).read_bytes(), (root / LOG_PATH).read_bytes()
    listing = sorted(p.name for p in (root / "evkit" / "timestamps").iterdir())

    def check() -> None:
        assert (root / SEAL_PATH).read_bytes() == seal
        assert (root / LOG_PATH).read_bytes() == log
        assert sorted(p.name for p in (root / "evkit" / "timestamps").iterdir()) == listing
        assert_sound(root)

    return check


def test_response_for_another_case_is_refused(
    evkit: Callable[..., Any],
    case: Case,
    make_case: Callable[..., Case],
    tsa: Authority,
    tmp_path: Path,
) -> None:
    other = make_case("other", title="Other", collector={"name": "Jane"}, timezone="UTC")
    request(evkit, case.root)
    request(evkit, other.root)
    tsr = tmp_path / "other.tsr"
    tsa.reply(other.root / ts_path("T0001", "request"), tsr)
    unchanged = _unchanged(case.root)
    r = evkit("timestamp", "import", str(tsr), "--ca", str(tsa.ca), cwd=case.root)
    assert r.exit_code == 2, r.output
    assert "is not for this case's request (T0001)" in r.stderr
    assert "nothing was stored" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    unchanged()


def test_response_for_another_request_is_refused(
    evkit: Callable[..., Any], case: Case, tsa: Authority, tmp_path: Path
) -> None:
    root = case.root
    first = request(evkit, root)
    second = request(evkit, root)
    assert (first, second) == ("T0001", "T0002")
    tsr = tmp_path / "first.tsr"
    tsa.reply(root / ts_path(first, "request"), tsr)

    unchanged = _unchanged(root)
    r = evkit("timestamp", "import", str(tsr), "--request", second, cwd=root)
    assert r.exit_code == 2 and "answers request T0001, not T0002" in r.stderr, r.output
    unchanged()
    r = evkit("timestamp", "import", str(tsr), "--request", "T9", cwd=root)
    assert r.exit_code == 2 and "no timestamp request T9" in r.stderr, r.output
    unchanged()

    # Same seal, but another nonce: a query made outside evkit for the same bytes.
    own = tmp_path / "own.tsq"
    _openssl(
        "ts",
        "-query",
        "-data",
        str(root / ts_path(first, "seal")),
        "-sha256",
        "-cert",
        "-out",
        str(own),
    )
    foreign = tmp_path / "foreign.tsr"
    tsa.reply(own, foreign)
    r = evkit("timestamp", "import", str(foreign), cwd=root)
    assert r.exit_code == 2 and "answers another request" in r.stderr, r.output
    unchanged()

    # Without --request the right answer finds its own request.
    r = evkit("timestamp", "import", str(tsr), "--ca", str(tsa.ca), cwd=root)
    assert r.exit_code == 0 and "Imported timestamp T0001" in r.stdout, r.output
    entries = list_timestamps(root, include_pending=True)
    assert [(e["id"], e["status"]) for e in entries] == [
        ("T0001", "imported"),
        ("T0002", "pending"),
    ]
    check = ts_check(assert_sound(root))
    assert "1 request(s) waiting for a response (T0002)" in check.detail


def test_wrong_ca_not_a_response_and_rejection(
    evkit: Callable[..., Any], case: Case, tsa: Authority, other_tsa: Authority, tmp_path: Path
) -> None:
    root = case.root
    ts_id = request(evkit, root)
    tsq = root / ts_path(ts_id, "request")
    tsr = tmp_path / "answer.tsr"
    tsa.reply(tsq, tsr)
    unchanged = _unchanged(root)

    r = evkit("timestamp", "import", str(tsr), "--ca", str(other_tsa.ca), cwd=root)
    assert r.exit_code == 2, r.output
    assert "not issued by the given CA certificate" in r.stderr
    unchanged()

    r = evkit("timestamp", "import", str(tsq), cwd=root)
    assert r.exit_code == 2 and "not an RFC 3161 timestamp response" in r.stderr, r.output
    unchanged()

    r = evkit("timestamp", "import", str(tsr), "--ca", str(tsq), cwd=root)
    assert r.exit_code == 2 and "readable X.509 certificate" in r.stderr, r.output
    unchanged()

    r = evkit("timestamp", "import", str(tmp_path / "missing.tsr"), cwd=root)
    assert r.exit_code == 2 and "does not exist" in r.stderr
    unchanged()

    sha1 = tmp_path / "sha1.tsq"  # the test TSA does not accept SHA-1: it rejects the query
    _openssl(
        "ts",
        "-query",
        "-data",
        str(root / ts_path(ts_id, "seal")),
        "-sha1",
        "-cert",
        "-out",
        str(sha1),
    )
    rejected = tmp_path / "rejected.tsr"
    tsa.reply(sha1, rejected)
    r = evkit("timestamp", "import", str(rejected), cwd=root)
    assert r.exit_code == 3 and "did not grant the request (rejection" in r.stderr, r.output
    unchanged()


# ---- verification after the fact -------------------------------------------------------------
@pytest.mark.parametrize("target", ["token", "seal", "ca", "token-garbage"])
def test_tampered_timestamp_is_a_finding(
    evkit: Callable[..., Any], case: Case, tsa: Authority, tmp_path: Path, target: str
) -> None:
    root = case.root
    ts_id = request(evkit, root)
    tsr = tmp_path / "answer.tsr"
    tsa.reply(root / ts_path(ts_id, "request"), tsr)
    assert evkit("timestamp", "import", str(tsr), "--ca", str(tsa.ca), cwd=root).exit_code == 0
    assert_sound(root)

    path = root / ts_path(ts_id, "token" if target.startswith("token") else target)
    data = bytearray(path.read_bytes())
    if target == "token":
        data[-5] ^= 0x01  # inside the CMS signature
    elif target == "token-garbage":
        data = bytearray(b"not a token")
    elif target == "seal":
        data = bytearray(bytes(data).replace(b'"sealed_at":"2', b'"sealed_at":"1'))
    else:
        data = bytearray(other_pem(tmp_path))
    path.write_bytes(bytes(data))

    rep = verify_source(FolderSource(root))
    assert not rep.intact and rep.exit_code == 1
    codes = {f.code for f in rep.findings}
    assert any(c.startswith("timestamp.") for c in codes), codes
    expected = {
        "token": "timestamp.signature",
        "token-garbage": "timestamp.damaged",
        "seal": "timestamp.imprint",
        "ca": "timestamp.changed",
    }[target]
    assert expected in codes, codes
    check = ts_check(rep)
    assert not check.ok
    r = evkit("verify", cwd=root)
    assert r.exit_code == 1 and "CHANGED" in r.stdout


def other_pem(tmp_path: Path) -> bytes:
    d = tmp_path / "x"
    d.mkdir()
    _openssl(
        "req",
        "-x509",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "k.pem",
        "-out",
        "c.pem",
        "-subj",
        "/CN=Someone else",
        "-days",
        "1",
        cwd=d,
    )
    return (d / "c.pem").read_bytes()


def test_superseded_seal_is_information_not_failure(
    evkit: Callable[..., Any],
    case: Case,
    signer: Signer,
    tsa: Authority,
    evidence: Path,
    tmp_path: Path,
) -> None:
    root = case.root
    ts_id = request(evkit, root)
    tsr = tmp_path / "answer.tsr"
    tsa.reply(root / ts_path(ts_id, "request"), tsr)
    assert evkit("timestamp", "import", str(tsr), "--ca", str(tsa.ca), cwd=root).exit_code == 0
    covered = json.loads((root / ts_path(ts_id, "seal")).read_bytes())

    add_files(Case.open(root), signer, [str(evidence / "photo.jpg")])
    r = evkit("add", str(evidence / "chat export.txt"), cwd=root)
    assert r.exit_code == 0, r.output

    rep = assert_sound(root)
    check = ts_check(rep)
    total = len(events(root))
    n = covered["custody"]["events"]
    assert check.ok and n < total
    assert f"covers the seal of {covered['sealed_at']} (log event {n} of {total})" in check.detail
    current = json.loads((root / SEAL_PATH).read_bytes())
    assert current["custody"]["events"] == total != n
    assert evkit("verify", cwd=root).exit_code == 0


def test_no_timestamps_adds_no_check(case: Case) -> None:
    rep = assert_sound(case.root)
    assert all(c.name != "Trusted timestamps" for c in rep.checks)
    assert list_timestamps(case.root) == []


def test_chained_response_from_openssl_parses(
    case: Case, evkit: Callable[..., Any], tsa: Authority, tmp_path: Path
) -> None:
    """openssl writes the signer first, then the chain, not in DER order; evkit still reads it."""
    ts_id = request(evkit, case.root)
    data = tsa.reply(case.root / ts_path(ts_id, "request"), tmp_path / "a.tsr", chain=True)
    resorted = _sorted_certificate_set(data)
    assert resorted is not None and len(resorted) == len(data)
    assert sorted(resorted) == sorted(data)  # the same bytes, only reordered
    resp = _decode(data)
    assert resp is not None and len(resp.signed_data.certificates) == 2


# ---- sending with --tsa (local only) ---------------------------------------------------------
@pytest.fixture
def local_tsa(tsa: Authority, tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """An HTTP timestamp service on 127.0.0.1 answering with openssl ts -reply."""
    seen: list[str] = []
    work = tmp_path / "served"
    work.mkdir()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.headers.get("Content-Type", ""))
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            (work / "q.tsq").write_bytes(body)
            answer = tsa.reply(work / "q.tsq", work / "r.tsr")
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsr", seen
    finally:
        server.shutdown()
        server.server_close()


def test_request_with_tsa_sends_and_imports(
    evkit: Callable[..., Any], case: Case, tsa: Authority, local_tsa: tuple[str, list[str]]
) -> None:
    url, seen = local_tsa
    r = evkit("timestamp", "request", "--tsa", url, "--ca", str(tsa.ca), cwd=case.root)
    assert r.exit_code == 0, r.output
    assert f"sent to {url}" in r.stdout and "Imported timestamp T0001" in r.stdout
    assert seen == ["application/timestamp-query"]
    rep = assert_sound(case.root)
    assert ts_check(rep).ok and "T0001 by Test TSA" in ts_check(rep).detail
    assert [e["status"] for e in list_timestamps(case.root, include_pending=True)] == ["imported"]


def test_unreachable_tsa_keeps_the_request(evkit: Callable[..., Any], case: Case) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = evkit(
        "timestamp",
        "request",
        "--tsa",
        f"http://127.0.0.1:{port}/tsr",
        "--timeout",
        "5",
        cwd=case.root,
    )
    assert r.exit_code == 3, r.output
    assert "Could not reach the timestamp service" in r.stderr
    assert "The request T0001 is saved in the case" in r.stderr
    assert "curl -sS" in r.stderr
    assert [e["status"] for e in list_timestamps(case.root, include_pending=True)] == ["pending"]
    assert_sound(case.root)


def test_bad_tsa_address_writes_nothing(evkit: Callable[..., Any], case: Case) -> None:
    before = (case.root / LOG_PATH).read_bytes()
    r = evkit("timestamp", "request", "--tsa", "file:///etc/passwd", cwd=case.root)
    assert r.exit_code == 2 and "not an http:// or https:// address" in r.stderr
    r = evkit("timestamp", "request", "--ca", "x.pem", cwd=case.root)
    assert r.exit_code == 2 and "--ca goes with --tsa" in r.stderr
    assert (case.root / LOG_PATH).read_bytes() == before
    assert not (case.root / "evkit" / "timestamps").exists()
    assert_sound(case.root)


def test_token_without_the_tsa_certificate(tsa: Authority, tmp_path: Path) -> None:
    """A TSA that ignores certReq: the TSA certificate must come with the CA (and -untrusted)."""
    from evidence_kit.timestamp.rfc3161 import check_signature, load_certificates

    root = tmp_path / "case"
    (root / "evkit" / "timestamps").mkdir(parents=True)
    seal = root / ts_path("T0001", "seal")
    seal.write_bytes(b'{"type":"evkit/seal/v1"}')
    query = tmp_path / "q.tsq"
    _openssl("ts", "-query", "-data", str(seal), "-sha256", "-out", str(query))  # no -cert
    answer = tsa.reply(query, root / ts_path("T0001", "token"), chain=False)
    resp = _decode(answer)
    assert resp is not None and not resp.signed_data.certificates
    nonce = resp.tst_info.nonce
    err = check_signature(resp, seal.read_bytes(), nonce, load_certificates(tsa.ca.read_bytes()))
    assert err is not None and "does not include the TSA's certificate" in err
    bundle = tsa.ca.read_bytes() + tsa.tsa_crt.read_bytes()
    assert check_signature(resp, seal.read_bytes(), nonce, load_certificates(bundle)) is None
    assert (
        check_signature(resp, seal.read_bytes() + b" ", nonce, load_certificates(bundle))
        is not None
    )
    (root / ts_path("T0001", "ca")).write_bytes(bundle)

    cmd = openssl_verify_command("T0001", untrusted=True)
    assert cmd.endswith(
        "-CAfile evkit/timestamps/T0001.ca.pem -untrusted evkit/timestamps/T0001.ca.pem"
    )
    done = subprocess.run(shlex.split(cmd), cwd=root, capture_output=True, text=True)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    without = subprocess.run(
        shlex.split(openssl_verify_command("T0001")), cwd=root, capture_output=True, text=True
    )
    assert without.returncode != 0  # openssl needs -untrusted to find the signer here


def test_a_broken_seal_is_not_timestamped(evkit: Callable[..., Any], case: Case) -> None:
    seal = case.root / SEAL_PATH
    seal.write_bytes(seal.read_bytes().replace(b'"sealed_at":"2', b'"sealed_at":"1'))
    log = (case.root / LOG_PATH).read_bytes()
    r = evkit("timestamp", "request", cwd=case.root)
    assert r.exit_code == 1 and "cannot be timestamped" in r.stderr, r.output
    assert (case.root / LOG_PATH).read_bytes() == log
    assert not (case.root / "evkit" / "timestamps").exists()
    r = evkit("timestamp", "list", "--json", cwd=case.root)
    assert r.exit_code == 0 and json.loads(r.stdout) == []


def test_handover_package_carries_timestamps_and_their_openssl_check(
    evkit: Callable[..., Any], case: Case, tsa: Authority, tmp_path: Path
) -> None:
    """Exports show each trusted timestamp; VERIFY.txt's openssl ts command works as written."""
    import shlex
    import zipfile

    root = case.root
    assert evkit("timestamp", "request", cwd=root).exit_code == 0
    tsr = tmp_path / "T0001.tsr"
    tsa.reply(root / ts_path("T0001", "request"), tsr, chain=True)
    assert evkit("timestamp", "import", str(tsr), "--ca", str(tsa.ca), cwd=root).exit_code == 0
    out = tmp_path / "handover.zip"
    r = evkit("export", "--to", str(out), "--recipient", "DC Test", cwd=root)
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out) as zf:
        zf.extractall(tmp_path / "unzipped")
    (folder,) = (tmp_path / "unzipped").iterdir()
    verify_txt = (folder / "VERIFY.txt").read_text()
    assert "TRUSTED TIMESTAMPS" in verify_txt and "Test TSA" in verify_txt
    line = next(ln for ln in verify_txt.splitlines() if "$ openssl ts -verify" in ln)
    cmd = shlex.split(line.split("$ ", 1)[1])
    done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done
    assert evkit("verify", str(out)).exit_code == 0
