"""Image findings: screenshot or photo, when and where it was taken, and the software that
last saved it (an editor is worth a look)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from evidence_kit.extractors.findings.base import parse_utc, quoted, type_label, when_text
from evidence_kit.extractors.interface import Description, Finding, RecordView

#: Software names that mean the picture was edited, not just saved by a camera or phone.
_EDITORS = re.compile(
    r"photoshop|lightroom|gimp|snapseed|affinity|pixelmator|paint\.net|picsart|facetune|"
    r"canva|photopea|krita|corel|acdsee|luminar|fotor|picmonkey|airbrush|meitu|"
    r"inkscape|illustrator|preview\b",
    re.I,
)

_CAPTURE_FIELDS = (
    "exif.DateTimeOriginal",
    "exif.DateTimeDigitized",
    "png.text.Creation Time",
    "png.tIME",
)


def _capture(view: RecordView) -> tuple[str, str] | None:
    """(when, how it is known) of the moment the picture was taken or made."""
    times = view.extraction.get("times")
    facts = [t for t in times if isinstance(t, Mapping)] if isinstance(times, list) else []
    for field in _CAPTURE_FIELDS:
        for t in facts:
            if t.get("field") == field:
                moment = parse_utc(t.get("at"))
                if moment is not None:
                    return when_text(moment, view.timezone), "as written in the file"
                shown = _naive(t.get("at")) or str(t.get("raw") or "")
                if shown:
                    return (
                        f"{shown} (the device's own time; its zone is not recorded)",
                        "as written in the file",
                    )
    md = view.metadata
    png_time = parse_utc(md.get("png_time_utc"))
    if png_time is not None:
        return when_text(png_time, view.timezone), "as written in the file"
    texts = md.get("png_text")
    if isinstance(texts, Mapping) and texts.get("Creation Time"):
        return str(texts["Creation Time"])[:60], "as written in the file"
    return None


def _naive(text: Any) -> str | None:
    """``2016-09-28T18:18:05`` (a time without zone) as ``28 Sep 2016 18:18``, or None."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(text)).strftime("%d %b %Y %H:%M")
    except ValueError:
        return None


def _place(md: Mapping[str, Any]) -> str | None:
    gps = md.get("gps")
    if not isinstance(gps, Mapping):
        return None
    lat, lon = gps.get("latitude"), gps.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    return f"latitude {lat:.5f}, longitude {lon:.5f}"


def describe(view: RecordView) -> Description:
    """The picture's summary line and findings."""
    md = view.metadata
    kind = type_label(view.mime)
    findings: list[Finding] = []
    screenshot = md.get("looks_like_screenshot") is True
    camera = " ".join(
        str(md[k]) for k in ("camera_make", "camera_model") if isinstance(md.get(k), str)
    )
    if camera:
        make = str(md.get("camera_make") or "")
        model = str(md.get("camera_model") or "")
        camera = model if make and model.lower().startswith(make.lower()) else camera
    reasons = md.get("screenshot_reasons")
    if screenshot:
        why = [str(r) for r in reasons[:2]] if isinstance(reasons, list) else []
        findings.append(
            Finding(
                "image.screenshot",
                "fact",
                "This looks like a screenshot" + (f" ({'; '.join(why)})." if why else "."),
            )
        )
    elif camera:
        findings.append(
            Finding(
                "image.photo",
                "fact",
                f"This looks like a photo taken with a camera or phone ({quoted(camera, 60)}).",
            )
        )
    captured = _capture(view)
    if captured is not None:
        findings.append(
            Finding(
                "image.taken",
                "fact",
                f"{'Made' if screenshot else 'Taken'} {captured[0]}, {captured[1]} by the "
                "device (its clock can be wrong, and the time can be changed).",
            )
        )
    elif screenshot:
        findings.append(
            Finding(
                "image.no-date",
                "notable",
                "The screenshot has no date inside it: write down when you took it and what "
                'it shows (evkit note "..." --at "YYYY-MM-DD HH:MM" --item '
                f"{view.item_id}).",
            )
        )
    place = _place(md)
    if place is not None:
        findings.append(
            Finding(
                "image.place",
                "notable",
                f"The place where it was taken is recorded in the file (GPS): {place}.",
            )
        )
    software = md.get("software")
    if isinstance(software, str) and software.strip():
        edited = bool(_EDITORS.search(software))
        findings.append(
            Finding(
                "image.edited" if edited else "image.software",
                "notable" if edited else "fact",
                (
                    f"It was last saved with editing software ({quoted(software, 60)}): "
                    "the picture may have been changed after it was taken."
                )
                if edited
                else f"Software named in the file: {quoted(software, 60)}.",
            )
        )
    width, height = md.get("width"), md.get("height")
    size = f"{width}×{height}" if isinstance(width, int) and isinstance(height, int) else ""
    what = "Screenshot" if screenshot else ("Photo" if camera else "Picture")
    summary = f"{what} ({kind}{', ' + size if size else ''})"
    if captured is not None:
        summary += f", {'made' if screenshot else 'taken'} {captured[0]}"
    if camera and not screenshot:
        summary += f" with {quoted(camera, 60)}"
    if place is not None:
        summary += f"; place recorded: {place}"
    if any(f.code == "image.edited" for f in findings):
        summary += "; saved with editing software"
    return Description(kind, summary, tuple(findings))
