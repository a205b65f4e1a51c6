"""What every use case shares: the callbacks a face supplies and opening a case.

A face (the command line, a local web page) supplies a :data:`GetSigner` that asks the person
for the passphrase when the key needs one, and an :data:`OnRecover` that tells them an earlier
command that stopped was finished first. Nothing here prompts or prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.store.case import Case
    from evidence_kit.store.signing import Signer

#: Returns the collector's signer (the face asks for the passphrase if the key has one).
GetSigner = Callable[[], "Signer"]
#: Told, in one plain line, that an interrupted command was finished before this one.
OnRecover = Callable[[str], None]
#: One step of progress: bytes done and the name being worked on.
Step = Callable[[int, str], None]
#: Opens a progress display for ``total`` bytes under ``label``; yields a step or None.
Progress = Callable[[int, str], AbstractContextManager[Step | None]]


def open_case(start: Path, get_signer: GetSigner, on_recover: OnRecover) -> Case:
    """The case at or above ``start``; an earlier command that was interrupted is finished
    first (signed by ``get_signer()``, reported to ``on_recover``)."""
    from evidence_kit.store.case import Case

    case = Case.open(start)
    if case.pending():
        # An earlier command was interrupted: finish it before anything else reads the case.
        message = case.recover_if_needed(get_signer())
        if message:
            on_recover(message)
    return case


@contextmanager
def reading(start: Path, get_signer: GetSigner, on_recover: OnRecover) -> Iterator[Case]:
    """Open the case for a use case that only reads it (list, show, log, ...).

    As :func:`open_case`, then a shared lock is held while the case is read: a command
    changing the case holds it exclusively until the case is sealed again, so what is read is
    never its work in progress (that command is waited for briefly, else "another evkit
    command is working on this case", exit 3).
    """
    from evidence_kit.store.fsutil import CaseLock
    from evidence_kit.store.layout import LOCK_PATH

    case = open_case(start, get_signer, on_recover)
    lock = CaseLock(case.root / LOCK_PATH)
    lock.acquire(exclusive=False)
    if case.pending():  # a command stopped after the check above: finish it first
        lock.release()
        message = case.recover_if_needed(get_signer())
        if message:
            on_recover(message)
        lock.acquire(exclusive=False)
    try:
        yield case
    finally:
        lock.release()
