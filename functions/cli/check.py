"""``tb check``: the nightly self-checks (report committed, job summary, alerts by tier)."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

import click

from functions.cli.monitor_options import (
    monitor_as_of,
    monitor_settings,
    now_or,
    workflows_dir_option,
    workflows_for,
)
from functions.cli.options import existing_artifacts_dir_option, pipeline_errors

__all__ = ["check_command"]


@click.command("check")
@existing_artifacts_dir_option
@monitor_as_of
@workflows_dir_option
@click.option("--alerts", "alerts_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Severity tiers → channels. Default: config/alerts.yaml.")
@click.option("--alert/--no-alert", default=True, show_default=True,
              help="Send alerts for failing checks.")
@click.option("--write/--no-write", default=True, show_default=True,
              help="Write eval_runs/checks/<date>.json.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pipeline_errors
def check_command(artifacts_dir: Path, as_of: datetime | None, workflows_dir: Path | None,
                  alerts_path: Path | None, alert: bool, write: bool, as_json: bool) -> None:
    """Check the system: artifacts valid, heartbeats, missed runs, degraded ratio, trend.

    Checks (tier): artifacts_valid (critical), heartbeat (critical), missed_runs (warning;
    Actions cron lateness tolerated: TB_CHECK_CRON_GRACE_MINS, default 90),
    degraded_ratio_24h (warning) and degraded_ratio_7d (critical) against
    TB_DEGRADED_BUDGET (default 0.01), hit_rate_trend (warning: TB_CHECK_TREND_WINDOW,
    TB_CHECK_TREND_DROP, TB_CHECK_TREND_MIN_N), autocommit (warning), provider_requests
    (warning). Writes eval_runs/checks/<date>.json and, in a workflow, the job summary;
    failing checks alert through the channels config/alerts.yaml gives their tier
    (Telegram when its keys are set, else printed). Exits 1 when a critical check fails.

    Example:

        tb check --artifacts-dir . --as-of 2026-03-09T03:00:00Z --no-alert
    """
    from functions.check.run import run_check
    from shared.monitor.alerts import load_routes
    from shared.pipeline.live import load_settings
    from shared.settings import install_redaction

    settings = monitor_settings()
    routes = None
    if alert:
        routes = load_routes(alerts_path)
    provider_settings = load_settings()
    install_redaction(provider_settings)
    result = run_check(
        artifacts_dir, now=now_or(as_of), workflows_dir=workflows_for(artifacts_dir, workflows_dir),
        settings=settings, routes=routes, provider_settings=provider_settings, write=write,
        summary_path=os.environ.get("GITHUB_STEP_SUMMARY") or None)
    report = result.report
    if as_json:
        click.echo(json.dumps(report.model_dump(mode="json"), sort_keys=True, indent=2))
    else:
        for check in report.checks:
            mark = "ok  " if check.ok else "FAIL"
            click.echo(f"{mark} {check.severity.value:<8} {check.name}: {check.summary}")
        if result.path is not None:
            click.echo(f"report: {result.path}", err=True)
    sys.exit(report.exit_code)
