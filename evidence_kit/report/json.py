"""``case.json``: the whole report snapshot, for programs (and for anyone who wants every field)."""

from __future__ import annotations

import json as _json

from evidence_kit.report.interface import ReportInput


class JsonRenderer:
    """Pretty-printed UTF-8 JSON of the snapshot, keys sorted, one trailing newline."""

    name = "json"
    filename = "case.json"
    media_type = "application/json"

    def render(self, report: ReportInput) -> bytes:
        text = _json.dumps(
            report.snapshot,
            indent=2,
            sort_keys=True,
            ensure_ascii=False,
            allow_nan=False,
            default=str,
        )
        try:
            return (text + "\n").encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (undecodable name): escape as \udcXX
            text = _json.dumps(
                report.snapshot,
                indent=2,
                sort_keys=True,
                ensure_ascii=True,
                allow_nan=False,
                default=str,
            )
            return (text + "\n").encode("ascii")
