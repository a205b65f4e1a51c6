"""One exception tree for the whole core, each with a user-facing message and an exit code.

The CLI translates these in exactly one place (``cli.main``). Exit codes are part of the
documented interface (README, docs/FORMAT.md):

* 0 ok
* 1 integrity failure: the evidence or its records changed
* 2 usage error: bad arguments, a path that does not exist
* 3 could not complete: case locked, disk full, key unavailable, unreadable input
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTEGRITY = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


class EvkitError(Exception):
    """Base of every error the core raises on purpose. ``str(err)`` is a plain sentence."""

    exit_code: int = EXIT_INCOMPLETE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(EvkitError):
    """The user asked for something that cannot be done as asked (exit 2)."""

    exit_code = EXIT_USAGE


class PathNotFoundError(UsageError):
    """A path given on the command line does not exist."""


class NotACaseError(UsageError):
    """No case folder at or above the given directory."""


class CaseExistsError(UsageError):
    """``init`` into a folder that is already a case, or that holds other files."""


class ItemNotFoundError(UsageError):
    """An item ID that the case does not have."""


class IncompleteError(EvkitError):
    """The command could not complete; nothing was changed unless the message says so (exit 3)."""

    exit_code = EXIT_INCOMPLETE


class CaseLockedError(IncompleteError):
    """Another evkit process holds the case lock."""


class KeyUnavailableError(IncompleteError):
    """The signing key is missing, unreadable, or its passphrase was not given."""


class WrongKeyError(IncompleteError):
    """The case was created with another collector's key."""


class StorageError(IncompleteError):
    """The disk refused a write (full, read-only, permissions)."""


class UnreadableInputError(IncompleteError):
    """A source file or package could not be read."""


class IntegrityError(EvkitError):
    """The case or package does not match its own records (exit 1)."""

    exit_code = EXIT_INTEGRITY


#: What every "no space left" failure says, wherever it happens (one wording for the user).
DISK_FULL = "The disk is full."
DISK_FULL_HINT = "Free some space on the disk that holds the case, then run the same command again."


def is_disk_full(exc: BaseException) -> bool:
    """An OSError that means the disk (or the user's quota) has no room left."""
    import errno

    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_full_error(hint: str | None = None) -> StorageError:
    """The one error every disk-full path raises (see :func:`is_disk_full`)."""
    return StorageError(DISK_FULL, hint=hint or DISK_FULL_HINT)
