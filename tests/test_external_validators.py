"""The case is checkable without evkit: LoC bagit, coreutils sha256sum, plain openssl."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import bagit
import pytest

from evidence_kit.ingest.add import add_files
from evidence_kit.store.case import Case
from evidence_kit.store.signing import Signer
from evidence_kit.verify.checks import FolderSource, verify_source

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not on PATH")
needs_sha256sum = pytest.mark.skipif(
    shutil.which("sha256sum") is None, reason="coreutils sha256sum not on PATH"
)


def check_with_external_tools(root: Path) -> None:
    bagit.Bag(str(root)).validate()  # raises BagValidationError with details
    if shutil.which("sha256sum") and (root / "manifest-sha256.txt").read_text().strip():
        subprocess.run(
            ["sha256sum", "--strict", "-c", "manifest-sha256.txt"],
            cwd=root,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["sha256sum", "--strict", "-c", "tagmanifest-sha256.txt"],
            cwd=root,
            check=True,
            capture_output=True,
        )
    if shutil.which("openssl"):
        # Exactly the command docs/FORMAT.md gives.
        out = subprocess.run(
            [
                "openssl",
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "evkit/collector.pub.pem",
                "-rawin",
                "-in",
                "evkit/seal.json",
                "-sigfile",
                "evkit/seal.sig",
            ],
            cwd=root,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0 and "Signature Verified Successfully" in out.stdout, out


@needs_openssl
@needs_sha256sum
def test_fresh_and_filled_case_pass_every_external_validator(
    make_case, signer: Signer, evidence: Path
) -> None:
    case = make_case()
    bagit.Bag(str(case.root)).validate()
    add_files(case, signer, [str(evidence)])
    check_with_external_tools(case.root)


@needs_openssl
def test_openssl_rejects_a_tampered_seal(make_case, signer: Signer, evidence: Path) -> None:
    case = make_case()
    add_files(case, signer, [str(evidence)])
    seal = case.root / "evkit" / "seal.json"
    seal.write_bytes(seal.read_bytes().replace(b'"items":3', b'"items":2'))
    out = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "evkit/collector.pub.pem",
            "-rawin",
            "-in",
            "evkit/seal.json",
            "-sigfile",
            "evkit/seal.sig",
        ],
        cwd=case.root,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0


@needs_sha256sum
def test_names_that_trip_other_tools(make_case, signer: Signer, tmp_path: Path) -> None:
    src = tmp_path / "odd"
    src.mkdir()
    nfc = unicodedata.normalize("NFC", "Überweisung – März.pdf")
    nfd = unicodedata.normalize("NFD", "Überweisung – März.pdf")
    (src / nfc).write_bytes(b"nfc version")
    (src / nfd).write_bytes(b"nfd version")  # a different name on Linux: both must be kept
    (src / "line\nbreak.txt").write_bytes(b"newline in name")
    (src / "back\\slash.txt").write_bytes(b"backslash in name")
    (src / "quote'\"s.txt").write_bytes(b"quotes")
    (src / "日本語のファイル.txt").write_bytes(b"japanese")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "same.png").write_bytes(b"first")
    (b / "same.png").write_bytes(b"second")
    case: Case = make_case()
    report = add_files(case, signer, [str(src), str(a / "same.png"), str(b / "same.png")])
    assert not report.failures, report.problems
    items = case.items()
    assert len(items) == 8
    names = {it.original["name"] for it in items.values()}
    assert {nfc, nfd, "line\nbreak.txt", "back\\slash.txt", "same.png"} <= names
    for it in items.values():
        assert it.stored.isascii() and "\n" not in it.stored and "\\" not in it.stored
        assert (case.root / it.stored).read_bytes() == Path(it.original["path"]).read_bytes()
    check_with_external_tools(case.root)
    assert verify_source(FolderSource(case.root)).intact
