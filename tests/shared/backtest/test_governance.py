"""Parameter governance: the verdict rule, old vs new parameters walked forward (one set
better, one worse), the carry-over of triggers at a parameter change, and
``tb backtest compare`` on a real temporary git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.backtest.compare import config_at
from functions.backtest.walkforward import load_workload
from shared.backtest.calls import job_with, walk_segments
from shared.backtest.governance import (
    MIN_RESOLVED,
    TOLERANCE,
    Side,
    carry_over,
    compare,
    summary_markdown,
    verdict,
)
from shared.backtest.walkforward import folds_of
from shared.contracts import Direction
from shared.errors import ConfigError
from tests.helpers.tree import tb

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2025, 5, 1, tzinfo=UTC)
# Overconfident p_up: same triggers and directions, far worse log-loss (the slope's prior
# sits at its bound, so the in-sample fit cannot pull it back to sense).
WORSE = {"divergence": {"logistic_slope": 10.0}}


def _report(resolved: int, log_loss: float | None, hit_rate: float | None) -> dict[str, Any]:
    return {"oos_resolved": resolved, "oos_log_loss": log_loss, "oos_hit_rate": hit_rate}


def test_verdict_rule() -> None:
    base = _report(40, 0.69, 0.55)
    assert verdict(base, _report(40, 0.69 + TOLERANCE / 2, 0.55))[0] == "not_worse"
    assert verdict(base, _report(40, 0.69 + 2 * TOLERANCE, 0.60))[0] == "worse"
    assert verdict(base, _report(40, 0.60, 0.45))[0] == "not_worse"  # hit rate does not gate
    assert verdict(base, _report(0, None, None))[0] == "worse"  # stopped signalling
    judged, why = verdict(_report(MIN_RESOLVED - 1, 0.7, 0.5), _report(40, 0.9, 0.3))
    assert judged == "inconclusive" and "too few" in why[0]


@pytest.fixture(scope="module")
def sides() -> tuple[Side, Side]:
    work = load_workload(feed="synthetic", seed=7, start=START, end=END,
                         symbols=["BTC-USD", "ETH-USD"], synthetic_edge=None)
    worse = tuple(job_with(job, WORSE) for job in work.jobs)
    return Side("configured", work.jobs, work.periods), Side("worse", worse, work.periods)


def test_worse_parameters_fail_and_better_ones_pass(sides: tuple[Side, Side]) -> None:
    good, bad = sides
    folds = folds_of(START, END, train_days=30, test_days=30, anchored=False)
    worse = compare(Side("base", good.jobs, good.periods), Side("head", bad.jobs, bad.periods),
                    folds, seed=7, resamples=100)
    assert worse["verdict"] == "worse", worse["reasons"]
    assert worse["head"]["oos_log_loss"] > worse["base"]["oos_log_loss"]
    better = compare(Side("base", bad.jobs, bad.periods), Side("head", good.jobs, good.periods),
                     folds, seed=7, resamples=100)
    assert better["verdict"] == "not_worse", better["reasons"]
    table = summary_markdown(worse, base_ref="main", head_ref="pr")
    assert "| log-loss |" in table and "worse" in table and "do" in table.split("\n")[-2]


def test_triggers_made_before_a_change_keep_their_cooldown_under_the_new_window(
        sides: tuple[Side, Side]) -> None:
    good, _ = sides
    base, period = good.jobs[0], good.periods[0]
    segment = next(walk_segments(base, period, [START + timedelta(days=20), END]))
    first = segment.calls[0]
    at = first.as_of + timedelta(hours=30)  # the change is merged 30 h after a trigger
    head = job_with(base, {"cooldown": {"cooldown_hours": 48}})
    switched = carry_over(base, head, period, at)
    # Outside the old 24 h window, inside the new 48 h one: the trigger still holds.
    assert (first.as_of, first.direction) in {
        (p.as_of, 1 if p.direction is Direction.UP else -1) for p in switched.prior_triggers}
    assert all(at - timedelta(hours=48) <= p.as_of < at for p in switched.prior_triggers)
    # A shorter new window drops it: nothing is re-decided, the window is the new one.
    shorter = carry_over(base, job_with(base, {"cooldown": {"cooldown_hours": 12}}), period, at)
    assert all(p.as_of >= at - timedelta(hours=12) for p in shorter.prior_triggers)
    assert first.as_of not in {p.as_of for p in shorter.prior_triggers}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
                        "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "config", repo / "config")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    path = repo / "config" / "bots" / "divergence.yaml"
    text = path.read_text(encoding="utf-8")
    assert "logistic_slope: 0.5 " in text
    path.write_text(text.replace("logistic_slope: 0.5 ", "logistic_slope: 10.0"),
                    encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "overconfident")
    return repo


def test_config_at_reads_each_ref(repo: Path, tmp_path: Path) -> None:
    old = config_at(repo, "HEAD~1", tmp_path / "old")
    new = config_at(repo, "HEAD", tmp_path / "new")
    assert "logistic_slope: 0.5" in (old / "bots" / "divergence.yaml").read_text()
    assert "logistic_slope: 10.0" in (new / "bots" / "divergence.yaml").read_text()
    with pytest.raises(ConfigError, match="git"):
        config_at(repo, "no-such-ref", tmp_path / "x")


def _compare(repo: Path, base: str, head: str, summary: Path) -> subprocess.CompletedProcess[str]:
    return tb("backtest", "compare", "--base", base, "--head", head, "--repo", str(repo),
              "--feed", "synthetic", "--symbol", "BTC-USD", "--symbol", "ETH-USD",
              "--start", "2025-01-01T00:00:00Z", "--end", "2025-05-01T00:00:00Z",
              "--train-days", "30", "--test-days", "30", "--resamples", "100",
              "--summary-out", str(summary), cwd=ROOT)


def test_cli_compare_on_a_real_repository(repo: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    worse = _compare(repo, "HEAD~1", "HEAD", summary)
    assert worse.returncode == 1, worse.stderr
    assert json.loads(worse.stdout)["verdict"] == "worse"
    assert "Parameter governance: worse" in summary.read_text(encoding="utf-8")
    better = _compare(repo, "HEAD", "HEAD~1", summary)
    assert better.returncode == 0, better.stderr
    assert json.loads(better.stdout)["verdict"] == "not_worse"
    missing = _compare(repo, "HEAD", "nope", summary)
    assert missing.returncode == 2 and "nope" in missing.stderr
