"""Every file of the shared third-party corpus ingests: no crash, byte-identical, explained."""

from __future__ import annotations

import hashlib

from conftest import corpus_or_skip

from evidence_kit.ingest.add import add_files
from evidence_kit.store.signing import Signer
from evidence_kit.verify.checks import FolderSource, verify_source


def test_whole_corpus_ingests_and_verifies(make_case, signer: Signer) -> None:
    corpus = corpus_or_skip()
    sources = sorted(p for p in corpus.rglob("*") if p.is_file())
    case = make_case()
    report = add_files(case, signer, [str(corpus)])
    assert not report.failures, report.failures
    items = case.items()
    top = {it.original["path"]: it for it in items.values() if not it.parent}
    by_hash = {it.sha256: it for it in items.values()}
    for src in sources:
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        item = top.get(str(src)) or by_hash.get(digest)
        assert item is not None, f"{src} was not added"
        assert item.sha256 == digest
        assert (case.root / item.stored).read_bytes() == src.read_bytes()
    for it in items.values():
        ex = it.extraction
        assert ex is not None, it.id
        assert ex["metadata"] or ex["errors"] or ex["extractor"] == "none", (
            f"{it.id} {it.name}: neither metadata nor a stated reason"
        )
    for it in items.values():  # children are the decoded bytes of their parent's parts
        if it.parent:
            assert it.parent["id"] in items
    assert verify_source(FolderSource(case.root)).intact
