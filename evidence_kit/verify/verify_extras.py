"""The standard checks of ``evkit verify``'s step (10), built once, for every caller to pass.

Trusted timestamps, handover records and report pages are checked by their own modules
(:mod:`evidence_kit.timestamp.rfc3161`, :mod:`evidence_kit.handover.export`,
:mod:`evidence_kit.verify.reportcheck`), which import :mod:`evidence_kit.verify.checks`. Each
check here has a cheap test of whether it has anything to check, and its module is imported only
when it has: a plain case never loads the handover or timestamp code (the start-up time of
``evkit verify`` matters), and verify never imports its callers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evidence_kit.verify.checks import CheckResult, VerifyContext


@dataclass(frozen=True, slots=True)
class LazyCheck:
    """A check of (10) whose code is imported only where it has something to check (an
    :class:`evidence_kit.verify.checks.ExtraCheck`)."""

    name: str
    test: Callable[[VerifyContext], bool]  # cheap: is there anything to check here?
    load: Callable[[], Callable[[VerifyContext], CheckResult | None]]  # imports the check

    def applies(self, ctx: VerifyContext) -> bool:
        """Whether there is anything to check here (imports nothing)."""
        return self.test(ctx)

    def run(self, ctx: VerifyContext) -> CheckResult | None:
        """The check's line and findings; None if it found nothing to check."""
        return self.load()(ctx)


def _has_timestamp_events(ctx: VerifyContext) -> bool:
    return any(str(e.get("action", "")).startswith("timestamp") for e in ctx.log.events)


def _is_handover_package(ctx: VerifyContext) -> bool:
    return bool(ctx.seal.get("export")) or "evkit/withheld.json" in ctx.files


def _has_report_pages(ctx: VerifyContext) -> bool:
    return any(
        r.startswith("evkit/report/")
        and r.lower().endswith((".html", ".htm", ".xhtml", ".xht", ".svg"))
        for r in ctx.files
    )


def _timestamps() -> Callable[[VerifyContext], CheckResult | None]:
    from evidence_kit.timestamp.rfc3161 import verify_check

    return verify_check


def _handover() -> Callable[[VerifyContext], CheckResult | None]:
    from evidence_kit.handover.export import verify_check

    return verify_check


def _report_pages() -> Callable[[VerifyContext], CheckResult | None]:
    from evidence_kit.verify.reportcheck import verify_check

    return verify_check


_STANDARD: tuple[LazyCheck, ...] = (
    LazyCheck("Trusted timestamps", _has_timestamp_events, _timestamps),
    LazyCheck("Handover record", _is_handover_package, _handover),
    LazyCheck("Report pages", _has_report_pages, _report_pages),
)


def standard_checks() -> tuple[LazyCheck, ...]:
    """The checks of (10) for every ``evkit verify`` (a case folder or a handover zip), in the
    order they are reported."""
    return _STANDARD
