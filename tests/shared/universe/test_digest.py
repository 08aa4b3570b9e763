"""The universe digest: exact MarkdownV2 text, number-free evidence, parts under the limit,
and the Actions step summary."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from functions.universe.run import finalize
from shared.contracts import (
    AssetClass,
    Direction,
    Evidence,
    OutcomeStatus,
    ProviderState,
    ProviderStatus,
    SignalOutcome,
)
from shared.contracts.universe import (
    PolymarketComparison,
    ProviderEvent,
    SymbolPolymarket,
    SymbolRecord,
    SymbolState,
    UniverseRun,
    UniverseSettings,
    UniverseShard,
)
from shared.render.telegram import MAX_MESSAGE_CHARS
from shared.universe.digest import render_step_summary, render_universe_digest
from tests.helpers.universe import AS_OF

SETTINGS = UniverseSettings(top_n=5, near_trigger_ratio=0.8, max_polymarket_lines=5,
                            max_listed_symbols=8, polymarket_enabled=True)


def _outcome(symbol: str, status: OutcomeStatus, rank: float,
             direction: Direction | None = None, confidence: str | None = None,
             lines: tuple[str, ...] = ()) -> SignalOutcome:
    evidence = tuple(Evidence(line=line, numbers={"x": 1.0}) for line in lines)
    return SignalOutcome(symbol=symbol, as_of=AS_OF, status=status, direction=direction,
                         confidence=confidence, rank_score=rank,
                         reason_codes=("DIV_TRIGGER",) if status is OutcomeStatus.TRIGGERED
                         else ("DIV_BELOW_THRESHOLD",), evidence=evidence,
                         evidence_lines=lines)


def _record(symbol: str, outcome: SignalOutcome | None, *, state: SymbolState =
            SymbolState.EVALUATED, codes: tuple[str, ...] = (),
            polymarket: SymbolPolymarket | None = None,
            events: tuple[ProviderEvent, ...] = ()) -> SymbolRecord:
    return SymbolRecord(symbol=symbol, asset_class=AssetClass.CRYPTO, name=symbol.split("-")[0]
                        .title(), state=state, outcome=outcome, inputs_digest="0" * 16,
                        reason_codes=codes or (outcome.reason_codes if outcome else ()),
                        polymarket=polymarket, provider_events=events)


def _comparison() -> PolymarketComparison:
    return PolymarketComparison(
        symbol="BTC-USD", as_of=AS_OF, market_id="600101",
        question="Will Bitcoin be above $100,000 on March 31?", kind="above",
        strike_usd=100_000.0, end_date=AS_OF + timedelta(days=28), model_hours=670.0,
        spot_usd=89_721.0, vol_hourly=0.007, narrative_score=0.4, internal_prob=0.248,
        market_prob=0.32, market_price_source="prices_history",
        market_price_at=AS_OF - timedelta(minutes=5), liquidity_usd=85_210.0,
        volume_usd=1_250_034.0)


def _records() -> tuple[SymbolRecord, ...]:
    failed = SignalOutcome(symbol="TSLA", as_of=AS_OF, status=OutcomeStatus.FAILED,
                           rank_score=0.0, reason_codes=("PROVIDER_TRANSIENT",))
    return (
        _record("1INCH-USD", _outcome("1INCH-USD", OutcomeStatus.TRIGGERED, 1.1,
                                      Direction.DOWN, "moderate", ("Volume is thin.",))),
        _record("AAPL", None, state=SymbolState.STALE, codes=("DATA_MARKET_CLOSED",)),
        _record("BTC-USD", _outcome(
            "BTC-USD", OutcomeStatus.TRIGGERED, 1.4, Direction.UP, "high",
            ("The narrative turned bullish while the price barely moved and the price lags "
             "it.", "The story is told by several sources.")),
            polymarket=SymbolPolymarket(discovered=3, excluded={"PM_AMBIGUOUS_QUESTION": 2},
                                        comparisons=(_comparison(),))),
        _record("ETH-USD", _outcome("ETH-USD", OutcomeStatus.NO_TRIGGER, 0.9, Direction.DOWN,
                                    "low", ("The narrative turned bearish while the price "
                                            "rose.",)), polymarket=SymbolPolymarket()),
        _record("SPY", _outcome("SPY", OutcomeStatus.NO_TRIGGER, 0.2)),
        _record("TSLA", failed, state=SymbolState.FAILED, codes=("PROVIDER_TRANSIENT",),
                events=(ProviderEvent(provider="alpaca", reason_code="PROVIDER_TRANSIENT",
                                      detail="503"),)),
    )


def _run(records: tuple[SymbolRecord, ...] = (), settings: UniverseSettings = SETTINGS
         ) -> UniverseRun:
    records = records or _records()
    symbols = tuple(r.symbol for r in records)
    partial = UniverseShard(
        as_of=AS_OF, seed=7, shard="0/1", shard_position=0, shard_count=1, feed="synthetic",
        git_sha="test", code_version="0.1.0", universe_digest="a" * 16,
        config_digest="b" * 16, universe_symbols=symbols, settings=settings,
        provider_setup=(
            ProviderStatus(provider="alpaca", state=ProviderState.OK),
            ProviderStatus(provider="polymarket", state=ProviderState.OFFLINE,
                           detail="recorded fixture"),
        ),
        polymarket_source="fixture", records=records)
    return finalize([partial]).run


EXPECTED = """\
*Tracer Bullet universe* 2026\\-03\\-03 18:00 UTC
*Calls*
⬆️ *BTC\\-USD* Btc: up, high confidence; no size; decided 2026\\-03\\-03 18:00 UTC
• The narrative turned bullish while the price barely moved and the price lags it\\.
• The story is told by several sources\\.
⬇️ *1INCH\\-USD* 1Inch: down, moderate confidence; no size; decided 2026\\-03\\-03 18:00 UTC
• Volume is thin\\.
*Near the threshold*
◽ *ETH\\-USD* Eth: leaning down, no call \\(the divergence is below the threshold\\)
• The narrative turned bearish while the price rose\\.
*Polymarket* \\(ours vs market, read at decision time\\)
📊 *BTC\\-USD* Will Bitcoin be above $100,000 on March 31? ours 25% vs market 32%
⚠️ health: degraded \\(PROVIDER\\_TRANSIENT\\); market closed: AAPL; failed: TSLA
\\(synthetic feed: says nothing about live markets\\)
trace `{run_id}`"""


def test_digest_exact_text_for_a_small_fixed_universe() -> None:
    run = _run()
    assert run.digest_parts == (EXPECTED.format(run_id=run.run_id),)
    assert render_universe_digest(run) == list(run.digest_parts)
    assert [e.symbol for e in run.ranking] == ["BTC-USD", "1INCH-USD", "ETH-USD"]
    assert run.counts.near_triggers == 1 and run.counts.stale == 1 and run.counts.failed == 1


def test_digest_evidence_lines_are_number_free_except_symbols() -> None:
    # A call's head line carries its numbers by design (probability, size, decision time);
    # evidence, near-trigger and health lines stay number-free (the numbers are in the run).
    run = _run()
    names = {n for r in run.symbols for n in (r.symbol.replace("-", "\\-"), r.name)}
    for line in run.digest_parts[0].splitlines():
        if line.startswith(("⬆️", "⬇️")):
            assert "confidence" in line and "decided" in line, line
        if line.startswith(("•", "◽", "⚠️ health", "health")):
            for name in names:  # a symbol (or its name) may hold digits: 1INCH-USD
                line = line.replace(name, "")
            assert not re.search(r"\d", line), line


def test_digest_splits_a_large_universe_under_the_limit() -> None:
    long_line = "The narrative turned bullish while the price barely moved and it lags it."
    records = tuple(
        _record(f"S{chr(65 + i % 26)}{chr(65 + i // 26)}-USD", _outcome(
            f"S{chr(65 + i % 26)}{chr(65 + i // 26)}-USD", OutcomeStatus.TRIGGERED,
            1.0 + i / 1000, Direction.UP, "high", (long_line,) * 6))
        for i in range(300))
    many = UniverseSettings(top_n=50, near_trigger_ratio=0.8, max_polymarket_lines=5,
                            max_listed_symbols=50, polymarket_enabled=True)
    run = _run(tuple(sorted(records, key=lambda r: r.symbol)), many)
    assert len(run.digest_parts) > 1
    assert all(len(part) <= MAX_MESSAGE_CHARS for part in run.digest_parts)
    assert run.digest_parts[-1].endswith(f"trace `{run.run_id}`")


def test_digest_with_no_calls_says_so() -> None:
    run = _run(tuple(r for r in _records() if r.symbol in ("AAPL", "SPY")))
    text = run.digest_parts[0]
    assert "No symbol crossed its threshold this hour\\." in text
    assert "*Calls*" not in text and "*Near the threshold*" not in text
    assert "health: ok; market closed: AAPL" in text


def test_step_summary_is_a_markdown_table_with_numbers() -> None:
    run = _run()
    summary = render_step_summary(run)
    assert summary.startswith("### Tracer Bullet universe, 2026-03-03T18:00:00Z\n")
    assert "| # | symbol | kind | status | direction | confidence | p_up | rank score |" \
        in summary
    assert "| 1 | BTC-USD | trigger | triggered | up | high |  | 1.40 |" in summary
    assert "| BTC-USD | Will Bitcoin be above $100,000 on March 31? | 25% | 32% | " \
        "2026-03-03T17:55:00Z |" in summary
    assert "**Health:** degraded: PROVIDER_TRANSIENT" in summary
    assert "**Stale:** AAPL" in summary and "**Failed:** TSLA" in summary


@pytest.mark.parametrize("question", ["a | b?"])
def test_step_summary_escapes_pipes(question: str) -> None:
    comparison = _comparison().model_copy(update={"question": question})
    records = tuple(
        r.model_copy(update={"polymarket": SymbolPolymarket(comparisons=(comparison,))})
        if r.symbol == "BTC-USD" else r for r in _records())
    assert "| a \\| b? |" in render_step_summary(_run(records))
