"""``evkit init`` on a real terminal (a pseudo-terminal, as a person would use it): it asks
for the case, the collector, the victim and what happened, and the case records the answers;
Ctrl-C at the passphrase prompt says plainly that nothing was created (issue 16)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


class Terminal:
    """``evkit ARGS`` started on a new pseudo-terminal (its controlling terminal), so prompts,
    hidden passphrase input and Ctrl-C behave as they do for a person."""

    def __init__(self, args: list[str], home: Path, cwd: Path) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("EVKIT_PASSPHRASE", "EVKIT_DEBUG", "PYTHONPATH")
        }
        env.update({"EVKIT_HOME": str(home), "PYTHONPATH": str(REPO), "TERM": "dumb", "TZ": "UTC"})
        pid, fd = pty.fork()
        if pid == 0:  # the child: evkit, with the terminal as stdin, stdout and stderr
            try:
                os.chdir(cwd)
                os.execve(sys.executable, [sys.executable, "-m", "evidence_kit", *args], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 30.0) -> str:
        """Read until ``pattern`` (a regular expression) appears; what was read up to it."""
        deadline = time.monotonic() + timeout
        while not (m := re.search(pattern, self.seen)):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} in the terminal: {self.seen[-2000:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"evkit ended before {pattern!r}: {self.seen[-2000:]!r}")
                self.seen += chunk.decode("utf-8", "replace")
        before, self.seen = self.seen[: m.end()], self.seen[m.end() :]
        return before

    def answer(self, prompt: str, text: str) -> None:
        self.expect(prompt)
        os.write(self.fd, text.encode() + b"\r")

    def finish(self, timeout: float = 30.0) -> tuple[int, str]:
        """Wait for evkit to end: its exit code and the rest of what it printed."""
        deadline = time.monotonic() + timeout
        ended: int | None = None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            chunk = b""
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child has gone and closed its end
                    chunk = b""
                self.seen += chunk.decode("utf-8", "replace")
            if ended is None:
                done, status = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    ended = os.waitstatus_to_exitcode(status)
            if ended is not None and not chunk:  # ended, and all it wrote was read
                os.close(self.fd)
                return ended, self.seen
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError(f"evkit did not end: {self.seen[-2000:]!r}")


def _answer_case_questions(term: Terminal) -> None:
    term.answer(r"Case title.*: ", "Romance scam 2026")
    term.answer(r"Your name.*: ", "Ana Ruiz")
    term.answer(r"Your e-mail.*: ", "ana@example.org")
    term.answer(r"collecting for someone else\?.*: ", "Maria Ruiz")
    term.answer(r"Their phone.*: ", "+1 555 0100")
    term.answer(r"What happened.*: ", "A man on a dating app asked for money for a flight")


def test_init_asks_for_the_victim_and_the_incident(tmp_path: Path) -> None:
    home = tmp_path / "home"
    term = Terminal(["init", "case"], home, tmp_path)
    _answer_case_questions(term)
    term.answer(r"Choose a passphrase.*: ", "")  # Enter: no passphrase
    term.answer(r"Repeat for confirmation: ", "")
    code, out = term.finish()
    assert code == 0, out
    assert "Created case 'Romance scam 2026'" in out
    info = json.loads((tmp_path / "case/evkit/case.json").read_text(encoding="utf-8"))
    assert info["title"] == "Romance scam 2026"
    assert info["collector"]["name"] == "Ana Ruiz"
    assert info["collector"]["email"] == "ana@example.org"
    assert info["incident"] == "A man on a dating app asked for money for a flight"
    # The victim is recorded apart from the collector, as a signed step of the case history.
    events = [
        json.loads(line)
        for line in (tmp_path / "case/evkit/custody.jsonl").read_text().splitlines()
    ]
    victim = [e for e in events if e["action"] == "person"]
    assert len(victim) == 1
    assert victim[0]["data"]["role"] == "victim"
    assert victim[0]["data"]["details"] == {"name": "Maria Ruiz", "phone": "+1 555 0100"}


def test_ctrl_c_at_the_new_passphrase_says_nothing_was_created(tmp_path: Path) -> None:
    home = tmp_path / "home"
    term = Terminal(["init", "case"], home, tmp_path)
    _answer_case_questions(term)
    term.expect(r"Choose a passphrase.*: ")
    os.write(term.fd, b"\x03")  # Ctrl-C, as the terminal sends it
    code, out = term.finish()
    assert code == 3, out
    assert "nothing was created (no case folder and no signing key)" in out
    assert "left consistent" not in out and "run the command again" not in out
    assert "evkit init case" in out  # how to start again
    assert not (tmp_path / "case").exists()
    assert not (home / "keys").exists() or not any((home / "keys").iterdir())


def test_ctrl_c_at_the_passphrase_of_an_existing_key(tmp_path: Path) -> None:
    """With a key protected by a passphrase, Ctrl-C when asked for it creates nothing either,
    and evkit does not suggest the key is gone."""
    from evidence_kit.store.signing import create_key

    home = tmp_path / "home"
    create_key("correct horse battery", home)
    term = Terminal(["init", "case", "--title", "T", "--collector", "Ana"], home, tmp_path)
    term.answer(r"Your e-mail.*: ", "")
    term.answer(r"collecting for someone else\?.*: ", "")
    term.answer(r"What happened.*: ", "")
    term.expect(r"[Pp]assphrase.*: ")
    os.write(term.fd, b"\x03")
    code, out = term.finish()
    assert code == 3, out
    assert "Stopped: nothing was created (no case folder)." in out
    assert "left consistent" not in out and "signing key" not in out
    assert not (tmp_path / "case").exists()
