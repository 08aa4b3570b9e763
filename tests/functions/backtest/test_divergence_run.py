"""``tb backtest run``: the files under runs/backtests/<id>/ are byte-identical on a rerun,
the report validates against its published schema, and bad periods are clear errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from functions.cli import cli
from functions.study.run import run_study
from shared.backtest.divergence import BacktestConfig, run_backtest
from shared.backtest.divergence_report import HONESTY_LINE
from shared.contracts.backtest import BacktestReport
from shared.pipeline import Sources, SymbolJob
from shared.pipeline.settings import load_pipeline_settings
from shared.providers.synthetic import SyntheticFeed
from shared.reason_codes import default_registry
from shared.sentiment.offline import OfflineScorer
from shared.signal.engine import SignalEngine

ROOT = Path(__file__).resolve().parents[3]
ARGS = ["backtest", "run", "--feed", "synthetic", "--seed", "7",
        "--start", "2025-01-01T00:00:00Z", "--end", "2025-01-15T00:00:00Z"]


def _run(out: Path, *extra: str) -> tuple[dict[str, object], dict[str, bytes]]:
    result = CliRunner().invoke(cli, [*ARGS, *extra, "--artifacts-dir", str(out)])
    assert result.exit_code == 0, result.output
    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file()}
    return json.loads(result.output), files


def test_a_rerun_writes_the_same_bytes_and_prints_the_same_summary(tmp_path: Path) -> None:
    first, files = _run(tmp_path / "a")
    second, again = _run(tmp_path / "b")
    assert first == second and files == again
    folder = f"runs/backtests/{first['report_id']}"
    assert sorted(files) == [f"{folder}/{name}" for name in
                             ("equity.csv", "plot.png", "report.json", "report.md",
                              "trades.csv")]
    assert files[f"{folder}/plot.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert HONESTY_LINE in files[f"{folder}/report.md"].decode()
    assert first["triggers"] and first["hit_rate_ci"] is not None and first["resolved"]


def test_costs_change_the_id_and_the_equity(tmp_path: Path) -> None:
    free, _ = _run(tmp_path / "a", "--fee-bps", "0", "--slippage-bps", "0")
    paid, _ = _run(tmp_path / "b", "--fee-bps", "25", "--slippage-bps", "10")
    assert free["report_id"] != paid["report_id"]
    assert free["costs"] == 0.0 and paid["costs"] > 0.0  # type: ignore[operator]
    assert free["final_equity"] > paid["final_equity"]  # type: ignore[operator]


def test_the_report_validates_against_its_published_schema(tmp_path: Path) -> None:
    summary, files = _run(tmp_path)
    doc = json.loads(files[f"runs/backtests/{summary['report_id']}/report.json"])
    schema = json.loads((ROOT / "schemas" / "backtest_report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    report = BacktestReport.model_validate(doc, strict=False)
    assert report.note == HONESTY_LINE
    assert doc["trades"]["round_trips"] == len(
        files[f"runs/backtests/{summary['report_id']}/trades.csv"].splitlines()) - 1
    checked = CliRunner().invoke(cli, ["validate", "--artifacts-dir", str(tmp_path)])
    assert checked.exit_code == 0, checked.output


def test_a_period_without_data_is_an_error_not_an_empty_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["backtest", "run", "--start", "2017-06-01",
                                      "--end", "2017-07-01", "--artifacts-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "the data does not cover the period" in result.output
    assert not any(tmp_path.rglob("*.json"))


def test_end_before_start_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["backtest", "run", "--start", "2025-06-01",
                                      "--end", "2025-05-01", "--artifacts-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--end must not be before --start" in result.output


@pytest.mark.shared_data
def test_the_dataset_feed_is_traded_and_a_period_past_its_end_is_refused(tmp_path: Path
                                                                         ) -> None:
    result = CliRunner().invoke(cli, ["backtest", "run", "--feed", "dataset", "--start",
                                      "2022-01-05T00:00:00Z", "--end", "2022-01-20T00:00:00Z",
                                      "--artifacts-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["feed"] == "replay"
    late = CliRunner().invoke(cli, ["backtest", "run", "--feed", "dataset", "--start",
                                    "2022-08-01T00:00:00Z", "--end", "2023-01-01T00:00:00Z",
                                    "--artifacts-dir", str(tmp_path)])
    assert late.exit_code == 1
    assert "its last bar by --end 2023-01-01T00:00Z closes at" in late.output


def test_the_backtest_trades_the_very_triggers_tb_study_finds() -> None:
    # One decision path: the same walk, so the same triggers at the same times.
    settings = load_pipeline_settings()

    def job() -> SymbolJob:
        engine = SignalEngine(settings.signal, settings.bots, default_registry())
        return SymbolJob(symbol="BTC-USD", signal=settings.signal, engine=engine,
                         history_hours=settings.tracer.history_hours,
                         max_bar_age_hours=settings.tracer.max_bar_age_hours)

    feed = SyntheticFeed(3)
    sources = Sources("synthetic", feed, feed, OfflineScorer(), None)
    start, end = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 29, tzinfo=UTC)
    study = run_study(job(), start=start, end=end, sources=sources)
    result = run_backtest(job(), sources, BacktestConfig(start=start, end=end))
    assert [(t.as_of, t.direction) for t in result.triggers] == study.triggers
    assert len(study.triggers) > 0
    suppressed = sum(len(d.reason_codes) for d in result.decisions if d.status == "suppressed")
    assert suppressed == sum(study.suppressed.values())
