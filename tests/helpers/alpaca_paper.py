"""A stand-in for Alpaca's paper trading API on a real loopback socket, with fault injection.

It keeps orders the way Alpaca does (an id per order, ``client_order_id``, status, fills),
answers ``POST /v2/orders``, ``GET /v2/orders:by_client_order_id``, ``DELETE /v2/orders/{id}``,
``GET /v2/positions`` and ``GET /v2/account``, and checks the key headers (401 otherwise).

Faults are scripted per POST (``post_faults``, consumed in order) and per lookup
(``lookup_faults``). "after" faults *accept* the order first and then fail the answer (the
case a blind retry would duplicate); "before" faults fail without accepting:

    timeout_after  accept, then answer too late (the client's read timeout fires)
    reset_after    accept, then reset the connection
    5xx_after      accept, then answer 502
    timeout_before / reset_before / 5xx_before   the same, nothing accepted
    429            rate limited, ``Retry-After: 1``; 429_bare: without Retry-After
    reject_403     403 insufficient buying power; reject_422: 422 invalid qty
    (lookups) 5xx  answer 500; miss: answer 404 although the order exists (read lag)

By default the stand-in does NOT enforce unique client ids (``unique_client_ids=False``), so
a duplicate order would show: zero duplicates is then the client's doing, not the venue's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tests.helpers.loopback import LoopbackServer, RecordedRequest, Reply

__all__ = ["KEY_ID", "SECRET", "FakeAlpaca"]

KEY_ID = "PKTESTKEY123"
SECRET = "test-secret-value-9f8e7d"  # noqa: S105 - a test stand-in's credential
LATE_SECS = 0.6  # longer than the test policy's read timeout


@dataclass
class FakeAlpaca:
    post_faults: list[str] = field(default_factory=list)
    lookup_faults: list[str] = field(default_factory=list)
    unique_client_ids: bool = False
    fill_price: float | None = None  # fill market orders at this price when set
    cash: float = 100_000.0
    positions: list[dict[str, Any]] = field(default_factory=list)
    account_overrides: dict[str, Any] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.server = LoopbackServer()
        self.server.route("POST", "/v2/orders", self._post)
        self.server.route("GET", "/v2/orders:by_client_order_id", self._lookup)
        self.server.route("DELETE", "/v2/orders/*", self._cancel)
        self.server.route("GET", "/v2/positions", self._positions)
        self.server.route("GET", "/v2/account", self._account)

    # -- counts the fault matrix reads ------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url

    def posts(self) -> int:
        return len(self.server.requests_to("/v2/orders"))

    def lookups(self) -> int:
        return len(self.server.requests_to("/v2/orders:by_client_order_id"))

    def held(self, client_order_id: str) -> int:
        return sum(o["client_order_id"] == client_order_id for o in self.orders)

    def __enter__(self) -> FakeAlpaca:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    # -- routes ----------------------------------------------------------------------------

    def _authorized(self, request: RecordedRequest) -> bool:
        return (request.headers.get("apca-api-key-id") == KEY_ID
                and request.headers.get("apca-api-secret-key") == SECRET)

    def _post(self, request: RecordedRequest) -> Reply:
        if not self._authorized(request):
            return Reply(401, json={"code": 40110000, "message": "request is not authorized"})
        with self._lock:
            fault = self.post_faults.pop(0) if self.post_faults else "ok"
        early = _early_reply(fault)
        if early is not None:
            return early
        body = request.json()
        with self._lock:
            if self.unique_client_ids and self.held(body["client_order_id"]):
                return Reply(422, json={"code": 40010001,
                                        "message": "client_order_id must be unique"})
            order = self._accept(body)
        if fault == "timeout_after":
            return Reply(json=order, delay_secs=LATE_SECS)
        if fault == "reset_after":
            return Reply(drop=True)
        if fault == "5xx_after":
            return Reply(502, json={"message": "bad gateway"})
        return Reply(200, json=order)

    def _accept(self, body: dict[str, Any]) -> dict[str, Any]:
        n = len(self.orders) + 1
        filled = self.fill_price is not None and body.get("type") == "market"
        order = {
            "id": f"61e69015-0000-4000-8000-{n:012d}", "client_order_id": body["client_order_id"],
            "created_at": "2026-01-02T15:00:00.000000Z", "submitted_at": "2026-01-02T15:00:00Z",
            "filled_at": "2026-01-02T15:00:01Z" if filled else None,
            "symbol": body["symbol"], "asset_class": "crypto" if "/" in body["symbol"]
            else "us_equity", "qty": body["qty"], "notional": None,
            "filled_qty": body["qty"] if filled else "0",
            "filled_avg_price": str(self.fill_price) if filled else None, "order_class": "",
            "type": body["type"], "side": body["side"], "time_in_force": body["time_in_force"],
            "limit_price": body.get("limit_price"), "stop_price": None,
            "status": "filled" if filled else "accepted", "extended_hours": False,
            "legs": None,
        }
        self.orders.append(order)
        return order

    def _lookup(self, request: RecordedRequest) -> Reply:
        if not self._authorized(request):
            return Reply(401, json={"code": 40110000, "message": "request is not authorized"})
        with self._lock:
            fault = self.lookup_faults.pop(0) if self.lookup_faults else "ok"
            if fault == "5xx":
                return Reply(500, json={"message": "internal server error"})
            cid = request.param("client_order_id")
            found = [o for o in self.orders if o["client_order_id"] == cid and fault != "miss"]
        if not found:
            return Reply(404, json={"code": 40410000, "message": "order not found"})
        return Reply(200, json=found[-1])

    def _cancel(self, request: RecordedRequest) -> Reply:
        order_id = request.path.rsplit("/", 1)[-1]
        with self._lock:
            for order in self.orders:
                if order["id"] == order_id:
                    if order["status"] not in ("new", "accepted", "partially_filled"):
                        return Reply(422, json={"code": 42210000,
                                                "message": "order is not cancelable"})
                    order["status"] = "canceled"
                    return Reply(204)
        return Reply(404, json={"code": 40410000, "message": "order not found"})

    def _positions(self, request: RecordedRequest) -> Reply:
        return Reply(200, json=self.positions)

    def _account(self, request: RecordedRequest) -> Reply:
        values = [float(p["market_value"]) for p in self.positions]
        longs = sum(v for v in values if v > 0)
        shorts = sum(v for v in values if v < 0)
        account = {"id": "acct", "status": "ACTIVE", "currency": "USD",
                   "cash": str(self.cash), "equity": str(self.cash + longs + shorts),
                   "long_market_value": str(longs), "short_market_value": str(shorts),
                   "buying_power": str(2 * self.cash)}
        account.update(self.account_overrides)
        return Reply(200, json=account)


def _early_reply(fault: str) -> Reply | None:
    # Faults that answer before (without) accepting the order.
    return {
        "timeout_before": Reply(delay_secs=LATE_SECS, drop=True),
        "reset_before": Reply(drop=True),
        "5xx_before": Reply(503, json={"message": "service unavailable"}),
        "429": Reply(429, json={"message": "rate limit exceeded"},
                     headers={"Retry-After": "1"}),
        "429_bare": Reply(429, json={"message": "rate limit exceeded"}),
        "reject_403": Reply(403, json={"code": 40310000,
                                       "message": "insufficient buying power"}),
        "reject_422": Reply(422, json={"code": 42210000,
                                       "message": "invalid qty: qty must be > 0"}),
    }.get(fault)
