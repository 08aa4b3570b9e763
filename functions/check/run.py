"""``tb check``'s stage: compute every check at ``now``, write ``eval_runs/checks/<date>.json``
(one report per day: a re-run the same day replaces it), alert by tier, and render the job
summary. The checks themselves are :mod:`shared.monitor.checks`; this module does the I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shared.contracts import canonical_json
from shared.contracts.monitor import CheckReport
from shared.monitor.alerts import AlertRoutes, deliver
from shared.monitor.checks import (
    artifacts_check,
    autocommit_check,
    build_report,
    degraded_checks,
    heartbeat_check,
    missed_runs_check,
    provider_requests_check,
    trend_check,
)
from shared.monitor.health import MonitorSettings
from shared.monitor.series import CHECKS_DIR
from shared.monitor.status import stage_healths
from shared.settings import Settings
from shared.store.atomic import PendingFile
from shared.store.write import write_artifacts

__all__ = ["CheckRun", "check_report_path", "run_check", "summary_markdown"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckRun:
    """What one ``tb check`` did: the report and where it went."""

    report: CheckReport
    path: Path | None


def check_report_path(now: datetime) -> str:
    """``eval_runs/checks/<YYYY-MM-DD>.json``."""
    return f"{CHECKS_DIR}/{now.strftime('%Y-%m-%d')}.json"


def summary_markdown(report: CheckReport) -> str:
    """The job summary: one table row per check."""
    head = "passed" if report.ok else f"failing: {', '.join(report.failing)}"
    lines = [f"## tb check {report.as_of.strftime('%Y-%m-%dT%H:%M:%SZ')}: {head}", "",
             "| check | ok | tier | summary |", "|---|---|---|---|"]
    for check in report.checks:
        summary = check.summary.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {check.name} | {'yes' if check.ok else '**no**'} | "
                     f"{check.severity.value} | {summary} |")
    return "\n".join(lines) + "\n"


def run_check(
    artifacts_dir: Path,
    *,
    now: datetime,
    workflows_dir: Path,
    settings: MonitorSettings,
    routes: AlertRoutes | None,
    provider_settings: Settings,
    write: bool = True,
    summary_path: str | None = None,
    channels: Mapping[str, Callable[[str], str]] | None = None,
) -> CheckRun:
    """Run the checks, alert on failures (``routes`` None: no alerts), write the report."""
    health, series = stage_healths(artifacts_dir, now=now, settings=settings,
                                   workflows_dir=workflows_dir)
    checks = [
        artifacts_check(artifacts_dir),
        heartbeat_check(health, settings),
        missed_runs_check(health, settings),
        *degraded_checks(health, settings),
        trend_check(artifacts_dir, now=now, settings=settings),
        autocommit_check(artifacts_dir, series, now=now),
        provider_requests_check(series, now=now),
    ]
    report = build_report(checks, now=now)
    if routes is not None:
        alerts = deliver(report, routes, settings=provider_settings, summary_path=summary_path,
                         channels=channels)
        report = report.model_copy(update={"alerts": alerts})
    if summary_path:
        try:
            with Path(summary_path).open("a", encoding="utf-8") as handle:
                handle.write(summary_markdown(report))
        except OSError as e:
            logger.warning("job summary not written: %s", e.strerror)
    path = None
    if write:
        relpath = check_report_path(now)
        data = canonical_json(report.model_dump(mode="json")).encode("utf-8")
        write_artifacts(artifacts_dir, [PendingFile(relpath, data)],
                        label="an invalid check report")
        path = artifacts_dir / relpath
    logger.info("tb check at %s: %s", now, "ok" if report.ok else report.failing)
    return CheckRun(report, path)
