"""The one renderer registry: every report format, built once, in ``--format`` order.

Renderer modules are cheap to import (fpdf2 is imported inside the PDF renderer, only when a
PDF is drawn), so the registry holds the renderer objects themselves and mypy checks each
against :class:`~evidence_kit.report.interface.Renderer`.

To add a format: write ``report/<format>.py`` with a class that has ``name``, ``filename``,
``media_type`` and ``render(ReportInput) -> bytes``, and add an instance to :data:`RENDERERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from evidence_kit.report.csv import CsvRenderer
from evidence_kit.report.html import HtmlRenderer
from evidence_kit.report.interface import Renderer
from evidence_kit.report.json import JsonRenderer
from evidence_kit.report.pdf import PdfRenderer

__all__ = ["FORMATS", "RENDERERS"]

_ALL: tuple[Renderer, ...] = (HtmlRenderer(), PdfRenderer(), CsvRenderer(), JsonRenderer())

#: Format name -> renderer. Order is the default order of ``--format``; read-only.
RENDERERS: Mapping[str, Renderer] = MappingProxyType({r.name: r for r in _ALL})
FORMATS: tuple[str, ...] = tuple(RENDERERS)
