"""No command touches the network unless asked (only 'timestamp request --tsa URL' may)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args)[:200])
        raise OSError("network access attempted in an offline command")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_every_everyday_command_stays_offline(
    evkit: Callable[..., Any], tmp_path: Path, no_network: list[str]
) -> None:
    case = tmp_path / "case"
    steps = [
        ("init", str(case), "--title", "Offline", "--collector", "Jane"),
        ("-C", str(case), "add", str(SAMPLES)),
        ("-C", str(case), "note", "called the bank", "--at", "2026-11-20 10:00"),
        ("-C", str(case), "loss", "add", "--amount", "250.00", "--currency", "GBP"),
        ("-C", str(case), "extract", "--all"),
        ("-C", str(case), "timeline"),
        ("-C", str(case), "identifiers"),
        ("-C", str(case), "report"),
        ("-C", str(case), "timestamp", "request"),
        ("-C", str(case), "export", "--to", str(tmp_path / "h.zip"), "--recipient", "DC X"),
        ("verify", str(tmp_path / "h.zip")),
        ("-C", str(case), "verify", "--record"),
        ("-C", str(case), "list"),
        ("-C", str(case), "log"),
    ]
    for args in steps:
        r = evkit(*args)
        assert r.exit_code == 0, (args, r.output)
    assert no_network == []
