"""`tb simulate`: the scheduled loop (hourly runs, daily ingest, weekly snapshot) offline."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from functions.cli import cli
from shared.store.validate import validate_tree


def test_simulate_two_days_resolves_forecasts_and_writes_snapshots(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["simulate", "--seed", "3", "--start",
                                      "2026-06-01T00:00:00Z", "--days", "2", "--symbol",
                                      "BTC-USD", "--artifacts-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["tracer_runs"] == 49
    assert doc["observations"] > 0
    weekly = tmp_path / doc["snapshots"][-1]
    assert {p.name for p in weekly.iterdir()} >= {"metrics.json", "calibration.csv",
                                                  "cohorts.csv", "reliability.png", "trend.png"}
    assert (tmp_path / "eval_runs" / "trend.csv").is_file()
    metrics = json.loads((weekly / "metrics.json").read_text())
    # The headline scores the calls alone; the no-call rows are reported apart, per feed.
    cohorts = metrics["by_feed"]["synthetic"]
    assert metrics["headline_feed"] == "synthetic"
    assert sum(cohorts[name]["n"] for name in ("calls", "suppressed", "no_call")) == \
        doc["observations"]
    assert metrics["price"]["n"] == cohorts["calls"]["n"]
    if cohorts["calls"]["n"]:
        assert "Brier skill" in metrics["verdict"] and "CI" in metrics["verdict"]
    else:
        assert metrics["verdict"].startswith("no resolved forecasts yet")
    count, problems = validate_tree(tmp_path)
    assert problems == [], problems[:5]
