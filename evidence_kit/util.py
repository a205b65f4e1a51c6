"""Tiny helpers shared by the core and the command line (standard library only: start-up cost)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def human_size(n: int) -> str:
    """``16008`` -> ``16.0 KB`` (decimal units, as file managers show them)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"


def optional_module(name: str) -> ModuleType | None:
    """Import one of evkit's own optional modules; None if it is not part of this build.

    A module that exists but fails to import because *its* dependency is missing is a packaging
    bug, so that error propagates.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def hostname() -> str:
    """This computer's network name, as ``socket.gethostname()`` gives it (``uname`` on POSIX:
    the same value, without importing ``socket`` on every command)."""
    uname = getattr(os, "uname", None)
    if uname is not None:
        return str(uname().nodename)
    import socket

    return socket.gethostname()
