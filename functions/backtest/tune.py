"""``tb backtest tune`` with its edges: config, feed, the study's storage and the reference
run written under ``runs/optimizer/<run_id>/result.json``; the tuning itself is
:mod:`shared.backtest.tuning`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from functions.backtest.walkforward import load_workload
from shared.backtest.tuning import TuneSpec, tune
from shared.contracts import format_utc
from shared.contracts.optimizer import OptimizerRun
from shared.store.layout import optimizer_run_path
from shared.store.write import json_file, write_artifacts

__all__ = ["run_tune"]


def run_tune(*, feed: str, seed: int, start: datetime, end: datetime,
             symbols: Sequence[str] | None, synthetic_edge: float | None, spec: TuneSpec,
             artifacts_dir: Path, block_hours: int | None, resamples: int,
             write: bool = True) -> tuple[OptimizerRun, Path | None]:
    """Tune, then write the reference run (unless ``write`` is False)."""
    work = load_workload(feed=feed, seed=seed, start=start, end=end, symbols=symbols,
                         synthetic_edge=synthetic_edge)
    data: dict[str, Any] = {"feed": work.feed, "symbols": [j.symbol for j in work.jobs],
                            "start": format_utc(start), "end": format_utc(end), "seed": seed}
    if work.feed == "synthetic":
        data["synthetic_edge"] = 1.0 if synthetic_edge is None else synthetic_edge
    else:
        files = work.settings.tracer.dataset
        data["dataset"] = {"bars": {s: files.bars[s] for s in data["symbols"] if s in files.bars},
                           "news": list(files.news), "fetch_delay_mins": files.fetch_delay_mins}
    result = tune(work.jobs, work.periods, start=start, end=end, spec=spec, data=data,
                  journal_dir=artifacts_dir / ".tb-cache" / "optuna",
                  block_hours=block_hours, resamples=resamples)
    if not write:
        return result, None
    rel = optimizer_run_path(result.run_id)
    write_artifacts(artifacts_dir, [json_file(rel, result)], label="the optimizer run")
    return result, artifacts_dir / rel
