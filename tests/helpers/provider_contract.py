"""The fault-matrix contract every provider endpoint must satisfy.

An :class:`Endpoint` says how to reach one client method on a loopback server (method, path,
how to build the client and call it) and gives three answers in the real shape: ``ok``, a
``wrong_shape`` and an ``empty`` one. :data:`FAULT_CELLS` lists the faults and the outcome
each must have; :func:`assert_cell` runs one cell through a real :class:`LoopbackServer`.

Outcomes (``attempts`` = 1 + ``max_retries`` for idempotent calls, 1 otherwise):

==================  =========================================  ===========
cell                outcome                                     requests
==================  =========================================  ===========
timeout             TransientProviderError                      attempts
connection_reset    TransientProviderError                      attempts
http_500            TransientProviderError                      attempts
http_503            TransientProviderError                      attempts
http_429            success after waiting the server's delay    2
http_401            ProviderAuthError                           1
malformed_json      ProviderResponseError                       1
wrong_shape         ProviderResponseError                       1
empty_result        empty value, or ProviderResponseError when  1
                    "empty" is not a valid answer (``empty_is_error``)
==================  =========================================  ===========

Failures leave ``client.status()`` FAILED with the error's reason code; successes leave OK.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shared.contracts import ProviderState, ProviderStatus
from shared.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    TransientProviderError,
)
from shared.providers._http import HttpPolicy
from tests.helpers.loopback import LoopbackServer, Reply

__all__ = [
    "FAULT_CELLS",
    "FIXTURES",
    "TEST_POLICY",
    "Cell",
    "Endpoint",
    "FakeSleep",
    "assert_cell",
    "load_fixture",
]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Short timeouts so the timeout cells take a fraction of a second; a breaker that never
# trips inside one cell (breaker behaviour has its own tests).
TEST_POLICY = HttpPolicy(
    connect_timeout_secs=1.0,
    read_timeout_secs=0.2,
    max_retries=2,
    backoff_base_secs=0.01,
    backoff_max_secs=0.05,
    max_retry_after_secs=5.0,
    breaker_fail_max=100,
    breaker_reset_timeout_secs=60.0,
)

RETRY_AFTER_SECS = 2.0


def load_fixture(provider: str, name: str) -> Any:
    """The parsed JSON of ``tests/fixtures/<provider>/<name>.json``."""
    return json.loads((FIXTURES / provider / f"{name}.json").read_text(encoding="utf-8"))


class FakeSleep:
    """An injected ``sleep`` that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, secs: float) -> None:
        self.calls.append(secs)


class HasStatus(Protocol):
    def status(self) -> ProviderStatus: ...


@dataclass(frozen=True)
class Endpoint:
    """One client method under contract.

    ``build(base_url, sleep)`` returns ``(client, call)``: the client (for ``status()``) and a
    zero-argument function that invokes the method against ``base_url``.
    """

    id: str
    method: str
    path: str
    build: Callable[[str, FakeSleep], tuple[HasStatus, Callable[[], Any]]]
    ok: Reply
    wrong_shape: Reply
    empty: Reply
    check_empty: Callable[[Any], None] | None = None  # None: "empty" must be an error
    idempotent: bool = True
    rate_limited: Reply = field(
        default_factory=lambda: Reply(
            status=429,
            json={"message": "too many requests"},
            headers={"Retry-After": str(int(RETRY_AFTER_SECS))},
        )
    )

    @property
    def attempts(self) -> int:
        return 1 + TEST_POLICY.max_retries if self.idempotent else 1


@dataclass(frozen=True)
class Cell:
    """One fault and its required outcome (``expect`` None means the call succeeds)."""

    name: str
    script: Callable[[Endpoint], list[Reply]]
    expect: type[ProviderError] | None
    requests: Callable[[Endpoint], int]


def _empty_expectation(endpoint: Endpoint) -> type[ProviderError] | None:
    return ProviderResponseError if endpoint.check_empty is None else None


FAULT_CELLS: tuple[Cell, ...] = (
    Cell(
        "timeout",
        lambda e: [Reply(delay_secs=1.5, json={})],
        TransientProviderError,
        lambda e: e.attempts,
    ),
    Cell(
        "connection_reset",
        lambda e: [Reply(drop=True)],
        TransientProviderError,
        lambda e: e.attempts,
    ),
    Cell(
        "http_500",
        lambda e: [Reply(status=500, json={"error": "internal server error"})],
        TransientProviderError,
        lambda e: e.attempts,
    ),
    Cell(
        "http_503",
        lambda e: [
            Reply(status=503, body="Service Unavailable", headers={"Content-Type": "text/plain"})
        ],
        TransientProviderError,
        lambda e: e.attempts,
    ),
    Cell("http_429", lambda e: [e.rate_limited, e.ok], None, lambda e: 2),
    Cell(
        "http_401",
        lambda e: [Reply(status=401, json={"message": "unauthorized"})],
        ProviderAuthError,
        lambda e: 1,
    ),
    Cell(
        "malformed_json",
        lambda e: [Reply(body='{"truncated": [1, 2')],
        ProviderResponseError,
        lambda e: 1,
    ),
    Cell("wrong_shape", lambda e: [e.wrong_shape], ProviderResponseError, lambda e: 1),
    Cell("empty_result", lambda e: [e.empty], None, lambda e: 1),
)


def assert_cell(endpoint: Endpoint, cell: Cell) -> None:
    """Run ``cell`` against ``endpoint`` through a loopback server and check its outcome."""
    expect = _empty_expectation(endpoint) if cell.name == "empty_result" else cell.expect
    sleep = FakeSleep()
    with LoopbackServer() as server:
        server.route(endpoint.method, endpoint.path, *cell.script(endpoint))
        client, call = endpoint.build(server.url, sleep)
        outcome: Any = None
        error: ProviderError | None = None
        try:
            outcome = call()
        except ProviderError as e:
            error = e
        made = len(server.requests_to(_concrete(endpoint.path, server)))
    status = client.status()
    where = f"{endpoint.id} x {cell.name}"
    if expect is None:
        assert error is None, f"{where}: expected success, got {error!r}"
        assert status.state is ProviderState.OK, f"{where}: status {status}"
        if cell.name == "empty_result" and endpoint.check_empty is not None:
            endpoint.check_empty(outcome)
        if cell.name == "http_429":
            assert any(wait >= RETRY_AFTER_SECS for wait in sleep.calls), (
                f"{where}: Retry-After not honoured (waits {sleep.calls})"
            )
    else:
        assert isinstance(error, expect), f"{where}: expected {expect.__name__}, got {error!r}"
        assert status.state is ProviderState.FAILED, f"{where}: status {status}"
        assert type(error).reason_code in status.reason_codes, f"{where}: {status}"
    assert made == cell.requests(endpoint), (
        f"{where}: {made} requests, want {cell.requests(endpoint)}"
    )
    assert status.requests == made, f"{where}: client counted {status.requests}, server saw {made}"


def _concrete(path: str, server: LoopbackServer) -> str:
    if not path.endswith("*"):
        return path
    matches = {r.path for r in server.requests if r.path.startswith(path[:-1])}
    return matches.pop() if matches else path
