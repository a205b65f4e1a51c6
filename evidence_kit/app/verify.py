"""Use cases that check evidence: verify a case folder or a handover zip (read in place).

The checks themselves are :mod:`evidence_kit.verify.checks` (and the zip reader in
:mod:`evidence_kit.handover.export`); this module only finds the target, holds the case's
shared lock and finishes a command that stopped, as ``evkit verify`` always has.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence_kit.app.session import GetSigner, OnRecover, Progress
from evidence_kit.errors import CaseLockedError, EvkitError, PathNotFoundError, UsageError

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.models import VerificationReport


def verify(
    target: str | None,
    start: Path,
    *,
    expected_key: str | None,
    record: bool,
    get_signer: GetSigner,
    on_recover: OnRecover,
    progress: Progress | None = None,
) -> VerificationReport:
    """Check a case folder or, if ``target`` is a file, a handover ``.zip``.

    ``target`` None or empty: the case at or above ``start`` (messages quote it as typed).
    ``record`` also logs the verification in
    the case's custody log (a folder only). Raises only when it could not check at all.
    """
    if target is not None and not Path(target).exists():
        raise PathNotFoundError(f"{target} does not exist.")
    if target is not None and Path(target).is_file():
        if not target.lower().endswith(".zip"):
            raise UsageError(f"{target} is a file; give a case folder or a handover .zip.")
        if record:
            raise UsageError("--record needs a case folder; a handover zip is only read.")
        return verify_zip(Path(target), expected_key=expected_key, progress=progress)
    return verify_case(
        Path(target) if target else start,
        expected_key=expected_key,
        record=record,
        get_signer=get_signer,
        on_recover=on_recover,
        progress=progress,
    )


def verify_zip(
    path: Path, *, expected_key: str | None, progress: Progress | None = None
) -> VerificationReport:
    """Check a handover zip in place, never unpacking it."""
    from evidence_kit.handover.export import open_zip
    from evidence_kit.handover.export import verify_zip as check_zip

    with open_zip(path) as source:
        total = source.payload_bytes()
        if progress is None:
            return check_zip(source, expected_key=expected_key)
        with progress(total, "Verifying") as step:
            return check_zip(
                source,
                expected_key=expected_key,
                progress=(lambda n: step(n, "")) if step else None,
            )


def verify_case(
    start: Path,
    *,
    expected_key: str | None,
    record: bool,
    get_signer: GetSigner,
    on_recover: OnRecover,
    progress: Progress | None = None,
) -> VerificationReport:
    """Check the case at or above ``start`` under its shared lock."""
    # Only what finds the case and starts the hashing is imported first (see layout.py).
    from evidence_kit.store.fsutil import CaseLock
    from evidence_kit.store.layout import LOCK_PATH, find_case, has_pending
    from evidence_kit.verify.checks import FolderSource, verify_source
    from evidence_kit.verify.verify_extras import standard_checks

    root = find_case(start)
    # A shared lock for the whole check: a command changing the case holds it exclusively
    # until the case is sealed again, so what is read here is always a sealed state, never
    # work in progress (which would look like changes).
    lock = CaseLock(root / LOCK_PATH)
    _lock_to_verify(lock)
    if has_pending(root):  # left by a command that stopped: nobody is working on it now
        from evidence_kit.store.case import Case

        lock.release()
        try:
            message = Case.open(root).recover_if_needed(get_signer())
        except CaseLockedError:
            raise _busy() from None
        except EvkitError:
            # Not the collector (no key here), or still no room to finish: the interruption
            # is reported as found, "could not check" (exit 3), never as a change.
            message = None
        if message:
            on_recover(message)
        _lock_to_verify(lock)
    try:
        if progress is None:
            rep = verify_source(
                FolderSource(root), expected_key=expected_key, extra_checks=standard_checks()
            )
        else:
            with progress(_payload_size(root), "Verifying") as step:
                rep = verify_source(
                    FolderSource(root),
                    expected_key=expected_key,
                    progress=(lambda n: step(n, "")) if step else None,
                    extra_checks=standard_checks(),
                )
    finally:
        lock.release()
    if record:
        from evidence_kit.store.case import Case
        from evidence_kit.story.narrative import record_verification

        record_verification(Case.open(root), get_signer(), rep)
    return rep


def _busy() -> CaseLockedError:
    return CaseLockedError(
        "Another evkit command is changing this case right now, so it cannot be checked yet.",
        hint="Run 'evkit verify' again when that command has finished.",
    )


def _lock_to_verify(lock: Any) -> None:
    try:
        lock.acquire(exclusive=False)
    except CaseLockedError:
        raise _busy() from None


def _payload_size(root: Path) -> int:
    total = 0
    for dirpath, _d, files in os.walk(root / "data"):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total
