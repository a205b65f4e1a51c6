"""The case spine as a new user meets it: init, add, list, show, log, key show, verify."""

from __future__ import annotations

import json
from pathlib import Path

from evidence_kit.store.case import Case


def init_case(evkit, tmp_path: Path, name: str = "romance-scam") -> Path:
    r = evkit(
        "init",
        str(tmp_path / name),
        "--title",
        "Romance scam 2026",
        "--collector",
        "Jane Doe",
        "--email",
        "jane@example.org",
        "--ref",
        "Action Fraud=NFRC261100123",
        "--timezone",
        "Europe/London",
    )
    assert r.exit_code == 0, r.output
    return tmp_path / name


def test_init_add_verify_list_show_log(evkit, tmp_path: Path, evidence: Path) -> None:
    case = init_case(evkit, tmp_path)
    r = evkit(
        "add", str(evidence), "--source", "WhatsApp export", "--note", "from my phone", cwd=case
    )
    assert r.exit_code == 0, r.output
    assert "Added 3 item(s)" in r.stdout
    r = evkit("verify", cwd=case)
    assert r.exit_code == 0, r.output
    assert "INTACT" in r.stdout
    r = evkit("list", "--json", cwd=case)
    items = json.loads(r.stdout)
    assert [i["id"] for i in items] == ["E0001", "E0002", "E0003"]
    assert {i["original"]["name"] for i in items} == {"note.txt", "photo.jpg", "chat export.txt"}
    assert all(i["acquired"]["source"] == "WhatsApp export" for i in items)
    r = evkit("show", "e2", "--json", cwd=case)
    shown = json.loads(r.stdout)
    assert shown["id"] == "E0002"
    assert shown["acquired"]["timezone"] == "Europe/London"
    assert shown["original"]["path"].startswith(str(evidence))
    r = evkit("show", "E0002", cwd=case)
    assert "SHA-256" in r.stdout and shown["sha256"] in r.stdout
    r = evkit("log", "--json", cwd=case)
    events = json.loads(r.stdout)
    assert [e["action"] for e in events] == ["case.created", "acquire"]
    assert evkit("log", cwd=case).exit_code == 0
    r = evkit("key", "show", "--json")
    assert json.loads(r.stdout)["key_id"] == Case.open(case).key_id


def test_case_found_from_subfolder_and_with_dash_c(evkit, tmp_path: Path, evidence: Path) -> None:
    case = init_case(evkit, tmp_path)
    assert evkit("add", str(evidence / "note.txt"), cwd=case / "data").exit_code == 0
    assert evkit("-C", str(case), "list").exit_code == 0
    r = evkit("list", cwd=tmp_path)
    assert r.exit_code == 2 and "not inside an evkit case" in r.stderr


def test_init_refuses_existing_case_and_non_empty_folder(evkit, tmp_path: Path) -> None:
    case = init_case(evkit, tmp_path)
    r = evkit("init", str(case), "--title", "x", "--collector", "y")
    assert r.exit_code == 2 and "already an evkit case" in r.stderr
    other = tmp_path / "stuff"
    other.mkdir()
    (other / "file.txt").write_text("x")
    r = evkit("init", str(other), "--title", "x", "--collector", "y")
    assert r.exit_code == 2 and "not empty" in r.stderr
    assert sorted(p.name for p in other.iterdir()) == ["file.txt"]


def test_init_without_terminal_needs_title_and_collector(evkit, tmp_path: Path) -> None:
    r = evkit("init", str(tmp_path / "c"))
    assert r.exit_code == 2
    assert "title and a collector" in r.stderr
    assert "Traceback" not in r.output
    assert not (tmp_path / "c").exists()


def test_init_rejects_bad_ref_and_timezone(evkit, tmp_path: Path) -> None:
    r = evkit("init", str(tmp_path / "c"), "--title", "t", "--collector", "c", "--ref", "oops")
    assert r.exit_code == 2 and "--ref" in r.stderr
    r = evkit(
        "init",
        str(tmp_path / "c"),
        "--title",
        "t",
        "--collector",
        "c",
        "--timezone",
        "Mars/Olympus",
    )
    assert r.exit_code == 2 and "time zone" in r.stderr.lower()


def test_key_store_private_key_mode_and_only_public_key_in_case(
    evkit, tmp_path: Path, key_home: Path
) -> None:
    case = init_case(evkit, tmp_path)
    priv = key_home / "keys" / "collector.key"
    assert priv.stat().st_mode & 0o777 == 0o600
    for p in case.rglob("*"):
        if p.is_file():
            assert b"PRIVATE KEY" not in p.read_bytes(), p


def test_passphrase_protected_key(evkit, tmp_path: Path, monkeypatch, evidence: Path) -> None:
    monkeypatch.setenv("EVKIT_PASSPHRASE", "correct horse")
    case = init_case(evkit, tmp_path)
    monkeypatch.setenv("EVKIT_PASSPHRASE", "wrong")
    r = evkit("add", str(evidence), cwd=case)
    assert r.exit_code == 3 and "passphrase" in r.stderr
    monkeypatch.delenv("EVKIT_PASSPHRASE")
    r = evkit("add", str(evidence), cwd=case)
    assert r.exit_code == 3 and "EVKIT_PASSPHRASE" in r.output
    monkeypatch.setenv("EVKIT_PASSPHRASE", "correct horse")
    assert evkit("add", str(evidence), cwd=case).exit_code == 0
    # Verifying needs no key at all: anyone can check.
    monkeypatch.delenv("EVKIT_PASSPHRASE")
    assert evkit("verify", cwd=case).exit_code == 0


def test_duplicates_are_not_stored_twice_and_are_logged(
    evkit, tmp_path: Path, evidence: Path
) -> None:
    case = init_case(evkit, tmp_path)
    copy = tmp_path / "copy-of-note.txt"
    copy.write_bytes((evidence / "note.txt").read_bytes())
    assert evkit("add", str(evidence / "note.txt"), cwd=case).exit_code == 0
    r = evkit("add", str(copy), cwd=case)
    assert r.exit_code == 0
    assert "identical to E0001" in r.stdout
    events = json.loads(evkit("log", "--json", cwd=case).stdout)
    dup = events[-1]["data"]["duplicates"][0]
    assert dup["same_as"] == "E0001" and dup["original_path"] == str(copy)
    assert len(json.loads(evkit("list", "--json", cwd=case).stdout)) == 1


def test_stdin_paths_and_file_uris(evkit, tmp_path: Path, evidence: Path) -> None:
    case = init_case(evkit, tmp_path)
    lines = f"{evidence / 'note.txt'}\n{(evidence / 'chat export.txt').as_uri()}\n\n"
    r = evkit("add", "-", input=lines, cwd=case)
    assert r.exit_code == 0, r.output
    assert "Added 2 item(s)" in r.stdout
    r = evkit("add", (evidence / "photo.jpg").as_uri(), cwd=case)
    assert r.exit_code == 0, r.output


def test_stdin_paths_pasted_with_escaped_spaces(evkit, tmp_path: Path, evidence: Path) -> None:
    """A path copied from a terminal (spaces escaped) and piped in names the file it meant;
    a name that really holds a backslash is still taken as written."""
    case = init_case(evkit, tmp_path)
    literal = evidence / "back\\slash.txt"
    literal.write_text("a name with a backslash in it\n")
    escaped = str(evidence / "chat export.txt").replace(" ", "\\ ")
    r = evkit("add", "-", input=f"{escaped}\n{literal}\n", cwd=case)
    assert r.exit_code == 0, r.output
    assert "Added 2 item(s)" in r.stdout
    names = {i["original"]["name"] for i in json.loads(evkit("list", "--json", cwd=case).stdout)}
    assert names == {"chat export.txt", "back\\slash.txt"}


def test_add_with_no_paths_and_no_terminal_is_a_usage_error(evkit, tmp_path: Path) -> None:
    case = init_case(evkit, tmp_path)
    r = evkit("add", cwd=case)
    assert r.exit_code == 2 and "No files given" in r.stderr


def test_every_command_has_help_and_is_in_the_readme() -> None:
    import click

    from evidence_kit.cli import cli

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    ctx = click.Context(cli)
    for name, cmd in cli.commands.items():
        assert cmd.help or cmd.short_help, name
        assert f"evkit {name}" in readme, f"README does not mention 'evkit {name}'"
    del ctx
