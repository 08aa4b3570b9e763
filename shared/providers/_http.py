"""The one HTTP policy every provider client goes through.

Who does what:

* ``requests.Session`` (injectable) sends; its adapter does **no** retries of its own.
* :class:`ProviderGuard` wraps every logical call: a per-provider ``pybreaker`` breaker around
  a ``tenacity`` retry loop, whose predicate and wait are the pure functions
  :func:`should_retry` and :func:`retry_delay`; a :class:`TokenBucket` is charged before
  every attempt. The guard counts requests and failures and reports :meth:`status`.
* ``urllib3``'s ``Retry.parse_retry_after`` parses ``Retry-After`` (seconds or HTTP date).
* :class:`BaseClient` owns the session, base URL, timeouts, the one INFO log line per request
  and the translation of transport errors and status codes into :mod:`shared.errors`.
* :mod:`shared.providers._bounds` bounds each attempt in time and size: the guard computes
  its :class:`~shared.providers._bounds.AttemptLimit` (response deadline, call budget,
  provider time budget, run deadline, byte limit) and the client streams the body within it.

Why tenacity rather than urllib3's ``Retry`` on the adapter: urllib3 would retry inside one
``session.request`` call, invisible to the breaker, the request counter and the log line,
and with its own ``time.sleep``; tenacity takes an injected ``sleep`` and our predicate.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import pybreaker
import requests
import tenacity
from pydantic import TypeAdapter, ValidationError
from urllib3.exceptions import ConnectTimeoutError, InvalidHeader
from urllib3.util.retry import Retry

from shared.contracts import ModelCall, ProviderState, ProviderStatus, sha256_hex
from shared.errors import (
    CircuitOpenError,
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    TransientProviderError,
)
from shared.providers._bounds import (
    AttemptLimit,
    Bound,
    RunDeadline,
    attempt_scope,
    bounded_session,
    cap_text,
    current_attempt,
    read_body,
)
from shared.settings import Settings, redact, redactable

__all__ = [
    "BaseClient",
    "KEY_ROTATED",
    "CallRecorder",
    "HttpPolicy",
    "MemoryRecorder",
    "ModelOutputInvalid",
    "ProviderGuard",
    "RateLimit",
    "TokenBucket",
    "TransientHttpError",
    "cause_is_clean",
    "parse_retry_after",
    "key_spent",
    "retry_delay",
    "should_retry",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")


# --------------------------------------------------------------------------- retry policy


class TransientHttpError(TransientProviderError):
    """A transient failure plus what the retry policy needs: the server's ``Retry-After``
    and whether the request may have reached the server (``request_sent``)."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        retry_after_secs: float | None = None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, provider=provider, status_code=status_code)
        self.retry_after_secs = retry_after_secs
        self.request_sent = request_sent


class ModelOutputInvalid(ProviderResponseError):
    """A model's JSON answer does not parse or does not match the requested schema."""

    reason_code = "MODEL_OUTPUT_INVALID"


def should_retry(
    error: BaseException, *, idempotent: bool = True, max_retry_after_secs: float = math.inf
) -> bool:
    """Whether another attempt may follow ``error``.

    Only transient errors (timeouts, connection errors, 429, 5xx) are retried, never an open
    breaker, never a ``Retry-After`` longer than ``max_retry_after_secs``. A non-idempotent
    call is retried only when the server cannot have acted on it: a 429 that names its wait,
    or a connection that was never established.
    """
    if isinstance(error, CircuitOpenError) or not isinstance(error, TransientProviderError):
        return False
    retry_after = error.retry_after_secs if isinstance(error, TransientHttpError) else None
    if retry_after is not None and retry_after > max_retry_after_secs:
        return False
    if idempotent:
        return True
    if not isinstance(error, TransientHttpError):
        return False
    if error.status_code == 429:
        return retry_after is not None
    return not error.request_sent and error.status_code is None


def retry_delay(
    attempt: int,
    *,
    base_secs: float,
    max_secs: float,
    random_fn: Callable[[], float],
    retry_after_secs: float | None = None,
) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    Exponential backoff with equal jitter: half of ``min(max_secs, base_secs * 2**(attempt-1))``
    fixed, half scaled by ``random_fn()`` in [0, 1). A server ``Retry-After`` is a floor.

    >>> retry_delay(3, base_secs=0.5, max_secs=30, random_fn=lambda: 0.0)
    1.0
    >>> retry_delay(1, base_secs=0.5, max_secs=30, random_fn=lambda: 0.0, retry_after_secs=7)
    7
    """
    ceiling = min(max_secs, base_secs * 2.0 ** max(attempt - 1, 0))
    backoff = ceiling / 2 + ceiling / 2 * random_fn()
    if retry_after_secs is not None:
        return max(retry_after_secs, backoff)
    return backoff


def cause_is_clean(error: BaseException, secrets: tuple[str, ...]) -> bool:
    """Whether no secret appears in ``error`` or its chain (so ``raise ... from error`` is safe)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = f"{current!s} {current.args!r}"
        if any(redactable(secret) and secret in text for secret in secrets):
            return False
        current = current.__cause__ or current.__context__
    return True


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    try:
        return float(Retry(0).parse_retry_after(value))
    except InvalidHeader:
        return None


# --------------------------------------------------------------------------- rate limiting


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` in any window of ``per_secs``, allowing bursts of ``burst``.

    The bucket holds ``burst`` tokens and refills at ``(requests - burst) / per_secs``, so any
    window of ``per_secs`` sees at most ``burst + (requests - burst) = requests`` requests.
    """

    requests: int
    per_secs: float
    burst: int = 1

    def __post_init__(self) -> None:
        if not (1 <= self.burst < self.requests) or self.per_secs <= 0:
            raise ValueError("RateLimit needs 1 <= burst < requests and per_secs > 0")

    @property
    def rate_per_sec(self) -> float:
        return (self.requests - self.burst) / self.per_secs


class TokenBucket:
    """A thread-safe token bucket; :meth:`acquire` reserves a token and sleeps until it is due."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(limit.burst)
        self._last = clock()
        self._lock = threading.Lock()
        self.waited_secs = 0.0

    def acquire(self) -> float:
        """Take one token, sleeping as long as needed; return the seconds slept."""
        with self._lock:
            now = self._clock()
            rate = self.limit.rate_per_sec
            self._tokens = min(self.limit.burst, self._tokens + (now - self._last) * rate)
            self._last = now
            self._tokens -= 1.0  # may go negative: a reservation the caller waits out
            wait = 0.0 if self._tokens >= 0 else -self._tokens / rate
            self.waited_secs += wait
        if wait > 0:
            self._sleep(wait)
        return wait


# --------------------------------------------------------------------------- recording


class CallRecorder(Protocol):
    """Receives every request/response pair of a recorded endpoint (never headers)."""

    def record(
        self,
        provider: str,
        endpoint: str,
        request_json: str,
        response_text: str | None,
        error: str | None,
    ) -> None: ...


RECORD_MAX_RESPONSE_CHARS = 1024 * 1024
RECORD_MAX_TOTAL_CHARS = 4 * 1024 * 1024


@dataclass
class MemoryRecorder:
    """A :class:`CallRecorder` that keeps :class:`~shared.contracts.ModelCall` records.

    Recorded answers are capped, so that no run file can approach GitHub's 100 MB limit: an
    answer keeps at most ``max_response_chars`` characters, and all answers together at most
    ``max_total_chars``; a cut answer's record carries ``response_truncated`` (its whole
    length and sha256), and ``tb replay`` says that call cannot be replayed byte for byte.
    """

    calls: list[ModelCall] = field(default_factory=list)
    max_response_chars: int = RECORD_MAX_RESPONSE_CHARS
    max_total_chars: int = RECORD_MAX_TOTAL_CHARS
    recorded_chars: int = 0

    def record(
        self,
        provider: str,
        endpoint: str,
        request_json: str,
        response_text: str | None,
        error: str | None = None,
    ) -> None:
        truncated = None
        if response_text is not None:
            room = max(0, self.max_total_chars - self.recorded_chars)
            response_text, truncated = cap_text(response_text,
                                                min(self.max_response_chars, room))
            self.recorded_chars += len(response_text)
        self.calls.append(
            ModelCall(
                provider=provider,
                endpoint=endpoint,
                request_sha256=sha256_hex(request_json),
                request=request_json,
                response=response_text,
                error=error,
                response_truncated=truncated,
            )
        )


# --------------------------------------------------------------------------- the guard


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts, retry and breaker parameters of one provider."""

    connect_timeout_secs: float = 5.0
    read_timeout_secs: float = 30.0
    max_retries: int = 3
    backoff_base_secs: float = 0.5
    backoff_max_secs: float = 20.0
    max_retry_after_secs: float = 60.0
    breaker_fail_max: int = 3
    breaker_reset_timeout_secs: float = 60.0
    # No retry is started once a logical call has run this long (a slow, silent service
    # would otherwise cost attempts x read timeout).
    call_budget_secs: float = 40.0
    # Once failed calls to a provider have cost this much wall time in total, its breaker
    # opens and later calls fail fast: a run never stalls on one dead service.
    failure_budget_secs: float = 45.0
    # One answer must be whole within this long (a trickle never trips a read timeout).
    response_deadline_secs: float = 60.0
    # All calls to the provider in one run (successful or not) may take this long in total.
    provider_budget_secs: float = 300.0
    # An answer larger than this (decoded) is refused, after reading no more than this.
    max_response_bytes: int = 8 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> HttpPolicy:
        """The policy the settings describe, with per-provider ``overrides``."""
        values: dict[str, Any] = {
            "connect_timeout_secs": settings.tb_http_connect_timeout_secs,
            "read_timeout_secs": settings.tb_http_read_timeout_secs,
            "max_retries": settings.tb_http_max_retries,
            "breaker_fail_max": settings.tb_breaker_fail_max,
            "breaker_reset_timeout_secs": settings.tb_breaker_reset_timeout_secs,
            "call_budget_secs": settings.tb_http_call_budget_secs,
            "failure_budget_secs": settings.tb_http_failure_budget_secs,
            "response_deadline_secs": settings.tb_http_response_deadline_secs,
            "provider_budget_secs": settings.tb_http_provider_budget_secs,
            "max_response_bytes": settings.tb_http_max_response_bytes,
        }
        values.update(overrides)
        return cls(**values)


class _BreakerLog(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        old = getattr(old_state, "name", None)
        logger.warning("%s: circuit breaker %s -> %s", cb.name, old, new_state.name)


class ProviderGuard:
    """Breaker + retries + rate limit + counters for one provider.

    ``call(fn)`` runs ``fn`` (one attempt, which raises :mod:`shared.errors` types) under the
    rate limiter, retried per :func:`should_retry`/:func:`retry_delay`, inside the breaker.
    The breaker counts a *logical call* that still fails after its retries, and only
    transient failures: an auth or shape error says nothing about availability.
    pybreaker holds its lock for the duration of a call, so calls to one provider are
    serialised; throughput is bounded by the rate limiter anyway.

    Each attempt runs under an :class:`~shared.providers._bounds.AttemptLimit` (see
    :meth:`attempt_limit`); an attempt that cannot start because a bound is spent fails
    fast with that bound's code (``RUN_DEADLINE_EXCEEDED``, ``PROVIDER_TIME_BUDGET``).
    """

    def __init__(
        self,
        provider: str,
        policy: HttpPolicy | None = None,
        *,
        limiter: TokenBucket | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random_fn: Callable[[], float] = random.random,
        monotonic: Callable[[], float] = time.monotonic,
        deadline: RunDeadline | None = None,
    ) -> None:
        self.provider = provider
        self._monotonic = monotonic
        self.deadline = deadline
        self.failed_secs = 0.0
        self.spent_secs = 0.0
        self.policy = policy or HttpPolicy()
        self.limiter = limiter
        self._sleep = sleep
        self._random_fn = random_fn
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=self.policy.breaker_fail_max,
            reset_timeout=self.policy.breaker_reset_timeout_secs,
            exclude=[lambda e: not isinstance(e, TransientProviderError)],
            listeners=[_BreakerLog()],
            throw_new_error_on_trip=False,
            name=provider,
        )
        self._lock = threading.Lock()
        self.requests = 0
        self.calls_ok = 0
        self.calls_failed = 0
        self._reasons: dict[str, str] = {}
        self._last_detail = ""
        self._counted: dict[str, str] = {}

    def now(self) -> float:
        """The guard's monotonic clock."""
        return self._monotonic()

    def count_request(self) -> None:
        """Count one outbound request (called by whoever sends it)."""
        with self._lock:
            self.requests += 1

    def note(self, reason_code: str, detail: str, *, counted: bool = False) -> None:
        """Mark the provider degraded although the call succeeded (e.g. rejected items).

        ``counted``: ``detail`` holds a running count (items or calls over a cap); the
        latest one is always part of the status detail."""
        with self._lock:
            self._reasons.setdefault(reason_code, detail)
            self._last_detail = detail
            if counted:
                self._counted[reason_code] = detail

    def call(
        self,
        fn: Callable[[], T],
        *,
        idempotent: bool = True,
        limiter: TokenBucket | None = None,
    ) -> T:
        """Run ``fn`` under the policy; raise a :class:`ProviderError` when it finally fails.

        ``limiter`` replaces the guard's bucket for this call (a second host of the provider).
        """
        attempts = 1 + (self.policy.max_retries if idempotent else 1)

        def retryable(error: BaseException) -> bool:
            return should_retry(
                error,
                idempotent=idempotent,
                max_retry_after_secs=self.policy.max_retry_after_secs,
            )

        # No retry starts (nor its backoff) that cannot fit in the call budget; a retry's
        # attempt is cut off where the budget ends (see attempt_limit).
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts)
            | tenacity.stop_before_delay(self.policy.call_budget_secs),
            wait=self._wait,
            retry=tenacity.retry_if_exception(retryable),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        started = self._monotonic()
        attempt_number = 0

        def bounded() -> T:
            nonlocal attempt_number
            attempt_number += 1
            bucket = limiter or self.limiter
            waited = bucket.acquire() if bucket is not None else 0.0
            retry = attempt_number > 1
            now = self._monotonic() if retry or waited > 0 else started
            with attempt_scope(self.attempt_limit(started, now=now, retry=retry)):
                return fn()

        try:
            result: T = self.breaker.call(retrying, bounded)
        except pybreaker.CircuitBreakerError:
            error = CircuitOpenError(
                f"{self.provider}: circuit breaker open after repeated failures; "
                "not calling the provider",
                provider=self.provider,
            )
            self._failed(error)
            raise error from None
        except ProviderError as e:
            self._failed(e)
            elapsed = self._charge(started)
            if isinstance(e, TransientProviderError):
                self._spend(elapsed)
            raise
        self._charge(started)
        with self._lock:
            self.calls_ok += 1
        return result

    def _charge(self, started: float) -> float:
        # Charge a call's wall time to the provider's time budget; return it.
        elapsed = self._monotonic() - started
        with self._lock:
            self.spent_secs += elapsed
        return elapsed

    def attempt_limit(self, started: float, *, now: float | None = None,
                      retry: bool = False) -> AttemptLimit:
        """The limit of an attempt starting at ``now`` (default: the clock) of a call started
        at ``started``: the earliest of the response deadline, the call budget (retries
        only: a first attempt may take its whole response deadline), the provider's time
        budget and the run's deadline. Raises that bound's error when it has already passed
        (no request is made)."""
        now = self._monotonic() if now is None else now
        policy = self.policy
        bounds = [(now + policy.response_deadline_secs, Bound.RESPONSE,
                   policy.response_deadline_secs)]
        if retry:
            bounds.append((started + policy.call_budget_secs, Bound.CALL,
                           policy.call_budget_secs))
        with self._lock:
            provider_end = started + policy.provider_budget_secs - self.spent_secs
        bounds.append((provider_end, Bound.PROVIDER, policy.provider_budget_secs))
        if self.deadline is not None:
            bounds.append((now + self.deadline.remaining_secs(), Bound.RUN,
                           self.deadline.budget_secs))
        expires_at, bound, bound_secs = min(bounds, key=lambda b: b[0])
        limit = AttemptLimit(self.provider, expires_at, bound, bound_secs,
                             policy.max_response_bytes, policy.read_timeout_secs,
                             self._monotonic)
        if expires_at <= now:
            raise limit.exhausted(self.provider)
        return limit

    def _spend(self, secs: float) -> None:
        # Charge a failed call's wall time; past the budget, open the breaker for the run.
        with self._lock:
            self.failed_secs += secs
            over = self.failed_secs >= self.policy.failure_budget_secs
        if over and self.breaker.current_state != pybreaker.STATE_OPEN:
            logger.warning("%s: failed calls took %.0f s (budget %.0f s); opening the breaker",
                           self.provider, self.failed_secs, self.policy.failure_budget_secs)
            self.breaker.open()

    def status(self) -> ProviderStatus:
        """The provider's state for the run manifest."""
        with self._lock:
            reasons = tuple(sorted(self._reasons))
            if self.breaker.current_state == pybreaker.STATE_OPEN or (
                self.calls_failed and not self.calls_ok
            ):
                state = ProviderState.FAILED
            elif reasons:
                state = ProviderState.DEGRADED
            else:
                state = ProviderState.OK
            details = [*self._counted.values(), self._last_detail] if reasons else []
            detail = "; ".join(dict.fromkeys(d for d in details if d))[:500]
            return ProviderStatus(
                provider=self.provider,
                state=state,
                reason_codes=reasons,
                detail=detail,
                requests=self.requests,
            )

    def _failed(self, error: ProviderError) -> None:
        with self._lock:
            self.calls_failed += 1
            self._reasons.setdefault(type(error).reason_code, str(error))
            self._last_detail = str(error)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = error.retry_after_secs if isinstance(error, TransientHttpError) else None
        return retry_delay(
            state.attempt_number,
            base_secs=self.policy.backoff_base_secs,
            max_secs=self.policy.backoff_max_secs,
            random_fn=self._random_fn,
            retry_after_secs=retry_after,
        )

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.warning(
            "%s: attempt %d failed (%s); retrying in %.2f s",
            self.provider,
            state.attempt_number,
            error,
            wait,
        )


# --------------------------------------------------------------------------- the base client


KEY_ROTATED = "PROVIDER_KEY_ROTATED"
_QUOTA_WORDS = ("quota", "insufficient", "billing", "credit", "exceeded your", "out of")


def key_spent(status: int, text: str) -> str | None:
    """Why an answer says the key in use is finished, or ``None``: 401/403 refuse it
    (``"refused"``); 402, or a 429 whose body speaks of a quota, credits or billing, say it
    is used up (``"exhausted"``). A plain 429 is a rate limit: retried, never rotated."""
    if status in (401, 403):
        return "refused"
    lowered = text.lower()
    if status == 402 or (status == 429 and any(w in lowered for w in _QUOTA_WORDS)):
        return "exhausted"
    return None


class BaseClient:
    """Session, base URL, timeouts, logging and error translation for one provider.

    Subclasses add auth headers (:meth:`_headers`), endpoint methods that call
    :meth:`_call` with a ``parse`` function, and list their own secrets in ``_secrets`` so
    error messages and recordings can never carry them.
    """

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        session: requests.Session | None = None,
        policy: HttpPolicy | None = None,
        limiter: TokenBucket | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random_fn: Callable[[], float] = random.random,
        recorder: CallRecorder | None = None,
        deadline: RunDeadline | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else bounded_session()
        self.guard = ProviderGuard(
            provider, policy, limiter=limiter, sleep=sleep, random_fn=random_fn,
            deadline=deadline,
        )
        self.recorder = recorder
        self._secrets: tuple[str, ...] = ()
        self._keys: tuple[str, ...] = ()  # rotation order (see _use_keys); empty: no rotation
        self._key_index = 0

    @property
    def policy(self) -> HttpPolicy:
        return self.guard.policy

    def status(self) -> ProviderStatus:
        """The provider's state for the run manifest (see :meth:`ProviderGuard.status`)."""
        return self.guard.status()

    def _headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        idempotent: bool = True,
        base_url: str | None = None,
        limiter: TokenBucket | None = None,
        log_path: str | None = None,
        record_as: str | None = None,
    ) -> T:
        """One logical call: send (with retries), decode JSON, ``parse`` it; raise on failure.

        ``log_path`` replaces ``path`` in logs and errors (use it when the path holds a
        secret); ``record_as`` names the endpoint for the :class:`CallRecorder`.
        """

        def attempt() -> T:
            response = self._send(
                method,
                path,
                params=params,
                json_body=json_body,
                base_url=base_url,
                log_path=log_path or path,
                record_as=record_as,
            )
            return parse(self._decode(response, log_path or path))

        return self.guard.call(attempt, idempotent=idempotent, limiter=limiter)

    # --- key rotation: several keys for one provider (PPLX_API_KEY, PPLX_API_KEY_2, ...) ---

    def _use_keys(self, keys: Sequence[str]) -> None:
        """Give the client its keys in order; :attr:`_api_key` is the one in use. An auth
        failure or an exhausted quota moves to the next (see :meth:`_rotate`)."""
        self._keys = tuple(k for k in keys if k)
        self._key_index = 0
        self._secrets = (*self._secrets, *self._keys)

    @property
    def _api_key(self) -> str:
        return self._keys[self._key_index] if self._keys else ""

    def _rotate(self, response: requests.Response) -> bool:
        # Move to the next key when this answer says the key is refused or spent; the note
        # names key positions and the HTTP status only, never a key.
        reason = key_spent(response.status_code, response.text)
        keys = self._keys
        if reason is None or self._key_index + 1 >= len(keys):
            return False
        self._key_index += 1
        detail = (f"key {self._key_index} of {len(keys)} {reason} (HTTP "
                  f"{response.status_code}); now using key {self._key_index + 1}")
        logger.warning("%s: %s", self.provider, detail)
        self.guard.note(KEY_ROTATED, detail)
        return True

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        json_body: Any,
        base_url: str | None,
        log_path: str,
        record_as: str | None,
    ) -> requests.Response:
        while True:
            response = self._send_once(method, path, params=params, json_body=json_body,
                                       base_url=base_url, log_path=log_path,
                                       record_as=record_as)
            if response.status_code < 400 or not self._rotate(response):
                break
        status_error = self._status_error(response, method, log_path)
        if status_error is not None:
            raise status_error
        return response

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        json_body: Any,
        base_url: str | None,
        log_path: str,
        record_as: str | None,
    ) -> requests.Response:
        url = (base_url or self.base_url).rstrip("/") + path
        hide_cause = log_path != path
        started = time.perf_counter()
        self.guard.count_request()
        limit = current_attempt() or self.guard.attempt_limit(self.guard.now())
        where = f"{self.provider} {method} {log_path}"
        try:
            response = self._fetch(method, url, params, json_body, limit, where)
        except (requests.exceptions.RequestException, ProviderError) as e:
            elapsed_ms = (time.perf_counter() - started) * 1000
            if isinstance(e, ProviderError):
                error: ProviderError = e
            elif limit.remaining_secs() <= 0:  # the watchdog cut the connection
                error = limit.expired(where)
            else:
                error = self._transport_error(e, method, log_path)
            outcome = error.reason_code if isinstance(e, ProviderError) else type(e).__name__
            logger.info("%s %s %s -> %s in %.0f ms", self.provider, method, log_path,
                        outcome, elapsed_ms)
            self._record(record_as, method, path, params, json_body, None, str(error))
            if error is e:
                raise
            if hide_cause or not cause_is_clean(e, self._secrets):
                raise error from None
            raise error from e
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "%s %s %s -> %d in %.0f ms",
            self.provider,
            method,
            log_path,
            response.status_code,
            elapsed_ms,
        )
        status_error = self._status_error(response, method, log_path)
        self._record(
            record_as,
            method,
            path,
            params,
            json_body,
            response.text,
            str(status_error) if status_error else None,
        )
        return response

    def _fetch(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        json_body: Any,
        limit: AttemptLimit,
        where: str,
    ) -> requests.Response:
        # Send, then stream the body within ``limit`` (time and size); the response comes
        # back with its body read, as a non-streamed one would.
        response = self.session.request(
            method,
            url,
            params=params,
            json=json_body,
            headers=self._headers(),
            timeout=(self.policy.connect_timeout_secs, limit.read_timeout()),
            allow_redirects=False,
            stream=True,
        )
        try:
            body = read_body(response, limit, where)
        except BaseException:
            response.close()
            raise
        response.raw.release_conn()
        # requests' own cache of a read body: .content, .text and .json() use it.
        response._content = body
        return response

    def _transport_error(
        self, error: requests.exceptions.RequestException, method: str, log_path: str
    ) -> TransientHttpError:
        where = f"{self.provider} {method} {log_path}"
        if isinstance(error, requests.exceptions.ConnectTimeout):
            return TransientHttpError(
                f"{where}: connect timeout", provider=self.provider, request_sent=False
            )
        if isinstance(error, requests.exceptions.Timeout):
            return TransientHttpError(
                f"{where}: read timeout after {self.policy.read_timeout_secs:g} s",
                provider=self.provider,
            )
        reason = getattr(error.args[0], "reason", None) if error.args else None
        never_connected = isinstance(reason, ConnectTimeoutError)
        kind = "could not connect" if never_connected else "connection error"
        return TransientHttpError(
            f"{where}: {kind} ({type(error).__name__})",
            provider=self.provider,
            request_sent=not never_connected,
        )

    def _status_error(
        self, response: requests.Response, method: str, log_path: str
    ) -> ProviderError | None:
        status = response.status_code
        if 200 <= status < 300:
            return None
        snippet = self._redact(" ".join(response.text.split())[:200])
        message = f"{self.provider} {method} {log_path}: HTTP {status}: {snippet}"
        if status in (401, 403):
            return ProviderAuthError(message, provider=self.provider, status_code=status)
        if status in (408, 429) or status >= 500:
            return TransientHttpError(
                message,
                provider=self.provider,
                status_code=status,
                retry_after_secs=self._retry_after(response),
            )
        return ProviderResponseError(message, provider=self.provider, status_code=status)

    def _retry_after(self, response: requests.Response) -> float | None:
        return parse_retry_after(response.headers.get("Retry-After"))

    def _decode(self, response: requests.Response, log_path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ProviderResponseError(
                f"{self.provider} {log_path}: response is not valid JSON "
                f"({len(response.content)} bytes)",
                provider=self.provider,
                status_code=response.status_code,
            ) from None

    def _validate(self, type_: type[T], data: Any, *, what: str) -> T:
        """Validate ``data`` as ``type_``; a mismatch is a :class:`ProviderResponseError`."""
        try:
            return TypeAdapter(type_).validate_python(data)
        except ValidationError as e:
            raise self._shape_error(what, e) from None

    def _shape_error(self, what: str, error: ValidationError) -> ProviderResponseError:
        first = error.errors(include_input=False, include_url=False)[0]
        location = ".".join(str(part) for part in first["loc"]) or "<root>"
        return ProviderResponseError(
            f"{self.provider}: {what} has the wrong shape "
            f"({error.error_count()} errors; first at {location}: {first['msg']})",
            provider=self.provider,
        )

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def _record(
        self,
        endpoint: str | None,
        method: str,
        path: str,
        params: Any,
        json_body: Any,
        response_text: str | None,
        error: str | None,
    ) -> None:
        if self.recorder is None or endpoint is None:
            return
        request = {"method": method, "path": path, "params": params, "json": json_body}
        request_json = json.dumps(request, sort_keys=True, ensure_ascii=False, default=str)
        self.recorder.record(
            self.provider,
            endpoint,
            self._redact(request_json),
            self._redact(response_text) if response_text is not None else None,
            self._redact(error) if error is not None else None,
        )
