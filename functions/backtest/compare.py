"""``tb backtest compare --base REF --head REF``: the parameter-governance gate, locally and
in ``.github/workflows/governance.yml``. The config files (``config/``) of each git ref are
read with ``git show`` into a temporary directory and loaded like any config; the data is
the pinned datasets (or the synthetic feed); see :mod:`shared.backtest.governance`."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from functions.backtest.walkforward import WindowPlan, jobs_for
from shared.backtest.governance import Side, compare, summary_markdown
from shared.backtest.walkforward import fetch_periods, folds_of
from shared.errors import ConfigError
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import PipelineSettings, load_pipeline_settings

__all__ = ["config_at", "run_compare"]

CONFIG_DIR = "config"


def config_at(repo: Path, ref: str, target: Path) -> Path:
    """Write the ``config/`` tree of ``ref`` under ``target`` and return its path."""
    listing = _git(repo, "ls-tree", "-r", "--name-only", f"{ref}", "--", CONFIG_DIR)
    names = [n for n in listing.decode("utf-8").splitlines() if n.endswith((".yaml", ".yml"))]
    if not names:
        raise ConfigError(f"{ref}: no {CONFIG_DIR}/*.yaml files at this ref")
    for name in names:
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_git(repo, "show", f"{ref}:{name}"))
    return target / CONFIG_DIR


def _git(repo: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True,
                              check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ConfigError(f"git {args[0]} failed: {e}") from e
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(f"git {' '.join(args[:2])}: {detail[-1] if detail else 'failed'}")
    return done.stdout


def _side(label: str, settings: PipelineSettings, *, feed: str, seed: int,
          synthetic_edge: float | None, symbols: Sequence[str], start: datetime,
          end: datetime, data_config: PipelineSettings) -> Side:
    sources = build_offline_sources(feed, seed=seed, config=data_config,
                                    synthetic_edge=synthetic_edge)
    jobs = jobs_for(settings, symbols)
    return Side(label, jobs, tuple(fetch_periods(jobs, start, end, sources)))


def run_compare(*, repo: Path, base_ref: str, head_ref: str, feed: str, seed: int,
                start: datetime, end: datetime, symbols: Sequence[str] | None,
                synthetic_edge: float | None, plan: WindowPlan) -> tuple[dict[str, Any], str]:
    """Compare the parameters of two refs; returns the result and its Markdown summary.
    The data (dataset files) is the working tree's pinned config, the same for both."""
    data_config = load_pipeline_settings()
    with tempfile.TemporaryDirectory(prefix="tb-compare-") as tmp:
        base = load_pipeline_settings(config_at(repo, base_ref, Path(tmp) / "base"))
        head = load_pipeline_settings(config_at(repo, head_ref, Path(tmp) / "head"))
    chosen = list(symbols) if symbols else (sorted(data_config.tracer.dataset.bars)
                                            if feed != "synthetic" else
                                            [data_config.tracer.symbol])
    folds = folds_of(start, end, train_days=plan.train_days, test_days=plan.test_days,
                     anchored=plan.anchored)
    sides = [_side(label, settings, feed=feed, seed=seed, synthetic_edge=synthetic_edge,
                   symbols=chosen, start=start, end=end, data_config=data_config)
             for label, settings in (("base", base), ("head", head))]
    result = compare(sides[0], sides[1], folds, seed=seed, resamples=plan.resamples)
    result |= {"base_ref": base_ref, "head_ref": head_ref, "feed": feed}
    return result, summary_markdown(result, base_ref=base_ref, head_ref=head_ref)
