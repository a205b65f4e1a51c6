"""The application layer on its own, as a face other than the command line would use it:
plain inputs and callbacks in, frozen results out; nothing printed, no click."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from evidence_kit.app import case as app_case
from evidence_kit.app import evidence as app_evidence
from evidence_kit.app import handover as app_handover
from evidence_kit.app import story as app_story
from evidence_kit.app import verify as app_verify
from evidence_kit.errors import EvkitError, PathNotFoundError, UsageError
from evidence_kit.store.signing import Signer

REPO = Path(__file__).resolve().parents[1]


def test_the_app_layer_imports_neither_click_nor_the_core_at_start_up() -> None:
    code = (
        "import sys\n"
        "import evidence_kit.app.case, evidence_kit.app.evidence, evidence_kit.app.verify\n"
        "import evidence_kit.app.story, evidence_kit.app.handover\n"
        "import evidence_kit.app.timestamp\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in "
        "('click', 'cryptography', 'rfc3161_client', 'PIL', 'fpdf')\n"
        "          or m in ('evidence_kit.store.case', 'evidence_kit.ingest.add',"
        " 'evidence_kit.verify.checks', 'evidence_kit.handover.export',"
        " 'evidence_kit.store.signing', 'evidence_kit.cli')]\n"
        "print(loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO)},
    ).stdout
    assert out.strip() == "[]"


def test_a_case_from_start_to_handover_without_the_command_line(
    key_home: Path, tmp_path: Path, evidence: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_keys: list[app_case.NewKey] = []
    details = app_case.CaseDetails(
        "Romance scam",
        "Jane Doe",
        email="jane@example.org",
        references=(("Action Fraud", "NFRC1"),),
        timezone="Europe/London",
    )
    made = app_case.init_case(
        tmp_path / "case",
        details,
        ask_passphrase=lambda _p: None,
        new_passphrase=lambda: None,
        on_new_key=new_keys.append,
    )
    assert made.root.resolve() == (tmp_path / "case").resolve()
    assert [k.key_id for k in new_keys] == [made.key_id]
    assert app_case.show_key().key_id == made.key_id

    calls = {"signer": 0}

    def get_signer() -> Signer:
        from evidence_kit.store.signing import load_signer

        calls["signer"] += 1
        return load_signer(None)

    recovered: list[str] = []
    common = {"get_signer": get_signer, "on_recover": recovered.append}
    start = tmp_path / "case"
    added = app_evidence.add_files(
        start,
        lambda: ([str(evidence)], []),
        app_evidence.AddOptions(note="from the phone"),
        **common,
    )
    assert len(added.added) == 3 and not added.failures and added.anything_added
    with pytest.raises(dataclasses.FrozenInstanceError):
        added.skipped_system = 1  # type: ignore[misc]
    items = app_evidence.list_items(start, **common)
    assert [i.id for i in items] == [i.id for i in added.added]
    assert app_evidence.show_item(start, "e1", **common).id == items[0].id

    seq = app_story.add_note(
        start, "He called at 14:05", at="2026-11-20 14:05", item_ids=(), correct=None, **common
    )
    assert [e.seq for e in app_story.list_notes(start, **common)] == [seq]
    refs = app_story.list_references(start, **common)
    assert [(r["agency"], r["number"]) for r in refs] == [("Action Fraud", "NFRC1")]

    rep = app_verify.verify(None, start, expected_key=None, record=False, **common)
    assert rep.intact and rep.exit_code == 0

    done = app_handover.export(
        start, app_handover.Handover(recipient="DC Sam Patel", dest=tmp_path / "out.zip"), **common
    )
    assert done.package.path == tmp_path / "out.zip"
    zipped = app_verify.verify(
        str(tmp_path / "out.zip"), start, expected_key=None, record=False, **common
    )
    assert zipped.intact
    summaries = app_handover.list_exports(start, **common)
    assert [s.transfer.export_id for s in summaries] == [done.package.export_id]
    imported = app_handover.import_package(
        str(tmp_path / "out.zip"), str(tmp_path / "copy"), expected_key=None
    )
    assert imported.count > 0 and imported.report.intact

    assert recovered == []
    assert calls["signer"] >= 3  # asked only when something is signed
    assert capsys.readouterr() == ("", "")  # the layer never prints


def test_errors_are_the_evkit_exceptions(key_home: Path, tmp_path: Path) -> None:
    common = {"get_signer": lambda: pytest.fail("nothing to sign"), "on_recover": print}
    (tmp_path / "notes.txt").write_text("not a zip")
    with pytest.raises(UsageError, match="is a file; give a case folder"):
        app_verify.verify(
            str(tmp_path / "notes.txt"), tmp_path, expected_key=None, record=False, **common
        )
    with pytest.raises(PathNotFoundError):
        app_handover.import_package(
            str(tmp_path / "none.zip"), str(tmp_path / "x"), expected_key=None
        )
    with pytest.raises(EvkitError):
        app_evidence.list_items(tmp_path, **common)
