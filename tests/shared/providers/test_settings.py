"""Settings come from the environment only; secrets are redacted everywhere."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from shared.errors import ConfigError
from shared.settings import (
    RedactingFilter,
    Settings,
    install_redaction,
    uninstall_redaction,
)


@pytest.fixture(autouse=True)
def _no_leftover_redaction() -> Iterator[None]:
    yield
    uninstall_redaction()


def test_defaults_are_the_documented_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APCA_API_DATA_URL", "APCA_API_BASE_URL", "TB_FINBERT_URL", "TB_FINBERT_MODEL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.apca_api_data_url == "https://data.alpaca.markets"
    assert settings.apca_api_base_url == "https://paper-api.alpaca.markets"
    assert (
        settings.finbert_url == "https://router.huggingface.co/hf-inference/models/ProsusAI/finbert"
    )
    assert settings.polymarket_clob_url == "https://clob.polymarket.com"


def test_environment_overrides_urls_and_sets_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PPLX_BASE_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("TB_FINBERT_URL", "http://127.0.0.1:9998/finbert")
    monkeypatch.setenv("APCA_API_KEY_ID", "AK")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "SK")
    settings = Settings()
    assert settings.pplx_base_url == "http://127.0.0.1:9999"
    assert settings.finbert_url == "http://127.0.0.1:9998/finbert"
    assert settings.has_keys_for("alpaca")
    assert "SK" not in repr(settings)


def test_has_keys_for_each_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID", "HF_TOKEN", "PPLX_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(telegram_bot_token=SecretStr("t"))
    assert settings.has_keys_for("polymarket")
    assert not settings.has_keys_for("telegram")  # the chat id is missing
    assert not settings.has_keys_for("hf_finbert")
    with pytest.raises(ConfigError, match="unknown provider"):
        settings.has_keys_for("bloomberg")


def test_sanitize_replaces_every_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_abcdef")
    monkeypatch.delenv("PPLX_API_KEY", raising=False)
    dumped = Settings().sanitize()
    assert dumped["hf_token"] == "[REDACTED]"
    assert dumped["pplx_api_key"] is None
    assert "hf_abcdef" not in repr(dumped)


def test_install_redaction_scrubs_messages_args_and_tracebacks(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:SECRETTOKEN")
    install_redaction(Settings())
    log = logging.getLogger("some.library")
    with caplog.at_level(logging.DEBUG):
        log.debug("GET /bot%s/sendMessage", "123:SECRETTOKEN")
        try:
            raise RuntimeError("url /bot123:SECRETTOKEN/x")
        except RuntimeError:
            log.exception("failed")
    text = caplog.text + "".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "SECRETTOKEN" not in text
    assert "/bot[REDACTED]/sendMessage" in text


def test_redacting_filter_works_on_a_handler() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key=%s", ("hunter2-secret",), None)
    assert RedactingFilter(("hunter2-secret",)).filter(record)
    assert record.getMessage() == "key=[REDACTED]"


def test_short_values_are_not_scrubbed_so_logs_and_headlines_stay_intact() -> None:
    """A key set to "x" or "test" (a test harness's "any value") must not blank every x or
    test out of logs, records and headlines; real credentials are long and are scrubbed."""
    from shared.settings import Settings, redact

    settings = Settings(pplx_api_key="x", hf_token="hf_longer_token_123")
    assert settings.secret_values() == ("hf_longer_token_123",)
    text = "Bitcoin extends gains; token hf_longer_token_123 seen"
    assert redact(text, ("x", "hf_longer_token_123")) == (
        "Bitcoin extends gains; token [REDACTED] seen"
    )
