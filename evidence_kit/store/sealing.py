"""The one seal builder: the statement a case (or a handover package) is sealed with.

A case seal and a package seal have the same form (docs/FORMAT.md, "The seal"); the package's
adds an ``export`` block. Both are built here, so the two cannot drift apart. Writing the files
is the caller's business (``case.write_seal``, ``export._package_entries``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from evidence_kit.models import CaseId, Item, KeyId, LogHead, Seal, SealExport, SealPayload
from evidence_kit.store.bag import PAYLOAD_MANIFEST
from evidence_kit.store.signing import Signer


def build_seal(
    *,
    case_id: str,
    sealed_at: str,
    key_id: str,
    head: LogHead,
    items: Collection[Item],
    files: Mapping[str, str],
    export: SealExport | None = None,
) -> Seal:
    """The seal over ``files`` (bag-relative path -> hex SHA-256, the payload manifest among
    them), the custody log ``head`` and the evidence ``items`` the payload manifest lists."""
    return Seal(
        case_id=CaseId(case_id),
        sealed_at=sealed_at,
        key_id=KeyId(key_id),
        custody=LogHead(head.events, head.head),
        payload=SealPayload(
            items=len(items),
            size=sum(it.size for it in items),
            manifest_sha256=files.get(PAYLOAD_MANIFEST, ""),
        ),
        files=dict(files),
        export=export,
    )


def sign_seal(seal: Seal, signer: Signer) -> tuple[bytes, bytes]:
    """The exact seal.json bytes and seal.sig (raw Ed25519 signature over those bytes)."""
    body = seal.to_bytes()
    return body, signer.sign(body)
