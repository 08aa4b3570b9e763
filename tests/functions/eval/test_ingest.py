"""eval_ingest: idempotent, append-only, point-in-time, nothing dropped silently."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from functions.eval.ingest import ingest
from functions.eval.persist import read_observations
from functions.eval.sources import tracer_run_claims
from functions.eval.stages import run_ingest
from shared.contracts import Timeframe
from shared.errors import TransientProviderError
from shared.evaluation.records import MarketClaim, MarketResolution
from shared.evaluation.resolve import ResolverRegistry
from shared.store.csvfile import read_rows
from shared.store.layout import EvalPaths
from tests.helpers.eval_fixtures import (
    T0,
    FrameFeed,
    make_forecast,
    make_tracer_run,
    random_walk_bars,
    write_run,
)

SYMBOLS = ("BTC-USD", "ETH-USD")
FRAMES = {
    symbol: random_walk_bars(T0 - timedelta(days=40), 24 * 60, seed=k)
    for k, symbol in enumerate(SYMBOLS)
}


def _on(feed: object) -> ResolverRegistry:
    """Forecasts recorded on the ``frames`` feed resolve on ``feed``."""
    return ResolverRegistry.only("frames", feed)  # type: ignore[arg-type]


def _write_runs(root: Path, as_ofs: Sequence[datetime]) -> None:
    for as_of in as_ofs:
        for symbol in SYMBOLS:
            forecast = make_forecast(symbol, as_of, 0.62)
            write_run(root, make_tracer_run(forecast, as_of=as_of, symbol=symbol, feed="frames"))


def _snapshot_files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "eval_runs").glob("*.csv"))}


def test_run_ingest_twice_adds_nothing(tmp_path: Path) -> None:
    _write_runs(tmp_path, [T0 + timedelta(hours=h) for h in range(0, 48, 6)])
    feed = FrameFeed(FRAMES)
    as_of = T0 + timedelta(days=2)
    first = run_ingest(tmp_path, as_of=as_of, resolvers=_on(feed))
    files = _snapshot_files(tmp_path)
    second = run_ingest(tmp_path, as_of=as_of, resolvers=_on(feed))
    assert first["resolved_new"] == 10 and first["not_due"] == 6
    assert second["resolved_new"] == 0 and second["already_final"] == 10
    assert _snapshot_files(tmp_path) == files


def test_run_ingest_later_run_appends_after_existing_rows(tmp_path: Path) -> None:
    _write_runs(tmp_path, [T0 + timedelta(hours=h) for h in range(0, 48, 6)])
    feed = FrameFeed(FRAMES)
    run_ingest(tmp_path, as_of=T0 + timedelta(days=1, hours=7), resolvers=_on(feed))
    paths = EvalPaths(tmp_path)
    before = paths.observations.read_bytes()
    run_ingest(tmp_path, as_of=T0 + timedelta(days=3), resolvers=_on(feed))
    after = paths.observations.read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    ids = [o.forecast_id for o in read_observations(paths.observations)]
    assert len(ids) == len(set(ids)) == 16


def test_run_ingest_stale_bars_counted_then_resolved_when_they_arrive(tmp_path: Path) -> None:
    _write_runs(tmp_path, [T0])
    as_of = T0 + timedelta(days=2)
    cut = {s: f[f["end"] <= T0 + timedelta(hours=12)] for s, f in FRAMES.items()}
    first = run_ingest(tmp_path, as_of=as_of, resolvers=_on(FrameFeed(cut)))
    paths = EvalPaths(tmp_path)
    assert first["unresolved"] == 2 and first["unresolved_reasons"] == {"stale_data": 2}
    assert [row["reason"] for row in read_rows(paths.unresolved)] == ["stale_data"] * 2
    assert read_observations(paths.observations) == []
    later = as_of + timedelta(hours=1)
    second = run_ingest(tmp_path, as_of=later, resolvers=_on(FrameFeed(FRAMES)))
    assert second["resolved_new"] == 2 and second["unresolved"] == 0
    assert read_rows(paths.unresolved) == []
    log = read_rows(paths.ingest_log)
    assert [row["unresolved_reasons"] for row in log] == ["stale_data=2", ""]


def test_run_ingest_unknown_symbol_counted_as_no_bars(tmp_path: Path) -> None:
    forecast = make_forecast("SOL-USD", T0, 0.4)
    write_run(tmp_path, make_tracer_run(forecast, as_of=T0, symbol="SOL-USD", feed="frames"))
    summary = run_ingest(tmp_path, as_of=T0 + timedelta(days=2), resolvers=_on(FrameFeed(FRAMES)))
    assert summary["unresolved_reasons"] == {"no_bars": 1}


def test_ingest_feed_asked_only_for_bars_closed_by_as_of() -> None:
    feed = FrameFeed(FRAMES)
    claims = [_price_claim(T0)]
    as_of = T0 + timedelta(days=2)
    ingest(claims, resolvers=_on(feed), as_of=as_of)
    assert len(feed.calls) == 1 and feed.calls[0][2] == as_of


def _price_claim(as_of: datetime):  # type: ignore[no-untyped-def]
    from shared.evaluation.records import PriceClaim

    return PriceClaim(
        "tracer_run", "0123456789abcdef", "frames", make_forecast("BTC-USD", as_of, 0.7)
    )


class _FailingFeed:
    name = "failing"

    def bars(
        self, symbols: Sequence[str], *, start: datetime, end: datetime, timeframe: Timeframe
    ) -> dict[str, pd.DataFrame]:
        raise TransientProviderError("timeout", provider="failing")


def test_ingest_transient_feed_failure_counted_not_raised() -> None:
    result = ingest([_price_claim(T0)], resolvers=_on(_FailingFeed()), as_of=T0 + timedelta(days=2))
    assert result.observations == ()
    assert result.unresolved_reasons == {"feed_error": 1}


def test_ingest_market_claims_voided_and_counted() -> None:
    close = T0 + timedelta(days=3)
    claims = [
        MarketClaim(str(k), "0123456789abcdef", T0, 0.6, 0.55, T0, "compare", "1") for k in range(3)
    ]
    resolutions = {
        "0": MarketResolution("0", True, '["Yes","No"]', '["1","0"]', close),
        "1": MarketResolution("1", True, '["Yes","No"]', '["0.5","0.5"]', close),
    }
    result = ingest(
        [], resolvers=_on(FrameFeed({})), as_of=close, market_claims=claims, resolutions=resolutions
    )
    summary = result.summary()
    assert summary["resolved_new"] == 1 and summary["voided_new"] == 1
    assert summary["unresolved_reasons"] == {"no_resolution_record": 1}


def test_ingest_duplicate_claims_counted_once() -> None:
    claim = _price_claim(T0)
    result = ingest([claim, claim], resolvers=_on(FrameFeed(FRAMES)), as_of=T0 + timedelta(days=2))
    assert result.duplicates == 1 and len(result.observations) == 1


def test_tracer_run_claims_skips_null_forecasts_and_other_files(tmp_path: Path) -> None:
    _write_runs(tmp_path, [T0])
    write_run(tmp_path, make_tracer_run(None, as_of=T0, symbol="SPY", feed="frames"))
    day = tmp_path / "runs" / "2024-01-01"
    (day / "latest.json").write_text(json.dumps({"run_id": "x"}), encoding="utf-8")
    (day / "x.inputs.json").write_text(json.dumps({"type": "run_inputs"}), encoding="utf-8")
    claims = tracer_run_claims(tmp_path)
    assert sorted(c.forecast.symbol for c in claims) == list(SYMBOLS)


def test_tracer_run_claims_invalid_run_skipped_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _write_runs(tmp_path, [T0])
    day = tmp_path / "runs" / "2024-01-01"
    (day / "tracer-bad.json").write_text(json.dumps({"type": "tracer_run"}), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="shared.store.readers"):
        claims = tracer_run_claims(tmp_path)
    assert sorted(c.forecast.symbol for c in claims) == list(SYMBOLS)
    assert "tracer-bad.json: invalid tracer_run" in caplog.text
