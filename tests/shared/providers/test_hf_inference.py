"""FinBERT and the LLM polarity check through huggingface_hub's real client and a loopback
server (huggingface_hub 2.x sends with httpx2, which ``responses`` cannot see)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import httpx2
import pytest
from huggingface_hub import InferenceClient, set_client_factory
from huggingface_hub.utils import _http as hf_http

from shared.contracts import ProviderState, SentimentLabel, SentimentScore, text_key
from shared.errors import CircuitOpenError, ProviderResponseError, TransientProviderError
from shared.providers._http import MemoryRecorder, ModelOutputInvalid
from shared.providers.hf_inference import FinbertScorer, LlmPolarityChecker
from tests.helpers.loopback import LoopbackServer, Reply
from tests.helpers.provider_contract import TEST_POLICY, FakeSleep, load_fixture

FINBERT_PATH = "/models/ProsusAI/finbert"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def _finbert(server: LoopbackServer, fake_sleep: FakeSleep, **kwargs: object) -> FinbertScorer:
    options: dict[str, object] = {"policy": TEST_POLICY, "sleep": fake_sleep, **kwargs}
    return FinbertScorer(
        token="hf_TESTTOKEN",
        url=f"{server.url}{FINBERT_PATH}",
        **options,  # type: ignore[arg-type]
    )


def _llm(server: LoopbackServer, fake_sleep: FakeSleep, **kwargs: object) -> LlmPolarityChecker:
    return LlmPolarityChecker(
        token="hf_TESTTOKEN",
        url=f"{server.url}/v1",
        model_id="Qwen/Qwen2.5-7B-Instruct",
        **{"policy": TEST_POLICY, "sleep": fake_sleep, **kwargs},  # type: ignore[arg-type]
    )


def _chat(content: str) -> Reply:
    completion = load_fixture("hf", "chat_completion")
    completion["choices"][0]["message"]["content"] = content
    return Reply(json=completion)


def test_finbert_maps_probabilities_to_polarity_and_sends_the_documented_body(
    server: LoopbackServer, fake_sleep: FakeSleep
) -> None:
    server.route("POST", FINBERT_PATH, Reply(json=load_fixture("hf", "text_classification")))

    [score] = _finbert(server, fake_sleep).score(["  Apple   fined by EU "])

    assert score.label is SentimentLabel.NEGATIVE
    assert score.polarity == pytest.approx(0.0167 - 0.9321)
    assert score.confidence == pytest.approx(0.9321)
    assert score.model == "ProsusAI/finbert"
    assert score.text_sha256 == text_key("Apple fined by EU")
    [request] = server.requests
    assert request.json() == {"inputs": "Apple fined by EU", "parameters": {"top_k": 3}}
    assert request.headers["authorization"] == "Bearer hf_TESTTOKEN"


def test_finbert_calls_only_for_texts_not_in_the_cache(
    server: LoopbackServer, fake_sleep: FakeSleep
) -> None:
    server.route("POST", FINBERT_PATH, Reply(json=load_fixture("hf", "text_classification")))
    cached = SentimentScore(
        text_sha256=text_key("Old news"),
        model="ProsusAI/finbert",
        label=SentimentLabel.NEUTRAL,
        polarity=0.0,
        confidence=0.9,
    )
    cache = {cached.text_sha256: cached}
    scorer = _finbert(server, fake_sleep, cache=cache)

    scores = scorer.score(["Old news", "New story", "New  story", "Old news"])
    again = scorer.score(["New story"])

    assert len(server.requests) == 1  # "New story" once; whitespace variants share a key
    assert scores[0] is cached and scores[1] == scores[2] == again[0]
    assert set(cache) == {text_key("Old news"), text_key("New story")}


@pytest.mark.parametrize(
    "payload",
    [
        [[{"label": "positive", "score": 0.7}, {"label": "negative", "score": 0.3}]],
        [
            [
                {"label": "LABEL_0", "score": 0.5},
                {"label": "LABEL_1", "score": 0.3},
                {"label": "LABEL_2", "score": 0.2},
            ]
        ],
        [
            [
                {"label": "positive", "score": 1.7},
                {"label": "negative", "score": 0.1},
                {"label": "neutral", "score": 0.1},
            ]
        ],
        {"error": "Model is overloaded"},
    ],
    ids=["missing-label", "unnamed-labels", "score-above-one", "error-object"],
)
def test_finbert_wrong_shape_is_rejected_not_guessed(
    server: LoopbackServer, fake_sleep: FakeSleep, payload: object
) -> None:
    server.route("POST", FINBERT_PATH, Reply(json=payload))
    scorer = _finbert(server, fake_sleep)
    with pytest.raises(ProviderResponseError):
        scorer.score(["Apple fined by EU"])
    assert scorer.cache == {}


def test_finbert_503_model_loading_is_retried_then_succeeds(
    server: LoopbackServer, fake_sleep: FakeSleep
) -> None:
    loading = {"error": "Model ProsusAI/finbert is currently loading", "estimated_time": 20.0}
    server.route(
        "POST",
        FINBERT_PATH,
        Reply(status=503, json=loading),
        Reply(json=load_fixture("hf", "text_classification")),
    )
    scorer = _finbert(server, fake_sleep)
    assert scorer.score(["x"])[0].label is SentimentLabel.NEGATIVE
    assert len(server.requests) == 2 and len(fake_sleep.calls) == 1
    assert scorer.status().state is ProviderState.OK


def test_breaker_opens_after_repeated_failures_and_stops_calling(
    server: LoopbackServer, fake_sleep: FakeSleep
) -> None:
    server.route("POST", FINBERT_PATH, Reply(status=500, json={"error": "boom"}))
    policy = dataclasses.replace(TEST_POLICY, max_retries=0, breaker_fail_max=2)
    scorer = _finbert(server, fake_sleep, policy=policy)

    for text in ("a", "b"):
        with pytest.raises(TransientProviderError):
            scorer.score([text])
    with pytest.raises(CircuitOpenError, match="circuit breaker open"):
        scorer.score(["c"])

    assert len(server.requests) == 2
    status = scorer.status()
    assert status.state is ProviderState.FAILED
    assert status.reason_codes == ("PROVIDER_CIRCUIT_OPEN", "PROVIDER_TRANSIENT")
    assert status.requests == 2


def test_llm_verdict_is_parsed_and_json_schema_sent_in_tgi_form(
    server: LoopbackServer, fake_sleep: FakeSleep
) -> None:
    server.route("POST", "/v1/chat/completions", Reply(json=load_fixture("hf", "chat_completion")))
    recorder = MemoryRecorder()

    score = _llm(server, fake_sleep, recorder=recorder).check("Apple fined by EU")

    assert score.label is SentimentLabel.NEGATIVE
    assert score.polarity == pytest.approx(-0.72) and score.confidence == pytest.approx(0.72)
    body = server.requests[0].json()
    assert body["model"] == "Qwen/Qwen2.5-7B-Instruct"
    assert body["response_format"]["type"] == "json_object"  # rewritten for URL endpoints
    assert body["response_format"]["value"]["required"] == ["polarity", "confidence"]
    assert body["temperature"] == 0
    [call] = recorder.calls
    assert call.provider == "hf_llm" and call.endpoint == "chat/completions"
    assert json.loads(call.response or "{}")["content"].startswith('{"polarity"')
    assert "hf_TESTTOKEN" not in call.request


def test_llm_think_block_is_the_only_repair(server: LoopbackServer, fake_sleep: FakeSleep) -> None:
    server.route(
        "POST",
        "/v1/chat/completions",
        _chat('<think>short and clear</think>{"polarity": "positive", "confidence": 0.6}'),
    )
    assert _llm(server, fake_sleep).check("Beat").polarity == pytest.approx(0.6)


@pytest.mark.parametrize(
    "content",
    [
        '{"polarity": "POSITIVE", "confidence": 0.8}',
        '{"polarity": "bullish", "confidence": 0.8}',
        '{"polarity": "positive", "confidence": 1.5}',
        '{"polarity": "positive", "confidence": "high"}',
        '{"polarity": "positive"}',
        'Sure! {"polarity": "positive", "confidence": 0.8}',
        "",
    ],
)
def test_llm_invalid_verdict_raises_model_output_invalid(
    server: LoopbackServer, fake_sleep: FakeSleep, content: str
) -> None:
    server.route("POST", "/v1/chat/completions", _chat(content))
    checker = _llm(server, fake_sleep)
    with pytest.raises(ModelOutputInvalid):
        checker.check("Apple fined by EU")
    assert checker.status().reason_codes == ("MODEL_OUTPUT_INVALID",)
    assert len(server.requests) == 1


def test_finbert_through_httpx2_mock_transport(fake_sleep: FakeSleep) -> None:
    # The other documented way to test huggingface_hub 2.x: a client factory with a
    # MockTransport. Restored afterwards so other tests get the default client.
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=load_fixture("hf", "text_classification"))

    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(handler)))
    try:
        scorer = FinbertScorer(
            token="hf_TESTTOKEN",
            url="https://endpoint.example.test/finbert",
            policy=TEST_POLICY,
            sleep=fake_sleep,
            client=InferenceClient(model="https://endpoint.example.test/finbert", token="hf_x"),
        )
        assert scorer.score(["x"])[0].label is SentimentLabel.NEGATIVE
    finally:
        set_client_factory(hf_http.default_client_factory)
    assert str(seen[0].url) == "https://endpoint.example.test/finbert"
