"""``tb eval``: score forecasts, resolve ours, and write evaluation snapshots."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from functions.cli.options import (
    FeedChoice,
    artifacts_dir_option,
    as_of_option,
    pipeline_errors,
    seed_option,
)
from shared.evaluation.evaluator import NoValidRowsError, evaluate
from shared.evaluation.forecast_csv import ColumnNames, MissingColumnError, read_forecasts
from shared.evaluation.intervals import DEFAULT_RESAMPLES
from shared.evaluation.scoring import N_BINS

__all__ = ["group"]

_EVAL_AS_OF = as_of_option(required=True, help="Evaluation time (ISO-8601, UTC if no offset).")
_BOOTSTRAP = click.option(
    "--bootstrap",
    "n_resamples",
    default=DEFAULT_RESAMPLES,
    show_default=True,
    type=click.IntRange(1),
    help="Bootstrap resamples for the confidence intervals.",
)
_BOOTSTRAP_SEED = seed_option(default=0, help="Bootstrap seed.")


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, sort_keys=True, indent=2, allow_nan=False))


@click.group(name="eval")
def group() -> None:
    """Score forecasts: resolve ours, snapshot metrics, evaluate any forecasts CSV.

    Example:

        tb eval metrics --forecasts forecasts.csv
    """


@group.command(name="metrics")
@click.option(
    "--forecasts",
    "forecasts_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV with a probability column and a 0/1 outcome column.",
)
@click.option("--p-column", default="p", show_default=True, help="Probability column.")
@click.option("--y-column", default="y", show_default=True, help="Outcome (0/1) column.")
@click.option("--cohort-column", default="cohort", show_default=True, help="Cohort column.")
@click.option("--baseline-column", default="baseline", show_default=True, help="Baseline column.")
@click.option("--bins", "n_bins", default=N_BINS, show_default=True, type=click.IntRange(1))
@_BOOTSTRAP
@_BOOTSTRAP_SEED
def metrics_command(
    forecasts_path: Path,
    p_column: str,
    y_column: str,
    cohort_column: str,
    baseline_column: str,
    n_bins: int,
    n_resamples: int,
    seed: int,
) -> None:
    """Score any forecasts CSV and print the metrics as JSON (sorted keys).

    Prints n, brier, log_loss, base_rate, brier_skill_vs_climatology, calibration bins,
    bootstrap intervals (ci) and bad_rows (1-based line numbers, header = line 1); with a
    cohort column, per-cohort figures under cohorts; with a baseline column,
    brier_skill_vs_baseline. Bad rows are excluded, never coerced.

    Example:

        tb eval metrics --forecasts forecasts.csv

        tb eval metrics --forecasts market_questions_resolved.csv \\
            --p-column freeze_value --y-column resolved_to --cohort-column source
    """
    if not forecasts_path.is_file():
        raise click.BadParameter(f"file not found: {forecasts_path}", param_hint="--forecasts")
    columns = ColumnNames(p=p_column, y=y_column, cohort=cohort_column, baseline=baseline_column)
    try:
        with forecasts_path.open(newline="", encoding="utf-8-sig") as handle:
            table = read_forecasts(handle, columns)
        report = evaluate(table, n_bins=n_bins, n_resamples=n_resamples, seed=seed)
    except MissingColumnError as e:  # the column options name a column the file lacks
        raise click.UsageError(f"{forecasts_path}: {e}") from e
    except NoValidRowsError as e:
        raise click.ClickException(f"{forecasts_path}: {e}") from e
    except UnicodeDecodeError as e:
        raise click.ClickException(f"{forecasts_path}: not UTF-8 text ({e})") from e
    report["file"] = str(forecasts_path)
    _echo_json(report)


@group.command(name="ingest")
@artifacts_dir_option
@_EVAL_AS_OF
@click.option(
    "--feed",
    type=FeedChoice(extra=("live",)),
    default=None,
    help="Only forecasts made on this feed (default: all, each resolved on its own feed; "
    "replay is accepted for dataset).",
)
@pipeline_errors
def ingest_command(artifacts_dir: Path, as_of: datetime, feed: str | None) -> None:
    """Resolve forecasts whose horizon has passed into eval_runs/observations.csv.

    Each forecast is resolved on the feed it was made on: synthetic forecasts on the
    synthetic feed with their run's seed, dataset forecasts on the dataset (TB_DATA_DIR),
    live forecasts on Alpaca bars (needs APCA_API_KEY_ID and APCA_API_SECRET_KEY). A
    forecast whose feed is not available here stays unresolved with its reason
    (feed_unavailable, unknown_feed) and is never resolved on another feed. Polymarket
    comparisons recorded by universe runs on the live Polymarket source are resolved from
    Gamma once their end date has passed (no call is made when none is due).

    Idempotent: a second run at the same time adds nothing. Forecasts that cannot be
    resolved yet are listed with a reason in eval_runs/unresolved.csv. Prints the counts.
    --feed is a filter (it once chose the feed every forecast was resolved on).

    Example:

        tb eval ingest --artifacts-dir . --as-of 2024-01-08T00:00:00Z
    """
    from functions.eval.resolvers import default_resolvers, gamma_lookup
    from functions.eval.stages import run_ingest
    from shared.evaluation.resolve import FeedKind
    from shared.pipeline.live import load_settings
    from shared.providers.polymarket import PolymarketClient
    from shared.settings import install_redaction

    settings = load_settings()
    install_redaction(settings)
    summary = run_ingest(
        artifacts_dir, as_of=as_of, resolvers=default_resolvers(settings),
        only_feed=None if feed is None else FeedKind(feed),
        gamma=gamma_lookup(PolymarketClient.from_settings(settings)))
    _echo_json(summary)


def _snapshot(artifacts_dir: Path, as_of: datetime, kind: str, n_resamples: int,
              seed: int) -> None:
    from functions.eval.stages import run_snapshot

    folder, snapshot = run_snapshot(
        artifacts_dir, as_of=as_of, kind=kind, n_resamples=n_resamples, seed=seed)
    _echo_json(
        {
            "snapshot_dir": str(folder),
            "verdict": snapshot.metrics.verdict,
            "data_warning": snapshot.metrics.data_warning,
        }
    )


@group.command(name="run")
@artifacts_dir_option
@_EVAL_AS_OF
@_BOOTSTRAP
@_BOOTSTRAP_SEED
@pipeline_errors
def run_command(artifacts_dir: Path, as_of: datetime, n_resamples: int, seed: int) -> None:
    """Write the daily metrics snapshot eval_runs/<YYYYMMDDTHHMMSSZ>/ and a trend row.

    The folder holds metrics.json (with the verdict against climatology and its CI),
    calibration.csv, cohorts.csv, reliability.png and trend.png.

    Example:

        tb eval run --artifacts-dir . --as-of 2024-01-08T00:00:00Z
    """
    _snapshot(artifacts_dir, as_of, "daily", n_resamples, seed)


@group.command(name="weekly")
@artifacts_dir_option
@_EVAL_AS_OF
@_BOOTSTRAP
@_BOOTSTRAP_SEED
@pipeline_errors
def weekly_command(artifacts_dir: Path, as_of: datetime, n_resamples: int, seed: int) -> None:
    """Write the weekly snapshot eval_runs/<YYYYMMDDTHHMMSSZ>/ and a trend row.

    Same files as the daily snapshot, marked kind=weekly, with the last-7-days section.

    Example:

        tb eval weekly --artifacts-dir . --as-of 2024-01-08T00:00:00Z
    """
    _snapshot(artifacts_dir, as_of, "weekly", n_resamples, seed)


@group.command(name="regimes")
@artifacts_dir_option
@_EVAL_AS_OF
@click.option("--days", type=click.IntRange(min=1, max=400), default=91, show_default=True,
              help="Length of the period before --as-of (a quarter by default).")
@click.option("--window", type=click.IntRange(min=2, max=500), default=24, show_default=True,
              help="Forecasts of trailing history that set each forecast's regime.")
@pipeline_errors
def regimes_command(artifacts_dir: Path, as_of: datetime, days: int, window: int) -> None:
    """Write the quarterly regime report eval_runs/regimes/<YYYY>Q<n>.csv: per feed and
    asset, volatility (low/high) and trend (up/down) regimes, with n, the calls' hit rate and
    the calibration of p (mean p, up share, Brier), each rate with its Wilson 95% interval.
    Past data: a measurement of the past, not a prediction of live results.

    Example:

        tb eval regimes --artifacts-dir . --as-of 2026-04-01T00:00:00Z
    """
    from functions.eval.regimes import write_regime_report

    path, rows = write_regime_report(artifacts_dir, as_of=as_of, days=days, window=window)
    click.echo(json.dumps({"path": str(path), "rows": rows}, sort_keys=True))
