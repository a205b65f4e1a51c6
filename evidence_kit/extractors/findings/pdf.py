"""PDF findings: pages, the title and the program that made it, and active content."""

from __future__ import annotations

from collections.abc import Mapping

from evidence_kit.extractors.findings.base import plural, quoted, type_label
from evidence_kit.extractors.interface import Description, Finding, RecordView


def describe(view: RecordView) -> Description:
    """The PDF's summary line and findings."""
    md = view.metadata
    kind = type_label(view.mime) if "pdf" in view.mime else "PDF document"
    parts = [kind]
    pages = md.get("page_count")
    if isinstance(pages, int):
        parts[0] += f", {plural(pages, 'page')}"
    raw_info = md.get("info")
    info = raw_info if isinstance(raw_info, Mapping) else {}
    if info.get("Title"):
        parts.append(f"title {quoted(info['Title'], 70)}")
    maker = info.get("Producer") or info.get("Creator")
    findings: list[Finding] = []
    if maker:
        parts.append(f"made with {quoted(maker, 50)}")
        findings.append(Finding("pdf.maker", "fact", f"Made with {quoted(maker, 80)}."))
    if md.get("has_javascript"):
        findings.append(
            Finding(
                "pdf.javascript",
                "warning",
                "The PDF contains program code (JavaScript) that runs when it is opened: "
                "open it only on a computer set aside for evidence.",
            )
        )
    if md.get("encrypted"):
        findings.append(Finding("pdf.encrypted", "notable", "The PDF is encrypted."))
    attached = md.get("attachments")
    if isinstance(attached, list) and attached:
        findings.append(
            Finding(
                "pdf.attachments",
                "notable",
                f"The PDF carries {plural(len(attached), 'file')} inside it.",
            )
        )
    return Description(kind, "; ".join(parts), tuple(findings))
