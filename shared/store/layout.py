"""Where every artifact lives, relative to an artifacts root (the one place paths are spelled).

Layout::

    runs/<YYYY-MM-DD>/tracer-<run_id>.json            a tracer run (type tracer_run)
    runs/<YYYY-MM-DD>/tracer-<run_id>.inputs.json     its inputs record (type run_inputs)
    runs/<YYYY-MM-DD>/tracer-<run_id>.bars.parquet    the bars it decided on
    runs/backtests/<report_id>/                       a backtest: report.json (type
                                                      backtest_report), report.md,
                                                      trades.csv, equity.csv, plot.png
    universe_runs/<YYYY-MM-DD>/<run_id>.json          a universe run (type universe_run)
    universe_runs/metrics.csv                         one row per universe run id
    universe_runs/_shards/<as_of>-<digest>/shard-<i>-of-<n>.json   partials awaiting a merge
    eval_runs/observations.csv                        resolved forecasts, append-only
    eval_runs/unresolved.csv                          claims due but not resolvable yet
    eval_runs/ingest_log.csv                          one row per ingest as-of time
    eval_runs/trend.csv                               one row per snapshot (as_of, kind)
    eval_runs/<kind>/<YYYYMMDDTHHMMSSZ>/              a snapshot (kind daily or weekly, so the
                                                      two never share a folder): metrics.json,
                                                      CSVs, PNGs

Dates and stamps come from the run's as-of time, never the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

__all__ = [
    "ARTIFACT_ROOTS",
    "EVAL_DIR",
    "RUNS_DIR",
    "BACKTESTS_DIR",
    "SHARDS_DIR",
    "UNIVERSE_DIR",
    "UNIVERSE_METRICS",
    "OPTIMIZER_DIR",
    "EvalPaths",
    "backtest_dir",
    "day_dir",
    "days_between",
    "SNAPSHOT_KINDS",
    "eval_snapshot_dir",
    "optimizer_run_path",
    "shard_file_name",
    "shard_partial_path",
    "shard_set_dir",
    "snapshot_stamp",
    "tracer_run_paths",
    "universe_run_path",
]

RUNS_DIR = "runs"
UNIVERSE_DIR = "universe_runs"
EVAL_DIR = "eval_runs"
ARTIFACT_ROOTS = (RUNS_DIR, UNIVERSE_DIR, EVAL_DIR)
SHARDS_DIR = f"{UNIVERSE_DIR}/_shards"
UNIVERSE_METRICS = f"{UNIVERSE_DIR}/metrics.csv"
BACKTESTS_DIR = f"{RUNS_DIR}/backtests"
OPTIMIZER_DIR = f"{RUNS_DIR}/optimizer"


def optimizer_run_path(run_id: str) -> str:
    """A tuning run's result (its Optuna journal, when kept, sits beside it)."""
    return f"{OPTIMIZER_DIR}/{run_id}/result.json"


def day_dir(as_of: datetime) -> str:
    """The ``YYYY-MM-DD`` folder name of an as-of time."""
    return f"{as_of:%Y-%m-%d}"


def days_between(start: datetime, end: datetime) -> list[date]:
    """Every calendar day from ``start``'s to ``end``'s, inclusive (the day folders a
    look-back window touches)."""
    out, day = [], start.date()
    while day <= end.date():
        out.append(day)
        day += timedelta(days=1)
    return out


def tracer_run_paths(as_of: datetime, run_id: str) -> dict[str, str]:
    """A tracer run's files: ``{"run": ..., "inputs": ..., "bars": ...}``.

    Example: ``tracer_run_paths(t, "ab12...")["run"] == "runs/2026-03-02/tracer-ab12....json"``
    """
    base = f"{RUNS_DIR}/{day_dir(as_of)}/tracer-{run_id}"
    return {"run": f"{base}.json", "inputs": f"{base}.inputs.json", "bars": f"{base}.bars.parquet"}


def backtest_dir(report_id: str) -> str:
    """A backtest's folder: ``runs/backtests/<report_id>``."""
    return f"{BACKTESTS_DIR}/{report_id}"


def universe_run_path(as_of: datetime, run_id: str) -> str:
    """A universe run's file."""
    return f"{UNIVERSE_DIR}/{day_dir(as_of)}/{run_id}.json"


def shard_set_dir(as_of: datetime, universe_digest: str) -> str:
    """The folder of one run's shard partials."""
    return f"{SHARDS_DIR}/{as_of:%Y%m%dT%H%M%SZ}-{universe_digest}"


def shard_file_name(position: int, count: int) -> str:
    """The file name of shard ``position`` (``i mod n``) of ``count``."""
    return f"shard-{position}-of-{count}.json"


def shard_partial_path(as_of: datetime, universe_digest: str, position: int, count: int) -> str:
    """Where one shard partial lives."""
    return f"{shard_set_dir(as_of, universe_digest)}/{shard_file_name(position, count)}"


def snapshot_stamp(as_of: datetime) -> str:
    """``YYYYMMDDTHHMMSSZ`` of the as-of time in UTC."""
    return as_of.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


SNAPSHOT_KINDS = ("daily", "weekly")


def eval_snapshot_dir(as_of: datetime, kind: str = "daily") -> str:
    """The folder of the ``kind`` evaluation snapshot at ``as_of``: daily and weekly snapshots
    live apart (``eval_runs/daily/…``, ``eval_runs/weekly/…``), so one never overwrites the
    other."""
    if kind not in SNAPSHOT_KINDS:
        raise ValueError(f"unknown snapshot kind {kind!r} (choose from {SNAPSHOT_KINDS})")
    return f"{EVAL_DIR}/{kind}/{snapshot_stamp(as_of)}"


@dataclass(frozen=True)
class EvalPaths:
    """The evaluation files under an artifacts root, as absolute paths."""

    artifacts_dir: Path

    @property
    def root(self) -> Path:
        return self.artifacts_dir / EVAL_DIR

    @property
    def observations(self) -> Path:
        return self.root / "observations.csv"

    @property
    def unresolved(self) -> Path:
        return self.root / "unresolved.csv"

    @property
    def ingest_log(self) -> Path:
        return self.root / "ingest_log.csv"

    @property
    def trend(self) -> Path:
        return self.root / "trend.csv"

    def snapshot(self, as_of: datetime, kind: str = "daily") -> Path:
        """The ``kind`` snapshot folder for an as-of time."""
        return self.artifacts_dir / eval_snapshot_dir(as_of, kind)
