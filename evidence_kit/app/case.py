"""Use cases about the case itself and the collector's key: ``init`` and ``key show``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evidence_kit.errors import UsageError

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.store.signing import PassphraseCallback


@dataclass(frozen=True, slots=True)
class CaseDetails:
    """What the person says about the case when creating it (``None``: not given)."""

    title: str
    collector: str
    email: str | None = None
    phone: str | None = None
    organization: str | None = None
    incident: str | None = None
    jurisdiction: str | None = None
    references: Sequence[tuple[str, str]] = ()  # (agency, number)
    timezone: str | None = None  # default: this computer's
    #: The victim's details when the collector collects for someone else (an advocate):
    #: recorded as a ``person`` event right after the case is created.
    victim: Mapping[str, str | None] | None = None


@dataclass(frozen=True, slots=True)
class InitResult:
    """A new case: where it is and which key signed it."""

    root: Path
    key_id: str


@dataclass(frozen=True, slots=True)
class NewKey:
    """A signing key created on first use."""

    keys_dir: Path
    key_id: str


@dataclass(frozen=True, slots=True)
class KeyShown:
    """The collector's public key."""

    key_id: str
    home: Path
    public_key_pem: str


def init_case(
    directory: Path,
    details: CaseDetails,
    *,
    ask_passphrase: PassphraseCallback,
    new_passphrase: Callable[[], str | None],
    on_new_key: Callable[[NewKey], None],
) -> InitResult:
    """Create the case folder ``directory``, and the signing key on first use.

    ``new_passphrase`` chooses the passphrase of a key created now (``None``: none);
    ``ask_passphrase`` asks for the existing key's passphrase; ``on_new_key`` is told about a
    key created now, before the case is made.
    """
    from evidence_kit.store.case import create_case
    from evidence_kit.store.signing import create_key, key_exists, key_home, load_signer
    from evidence_kit.timeutil import system_timezone, zone

    tz = details.timezone or system_timezone()
    try:
        zone(tz)
    except ValueError as exc:
        raise UsageError(str(exc).capitalize() + ".") from exc
    home = key_home()
    ask = ask_passphrase
    if not key_exists(home):
        passphrase = os.environ.get("EVKIT_PASSPHRASE")
        if passphrase is None:
            passphrase = new_passphrase()
        info = create_key(passphrase or None, home)
        chosen = passphrase
        ask = lambda _prompt: chosen  # noqa: E731 - just chosen: do not ask again
        on_new_key(NewKey(info.home / "keys", info.key_id))
    signer = load_signer(ask, home)
    collector = {
        k: v
        for k, v in {
            "name": details.collector,
            "email": details.email,
            "phone": details.phone,
            "organization": details.organization,
        }.items()
        if v
    }
    case = create_case(
        directory,
        {
            "title": details.title,
            "collector": collector,
            "incident": details.incident,
            "jurisdiction": details.jurisdiction,
            "references": [{"agency": a, "number": n} for a, n in details.references],
            "timezone": tz,
        },
        signer,
    )
    if details.victim and any(details.victim.values()):
        from evidence_kit.story.narrative import add_person

        add_person(case, signer, "victim", details.victim)
    return InitResult(case.root, signer.key_id)


@dataclass(frozen=True, slots=True)
class InitState:
    """What ``init`` would leave behind, to tell an interrupted ``init`` apart from a case."""

    folder: bool  # the case folder exists
    case: bool  # it holds a case (its case.json)
    key: bool  # the collector's signing key exists


def init_state(directory: Path) -> InitState:
    """Whether ``directory`` exists and holds a case, and whether the signing key exists: taken
    before and after an interrupted ``init``, equal states mean nothing was created."""
    from evidence_kit.store.layout import CASE_JSON
    from evidence_kit.store.signing import key_exists, key_home

    return InitState(directory.exists(), (directory / CASE_JSON).exists(), key_exists(key_home()))


def show_key() -> KeyShown:
    """The collector's public key (never the private key)."""
    from evidence_kit.store.signing import key_home, load_public

    pub = load_public()
    return KeyShown(pub.key_id, key_home(), pub.pem.decode())
