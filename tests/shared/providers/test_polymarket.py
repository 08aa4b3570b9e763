"""Polymarket Gamma and CLOB: requests pinned with query matchers, parsing of string types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import responses
from responses import matchers

from shared.errors import ProviderResponseError
from shared.providers.polymarket import PolymarketClient
from tests.helpers.provider_contract import TEST_POLICY, FakeSleep, load_fixture

GAMMA = "https://gamma.example.test"
CLOB = "https://clob.example.test"
TOKEN_ID = "71321045679252212594626385532706912750332728571942532289631379312455583992563"


def _client(fake_sleep: FakeSleep) -> PolymarketClient:
    return PolymarketClient(gamma_url=GAMMA, clob_url=CLOB, policy=TEST_POLICY, sleep=fake_sleep)


def test_markets_parse_double_encoded_lists_and_decimal_strings(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(
        f"{GAMMA}/markets",
        json=load_fixture("polymarket", "markets"),
        match=[
            matchers.query_param_matcher(
                {"limit": "100", "active": "true", "closed": "false", "slug": ["a", "b"]}
            )
        ],
    )
    [market] = _client(fake_sleep).markets(active=True, closed=False, slugs=["a", "b"])

    assert market.outcomes == ["Yes", "No"]
    assert market.outcome_prices == [0.345, 0.655]
    assert market.price_of("Yes") == 0.345
    assert market.clob_token_ids[0] == TOKEN_ID
    assert market.volume == pytest.approx(1823456.123456)  # "1823456.123456" on the wire
    assert market.end_date == datetime(2024, 12, 31, 12, tzinfo=UTC)
    assert market.condition_id and market.condition_id.startswith("0x")


def test_markets_with_misaligned_outcomes_are_rejected(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    market = load_fixture("polymarket", "markets")[0] | {"outcomePrices": '["0.3"]'}
    mocked_responses.get(f"{GAMMA}/markets", json=[market])
    with pytest.raises(ProviderResponseError, match="wrong shape"):
        _client(fake_sleep).markets()


def test_search_returns_events_with_markets(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(
        f"{GAMMA}/public-search",
        json=load_fixture("polymarket", "public_search"),
        match=[matchers.query_param_matcher({"q": "bitcoin 100k", "limit_per_type": "5"})],
    )
    result = _client(fake_sleep).search("bitcoin 100k", limit_per_type=5)
    assert result.has_more is False and result.total_results == 1
    assert result.events[0].markets[0].outcomes == ["Yes", "No"]


def test_events_default_to_open_ones(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(
        f"{GAMMA}/events",
        json=load_fixture("polymarket", "events"),
        match=[
            matchers.query_param_matcher({"limit": "10", "closed": "false", "tag_slug": "crypto"})
        ],
    )
    [event] = _client(fake_sleep).events(limit=10, tag_slug="crypto")
    assert event.title == "Bitcoin $100k in 2024?" and event.volume == pytest.approx(1823456.123456)


def test_book_parses_string_levels_and_finds_best_prices_regardless_of_order(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(
        f"{CLOB}/book",
        json=load_fixture("polymarket", "book"),
        match=[matchers.query_param_matcher({"token_id": TOKEN_ID})],
    )
    book = _client(fake_sleep).book(TOKEN_ID)
    assert book.best_bid == 0.34 and book.best_ask == 0.35
    assert book.bids[1].size == 820.5
    assert book.tick_size == 0.01
    assert book.timestamp == datetime.fromtimestamp(1709640000.123, tz=UTC)


def test_midpoint_and_price_history(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(
        f"{CLOB}/midpoint",
        json=load_fixture("polymarket", "midpoint"),
        match=[matchers.query_param_matcher({"token_id": TOKEN_ID})],
    )
    mocked_responses.get(
        f"{CLOB}/prices-history",
        json=load_fixture("polymarket", "prices_history"),
        match=[
            matchers.query_param_matcher(
                {
                    "market": TOKEN_ID,
                    "startTs": "1709596800",
                    "endTs": "1709604000",
                    "fidelity": "60",
                }
            )
        ],
    )
    client = _client(fake_sleep)
    assert client.midpoint(TOKEN_ID) == 0.345
    history = client.price_history(
        TOKEN_ID,
        start=datetime(2024, 3, 5, tzinfo=UTC),
        end=datetime(2024, 3, 5, 2, tzinfo=UTC),
        fidelity_mins=60,
    )
    assert [point.p for point in history] == [0.331, 0.338, 0.345]
    assert history[0].t == datetime(2024, 3, 5, tzinfo=UTC)


def test_price_history_rejects_interval_with_range(fake_sleep: FakeSleep) -> None:
    with pytest.raises(ValueError, match="mutually exclusive"):
        _client(fake_sleep).price_history(
            TOKEN_ID, interval="1d", start=datetime(2024, 3, 5, tzinfo=UTC)
        )


def test_unknown_token_404_is_a_response_error_not_retried(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(
        f"{CLOB}/book",
        status=404,
        json={"error": "No orderbook exists for the requested token id"},
    )
    with pytest.raises(ProviderResponseError, match="No orderbook"):
        _client(fake_sleep).book("123")
    assert len(mocked_responses.calls) == 1
