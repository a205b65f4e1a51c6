"""Use cases for handing the case over: export a package, list the handovers, import one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evidence_kit.app.session import GetSigner, OnRecover, Progress, open_case, reading
from evidence_kit.errors import PathNotFoundError

if TYPE_CHECKING:  # typing only, keeps start-up light
    from evidence_kit.handover.export import ExportResult, ExportSummary
    from evidence_kit.models import VerificationReport


@dataclass(frozen=True, slots=True)
class Handover:
    """Who receives a package and what goes in it."""

    recipient: str
    reference: str | None = None
    purpose: str | None = None
    include_sensitive: bool = False
    since: str | None = None  # supplementary to this export ID
    since_last: bool = False  # supplementary to the last handover
    dest: Path | None = None  # the zip to write (a folder: a default name inside it)


def export(
    start: Path,
    handover: Handover,
    *,
    get_signer: GetSigner,
    on_recover: OnRecover,
    progress: Progress | None = None,
) -> ExportResult:
    """Record the handover in the custody log, then write the zip and its receipts."""
    from evidence_kit.handover.export import ExportRequest, export_case, plan_export

    case = open_case(start, get_signer, on_recover)
    request = ExportRequest(
        recipient=handover.recipient,
        reference=handover.reference,
        purpose=handover.purpose,
        include_sensitive=handover.include_sensitive,
        since=handover.since,
        since_last=handover.since_last,
        dest=handover.dest,
    )
    total = plan_export(case.items(), case.read_log(), request).payload_bytes
    signer = get_signer()
    if progress is None:
        return export_case(case, signer, request, on_recover=on_recover)
    with progress(total, "Packing") as step:
        return export_case(
            case,
            signer,
            request,
            progress=(lambda n: step(n, "")) if step else None,
            on_recover=on_recover,
        )


def list_exports(
    start: Path, *, get_signer: GetSigner, on_recover: OnRecover
) -> list[ExportSummary]:
    """Every handover of the case (from the signed custody log), with its receipt if found."""
    from evidence_kit.handover import export

    with reading(start, get_signer, on_recover) as case:
        return export.list_exports(case)


@dataclass(frozen=True, slots=True)
class Imported:
    """A handover zip unpacked into ``folder`` and the verification of that folder."""

    count: int
    folder: Path
    report: VerificationReport


def import_package(package: str, directory: str, *, expected_key: str | None) -> Imported:
    """Unpack a handover zip safely into the new or empty ``directory``, then verify it.

    Paths are given as typed: messages quote them so.
    """
    from evidence_kit.handover.export import import_zip

    if not Path(package).exists():
        raise PathNotFoundError(f"{package} does not exist.")
    count, rep = import_zip(Path(package), Path(directory), expected_key=expected_key)
    return Imported(count, Path(directory).resolve(), rep)
