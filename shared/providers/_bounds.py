"""Bounds on the time and size of every provider call (issue 11).

requests' read timeout bounds one socket read, not an answer: a server that sends one byte
per second never trips it. So each *attempt* gets an :class:`AttemptLimit`, set by the
:class:`~shared.providers._http.ProviderGuard` around the attempt: a wall-clock end, the
earliest of

* the whole-answer deadline of one request (``TB_HTTP_RESPONSE_DEADLINE_SECS``),
* for a retry, what is left of the logical call's budget (``TB_HTTP_CALL_BUDGET_SECS``),
* what is left of the provider's time budget for the run (``TB_HTTP_PROVIDER_BUDGET_SECS``),
* what is left of the run (:class:`RunDeadline`, ``TB_RUN_DEADLINE_SECS``),

and a byte limit (``TB_HTTP_MAX_RESPONSE_BYTES``). The transports honour it in each phase:

* requests: the status line and headers are read under a watchdog that shuts the socket
  down at the end (:class:`DeadlineAdapter`); the body is streamed by :func:`read_body`,
  each read with a socket timeout of at most the time left, refused past the byte limit.
* huggingface_hub (httpx2): the call runs in a worker that is abandoned at the end
  (:func:`call_within`); the body stream is checked per chunk (:class:`BoundedTransport`),
  so the abandoned worker stops at its next chunk.

:class:`ModelCallCap` caps model calls per run; :func:`cap_text` truncates what a record
keeps of a long answer.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

import httpx2
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError
from urllib3.response import HTTPResponse

from shared.contracts import TruncatedText, sha256_hex
from shared.errors import (
    DeadlineExceeded,
    ModelCallsCapped,
    ProviderError,
    ProviderTimeBudgetExceeded,
    ResponseTooLarge,
    RunDeadlineExceeded,
)

__all__ = [
    "AttemptLimit",
    "Bound",
    "BoundedTransport",
    "DeadlineAdapter",
    "ModelCallCap",
    "RunDeadline",
    "attempt_scope",
    "bounded_session",
    "call_within",
    "cap_text",
    "current_attempt",
    "read_body",
]

T = TypeVar("T")

_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class RunDeadline:
    """The wall-clock end of a run's provider calls; every client of one run holds the same
    one. Past it, calls fail fast with ``RUN_DEADLINE_EXCEEDED``.

    >>> RunDeadline.start(600.0, clock=lambda: 100.0).expires_at
    700.0
    """

    budget_secs: float
    expires_at: float
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    @classmethod
    def start(cls, budget_secs: float, *, clock: Callable[[], float] = time.monotonic
              ) -> RunDeadline:
        """A deadline ``budget_secs`` from now."""
        return cls(budget_secs, clock() + budget_secs, clock)

    def remaining_secs(self) -> float:
        return self.expires_at - self.clock()


class Bound(StrEnum):
    """Which bound ends an attempt first (it names the error raised when it passes)."""

    RESPONSE = "response deadline (TB_HTTP_RESPONSE_DEADLINE_SECS)"
    CALL = "call budget (TB_HTTP_CALL_BUDGET_SECS)"
    PROVIDER = "provider time budget (TB_HTTP_PROVIDER_BUDGET_SECS)"
    RUN = "run deadline (TB_RUN_DEADLINE_SECS)"


@dataclass(frozen=True)
class AttemptLimit:
    """What one attempt may take: until ``expires_at`` (``clock`` time) and ``max_bytes``."""

    provider: str
    expires_at: float
    bound: Bound
    bound_secs: float
    max_bytes: int
    read_timeout_secs: float
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def remaining_secs(self) -> float:
        return self.expires_at - self.clock()

    def read_timeout(self) -> float:
        """The socket timeout for the next read: the read timeout, at most the time left."""
        return max(0.001, min(self.read_timeout_secs, self.remaining_secs()))

    def expired(self, where: str) -> ProviderError:
        """The error for an attempt cut off by its bound."""
        return self._error(f"{where}: cut off: the answer was not complete within the "
                           f"{self.bound} of {self.bound_secs:g} s")

    def exhausted(self, where: str) -> ProviderError:
        """The error for an attempt that cannot start: its bound has already passed."""
        return self._error(f"{where}: not called: the {self.bound} of {self.bound_secs:g} s "
                           "is spent")

    def too_large(self, where: str, seen: str) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"{where}: answer refused: {seen}, over the limit of {self.max_bytes} bytes "
            "(TB_HTTP_MAX_RESPONSE_BYTES)", provider=self.provider)

    def _error(self, message: str) -> ProviderError:
        if self.bound is Bound.RUN:
            return RunDeadlineExceeded(message, provider=self.provider)
        if self.bound is Bound.PROVIDER:
            return ProviderTimeBudgetExceeded(message, provider=self.provider)
        return DeadlineExceeded(message, provider=self.provider)


_ATTEMPT: contextvars.ContextVar[AttemptLimit | None] = contextvars.ContextVar(
    "tb_attempt_limit", default=None)


def current_attempt() -> AttemptLimit | None:
    """The limit of the attempt running in this context (None outside a guarded call)."""
    return _ATTEMPT.get()


@contextlib.contextmanager
def attempt_scope(limit: AttemptLimit) -> Iterator[AttemptLimit]:
    """Make ``limit`` the current attempt's limit inside the block."""
    token = _ATTEMPT.set(limit)
    try:
        yield limit
    finally:
        _ATTEMPT.reset(token)


# --------------------------------------------------------------------------- requests


def _shut(conn: HTTPConnection) -> None:
    # The watchdog: a blocked read on the socket returns at once (the attempt then fails).
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _watched(conn: HTTPConnection, read: Callable[[], HTTPResponse]) -> HTTPResponse:
    limit = current_attempt()
    if limit is None:
        return read()
    timer = threading.Timer(max(0.0, limit.remaining_secs()), _shut, (conn,))
    timer.daemon = True
    timer.start()
    try:
        return read()
    finally:
        timer.cancel()


# urllib3 narrows http.client's getresponse return type the same way (its own ignore).
class _WatchedConnection(HTTPConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        return _watched(self, super().getresponse)


class _WatchedTlsConnection(HTTPSConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        return _watched(self, super().getresponse)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedTlsConnection


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections are shut down when the current attempt's limit passes
    while the status line and headers are still arriving (a read timeout cannot see a
    server that trickles them). No retries of its own, like requests' default adapter."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}


def bounded_session() -> requests.Session:
    """A session with :class:`DeadlineAdapter` for http and https."""
    session = requests.Session()
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def read_body(response: requests.Response, limit: AttemptLimit, where: str) -> bytes:
    """Read a streamed (``stream=True``) body whole within ``limit``.

    Raises the limit's error when time runs out or the body (decoded) exceeds the byte
    limit, and requests' own exceptions for transport failures (as a non-streamed request
    would); the caller closes the response.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit.max_bytes:
        raise limit.too_large(where, f"it declares {int(declared)} bytes")
    raw = response.raw
    body = bytearray()
    while True:
        if limit.remaining_secs() <= 0:
            raise limit.expired(where)
        _set_read_timeout(raw, limit.read_timeout())
        try:
            chunk = raw.read1(_CHUNK_BYTES, decode_content=True)
        except (ReadTimeoutError, TimeoutError) as e:
            if limit.remaining_secs() <= 0:
                raise limit.expired(where) from None
            raise requests.exceptions.ReadTimeout(e) from e
        except DecodeError as e:
            raise requests.exceptions.ContentDecodingError(e) from e
        except (ProtocolError, OSError) as e:
            if limit.remaining_secs() <= 0:
                raise limit.expired(where) from None
            raise requests.exceptions.ChunkedEncodingError(e) from e
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit.max_bytes:
            raise limit.too_large(where, f"more than {limit.max_bytes} bytes arrived")


# Bound the next blocking read of the response's socket (absent for mocked responses).
def _set_read_timeout(raw: Any, secs: float) -> None:
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.settimeout(secs)


# --------------------------------------------------------------------------- httpx2 (HF)


class _BoundedStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, limit: AttemptLimit, where: str) -> None:
        self.inner, self.limit, self.where = inner, limit, where

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        for chunk in self.inner:
            seen += len(chunk)
            if seen > self.limit.max_bytes:
                raise self.limit.too_large(self.where, f"more than {self.limit.max_bytes} "
                                           "bytes arrived")
            if self.limit.remaining_secs() <= 0:
                raise self.limit.expired(self.where)
            yield chunk

    def close(self) -> None:
        self.inner.close()


class BoundedTransport(httpx2.BaseTransport):
    """An httpx2 transport whose response bodies honour the current attempt's limit."""

    def __init__(self, inner: httpx2.BaseTransport | None = None) -> None:
        self.inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        limit = current_attempt()
        if limit is not None and isinstance(response.stream, httpx2.SyncByteStream):
            where = f"{limit.provider} {request.method} {request.url.path}"
            response.stream = _BoundedStream(response.stream, limit, where)
        return response

    def close(self) -> None:
        self.inner.close()


def call_within(fn: Callable[[], T], limit: AttemptLimit | None, where: str) -> T:
    """``fn()``, but given up at ``limit``'s end: the caller gets the limit's error and the
    worker (a daemon thread) is abandoned; its bounded stream ends it at its next chunk."""
    if limit is None:
        return fn()
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def work() -> None:
        try:
            outcome["value"] = context.run(fn)
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread as is
            outcome["error"] = e

    worker = threading.Thread(target=work, name=f"tb-{limit.provider}-call", daemon=True)
    worker.start()
    worker.join(max(0.0, limit.remaining_secs()))
    if worker.is_alive():
        raise limit.expired(where)
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


# --------------------------------------------------------------------------- caps


class ModelCallCap:
    """At most ``max_calls`` model calls per run, shared by FinBERT and the LLM check; what
    is refused is counted (:attr:`refused`) and reported, never silently dropped."""

    def __init__(self, max_calls: int) -> None:
        self.max_calls = max_calls
        self.used = 0
        self.refused = 0
        self._lock = threading.Lock()

    def take(self, calls: int) -> bool:
        """Reserve ``calls`` calls, all or none; False (and counted) when they do not fit."""
        with self._lock:
            if self.used + calls <= self.max_calls:
                self.used += calls
                return True
            self.refused += calls
            return False

    def refusal(self, provider: str) -> ModelCallsCapped:
        return ModelCallsCapped(
            f"{provider}: {self.refused} model calls not made: over the run's cap of "
            f"{self.max_calls} (TB_MODEL_MAX_CALLS_PER_RUN)", provider=provider)


def cap_text(text: str, max_chars: int) -> tuple[str, TruncatedText | None]:
    """``text`` if it has at most ``max_chars`` characters, else its first ``max_chars``
    and a :class:`TruncatedText` naming the whole (length, UTF-8 size, sha256).

    >>> cap_text("abcdef", 4)[0], cap_text("abcdef", 4)[1].chars
    ('abcd', 6)
    """
    if len(text) <= max_chars:
        return text, None
    encoded = text.encode("utf-8", "surrogatepass")
    return text[:max(0, max_chars)], TruncatedText(
        chars=len(text), utf8_bytes=len(encoded), sha256=sha256_hex(encoded),
        kept_chars=max(0, max_chars))
