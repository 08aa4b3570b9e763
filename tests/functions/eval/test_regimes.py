"""Quarterly regime report: regimes from point-in-time closes, per feed and asset, hit rate
and calibration by regime with Wilson intervals and n; tb eval regimes writes a valid CSV."""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from functions.cli import cli
from functions.eval.regimes import REGIME_COLUMNS, regime_rows
from shared.evaluation.records import (
    OBSERVATION_COLUMNS,
    Observation,
    ObservationStatus,
    observation_row,
)
from shared.store.csvfile import csv_text
from shared.store.validate import validate_tree

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _obs(i: int, close: float, *, y: int, feed: str = "synthetic", symbol: str = "BTC-USD",
         called: bool = False, direction: str = "up", p: float = 0.6) -> Observation:
    as_of = T0 + timedelta(hours=i)
    return Observation(
        forecast_id=f"{i:016x}:{symbol}:{feed}", source="tracer_run", feed=feed,
        run_id=f"{i:016x}", symbol=symbol, asset_class="crypto", bot="divergence",
        bot_version="2.0.0", direction=direction, strength=0.5, as_of=as_of, horizon_hours=12,
        target_at=as_of + timedelta(hours=12), p=p, y=y, status=ObservationStatus.RESOLVED,
        baseline_kind="climatology", baseline_p=0.5, baseline_n=100, as_of_bar_end=as_of,
        as_of_close=close, target_bar_end=as_of + timedelta(hours=12), target_close=close,
        resolved_at=as_of + timedelta(hours=13),
        outcome_status="triggered" if called else "no_trigger")


def _series() -> list[Observation]:
    # 50 hours rising calmly, then 30 hours falling with large swings
    out = []
    for i in range(80):
        close = 100 * math.exp(0.001 * i) if i < 50 else \
            100 * math.exp(0.05 - 0.02 * (i - 50) + (0.05 if i % 2 else -0.05))
        out.append(_obs(i, close, y=1 if i < 50 else 0, called=i % 4 == 0,
                        direction="up" if i < 50 else "down"))
    return out


def test_regimes_separate_calm_rising_from_turbulent_falling() -> None:
    rows = regime_rows(_series(), start=T0, end=T0 + timedelta(days=5), window=6)
    by = {(r.regime_kind, r.regime): r for r in rows}
    assert set(by) == {("volatility", "low"), ("volatility", "high"), ("volatility", "warmup"),
                       ("trend", "up"), ("trend", "down"), ("trend", "warmup")}
    calm_end = T0 + timedelta(hours=50)
    assert all(o.as_of < calm_end for o in by["volatility", "low"].observations)
    assert all(o.as_of >= calm_end for o in by["volatility", "high"].observations)
    assert len(by["trend", "warmup"].observations) == 6
    cells = dict(zip(REGIME_COLUMNS, by["trend", "up"].cells(T0, T0 + timedelta(days=5)),
                     strict=True))
    n, calls, hits = int(cells["n"]), int(cells["calls"]), int(cells["hits"])
    assert n == len(by["trend", "up"].observations) and calls <= n and hits == calls
    assert float(cells["hit_rate_lo"]) < float(cells["hit_rate"]) == 1.0
    assert float(cells["up_share_lo"]) < float(cells["up_share"]) <= 1.0
    assert float(cells["up_share"]) > 0.9 and float(cells["brier"]) > 0


def test_feeds_are_never_pooled_and_the_period_is_honoured() -> None:
    series = _series() + [_obs(i, 100.0 + i, y=1, feed="live") for i in range(10)]
    rows = regime_rows(series, start=T0 + timedelta(hours=5), end=T0 + timedelta(hours=50),
                       window=6)
    assert {r.feed for r in rows} == {"synthetic", "live"}
    assert all(T0 + timedelta(hours=5) <= o.as_of < T0 + timedelta(hours=50)
               for r in rows for o in r.observations)
    assert all({o.feed for o in r.observations} == {r.feed} for r in rows)


def test_tb_eval_regimes_writes_a_valid_quarter_report(tmp_path: Path) -> None:
    folder = tmp_path / "eval_runs"
    folder.mkdir()
    (folder / "observations.csv").write_text(
        csv_text(OBSERVATION_COLUMNS, [observation_row(o) for o in _series()]))
    done = CliRunner().invoke(cli, ["eval", "regimes", "--artifacts-dir", str(tmp_path),
                                    "--as-of", "2026-01-05T00:00:00Z", "--days", "4",
                                    "--window", "6"])
    assert done.exit_code == 0, done.output
    report = tmp_path / "eval_runs" / "regimes" / "2026Q1.csv"
    with report.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["note"].startswith("past data") for r in rows)
    assert sum(int(r["n"]) for r in rows if r["regime_kind"] == "trend") == 80
    assert validate_tree(tmp_path)[1] == []
