"""The renderer interface: a snapshot in, the bytes of one report file out.

Renderers never touch the case or the file system; ``evkit report`` (``report/__init__.py``)
builds the snapshot, asks each renderer for bytes, and writes them into ``evkit/report/`` inside
a session so that the files are sealed with the case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ReportInput:
    """Everything a renderer may use.

    ``snapshot`` is the JSON-able description of the case built by
    :func:`evidence_kit.report.model.build_snapshot` (the same for every format).
    ``thumbnails`` maps item IDs to small JPEG previews; only non-sensitive images have one.
    ``full``: print the appendix (every recorded detail) too; by default the HTML keeps it
    collapsed, so that it is not printed.
    """

    snapshot: Mapping[str, Any]
    thumbnails: Mapping[str, bytes] = field(default_factory=dict)
    full: bool = False


class Renderer(Protocol):
    """One report format."""

    #: Format name used by ``evkit report --format`` (``html``, ``pdf``, ``csv``, ``json``).
    name: str
    #: File name written under ``evkit/report/``.
    filename: str
    #: IANA media type of the output.
    media_type: str

    def render(self, report: ReportInput) -> bytes:
        """The complete file contents. Must not raise for hostile or missing data."""
        ...
