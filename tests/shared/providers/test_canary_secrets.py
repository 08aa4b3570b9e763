"""No secret ever reaches a log line, an exception, a recording or a file.

Canary values are injected for all six secrets through the environment; every client is
built from :class:`Settings` and run against loopback servers that fail in every way, and
that echo the credentials they received back in their error bodies.
"""

from __future__ import annotations

import itertools
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.contracts import Timeframe
from shared.errors import ProviderError
from shared.providers._http import MemoryRecorder
from shared.providers.alpaca import AlpacaMarketData
from shared.providers.hf_inference import FinbertScorer, LlmPolarityChecker
from shared.providers.perplexity import PerplexityNews
from shared.providers.polymarket import PolymarketClient
from shared.providers.telegram import TelegramClient
from shared.settings import Settings, install_redaction, uninstall_redaction
from tests.helpers.loopback import LoopbackServer, RecordedRequest, Reply
from tests.helpers.provider_contract import TEST_POLICY, FakeSleep

CANARIES = {
    "APCA_API_KEY_ID": "CANARY-apca-key-id-5f1e",
    "APCA_API_SECRET_KEY": "CANARY-apca-secret-9b2c",
    "PPLX_API_KEY": "pplx-CANARY-7d3a",
    "HF_TOKEN": "hf_CANARY4e8f",
    "TELEGRAM_BOT_TOKEN": "7000000001:CANARY-bot-token-1a2b",
    "TELEGRAM_CHAT_ID": "-100CANARY42",
}
URL_VARIABLES = (
    "APCA_API_DATA_URL",
    "APCA_API_BASE_URL",
    "PPLX_BASE_URL",
    "TELEGRAM_API_URL",
    "POLYMARKET_GAMMA_URL",
    "POLYMARKET_CLOB_URL",
)


def _echo(request: RecordedRequest) -> str:
    # What a careless server might send back: the credentials and path it received.
    seen = [request.path, request.body.decode("utf-8", "replace")]
    seen += [value for name, value in request.headers.items() if name != "host"]
    return " | ".join(seen)


def _failing_script() -> Callable[[RecordedRequest], Reply]:
    modes = itertools.cycle(
        [
            lambda r: Reply(status=401, json={"error": f"bad credentials: {_echo(r)}"}),
            lambda r: Reply(status=500, json={"error": f"internal: {_echo(r)}"}),
            lambda r: Reply(drop=True),
            lambda r: Reply(body=f"<html>{_echo(r)}"),
            lambda r: Reply(status=429, headers={"Retry-After": "1"}, json={"message": _echo(r)}),
            lambda r: Reply(status=400, json={"ok": False, "description": _echo(r)}),
            lambda r: Reply(delay_secs=1.0, json={}),
        ]
    )
    return lambda request: next(modes)(request)


@pytest.fixture
def failing_server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        script = _failing_script()
        server.route("GET", "/*", script)
        server.route("POST", "/*", script)
        yield server


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    uninstall_redaction()


def _run_every_client(settings: Settings, recorder: MemoryRecorder) -> list[ProviderError]:
    sleep = FakeSleep()
    common: dict[str, Any] = {"policy": TEST_POLICY, "sleep": sleep}
    alpaca = AlpacaMarketData.from_settings(settings, recorder=recorder, **common)
    news = PerplexityNews.from_settings(settings, recorder=recorder, **common)
    finbert = FinbertScorer.from_settings(settings, recorder=recorder, **common)
    llm = LlmPolarityChecker.from_settings(settings, recorder=recorder, **common)
    telegram = TelegramClient.from_settings(settings, **common)
    poly = PolymarketClient.from_settings(settings, **common)
    end = datetime(2024, 3, 5, tzinfo=UTC)
    calls: list[Callable[[], object]] = [
        lambda: alpaca.bars(
            ["AAPL", "BTC-USD"], start=end - timedelta(days=1), end=end, timeframe=Timeframe.HOUR
        ),
        alpaca.clock,
        lambda: alpaca.calendar(date(2024, 3, 4), date(2024, 3, 5)),
        lambda: news.narratives(["AAPL"], start=end - timedelta(days=1), end=end),
        lambda: finbert.score(["Apple fined by EU"]),
        lambda: llm.check("Apple fined by EU"),
        lambda: telegram.send("Digest"),
        lambda: poly.search("bitcoin"),
        lambda: poly.book("123"),
    ]
    errors: list[ProviderError] = []
    for call in calls * 4:
        try:
            call()
        except ProviderError as e:
            errors.append(e)
    for client in (alpaca, news, finbert, llm, telegram, poly):
        errors_detail = client.status().detail
        assert not any(c in errors_detail for c in CANARIES.values()), errors_detail
    return errors


def _assert_clean(text: str, where: str) -> None:
    for name, canary in CANARIES.items():
        assert canary not in text, f"{name} leaked into {where}"


@pytest.mark.parametrize("redaction", [True, False], ids=["redaction-installed", "no-redaction"])
def test_no_canary_secret_in_logs_errors_recordings_or_files(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failing_server: LoopbackServer,
    tmp_path: Path,
    redaction: bool,
) -> None:
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    for name in URL_VARIABLES:
        monkeypatch.setenv(name, failing_server.url)
    monkeypatch.setenv("TB_FINBERT_URL", f"{failing_server.url}/models/ProsusAI/finbert")
    monkeypatch.setenv("TB_LLM_URL", f"{failing_server.url}/v1")
    settings = Settings()
    if redaction:
        install_redaction(settings)
    caplog.set_level(logging.DEBUG)
    recorder = MemoryRecorder()

    errors = _run_every_client(settings, recorder)

    # The servers really did receive (and echo) the secrets, so the test can fail.
    received = " ".join(_echo(r) for r in failing_server.requests)
    assert all(canary in received for canary in CANARIES.values())
    assert len(errors) >= 30
    for error in errors:
        _assert_clean("".join(traceback.format_exception(error)), f"error {type(error).__name__}")
    artifact = tmp_path / "model_calls.json"
    artifact.write_text(
        json.dumps([call.model_dump(mode="json") for call in recorder.calls]), encoding="utf-8"
    )
    assert recorder.calls
    for path in tmp_path.rglob("*"):
        _assert_clean(path.read_text(encoding="utf-8"), str(path.name))
    records = (
        caplog.records if redaction else [r for r in caplog.records if r.name.startswith("shared")]
    )
    assert records
    for record in records:
        _assert_clean(record.getMessage() + (record.exc_text or ""), f"log line of {record.name}")
    if redaction:
        _assert_clean(caplog.text, "captured log text")
