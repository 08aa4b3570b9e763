"""Telegram sendMessage: body, token redaction, the one-time 429 wait, no blind retries."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
import responses
from responses import matchers

from shared.errors import ProviderAuthError, ProviderResponseError, TransientProviderError
from shared.providers.telegram import TelegramClient
from tests.helpers.provider_contract import TEST_POLICY, FakeSleep, load_fixture

BASE = "https://tg.example.test"
TOKEN = "7000000001:AAH-secret-token"
URL = f"{BASE}/bot{TOKEN}/sendMessage"


def _client(fake_sleep: FakeSleep, max_wait: float = 10.0) -> TelegramClient:
    return TelegramClient(
        bot_token=TOKEN,
        chat_id="-1001234567890",
        base_url=BASE,
        max_retry_after_secs=max_wait,
        policy=TEST_POLICY,
        sleep=fake_sleep,
    )


def test_send_posts_markdown_v2_without_link_previews(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.post(
        URL,
        json=load_fixture("telegram", "send_message"),
        match=[
            matchers.json_params_matcher(
                {
                    "chat_id": "-1001234567890",
                    "text": "Digest \\- nothing new",
                    "parse_mode": "MarkdownV2",
                    "link_preview_options": {"is_disabled": True},
                }
            )
        ],
    )
    result = _client(fake_sleep).send("Digest \\- nothing new")
    assert result.message_id == 4711
    assert result.chat_id == -1001234567890
    assert result.sent_at == datetime.fromtimestamp(1709640005, tz=UTC)


def test_429_within_the_limit_is_waited_out_once(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    rate_limited = load_fixture("telegram", "send_message_429") | {"parameters": {"retry_after": 3}}
    mocked_responses.post(URL, status=429, json=rate_limited)
    mocked_responses.post(URL, json=load_fixture("telegram", "send_message"))

    assert _client(fake_sleep).send("hi").message_id == 4711
    assert fake_sleep.calls and fake_sleep.calls[0] >= 3


def test_429_beyond_the_limit_gives_up_without_waiting(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.post(URL, status=429, json=load_fixture("telegram", "send_message_429"))
    with pytest.raises(TransientProviderError, match="retry after 35"):
        _client(fake_sleep, max_wait=10).send("hi")
    assert len(mocked_responses.calls) == 1 and fake_sleep.calls == []


def test_repeated_429_is_retried_only_once(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    rate_limited = load_fixture("telegram", "send_message_429") | {"parameters": {"retry_after": 1}}
    mocked_responses.post(URL, status=429, json=rate_limited)
    with pytest.raises(TransientProviderError):
        _client(fake_sleep).send("hi")
    assert len(mocked_responses.calls) == 2


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_are_not_retried_blindly(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep, status: int
) -> None:
    mocked_responses.post(URL, status=status, json={"ok": False, "error_code": status})
    with pytest.raises(TransientProviderError):
        _client(fake_sleep).send("hi")
    assert len(mocked_responses.calls) == 1


def test_bad_markdown_400_is_a_response_error(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.post(URL, status=400, json=load_fixture("telegram", "send_message_400"))
    with pytest.raises(ProviderResponseError, match="can't parse entities"):
        _client(fake_sleep).send("Digest - nothing new")


@pytest.mark.parametrize("status", [401, 404])
def test_bad_token_is_an_auth_error_and_never_shows_the_token(
    mocked_responses: responses.RequestsMock,
    fake_sleep: FakeSleep,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    mocked_responses.post(URL, status=status, json={"ok": False, "error_code": status})
    caplog.set_level(logging.DEBUG, logger="shared")
    with pytest.raises(ProviderAuthError) as excinfo:
        _client(fake_sleep).send("hi")
    assert TOKEN not in str(excinfo.value)
    assert "/bot<redacted>/sendMessage" in str(excinfo.value)
    assert TOKEN not in caplog.text and "/bot<redacted>/sendMessage" in caplog.text


def test_empty_text_and_missing_credentials_are_refused(fake_sleep: FakeSleep) -> None:
    with pytest.raises(ValueError, match="empty"):
        _client(fake_sleep).send("")
    with pytest.raises(ValueError, match="TELEGRAM_BOT_TOKEN"):
        TelegramClient(bot_token="", chat_id="1")
