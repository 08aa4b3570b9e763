"""A live-mode cycle through every real client, against loopback servers standing in for
all five services, wired only through environment variables (as a workflow would)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from shared.contracts import ProviderState, SentimentLabel, Timeframe
from shared.providers._http import MemoryRecorder, RateLimit, TokenBucket
from shared.providers.alpaca import AlpacaMarketData
from shared.providers.hf_inference import FinbertScorer, LlmPolarityChecker
from shared.providers.perplexity import PerplexityNews
from shared.providers.polymarket import PolymarketClient
from shared.providers.telegram import TelegramClient
from shared.settings import Settings
from tests.helpers.loopback import LoopbackServer, Reply
from tests.helpers.provider_contract import TEST_POLICY, FakeSleep, load_fixture

NOW = datetime(2024, 3, 5, 12, tzinfo=UTC)


@pytest.fixture
def services() -> Iterator[dict[str, LoopbackServer]]:
    names = ("alpaca_data", "alpaca_trading", "perplexity", "hf", "telegram", "gamma", "clob")
    servers = {name: LoopbackServer().start() for name in names}
    servers["alpaca_data"].route(
        "GET",
        "/v2/stocks/bars",
        Reply(json=load_fixture("alpaca", "stock_bars_page1")),
        Reply(json=load_fixture("alpaca", "stock_bars_page2")),
    )
    servers["alpaca_data"].route(
        "GET", "/v1beta3/crypto/us/bars", Reply(json=load_fixture("alpaca", "crypto_bars"))
    )
    servers["alpaca_trading"].route("GET", "/v2/clock", Reply(json=load_fixture("alpaca", "clock")))
    servers["perplexity"].route(
        "POST", "/chat/completions", Reply(json=load_fixture("perplexity", "chat_completions"))
    )
    servers["hf"].route(
        "POST", "/models/ProsusAI/finbert", Reply(json=load_fixture("hf", "text_classification"))
    )
    servers["hf"].route(
        "POST", "/v1/chat/completions", Reply(json=load_fixture("hf", "chat_completion"))
    )
    servers["telegram"].route("POST", "/bot*", Reply(json=load_fixture("telegram", "send_message")))
    servers["gamma"].route(
        "GET", "/public-search", Reply(json=load_fixture("polymarket", "public_search"))
    )
    servers["clob"].route("GET", "/book", Reply(json=load_fixture("polymarket", "book")))
    yield servers
    for server in servers.values():
        server.stop()


def test_live_cycle_through_every_client(
    monkeypatch: pytest.MonkeyPatch, services: dict[str, LoopbackServer]
) -> None:
    env = {
        "APCA_API_KEY_ID": "AK",
        "APCA_API_SECRET_KEY": "SK",
        "PPLX_API_KEY": "pplx-k",
        "HF_TOKEN": "hf_k",
        "TELEGRAM_BOT_TOKEN": "1:tok",
        "TELEGRAM_CHAT_ID": "-100",
        "APCA_API_DATA_URL": services["alpaca_data"].url,
        "APCA_API_BASE_URL": services["alpaca_trading"].url,
        "PPLX_BASE_URL": services["perplexity"].url,
        "TB_FINBERT_URL": f"{services['hf'].url}/models/ProsusAI/finbert",
        "TB_LLM_URL": f"{services['hf'].url}/v1",
        "TELEGRAM_API_URL": services["telegram"].url,
        "POLYMARKET_GAMMA_URL": services["gamma"].url,
        "POLYMARKET_CLOB_URL": services["clob"].url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert all(settings.has_keys_for(p) for p in ("alpaca", "perplexity", "hf_finbert", "telegram"))
    sleep = FakeSleep()
    recorder = MemoryRecorder()
    alpaca = AlpacaMarketData.from_settings(settings, policy=TEST_POLICY, sleep=sleep)
    news = PerplexityNews.from_settings(
        settings, policy=TEST_POLICY, sleep=sleep, now=lambda: NOW, recorder=recorder
    )
    finbert = FinbertScorer.from_settings(settings, policy=TEST_POLICY, sleep=sleep)
    llm = LlmPolarityChecker.from_settings(settings, policy=TEST_POLICY, sleep=sleep)
    poly = PolymarketClient.from_settings(settings, policy=TEST_POLICY, sleep=sleep)
    telegram = TelegramClient.from_settings(settings, policy=TEST_POLICY, sleep=sleep)

    start, end = datetime(2024, 3, 4, 14, tzinfo=UTC), datetime(2024, 3, 4, 18, tzinfo=UTC)
    frames = alpaca.bars(
        ["AAPL", "MSFT", "BTC-USD", "ETH-USD"], start=start, end=end, timeframe=Timeframe.HOUR
    )
    assert alpaca.clock().is_open is False
    narratives = news.narratives(["AAPL", "BTC-USD"], start=NOW - timedelta(days=2), end=NOW)
    scores = finbert.score([n.headline for n in narratives])
    verdict = llm.check(narratives[0].headline)
    market = poly.search("bitcoin").events[0].markets[0]
    book = poly.book(market.clob_token_ids[0])
    sent = telegram.send("Digest \\- 2 narratives")

    assert {s: len(f) for s, f in frames.items()} == {
        "AAPL": 4,
        "MSFT": 4,
        "BTC-USD": 4,
        "ETH-USD": 4,
    }
    assert len(narratives) == 2 and len(scores) == 2
    assert verdict.label is SentimentLabel.NEGATIVE
    assert book.best_ask == 0.35 and sent.message_id == 4711
    assert len(recorder.calls) == 1
    statuses = [c.status() for c in (alpaca, news, finbert, llm, poly, telegram)]
    assert all(s.state is ProviderState.OK for s in statuses), statuses
    assert [s.requests for s in statuses] == [4, 1, 2, 1, 2, 1]  # FinBERT: two texts
    assert services["alpaca_data"].requests[0].headers["apca-api-key-id"] == "AK"


def test_concurrent_callers_share_one_bucket_and_stay_inside_the_limit() -> None:
    limit = RateLimit(requests=10, per_secs=0.5, burst=2)
    bucket = TokenBucket(limit)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stamps.sort()
    assert len(stamps) == 18
    for i, first in enumerate(stamps):
        in_window = sum(1 for t in stamps[i:] if t < first + limit.per_secs - 0.02)
        assert in_window <= limit.requests
