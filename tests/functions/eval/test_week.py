"""A simulated week of scheduled evaluation runs on the synthetic feed, end to end."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import brier_score_loss

from functions.cli.eval import group
from functions.eval.persist import read_observations
from functions.eval.stages import run_ingest, run_snapshot
from shared.contracts import OutcomeStatus, Timeframe, format_utc
from shared.evaluation.render import reliability_png, trend_png
from shared.evaluation.resolve import ResolverRegistry
from shared.providers.synthetic import SyntheticFeed
from shared.store.csvfile import read_rows
from shared.store.layout import EvalPaths
from tests.helpers.eval_fixtures import T0, make_forecast, make_tracer_run, momentum_p, write_run

SEED = 7
SYMBOLS = ("BTC-USD", "ETH-USD", "SPY")
DAYS = 7


def _write_week_of_runs(root: Path) -> None:
    feed = SyntheticFeed(seed=SEED)
    history = feed.bars(
        SYMBOLS,
        start=T0 - timedelta(days=2),
        end=T0 + timedelta(days=DAYS),
        timeframe=Timeframe.HOUR,
    )
    for hour in range(0, 24 * DAYS, 2):
        as_of = T0 + timedelta(hours=hour)
        for symbol in SYMBOLS:
            forecast = make_forecast(symbol, as_of, momentum_p(history[symbol], as_of))
            write_run(root, make_tracer_run(forecast, as_of=as_of, symbol=symbol, feed="synthetic",
                                            status=OutcomeStatus.TRIGGERED))


def _simulate_with_functions(root: Path) -> None:
    feed = SyntheticFeed(seed=SEED)
    for day in range(1, DAYS + 1):
        as_of = T0 + timedelta(days=day)
        run_ingest(root, as_of=as_of, resolvers=ResolverRegistry.only("synthetic", feed))
        run_snapshot(root, as_of=as_of, kind="daily")
    run_snapshot(root, as_of=T0 + timedelta(days=DAYS), kind="weekly")


def _simulate_with_cli(root: Path) -> None:
    runner = CliRunner()

    def invoke(*args: str) -> None:
        result = runner.invoke(group, [*args, "--artifacts-dir", str(root)], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    for day in range(1, DAYS + 1):
        stamp = format_utc(T0 + timedelta(days=day))
        invoke("ingest", "--as-of", stamp, "--feed", "synthetic")
        invoke("run", "--as-of", stamp)
    invoke("weekly", "--as-of", format_utc(T0 + timedelta(days=DAYS)))


def _tree(root: Path) -> dict[str, bytes]:
    base = root / "eval_runs"
    return {
        str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    by_function = tmp_path_factory.mktemp("week_functions")
    by_cli = tmp_path_factory.mktemp("week_cli")
    for root in (by_function, by_cli):
        _write_week_of_runs(root)
    _simulate_with_functions(by_function)
    _simulate_with_cli(by_cli)
    return by_function, by_cli


def test_week_resolved_observations_written(week: tuple[Path, Path]) -> None:
    observations = read_observations(EvalPaths(week[0]).observations)
    # 24-hour forecasts every 2 hours: those made by day 6, 00:00 have resolved by day 7.
    assert len(observations) == len(SYMBOLS) * (12 * (DAYS - 1) + 1)
    assert all(o.status.value == "resolved" and o.baseline_p is not None for o in observations)


def test_week_weekly_snapshot_has_both_plots_and_tables(week: tuple[Path, Path]) -> None:
    folder = EvalPaths(week[0]).snapshot(T0 + timedelta(days=DAYS), "weekly")
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "metrics.json",
        "calibration.csv",
        "cohorts.csv",
        "reliability.png",
        "trend.png",
    }
    assert (folder / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (folder / "trend.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dimensions = {row["dimension"] for row in read_rows(folder / "cohorts.csv")}
    assert dimensions == {"asset_class", "symbol", "direction", "confidence_bucket", "bot_version"}
    assert len(read_rows(folder / "calibration.csv")) == 10


def test_week_trend_has_one_row_per_run(week: tuple[Path, Path]) -> None:
    rows = read_rows(EvalPaths(week[0]).trend)
    assert [row["kind"] for row in rows] == ["daily"] * DAYS + ["weekly"]
    assert [int(row["n"]) for row in rows] == sorted(int(row["n"]) for row in rows)


def test_week_verdict_plain_with_interval_and_synthetic_warning(week: tuple[Path, Path]) -> None:
    folder = EvalPaths(week[0]).snapshot(T0 + timedelta(days=DAYS), "weekly")
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["kind"] == "weekly"
    verdict = metrics["verdict"]
    assert verdict.startswith(("beats climatology:", "does not beat climatology:"))
    assert "95% bootstrap CI" in verdict
    lo, hi = metrics["price"]["ci"]["brier_skill_vs_climatology"]
    assert lo <= metrics["price"]["brier_skill_vs_climatology"] <= hi
    assert verdict.startswith("beats") == (lo > 0)
    assert "say nothing about live performance" in metrics["data_warning"]


def test_week_first_day_not_yet_meaningful(week: tuple[Path, Path]) -> None:
    folder = EvalPaths(week[0]).snapshot(T0 + timedelta(days=1))
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["verdict"].startswith("not yet meaningful (n < 50)")


def test_week_snapshot_brier_matches_sklearn(week: tuple[Path, Path]) -> None:
    observations = read_observations(EvalPaths(week[0]).observations)
    folder = EvalPaths(week[0]).snapshot(T0 + timedelta(days=DAYS), "weekly")
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    y = np.array([o.y for o in observations])
    p = np.array([o.p for o in observations])
    climatology = np.array([o.baseline_p for o in observations], dtype=float)
    assert abs(metrics["price"]["brier"] - brier_score_loss(y, p)) <= 1e-12
    assert metrics["price"]["brier_climatology"] == pytest.approx(
        brier_score_loss(y, climatology), abs=1e-12
    )


def test_week_cli_and_functions_byte_identical(week: tuple[Path, Path]) -> None:
    by_function, by_cli = _tree(week[0]), _tree(week[1])
    assert by_function.keys() == by_cli.keys()
    assert by_function == by_cli


def test_week_snapshot_rerun_same_bytes(week: tuple[Path, Path], tmp_path: Path) -> None:
    root = week[0]
    before = _tree(root)
    run_snapshot(root, as_of=T0 + timedelta(days=DAYS), kind="weekly")
    assert _tree(root) == before


def test_render_same_inputs_same_png_bytes() -> None:
    bins = [
        {"lo": k / 10, "hi": (k + 1) / 10, "count": k, "mean_p": k / 10 + 0.05, "freq_y": k / 10}
        for k in range(10)
    ]
    assert reliability_png({"price": bins}, title="t") == reliability_png(
        {"price": bins}, title="t"
    )
    rows = [
        {
            "as_of": f"2024-01-0{d}T00:00:00Z",
            "win_rate": "0.5",
            "win_rate_7d": "",
            "brier": "0.25",
            "brier_climatology": "0.25",
        }
        for d in range(1, 4)
    ]
    assert trend_png(rows, title="t") == trend_png(rows, title="t")
