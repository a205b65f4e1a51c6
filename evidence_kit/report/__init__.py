"""``evkit report``: write the chain-of-custody index into the case, as sealed tag files.

One snapshot (:mod:`evidence_kit.report.model`) is rendered by each requested format
(:mod:`~evidence_kit.report.interface`: renderers return bytes), and the files are written to
``evkit/report/`` inside a session. A ``report`` custody event lists each file's SHA-256 and the
seal the report describes; the session then re-seals, so the report files are bound by the new
seal and tag manifest and the case stays a valid BagIt bag.

The formats are the renderer objects in :mod:`evidence_kit.report.registry` (their heavy
libraries, such as fpdf2, are imported only when used); image previews come from the extractors'
registry (:func:`evidence_kit.extractors.thumbnail`), never from an extractor module directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evidence_kit.errors import UsageError
from evidence_kit.report.interface import Renderer
from evidence_kit.report.registry import FORMATS, RENDERERS
from evidence_kit.store.case import Case
from evidence_kit.store.signing import Signer

REPORT_DIR = "evkit/report"

#: At most this many thumbnails go into the HTML (each is a small JPEG).
MAX_THUMBNAILS = 300


@dataclass(frozen=True)
class WrittenFile:
    """One report file written into the case."""

    format: str
    path: str  # bag-relative
    sha256: str
    size: int


@dataclass(frozen=True)
class ReportResult:
    files: tuple[WrittenFile, ...]
    seal_sha256: str | None  # the seal the report describes (before it was written)
    event_seq: int  # the ``report`` custody event


def parse_formats(text: str | None) -> list[str]:
    """``"html,pdf"`` -> ``["html", "pdf"]``; None or ``all`` -> every format."""
    if text is None or text.strip().lower() in ("", "all"):
        return list(FORMATS)
    out: list[str] = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name not in RENDERERS:
            raise UsageError(
                f"Unknown report format {part.strip()!r}; choose from {', '.join(FORMATS)}."
            )
        if name not in out:
            out.append(name)
    if not out:
        raise UsageError(f"No report format given; choose from {', '.join(FORMATS)}.")
    return out


def renderer(name: str) -> Renderer:
    """The renderer object for a format name."""
    return RENDERERS[name]


def thumbnails(case: Case, items: Sequence[Mapping[str, Any]]) -> dict[str, bytes]:
    """JPEG previews of non-sensitive images, if an extractor in this build can make them."""
    from evidence_kit.extractors import thumbnail as make

    out: dict[str, bytes] = {}
    payload = (case.root / "data").resolve()
    for it in items:
        if len(out) >= MAX_THUMBNAILS:
            break
        if it.get("sensitive") or it.get("withheld") or not it.get("stored"):
            continue
        if not str(it.get("mime") or "").startswith("image/"):
            continue
        path = (case.root / str(it["stored"])).resolve()
        if payload not in path.parents:
            continue  # a record never points outside data/ unless it was tampered with
        try:
            thumb = make(path)
        except Exception:
            thumb = None
        if isinstance(thumb, bytes | bytearray) and thumb.startswith(b"\xff\xd8"):
            out[str(it["id"])] = bytes(thumb)
    return out


def write_reports(
    case: Case,
    signer: Signer,
    formats: Sequence[str] | None = None,
    *,
    full: bool = False,
    drafts: Sequence[str] = (),
) -> ReportResult:
    """Render the requested formats and write them into the case, logged and sealed
    (``full``: the HTML appendix open, so that every detail is printed too; ``drafts``: the
    police report drafts to write, :data:`evidence_kit.report.drafts.TARGETS`; with drafts
    and no ``formats``, only the drafts are written)."""
    from evidence_kit.ingest.hashing import sha256_bytes
    from evidence_kit.report.drafts import TARGETS
    from evidence_kit.report.drafts import renderers as draft_renderers
    from evidence_kit.report.interface import ReportInput
    from evidence_kit.report.model import build_snapshot
    from evidence_kit.store.case import SEAL_PATH

    chosen = list(formats) if formats else ([] if drafts else list(FORMATS))
    for name in chosen:
        if name not in RENDERERS:
            raise UsageError(f"Unknown report format {name!r}.")
    for target in drafts:
        if target not in TARGETS:
            raise UsageError(f"Unknown draft {target!r}; choose from {', '.join(TARGETS)}.")
    extra: list[Renderer] = list(draft_renderers(drafts))
    with case.session(signer, "report") as sess:
        seal_path = case.root / SEAL_PATH
        seal_raw = seal_path.read_bytes() if seal_path.is_file() else None
        snapshot = build_snapshot(case, seal_raw)
        thumbs = thumbnails(case, snapshot["items"]) if "html" in chosen else {}
        report_input = ReportInput(snapshot=snapshot, thumbnails=thumbs, full=full)
        # Everything is rendered before anything is written.
        rendered = [
            (r.name, f"{REPORT_DIR}/{r.filename}", r.render(report_input))
            for r in [renderer(name) for name in chosen] + extra
        ]
        (case.root / REPORT_DIR).mkdir(parents=True, exist_ok=True)
        written: list[WrittenFile] = []
        staged = []
        for name, rel, data in rendered:  # moved into evkit/report/ with the event, or not at all
            staged.append(sess.stage_file(rel, data))
            written.append(WrittenFile(name, rel, sha256_bytes(data), len(data)))
        seal = snapshot["seal"]
        sess.commit(
            "report",
            {
                "files": [
                    {"format": w.format, "path": w.path, "sha256": w.sha256, "size": w.size}
                    for w in written
                ],
                "describes_seal": seal.get("sha256"),
                "covers_events": len(snapshot["custody"]),
                "item_count": snapshot["counts"]["items"],
            },
            files=staged,
        )
        seq = case.read_log().head.events
    return ReportResult(tuple(written), seal.get("sha256"), seq)
