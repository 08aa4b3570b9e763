"""Bounded time and size (issue 11): a trickling server is cut off at the attempt's deadline
in every phase, a spent run deadline or provider budget fails fast without a request, an
answer over the size limit is refused, caps on news items and model calls are counted in
the status detail, and recorded answers are truncated with their digest."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from shared.contracts import ProviderState, TruncatedText, sha256_hex
from shared.errors import (
    DeadlineExceeded,
    ModelCallsCapped,
    ProviderTimeBudgetExceeded,
    ResponseTooLarge,
    RunDeadlineExceeded,
    TransientProviderError,
)
from shared.providers._bounds import ModelCallCap, RunDeadline, cap_text, current_attempt
from shared.providers._http import BaseClient, HttpPolicy, MemoryRecorder, ProviderGuard
from shared.providers.hf_inference import FinbertScorer
from shared.providers.perplexity import NEWS_ITEMS_CAPPED, PerplexityNews
from shared.reason_codes import Severity, default_registry
from tests.helpers.live_servers import _news
from tests.helpers.loopback import LoopbackServer, RecordedRequest, Reply
from tests.helpers.provider_contract import FakeSleep, load_fixture
from tests.helpers.trickle import TrickleServer, http_reply

FAST = HttpPolicy(connect_timeout_secs=1.0, read_timeout_secs=5.0, max_retries=0,
                  response_deadline_secs=0.6, breaker_fail_max=100)


class PlainClient(BaseClient):
    def __init__(self, base_url: str, policy: HttpPolicy = FAST, **kwargs: Any) -> None:
        super().__init__(provider="plain", base_url=base_url, policy=policy,
                         sleep=FakeSleep(), **kwargs)

    def get(self) -> Any:
        return self._call("GET", "/x", lambda data: data, record_as="x")


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def _timed(fn: Any) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is asserted by callers
        fn()
    return caught.value, time.monotonic() - started


# ------------------------------------------------------------------------- time


@pytest.mark.parametrize("headers_at_once", [False, True], ids=["whole-reply", "body-only"])
def test_trickling_server_is_cut_off_at_the_response_deadline(headers_at_once: bool) -> None:
    # 50 bytes per second never trips the 5 s read timeout; the 0.6 s deadline ends it.
    reply = http_reply(json.dumps({"padding": "x" * 400}).encode())
    with TrickleServer(reply, interval_secs=0.02, headers_at_once=headers_at_once) as slow:
        client = PlainClient(slow.url)
        error, secs = _timed(client.get)
    assert isinstance(error, DeadlineExceeded) and isinstance(error, TransientProviderError)
    assert error.reason_code == "PROVIDER_DEADLINE"
    assert "response deadline" in str(error)
    assert 0.5 < secs < 2.0
    assert client.status().reason_codes == ("PROVIDER_DEADLINE",)


def test_run_deadline_cuts_an_answer_and_later_calls_fail_fast_without_a_request(
    server: LoopbackServer,
) -> None:
    server.route("GET", "/x", Reply(json={"ok": True}))
    reply = http_reply(b'{"ok": true}' + b" " * 400)
    deadline = RunDeadline.start(0.4)
    with TrickleServer(reply, interval_secs=0.02) as slow:
        cut, secs = _timed(PlainClient(slow.url, deadline=deadline).get)
    assert isinstance(cut, RunDeadlineExceeded) and secs < 1.5
    assert cut.reason_code == "RUN_DEADLINE_EXCEEDED"

    late = PlainClient(server.url, deadline=deadline)
    error, secs = _timed(late.get)
    assert isinstance(error, RunDeadlineExceeded) and secs < 0.2
    assert "not called" in str(error)
    assert server.requests == []
    status = late.status()
    assert status.state is ProviderState.FAILED
    assert status.reason_codes == ("RUN_DEADLINE_EXCEEDED",)
    assert default_registry().severity("RUN_DEADLINE_EXCEEDED") is Severity.ERROR


def test_provider_time_budget_cuts_a_call_then_later_calls_fail_fast(
    server: LoopbackServer,
) -> None:
    server.route("GET", "/x", Reply(json={"ok": True}, delay_secs=0.3))
    policy = HttpPolicy(read_timeout_secs=2.0, max_retries=0, provider_budget_secs=0.5)
    client = PlainClient(server.url, policy=policy)
    assert client.get() == {"ok": True}  # 0.3 s of the 0.5 s spent
    cut, secs = _timed(client.get)  # the answer would take 0.3 s; 0.2 s are left
    assert isinstance(cut, ProviderTimeBudgetExceeded) and secs < 0.3
    assert cut.reason_code == "PROVIDER_TIME_BUDGET" and "cut off" in str(cut)
    with pytest.raises(ProviderTimeBudgetExceeded, match="not called"):
        client.get()
    assert len(server.requests) == 2
    assert client.status().reason_codes == ("PROVIDER_TIME_BUDGET",)


def test_a_retry_is_cut_off_where_the_call_budget_ends() -> None:
    now = [0.0]
    guard = ProviderGuard("budget", HttpPolicy(max_retries=3, call_budget_secs=10.0,
                                               response_deadline_secs=60.0),
                          sleep=lambda secs: now.__setitem__(0, now[0] + secs),
                          random_fn=lambda: 0.0, monotonic=lambda: now[0])
    ends: list[float] = []

    def attempt() -> None:
        limit = current_attempt()
        assert limit is not None
        ends.append(limit.expires_at)
        now[0] += 4.0
        raise TransientProviderError("5xx", provider="budget")

    with pytest.raises(TransientProviderError):
        guard.call(attempt)
    assert ends[0] == 60.0  # a first attempt gets its whole response deadline
    assert all(end <= 10.0 for end in ends[1:])  # a retry ends with the call budget
    assert len(ends) <= 3


# ------------------------------------------------------------------------- size


def test_an_answer_declaring_more_than_the_limit_is_refused_unread(
    server: LoopbackServer,
) -> None:
    server.route("GET", "/x", Reply(json={"padding": "x" * 5000}))
    client = PlainClient(server.url, policy=HttpPolicy(max_response_bytes=2048))
    with pytest.raises(ResponseTooLarge) as caught:
        client.get()
    assert caught.value.reason_code == "PROVIDER_RESPONSE_TOO_LARGE"
    assert "declares" in str(caught.value) and "2048" in str(caught.value)


def test_an_answer_without_length_is_refused_once_past_the_limit() -> None:
    reply = http_reply(b'{"padding": "' + b"x" * 300_000 + b'"}', content_length=False)
    with TrickleServer(reply, interval_secs=0.0) as server:
        client = PlainClient(server.url, policy=HttpPolicy(max_response_bytes=64 * 1024))
        with pytest.raises(ResponseTooLarge) as caught:
            client.get()
    assert "more than 65536 bytes arrived" in str(caught.value)
    assert client.status().reason_codes == ("PROVIDER_RESPONSE_TOO_LARGE",)


def test_a_healthy_answer_is_read_whole_and_parsed(server: LoopbackServer) -> None:
    server.route("GET", "/x", Reply(json={"ok": True, "n": list(range(10_000))}))
    recorder = MemoryRecorder()
    assert PlainClient(server.url, recorder=recorder).get()["n"][-1] == 9999
    assert recorder.calls[0].response_truncated is None


# ------------------------------------------------------------------------- records


def test_recorder_truncates_a_long_answer_and_names_the_whole() -> None:
    recorder = MemoryRecorder(max_response_chars=10, max_total_chars=15)
    recorder.record("p", "e", "{}", "0123456789abcdef")
    recorder.record("p", "e", "{}", "short")
    recorder.record("p", "e", "{}", "0123456789")  # only 0 chars of room left
    first, second, third = recorder.calls
    assert first.response == "0123456789"
    assert first.response_truncated == TruncatedText(
        chars=16, utf8_bytes=16, sha256=sha256_hex("0123456789abcdef"), kept_chars=10)
    assert second.response == "short" and second.response_truncated is None
    assert third.response == "" and third.response_truncated is not None
    assert "response_truncated" not in second.model_dump(mode="json")


def test_cap_text_keeps_unicode_whole_characters() -> None:
    kept, cut = cap_text("é" * 5, 2)
    assert kept == "éé" and cut is not None and cut.utf8_bytes == 10


# ------------------------------------------------------------------------- caps


def _many_items(count: int) -> Any:
    def reply(request: RecordedRequest) -> Reply:
        completion = _news(request).json
        content = json.loads(completion["choices"][0]["message"]["content"])
        base = content["items"][0]
        content["items"] = [{**base, "headline": f"Bitcoin story {i}"} for i in range(count)]
        completion["choices"][0]["message"]["content"] = json.dumps(content)
        return Reply(json=completion)
    return reply


def test_perplexity_items_over_the_cap_are_counted_not_silently_dropped(
    server: LoopbackServer,
) -> None:
    from datetime import UTC, datetime, timedelta

    server.route("POST", "/chat/completions", _many_items(7))
    news = PerplexityNews(api_key="pplx-test-key", base_url=server.url, policy=FAST,
                          max_items_per_answer=3, sleep=FakeSleep())
    now = datetime.now(UTC)
    for _ in range(2):
        items = news.narratives(["BTC-USD"], start=now - timedelta(days=1), end=now)
        assert len(items) == 3
    status = news.status()
    assert status.state is ProviderState.DEGRADED
    assert status.reason_codes == (NEWS_ITEMS_CAPPED,)
    assert "8 news items not used" in status.detail and "cap of 3" in status.detail


def test_model_calls_over_the_run_cap_are_refused_whole_and_counted(
    server: LoopbackServer,
) -> None:
    server.route("POST", "/models/finbert", Reply(json=load_fixture("hf", "text_classification")))
    cap = ModelCallCap(3)
    scorer = FinbertScorer(token="hf_TESTTOKEN", url=server.url + "/models/finbert",
                           policy=FAST, sleep=FakeSleep(), model_calls=cap)
    assert len(scorer.score(["a", "b"])) == 2
    with pytest.raises(ModelCallsCapped) as caught:
        scorer.score(["c", "d", "a"])  # "a" is cached: two calls needed, one left
    assert caught.value.reason_code == "MODEL_CALLS_CAPPED"
    assert len(server.requests) == 2
    assert cap.used == 2 and cap.refused == 2
    status = scorer.status()
    assert "MODEL_CALLS_CAPPED" in status.reason_codes
    assert "2 model calls not made" in status.detail


def test_finbert_trickling_server_is_cut_off_at_the_deadline() -> None:
    body = json.dumps(load_fixture("hf", "text_classification")).encode()
    with TrickleServer(http_reply(body + b" " * 200), interval_secs=0.02) as slow:
        scorer = FinbertScorer(token="hf_TESTTOKEN", url=slow.url + "/models/finbert",
                               policy=FAST, sleep=FakeSleep())
        error, secs = _timed(lambda: scorer.score(["Apple beats estimates"]))
    assert isinstance(error, DeadlineExceeded) and 0.5 < secs < 2.0
    assert scorer.status().reason_codes == ("PROVIDER_DEADLINE",)


def test_finbert_answer_over_the_limit_is_refused(server: LoopbackServer) -> None:
    server.route("POST", "/models/finbert", Reply(json=[{"label": "x" * 5000, "score": 1}]))
    scorer = FinbertScorer(token="hf_TESTTOKEN", url=server.url + "/models/finbert",
                           policy=HttpPolicy(max_retries=0, max_response_bytes=2048),
                           sleep=FakeSleep())
    with pytest.raises(ResponseTooLarge):
        scorer.score(["Apple beats estimates"])
    assert scorer.status().reason_codes == ("PROVIDER_RESPONSE_TOO_LARGE",)


def test_every_bound_code_is_registered() -> None:
    registry = default_registry()
    for code in ("PROVIDER_DEADLINE", "PROVIDER_RESPONSE_TOO_LARGE", "PROVIDER_TIME_BUDGET",
                 "RUN_DEADLINE_EXCEEDED", "NEWS_ITEMS_CAPPED", "MODEL_CALLS_CAPPED"):
        assert code in registry
