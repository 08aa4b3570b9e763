"""Trading hours: equities only on fresh bars in an NYSE session (holidays, half days, time
zones from exchange_calendars); crypto 24/7. Outside a session an equity is stale, not failed,
and that alone does not degrade the run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from functions.universe.app import run_universe
from shared.contracts import Timeframe
from shared.contracts.universe import SymbolState, UniverseRun
from shared.providers.synthetic import SyntheticFeed
from shared.universe.calendars import SessionFeed, SessionState, trading_hours
from tests.helpers.universe import SETTINGS, small_universe


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.mark.parametrize(("as_of", "state"), [
    ("2025-12-27T15:00:00Z", SessionState.CLOSED),   # Saturday
    ("2025-12-25T16:00:00Z", SessionState.CLOSED),   # Christmas, a weekday holiday
    ("2025-11-28T17:00:00Z", SessionState.OPEN),     # day after Thanksgiving, 12:00 ET
    ("2025-11-28T18:00:00Z", SessionState.OPEN),     # its 13:00 ET early close: last bar
    ("2025-11-28T19:00:00Z", SessionState.CLOSED),   # 14:00 ET: closed on the half day
    ("2025-12-01T14:00:00Z", SessionState.CLOSED),   # 09:00 ET, before the open
    ("2025-12-01T15:00:00Z", SessionState.OPENING),  # 10:00 ET: no session bar closed yet
    ("2025-12-01T21:00:00Z", SessionState.OPEN),     # 16:00 ET: the close, last bar decided
    ("2025-12-01T22:00:00Z", SessionState.CLOSED),
    ("2025-07-01T13:00:00Z", SessionState.CLOSED),   # 09:00 EDT (summer time)
    ("2025-07-01T14:30:00Z", SessionState.OPENING),  # 10:30 EDT: the 10:00 bar is still open
    ("2025-07-01T15:00:00Z", SessionState.OPEN),     # 11:00 EDT: the 10:00-11:00 bar closed
])
def test_xnys_session_state(as_of: str, state: SessionState) -> None:
    when = _utc(as_of)
    assert trading_hours("XNYS", when).state(when) is state


def test_session_feed_keeps_six_bars_a_day_and_three_on_the_half_day() -> None:
    feed = SessionFeed(SyntheticFeed(7), {"AAPL": "XNYS", "BTC-USD": None}.get)
    start, end = _utc("2025-11-24T00:00:00Z"), _utc("2025-12-02T00:00:00Z")
    frames = feed.bars(["AAPL", "BTC-USD"], start=start, end=end, timeframe=Timeframe.HOUR)
    per_day = frames["AAPL"].groupby(frames["AAPL"]["start"].dt.date).size().to_dict()
    day = datetime.fromisoformat
    assert per_day == {day("2025-11-24").date(): 6, day("2025-11-25").date(): 6,
                       day("2025-11-26").date(): 6, day("2025-11-28").date(): 3,
                       day("2025-12-01").date(): 6}
    first = frames["AAPL"].loc[frames["AAPL"]["start"].dt.date == day("2025-12-01").date()]
    assert first["start"].iloc[0] == pd.Timestamp("2025-12-01T15:00:00Z")  # 10:00 ET
    assert first["end"].iloc[-1] == pd.Timestamp("2025-12-01T21:00:00Z")  # 16:00 ET
    assert len(frames["BTC-USD"]) == 8 * 24  # crypto untouched


def test_session_hours_between_counts_only_open_market() -> None:
    hours = trading_hours("XNYS", _utc("2025-11-28T00:00:00Z"))
    # Friday 13:00 ET (half-day close) to Monday 16:00 ET: just Monday's 6.5 hours.
    assert hours.session_hours_between(_utc("2025-11-28T18:00:00Z"),
                                       _utc("2025-12-01T21:00:00Z")) == 6.5


def _run(tmp_path: Path, as_of: str) -> UniverseRun:
    universe = small_universe(tmp_path)
    outcome = run_universe(seed=7, as_of=_utc(as_of), artifacts_dir=tmp_path / "out",
                           universe=universe, settings=SETTINGS, notify=False,
                           progress_bar=False, code_sha="test")
    assert outcome.run is not None
    return outcome.run


@pytest.mark.parametrize("as_of", [
    "2025-12-27T15:00:00Z",  # Saturday
    "2025-12-25T16:00:00Z",  # NYSE holiday
    "2025-11-28T19:00:00Z",  # after the 13:00 ET half-day close
])
def test_equities_outside_session_are_stale_and_not_degraded(tmp_path: Path, as_of: str) -> None:
    run = _run(tmp_path, as_of)
    equities = ("AAPL", "GLD", "SPY", "TSLA")
    assert run.stale_symbols == equities
    for record in run.symbols:
        if record.symbol in equities:
            assert record.state is SymbolState.STALE
            assert record.reason_codes == ("DATA_MARKET_CLOSED",)
            assert record.outcome is None
        else:
            assert record.state is SymbolState.EVALUATED, record.symbol
    assert not run.manifest.degraded
    assert run.counts.stale == 4 and run.counts.evaluated == 3
    text = "\n".join(run.digest_parts)
    assert "market closed: AAPL, GLD, SPY, TSLA" in text
    assert "health: ok" in text


def test_equities_in_session_are_evaluated_on_fresh_bars(tmp_path: Path) -> None:
    run = _run(tmp_path, "2025-11-28T18:00:00Z")  # the half day's close
    for record in run.symbols:
        assert record.state is SymbolState.EVALUATED, (record.symbol, record.reason_codes)
        assert record.last_bar_end == _utc("2025-11-28T18:00:00Z")
    assert not run.manifest.degraded


def test_session_opening_is_stale_with_its_own_code(tmp_path: Path) -> None:
    run = _run(tmp_path, "2025-12-01T15:00:00Z")
    aapl = next(r for r in run.symbols if r.symbol == "AAPL")
    assert aapl.reason_codes == ("DATA_SESSION_OPENING",)
    assert not run.manifest.degraded
    assert "session opening: AAPL, GLD, SPY, TSLA" in "\n".join(run.digest_parts)


def test_crypto_with_old_bars_is_stale_and_degrades(tmp_path: Path) -> None:
    universe = small_universe(tmp_path)
    from functions.universe.build import build_universe_sources

    sources = build_universe_sources("synthetic", seed=7, config=universe, tracer=SETTINGS)

    class _Lagging:
        name = "synthetic"

        def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
                 timeframe: Timeframe) -> dict[str, pd.DataFrame]:
            lag = timedelta(hours=6) if "BTC-USD" in symbols else timedelta(0)
            return sources.market.bars(symbols, start=start, end=end - lag, timeframe=timeframe)

    import dataclasses

    lagging = dataclasses.replace(sources, market=_Lagging())
    outcome = run_universe(seed=7, as_of=_utc("2025-12-27T15:00:00Z"),
                           artifacts_dir=tmp_path / "out", universe=universe, settings=SETTINGS,
                           sources=lagging, notify=False, progress_bar=False, code_sha="test")
    assert outcome.run is not None
    btc = next(r for r in outcome.run.symbols if r.symbol == "BTC-USD")
    assert btc.state is SymbolState.STALE and btc.reason_codes == ("DATA_STALE",)
    assert outcome.run.manifest.degraded_reasons == ("DATA_STALE",)
    assert "data late: BTC\\-USD" in "\n".join(outcome.run.digest_parts)
