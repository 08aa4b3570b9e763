"""Every provider endpoint x every fault, through real loopback sockets and the real clients."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.contracts import Timeframe
from shared.providers.alpaca import AlpacaMarketData
from shared.providers.hf_inference import FinbertScorer, LlmPolarityChecker
from shared.providers.perplexity import PerplexityNews
from shared.providers.polymarket import PolymarketClient
from shared.providers.telegram import TelegramClient
from tests.helpers.loopback import Reply
from tests.helpers.provider_contract import (
    FAULT_CELLS,
    TEST_POLICY,
    Endpoint,
    FakeSleep,
    assert_cell,
    load_fixture,
)

START = datetime(2024, 3, 4, 14, tzinfo=UTC)
END = datetime(2024, 3, 4, 18, tzinfo=UTC)
NOW = datetime(2024, 3, 5, 12, tzinfo=UTC)
TOKEN_ID = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
BOT_TOKEN = "123456:TEST-bot-token"


def _alpaca(url: str, sleep: FakeSleep) -> AlpacaMarketData:
    return AlpacaMarketData(
        api_key_id="key",
        api_secret_key="secret",
        data_url=url,
        trading_url=url,
        policy=TEST_POLICY,
        sleep=sleep,
    )


def _pplx(url: str, sleep: FakeSleep) -> PerplexityNews:
    return PerplexityNews(
        api_key="pplx-test", base_url=url, policy=TEST_POLICY, sleep=sleep, now=lambda: NOW
    )


def _poly(url: str, sleep: FakeSleep) -> PolymarketClient:
    return PolymarketClient(gamma_url=url, clob_url=url, policy=TEST_POLICY, sleep=sleep)


def _bound(client: Any, call: Any) -> tuple[Any, Any]:
    return client, call


def _empty_frames(result: Any) -> None:
    assert all(frame.empty for frame in result.values()) and result


def _empty_list(result: Any) -> None:
    assert result == []


def _alpaca_stock(url: str, sleep: FakeSleep) -> tuple[Any, Any]:
    client = _alpaca(url, sleep)
    return _bound(
        client, lambda: client.bars(["AAPL"], start=START, end=END, timeframe=Timeframe.HOUR)
    )


def _alpaca_crypto(url: str, sleep: FakeSleep) -> tuple[Any, Any]:
    client = _alpaca(url, sleep)
    return _bound(
        client, lambda: client.bars(["BTC-USD"], start=START, end=END, timeframe=Timeframe.HOUR)
    )


def _alpaca_clock(url: str, sleep: FakeSleep) -> tuple[Any, Any]:
    client = _alpaca(url, sleep)
    return _bound(client, client.clock)


def _alpaca_calendar(url: str, sleep: FakeSleep) -> tuple[Any, Any]:
    client = _alpaca(url, sleep)
    return _bound(client, lambda: client.calendar(date(2024, 3, 4), date(2024, 3, 5)))


def _pplx_news(url: str, sleep: FakeSleep) -> tuple[Any, Any]:
    client = _pplx(url, sleep)
    return _bound(client, lambda: client.narratives(["AAPL", "BTC-USD"], start=START, end=NOW))


def _finbert(url: str, sleep: FakeSleep) -> tuple[Any, Any]:
    client = FinbertScorer(
        token="hf_test", url=f"{url}/models/ProsusAI/finbert", policy=TEST_POLICY, sleep=sleep
    )
    return _bound(client, lambda: client.score(["Apple fined by EU"]))


def _llm(url: str, sleep: FakeSleep) -> tuple[Any, Any]:
    client = LlmPolarityChecker(token="hf_test", url=f"{url}/v1", policy=TEST_POLICY, sleep=sleep)
    return _bound(client, lambda: client.check("Apple fined by EU"))


def _telegram(url: str, sleep: FakeSleep) -> tuple[Any, Any]:
    client = TelegramClient(
        bot_token=BOT_TOKEN,
        chat_id="-1001234567890",
        base_url=url,
        policy=TEST_POLICY,
        sleep=sleep,
    )
    return _bound(client, lambda: client.send("Digest \\- nothing new"))


def _poly_call(name: str) -> Any:
    def build(url: str, sleep: FakeSleep) -> tuple[Any, Any]:
        client = _poly(url, sleep)
        calls = {
            "search": lambda: client.search("bitcoin"),
            "markets": lambda: client.markets(active=True, closed=False),
            "events": lambda: client.events(),
            "book": lambda: client.book(TOKEN_ID),
            "midpoint": lambda: client.midpoint(TOKEN_ID),
            "history": lambda: client.price_history(TOKEN_ID, interval="1d", fidelity_mins=60),
        }
        return _bound(client, calls[name])

    return build


def _chat(content: str) -> dict[str, Any]:
    completion = load_fixture("perplexity", "chat_completions")
    completion["choices"][0]["message"]["content"] = content
    return completion


ENDPOINTS = (
    Endpoint(
        id="alpaca.stock_bars",
        method="GET",
        path="/v2/stocks/bars",
        build=_alpaca_stock,
        ok=Reply(json=load_fixture("alpaca", "stock_bars_page2") | {"bars": {"AAPL": []}}),
        wrong_shape=Reply(json={"bars": [1, 2]}),
        empty=Reply(json=load_fixture("alpaca", "stock_bars_empty")),
        check_empty=_empty_frames,
    ),
    Endpoint(
        id="alpaca.crypto_bars",
        method="GET",
        path="/v1beta3/crypto/us/bars",
        build=_alpaca_crypto,
        ok=Reply(json=load_fixture("alpaca", "crypto_bars") | {"bars": {}}),
        wrong_shape=Reply(json={"bars": {"BTC/USD": [{"t": "yesterday"}]}}),
        empty=Reply(json={"bars": {}, "next_page_token": None}),
        check_empty=_empty_frames,
    ),
    Endpoint(
        id="alpaca.clock",
        method="GET",
        path="/v2/clock",
        build=_alpaca_clock,
        ok=Reply(json=load_fixture("alpaca", "clock")),
        wrong_shape=Reply(json={"is_open": "maybe"}),
        empty=Reply(json={}),
    ),
    Endpoint(
        id="alpaca.calendar",
        method="GET",
        path="/v2/calendar",
        build=_alpaca_calendar,
        ok=Reply(json=load_fixture("alpaca", "calendar")),
        wrong_shape=Reply(json={"date": "2024-03-04"}),
        empty=Reply(json=[]),
        check_empty=_empty_list,
    ),
    Endpoint(
        id="perplexity.chat_completions",
        method="POST",
        path="/chat/completions",
        build=_pplx_news,
        ok=Reply(json=load_fixture("perplexity", "chat_completions")),
        wrong_shape=Reply(json={"choices": []}),
        empty=Reply(json=load_fixture("perplexity", "chat_completions_empty")),
        check_empty=_empty_list,
    ),
    Endpoint(
        id="hf_finbert.text_classification",
        method="POST",
        path="/models/ProsusAI/finbert",
        build=_finbert,
        ok=Reply(json=load_fixture("hf", "text_classification")),
        wrong_shape=Reply(json=[{"label": "positive", "score": 0.9}]),
        empty=Reply(json=[[]]),
    ),
    Endpoint(
        id="hf_llm.chat_completion",
        method="POST",
        path="/v1/chat/completions",
        build=_llm,
        ok=Reply(json=load_fixture("hf", "chat_completion")),
        wrong_shape=Reply(json=_chat('{"sentiment": "bullish"}')),
        empty=Reply(json=_chat("")),
    ),
    Endpoint(
        id="telegram.send_message",
        method="POST",
        path=f"/bot{BOT_TOKEN}/sendMessage",
        build=_telegram,
        idempotent=False,
        ok=Reply(json=load_fixture("telegram", "send_message")),
        wrong_shape=Reply(json={"ok": "yes", "result": 5}),
        empty=Reply(json={"ok": True}),
        rate_limited=Reply(
            status=429,
            json=load_fixture("telegram", "send_message_429") | {"parameters": {"retry_after": 2}},
        ),
    ),
    Endpoint(
        id="polymarket.public_search",
        method="GET",
        path="/public-search",
        build=_poly_call("search"),
        ok=Reply(json=load_fixture("polymarket", "public_search")),
        wrong_shape=Reply(json={"events": "bitcoin"}),
        empty=Reply(json={"events": [], "pagination": {"hasMore": False, "totalResults": 0}}),
        check_empty=lambda result: _empty_list(result.events),
    ),
    Endpoint(
        id="polymarket.markets",
        method="GET",
        path="/markets",
        build=_poly_call("markets"),
        ok=Reply(json=load_fixture("polymarket", "markets")),
        wrong_shape=Reply(json={"markets": []}),
        empty=Reply(json=[]),
        check_empty=_empty_list,
    ),
    Endpoint(
        id="polymarket.events",
        method="GET",
        path="/events",
        build=_poly_call("events"),
        ok=Reply(json=load_fixture("polymarket", "events")),
        wrong_shape=Reply(json=[{"title": "an event without an id"}]),
        empty=Reply(json=[]),
        check_empty=_empty_list,
    ),
    Endpoint(
        id="polymarket.book",
        method="GET",
        path="/book",
        build=_poly_call("book"),
        ok=Reply(json=load_fixture("polymarket", "book")),
        wrong_shape=Reply(json={"bids": "none"}),
        empty=Reply(json=load_fixture("polymarket", "book") | {"bids": [], "asks": []}),
        check_empty=lambda book: _empty_list(book.bids + book.asks),
    ),
    Endpoint(
        id="polymarket.midpoint",
        method="GET",
        path="/midpoint",
        build=_poly_call("midpoint"),
        ok=Reply(json=load_fixture("polymarket", "midpoint")),
        wrong_shape=Reply(json={"mid": "half"}),
        empty=Reply(json={}),
    ),
    Endpoint(
        id="polymarket.prices_history",
        method="GET",
        path="/prices-history",
        build=_poly_call("history"),
        ok=Reply(json=load_fixture("polymarket", "prices_history")),
        wrong_shape=Reply(json={"history": [{"t": "noon", "p": 0.5}]}),
        empty=Reply(json={"history": []}),
        check_empty=_empty_list,
    ),
)


def test_fault_matrix_covers_every_provider() -> None:
    providers = {endpoint.id.split(".")[0] for endpoint in ENDPOINTS}
    assert providers == {"alpaca", "perplexity", "hf_finbert", "hf_llm", "telegram", "polymarket"}


@pytest.mark.parametrize("cell", FAULT_CELLS, ids=lambda c: c.name)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_endpoint_under_fault_has_its_defined_outcome(endpoint: Endpoint, cell: Any) -> None:
    assert_cell(endpoint, cell)
