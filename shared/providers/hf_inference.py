"""Hugging Face inference: FinBERT sentiment and an LLM polarity check.

Both go through ``huggingface_hub.InferenceClient`` (2.x: httpx2 transport). The model is
given as a **URL** (``TB_FINBERT_URL``, default the hf-inference router URL of the model
id; ``TB_LLM_URL``, default the router's OpenAI-compatible ``/v1``), so the client never
calls the Hub to resolve a provider. InferenceClient has no retries: each call runs inside
the same :class:`~shared.providers._http.ProviderGuard` (breaker, retries, rate limit) as
the requests-based clients, and its errors are translated here.

Bounds: huggingface_hub sends through one process-wide httpx2 client; it is made with
:class:`~shared.providers._bounds.BoundedTransport` (each body within the attempt's time and
size limit), and each call runs in a worker given up at the attempt's end
(:func:`~shared.providers._bounds.call_within`). Before sending, a batch reserves its calls
from the run's :class:`~shared.providers._bounds.ModelCallCap`; a batch that does not fit
is refused whole with ``MODEL_CALLS_CAPPED`` (the count is in the status detail).

Example::

    finbert = FinbertScorer.from_settings(Settings(), cache=my_cache)
    scores = finbert.score(["Apple beats estimates", "Oil slumps"])
"""

from __future__ import annotations

import functools
import json
import logging
import random
import time
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx2
from huggingface_hub import (
    ChatCompletionInputJSONSchema,
    ChatCompletionInputResponseFormatJSONSchema,
    InferenceClient,
    set_client_factory,
)
from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.contracts import (
    ProviderStatus,
    SentimentLabel,
    SentimentScore,
    normalize_text,
    text_key,
)
from shared.errors import ProviderAuthError, ProviderError, ProviderResponseError
from shared.providers._bounds import (
    BoundedTransport,
    ModelCallCap,
    RunDeadline,
    call_within,
    current_attempt,
)
from shared.providers._http import (
    CallRecorder,
    HttpPolicy,
    ModelOutputInvalid,
    ProviderGuard,
    RateLimit,
    TokenBucket,
    TransientHttpError,
    cause_is_clean,
    parse_retry_after,
)
from shared.providers.perplexity import strip_think
from shared.settings import Settings, redact

__all__ = [
    "HF_RATE_LIMIT",
    "MODEL_CALLS_CAPPED",
    "FinbertScorer",
    "LlmPolarityChecker",
    "bounded_hf_client",
    "translate_hf_error",
]

logger = logging.getLogger(__name__)

# The Hub's documented example policy header: "fixed window";"api";q=500;w=300.
HF_RATE_LIMIT = RateLimit(requests=500, per_secs=300.0, burst=10)

_LABELS = {label.value for label in SentimentLabel}
MODEL_CALLS_CAPPED = "MODEL_CALLS_CAPPED"


def bounded_hf_client() -> httpx2.Client:
    """huggingface_hub's default client (its request hook, redirects, no client timeout),
    with bodies bounded by the current attempt (:class:`BoundedTransport`)."""
    hooks: dict[str, list[Callable[..., Any]]] = {}
    try:  # a private name: the hook huggingface_hub's own default client installs
        from huggingface_hub.utils._http import hf_request_event_hook
    except ImportError:
        pass
    else:
        hooks["request"] = [hf_request_event_hook]
    return httpx2.Client(event_hooks=hooks, follow_redirects=True, timeout=None,
                         transport=BoundedTransport())


def translate_hf_error(
    provider: str, error: Exception, secrets: tuple[str, ...] = ()
) -> ProviderError:
    """Map an InferenceClient/httpx2 exception to the product's error tree."""
    if isinstance(error, InferenceTimeoutError | httpx2.TimeoutException):
        sent = not isinstance(error, httpx2.ConnectTimeout)
        return TransientHttpError(f"{provider}: timed out", provider=provider, request_sent=sent)
    if isinstance(error, HfHubHTTPError) and error.response is not None:
        status = error.response.status_code
        first_line = redact(str(error).splitlines()[0] if str(error) else "", secrets)[:300]
        message = f"{provider}: HTTP {status}: {first_line}"
        if status in (401, 403):
            return ProviderAuthError(message, provider=provider, status_code=status)
        if status in (408, 429) or status >= 500:
            retry_after = parse_retry_after(error.response.headers.get("Retry-After"))
            return TransientHttpError(
                message, provider=provider, status_code=status, retry_after_secs=retry_after
            )
        return ProviderResponseError(message, provider=provider, status_code=status)
    if isinstance(error, httpx2.TransportError):
        never_connected = isinstance(error, httpx2.ConnectError)
        return TransientHttpError(
            f"{provider}: connection error ({type(error).__name__})",
            provider=provider,
            request_sent=not never_connected,
        )
    return ProviderResponseError(
        f"{provider}: response could not be parsed ({type(error).__name__})", provider=provider
    )


class _HfModel:
    # Guarded, logged, recorded calls to one InferenceClient.

    def __init__(
        self,
        *,
        provider: str,
        model_id: str,
        url: str,
        token: str | None,
        policy: HttpPolicy | None,
        cache: MutableMapping[str, SentimentScore] | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        random_fn: Callable[[], float],
        recorder: CallRecorder | None,
        client: InferenceClient | None,
        deadline: RunDeadline | None = None,
        model_calls: ModelCallCap | None = None,
    ) -> None:
        self.provider = provider
        self.model_id = model_id
        self.url = url
        self.policy = policy or HttpPolicy()
        self.guard = ProviderGuard(
            provider,
            self.policy,
            limiter=TokenBucket(HF_RATE_LIMIT, clock=clock, sleep=sleep),
            sleep=sleep,
            random_fn=random_fn,
            deadline=deadline,
        )
        self.model_calls = model_calls
        self.cache: MutableMapping[str, SentimentScore] = cache if cache is not None else {}
        self.recorder = recorder
        self._secrets = (token,) if token else ()
        if client is None:
            set_client_factory(bounded_hf_client)  # process-wide: huggingface_hub has one
            client = InferenceClient(model=url, token=token, timeout=self.policy.read_timeout_secs)
        self.client = client

    def status(self) -> ProviderStatus:
        """The provider's state for the run manifest."""
        return self.guard.status()

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        """One score per text, in order; only texts missing from the cache are sent."""
        keys = [text_key(text) for text in texts]
        todo = {key: normalize_text(text) for key, text in zip(keys, texts, strict=True)}
        missing = sum(1 for key in todo if key not in self.cache)
        if missing and self.model_calls is not None and not self.model_calls.take(missing):
            refused = self.model_calls.refusal(self.provider)
            self.guard.note(MODEL_CALLS_CAPPED, str(refused), counted=True)
            logger.warning("%s", refused)
            raise refused
        for key, text in todo.items():
            if key not in self.cache:
                self.cache[key] = self.guard.call(functools.partial(self._score_one, text))
        return [self.cache[key] for key in keys]

    def _score_one(self, text: str) -> SentimentScore:
        raise NotImplementedError

    def _invoke(self, endpoint: str, request: dict[str, Any], fn: Callable[[], Any]) -> Any:
        # One attempt: count, time, log, translate, record.
        self.guard.count_request()
        path = urlsplit(self.url).path or "/"
        started = time.perf_counter()
        limit = current_attempt()
        if limit is not None and hasattr(self.client, "timeout"):
            self.client.timeout = limit.read_timeout()  # each socket read, at most time left
        try:
            result = call_within(fn, limit, f"{self.provider} POST {path}")
        except ProviderError as e:  # a bound of the attempt (deadline, size)
            logger.info("%s POST %s -> %s in %.0f ms", self.provider, path, e.reason_code,
                        (time.perf_counter() - started) * 1000)
            self._record(endpoint, request, None, str(e))
            raise
        except Exception as e:
            error = translate_hf_error(self.provider, e, self._secrets)
            logger.info(
                "%s POST %s -> %s in %.0f ms",
                self.provider,
                path,
                error.status_code or type(e).__name__,
                (time.perf_counter() - started) * 1000,
            )
            self._record(endpoint, request, None, str(error))
            if not cause_is_clean(e, self._secrets):
                raise error from None  # the server echoed a secret into its message
            raise error from e
        logger.info(
            "%s POST %s -> 200 in %.0f ms",
            self.provider,
            path,
            (time.perf_counter() - started) * 1000,
        )
        self._record(endpoint, request, _dump(result), None)
        return result

    def _record(
        self, endpoint: str, request: dict[str, Any], response: str | None, error: str | None
    ) -> None:
        if self.recorder is not None:
            body = json.dumps(request, sort_keys=True, ensure_ascii=False)
            self.recorder.record(self.provider, endpoint, body, response, error)


def _dump(result: Any) -> str:
    if isinstance(result, list):
        return json.dumps([dict(item) for item in result], sort_keys=True)
    content = result.choices[0].message.content if getattr(result, "choices", None) else None
    return json.dumps({"content": content}, sort_keys=True)


class FinbertScorer(_HfModel):
    """FinBERT text classification as a :class:`~shared.sentiment.base.SentimentScorer`.

    polarity = p(positive) - p(negative); confidence = the top probability. Raises
    ProviderAuthError, TransientProviderError, ProviderResponseError (a reply without all
    three labels, or probabilities outside [0, 1], is rejected rather than guessed).
    """

    def __init__(
        self,
        *,
        token: str | None,
        model_id: str = "ProsusAI/finbert",
        url: str | None = None,
        policy: HttpPolicy | None = None,
        cache: MutableMapping[str, SentimentScore] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        random_fn: Callable[[], float] = random.random,
        recorder: CallRecorder | None = None,
        client: InferenceClient | None = None,
        deadline: RunDeadline | None = None,
        model_calls: ModelCallCap | None = None,
    ) -> None:
        super().__init__(
            provider="hf_finbert",
            model_id=model_id,
            url=url or f"https://router.huggingface.co/hf-inference/models/{model_id}",
            token=token,
            policy=policy,
            cache=cache,
            sleep=sleep,
            clock=clock,
            random_fn=random_fn,
            recorder=recorder,
            client=client,
            deadline=deadline,
            model_calls=model_calls,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> FinbertScorer:
        token = settings.hf_token.get_secret_value() if settings.hf_token else None
        return cls(
            token=token,
            model_id=settings.tb_finbert_model,
            url=settings.finbert_url,
            policy=kwargs.pop("policy", None) or HttpPolicy.from_settings(settings),
            **kwargs,
        )

    def _score_one(self, text: str) -> SentimentScore:
        request = {"inputs": text, "parameters": {"top_k": 3}}
        result = self._invoke(
            "text-classification",
            request,
            lambda: self.client.text_classification(text, top_k=3),
        )
        probabilities = self._probabilities(result)
        label = max(probabilities, key=lambda name: probabilities[name])
        return SentimentScore(
            text_sha256=text_key(text),
            model=self.model_id,
            label=SentimentLabel(label),
            polarity=max(-1.0, min(1.0, probabilities["positive"] - probabilities["negative"])),
            confidence=probabilities[label],
        )

    def _probabilities(self, result: Any) -> dict[str, float]:
        if not isinstance(result, list):
            raise self._shape("expected a list of {label, score}")
        probabilities: dict[str, float] = {}
        for element in result:
            label = getattr(element, "label", None)
            score = getattr(element, "score", None)
            if not isinstance(label, str) or not isinstance(score, int | float):
                raise self._shape("an element lacks a string label or a numeric score")
            if label.lower() not in _LABELS or not 0.0 <= float(score) <= 1.0:
                raise self._shape(f"unexpected label {label[:20]!r} or score {score!r}")
            probabilities[label.lower()] = float(score)
        if set(probabilities) != _LABELS:
            raise self._shape(f"labels {sorted(probabilities)} instead of {sorted(_LABELS)}")
        return probabilities

    def _shape(self, detail: str) -> ProviderResponseError:
        return ProviderResponseError(
            f"{self.provider}: text classification has the wrong shape: {detail}",
            provider=self.provider,
        )


class _Verdict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    polarity: SentimentLabel
    confidence: float = Field(ge=0.0, le=1.0)


_VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "polarity": {"type": "string", "enum": sorted(_LABELS)},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["polarity", "confidence"],
}

_SYSTEM_PROMPT = (
    "You judge the market sentiment of one financial headline for the asset it is about. "
    'Answer only with JSON: {"polarity": "positive"|"negative"|"neutral", '
    '"confidence": a number from 0 to 1}.'
)


class LlmPolarityChecker(_HfModel):
    """An instruct LLM's polarity verdict per text, as a SentimentScorer.

    polarity = +confidence (positive), -confidence (negative) or 0 (neutral). Output that is
    not exactly that JSON raises :class:`ModelOutputInvalid` (reason ``MODEL_OUTPUT_INVALID``);
    a leading ``<think>`` block is the only thing stripped.
    """

    def __init__(
        self,
        *,
        token: str | None,
        model_id: str = "Qwen/Qwen2.5-7B-Instruct",
        url: str = "https://router.huggingface.co/v1",
        policy: HttpPolicy | None = None,
        cache: MutableMapping[str, SentimentScore] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        random_fn: Callable[[], float] = random.random,
        recorder: CallRecorder | None = None,
        client: InferenceClient | None = None,
        deadline: RunDeadline | None = None,
        model_calls: ModelCallCap | None = None,
    ) -> None:
        super().__init__(
            provider="hf_llm",
            model_id=model_id,
            url=url,
            token=token,
            policy=policy,
            cache=cache,
            sleep=sleep,
            clock=clock,
            random_fn=random_fn,
            recorder=recorder,
            client=client,
            deadline=deadline,
            model_calls=model_calls,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> LlmPolarityChecker:
        token = settings.hf_token.get_secret_value() if settings.hf_token else None
        return cls(
            token=token,
            model_id=settings.tb_llm_model,
            url=settings.tb_llm_url,
            policy=kwargs.pop("policy", None) or HttpPolicy.from_settings(settings),
            **kwargs,
        )

    def check(self, text: str) -> SentimentScore:
        """The LLM's verdict on one text (cached like :meth:`score`)."""
        return self.score([text])[0]

    def _score_one(self, text: str) -> SentimentScore:
        messages = [
            {"role": "system", "content": _SYSTEM_PROMPT},
            {"role": "user", "content": text},
        ]
        response_format = ChatCompletionInputResponseFormatJSONSchema(
            type="json_schema",
            json_schema=ChatCompletionInputJSONSchema(
                name="polarity", schema=_VERDICT_SCHEMA, strict=True
            ),
        )
        request = {
            "model": self.model_id,
            "messages": messages,
            "response_format": dict(response_format),
            "temperature": 0,
            "max_tokens": 64,
        }
        result = self._invoke(
            "chat/completions",
            request,
            lambda: self.client.chat_completion(
                list(messages),
                model=self.model_id,
                response_format=response_format,
                temperature=0,
                max_tokens=64,
            ),
        )
        verdict = self._verdict(result)
        sign = {"positive": 1.0, "negative": -1.0, "neutral": 0.0}[verdict.polarity.value]
        return SentimentScore(
            text_sha256=text_key(text),
            model=self.model_id,
            label=verdict.polarity,
            polarity=sign * verdict.confidence,
            confidence=verdict.confidence,
        )

    def _verdict(self, result: Any) -> _Verdict:
        try:
            content = result.choices[0].message.content
        except (AttributeError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise ModelOutputInvalid(
                f"{self.provider}: chat completion without message content", provider=self.provider
            )
        try:
            data = json.loads(strip_think(content))
            if isinstance(data, dict) and isinstance(data.get("polarity"), str):
                data = {**data, "polarity": SentimentLabel(data["polarity"])}
            return _Verdict.model_validate(data)
        except (ValueError, ValidationError) as e:
            raise ModelOutputInvalid(
                f"{self.provider}: verdict is not the requested JSON ({type(e).__name__})",
                provider=self.provider,
            ) from None
