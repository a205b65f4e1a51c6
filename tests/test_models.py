"""Tests for the frozen models (Seal, CustodyEvent), the one seal builder and the digest format.

Round trips: ``from_dict(to_dict(x)) == x`` on generated models. Known answers: a case made with
a fixed key, clock, host and case ID, and a handover package made from it, have the seal and
custody bytes the code wrote before the models existed (golden values recorded from that code).
"""

from __future__ import annotations

import copy
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_kit.handover import export as export_mod
from evidence_kit.handover.export import ExportRequest, export_case
from evidence_kit.ingest.hashing import sha256_bytes
from evidence_kit.models import (
    GENESIS,
    CaseId,
    CustodyEvent,
    ExportId,
    KeyId,
    LogHead,
    Seal,
    SealExport,
    SealPayload,
    digest,
    digest_hex,
    is_digest,
    is_hex,
)
from evidence_kit.store import case as case_mod
from evidence_kit.store import custody as custody_mod
from evidence_kit.store.canonical import canonical_bytes
from evidence_kit.store.case import Case, create_case
from evidence_kit.store.custody import make_event, sign_event
from evidence_kit.store.sealing import build_seal, sign_seal
from evidence_kit.store.signing import Signer

# ---- strategies ------------------------------------------------------------------------------
HEX = st.text("0123456789abcdef", min_size=64, max_size=64)
DIGESTS = HEX.map(digest)
SAFE_INT = st.integers(min_value=0, max_value=2**53 - 1)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
OBJECTS = st.dictionaries(st.text(max_size=8), JSON, max_size=4)

EVENTS = st.builds(
    CustodyEvent,
    seq=st.integers(min_value=1, max_value=2**53 - 1),
    prev=DIGESTS,
    at=st.text(max_size=30),
    action=st.text(max_size=20),
    actor=OBJECTS,
    key_id=DIGESTS.map(KeyId),
    host=st.text(max_size=20),
    tool=st.text(max_size=20),
    data=OBJECTS,
    sig=st.text(max_size=90),
)
EXPORTS = st.builds(
    SealExport,
    id=st.text(max_size=8).map(ExportId),
    transfer_event=st.integers(min_value=1, max_value=2**53 - 1),
    case_seal_sha256=HEX,
    withheld=SAFE_INT,
    supplementary_to=st.none() | st.text(max_size=8).map(ExportId),
)
SEALS = st.builds(
    Seal,
    case_id=st.text(max_size=40).map(CaseId),
    sealed_at=st.text(max_size=30),
    key_id=DIGESTS.map(KeyId),
    custody=st.builds(LogHead, events=SAFE_INT, head=DIGESTS),
    payload=st.builds(SealPayload, items=SAFE_INT, size=SAFE_INT, manifest_sha256=HEX),
    files=st.dictionaries(st.text(max_size=30), HEX, max_size=6),
    export=st.none() | EXPORTS,
)


# ---- round trips -----------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(SEALS)
def test_seal_round_trip(seal: Seal) -> None:
    as_dict = seal.to_dict()
    before = copy.deepcopy(as_dict)
    assert Seal.from_dict(as_dict) == seal
    assert as_dict == before  # from_dict never mutates its input
    assert Seal.from_bytes(seal.to_bytes()) == seal
    assert ("export" in as_dict) == (seal.export is not None)
    assert copy.deepcopy(seal) == seal


@settings(max_examples=200, deadline=None)
@given(EVENTS)
def test_custody_event_round_trip(event: CustodyEvent) -> None:
    as_dict = event.to_dict()
    before = copy.deepcopy(as_dict)
    assert CustodyEvent.from_dict(as_dict) == event
    assert as_dict == before
    assert CustodyEvent.from_line(event.line()) == event
    assert event.line() == canonical_bytes(as_dict)
    assert event.body() == {k: v for k, v in as_dict.items() if k != "sig"}


# ---- validation ------------------------------------------------------------------------------
def _seal_dict() -> dict[str, Any]:
    return {
        "type": "evkit/seal/v1",
        "case_id": "c1",
        "sealed_at": "2026-11-20T09:14:00.000000Z",
        "key_id": digest("a" * 64),
        "custody": {"events": 3, "head": digest("b" * 64)},
        "payload": {"items": 1, "bytes": 10, "manifest_sha256": "c" * 64},
        "files": {"bagit.txt": "d" * 64},
        "export": {
            "id": "X0001",
            "transfer_event": 3,
            "case_seal_sha256": "e" * 64,
            "withheld": 0,
            "supplementary_to": None,
        },
    }


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value

    return change


def _drop(path: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        for key in path[:-1]:
            d = d[key]
        del d[path[-1]]

    return change


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_set(("type",), "evkit/custody-event/v1"), "'type'"),
        (_drop(("custody",)), "'custody'"),
        (_drop(("sealed_at",)), "'sealed_at'"),
        (_set(("key_id",), "a" * 64), "'key_id'"),
        (_set(("key_id",), digest("A" * 64)), "'key_id'"),
        (_set(("case_id",), 7), "'case_id'"),
        (_set(("custody", "head"), "sha256:xyz"), "'head'"),
        (_set(("custody", "events"), True), "'events'"),
        (_set(("custody",), []), "custody"),
        (_set(("payload", "bytes"), -1), "'bytes'"),
        (_set(("payload", "items"), "1"), "'items'"),
        (_set(("payload", "manifest_sha256"), digest("c" * 64)), "'manifest_sha256'"),
        (_set(("files", "bagit.txt"), "not hex"), "'files'"),
        (_set(("surprise",), 1), "'surprise'"),
        (_set(("export", "transfer_event"), "3"), "'transfer_event'"),
        (_set(("export", "supplementary_to"), 5), "'supplementary_to'"),
        (_set(("export",), None), "export"),
        (_drop(("export", "withheld")), "'withheld'"),
    ],
)
def test_seal_from_dict_names_the_bad_field(
    change: Callable[[dict[str, Any]], None], named: str
) -> None:
    good = _seal_dict()
    Seal.from_dict(good)
    bad = copy.deepcopy(good)
    change(bad)
    before = copy.deepcopy(bad)
    with pytest.raises(ValueError, match=named):
        Seal.from_dict(bad)
    assert bad == before


def _event_dict() -> dict[str, Any]:
    return {
        "type": "evkit/custody-event/v1",
        "seq": 1,
        "prev": GENESIS,
        "at": "t",
        "action": "case.created",
        "actor": {"name": "J"},
        "key_id": digest("a" * 64),
        "host": "h",
        "tool": "evkit 0",
        "data": {},
        "sig": "c2ln",
    }


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_set(("type",), "evkit/seal/v1"), "'type'"),
        (_set(("seq",), 0), "'seq'"),
        (_set(("seq",), 1.0), "'seq'"),
        (_set(("prev",), "0" * 64), "'prev'"),
        (_set(("key_id",), None), "'key_id'"),
        (_set(("actor",), "J"), "'actor'"),
        (_set(("data",), []), "'data'"),
        (_drop(("sig",)), "'sig'"),
        (_set(("at",), 5), "'at'"),
        (_set(("extra",), 5), "'extra'"),
    ],
)
def test_event_from_dict_names_the_bad_field(
    change: Callable[[dict[str, Any]], None], named: str
) -> None:
    good = _event_dict()
    assert CustodyEvent.from_dict(good).to_dict() == good
    bad = copy.deepcopy(good)
    change(bad)
    before = copy.deepcopy(bad)
    with pytest.raises(ValueError, match=named):
        CustodyEvent.from_dict(bad)
    assert bad == before


def test_not_an_object() -> None:
    with pytest.raises(ValueError, match="seal"):
        Seal.from_bytes(b"[1, 2]")
    with pytest.raises(ValueError):
        Seal.from_bytes(b"{not json")
    with pytest.raises(ValueError, match="custody event"):
        CustodyEvent.from_line(b'"text"')


# ---- the digest format -----------------------------------------------------------------------
def test_digest_format() -> None:
    h = "0123456789abcdef" * 4
    assert digest(h) == "sha256:" + h
    assert digest_hex(digest(h)) == h
    assert digest_hex(h) == h
    assert is_digest(digest(h)) and not is_digest(h) and not is_digest(digest(h.upper()))
    assert is_hex(h) and not is_hex(digest(h)) and not is_hex(h[:-1]) and not is_hex(None)
    assert digest("0" * 64) == GENESIS


# ---- the one builder -------------------------------------------------------------------------
def test_builder_gives_the_dict_written_before() -> None:
    """The seal dicts case.write_seal and export._package_entries built inline, before."""
    from evidence_kit.models import Item, ItemId

    def item(n: int, size: int) -> Item:
        return Item.from_dict(
            {
                "type": "evkit/item/v1",
                "id": f"E000{n}",
                "sha256": "f" * 64,
                "size": size,
                "stored": f"data/E000{n}_x",
            }
        )

    items = {ItemId("E0001"): item(1, 5), ItemId("E0002"): item(2, 7)}
    files = {"manifest-sha256.txt": "1" * 64, "evkit/case.json": "2" * 64}
    head = LogHead(4, digest("3" * 64))
    key_id = digest("4" * 64)
    seal = build_seal(
        case_id="cid",
        sealed_at="2026-11-20T09:14:00.000000Z",
        key_id=key_id,
        head=head,
        items=items.values(),
        files=files,
    )
    before = {  # case.write_seal
        "type": "evkit/seal/v1",
        "case_id": "cid",
        "sealed_at": "2026-11-20T09:14:00.000000Z",
        "key_id": key_id,
        "custody": {"events": head.events, "head": head.head},
        "payload": {
            "items": len(items),
            "bytes": sum(it.size for it in items.values()),
            "manifest_sha256": files.get("manifest-sha256.txt", ""),
        },
        "files": files,
    }
    assert seal.to_dict() == before
    assert seal.to_bytes() == canonical_bytes(before)
    package = build_seal(
        case_id="cid",
        sealed_at="2026-11-20T09:14:00.000000Z",
        key_id=key_id,
        head=head,
        items=tuple(items.values()),
        files=files,
        export=SealExport(ExportId("X0002"), 4, "5" * 64, 1, ExportId("X0001")),
    )
    before_package = {  # export._package_entries
        **before,
        "export": {
            "id": "X0002",
            "transfer_event": 4,
            "case_seal_sha256": "5" * 64,
            "withheld": 1,
            "supplementary_to": "X0001",
        },
    }
    assert package.to_bytes() == canonical_bytes(before_package)


# ---- known answers: the bytes evkit wrote before the models ----------------------------------
FIXED_AT = "2026-11-20T09:14:00.000000Z"
KEY_ID = "sha256:56475aa75463474c0285df5dbf2bcab73da651358839e9b77481b2eab107708c"
CASE_SEAL = (
    b'{"case_id":"12345678-1234-5678-1234-567812345678","custody":{"events":1,"head":"sha256:'
    b'8a3d837d64f8c84f2be15149cb85b62251bbd112bacd962b7f3bf9b4cca5b5e2"},"files":{"bag-info.txt'
    b'":"92f60cf590a2bba1d01a65965f695b70f8f83ccb1f792781d061580c35117c38","bagit.txt":"1712ecf'
    b'b074bf29c4188ad3421032509159a09739fd604f8fe57038b4ddefcc9","evkit/case.json":"4ad0f65aef'
    b'd62fde94d93b3732c6e7d60b89e8c0e0d97f201e967de804b21d32","evkit/collector.pub.pem":"f0ff5'
    b'0dacf109dea7f716d7c03eb7a821aa3a283fd3fa02f4c14dbba7d3c3322","evkit/custody.jsonl":"b8ae4'
    b'4e7a0e00d6dfcc07493e5f6d30df50d77634c88e48d192db05f476adc0e","evkit/items.jsonl":"e3b0c4'
    b'4298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","manifest-sha256.txt":"e3b0c'
    b'44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},"key_id":"'
    + KEY_ID.encode()
    + b'","payload":{"bytes":0,"items":0,"manifest_sha256":"e3b0c44298fc1c149afbf4c8996fb92427'
    b'ae41e4649b934ca495991b7852b855"},"sealed_at":"2026-11-20T09:14:00.000000Z","type":"evkit'
    b'/seal/v1"}'
)
CASE_SEAL_SIG = (
    "25bcf4d2d74e45c10c2065c30f371610e7c22f5f96b813c9b085ef46a2695e21"
    "01776c57cabffd75930fe5e0afa671650a03e3a365ccaf67ff162a1c6b469002"
)
FIRST_EVENT = (
    b'{"action":"case.created","actor":{"email":"jane@example.org","name":"Jane Doe"},"at":"'
    b'2026-11-20T09:14:00.000000Z","data":{"case_id":"12345678-1234-5678-1234-567812345678","'
    b'case_sha256":"4ad0f65aefd62fde94d93b3732c6e7d60b89e8c0e0d97f201e967de804b21d32","title":'
    b'"Fixed case"},"host":"evidence-pc","key_id":"' + KEY_ID.encode() + b'","prev":"sha256:'
    b'0000000000000000000000000000000000000000000000000000000000000000","seq":1,"sig":"fShSV+A8'
    b'JmMV9GaYXXmov1Agy65RVY1Us0zDmSgsgBplhyi44HRw3m9Q+FipxlFwNbEL27cXp5s+36m3W5I+AQ==","tool":'
    b'"evkit 0.0-test","type":"evkit/custody-event/v1"}'
)
PACKAGE_SEAL = (
    b'{"case_id":"12345678-1234-5678-1234-567812345678","custody":{"events":2,"head":"sha256:'
    b'0dcc53c01bb23702ae1469b209dc10536c99d3cd0686eab59ed5fdb6302966c9"},"export":{"case_seal_'
    b'sha256":"1f2abc50055e2938ba9c71c4c66dfad272183523065cb0da472455204034392e","id":"X0001",'
    b'"supplementary_to":null,"transfer_event":2,"withheld":0},"files":{"bag-info.txt":"ac4a52'
    b'1ba7fb4a7954f2368850e84f977bc07d20e2196610ef5a83c73db68438","bagit.txt":"1712ecfb074bf29c'
    b'4188ad3421032509159a09739fd604f8fe57038b4ddefcc9","evkit/case.json":"4ad0f65aefd62fde94d9'
    b'3b3732c6e7d60b89e8c0e0d97f201e967de804b21d32","evkit/collector.pub.pem":"f0ff50dacf109de'
    b'a7f716d7c03eb7a821aa3a283fd3fa02f4c14dbba7d3c3322","evkit/custody.jsonl":"49b37ec8b7add73'
    b'5dccb88faf185f876917eebe44e76c4c3fe4f75066ee2a7f6","evkit/items.jsonl":"e3b0c44298fc1c14'
    b'9afbf4c8996fb92427ae41e4649b934ca495991b7852b855","evkit/withheld.json":"331a2282ccba00fb'
    b'6016f694e40fd8bc9c8cd8a49a952f004e4d410aad7eb4f3","manifest-sha256.txt":"e3b0c44298fc1c1'
    b'49afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},"key_id":"'
    + KEY_ID.encode()
    + b'","payload":{"bytes":0,"items":0,"manifest_sha256":"e3b0c44298fc1c149afbf4c8996fb92427'
    b'ae41e4649b934ca495991b7852b855"},"sealed_at":"2026-11-20T09:14:00.000000Z","type":"evkit'
    b'/seal/v1"}'
)


class _FixedDatetime(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> _FixedDatetime:
        return cls(2026, 11, 20, 9, 14, tzinfo=UTC)


def _fixed_signer() -> Signer:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Signer(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


@pytest.fixture
def fixed(tmp_path: Path, key_home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Case, Signer]:
    """A case whose bytes depend on the code alone: fixed key, clock, host, case ID, version."""
    import uuid

    for mod in (case_mod, custody_mod):
        monkeypatch.setattr(mod, "utc_now", lambda: FIXED_AT)
        monkeypatch.setattr(mod, "__version__", "0.0-test")
    monkeypatch.setattr(export_mod, "utc_now", lambda: FIXED_AT)
    monkeypatch.setattr(custody_mod, "hostname", lambda: "evidence-pc")
    monkeypatch.setattr(case_mod, "datetime", _FixedDatetime)
    monkeypatch.setattr(
        case_mod.uuid, "uuid4", lambda: uuid.UUID("12345678-1234-5678-1234-567812345678")
    )
    signer = _fixed_signer()
    info = {
        "title": "Fixed case",
        "collector": {"name": "Jane Doe", "email": "jane@example.org"},
        "timezone": "Europe/London",
        "references": [{"agency": "Action Fraud", "number": "NFRC261100001"}],
    }
    return create_case(tmp_path / "c", info, signer), signer


def test_case_seal_bytes_are_unchanged(fixed: tuple[Case, Signer]) -> None:
    case, signer = fixed
    assert signer.key_id == KEY_ID
    raw = (case.root / "evkit/seal.json").read_bytes()
    assert raw == CASE_SEAL
    assert (case.root / "evkit/seal.sig").read_bytes().hex() == CASE_SEAL_SIG
    assert (case.root / "evkit/custody.jsonl").read_bytes() == FIRST_EVENT + b"\n"
    seal = case.seal()
    assert seal is not None and seal.to_bytes() == raw and seal.export is None
    assert sign_seal(seal, signer) == (CASE_SEAL, bytes.fromhex(CASE_SEAL_SIG))
    event = CustodyEvent.from_line(FIRST_EVENT)
    assert event.line() == FIRST_EVENT and event.prev == GENESIS
    assert (
        sign_event(
            signer,
            seq=1,
            prev=GENESIS,
            action=event.action,
            actor=dict(event.actor),
            data=dict(event.data),
            at=FIXED_AT,
        )
        == event
    )
    assert (
        make_event(
            signer,
            seq=1,
            prev=GENESIS,
            action=event.action,
            actor=dict(event.actor),
            data=dict(event.data),
        )
        == FIRST_EVENT
    )


def test_package_seal_bytes_are_unchanged(fixed: tuple[Case, Signer], tmp_path: Path) -> None:
    case, signer = fixed
    export_case(case, signer, ExportRequest(recipient="PC Smith", dest=tmp_path / "p1.zip"))
    with zipfile.ZipFile(tmp_path / "p1.zip") as zf:
        raw = zf.read(next(n for n in zf.namelist() if n.endswith("evkit/seal.json")))
    assert raw == PACKAGE_SEAL
    seal = Seal.from_bytes(raw)
    assert seal.to_bytes() == raw
    case_seal_raw = (case.root / "evkit/seal.json").read_bytes()
    assert seal.export == SealExport(ExportId("X0001"), 2, sha256_bytes(case_seal_raw), 0, None)
    assert seal.sealed_at == Seal.from_bytes(case_seal_raw).sealed_at
