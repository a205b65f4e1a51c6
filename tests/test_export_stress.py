"""Issue 12 "Trust under stress": handovers that are killed, hit a full disk or are made from
copies of a case (defects 4, 5, 6), report pages with active content (9), and the officer's
instructions in VERIFY.txt (12)."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, Runner

from evidence_kit.ingest.add import add_files
from evidence_kit.store.case import Case
from evidence_kit.store.signing import Signer

RECIPIENT = "DC Sam Patel, Metropolitan Police"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVKIT_DEBUG", "1")  # a bug must fail the test, not become exit 3


@pytest.fixture
def case(make_case: Callable[..., Case], signer: Signer, tmp_path: Path) -> Case:
    src = tmp_path / "evidence"
    src.mkdir()
    (src / "statement.csv").write_bytes(os.urandom(1 << 19).hex().encode())  # 1 MiB, deflated
    (src / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(600_000))  # stored
    (src / "note.txt").write_text("The caller said he was from the bank.\n")
    c = make_case("My case")
    add_files(c, signer, [str(p) for p in sorted(src.iterdir())], extract=False)
    return c


def _actions(case: Case) -> list[str]:
    return [str(e["action"]) for e in case.read_log().events]


def _debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---- defect 4: a killed export ---------------------------------------------------------------
_KILLER = """
import os, signal, sys
import evidence_kit.handover.export as e

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

point = os.environ["EVKIT_TEST_KILL_AT"]
if point == "after-transfer":
    e.build_zip = die
elif point == "during-zip":
    payload = e._write_payload
    def write_one_then_die(zf, *args, **kwargs):
        payload(zf, *args, **kwargs)
        zf.fp.flush()
        die()
    e._write_payload = write_one_then_die
elif point == "before-receipt":
    e._write_receipts = die
elif point == "after-receipts":
    receipts = e._write_receipts
    def write_then_die(*args, **kwargs):
        receipts(*args, **kwargs)
        die()
    e._write_receipts = write_then_die
sys.argv[0] = "evkit"
from evidence_kit.cli import main
main()
"""


def _killed_export(case: Case, dest: Path, key_home: Path, point: str) -> None:
    env = dict(
        os.environ,
        EVKIT_HOME=str(key_home),
        EVKIT_TEST_KILL_AT=point,
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )
    env.pop("EVKIT_PASSPHRASE", None)
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            _KILLER,
            "-C",
            str(case.root),
            "export",
            "--to",
            str(dest),
            "--recipient",
            RECIPIENT,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == -signal.SIGKILL, res.stdout + res.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("point", ["after-transfer", "during-zip", "before-receipt"])
def test_defect_4_killed_export_is_cleaned_up_cancelled_and_can_be_redone(
    case: Case, tmp_path: Path, key_home: Path, evk: Runner, point: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "handover.zip"
    _killed_export(case, dest, key_home, point)
    assert _actions(case)[-1] == "transfer"  # the handover was recorded, then evkit died
    left = _debris(out)
    if point == "during-zip":
        assert any(n.startswith(".handover.zip.") and n.endswith(".part") for n in left), left
    if point == "before-receipt":
        assert left == ["handover.zip"], left

    # The next evkit command (here a read-only one) cleans up and cancels the handover.
    code, text = evk("-C", case.root, "exports")
    assert code == 0, text
    assert "X0001" in text and "CANCELLED" in text and "not completed" in text, text
    assert "was not completed" in text  # the user is told what happened
    assert _debris(out) == []
    assert _actions(case)[-2:] == ["transfer.cancelled", "recover"]
    assert not (case.root / "evkit" / "txn").exists() or not any(
        (case.root / "evkit" / "txn").iterdir()
    )
    code, text = evk("verify", case.root)
    assert code == 0, text

    # The same export works again (a new handover number: X0001 stays cancelled in the log).
    code, text = evk("-C", case.root, "export", "--to", dest, "--recipient", RECIPIENT)
    assert code == 0, text
    assert _debris(out) == ["handover.receipt.json", "handover.receipt.txt", "handover.zip"]
    code, text = evk("verify", dest)
    assert code == 0, text
    code, listing = evk("-C", case.root, "exports", "--json")
    found = {d["export"]: d for d in json.loads(listing)}
    assert found["X0001"]["cancelled"] and found["X0001"]["zip_sha256"] is None
    receipt = json.loads((out / "handover.receipt.json").read_text())
    assert found["X0002"]["cancelled"] is None
    assert found["X0002"]["zip_sha256"] == receipt["package_sha256"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_defect_4_export_killed_after_its_receipts_is_kept_as_complete(
    case: Case, tmp_path: Path, key_home: Path, evk: Runner
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "handover.zip"
    _killed_export(case, dest, key_home, "after-receipts")
    code, text = evk("-C", case.root, "exports", "--json")
    assert code == 0, text
    (only,) = json.JSONDecoder().raw_decode(text[text.index("[") :])[0]
    assert only["cancelled"] is None
    receipt = json.loads((out / "handover.receipt.json").read_text())
    assert only["zip_sha256"] == receipt["package_sha256"]
    assert _debris(out) == ["handover.receipt.json", "handover.receipt.txt", "handover.zip"]
    assert "transfer.cancelled" not in _actions(case)
    code, text = evk("verify", dest)
    assert code == 0, text


def test_defect_4_an_export_journal_only_ever_removes_files_an_export_makes(
    case: Case, tmp_path: Path, evk: Runner
) -> None:
    """The journal is data in the case folder: it cannot make evkit delete other files."""
    victim = tmp_path / "precious.doc"
    victim.write_text("keep me")
    zip_victim = tmp_path / "other.zip"
    zip_victim.write_text("not evkit's")
    txn = case.root / "evkit" / "txn" / "20260101T000000-1-export"
    txn.mkdir(parents=True)
    (txn / "intent.json").write_text('{"op":"export"}')
    (txn / "export.json").write_text(
        json.dumps(
            {
                "export": "X0001",
                "pid": 1,
                "dest": str(zip_victim),
                "part": str(victim),
                "receipt_json": str(victim),
                "receipt_txt": str(victim),
                "zip_sha256": "0" * 64,
            }
        )
    )
    code, text = evk("-C", case.root, "exports")
    assert code == 0, text
    assert victim.read_text() == "keep me" and zip_victim.read_text() == "not evkit's"
    assert not txn.exists()
    code, text = evk("verify", case.root)
    assert code == 0, text


# ---- defect 5: a full disk -------------------------------------------------------------------
class _FullDisk(io.FileIO):
    """A file on a disk that fills up after ``room`` bytes."""

    room = 300_000

    def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(b)
        if _FullDisk.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = min(len(view), _FullDisk.room)
        _FullDisk.room -= n
        return super().write(view[:n])


def _assert_full_disk_handled(case: Case, out: Path, code: int, text: str, evk: Runner) -> None:
    assert code == 3, text
    assert "The disk is full while writing handover.zip; nothing was written." in text, text
    assert "internal error" not in text and "Traceback" not in text and "BufferError" not in text
    assert _debris(out) == []
    assert _actions(case)[-2:] == ["transfer", "transfer.cancelled"]
    code, listing = evk("-C", case.root, "exports")
    assert "CANCELLED" in listing and "disk is full" in listing, listing
    code, verified = evk("verify", case.root)
    assert code == 0, verified


@pytest.mark.parametrize("room", [0, 1000, 300_000, 1_200_000])
def test_defect_5_export_to_a_full_disk_says_so_plainly(
    case: Case, tmp_path: Path, evk: Runner, monkeypatch: pytest.MonkeyPatch, room: int
) -> None:
    from evidence_kit.handover import export as export_mod

    def full_open(path: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        assert "b" in mode
        return io.BufferedWriter(_FullDisk(str(path), mode.replace("b", "")))

    monkeypatch.setattr(_FullDisk, "room", room)
    monkeypatch.setattr(export_mod, "open", full_open, raising=False)
    out = tmp_path / "out"
    out.mkdir()
    code, text = evk(
        "-C", case.root, "export", "--to", out / "handover.zip", "--recipient", RECIPIENT
    )
    _assert_full_disk_handled(case, out, code, text, evk)
    monkeypatch.delattr(export_mod, "open")
    code, text = evk(
        "-C", case.root, "export", "--to", out / "handover.zip", "--recipient", RECIPIENT
    )
    assert code == 0, text


def test_defect_5_full_disk_while_writing_the_receipt(
    case: Case, tmp_path: Path, evk: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_kit.handover import export as export_mod
    from evidence_kit.store.fsutil import atomic_write

    def full(path: Path, data: bytes, **kwargs: object) -> None:
        if path.name.endswith(".receipt.txt"):
            raise export_mod.StorageError(f"The disk is full while writing {path.name}.")
        atomic_write(path, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(export_mod, "atomic_write", full)
    out = tmp_path / "out"
    out.mkdir()
    code, text = evk(
        "-C", case.root, "export", "--to", out / "handover.zip", "--recipient", RECIPIENT
    )
    _assert_full_disk_handled(case, out, code, text, evk)


def _mount_tmpfs(where: Path, size: str) -> bool:
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir()
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    return res.returncode == 0


def test_defect_5_export_to_a_real_full_tmpfs(case: Case, tmp_path: Path, evk: Runner) -> None:
    out = tmp_path / f"small-{uuid.uuid4().hex[:8]}"
    if not _mount_tmpfs(out, "512k"):
        pytest.skip("mounting a small tmpfs needs Linux and root (mount -t tmpfs not permitted)")
    try:
        code, text = evk(
            "-C", case.root, "export", "--to", out / "handover.zip", "--recipient", RECIPIENT
        )
        _assert_full_disk_handled(case, out, code, text, evk)
    finally:
        subprocess.run(["umount", str(out)], check=False)


# ---- defect 6: receipts of copies of a case --------------------------------------------------
def test_defect_6_receipts_are_not_attributed_across_copies_of_a_case(
    case: Case, tmp_path: Path, evk: Runner, key_home: Path
) -> None:
    a = case.root
    b = tmp_path / "copy of case"
    shutil.copytree(a, b, symlinks=True)  # cp -a: same case_id, same history so far
    out = tmp_path / "out"
    out.mkdir()
    code, text = evk("-C", a, "export", "--to", out / "a.zip", "--recipient", RECIPIENT)
    assert code == 0, text
    code, text = evk("-C", b, "export", "--to", out / "b.zip", "--recipient", RECIPIENT)
    assert code == 0, text
    sha_a = json.loads((out / "a.receipt.json").read_text())["package_sha256"]
    sha_b = json.loads((out / "b.receipt.json").read_text())["package_sha256"]
    assert sha_a != sha_b
    for root, want in ((a, sha_a), (b, sha_b)):
        code, text = evk("-C", root, "exports", "--json")
        (x1,) = json.loads(text)
        assert x1["zip_sha256"] == want, (root, text)
        code, text = evk("-C", root, "exports")
        other = sha_b if want == sha_a else sha_a
        assert want in text and other not in text
    # A's supplementary handover signs A's own zip hash.
    (tmp_path / "later.txt").write_text("a later message\n")
    code, text = evk("-C", a, "add", tmp_path / "later.txt")
    assert code == 0, text
    code, text = evk(
        "-C", a, "export", "--since-last", "--to", out / "a2.zip", "--recipient", RECIPIENT
    )
    assert code == 0, text
    last = Case.open(a).read_log().events[-1]
    assert last["action"] == "transfer"
    assert last["data"]["supplementary_to"] == {"export": "X0001", "zip_sha256": sha_a}
    assert {"export": "X0001", "zip_sha256": sha_a} in last["data"]["earlier_packages"]
    assert sha_b not in json.dumps(last)


def test_defect_6_a_receipt_for_another_transfer_event_is_ignored(
    case: Case, tmp_path: Path, evk: Runner, key_home: Path
) -> None:
    from evidence_kit.handover.export import receipt_store

    out = tmp_path / "out"
    out.mkdir()
    code, text = evk("-C", case.root, "export", "--to", out / "a.zip", "--recipient", RECIPIENT)
    assert code == 0, text
    (stored,) = receipt_store(case.case_id).glob("X0001*.json")
    receipt = json.loads(stored.read_text())
    assert receipt["transfer_event"]["seq"] == len(case.read_log().events)
    assert receipt["transfer_event"]["line_sha256"] == case.read_log().hashes[-1]
    # The same receipt, signed, but for an event this case does not have: not shown.
    from evidence_kit.handover.export import _sign_receipt
    from evidence_kit.store.signing import load_signer

    forged = _sign_receipt(
        {
            **receipt,
            "package_sha256": "f" * 64,
            "transfer_event": {**receipt["transfer_event"], "line_sha256": "sha256:" + "0" * 64},
        },
        load_signer(None, key_home),
    )
    stored.unlink()
    (stored.parent / "X0001.json").write_text(json.dumps(forged))
    code, text = evk("-C", case.root, "exports", "--json")
    (x1,) = json.loads(text)
    assert x1["zip_sha256"] is None


# ---- defect 12: the officer's instructions work as written -----------------------------------
def _verify_txt_commands(text: str) -> list[str]:
    return [ln.strip()[2:] for ln in text.splitlines() if ln.strip().startswith("$ ")]


@pytest.mark.skipif(
    shutil.which("openssl") is None or shutil.which("sha256sum") is None,
    reason="needs openssl and sha256sum, as the officer does",
)
@pytest.mark.parametrize("with_evidence", [True, False], ids=["evidence", "no-evidence"])
def test_defect_12_every_command_in_verify_txt_works_where_it_says(
    case: Case,
    make_case: Callable[..., Case],
    tmp_path: Path,
    evk: Runner,
    key_home: Path,
    with_evidence: bool,
) -> None:
    import zipfile

    target = case if with_evidence else make_case("Empty case")
    out = tmp_path / "out"
    out.mkdir()
    code, text = evk(
        "-C", target.root, "export", "--to", out / "handover.zip", "--recipient", RECIPIENT
    )
    assert code == 0, text
    with zipfile.ZipFile(out / "handover.zip") as zf:
        zf.extractall(tmp_path / "unzipped")
        (top,) = {n.split("/", 1)[0] for n in zf.namelist()}
    bag = tmp_path / "unzipped" / top
    verify_txt = (bag / "VERIFY.txt").read_text()
    # It says where to work: the unpacked folder, for every command.
    assert f"creates the folder {top}/" in verify_txt
    assert "Every command below is run there." in verify_txt
    assert "cd .." not in verify_txt
    assert "with: pip install bagit" not in verify_txt  # refused on Debian/Ubuntu
    assert "pipx install bagit" in verify_txt
    commands = _verify_txt_commands(verify_txt)
    assert any(c.startswith("bagit.py --validate") for c in commands)
    assert any(c.startswith("openssl pkeyutl") for c in commands)
    assert any(c.startswith("evkit verify") for c in commands)
    assert ("sha256sum -c manifest-sha256.txt" in commands) == with_evidence

    # The officer's PATH: bagit.py (installed in the test venv) and an evkit command.
    tools = tmp_path / "officer-bin"
    tools.mkdir()
    shim = tools / "evkit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m evidence_kit "$@"\n')
    shim.chmod(0o755)
    env = dict(
        os.environ,
        EVKIT_HOME=str(key_home),
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        PATH=os.pathsep.join([str(tools), str(Path(sys.executable).parent), os.environ["PATH"]]),
    )
    for command in commands:
        res = subprocess.run(
            ["bash", "-c", command], cwd=bag, env=env, capture_output=True, text=True, timeout=120
        )
        assert res.returncode == 0, (command, res.stdout, res.stderr)


# ---- defect 9: a signed package whose report carries active content ------------------------
SCRIPT_PAGE_EDITS: dict[str, Callable[[str], str]] = {
    "script": lambda p: p.replace("</h1>", "</h1><script>alert(1)</script>", 1),
    "script-upper": lambda p: p.replace("</h1>", "</h1><SCRIPT SRC=x.js></SCRIPT>", 1),
    "onerror": lambda p: p.replace(
        "</h1>", '</h1><img src="data:image/png;base64,AA==" onerror="alert(1)">', 1
    ),
    "svg-onload": lambda p: p.replace("</h1>", "</h1><svg/onload=alert(1)>", 1),
    "javascript-href": lambda p: p.replace(
        "</h1>", '</h1><a href="java&#x09;script:alert(1)">x</a>', 1
    ),
    "data-href": lambda p: p.replace("</h1>", '</h1><a href="data:text/html,<b>x</b>">x</a>', 1),
    "remote-img": lambda p: p.replace("</h1>", '</h1><img src="https://evil.example/t.png">', 1),
    "protocol-relative": lambda p: p.replace("</h1>", '</h1><img src="//evil.example/t.png">', 1),
    "css-url": lambda p: p.replace(
        "</h1>", '</h1><p style="background:url(http://e.x/a)">x</p>', 1
    ),
    "css-import": lambda p: p.replace("</style>", "@import url(//e.x/a.css);</style>", 1),
    "iframe": lambda p: p.replace("</h1>", '</h1><iframe src="#"></iframe>', 1),
    "object": lambda p: p.replace("</h1>", "</h1><object></object>", 1),
    "embed": lambda p: p.replace("</h1>", "</h1><embed>", 1),
    "base": lambda p: p.replace("<title>", '<base href="https://evil.example/"><title>', 1),
    "refresh": lambda p: p.replace(
        "<title>", '<meta http-equiv="refresh" content="0;url=h"><title>', 1
    ),
    "no-csp": lambda p: re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", p),
    "weak-csp": lambda p: p.replace("default-src &#x27;none&#x27;", "default-src *", 1),
    "comment-trick": lambda p: p.replace(
        "</h1>", "</h1><!-- --!><img src=x onerror=alert(1)> -->", 1
    ),
    "not-utf8": lambda p: p,  # encoded as UTF-16 below
}


def _report_page(evk: Runner, case: Case) -> tuple[Path, str]:
    code, text = evk("-C", case.root, "report", "--format", "html")
    assert code == 0, text
    page = case.root / "evkit" / "report" / "index.html"
    return page, page.read_text("utf-8")


@pytest.mark.parametrize("kind", sorted(SCRIPT_PAGE_EDITS))
def test_defect_9_active_content_in_a_report_page_is_found(
    case: Case, evk: Runner, kind: str
) -> None:
    from evidence_kit.verify.reportcheck import active_content

    _page, text = _report_page(evk, case)
    assert active_content(text.encode("utf-8")) == []  # evkit's own page passes
    changed = SCRIPT_PAGE_EDITS[kind](text)
    data = changed.encode("utf-16") if kind == "not-utf8" else changed.encode("utf-8")
    assert kind == "not-utf8" or changed != text
    assert active_content(data), kind


def _resign_with_active_report(case: Case, signer: Signer, evk: Runner) -> None:
    """What someone with their own key can do: put a script in the report, then sign."""
    page, text = _report_page(evk, case)
    page.chmod(0o644)
    page.write_text(text.replace("</h1>", "</h1><script>document.title='pwned'</script>", 1))
    with case.session(signer, "report") as sess:  # the change is recorded and sealed
        sess.log("note", {"text": "report edited"})


def test_defect_9_signed_package_with_a_script_in_its_report_does_not_verify(
    case: Case, signer: Signer, tmp_path: Path, evk: Runner
) -> None:
    _resign_with_active_report(case, signer, evk)
    code, text = evk("verify", "--json", case.root)
    codes = [f["code"] for f in json.loads(text)["findings"]]
    assert code == 1 and codes == ["report.active"], text
    out = tmp_path / "out"
    out.mkdir()
    code, text = evk("-C", case.root, "export", "--to", out / "p.zip", "--recipient", RECIPIENT)
    assert code == 1 and "will not hand it over" in text, text  # evkit refuses to send it

    # Someone else's tool made the package anyway: build it from the signed state.
    from evidence_kit.handover.export import build_zip

    with case.session(signer, "export") as sess:
        sess.log(
            "transfer",
            {
                "export": "X0001",
                "recipient": RECIPIENT,
                "package": "p.zip",
                "included": sorted(case.items()),
                "withheld": [],
            },
        )
    build_zip(case.root, signer, out / "p.zip", check_case=False)
    code, text = evk("verify", "--json", out / "p.zip")
    assert code == 1, text
    found = json.loads(text)["findings"]
    assert [f["code"] for f in found] == ["report.active"], found
    assert found[0]["path"] == "evkit/report/index.html"
    assert "script" in found[0]["message"]
    code, text = evk("verify", out / "p.zip")
    assert code == 1 and "CHANGED" in text.upper(), text
    # evkit import refuses to put the page where someone may open it.
    code, text = evk("import", out / "p.zip", tmp_path / "unpacked")
    assert code == 1 and "not unpacked" in text and "index.html" in text, text
    assert not (tmp_path / "unpacked").exists()


@pytest.mark.parametrize(
    "entries",
    [{"a.txt": b"hi"}, {"one/a.txt": b"1", "two/b.txt": b"2"}, {}],
    ids=["loose file", "two folders", "empty zip"],
)
def test_a_zip_that_is_not_a_package_could_not_be_checked(
    tmp_path: Path, evkit: Callable[..., Run], entries: dict[str, bytes]
) -> None:
    """Verify never says "changed" about something it never checked: a zip evkit did not make
    (no case folder) is exit 3, also with --json, where the answer is on stdout."""
    z = tmp_path / "holiday photos.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    plain = evkit("verify", str(z))
    assert plain.exit_code == 3, plain
    assert "not an evkit handover package" in plain.stderr
    as_json = evkit("verify", "--json", str(z))
    assert as_json.exit_code == 3
    doc = json.loads(as_json.stdout)
    assert doc["result"] == "not-verified"
    assert [f["code"] for f in doc["findings"]] == ["package.unreadable"]
