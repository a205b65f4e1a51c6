"""Shared fixtures: an isolated key store, a fresh signer, case builders, the shared corpus."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidence_kit.store.case import Case, create_case
from evidence_kit.store.signing import Signer, create_key, load_signer

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SAMPLES = REPO / "samples"


def corpus_or_skip() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available: ../shared/corpus (third-party test data)")
    return CORPUS


@pytest.fixture
def key_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("keyhome")
    monkeypatch.setenv("EVKIT_HOME", str(home))
    monkeypatch.delenv("EVKIT_PASSPHRASE", raising=False)
    return home


@pytest.fixture
def signer(key_home: Path) -> Signer:
    create_key(None, key_home)
    return load_signer(None, key_home)


CaseFactory = Callable[..., Case]


@pytest.fixture
def make_case(tmp_path: Path, signer: Signer) -> CaseFactory:
    counter = iter(range(1000))

    def factory(name: str | None = None, **info: object) -> Case:
        root = tmp_path / (name or f"case{next(counter)}")
        base: dict[str, object] = {
            "title": "Test case",
            "collector": {"name": "Jane Doe", "email": "jane@example.org"},
            "timezone": "Europe/London",
            "references": [],
        }
        base.update(info)
        return create_case(root, base, signer)

    return factory


@dataclass
class Run:
    """What a user would see: the exit code and the two output streams."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def evkit(key_home: Path) -> Callable[..., Run]:
    """Run the CLI in-process through the real entry point (errors mapped to exit codes)."""
    from evidence_kit.cli import run as cli_run

    runner = CliRunner()

    def run(*args: str, input: str | None = None, cwd: Path | None = None) -> Run:
        old = Path.cwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            with runner.isolation(input=input) as streams:
                code = cli_run(list(args))
                out, err = streams[0].getvalue(), streams[1].getvalue()
        finally:
            os.chdir(old)
        return Run(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))

    return run


@pytest.fixture
def evidence(tmp_path: Path) -> Iterator[Path]:
    """A folder of small evidence files made by the test."""
    d = tmp_path / "evidence"
    d.mkdir()
    (d / "note.txt").write_text("The caller said he was from the bank.\n")
    (d / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)
    (d / "chat export.txt").write_text("[20/11/2026, 09:14] Mark: send the money\n")
    yield d


#: ``evk(*args)`` -> (exit code, stdout + stderr): the CLI through ``cli.run``.
Runner = Callable[..., tuple[int, str]]


@pytest.fixture
def evk(capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run the CLI through cli.run (domain errors -> exit codes); return (code, all output)."""
    from evidence_kit.cli import run as cli_run

    def go(*args: object) -> tuple[int, str]:
        capsys.readouterr()
        code = cli_run([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out + out.err

    return go


def no_children_left() -> bool:
    """True if this process has no child process left (no worker leaked or left unreaped)."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False
