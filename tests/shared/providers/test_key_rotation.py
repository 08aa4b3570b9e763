"""Key rotation: several keys for one provider; a refused or spent key moves to the next one,
recorded with PROVIDER_KEY_ROTATED and never logged (responses stands in for Perplexity)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import responses
from responses import matchers

from shared.contracts import ProviderState
from shared.errors import ProviderAuthError
from shared.providers._http import KEY_ROTATED, MemoryRecorder, key_spent
from shared.providers.perplexity import PerplexityNews
from shared.reason_codes import default_registry
from shared.settings import Settings
from tests.helpers.provider_contract import TEST_POLICY, FakeSleep, load_fixture

BASE = "https://pplx.example.test"
NOW = datetime(2024, 3, 5, 12, tzinfo=UTC)
START = NOW - timedelta(days=2)
KEY1, KEY2, KEY3 = "pplx-FIRSTKEY-aaaa", "pplx-SECONDKEY-bbbb", "pplx-THIRDKEY-cccc"


def _client(fake_sleep: FakeSleep, *extra: str, recorder: MemoryRecorder | None = None
            ) -> PerplexityNews:
    return PerplexityNews(api_key=KEY1, extra_keys=extra, base_url=BASE, policy=TEST_POLICY,
                          sleep=fake_sleep, now=lambda: NOW, recorder=recorder)


def _answer(mock: responses.RequestsMock, key: str, status: int, body: str = "{}") -> None:
    mock.post(f"{BASE}/chat/completions", status=status, body=body,
              match=[matchers.header_matcher({"Authorization": f"Bearer {key}"})])


def _ok(mock: responses.RequestsMock, key: str) -> None:
    mock.post(f"{BASE}/chat/completions", json=load_fixture("perplexity", "chat_completions"),
              match=[matchers.header_matcher({"Authorization": f"Bearer {key}"})])


@pytest.mark.parametrize(("status", "body"), [
    (401, '{"error": "invalid api key"}'),
    (403, '{"error": "forbidden"}'),
    (402, '{"error": "payment required"}'),
    (429, '{"error": {"message": "You exceeded your current quota"}}'),
])
def test_a_refused_or_spent_key_moves_to_the_next_and_is_recorded_never_logged(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep,
    caplog: pytest.LogCaptureFixture, status: int, body: str,
) -> None:
    _answer(mocked_responses, KEY1, status, body)
    _ok(mocked_responses, KEY2)
    recorder = MemoryRecorder()
    caplog.set_level(logging.DEBUG)
    client = _client(fake_sleep, KEY2, recorder=recorder)

    narratives = client.narratives(["AAPL", "BTC-USD"], start=START, end=NOW)

    assert narratives
    status_doc = client.status()
    assert status_doc.state is ProviderState.DEGRADED
    assert status_doc.reason_codes == (KEY_ROTATED,)
    assert status_doc.requests == 2
    assert "key 1 of 2" in status_doc.detail and f"HTTP {status}" in status_doc.detail
    assert KEY_ROTATED in default_registry().degrading([KEY_ROTATED])  # a warning: looked at
    for secret in (KEY1, KEY2):
        assert secret not in caplog.text
        assert secret not in status_doc.detail
        assert all(secret not in (c.request + (c.response or "")) for c in recorder.calls)


def test_a_rate_limit_is_retried_on_the_same_key_not_rotated(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep,
) -> None:
    _answer(mocked_responses, KEY1, 429, '{"error": "too many requests, slow down"}')
    _ok(mocked_responses, KEY1)
    client = _client(fake_sleep, KEY2)
    assert client.narratives(["AAPL"], start=START, end=NOW)
    assert KEY_ROTATED not in client.status().reason_codes


def test_every_key_refused_fails_with_auth_after_trying_each_once(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep,
) -> None:
    for key in (KEY1, KEY2, KEY3):
        _answer(mocked_responses, key, 401)
    client = _client(fake_sleep, KEY2, KEY3)
    with pytest.raises(ProviderAuthError):
        client.narratives(["AAPL"], start=START, end=NOW)
    assert [c.request.headers["Authorization"] for c in mocked_responses.calls] == [
        f"Bearer {KEY1}", f"Bearer {KEY2}", f"Bearer {KEY3}"]
    assert client.status().state is ProviderState.FAILED


def test_one_key_behaves_as_before(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep,
) -> None:
    _answer(mocked_responses, KEY1, 401)
    with pytest.raises(ProviderAuthError):
        _client(fake_sleep).narratives(["AAPL"], start=START, end=NOW)
    assert len(mocked_responses.calls) == 1


def test_settings_give_the_keys_in_order_and_redact_each() -> None:
    settings = Settings(pplx_api_key=KEY1, pplx_api_key_3=KEY3)
    assert settings.keys_for("perplexity") == (KEY1, KEY3)
    assert set(settings.secret_values()) >= {KEY1, KEY3}
    client = PerplexityNews.from_settings(settings, policy=TEST_POLICY)
    assert client._keys == (KEY1, KEY3)


@pytest.mark.parametrize(("status", "text", "expected"), [
    (401, "", "refused"), (403, "", "refused"), (402, "", "exhausted"),
    (429, "insufficient credits", "exhausted"), (429, "rate limited", None),
    (500, "quota", None), (200, "", None),
])
def test_key_spent(status: int, text: str, expected: str | None) -> None:
    assert key_spent(status, text) == expected
