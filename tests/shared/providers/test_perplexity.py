"""Perplexity news: request body, parsing into narratives, rejection of bad items."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st
from responses import matchers

from shared.contracts import ProviderState
from shared.providers._http import MemoryRecorder, ModelOutputInvalid
from shared.providers.perplexity import (
    REJECT_INVALID,
    REJECT_PUBLISHED_IN_FUTURE,
    REJECT_PUBLISHED_UNPARSEABLE,
    PerplexityNews,
    parse_published_at,
    recency_filter,
    strip_think,
)
from tests.helpers.provider_contract import TEST_POLICY, FakeSleep, load_fixture

BASE = "https://pplx.example.test"
NOW = datetime(2024, 3, 5, 12, tzinfo=UTC)
START = NOW - timedelta(days=2)


def _client(fake_sleep: FakeSleep, **kwargs: object) -> PerplexityNews:
    return PerplexityNews(
        api_key="pplx-TESTKEY",
        base_url=BASE,
        policy=TEST_POLICY,
        sleep=fake_sleep,
        now=lambda: NOW,
        **kwargs,  # type: ignore[arg-type]
    )


def test_narratives_parse_items_with_citations_and_fetch_time(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    fixture = load_fixture("perplexity", "chat_completions")
    mocked_responses.post(
        f"{BASE}/chat/completions",
        json=fixture,
        match=[
            matchers.header_matcher({"Authorization": "Bearer pplx-TESTKEY"}),
            matchers.json_params_matcher(
                {"model": "sonar", "search_recency_filter": "week", "temperature": 0},
                strict_match=False,
            ),
        ],
    )

    narratives = _client(fake_sleep).narratives(["AAPL", "BTC-USD"], start=START, end=NOW)

    assert [n.symbols for n in narratives] in ([("AAPL",), ("BTC-USD",)], [("BTC-USD",), ("AAPL",)])
    apple = next(n for n in narratives if n.symbols == ("AAPL",))
    assert apple.source == "Reuters"
    assert apple.published_at == datetime(2024, 3, 4, 10, 55, tzinfo=UTC)
    assert apple.fetched_at == NOW
    assert apple.citations == tuple(fixture["citations"])
    btc = next(n for n in narratives if n.symbols == ("BTC-USD",))
    assert btc.published_at == datetime(2024, 3, 4, tzinfo=UTC)  # date-only -> midnight UTC
    assert [n.narrative_id for n in narratives] == sorted(n.narrative_id for n in narratives)


def test_request_asks_for_json_schema_with_symbol_enum(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.post(
        f"{BASE}/chat/completions", json=load_fixture("perplexity", "chat_completions_empty")
    )
    _client(fake_sleep).narratives(["AAPL"], start=NOW - timedelta(hours=6), end=NOW)
    body = json.loads(mocked_responses.calls[0].request.body or b"{}")
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    item = response_format["json_schema"]["schema"]["properties"]["items"]["items"]
    assert item["properties"]["symbols"]["items"]["enum"] == ["AAPL"]
    assert body["search_recency_filter"] == "day"


def test_think_block_is_stripped_before_parsing(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.post(
        f"{BASE}/chat/completions", json=load_fixture("perplexity", "chat_completions_think")
    )
    narratives = _client(fake_sleep).narratives(["AAPL", "BTC-USD"], start=START, end=NOW)
    assert len(narratives) == 2


def test_bad_items_are_rejected_with_reason_codes_and_degrade_status(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.post(
        f"{BASE}/chat/completions", json=load_fixture("perplexity", "chat_completions_mixed_items")
    )
    client = _client(fake_sleep)

    narratives = client.narratives(["AAPL", "ETH-USD"], start=START, end=NOW)

    assert [n.headline for n in narratives] == [
        "Apple fined 1.8 billion euros by EU over music streaming"
    ]
    assert client.rejected == {
        REJECT_PUBLISHED_IN_FUTURE: 1,  # 2024-03-09 is after the fetch time
        REJECT_PUBLISHED_UNPARSEABLE: 2,  # "March 4, 2024" and a naive timestamp
        REJECT_INVALID: 2,  # no headline; a symbol that was not asked for
    }
    status = client.status()
    assert status.state is ProviderState.DEGRADED
    assert set(status.reason_codes) == {
        REJECT_INVALID,
        REJECT_PUBLISHED_IN_FUTURE,
        REJECT_PUBLISHED_UNPARSEABLE,
    }


@pytest.mark.parametrize(
    "content",
    ['{"items": [', "Here are the news: none", '{"articles": []}', '["AAPL"]'],
)
def test_content_that_is_not_the_schema_raises_model_output_invalid(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep, content: str
) -> None:
    completion = load_fixture("perplexity", "chat_completions")
    completion["choices"][0]["message"]["content"] = content
    mocked_responses.post(f"{BASE}/chat/completions", json=completion)
    client = _client(fake_sleep)

    with pytest.raises(ModelOutputInvalid):
        client.narratives(["AAPL"], start=START, end=NOW)

    assert client.status().reason_codes == ("MODEL_OUTPUT_INVALID",)
    assert len(mocked_responses.calls) == 1  # a parse failure is not retried


def test_symbols_are_batched_and_recorded_without_the_key(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.post(
        f"{BASE}/chat/completions", json=load_fixture("perplexity", "chat_completions_empty")
    )
    recorder = MemoryRecorder()
    client = _client(fake_sleep, symbols_per_request=2, recorder=recorder)

    assert client.narratives(["A", "B", "C"], start=START, end=NOW) == []

    assert len(mocked_responses.calls) == 2
    assert [call.endpoint for call in recorder.calls] == ["chat/completions"] * 2
    assert all("pplx-TESTKEY" not in call.request for call in recorder.calls)
    assert all(call.response and "items" in call.response for call in recorder.calls)


def test_missing_key_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="PPLX_API_KEY"):
        PerplexityNews(api_key="")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-04", datetime(2024, 3, 4, tzinfo=UTC)),
        ("2024-03-04T10:55:00Z", datetime(2024, 3, 4, 10, 55, tzinfo=UTC)),
        ("2024-03-04T05:55:00-05:00", datetime(2024, 3, 4, 10, 55, tzinfo=UTC)),
        ("2024-03-04T10:55:00", None),
        ("March 4, 2024", None),
        ("2024-02-30", None),
        ("", None),
    ],
)
def test_parse_published_at_accepts_only_unambiguous_forms(
    value: str, expected: datetime | None
) -> None:
    assert parse_published_at(value) == expected


@given(st.datetimes(timezones=st.just(UTC)))
def test_parse_published_at_round_trips_iso(value: datetime) -> None:
    assert parse_published_at(value.isoformat()) == value


def test_strip_think_removes_only_a_leading_block() -> None:
    assert strip_think('<think>x</think>\n{"a": 1}') == '{"a": 1}'
    assert strip_think('{"a": "<think>x</think>"}') == '{"a": "<think>x</think>"}'


@pytest.mark.parametrize(
    ("lookback", "expected"),
    [
        (timedelta(minutes=30), "hour"),
        (timedelta(hours=20), "day"),
        (timedelta(days=3), "week"),
        (timedelta(days=20), "month"),
        (timedelta(days=90), "year"),
    ],
)
def test_recency_filter_is_the_narrowest_covering_window(
    lookback: timedelta, expected: str
) -> None:
    assert recency_filter(lookback) == expected
