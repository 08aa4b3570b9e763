"""The shared policy: pure retry functions, the token bucket, the guard's breaker and status."""

from __future__ import annotations

import math

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st

from shared.contracts import ProviderState
from shared.errors import (
    CircuitOpenError,
    ProviderAuthError,
    ProviderResponseError,
    TransientProviderError,
)
from shared.providers._http import (
    BaseClient,
    HttpPolicy,
    MemoryRecorder,
    ProviderGuard,
    RateLimit,
    TokenBucket,
    TransientHttpError,
    parse_retry_after,
    retry_delay,
    should_retry,
)
from tests.helpers.provider_contract import TEST_POLICY, FakeSleep

P = "test"


@pytest.mark.parametrize(
    ("error", "idempotent", "expected"),
    [
        (TransientHttpError("5xx", provider=P, status_code=503), True, True),
        (TransientHttpError("5xx", provider=P, status_code=503), False, False),
        (TransientHttpError("read timeout", provider=P), False, False),
        (TransientHttpError("refused", provider=P, request_sent=False), False, True),
        (TransientHttpError("429", provider=P, status_code=429, retry_after_secs=2), False, True),
        (TransientHttpError("429", provider=P, status_code=429), False, False),
        (TransientProviderError("plain", provider=P), True, True),
        (CircuitOpenError("open", provider=P), True, False),
        (ProviderAuthError("401", provider=P), True, False),
        (ProviderResponseError("bad", provider=P), True, False),
        (ValueError("bug"), True, False),
    ],
)
def test_should_retry_only_transient_and_only_safe_when_not_idempotent(
    error: BaseException, idempotent: bool, expected: bool
) -> None:
    assert should_retry(error, idempotent=idempotent) is expected


def test_should_retry_refuses_a_retry_after_beyond_the_limit() -> None:
    error = TransientHttpError("429", provider=P, status_code=429, retry_after_secs=120)
    assert should_retry(error, max_retry_after_secs=60) is False
    assert should_retry(error, max_retry_after_secs=math.inf) is True


@given(
    attempt=st.integers(min_value=1, max_value=30),
    base=st.floats(min_value=0.01, max_value=5),
    cap=st.floats(min_value=0.01, max_value=60),
    jitter=st.floats(min_value=0, max_value=0.999),
)
def test_retry_delay_is_bounded_by_half_and_full_capped_backoff(
    attempt: int, base: float, cap: float, jitter: float
) -> None:
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delay = retry_delay(attempt, base_secs=base, max_secs=cap, random_fn=lambda: jitter)
    assert ceiling / 2 - 1e-9 <= delay <= ceiling + 1e-9


@given(
    attempt=st.integers(min_value=1, max_value=10),
    retry_after=st.floats(min_value=0, max_value=600),
)
def test_retry_delay_never_waits_less_than_retry_after(attempt: int, retry_after: float) -> None:
    delay = retry_delay(
        attempt, base_secs=0.5, max_secs=30, random_fn=lambda: 0.5, retry_after_secs=retry_after
    )
    assert delay >= retry_after


def test_retry_delay_grows_exponentially_without_jitter() -> None:
    delays = [
        retry_delay(n, base_secs=1, max_secs=8, random_fn=lambda: 0.0) for n in (1, 2, 3, 4, 5)
    ]
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), (" 10 ", 10.0), (None, None), ("", None), ("soon", None)],
)
def test_parse_retry_after_seconds_and_garbage(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date_in_the_past_is_zero() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, secs: float) -> None:
        self.now += secs


def test_token_bucket_allows_a_burst_then_paces_at_the_refill_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(
        RateLimit(requests=12, per_secs=60, burst=2), clock=clock, sleep=clock.sleep
    )
    waits = [bucket.acquire() for _ in range(5)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == pytest.approx([6.0, 6.0, 6.0])  # (12 - 2) / 60 s = 1 per 6 s


@given(
    requests=st.integers(min_value=2, max_value=300),
    burst_share=st.floats(min_value=0.0, max_value=0.9),
    calls=st.integers(min_value=1, max_value=400),
)
def test_token_bucket_never_exceeds_the_limit_in_any_window(
    requests: int, burst_share: float, calls: int
) -> None:
    burst = max(1, min(requests - 1, int(requests * burst_share)))
    limit = RateLimit(requests=requests, per_secs=60, burst=burst)
    clock = FakeClock()
    bucket = TokenBucket(limit, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(calls):
        bucket.acquire()
        times.append(clock.now)
    for i, start in enumerate(times):
        in_window = sum(1 for t in times[i:] if t < start + limit.per_secs - 1e-9)
        assert in_window <= requests


def test_rate_limit_rejects_a_burst_as_large_as_the_limit() -> None:
    with pytest.raises(ValueError):
        RateLimit(requests=5, per_secs=1, burst=5)


def test_guard_status_is_degraded_when_some_calls_failed() -> None:
    guard = ProviderGuard(P, TEST_POLICY, sleep=FakeSleep())
    assert guard.call(lambda: 1) == 1

    def fail() -> int:
        raise ProviderAuthError("HTTP 401", provider=P, status_code=401)

    with pytest.raises(ProviderAuthError):
        guard.call(fail)
    status = guard.status()
    assert status.state is ProviderState.DEGRADED
    assert status.reason_codes == ("PROVIDER_AUTH",)
    assert "HTTP 401" in status.detail


def test_guard_breaker_half_opens_after_reset_and_closes_on_success() -> None:
    policy = HttpPolicy(max_retries=0, breaker_fail_max=1, breaker_reset_timeout_secs=0)
    guard = ProviderGuard(P, policy, sleep=FakeSleep())

    def fail() -> int:
        raise TransientHttpError("HTTP 503", provider=P, status_code=503)

    with pytest.raises(TransientProviderError):
        guard.call(fail)
    assert guard.status().state is ProviderState.FAILED
    assert guard.call(lambda: 2) == 2  # reset timeout 0: the trial call goes through
    assert guard.breaker.current_state == "closed"


def test_guard_leaves_programming_errors_alone() -> None:
    guard = ProviderGuard(P, TEST_POLICY, sleep=FakeSleep())

    def bug() -> int:
        raise KeyError("oops")

    with pytest.raises(KeyError):
        guard.call(bug)
    assert guard.breaker.fail_counter == 0


class EchoClient(BaseClient):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(provider="echo", base_url="https://echo.example.test", **kwargs)  # type: ignore[arg-type]
        self._secrets = ("s3cr3t-value",)

    def get(self) -> object:
        return self._call("GET", "/x", lambda data: data, params={"q": "1"}, record_as="x")


def test_base_client_records_pairs_and_redacts_its_own_secrets(
    mocked_responses: responses.RequestsMock,
) -> None:
    mocked_responses.get("https://echo.example.test/x", status=500, body="leaked s3cr3t-value here")
    mocked_responses.get("https://echo.example.test/x", json={"ok": True})
    recorder = MemoryRecorder()
    client = EchoClient(policy=TEST_POLICY, sleep=FakeSleep(), recorder=recorder)

    assert client.get() == {"ok": True}

    assert [call.error is None for call in recorder.calls] == [False, True]
    assert "s3cr3t-value" not in (recorder.calls[0].error or "")
    assert "[REDACTED]" in (recorder.calls[0].response or "")
    assert recorder.calls[0].request_sha256 == recorder.calls[1].request_sha256
    assert client.status().requests == 2


def test_guard_failure_budget_opens_the_breaker_so_a_dead_service_costs_bounded_time() -> None:
    """Silent services cost read-timeout x attempts per call; once failed calls have cost
    the failure budget, the breaker opens and later calls fail fast without a request."""
    from shared.errors import CircuitOpenError, TransientProviderError
    from shared.providers._http import HttpPolicy, ProviderGuard

    clock = iter(float(t) for t in range(0, 1000, 30))  # each read: 30 s later
    guard = ProviderGuard(
        "slow", HttpPolicy(max_retries=0, breaker_fail_max=100, failure_budget_secs=50.0),
        sleep=lambda _: None, monotonic=lambda: next(clock),
    )
    attempts = []

    def silent() -> None:
        attempts.append(1)
        raise TransientProviderError("read timed out", provider="slow")

    for _ in range(2):
        with pytest.raises(TransientProviderError):
            guard.call(silent)
    with pytest.raises(CircuitOpenError):
        guard.call(silent)
    assert len(attempts) == 2
    assert guard.failed_secs >= 50.0
