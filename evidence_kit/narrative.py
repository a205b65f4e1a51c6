"""Events that record what people did or said about the case (verifications, notes, ...)."""

from __future__ import annotations

from evidence_kit.case import Case
from evidence_kit.models import VerificationReport
from evidence_kit.signing import Signer


def record_verification(case: Case, signer: Signer, report: VerificationReport) -> None:
    """Append a signed ``verify`` event with the outcome, and re-seal."""
    with case.session(signer, "verify") as sess:
        sess.log("verify", {
            "result": "intact" if report.intact else "changed",
            "item_count": report.items,
            "payload_bytes": report.payload_bytes,
            "seal_sha256": report.seal_sha256,
            "findings": [f.to_dict() for f in report.findings][:200],
        })
