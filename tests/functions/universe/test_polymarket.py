"""Polymarket beside the model: question parsing, quality rules, the internal probability,
point-in-time prices, and the recorded fixture end to end."""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from responses import matchers

from functions.universe.app import run_universe
from functions.universe.polymarket_sources import FixturePolymarket, polymarket_slugs
from shared.contracts import Narrative
from shared.contracts.universe import PolymarketComparison
from shared.store.validate import validate_tree
from shared.universe.config import PolymarketRules
from shared.universe.polymarket import (
    MarketRecord,
    PriceObservation,
    Threshold,
    internal_probability,
    mentions,
    parse_threshold,
    price_at,
    prob_above,
    prob_touch,
    quality_exclusion,
)
from tests.helpers.data import data_file
from tests.helpers.universe import AS_OF, FIXTURE, SETTINGS, small_universe

RULES = PolymarketRules()

# Real questions, verbatim from the Gamma snapshot in the data dir (resolved_markets.csv).
REAL_QUESTIONS = [
    ("Ethereum above 2,250 on April 24, 12AM ET?", Threshold("above", 2250.0)),
    ("Bitcoin above 75,600 on April 24, 12AM ET?", Threshold("above", 75600.0)),
    ("Will Bitcoin reach $78,000 on April 24?", Threshold("reach", 78000.0)),
    ("Will Solana dip to $85 on April 24?", Threshold("dip", 85.0)),
    ("Will Apple (AAPL) hit (HIGH) $272 Week of April 20 2026?", Threshold("reach", 272.0)),
    ("Will Microsoft Corporation (MSFT) hit (LOW) $412.50 Week of April 20 2026?",
     Threshold("dip", 412.5)),
    ("Will Gold (XAUUSD) hit (LOW) $4,800 Week of April 20 2026?", Threshold("dip", 4800.0)),
    ("S&P 500 (SPY) closes above $715 on April 24?", Threshold("above", 715.0)),
    ("Will Tesla (TSLA) finish week of April 20 above $380?", Threshold("above", 380.0)),
    ("Will the price of XRP be less than $1.2 on April 24?", Threshold("below", 1.2)),
    ("Will the price of Ethereum be greater than $2,500 on April 24?",
     Threshold("above", 2500.0)),
    ("Will Bitcoin be above $120,000 on December 31?", Threshold("above", 120000.0)),
]
AMBIGUOUS = [
    "Bitcoin Up or Down - April 24 9:00AM-10:00AM ET",
    "Will the price of Bitcoin be between $76,000 and $78,000 on April 24?",
    "Will Tesla (TSLA) close at $380-$390 on the final day of trading of the week of April 20?",
    "Another S&P 500 All Time High by April 30?",
    "Will Procter & Gamble (PG) beat quarterly earnings?",
    "Nikkei 225 (NIK) Up or Down on April 24?",
    "Will Bitcoin hit $1m?",
]


@pytest.mark.parametrize(("question", "expected"), REAL_QUESTIONS)
def test_parse_threshold_real_questions(question: str, expected: Threshold) -> None:
    assert parse_threshold(question) == expected


@pytest.mark.parametrize("question", AMBIGUOUS)
def test_parse_threshold_ambiguous_questions_are_excluded(question: str) -> None:
    assert parse_threshold(question) is None


@pytest.mark.shared_data
def test_parse_threshold_over_the_real_gamma_snapshot() -> None:
    path = data_file("polymarket-gamma-resolved-snapshot-2026-04/resolved_markets.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        questions = [row["question"] for row in csv.DictReader(handle)
                     if row["category"] in ("Crypto", "Finance")]
    parsed = {q: parse_threshold(q) for q in questions}
    terminal = [q for q in questions if re.match(r"^(Bitcoin|Ethereum) above [\d,]+ on ", q)]
    assert len(terminal) > 200
    for question in terminal:
        number = float(re.search(r"above ([\d,]+)", question).group(1).replace(",", ""))  # type: ignore[union-attr]
        assert parsed[question] == Threshold("above", number), question
    for question in questions:
        if "Up or Down" in question or "between" in question:
            assert parsed[question] is None, question
        found = parsed[question]
        if "hit (HIGH)" in question:
            assert found is not None and found.kind == "reach", question
        if "hit (LOW)" in question:
            assert found is not None and found.kind == "dip", question
    share = sum(p is not None for p in parsed.values()) / len(parsed)
    assert 0.1 < share < 0.5  # most crypto/finance markets are up/down or ranges


def test_mentions_matches_whole_words_only() -> None:
    assert mentions("S&P 500 (SPY) closes above $715", ["spy"])
    assert mentions("Will the S&P 500 hit 7,000?", ["s&p 500"])
    assert not mentions("Will SPYX rally?", ["spy"])
    assert not mentions("Ethereal things", ["ether"])


def _market(**overrides: object) -> MarketRecord:
    fields: dict[str, object] = dict(
        market_id="1", question="Will Bitcoin be above $100,000 on March 31?",
        observed_at=AS_OF - timedelta(minutes=5), end_date=AS_OF + timedelta(days=20),
        active=True, closed=False, archived=False, accepting_orders=True,
        liquidity_usd=50_000.0, volume_usd=500_000.0, outcomes=("Yes", "No"),
        outcome_prices=(0.3, 0.7), clob_token_ids=("111", "222"))
    fields.update(overrides)
    return MarketRecord(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("overrides", "code"), [
    ({}, None),
    ({"closed": True}, "PM_NOT_TRADING"),
    ({"accepting_orders": False}, "PM_NOT_TRADING"),
    ({"outcomes": ("Up", "Down"), "clob_token_ids": ("1", "2")}, "PM_NOT_BINARY"),
    ({"liquidity_usd": 4_999.0}, "PM_LOW_LIQUIDITY"),
    ({"liquidity_usd": None}, "PM_LOW_LIQUIDITY"),
    ({"volume_usd": 9_999.0}, "PM_LOW_VOLUME"),
    ({"end_date": None}, "PM_RESOLUTION_OUT_OF_RANGE"),
    ({"end_date": AS_OF + timedelta(hours=5)}, "PM_RESOLUTION_OUT_OF_RANGE"),
    ({"end_date": AS_OF + timedelta(days=121)}, "PM_RESOLUTION_OUT_OF_RANGE"),
    ({"end_date": AS_OF - timedelta(days=1)}, "PM_RESOLUTION_OUT_OF_RANGE"),
])
def test_quality_rules(overrides: dict[str, object], code: str | None) -> None:
    assert quality_exclusion(_market(**overrides), AS_OF, RULES) == code


@given(st.floats(0.5, 2.0), st.floats(0.001, 0.02), st.floats(1.0, 2000.0),
       st.floats(-1.0, 1.0))
def test_internal_probability_in_unit_interval_and_monotone_in_strike(
        ratio: float, vol: float, hours: float, score: float) -> None:
    spot = 100.0
    values = [internal_probability(Threshold("above", spot * r), spot=spot, vol_hourly=vol,
                                   hours=hours, narrative_score=score, rules=RULES)
              for r in (ratio * 0.9, ratio, ratio * 1.1)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values[0] >= values[1] >= values[2]
    below = internal_probability(Threshold("below", spot * ratio), spot=spot, vol_hourly=vol,
                                 hours=hours, narrative_score=score, rules=RULES)
    assert below == pytest.approx(1.0 - values[1])


def test_internal_probability_at_the_money_short_horizon_is_a_coin() -> None:
    p = internal_probability(Threshold("above", 100.0), spot=100.0, vol_hourly=0.01,
                             hours=4.0, narrative_score=0.0, rules=RULES)
    assert p == pytest.approx(0.5, abs=0.01)


def test_narrative_tilt_moves_probability_its_way_and_is_capped() -> None:
    args = dict(spot=100.0, vol_hourly=0.01, hours=48.0)
    up = internal_probability(Threshold("above", 100.0), narrative_score=1.0, rules=RULES,
                              **args)
    down = internal_probability(Threshold("above", 100.0), narrative_score=-1.0, rules=RULES,
                                **args)
    assert up > 0.5 > down
    # m = tilt * score * vol * min(T, tilt_horizon): closed form check.
    drift = RULES.narrative_tilt * 0.01 * RULES.tilt_horizon_hours
    assert up == pytest.approx(prob_above(100.0, 100.0, 0.01, 48.0, drift))


def test_touch_probability_reflection_principle() -> None:
    sigma_t = 0.01 * math.sqrt(100.0)
    k = 100.0 * math.exp(sigma_t)  # one sigma away
    p = prob_touch(100.0, k, 0.01, 100.0)
    assert p == pytest.approx(2 * (1 - 0.8413447), abs=1e-6)
    assert p == pytest.approx(2 * prob_above(100.0, k, 0.01, 100.0, 0.5 * sigma_t**2), abs=1e-9)
    assert internal_probability(Threshold("reach", 90.0), spot=100.0, vol_hourly=0.01,
                                hours=10, narrative_score=None, rules=RULES) == 1.0
    assert prob_touch(100.0, 200.0, 0.01, 100.0) < prob_touch(100.0, 150.0, 0.01, 100.0)


def test_price_after_as_of_is_never_used() -> None:
    later = PriceObservation(AS_OF + timedelta(minutes=1), 0.9, "prices_history")
    assert price_at([later], AS_OF, timedelta(hours=6)) is None
    earlier = PriceObservation(AS_OF - timedelta(minutes=10), 0.4, "prices_history")
    assert price_at([later, earlier], AS_OF, timedelta(hours=6)) == earlier
    old = PriceObservation(AS_OF - timedelta(hours=7), 0.4, "prices_history")
    assert price_at([old], AS_OF, timedelta(hours=6)) is None


def test_comparison_contract_refuses_a_price_after_as_of() -> None:
    fields = dict(symbol="BTC-USD", as_of=AS_OF, market_id="1", question="q?", kind="above",
                  strike_usd=1.0, end_date=AS_OF + timedelta(days=1), model_hours=24.0,
                  spot_usd=1.0, vol_hourly=0.01, narrative_score=None, internal_prob=0.5,
                  market_prob=0.5, market_price_source="prices_history",
                  market_price_at=AS_OF + timedelta(seconds=1), liquidity_usd=1.0,
                  volume_usd=1.0)
    with pytest.raises(ValidationError, match="after as_of"):
        PolymarketComparison(**fields)  # type: ignore[arg-type]


def test_fixture_parses_real_wire_shapes() -> None:
    source = FixturePolymarket(FIXTURE)
    markets = source.discover("BTC-USD", ["Bitcoin"], AS_OF)
    assert len(markets) == 8
    first = next(m for m in markets if m.market_id == "600101")
    assert first.outcomes == ("Yes", "No") and first.outcome_prices == (0.31, 0.69)
    assert first.liquidity_usd == 85210.55 and first.yes_token is not None
    assert len(source.history(first.yes_token, AS_OF)) == 4


def test_polymarket_slugs_from_perplexity_links() -> None:
    urls = ["https://polymarket.com/event/what-price-will-bitcoin-hit-in-march-2026?tid=1",
            "https://example.com/x", "https://polymarket.com/event/what-price-will-bitcoin-hit"
            "-in-march-2026", "https://polymarket.com/en/event/bitcoin-above-on-march-31"]
    assert polymarket_slugs(urls) == ["what-price-will-bitcoin-hit-in-march-2026",
                                      "bitcoin-above-on-march-31"]


def test_fixture_end_to_end_compares_at_decision_time(tmp_path: Path) -> None:
    universe = small_universe(tmp_path)
    outcome = run_universe(seed=7, as_of=AS_OF, artifacts_dir=tmp_path / "out",
                           universe=universe, settings=SETTINGS, notify=False,
                           polymarket_fixture=FIXTURE, progress_bar=False, code_sha="test")
    run = outcome.run
    assert run is not None
    btc = next(r for r in run.symbols if r.symbol == "BTC-USD")
    assert btc.polymarket is not None
    compared = {c.market_id: c for c in btc.polymarket.comparisons}
    assert sorted(compared) == ["600101", "600102", "600201", "600202"]
    # 600101 has a history point at 18:30Z, after as-of: the 17:55Z point is used instead.
    assert compared["600101"].market_price_at == datetime(2026, 3, 3, 17, 55, tzinfo=UTC)
    assert compared["600101"].market_prob == 0.32
    assert compared["600102"].market_price_source == "outcome_price"
    assert btc.polymarket.excluded == {"PM_AMBIGUOUS_QUESTION": 1, "PM_LOW_LIQUIDITY": 1,
                                       "PM_NOT_TRADING": 1, "PM_RESOLUTION_OUT_OF_RANGE": 1}
    assert all(c.market_price_at <= run.as_of for r in run.symbols if r.polymarket
               for c in r.polymarket.comparisons)
    eth = next(r for r in run.symbols if r.symbol == "ETH-USD")
    assert eth.polymarket is not None
    assert eth.polymarket.excluded == {"PM_UNDERLYING_MISMATCH": 1}
    spy = next(r for r in run.symbols if r.symbol == "SPY")
    assert spy.polymarket is not None and spy.polymarket.discovered == 1  # not the index one
    tsla = next(r for r in run.symbols if r.symbol == "TSLA")
    assert tsla.polymarket is not None
    assert 0 < tsla.polymarket.comparisons[0].model_hours < 24 * 28  # trading hours
    assert run.polymarket.source == "fixture" and run.polymarket.status.state.value == "offline"
    text = "\n".join(run.digest_parts)
    assert "*Polymarket*" in text and "ours " in text and "% vs market " in text


def test_without_live_or_fixture_polymarket_is_skipped_and_absent(tmp_path: Path) -> None:
    universe = small_universe(tmp_path)
    outcome = run_universe(seed=7, as_of=AS_OF, artifacts_dir=tmp_path / "out",
                           universe=universe, settings=SETTINGS, notify=False,
                           progress_bar=False, code_sha="test")
    run = outcome.run
    assert run is not None
    assert run.polymarket.status.state.value == "skipped" and run.polymarket.source == "none"
    assert all(r.polymarket is None for r in run.symbols)
    assert "Polymarket" not in "\n".join(run.digest_parts)
    assert not run.manifest.degraded


class _DownPolymarket:
    label: Literal["fixture", "live"] = "live"
    detail = "gamma search"

    def discover(self, symbol: str, queries: object, as_of: datetime) -> list[MarketRecord]:
        from shared.errors import TransientProviderError

        raise TransientProviderError("gamma 503 after retries", provider="polymarket")

    def history(self, token_id: str, as_of: datetime) -> list[PriceObservation]:
        raise AssertionError("not reached")


def test_polymarket_failure_is_recorded_and_the_digest_omits_the_section(
        tmp_path: Path) -> None:
    import dataclasses

    from functions.universe.build import build_universe_sources
    from shared.contracts import ProviderState, ProviderStatus

    universe = small_universe(tmp_path)
    base = build_universe_sources("synthetic", seed=7, config=universe, tracer=SETTINGS)
    sources = dataclasses.replace(base, polymarket=_DownPolymarket(), polymarket_status=(
        ProviderStatus(provider="polymarket", state=ProviderState.OK, detail="gamma search")))
    outcome = run_universe(seed=7, as_of=AS_OF, artifacts_dir=tmp_path / "out",
                           universe=universe, settings=SETTINGS, sources=sources, notify=False,
                           progress_bar=False, code_sha="test")
    run = outcome.run
    assert run is not None
    assert run.polymarket.status.state is ProviderState.FAILED
    assert run.polymarket.status.reason_codes == ("PROVIDER_TRANSIENT",)
    assert run.manifest.degraded_reasons == ("PROVIDER_TRANSIENT",)
    assert all(r.state.value == "evaluated" for r in run.symbols)
    text = "\n".join(run.digest_parts)
    assert "*Polymarket*" not in text and "degraded \\(PROVIDER\\_TRANSIENT\\)" in text


class _StubClient:
    def __init__(self) -> None:
        self.history_calls: list[tuple[datetime | None, datetime | None]] = []

    def search(self, query: str, **kwargs: object) -> object:
        import json

        from shared.providers.polymarket_models import SearchResult

        doc = json.loads((FIXTURE / "search.json").read_text())
        return SearchResult.model_validate(doc["queries"][query.lower()])

    def events(self, **kwargs: object) -> list[object]:
        return []

    def price_history(self, token_id: str, *, start: datetime | None = None,
                      end: datetime | None = None, fidelity_mins: int | None = None
                      ) -> list[object]:
        self.history_calls.append((start, end))
        return []


def test_live_source_reads_history_up_to_as_of_and_never_the_live_snapshot() -> None:
    from functions.universe.polymarket_sources import LivePolymarket
    from shared.universe.polymarket import SymbolMarket, evaluate_markets

    client = _StubClient()
    now = AS_OF + timedelta(minutes=43)  # the cron fires after the hour it decides on
    live = LivePolymarket(client, limit=5, history_hours=6.0,  # type: ignore[arg-type]
                          now=lambda: now)
    markets = live.discover("BTC-USD", ["Bitcoin"], AS_OF)
    assert {m.observed_at for m in markets} == {now}
    token = next(m.yes_token for m in markets if m.market_id == "600102")
    assert token is not None
    assert live.history(token, AS_OF) == []
    assert client.history_calls == [(AS_OF - timedelta(hours=6), AS_OF)]
    state = SymbolMarket(symbol="BTC-USD", as_of=AS_OF, spot_usd=90_000.0, vol_hourly=0.007,
                         narrative_score=None, hours_to=lambda end: 100.0)
    result = evaluate_markets(state, markets, {}, ["bitcoin"], RULES)
    # Snapshot prices were read after as-of: every qualifying market lacks a usable price.
    assert result.comparisons == ()
    assert result.excluded["PM_NO_PRICE_AT_AS_OF"] == 4


GAMMA, CLOB = "https://gamma.test", "https://clob.test"


@pytest.fixture
def offline_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from shared.settings import uninstall_redaction

    for name in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "PPLX_API_KEY", "HF_TOKEN",
                 "TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLYMARKET_GAMMA_URL", GAMMA)
    monkeypatch.setenv("POLYMARKET_CLOB_URL", CLOB)
    monkeypatch.setenv("TB_HTTP_MAX_RETRIES", "0")
    yield
    uninstall_redaction()


@responses.activate
def test_live_run_reads_gamma_search_and_clob_history_up_to_as_of(
        tmp_path: Path, offline_keys: None) -> None:
    search = json.loads((FIXTURE / "search.json").read_text())["queries"]
    history = json.loads((FIXTURE / "prices_history.json").read_text())
    responses.get(f"{GAMMA}/public-search", json=search["bitcoin"],
                  match=[matchers.query_param_matcher({"q": "Bitcoin"}, strict_match=False)])
    responses.get(f"{GAMMA}/public-search", json={"events": []})
    end = str(int(AS_OF.timestamp()))
    for token, answer in history.items():
        responses.get(f"{CLOB}/prices-history", json=answer, match=[
            matchers.query_param_matcher({"market": token, "endTs": end}, strict_match=False)])
    responses.get(f"{CLOB}/prices-history", json={"history": []},
                  match=[matchers.query_param_matcher({"endTs": end}, strict_match=False)])
    universe = small_universe(tmp_path)
    outcome = run_universe(seed=7, as_of=AS_OF, artifacts_dir=tmp_path / "out", live=True,
                           universe=universe, settings=SETTINGS, notify=False,
                           progress_bar=False, code_sha="test")
    run = outcome.run
    assert run is not None and run.polymarket.source == "live"
    btc = next(r for r in run.symbols if r.symbol == "BTC-USD")
    assert btc.polymarket is not None
    compared = {c.market_id: c for c in btc.polymarket.comparisons}
    # Live snapshots are read after as-of, so only price-history points count.
    assert sorted(compared) == ["600101", "600201"]
    assert {c.market_price_source for c in compared.values()} == {"prices_history"}
    assert compared["600101"].market_price_at == datetime(2026, 3, 3, 17, 55, tzinfo=UTC)
    assert btc.polymarket.excluded["PM_NO_PRICE_AT_AS_OF"] == 2
    assert run.polymarket.status.state.value == "ok"


@responses.activate
def test_live_run_polymarket_down_degrades_without_crashing(
        tmp_path: Path, offline_keys: None) -> None:
    responses.get(f"{GAMMA}/public-search", status=503)
    universe = small_universe(tmp_path)
    outcome = run_universe(seed=7, as_of=AS_OF, artifacts_dir=tmp_path / "out", live=True,
                           universe=universe, settings=SETTINGS, notify=False,
                           progress_bar=False, code_sha="test")
    run = outcome.run
    assert run is not None
    assert run.polymarket.status.state.value == "failed"
    assert "PROVIDER_TRANSIENT" in run.manifest.degraded_reasons
    assert "*Polymarket*" not in "\n".join(run.digest_parts)
    assert validate_tree(tmp_path / "out")[1] == []


class _LinkNews:
    def narratives(self, symbols: object, *, start: datetime, end: datetime
                   ) -> list[Narrative]:
        return [Narrative(narrative_id="n1", headline="Traders bet on Bitcoin", source="wire",
                          url="https://polymarket.com/event/bitcoin-above-on-march-31",
                          symbols=("BTC-USD",), published_at=end, fetched_at=end)]


def test_perplexity_links_add_their_polymarket_events() -> None:
    from functions.universe.polymarket_sources import LivePolymarket
    from shared.providers.polymarket_models import GammaEvent

    class _Client(_StubClient):
        def search(self, query: str, **kwargs: object) -> object:
            from shared.providers.polymarket_models import SearchResult

            return SearchResult.model_validate({"events": []})

        def events(self, **kwargs: object) -> list[object]:
            doc = json.loads((FIXTURE / "search.json").read_text())
            event = doc["queries"]["bitcoin"]["events"][0]
            assert kwargs == {"slug": "bitcoin-above-on-march-31"}
            return [GammaEvent.model_validate(event)]

    live = LivePolymarket(_Client(), limit=5, history_hours=6.0,  # type: ignore[arg-type]
                          perplexity=_LinkNews())
    markets = live.discover("BTC-USD", ["Bitcoin"], AS_OF)
    assert [m.market_id for m in markets] == ["600101", "600102", "600103", "600104"]
