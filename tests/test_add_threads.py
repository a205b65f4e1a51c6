"""A few large files are copied two at a time on threads: same records, same bytes, and an
interruption in the middle still leaves a case that recovers and verifies."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from evidence_kit.ingest import add as ingest
from evidence_kit.ingest.add import add_files
from evidence_kit.store.case import Case
from evidence_kit.store.signing import Signer
from evidence_kit.verify.checks import FolderSource, verify_source

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def _records(case: Case) -> dict[str, tuple[str, str, int]]:
    return {it.name: (it.mime, it.sha256, it.size) for it in case.items().values()}


def test_threaded_copies_match_the_inline_ones(
    make_case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    (src / "video.bin").write_bytes(os.urandom(9 << 20))  # several early-writeback steps
    monkeypatch.setattr(ingest, "FORK_WORKERS", False)  # this process: inline, then threads
    inline = make_case("inline")
    monkeypatch.setattr(ingest, "THREADED_MIN_BYTES", 1 << 62)
    add_files(inline, signer, [str(src)])
    threaded = make_case("threaded")
    monkeypatch.setattr(ingest, "THREADED_MIN_BYTES", 0)
    report = add_files(threaded, signer, [str(src)])
    assert not report.problems
    assert _records(threaded) == _records(inline)  # same types (libmagic shared safely) too
    for item in threaded.items().values():
        if item.parent is None:
            original = src / item.name
            assert (threaded.root / item.stored).read_bytes() == original.read_bytes()
    assert verify_source(FolderSource(threaded.root)).intact


@pytest.mark.parametrize("forked", [False, True], ids=["threads", "workers"])
def test_interrupted_add_of_large_files_recovers(
    forked: bool, make_case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if forked and not ingest._can_fork_workers():
        pytest.skip("copy workers are forked on Linux")
    src = tmp_path / "big"
    src.mkdir()
    for i in range(4):
        (src / f"video-{i}.bin").write_bytes(os.urandom(20 << 20))
    monkeypatch.setattr(ingest, "FORK_WORKERS", forked)
    monkeypatch.setattr(ingest, "THREADED_MIN_BYTES", 0)
    case = make_case()

    def stop(_size: int, _name: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        add_files(case, signer, [str(src)], progress=stop)
    reopened = Case.open(case.root)
    assert reopened.recover_if_needed(signer) is None  # the interrupted command recovered
    last = reopened.read_log().events[-1]
    assert last["action"] == "recover" and last["data"]["not_added"]
    assert verify_source(FolderSource(case.root)).intact
    assert not list(case.root.rglob("*.part"))
    for item in reopened.items().values():
        assert (case.root / item.stored).read_bytes() == (src / item.name).read_bytes()
    assert add_files(reopened, signer, [str(src)]).problems == []  # the rest can be added
    assert len(Case.open(case.root).items()) == 4


def _what_was_learned(case: Case) -> list[tuple[object, ...]]:
    """Each item as the readers saw it, in ID order (not when or from where it was copied)."""
    return [
        (it.id, it.name, it.mime, it.sha256, it.size, it.parent, it.extraction)
        for it in case.items().values()
    ]


@pytest.mark.skipif(not ingest._can_fork_workers(), reason="copy workers are forked on Linux")
@pytest.mark.parametrize("extra", [0, 40], ids=["few", "many"])
def test_forked_copies_match_the_inline_ones(
    extra: int, make_case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files read in copy workers, embedded files (e-mail attachments) included, give the same
    items, types and extractions as files read in this process."""
    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    if CORPUS.is_dir():  # third-party e-mails with attachments and nested messages
        shutil.copytree(CORPUS / "email", src / "email")
    for i in range(extra):
        (src / f"note-{i:02d}.txt").write_text(f"note {i}\n" * (i + 1))
    monkeypatch.setattr(ingest, "FORK_WORKERS", False)
    inline = make_case("inline")
    add_files(inline, signer, [str(src)])
    monkeypatch.setattr(ingest, "FORK_WORKERS", True)
    forked = make_case("forked")
    report = add_files(forked, signer, [str(src)])
    assert report.problems == add_files(make_case("again"), signer, [str(src)]).problems
    assert any(it.parent for it in forked.items().values())  # embedded files were read
    assert _what_was_learned(forked) == _what_was_learned(inline)
    assert verify_source(FolderSource(forked.root)).intact


@pytest.mark.skipif(not ingest._can_fork_workers(), reason="copy workers are forked on Linux")
def test_a_reader_that_crashes_on_one_file_costs_only_that_file(
    make_case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crafted file that crashes a C library in a copy worker: that file is reported and not
    added, the others are, and the case verifies. (A process pool would wait forever.)"""
    import faulthandler
    import signal

    src = tmp_path / "src"
    src.mkdir()
    for i in range(60):
        (src / f"shot-{i:02d}.bin").write_bytes(os.urandom(500 + i))
    real = ingest._analyse

    def crashes_on_two(part, head, name, scratch, extract, *source):  # type: ignore[no-untyped-def]
        if name in ("shot-17.bin", "shot-18.bin"):  # two in a row: one worker, then its heir
            faulthandler.disable()  # pytest's: no dump from the worker
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(part, head, name, scratch, extract, *source)

    monkeypatch.setattr(ingest, "_analyse", crashes_on_two)  # inherited by forked workers
    case = make_case()
    report = add_files(case, signer, [str(src)])
    assert sorted(os.path.basename(p.path) for p in report.failures) == [
        "shot-17.bin",
        "shot-18.bin",
    ]
    assert all("stopped while reading it" in p.message for p in report.failures)
    assert len(report.added) == 58
    assert verify_source(FolderSource(case.root)).intact
    assert not list((case.root / "evkit" / "txn").glob("*/*.part"))  # nothing left staged
    try:
        os.waitpid(-1, os.WNOHANG)
        raise AssertionError("a copy worker was left behind")
    except ChildProcessError:
        pass


@pytest.mark.skipif(not ingest._can_fork_workers(), reason="copy workers are forked on Linux")
def test_a_reader_crashing_on_an_attachment_costs_only_its_message(
    make_case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small add too: the e-mail whose attachment crashes a reader is named; the other
    sample files are added."""
    import faulthandler
    import signal

    real = ingest._analyse

    def crashes_on_the_invoice(part, head, name, scratch, extract, *source):  # type: ignore[no-untyped-def]
        if name == "invoice.pdf":
            faulthandler.disable()
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(part, head, name, scratch, extract, *source)

    monkeypatch.setattr(ingest, "_analyse", crashes_on_the_invoice)
    case = make_case()
    report = add_files(case, signer, [str(SAMPLES)])
    assert [os.path.basename(p.path) for p in report.failures] == ["scam-email.eml"]
    assert sorted(it.name for it in case.items().values()) == sorted(
        p.name for p in SAMPLES.iterdir() if p.name != "scam-email.eml"
    )
    assert verify_source(FolderSource(case.root)).intact
