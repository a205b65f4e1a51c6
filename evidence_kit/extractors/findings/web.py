"""Saved web page findings: the address, the title, the capture time the file states, and
what the page asks for or what an archive's digests say."""

from __future__ import annotations

from collections.abc import Mapping

from evidence_kit.extractors.findings.base import plural, quoted, when_iso
from evidence_kit.extractors.interface import Description, Finding, RecordView

_KINDS = {
    "mhtml": "Saved web page (MHTML)",
    "singlefile-html": "Saved web page (SingleFile)",
    "saved-html": "Saved web page (browser 'Save page as')",
    "html": "Web page (HTML)",
    "warc": "Web archive (WARC)",
    "wacz": "Web archive (WACZ)",
}


def describe(view: RecordView) -> Description:
    """The capture's summary line and findings."""
    md = view.metadata
    kind = _KINDS.get(str(md.get("format")), "Saved web page")
    pages = [p for p in md.get("pages") or [] if isinstance(p, Mapping)]
    first = pages[0] if pages else {}
    parts = [kind]
    if first.get("url"):
        parts.append(f"address {quoted(first['url'], 90)}")
    if first.get("title"):
        parts.append(f"title {quoted(first['title'], 70)}")
    findings: list[Finding] = []
    claimed = first.get("claimed_capture")
    if isinstance(claimed, Mapping) and claimed.get("at"):
        shown = when_iso(claimed["at"], view.timezone) or str(claimed["at"])
        parts.append(f"captured {shown} (as the file states)")
        findings.append(
            Finding(
                "web.captured",
                "fact",
                f"The file says the page was captured {shown} ({claimed.get('source')}); "
                "that is the saving computer's clock, not when evkit copied it.",
            )
        )
    if len(pages) > 1:
        parts.append(plural(int(md.get("pages_found") or len(pages)), "page"))
    for warning in md.get("warnings") or []:
        if isinstance(warning, str) and "asking for" in warning:
            text = warning.split(": ", 1)[-1]  # "page 1: the page has a form asking for ..."
            findings.append(Finding("web.form", "warning", text[:1].upper() + text[1:] + "."))
            break
    errors = view.extraction.get("errors")
    for err in errors if isinstance(errors, list) else []:
        if isinstance(err, str) and err.startswith("digest mismatch"):
            findings.append(
                Finding(
                    "web.digest-mismatch",
                    "warning",
                    "A fingerprint recorded inside the archive when the page was captured does "
                    "not match what it holds now: part of it changed after capture, or the "
                    "archiving tool recorded it wrongly.",
                )
            )
            break
    signed = ((md.get("wacz") or {}).get("digest_file") or {}).get("signed")
    if isinstance(signed, Mapping):
        who = signed.get("domain") or "an anonymous key"
        ok = signed.get("signature_matches_key")
        findings.append(
            Finding(
                "web.signed",
                "notable" if ok else "warning",
                f"The archive is signed by {quoted(who, 60)}"
                + (
                    "; the signature matches (whether that signer is trusted was not checked)."
                    if ok
                    else "; the signature could not be confirmed."
                ),
            )
        )
    return Description(kind, "; ".join(parts), tuple(findings))
