"""The tracer honours the exchange calendar like the universe: no AAPL decision on a Saturday."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from functions.tracer.app import run_tracer, symbol_calendar
from shared.contracts import OutcomeStatus
from shared.render.telegram import plain_text

SATURDAY = datetime(2026, 11, 21, 15, tzinfo=UTC)
TUESDAY_IN_SESSION = datetime(2026, 3, 3, 18, tzinfo=UTC)


def test_calendars_come_from_the_universe() -> None:
    assert symbol_calendar("AAPL") == "XNYS"
    assert symbol_calendar("BTC-USD") is None
    assert symbol_calendar("NOT-LISTED") is None


def test_aapl_on_a_saturday_is_market_closed_not_degraded(tmp_path: Path) -> None:
    out = run_tracer(seed=7, as_of=SATURDAY, artifacts_dir=tmp_path, symbol="AAPL",
                     notify=False)
    outcome = out.run.outcome
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.reason_codes == ("DATA_MARKET_CLOSED",)
    assert not out.run.manifest.degraded
    assert "AAPL no decision (market closed)" in plain_text(out.run.digest.parts[0])


def test_aapl_in_session_and_btc_on_a_saturday_decide(tmp_path: Path) -> None:
    aapl = run_tracer(seed=7, as_of=TUESDAY_IN_SESSION, artifacts_dir=tmp_path, symbol="AAPL",
                      notify=False)
    assert "DATA_MARKET_CLOSED" not in aapl.run.outcome.reason_codes
    btc = run_tracer(seed=7, as_of=SATURDAY, artifacts_dir=tmp_path, symbol="BTC-USD",
                     notify=False)
    assert btc.run.outcome.status is not OutcomeStatus.FAILED
