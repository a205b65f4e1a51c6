"""The case folder's layout: where evkit keeps each of its files, and how a case is found.

Kept apart from ``case.py`` (which changes cases) so that a read-only command such as
``evkit verify`` can find a case and start hashing before it imports anything heavier.
"""

from __future__ import annotations

from pathlib import Path

from evidence_kit.errors import NotACaseError
from evidence_kit.store.bag import BAGIT

EVKIT_DIR = "evkit"
CASE_JSON = "evkit/case.json"
ITEMS_PATH = "evkit/items.jsonl"
LOG_PATH = "evkit/custody.jsonl"
PUBKEY_PATH = "evkit/collector.pub.pem"
SEAL_PATH = "evkit/seal.json"
SEAL_SIG_PATH = "evkit/seal.sig"
TXN_DIR = "evkit/txn"
LOCK_PATH = "evkit/lock"
#: Not part of the bag's records: the lock and in-flight transactions.
UNRECORDED = (LOCK_PATH, TXN_DIR + "/")


def find_case(start: Path) -> Path:
    """The case folder at or above ``start`` (like git finds its repository)."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / CASE_JSON).is_file() and (candidate / BAGIT).is_file():
            return candidate
    raise NotACaseError(
        f"{start} is not inside an evkit case folder.",
        hint="Run the command inside a case folder, give one with -C/--case, "
        "or create one with 'evkit init'.",
    )


def is_unrecorded(rel: str) -> bool:
    return (
        rel == LOCK_PATH
        or rel.startswith(TXN_DIR + "/")
        or rel == TXN_DIR
        or ("/." in "/" + rel and ".tmp-" in rel)
    )


def has_pending(root: Path) -> bool:
    """Whether an interrupted change is waiting to be finished or rolled back."""
    txn = root / TXN_DIR
    try:
        return any(p.is_dir() for p in txn.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return False
