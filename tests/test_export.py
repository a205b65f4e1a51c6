"""Tests for handover packages: evkit export / exports / import, and verify on a zip.

The external judges are the tools a recipient has: Python's zipfile to unpack, the Library of
Congress ``bagit`` validator, ``sha256sum -c`` and the exact ``openssl`` command in VERIFY.txt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest
from conftest import Runner

from evidence_kit.handover.export import (
    BOMB_MIN_SIZE,
    build_zip,
    list_exports,
    open_zip,
    receipt_valid,
    verify_zip,
)
from evidence_kit.ingest.add import add_files
from evidence_kit.store.case import Case
from evidence_kit.store.signing import Signer

RECIPIENT = "DC Sam Patel, Metropolitan Police"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVKIT_DEBUG", "1")  # a bug must fail the test, not become exit 3


@pytest.fixture
def case(make_case: Callable[..., Case], signer: Signer, evidence: Path) -> Case:
    """A case with three items and one sensitive item (E0004)."""
    c = make_case("My case")
    add_files(
        c,
        signer,
        [str(evidence / n) for n in ("note.txt", "photo.jpg", "chat export.txt")],
        extract=False,
    )
    private = evidence.parent / "private.png"
    private.write_bytes(PNG)
    add_files(c, signer, [str(private)], sensitive=True, extract=False)
    return c


def export(evk: Runner, case: Case, dest: Path, *extra: str) -> tuple[int, str]:
    return evk(
        "-C",
        case.root,
        "export",
        "--to",
        dest,
        "--recipient",
        RECIPIENT,
        "--reference",
        "CR-2026-1",
        *extra,
    )


@pytest.fixture
def package(evk: Runner, case: Case, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    code, text = export(evk, case, out / "handover.zip")
    assert code == 0, text
    return out / "handover.zip"


def unzip(zip_path: Path, where: Path) -> Path:
    """Unpack with Python's zipfile (as a recipient's tool would); return the bag folder."""
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(where)
        tops = {n.split("/", 1)[0] for n in zf.namelist()}
    assert len(tops) == 1
    return where / tops.pop()


def rewrite(
    src: Path,
    dst: Path,
    change: Callable[[str, bytes], bytes | None],
    extra: list[tuple[zipfile.ZipInfo, bytes]] | None = None,
) -> None:
    """Copy a zip entry by entry (change may alter bytes, or drop with None), adding extra."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate names, on purpose
            for info, data in extra or []:
                zout.writestr(info, data)


def entry(zip_path: Path, suffix: str) -> str:
    with zipfile.ZipFile(zip_path) as zf:
        names = [n for n in zf.namelist() if n.endswith(suffix)]
    assert len(names) == 1, names
    return names[0]


def verify_commands(verify_txt: str) -> list[str]:
    return [ln.strip()[2:] for ln in verify_txt.splitlines() if ln.strip().startswith("$ ")]


# ---- the recipient's own tools -------------------------------------------------------------
def test_package_passes_bagit_sha256sum_and_openssl_from_verify_txt(
    package: Path, tmp_path: Path
) -> None:
    bag = unzip(package, tmp_path / "unzipped")
    bagit.Bag(str(bag)).validate()  # raises BagValidationError on any problem
    for manifest in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
        res = subprocess.run(["sha256sum", "-c", manifest], cwd=bag, capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
    assert (
        "data/E0002_photo.jpg: OK"
        in subprocess.run(
            ["sha256sum", "-c", "manifest-sha256.txt"], cwd=bag, capture_output=True, text=True
        ).stdout
    )

    text = (bag / "VERIFY.txt").read_text()
    commands = verify_commands(text)
    seal_hex = hashlib.sha256((bag / "evkit/seal.json").read_bytes()).hexdigest()
    assert seal_hex in text
    case_json = json.loads((bag / "evkit/case.json").read_bytes())
    key_hex = case_json["key_id"].removeprefix("sha256:")
    assert key_hex in text
    fp = " ".join(key_hex[i : i + 4] for i in range(0, 32, 4)).upper()
    assert fp in text

    # Step 2, exactly as written, in the bag folder.
    (validate,) = [c for c in commands if c.startswith("bagit.py")]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    res = subprocess.run(shlex.split(validate), cwd=bag, capture_output=True, text=True, env=env)
    assert res.returncode == 0 and "is valid" in res.stderr, res.stderr
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    # Step 3, exactly as written, in the bag folder.
    (verify_cmd,) = [c for c in commands if c.startswith("openssl pkeyutl")]
    res = subprocess.run(shlex.split(verify_cmd), cwd=bag, capture_output=True, text=True)
    assert res.returncode == 0 and "Signature Verified Successfully" in res.stdout, res
    # Step 4: the seal hash and the key ID the text promises.
    (seal_cmd,) = [c for c in commands if c.startswith("sha256sum evkit/seal.json")]
    res = subprocess.run(shlex.split(seal_cmd), cwd=bag, capture_output=True, text=True)
    assert res.stdout.split()[0] == seal_hex
    (key_cmd,) = [c for c in commands if c.startswith("openssl pkey ")]
    res = subprocess.run(["bash", "-c", key_cmd], cwd=bag, capture_output=True, text=True)
    assert res.stdout.split()[0] == key_hex
    # A changed seal fails the same command.
    (bag / "evkit/seal.json").write_bytes((bag / "evkit/seal.json").read_bytes() + b" ")
    res = subprocess.run(shlex.split(verify_cmd), cwd=bag, capture_output=True, text=True)
    assert res.returncode != 0


def test_package_layout_and_contents(package: Path, case: Case, key_home: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        blobs = {i.filename: zf.read(i) for i in infos}
    folder = "My_case-X0001/"
    assert all(n.startswith(folder) for n in names)
    assert names == sorted(names)
    for must in (
        "VERIFY.txt",
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
        "data/",
        "evkit/custody.jsonl",
        "evkit/items.jsonl",
        "evkit/seal.json",
        "evkit/seal.sig",
        "evkit/withheld.json",
        "evkit/collector.pub.pem",
        "evkit/case.json",
    ):
        assert folder + must in names
    assert not any("/lock" in n or "/txn" in n for n in names)
    # no private key, nothing from the key store
    private = (key_home / "keys" / "collector.key").read_bytes()
    for name, data in blobs.items():
        assert b"PRIVATE KEY" not in data, name
        assert str(key_home).encode() not in data, name
        assert private not in data, name
    # fixed metadata, no extra fields; compressed types stored, text deflated
    by_name = {i.filename: i for i in infos}
    for info in infos:
        assert info.extra == b"" and info.create_system == 3
        assert info.date_time == infos[0].date_time
        mode = info.external_attr >> 16
        assert mode == ((stat.S_IFDIR | 0o755) if info.is_dir() else (stat.S_IFREG | 0o644))
    assert by_name[folder + "data/E0002_photo.jpg"].compress_type == zipfile.ZIP_STORED
    assert by_name[folder + "data/E0001_note.txt"].compress_type == zipfile.ZIP_DEFLATED
    assert by_name[folder + "evkit/custody.jsonl"].compress_type == zipfile.ZIP_DEFLATED
    # the package carries its own transfer record as the last custody event
    last = json.loads(blobs[folder + "evkit/custody.jsonl"].splitlines()[-1])
    assert last["action"] == "transfer"
    assert last["data"]["export"] == "X0001" and last["data"]["recipient"] == RECIPIENT
    assert last["data"]["reference"] == "CR-2026-1"
    assert last["data"]["included"] == ["E0001", "E0002", "E0003"]
    assert last["data"]["withheld"][0]["id"] == "E0004"


def test_receipt_beside_the_zip_and_exports_listing(
    package: Path, case: Case, evk: Runner, signer: Signer
) -> None:
    receipt = json.loads(package.with_name("handover.receipt.json").read_bytes())
    assert receipt["package_sha256"] == hashlib.sha256(package.read_bytes()).hexdigest()
    assert receipt["package_bytes"] == package.stat().st_size
    assert receipt["items_included"] == 3 and receipt["export"] == "X0001"
    assert receipt["recipient"] == RECIPIENT
    with zipfile.ZipFile(package) as zf:
        seal = zf.read("My_case-X0001/evkit/seal.json")
    assert receipt["seal_sha256"] == hashlib.sha256(seal).hexdigest()
    assert receipt["key_id"] == signer.key_id
    assert receipt_valid(receipt, signer.public)
    assert receipt_valid({**receipt, "recipient": "someone else"}, signer.public) is False
    txt = package.with_name("handover.receipt.txt").read_text()
    assert receipt["package_sha256"] in txt and "E0004" in txt
    code, out = evk("-C", case.root, "exports")
    assert code == 0 and "X0001" in out and RECIPIENT in out
    assert receipt["package_sha256"] in out
    assert list_exports(case)[0].to_dict()["zip_sha256"] == receipt["package_sha256"]


def test_same_sealed_state_gives_byte_identical_zips(
    package: Path, case: Case, signer: Signer, tmp_path: Path
) -> None:
    a = build_zip(case.root, signer, tmp_path / "a.zip")
    b = build_zip(case.root, signer, tmp_path / "b.zip")
    assert a.sha256 == b.sha256
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert (tmp_path / "a.zip").read_bytes() == package.read_bytes()  # the CLI's own zip too
    assert not list(tmp_path.glob(".*.part"))


def test_zip64_layout_verifies(
    case: Case, package: Path, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 100)  # every entry and offset needs ZIP64
    build_zip(case.root, signer, tmp_path / "z64.zip")
    monkeypatch.undo()
    with zipfile.ZipFile(tmp_path / "z64.zip") as zf:
        assert zf.testzip() is None
        assert any(i.extract_version >= 45 for i in zf.infolist())
    with open_zip(tmp_path / "z64.zip") as src:
        assert verify_zip(src).exit_code == 0
    bagit.Bag(str(unzip(tmp_path / "z64.zip", tmp_path / "u64"))).validate()


def test_highly_compressible_evidence_is_stored_not_flagged_as_bomb(
    make_case: Callable[..., Case], signer: Signer, tmp_path: Path, evk: Runner
) -> None:
    c = make_case("zeros")
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (BOMB_MIN_SIZE * 3))
    add_files(c, signer, [str(big)], extract=False)
    code, out = export(evk, c, tmp_path / "z.zip")
    assert code == 0, out
    with zipfile.ZipFile(tmp_path / "z.zip") as zf:
        (info,) = [i for i in zf.infolist() if i.filename.endswith("big.txt")]
    assert info.compress_type == zipfile.ZIP_STORED
    code, out = evk("verify", tmp_path / "z.zip")
    assert code == 0, out


# ---- verify-from-zip -----------------------------------------------------------------------
def test_verify_zip_intact(package: Path, evk: Runner) -> None:
    code, out = evk("verify", package)
    assert code == 0, out
    assert "INTACT" in out and "Handover record" in out and "1 withheld" in out
    code, out = evk("verify", "--json", package)
    assert code == 0 and json.loads(out)["result"] == "intact"


@pytest.mark.parametrize(
    ("suffix", "edit"),
    [
        ("data/E0001_note.txt", lambda b: b.replace(b"bank", b"BANK")),
        ("manifest-sha256.txt", lambda b: b"0" + b[1:]),
        ("evkit/custody.jsonl", lambda b: b.replace(b"Jane Doe", b"John Doe", 1)),
        ("evkit/seal.json", lambda b: b.replace(b'"items":3', b'"items":4')),
        ("evkit/items.jsonl", lambda b: b.replace(b"note.txt", b"nope.txt", 1)),
        ("evkit/withheld.json", lambda b: b.replace(b'"size":', b'"size":1', 1)),
    ],
)
def test_tampered_entry_is_named_and_exits_1(
    package: Path, tmp_path: Path, evk: Runner, suffix: str, edit: Callable[[bytes], bytes]
) -> None:
    bad = tmp_path / "bad.zip"
    rewrite(package, bad, lambda n, b: edit(b) if n.endswith(suffix) else b)
    assert bad.read_bytes() != package.read_bytes()
    code, out = evk("verify", bad)
    assert code == 1, out
    assert suffix in out and "CHANGED" in out


def test_flipped_byte_in_stored_entry_exits_1_naming_it(
    package: Path, tmp_path: Path, evk: Runner
) -> None:
    data = bytearray(package.read_bytes())
    with zipfile.ZipFile(package) as zf:
        info = zf.getinfo(entry(package, "data/E0002_photo.jpg"))
    start = info.header_offset + 30 + len(info.filename.encode())
    data[start + 100] ^= 0xFF
    bad = tmp_path / "flipped.zip"
    bad.write_bytes(bytes(data))
    code, out = evk("verify", bad)
    assert code == 1, out
    assert "data/E0002_photo.jpg" in out and "checksum stored in the zip" in out


def test_withheld_hash_differing_from_signed_record_is_a_finding(
    package: Path, tmp_path: Path, evk: Runner
) -> None:
    bad = tmp_path / "bad.zip"
    rewrite(package, bad, lambda n, b: _swap_hash(b) if n.endswith("withheld.json") else b)
    code, out = evk("verify", "--json", bad)
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert code == 1 and "withheld.changed" in codes


def _swap_hash(data: bytes) -> bytes:
    doc = json.loads(data)
    doc["items"][0]["sha256"] = "0" * 64
    return json.dumps(doc).encode()


def test_verify_rejects_a_plain_file(tmp_path: Path, evk: Runner) -> None:
    (tmp_path / "x.txt").write_text("hi")
    code, out = evk("verify", tmp_path / "x.txt")
    assert code == 2 and "give a case folder" in out


# ---- hostile zips ---------------------------------------------------------------------------
def _info(name: str, *, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    return info


def _hostile(package: Path, tmp_path: Path, kind: str) -> tuple[Path, Path]:
    """A hostile variant of a good package; returns it and a path it must never create."""
    bad = tmp_path / f"{kind}.zip"
    victim = tmp_path / "victim" / "evil.txt"
    folder = entry(package, "bagit.txt").split("/")[0]
    same = lambda n, b: b  # noqa: E731
    if kind == "dotdot":
        rewrite(package, bad, same, [(_info(f"{folder}/../victim/evil.txt"), b"pwned")])
    elif kind == "absolute":
        rewrite(package, bad, same, [(_info(str(victim)), b"pwned")])
    elif kind == "symlink":
        rewrite(
            package,
            bad,
            same,
            [(_info(f"{folder}/data/link", mode=stat.S_IFLNK | 0o777), str(victim).encode())],
        )
    elif kind == "duplicate":
        rewrite(package, bad, same, [(_info(entry(package, "data/E0001_note.txt")), b"other")])
    elif kind == "two-folders":
        rewrite(package, bad, same, [(_info("other/readme.txt"), b"hello")])
    elif kind == "bomb":
        info = _info(f"{folder}/data/bomb.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        rewrite(package, bad, same, [(info, bytes(40 << 20))])
    elif kind == "truncated":
        data = package.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    return bad, victim


HOSTILE = [
    ("dotdot", 1, "unsafe name"),
    ("absolute", 1, "unsafe name"),
    ("symlink", 1, "symbolic link"),
    ("duplicate", 1, "entries named"),
    ("two-folders", 1, "outside its case folder"),
    ("bomb", 1, "zip bomb"),
    ("truncated", 3, "cannot be read as a zip"),
]


@pytest.mark.parametrize(("kind", "want", "message"), HOSTILE)
def test_hostile_zip_verify(
    package: Path, tmp_path: Path, evk: Runner, kind: str, want: int, message: str
) -> None:
    bad, victim = _hostile(package, tmp_path, kind)
    before = sorted(p for p in tmp_path.rglob("*"))
    code, out = evk("verify", bad)
    assert code == want, out
    assert message in out
    assert not victim.exists() and not victim.parent.exists()
    assert sorted(p for p in tmp_path.rglob("*")) == before  # verify writes nothing


@pytest.mark.parametrize(("kind", "want", "message"), HOSTILE)
def test_hostile_zip_import(
    package: Path, tmp_path: Path, evk: Runner, kind: str, want: int, message: str
) -> None:
    bad, victim = _hostile(package, tmp_path, kind)
    dest = tmp_path / "imported"
    code, out = evk("import", bad, dest)
    assert code == want, out
    assert message in out
    assert not victim.exists() and not victim.parent.exists()
    assert not dest.exists()  # refused as a whole: nothing written


def test_import_unpacks_and_verifies(package: Path, tmp_path: Path, evk: Runner) -> None:
    dest = tmp_path / "police copy"
    code, out = evk("import", package, dest)
    assert code == 0, out
    assert "INTACT" in out and (dest / "VERIFY.txt").is_file()
    assert (dest / "data" / "E0001_note.txt").is_file()
    assert not (dest / "data" / "E0004.png").exists()
    bagit.Bag(str(dest)).validate()
    code, out = evk("verify", dest)
    assert code == 0, out
    code, out = evk("import", package, dest)  # not empty any more
    assert code == 2 and "not empty" in out


def test_import_damaged_entry_keeps_nothing(package: Path, tmp_path: Path, evk: Runner) -> None:
    data = bytearray(package.read_bytes())
    with zipfile.ZipFile(package) as zf:
        info = zf.getinfo(entry(package, "data/E0002_photo.jpg"))
    data[info.header_offset + 30 + len(info.filename.encode()) + 5] ^= 0x01
    bad = tmp_path / "flipped.zip"
    bad.write_bytes(bytes(data))
    dest = tmp_path / "imported"
    code, out = evk("import", bad, dest)
    assert code == 1 and "E0002_photo.jpg" in out
    assert not dest.exists()


# ---- supplementary and sensitive -----------------------------------------------------------
def test_supplementary_has_only_new_items_and_verifies_alone(
    package: Path, case: Case, signer: Signer, tmp_path: Path, evk: Runner
) -> None:
    new = tmp_path / "later.txt"
    new.write_text("A second message from the scammer.\n")
    add_files(case, signer, [str(new)], extract=False)
    sup = tmp_path / "out" / "supplement.zip"
    code, out = export(evk, case, sup, "--since-last")
    assert code == 0, out
    with zipfile.ZipFile(sup) as zf:
        names = zf.namelist()
        withheld = json.loads(zf.read(entry(sup, "evkit/withheld.json")))
        last = json.loads(zf.read(entry(sup, "evkit/custody.jsonl")).splitlines()[-1])
    payload = [n for n in names if "/data/" in n and not n.endswith("/")]
    assert [n.rsplit("/", 1)[-1] for n in payload] == ["E0005_later.txt"]
    reasons = {w["id"]: w["reason"] for w in withheld["items"]}
    assert reasons == {
        "E0001": "previously handed over in X0001",
        "E0002": "previously handed over in X0001",
        "E0003": "previously handed over in X0001",
        "E0004": "sensitive",
    }
    first_sha = hashlib.sha256(package.read_bytes()).hexdigest()
    assert last["data"]["supplementary_to"] == {"export": "X0001", "zip_sha256": first_sha}
    assert last["data"]["earlier_packages"] == [{"export": "X0001", "zip_sha256": first_sha}]
    code, out = evk("verify", sup)
    assert code == 0, out
    bagit.Bag(str(unzip(sup, tmp_path / "u"))).validate()
    # the same by explicit ID; nothing new since X0002 is refused without logging anything
    code, out = export(evk, case, tmp_path / "out" / "again.zip", "--since", "x1")
    assert code == 0, out
    events = len(case.read_log().events)
    code, out = export(evk, case, tmp_path / "out" / "empty.zip", "--since-last")
    assert code == 2 and "Nothing was added since" in out
    code, out = export(evk, case, tmp_path / "out" / "bad.zip", "--since", "X0009")
    assert code == 2 and "no handover X0009" in out
    assert len(case.read_log().events) == events
    code, out = evk("-C", case.root, "exports")
    assert "supplementary to X0001" in out and "X0003" in out


def test_sensitive_withheld_by_default_included_on_request(
    package: Path, case: Case, tmp_path: Path, evk: Runner
) -> None:
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
        withheld = json.loads(zf.read(entry(package, "evkit/withheld.json")))
    assert not any("E0004" in n for n in names)
    (item,) = withheld["items"]
    assert item == {
        "id": "E0004",
        "sha256": hashlib.sha256(PNG).hexdigest(),
        "size": len(PNG),
        "mime": case.item("E0004").mime,
        "reason": "sensitive",
    }
    assert withheld["type"] == "evkit/withheld/v1" and withheld["export"] == "X0001"
    full = tmp_path / "full.zip"
    code, out = export(evk, case, full, "--include-sensitive")
    assert code == 0, out
    with zipfile.ZipFile(full) as zf:
        # A sensitive file is stored under its ID and type only (issue 12, defect 7).
        assert any(n.endswith("data/E0004.png") for n in zf.namelist())
        assert json.loads(zf.read(entry(full, "evkit/withheld.json")))["items"] == []
    code, out = evk("verify", full)
    assert code == 0, out


# ---- refusing to export ---------------------------------------------------------------------
def test_export_refuses_a_changed_case_and_logs_nothing(
    case: Case, tmp_path: Path, evk: Runner
) -> None:
    (case.root / "data" / "E0001_note.txt").write_text("edited")
    events = len(case.read_log().events)
    code, out = export(evk, case, tmp_path / "x.zip")
    assert code == 1 and "will not hand it over" in out
    assert not (tmp_path / "x.zip").exists()
    assert len(case.read_log().events) == events


def test_export_destination_rules(case: Case, package: Path, evk: Runner) -> None:
    code, out = export(evk, case, case.root / "inside.zip")
    assert code == 2 and "inside the case folder" in out
    code, out = export(evk, case, package)
    assert code == 2 and "already exists" in out
    code, out = evk("-C", case.root, "export", "--to", package.with_name("n.zip"))
    assert code == 2 and "recipient" in out


def test_failed_write_is_cancelled_in_the_log(
    case: Case, tmp_path: Path, evk: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_kit.errors import StorageError
    from evidence_kit.handover import export as export_mod

    def broken(*args: object, **kwargs: object) -> None:
        raise StorageError("The disk is full while writing x.zip; nothing was written.")

    monkeypatch.setattr(export_mod, "_write_zip", broken)
    code, out = export(evk, case, tmp_path / "x.zip")
    assert code == 3 and "disk is full" in out
    actions = [e["action"] for e in case.read_log().events]
    assert actions[-2:] == ["transfer", "transfer.cancelled"]
    assert list(tmp_path.glob("x*")) == []
    code, out = evk("-C", case.root, "exports")
    assert "CANCELLED" in out
    code, out = evk("verify", case.root)
    assert code == 0, out


# ---- reports, memory and progress -----------------------------------------------------------
def test_report_files_travel_inside_the_bag(
    case: Case, signer: Signer, tmp_path: Path, evk: Runner
) -> None:
    report = case.root / "evkit" / "report"
    report.mkdir()
    (report / "summary.html").write_text(  # inert, as report pages must be (report.active)
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'\"><h1>Case summary</h1>\n"
    )
    (report / "custody.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    with case.session(signer, "report") as sess:  # a report is written, then sealed
        sess.log("report", {"files": ["evkit/report/summary.html", "evkit/report/custody.pdf"]})
    out = tmp_path / "r.zip"
    code, text = export(evk, case, out)
    assert code == 0, text
    with zipfile.ZipFile(out) as zf:
        by_name = {i.filename.split("/", 1)[1]: i for i in zf.infolist()}
    assert by_name["evkit/report/custody.pdf"].compress_type == zipfile.ZIP_STORED
    assert by_name["evkit/report/summary.html"].compress_type == zipfile.ZIP_DEFLATED
    bag = unzip(out, tmp_path / "u")
    bagit.Bag(str(bag)).validate()
    assert "  evkit/report/summary.html" in (bag / "VERIFY.txt").read_text()
    code, text = evk("verify", out)
    assert code == 0, text


def test_memory_does_not_grow_with_file_size_and_progress_counts_bytes(
    make_case: Callable[..., Case], signer: Signer, tmp_path: Path, evk: Runner
) -> None:
    import tracemalloc

    c = make_case("big")
    big = tmp_path / "statement.csv"  # deflated: the compressor is on the path too
    with open(big, "wb") as f:
        for _ in range(12):
            f.write(os.urandom(1 << 19).hex().encode()[: 1 << 20])
    add_files(c, signer, [str(big)], extract=False)
    code, out = evk("-C", c.root, "export", "--to", tmp_path / "big.zip", "--recipient", "DC")
    assert code == 0, out
    seen: list[int] = []
    tracemalloc.start()
    try:
        build_zip(c.root, signer, tmp_path / "again.zip", progress=seen.append)
        _, peak_build = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with open_zip(tmp_path / "again.zip") as src:
            assert verify_zip(src).exit_code == 0
        _, peak_verify = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(seen) == 12 << 20
    assert peak_build < 8 << 20, peak_build
    assert peak_verify < 8 << 20, peak_verify
