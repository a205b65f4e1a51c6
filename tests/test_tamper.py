"""Tamper matrix: every kind of change to a sealed case is caught and named (exit 1)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence_kit.ingest.add import add_files
from evidence_kit.store.case import Case
from evidence_kit.store.signing import Signer
from evidence_kit.verify.checks import FolderSource, verify_source


@pytest.fixture
def sealed(make_case, signer: Signer, evidence: Path) -> Path:
    case = make_case("sealed")
    report = add_files(case, signer, [str(evidence)])
    assert len(report.added) == 3
    return case.root


def _writable(p: Path) -> None:
    p.chmod(0o644)


def flip_payload_byte(root: Path) -> str:
    p = sorted((root / "data").iterdir())[0]
    _writable(p)
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01
    p.write_bytes(bytes(data))
    return f"data/{p.name}"


def delete_payload(root: Path) -> str:
    p = sorted((root / "data").iterdir())[1]
    p.unlink()
    return f"data/{p.name}"


def add_payload(root: Path) -> str:
    (root / "data" / "E9999_planted.txt").write_text("planted")
    return "data/E9999_planted.txt"


def grow_payload(root: Path) -> str:
    p = sorted((root / "data").iterdir())[0]
    _writable(p)
    with open(p, "ab") as f:
        f.write(b"x")
    return f"data/{p.name}"


def damage_item_record(root: Path) -> str:
    p = root / "evkit" / "items.jsonl"
    lines = p.read_bytes().split(b"\n")
    lines[0] = lines[0][: len(lines[0]) // 2]  # no longer JSON
    p.write_bytes(b"\n".join(lines))
    return "evkit/items.jsonl"


def edit_bag_info(root: Path) -> str:
    p = root / "bag-info.txt"
    p.write_text(p.read_text().replace("Jane Doe", "Someone Else"))
    return "bag-info.txt"


def edit_manifest(root: Path) -> str:
    p = root / "manifest-sha256.txt"
    lines = p.read_text().splitlines()
    lines[0] = "0" * 64 + lines[0][64:]
    p.write_text("\n".join(lines) + "\n")
    return "manifest-sha256.txt"


def edit_log_line(root: Path) -> str:
    p = root / "evkit" / "custody.jsonl"
    lines = p.read_bytes().split(b"\n")
    event = json.loads(lines[1])
    event["data"]["source"] = "forged"
    lines[1] = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
    p.write_bytes(b"\n".join(lines))
    return "evkit/custody.jsonl"


def drop_last_log_line(root: Path) -> str:
    p = root / "evkit" / "custody.jsonl"
    lines = p.read_bytes().split(b"\n")
    p.write_bytes(b"\n".join(lines[:-2]) + b"\n")
    return "evkit/custody.jsonl"


def edit_seal(root: Path) -> str:
    p = root / "evkit" / "seal.json"
    p.write_bytes(p.read_bytes().replace(b'"items":3', b'"items":4'))
    return "evkit/seal.json"


def replace_public_key(root: Path) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from evidence_kit.store.signing import Signer as KeySigner

    other = KeySigner(Ed25519PrivateKey.generate())
    (root / "evkit" / "collector.pub.pem").write_bytes(other.public.pem)
    return "evkit/collector.pub.pem"


def edit_item_record(root: Path) -> str:
    p = root / "evkit" / "items.jsonl"
    p.write_bytes(p.read_bytes().replace(b"note.txt", b"nice.txt"))
    return "evkit/items.jsonl"


def plant_record_file(root: Path) -> str:
    (root / "evkit" / "extra.json").write_text("{}")
    return "evkit/extra.json"


def edit_case_description(root: Path) -> str:
    p = root / "evkit" / "case.json"
    _writable(p)
    info = json.loads(p.read_bytes())
    info["title"] = "Another case"
    p.write_text(json.dumps(info))
    return "evkit/case.json"


def damage_case_description(root: Path) -> str:
    p = root / "evkit" / "case.json"
    _writable(p)
    p.write_bytes(p.read_bytes()[:20])
    return "evkit/case.json"


TAMPERS: dict[str, tuple[Callable[[Path], str], set[str]]] = {
    "edit case description": (edit_case_description, {"tag.changed", "seal.file-changed"}),
    "damage case description": (damage_case_description, {"case.unreadable", "tag.changed"}),
    "flip payload byte": (flip_payload_byte, {"payload.changed"}),
    "delete payload": (delete_payload, {"payload.missing"}),
    "add payload": (add_payload, {"payload.extra"}),
    "grow payload": (grow_payload, {"payload.changed", "bag.oxum", "seal.counts"}),
    "damage item record": (
        damage_item_record,
        {"items.malformed", "items.unbound", "items.missing"},
    ),
    "edit bag-info": (edit_bag_info, {"tag.changed", "seal.file-changed"}),
    "edit manifest": (edit_manifest, {"tag.changed", "payload.changed"}),
    "edit log line": (edit_log_line, {"log.signature"}),
    "drop last log line": (drop_last_log_line, {"seal.log-head"}),
    "edit seal": (edit_seal, {"seal.signature"}),
    "replace public key": (replace_public_key, {"key.mismatch", "seal.signature"}),
    "edit item record": (edit_item_record, {"items.unbound", "items.missing"}),
    "plant record file": (plant_record_file, {"tag.unexpected"}),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_tamper_is_detected_and_named(name: str, sealed: Path, tmp_path: Path, evkit) -> None:
    root = tmp_path / "copy"
    shutil.copytree(sealed, root)
    tamper, expected_codes = TAMPERS[name]
    touched = tamper(root)
    report = verify_source(FolderSource(root))
    codes = {f.code for f in report.findings}
    assert expected_codes <= codes, (name, codes)
    assert report.exit_code == 1
    assert any(f.path and f.path.startswith(touched.split(" ")[0]) for f in report.findings), (
        touched,
        [f.path for f in report.findings],
    )
    r = evkit("verify", str(root))
    assert r.exit_code == 1
    assert "CHANGED" in r.stdout
    assert touched.split("/")[-1] in r.stdout
    js = json.loads(evkit("verify", str(root), "--json").stdout)
    assert js["result"] == "changed" and js["findings"]


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_tamper_is_named_with_records_hashed_in_another_process(
    name: str, sealed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big cases hash items.jsonl in a forked process (check 7): same findings."""
    from evidence_kit.verify import checks as verify

    monkeypatch.setattr(verify, "PREFETCH_MIN_BYTES", 0)
    root = tmp_path / "copy"
    shutil.copytree(sealed, root)
    tamper, expected_codes = TAMPERS[name]
    tamper(root)
    here = verify_source(FolderSource(root))
    monkeypatch.setattr(verify, "PREFETCH_MIN_BYTES", 1 << 62)
    inline = verify_source(FolderSource(root))
    assert here.findings == inline.findings and here.checks == inline.checks
    assert expected_codes <= {f.code for f in here.findings} and here.exit_code == 1


def test_untouched_copy_verifies(sealed: Path, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(sealed, root)
    assert verify_source(FolderSource(root)).intact


def test_expected_key_option(sealed: Path, evkit) -> None:
    key_id = Case.open(sealed).key_id
    assert evkit("verify", str(sealed), "--key", key_id).exit_code == 0
    r = evkit("verify", str(sealed), "--key", "ABCD EF01 2345 6789")
    assert r.exit_code == 1 and "not the key you expected" in r.stdout


def test_verify_record_appends_a_logged_verification(sealed: Path, evkit) -> None:
    before = (sealed / "evkit" / "custody.jsonl").read_bytes()
    assert evkit("verify", str(sealed)).exit_code == 0
    assert (sealed / "evkit" / "custody.jsonl").read_bytes() == before  # read-only by default
    assert evkit("verify", str(sealed), "--record").exit_code == 0
    events = json.loads(evkit("-C", str(sealed), "log", "--json").stdout)
    assert events[-1]["action"] == "verify" and events[-1]["data"]["result"] == "intact"
    assert verify_source(FolderSource(sealed)).intact


def test_verify_missing_target_is_usage_error(evkit, tmp_path: Path) -> None:
    r = evkit("verify", str(tmp_path / "nope"))
    assert r.exit_code == 2 and "does not exist" in r.stderr


def test_a_fifo_planted_in_the_evidence_folder_is_named_without_hanging(
    sealed: Path, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(sealed, root)
    os.mkfifo(root / "data" / "E9998_pipe")
    report = verify_source(FolderSource(root))  # hashing a FIFO would block forever
    codes = {f.code for f in report.findings}
    assert "bag.special" in codes and report.exit_code == 1


def test_a_fifo_in_place_of_a_record_file_is_named_without_hanging(
    sealed: Path, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(sealed, root)
    (root / "evkit" / "items.jsonl").unlink()
    os.mkfifo(root / "evkit" / "items.jsonl")
    report = verify_source(FolderSource(root))
    codes = {f.code for f in report.findings}
    assert {"bag.special", "tag.missing", "items.missing"} <= codes and report.exit_code == 1


def test_a_reformatted_but_unchanged_event_keeps_a_valid_signature(sealed: Path) -> None:
    """The signature check's fast path (the stored line minus its "sig") falls back to
    re-encoding the content, so only a change of content is reported as a bad signature."""
    from evidence_kit.store.custody import check_log, parse_log
    from evidence_kit.store.signing import PublicKey

    raw = (sealed / "evkit" / "custody.jsonl").read_bytes()
    lines = raw.split(b"\n")[:-1]
    event = json.loads(lines[-1])
    lines[-1] = json.dumps(event, indent=None, separators=(", ", ": ")).encode()  # not canonical
    key = PublicKey.from_pem((sealed / "evkit" / "collector.pub.pem").read_bytes())
    findings = check_log(parse_log(b"\n".join(lines) + b"\n"), key.verifier(), key.key_id)
    assert not [f for f in findings if f.code == "log.signature"]
    event["data"]["sig"] = event["sig"]  # a copy of the signature nested inside: still fine
    lines[-1] = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
    findings = check_log(parse_log(b"\n".join(lines) + b"\n"), key.verifier(), key.key_id)
    assert [f.code for f in findings] == ["log.signature"]  # content changed: caught


@pytest.fixture(scope="module")
def many_sealed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sealed case of 300 small files: enough that verify hashes them in forked workers."""
    from evidence_kit.store.case import create_case
    from evidence_kit.store.signing import create_key, load_signer

    base = tmp_path_factory.mktemp("many")
    src = base / "chat"
    src.mkdir()
    for i in range(300):
        (src / f"msg-{i:03d}.bin").write_bytes(i.to_bytes(2, "big") * (50 + i))
    create_key(None, base / "home")
    signer = load_signer(None, base / "home")
    case = create_case(
        base / "case",
        {"title": "many", "collector": {"name": "t"}, "timezone": "UTC", "references": []},
        signer,
    )
    assert len(add_files(case, signer, [str(src)]).added) == 300
    return case.root


def test_many_files_tampered_are_each_named(many_sealed: Path, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(many_sealed, root)
    assert verify_source(FolderSource(root)).intact
    files = sorted((root / "data").iterdir())
    changed = [files[250], files[7]]  # named in path order, whatever the hashing order
    for p in changed:
        _writable(p)
        data = bytearray(p.read_bytes())
        data[0] ^= 0x80
        p.write_bytes(bytes(data))
    files[100].unlink()
    (root / "data" / "E9999_planted.bin").write_bytes(b"planted")
    report = verify_source(FolderSource(root))
    by_code: dict[str, list[str | None]] = {}
    for f in report.findings:
        by_code.setdefault(f.code, []).append(f.path)
    assert by_code["payload.changed"] == [f"data/{files[7].name}", f"data/{files[250].name}"]
    assert by_code["payload.missing"] == [f"data/{files[100].name}"]
    assert by_code["payload.extra"] == ["data/E9999_planted.bin"]
    assert "bag.oxum" in by_code and report.exit_code == 1


def test_an_unreadable_file_among_many_is_named(
    many_sealed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(many_sealed, root)
    victim = sorted((root / "data").iterdir())[42]
    real_open = os.open

    def refusing_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path) == str(victim):  # root reads any file: refuse this one as a disk would
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)  # inherited by the forked workers
    report = verify_source(FolderSource(root))
    unreadable = [f for f in report.findings if f.code == "payload.unreadable"]
    assert [f.path for f in unreadable] == [f"data/{victim.name}"]
    assert "Permission denied" in unreadable[0].message
    assert report.exit_code == 3  # could not check that file; nothing was found changed


def _copy_with_blank_records(sealed: Path, tmp_path: Path, count: int) -> Path:
    """A copy of the case whose items.jsonl ends with ``count`` blank lines (each a finding)."""
    root = tmp_path / "copy"
    shutil.copytree(sealed, root)
    items = root / "evkit" / "items.jsonl"
    _writable(items)
    with open(items, "ab") as f:
        f.write(b"\n" * count)
    return root


def test_item_records_padded_with_many_blank_lines_are_named(sealed: Path, tmp_path: Path) -> None:
    """More record lines than any evkit file holds: worked out in this process, still named."""
    root = _copy_with_blank_records(sealed, tmp_path, 3000)
    report = verify_source(FolderSource(root))
    codes = [f.code for f in report.findings]
    assert codes.count("items.malformed") == 3000 and "tag.changed" in codes
    assert report.exit_code == 1


def test_verify_output_is_whole_through_a_pipe(
    sealed: Path, tmp_path: Path, key_home: Path
) -> None:
    """The console script ends verify without the interpreter's teardown: its output must
    still arrive whole (a large --json report through a pipe) with the right exit code."""
    import subprocess
    import sys

    root = _copy_with_blank_records(sealed, tmp_path, 3000)
    proc = subprocess.run(
        [sys.executable, "-m", "evidence_kit", "verify", str(root), "--json"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert len(report["findings"]) >= 3000
    proc = subprocess.run(
        [sys.executable, "-m", "evidence_kit", "verify", str(sealed)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith(b"exactly as sealed.")
