"""Issue 12 "Trust under stress": regression tests named after the defects they pin down."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import bagit
import pytest

from evidence_kit.cli import util as cliutil

REPO = Path(__file__).resolve().parents[1]


def init_case(evkit, tmp_path: Path, title: str = "Romance scam 2026", name: str = "case") -> Path:
    r = evkit(
        "init",
        str(tmp_path / name),
        "--title",
        title,
        "--collector",
        "Jane Doe",
        "--timezone",
        "Europe/London",
    )
    assert r.exit_code == 0, r.output
    return tmp_path / name


def records(case: Path) -> list[dict]:
    """The item records (items.jsonl also holds the records of duplicates)."""
    lines = (case / "evkit" / "items.jsonl").read_bytes().splitlines()
    return [r for r in map(json.loads, lines) if r["type"] == "evkit/item/v1"]


# ---- defect 2: a file name that is not UTF-8 -------------------------------------------------
NOT_UTF8 = b"caf\xe9.txt"  # Latin-1, as old USB sticks and zip files give them
NOT_UTF8_DUP = b"copie \xff.txt"


@pytest.mark.skipif(
    sys.platform in ("win32", "darwin"),
    reason="needs a file system that stores names as arbitrary bytes",
)
def test_defect_2_non_utf8_name_is_added_and_kept_losslessly(evkit, tmp_path: Path) -> None:
    src = tmp_path / "stick"
    src.mkdir()
    (src / "a-good.txt").write_text("a good file\n")
    odd = os.path.join(os.fsencode(src), NOT_UTF8)
    with open(odd, "wb") as f:
        f.write(b"bytes of a file with a Latin-1 name\n")
    with open(os.path.join(os.fsencode(src), NOT_UTF8_DUP), "wb") as f:
        f.write(b"a good file\n")  # identical to a-good.txt: logged as a duplicate
    case = init_case(evkit, tmp_path)

    r = evkit("add", str(src), cwd=case)
    assert r.exit_code == 0, r.output
    assert "internal error" not in r.output
    assert "Added 2 item(s)" in r.stdout
    assert "Already in the case: " + str(src) + "/copie \\xff.txt is identical" in r.stdout

    # The record: text for people (U+FFFD) and the exact bytes, losslessly.
    (rec,) = [x for x in records(case) if x["original"].get("name_hex")]
    assert rec["original"]["name"] == "caf\ufffd.txt"
    assert bytes.fromhex(rec["original"]["name_hex"]) == NOT_UTF8
    assert bytes.fromhex(rec["original"]["path_hex"]) == odd
    assert rec["original"]["path"] == os.fsencode(src).decode() + "/caf\ufffd.txt"
    assert rec["stored"].startswith("data/E000") and rec["stored"].isascii()
    good = [x for x in records(case) if x["original"]["name"] == "a-good.txt"]
    assert good and "name_hex" not in good[0]["original"]
    # The duplicate's record, bound by the signed log, keeps its exact bytes too.
    events = json.loads(evkit("log", "--json", cwd=case).stdout)
    (dup,) = events[-1]["data"]["duplicates"]
    assert dup["name"] == "copie \ufffd.txt"
    assert bytes.fromhex(dup["name_hex"]) == NOT_UTF8_DUP
    assert bytes.fromhex(dup["path_hex"]) == os.path.join(os.fsencode(src), NOT_UTF8_DUP)

    r = evkit("verify", cwd=case)
    assert r.exit_code == 0, r.output
    # Shown escaped, from the exact bytes, wherever a terminal shows it.
    listing = evkit("list", cwd=case)
    assert listing.exit_code == 0 and "caf\\xe9.txt" in listing.stdout
    shown = evkit("show", rec["id"], "--full", cwd=case)
    assert shown.exit_code == 0
    assert f"{rec['id']}  caf\\xe9.txt" in shown.stdout
    assert "/stick/caf\\xe9.txt" in shown.stdout
    assert evkit("log", cwd=case).exit_code == 0
    assert json.loads(evkit("list", "--json", cwd=case).stdout)

    r = evkit("report", cwd=case)
    assert r.exit_code == 0, r.output
    report = case / "evkit" / "report"
    assert "caf\ufffd.txt" in (report / "items.csv").read_text(encoding="utf-8-sig")
    assert "caf\ufffd.txt" in (report / "index.html").read_text(encoding="utf-8")
    assert (report / "custody-form.pdf").stat().st_size > 0

    zip_path = tmp_path / "handover.zip"
    r = evkit("export", "--to", str(zip_path), "--recipient", "DC Sam Patel", cwd=case)
    assert r.exit_code == 0, r.output
    assert evkit("verify", str(zip_path)).exit_code == 0

    bagit.Bag(str(case)).validate()
    if shutil.which("sha256sum"):
        for manifest in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
            subprocess.run(
                ["sha256sum", "--strict", "-c", manifest], cwd=case, check=True, capture_output=True
            )
    assert evkit("verify", cwd=case).exit_code == 0


# ---- defect 8: recorded text must not drive the terminal --------------------------------------
HOSTILE = "T\x1b]0;PWNED\x07\r\nResult: INTACT\u202egnp.exe"
BIDI = "Call from \u202egnp.exe"  # notes refuse control characters, not this


def assert_inert(text: str, where: str) -> None:
    """Nothing in ``text`` drives a terminal or disguises itself; no forged result line."""
    for ch in text:
        if ch == "\n":
            continue
        assert unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp", "Cs"), (where, repr(ch))
    forged = [
        ln for ln in text.splitlines() if ln.startswith("Result: INTACT") and "All " not in ln
    ]
    assert not forged, (where, forged)


def test_defect_8_printable_shows_every_dangerous_character() -> None:
    p = cliutil.printable
    assert p(HOSTILE) == "T\\x1b]0;PWNED\\x07\\r\\nResult: INTACT\\u202egnp.exe"
    assert p("a\tb\x7f\x9b\u2028\u2066\u200b") == "a\\tb\\x7f\\x9b\\u2028\\u2066\\u200b"
    assert p("caf\udce9.txt") == "caf\\xe9.txt"  # an undecodable byte of a file name
    kept = "Überweisung – März 😀 スクリーンショット a\u00a0b"
    assert p(kept) == kept
    assert p(p(HOSTILE)) == p(HOSTILE)


@pytest.mark.skipif(sys.platform == "win32", reason="needs control characters in file names")
def test_defect_8_recorded_text_is_shown_escaped_in_every_command(evkit, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    evil = src / ("photo\x1b[2J\x07\r\n\u202egnp.exe")
    evil.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    r = evkit(
        "init",
        str(tmp_path / "case"),
        "--title",
        HOSTILE,
        "--collector",
        HOSTILE,
        "--timezone",
        "Europe/London",
    )
    assert r.exit_code == 0, r.output
    assert_inert(r.output, "init")
    case = tmp_path / "case"
    outputs = {
        "add": evkit(
            "add",
            str(evil),
            str(src / "gone\x1b[31m\u202e.txt"),
            "--note",
            HOSTILE,
            "--source",
            HOSTILE,
            cwd=case,
        ),
        "note": evkit("note", BIDI, "--item", "E0001", cwd=case),
    }
    assert outputs["note"].exit_code == 0, outputs["note"].output
    assert outputs["add"].exit_code == 2, outputs["add"].output  # one file does not exist
    assert "gone\\x1b[31m\\u202e.txt" in outputs["add"].stderr
    zip_path = tmp_path / "out.zip"
    for name, args in {
        "verify": ["verify"],
        "list": ["list"],
        "show": ["show", "E0001"],
        "log": ["log"],
        "notes": ["note", "--list"],
        "timeline": ["timeline"],
        "identifiers": ["identifiers"],
        "ref": ["ref", "add", "--agency", HOSTILE, "--number", HOSTILE],
        "refs": ["ref", "list"],
        "suspect": ["suspect", "add", "--name", HOSTILE],
        "suspects": ["suspect", "list"],
        "export": ["export", "--to", str(zip_path), "--recipient", HOSTILE],
        "exports": ["exports"],
        "verify-zip": ["verify", str(zip_path)],
        "error": ["show", "E0001\x1b]0;X\x07"],
        "usage": ["list", "--\x1b[2J\u202e"],
    }.items():
        outputs[name] = evkit(*args, cwd=case)
    codes = {name: r.exit_code for name, r in outputs.items()}
    assert codes == dict.fromkeys(outputs, 0) | {
        "add": 2,
        "error": 2,
        "usage": 2,
        "ref": 2,
        "suspect": 2,
    }, codes
    for name, r in outputs.items():
        assert_inert(r.stdout, name)
        assert_inert(r.stderr, name)
    assert "T\\x1b]0;PWNED\\x07\\r\\nResult: INTACT\\u202egnp.exe" in outputs["verify"].stdout
    assert "photo\\x1b[2J\\x07\\r\\n\\u202egnp.exe" in outputs["list"].stdout
    assert "Result: INTACT. All 1 evidence file(s)" in outputs["verify"].stdout

    # --json stays valid JSON and carries the text exactly (escaping is JSON's job there:
    # \u escapes, also for what JSON may leave raw, such as U+202E).
    as_json = {
        name: evkit(*args, "--json", cwd=case).stdout
        for name, args in {
            "list": ["list"],
            "show": ["show", "E0001"],
            "log": ["log"],
            "verify": ["verify"],
            "notes": ["note", "--list"],
            "timeline": ["timeline"],
            "exports": ["exports"],
        }.items()
    }
    for name, text in as_json.items():
        assert_inert(text, name + " --json")
    assert json.loads(as_json["list"])[0]["original"]["name"] == evil.name
    assert json.loads(as_json["show"])["acquired"]["note"] == HOSTILE
    assert json.loads(as_json["verify"])["result"] == "intact"
    assert json.loads(as_json["log"])[0]["data"]["title"] == HOSTILE
    assert BIDI in json.dumps(json.loads(as_json["notes"]), ensure_ascii=False)
    assert "\\u202e" in as_json["notes"]
    assert json.loads(as_json["timeline"]) and json.loads(as_json["exports"])

    # A foreign case.json (a package from someone else) is shown escaped too.
    info = case / "evkit" / "case.json"
    info.write_bytes(info.read_bytes().replace(b'"title":"T', b'"title":"\\u001b[8mT'))
    r = evkit("verify", cwd=case)
    assert r.exit_code == 1
    assert_inert(r.output, "verify foreign")
    assert "Result: CHANGED" in r.stdout


# ---- defect 11: a dragged path that fails is never missed -------------------------------------
def _last_line(text: str) -> str:
    return text.rstrip("\n").rsplit("\n", 1)[-1]


def test_defect_11_a_missing_path_among_others_is_the_last_line_and_not_exit_0(
    evkit, tmp_path: Path, evidence: Path
) -> None:
    case = init_case(evkit, tmp_path)
    gone = tmp_path / "Jane's Desktop" / "x.png"
    r = evkit("add", str(evidence / "note.txt"), gone.as_uri().replace("%27", "'"), cwd=case)
    assert r.exit_code == 2, r.output  # the table: 2 = a path that does not exist
    assert "Added 1 item(s)" in r.stdout
    assert _last_line(r.stderr) == (
        f"1 file was NOT added: {gone} does not exist (check the "
        "name, or drag the file into the terminal again)."
    )


def test_defect_11_stdin_failures_are_counted(evkit, tmp_path: Path, evidence: Path) -> None:
    case = init_case(evkit, tmp_path)
    lines = f"{evidence / 'note.txt'}\n{tmp_path / 'a.png'}\nfile://{tmp_path}/Jane's%20b.png\n"
    r = evkit("add", "-", input=lines, cwd=case)
    assert r.exit_code == 2, r.output
    assert f"not added: {tmp_path}/Jane's b.png does not exist" in r.stderr
    assert (
        _last_line(r.stderr) == "2 files were NOT added (listed above). The other files were added."
    )


def test_defect_11_a_piped_nul_is_a_file_not_added_not_a_crash(
    evkit, tmp_path: Path, evidence: Path
) -> None:
    case = init_case(evkit, tmp_path)
    r = evkit("add", "-", input=f"/tmp/a\x00b\n{evidence / 'note.txt'}\n", cwd=case)
    assert r.exit_code == 3, r.output
    assert "internal error" not in r.output and "Added 1 item(s)" in r.stdout
    assert _last_line(r.stderr) == (
        "1 file was NOT added: /tmp/a\\x00b is not a possible file "
        "name (it contains a NUL character)."
    )


def test_defect_11_drag_prompt_accepts_uris_and_reports_lines_it_cannot_read(
    evkit, tmp_path: Path, evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = init_case(evkit, tmp_path)
    desk = tmp_path / "Jane's Desktop"
    desk.mkdir()
    (desk / "x y.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    typed = evidence / "Mark's photo.jpg"  # typed by hand, apostrophe unescaped: it exists
    typed.write_bytes(b"\xff\xd8\xff" + bytes(64))
    # The apostrophe left literal, as RFC 8089 allows.
    uri = "file://" + str(desk).replace(" ", "%20") + "/x%20y.png"
    monkeypatch.setattr(cliutil, "tty_in", lambda: True)
    pasted = f"{uri} '{evidence / 'note.txt'}'\n{typed}\n'{tmp_path}/never closed.png\n\n"
    r = evkit("add", input=pasted, cwd=case)
    assert r.exit_code == 3, r.output  # a line that could not be read: could not complete
    assert "a quote is not closed" not in r.output
    assert "Added 3 item(s)" in r.stdout
    names = {x["original"]["name"] for x in records(case)}
    assert names == {"x y.png", "note.txt", "Mark's photo.jpg"}
    assert _last_line(r.stderr).startswith(
        f"1 file was NOT added: '{tmp_path}/never closed.png "
        "could not be read as the name of a file"
    )


def test_defect_11_drag_prompt_with_only_an_unreadable_line(
    evkit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = init_case(evkit, tmp_path)
    monkeypatch.setattr(cliutil, "tty_in", lambda: True)
    r = evkit("add", input="'/nowhere/x.png\n\n", cwd=case)
    assert r.exit_code == 3, r.output
    assert _last_line(r.stderr).startswith("1 file was NOT added: '/nowhere/x.png")


def test_defect_11_last_line_of_the_real_terminal_output(tmp_path: Path, evidence: Path) -> None:
    env = dict(
        os.environ, EVKIT_HOME=str(tmp_path / "home"), EVKIT_PASSPHRASE="", PYTHONPATH=str(REPO)
    )

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "evidence_kit", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )

    assert run("init", "case", "--title", "T", "--collector", "J", cwd=tmp_path).returncode == 0
    r = run("add", str(evidence), str(tmp_path / "missing.png"), cwd=tmp_path / "case")
    assert r.returncode == 2, r.stdout
    assert "Added 3 item(s)" in r.stdout
    assert _last_line(r.stdout).startswith("1 file was NOT added: "), r.stdout


@pytest.mark.skipif(
    sys.platform in ("win32", "darwin"),
    reason="needs a file system that stores names as arbitrary bytes",
)
def test_defect_2_interrupted_add_names_a_non_utf8_file_it_did_not_add(
    make_case, signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_kit.ingest import add as ingest
    from evidence_kit.verify.checks import FolderSource, verify_source

    src = tmp_path / "stick"
    src.mkdir()
    (src / "a.txt").write_text("first\n")
    with open(os.path.join(os.fsencode(src), NOT_UTF8), "wb") as f:
        f.write(b"second\n")
    case = make_case()
    real_register = ingest._register

    def register(*args, **kwargs):  # Ctrl-C just as the non-UTF-8 file is being recorded
        if "\ufffd" in args[5]:
            raise KeyboardInterrupt
        return real_register(*args, **kwargs)

    monkeypatch.setattr(ingest, "_register", register)
    with pytest.raises(KeyboardInterrupt):
        ingest.add_files(case, signer, [str(src)])
    event = case.read_log().events[-1]
    assert event["action"] == "recover"
    # Nothing was committed yet (one batch): both are named, the odd one as text.
    top = os.fsencode(src).decode()
    assert event["data"]["not_added"] == [top + "/a.txt", top + "/caf\ufffd.txt"]
    assert verify_source(FolderSource(case.root)).intact


# ---- a report stopped before its event (found by the stress kills) ---------------------------
def test_report_stopped_before_its_event_leaves_the_earlier_report(
    evkit, tmp_path: Path, evidence: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Report files are staged in the transaction and moved in with the signed event, so a
    report stopped before it is logged changes no file of the case (it used to leave new,
    unlogged report files that the recovery then sealed)."""
    from evidence_kit.store.case import Session

    case = init_case(evkit, tmp_path)
    assert evkit("add", str(evidence / "note.txt"), cwd=case).exit_code == 0
    assert evkit("report", cwd=case).exit_code == 0
    before = {p.name: p.read_bytes() for p in (case / "evkit/report").iterdir()}
    assert evkit("add", str(evidence / "photo.jpg"), cwd=case).exit_code == 0
    real_commit = Session.commit

    def stopped(self, action, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        if action == "report":
            raise KeyboardInterrupt
        return real_commit(self, action, data, *args, **kwargs)

    monkeypatch.setattr(Session, "commit", stopped)
    assert evkit("report", cwd=case).exit_code == 3
    monkeypatch.setattr(Session, "commit", real_commit)
    after = {p.name: p.read_bytes() for p in (case / "evkit/report").iterdir()}
    assert after == before
    actions = [e["action"] for e in json.loads(evkit("log", "--json", cwd=case).stdout)]
    assert actions.count("report") == 1 and actions[-1] == "recover"
    assert evkit("verify", cwd=case).exit_code == 0
    assert not list((case / "evkit" / "txn").glob("*/*.file"))


def test_interrupted_add_names_every_file_it_did_not_add(
    evkit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recover event lists every source that was not added, not only the copies in
    progress when the add stopped (found by a tester: a full disk logged 0 of 500)."""
    from evidence_kit.ingest import add as ingest

    case = init_case(evkit, tmp_path)
    src = tmp_path / "many"
    src.mkdir()
    for n in range(12):
        (src / f"f{n:02d}.txt").write_text(f"file {n}\n")
    real = ingest._register
    calls = []

    def stop_at_third(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "_register", stop_at_third)
    assert evkit("add", str(src), cwd=case).exit_code == 3
    monkeypatch.setattr(ingest, "_register", real)
    (event,) = [
        e for e in json.loads(evkit("log", "--json", cwd=case).stdout) if e["action"] == "recover"
    ]
    assert sorted(event["data"]["not_added"]) == sorted(str(p) for p in src.iterdir())
    r = evkit("add", str(src), cwd=case)
    assert r.exit_code == 0 and "Added 12 item(s)" in r.stdout, r.output


def test_defect_8_files_people_read_in_a_terminal_carry_no_raw_control_characters(
    evkit, tmp_path: Path, evidence: Path
) -> None:
    """VERIFY.txt and the receipt are read with `cat`; the PDF form is printed: a hostile
    title or collector name drives no terminal there and starts no line of its own (found by
    a tester after the first fix, which covered evkit's own output)."""
    import zipfile

    case = init_case(evkit, tmp_path, title=HOSTILE)
    assert evkit("add", str(evidence / "note.txt"), cwd=case).exit_code == 0
    assert evkit("report", cwd=case).exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    r = evkit("export", "--to", str(out / "h.zip"), "--recipient", "DC\x1b[2J Sam", cwd=case)
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out / "h.zip") as zf:
        (name,) = [n for n in zf.namelist() if n.endswith("/VERIFY.txt")]
        verify_txt = zf.read(name).decode("utf-8")
    receipt = (out / "h.receipt.txt").read_text("utf-8")
    for text in (verify_txt, receipt):
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text
        assert not any(line.lstrip().startswith("Result:") for line in text.splitlines())
        assert "\\x1b" in text
    if shutil.which("pdftotext"):
        pdf = subprocess.run(
            ["pdftotext", str(case / "evkit/report/custody-form.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert not any(line.startswith("Result: INTACT") for line in pdf.splitlines())
