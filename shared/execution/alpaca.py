"""Alpaca paper trading behind the :class:`~shared.execution.broker.Broker` interface.

The project's own client on the one HTTP policy (:class:`~shared.providers._http.BaseClient`:
timeouts, breaker, rate limit, bounded bodies, redaction), against the paper host only:
``POST /v2/orders``, ``GET /v2/orders:by_client_order_id``, ``DELETE /v2/orders/{id}``,
``GET /v2/positions``, ``GET /v2/account`` (external-apis.md §1.6).

**An order POST is never retried blindly.** Before posting, the order is looked up by its
``client_order_id`` (a retried run finds it and places nothing, whatever the venue does with
reused ids). The guard runs it as a non-idempotent call, so
it repeats an attempt only when the server cannot have acted (a 429 that names its wait in
``Retry-After``, a connection never established). Any other failure after the request may
have left (a read timeout, a reset, a 5xx, a 429 without ``Retry-After``) is settled by
looking the order up by its ``client_order_id``: found, it is the answer; truly absent
(404), the order is posted again, at most ``max_submits`` times in all; if the lookup itself
fails, nothing is resubmitted and :class:`OrderUnconfirmed` is raised
(``ALPACA_ORDER_UNCONFIRMED``). Alpaca refuses a reused ``client_order_id`` (422), which is
answered from the lookup as a duplicate.

Refusals (403 insufficient buying power or qty, 422 bad parameters, an order that comes back
``rejected``) become ``OrderAck(accepted=False)`` with a ``REJECT_*`` code and Alpaca's
message. Keys come from the environment (``APCA_API_KEY_ID``/``APCA_API_SECRET_KEY`` via
:class:`~shared.settings.Settings`) and are redacted from every error and record.

Example::

    broker = AlpacaPaperBroker.from_settings(Settings())
    ack = broker.submit(Order("tb-…", "AAPL", OrderSide.BUY, 1))
    mismatches = broker.reconcile(expected={"AAPL": 1})  # [] when reconciled
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from shared.errors import (
    ConfigError,
    ProviderError,
    ProviderResponseError,
    TransientProviderError,
)
from shared.execution.broker import (
    Account,
    Fill,
    Order,
    OrderAck,
    OrderSide,
    OrderState,
    OrderStatus,
    OrderType,
    Position,
    TimeInForce,
)
from shared.providers._bounds import RunDeadline
from shared.providers._http import (
    BaseClient,
    CallRecorder,
    HttpPolicy,
    TokenBucket,
    TransientHttpError,
    retry_delay,
)
from shared.providers.alpaca import TRADING_RATE_LIMIT, to_wire_symbol
from shared.settings import Settings

__all__ = ["PAPER_URL", "AccountSnapshot", "AlpacaPaperBroker", "AlpacaRejected", "Mismatch",
           "OrderUnconfirmed", "reconcile", "reject_code"]

logger = logging.getLogger(__name__)

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_HOST = "api.alpaca.markets"
LOOKUP_PATH = "/v2/orders:by_client_order_id"
_TIF = {TimeInForce.GTC: "gtc", TimeInForce.DAY: "day", TimeInForce.FOK: "fok",
        TimeInForce.FAK: "ioc"}
_STATE = {"new": OrderState.NEW, "accepted": OrderState.NEW, "pending_new": OrderState.NEW,
          "accepted_for_bidding": OrderState.NEW, "pending_cancel": OrderState.NEW,
          "pending_replace": OrderState.NEW, "held": OrderState.NEW,
          "partially_filled": OrderState.PARTIALLY_FILLED, "filled": OrderState.FILLED,
          "done_for_day": OrderState.CANCELLED, "canceled": OrderState.CANCELLED,
          "replaced": OrderState.CANCELLED, "stopped": OrderState.FILLED,
          "suspended": OrderState.NEW, "calculated": OrderState.FILLED,
          "expired": OrderState.EXPIRED, "rejected": OrderState.REJECTED}


class AlpacaRejected(ProviderResponseError):
    """Alpaca refused the request (403/422) with ``{"code", "message"}``."""

    reason_code = "REJECT_VENUE_ERROR"

    def __init__(self, message: str, *, provider: str, status_code: int, alpaca_code: int | None,
                 alpaca_message: str) -> None:
        super().__init__(message, provider=provider, status_code=status_code)
        self.alpaca_code = alpaca_code
        self.alpaca_message = alpaca_message


class OrderUnconfirmed(TransientProviderError):
    """The order is not confirmed placed: every POST failed (each lookup showed it absent),
    or after a POST that may have reached Alpaca the lookup could not tell whether the order
    exists. Nothing more was resubmitted."""

    reason_code = "ALPACA_ORDER_UNCONFIRMED"


def reject_code(status_code: int, message: str) -> str:
    """The ``REJECT_*`` code of an Alpaca refusal, from its status and message."""
    text = message.lower()
    if "insufficient" in text or "buying power" in text:
        return "REJECT_INSUFFICIENT_FUNDS"
    if "sub-penny" in text or "increment" in text:
        return "REJECT_TICK_SIZE"
    if "minimum" in text or "min notional" in text:
        return "REJECT_MIN_SIZE"
    if "closed" in text or "not tradable" in text or "halt" in text:
        return "REJECT_MARKET_CLOSED"
    if status_code == 422:
        return "REJECT_INVALID_ORDER"
    return "REJECT_VENUE_ERROR"


@dataclass(frozen=True)
class AccountSnapshot:
    """``GET /v2/account``, the fields reconciliation reads."""

    cash: float
    equity: float
    long_market_value: float
    short_market_value: float
    currency: str
    status: str


@dataclass(frozen=True)
class Mismatch:
    """One disagreement found by :func:`reconcile` (``kind``: equity, position)."""

    kind: str
    symbol: str | None
    expected: float
    actual: float
    detail: str
    reason_code: str = "ALPACA_POSITION_MISMATCH"


class AlpacaPaperBroker(BaseClient):
    """Orders, positions and the account on Alpaca's paper host (``live`` is False)."""

    name = "alpaca_paper"
    live = False

    def __init__(
        self,
        *,
        api_key_id: str,
        api_secret_key: str,
        base_url: str = PAPER_URL,
        session: requests.Session | None = None,
        policy: HttpPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        random_fn: Callable[[], float] = random.random,
        recorder: CallRecorder | None = None,
        deadline: RunDeadline | None = None,
        max_submits: int = 3,
    ) -> None:
        if urlsplit(base_url).hostname == LIVE_HOST:
            raise ConfigError(f"{base_url} is Alpaca's live host; this adapter is paper-only "
                              "(live stays locked)")
        if not api_key_id or not api_secret_key:
            raise ConfigError("Alpaca paper trading needs APCA_API_KEY_ID and "
                              "APCA_API_SECRET_KEY in the environment")
        super().__init__(provider="alpaca_paper", base_url=base_url, session=session,
                         policy=policy, limiter=TokenBucket(TRADING_RATE_LIMIT, clock=clock,
                                                            sleep=sleep),
                         sleep=sleep, random_fn=random_fn, recorder=recorder,
                         deadline=deadline)
        self._key_id = api_key_id
        self._secret_key = api_secret_key
        self._secrets = (api_key_id, api_secret_key)
        self.max_submits = max_submits
        self._sleep = sleep
        self._random_fn = random_fn

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> AlpacaPaperBroker:
        """The adapter with keys from the environment and the configured trading host."""
        key, secret = settings.apca_api_key_id, settings.apca_api_secret_key
        return cls(api_key_id=key.get_secret_value() if key else "",
                   api_secret_key=secret.get_secret_value() if secret else "",
                   base_url=settings.apca_api_base_url,
                   policy=kwargs.pop("policy", None) or HttpPolicy.from_settings(settings),
                   **kwargs)

    def _headers(self) -> dict[str, str]:
        return {**super()._headers(), "APCA-API-KEY-ID": self._key_id,
                "APCA-API-SECRET-KEY": self._secret_key}

    # ------------------------------------------------------------------ Broker

    def submit(self, order: Order) -> OrderAck:
        problems = order.problems() + _unsupported(order)
        if problems:
            return _refused(order, "REJECT_INVALID_ORDER", "; ".join(problems))
        known = self.get_order_by_client_id(order.client_order_id)
        if known is not None:  # a retried run: Alpaca already holds this order
            return OrderAck(order.client_order_id, True, known, duplicate=True)
        body = _order_body(order)
        last: ProviderError | None = None
        for attempt in range(1, self.max_submits + 1):
            if last is not None:
                self._sleep(self._backoff(attempt - 1, last))
            try:
                return self._post(order, body)
            except AlpacaRejected as e:
                return self._rejected(order, e)
            except TransientProviderError as e:
                last = e
            found = self._settle(order, last)
            if found is not None:
                return OrderAck(order.client_order_id, True, found,
                                message=f"confirmed by lookup after: {last}")
            logger.warning("alpaca_paper: order %s is not at Alpaca after %s; posting again",
                           order.client_order_id, type(last).__name__)
        raise OrderUnconfirmed(f"alpaca_paper: order {order.client_order_id} not placed after "
                               f"{self.max_submits} posts ({last})", provider=self.provider)

    def cancel(self, client_order_id: str) -> OrderAck:
        status = self.get_order_by_client_id(client_order_id)
        if status is None:
            return OrderAck(client_order_id, False, reason_code="REJECT_UNKNOWN_ORDER",
                            message="Alpaca knows no order with this client_order_id")
        try:
            self._call("DELETE", f"/v2/orders/{quote(str(status.venue_order_id), safe='')}",
                       lambda data: data)
        except AlpacaRejected as e:
            return OrderAck(client_order_id, False, status, reason_code="REJECT_INVALID_ORDER",
                            message=e.alpaca_message)
        return OrderAck(client_order_id, True, self.get_order_by_client_id(client_order_id))

    def get_order_by_client_id(self, client_order_id: str) -> OrderStatus | None:
        """The order Alpaca holds under ``client_order_id``; None when Alpaca answers 404
        (``{"code": 40410000, "message": "order not found"}``: a normal answer, not a fault)."""
        data = self._call("GET", LOOKUP_PATH, lambda d: d,
                          params={"client_order_id": client_order_id})
        row = _mapping(data, "order")
        if "id" not in row:
            return None
        return _status(row)

    def positions(self) -> dict[str, Position]:
        return {s: p for s, (p, _value) in self._positions().items()}

    def reconcile(self, expected: Mapping[str, float] | None = None) -> list[Mismatch]:
        """Positions against the account (and the ledger's ``expected`` quantities, if
        given), read now: one ``GET /v2/positions`` and one ``GET /v2/account``. Run it every
        cycle; a non-empty answer must halt trading."""
        rows = self._positions()
        return reconcile({s: p for s, (p, _v) in rows.items()}, self.account_snapshot(),
                         {s: v for s, (_p, v) in rows.items()}, expected=expected)

    def account(self) -> Account:
        snap = self.account_snapshot()
        return Account(cash=snap.cash, equity=snap.equity, currency=snap.currency,
                       extra={"status": snap.status})

    def account_snapshot(self) -> AccountSnapshot:
        row = _mapping(self._call("GET", "/v2/account", lambda d: d), "account")
        return AccountSnapshot(
            cash=_number(row, "cash"), equity=_number(row, "equity"),
            long_market_value=_number(row, "long_market_value", 0.0),
            short_market_value=_number(row, "short_market_value", 0.0),
            currency=str(row.get("currency", "USD")), status=str(row.get("status", "")))

    # ------------------------------------------------------------------ internals

    def _positions(self) -> dict[str, tuple[Position, float]]:
        data = self._call("GET", "/v2/positions", lambda d: d)
        if not isinstance(data, list):
            raise ProviderResponseError("alpaca_paper: positions is not a list",
                                        provider=self.provider)
        out: dict[str, tuple[Position, float]] = {}
        for raw in data:
            row = _mapping(raw, "position")
            symbol = _our_symbol(str(row.get("symbol", "")), str(row.get("asset_class", "")))
            position = Position(symbol, _number(row, "qty"), _number(row, "avg_entry_price"))
            if position.qty != 0:
                out[symbol] = (position, _number(row, "market_value", 0.0))
        return dict(sorted(out.items()))

    def _backoff(self, attempt: int, error: ProviderError) -> float:
        retry_after = error.retry_after_secs if isinstance(error, TransientHttpError) else None
        return retry_delay(attempt, base_secs=self.policy.backoff_base_secs,
                           max_secs=self.policy.backoff_max_secs, random_fn=self._random_fn,
                           retry_after_secs=retry_after)

    def _post(self, order: Order, body: dict[str, Any]) -> OrderAck:
        data = self._call("POST", "/v2/orders", lambda d: d, json_body=body, idempotent=False)
        status = _status(_mapping(data, "order"))
        if status.state is OrderState.REJECTED:
            return _refused(order, "REJECT_VENUE_ERROR", "Alpaca answered status rejected")
        return OrderAck(order.client_order_id, True, status)

    def _settle(self, order: Order, error: ProviderError | None) -> OrderStatus | None:
        # After a POST that may have reached Alpaca: is the order there? Raise if unknowable.
        try:
            return self.get_order_by_client_id(order.client_order_id)
        except ProviderError as e:
            raise OrderUnconfirmed(
                f"alpaca_paper: order {order.client_order_id}: POST failed ({error}) and the "
                f"lookup failed ({e}); not resubmitting", provider=self.provider) from None

    def _rejected(self, order: Order, error: AlpacaRejected) -> OrderAck:
        if error.status_code == 422 and "client_order_id" in error.alpaca_message.lower():
            existing = self.get_order_by_client_id(order.client_order_id)
            if existing is not None:
                return OrderAck(order.client_order_id, True, existing, duplicate=True,
                                message=error.alpaca_message)
        code = reject_code(error.status_code or 0, error.alpaca_message)
        return _refused(order, code, error.alpaca_message)

    def _status_error(self, response: requests.Response, method: str, log_path: str
                      ) -> ProviderError | None:
        if response.status_code == 404 and log_path == LOOKUP_PATH:
            return None  # "order not found" is an answer (see get_order_by_client_id)
        if response.status_code in (403, 422) and log_path.startswith("/v2/orders"):
            try:
                body = response.json()
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            message = self._redact(str(body.get("message", response.text[:200])))
            code = body.get("code")
            return AlpacaRejected(
                f"alpaca_paper {method} {log_path}: HTTP {response.status_code}: {message}",
                provider=self.provider, status_code=response.status_code,
                alpaca_code=code if isinstance(code, int) else None, alpaca_message=message)
        return super()._status_error(response, method, log_path)

    def _decode(self, response: requests.Response, log_path: str) -> Any:
        if response.status_code == 204 or not response.content:
            return None  # DELETE /v2/orders/{id} answers 204 with no body
        return super()._decode(response, log_path)


def reconcile(positions: Mapping[str, Position], snapshot: AccountSnapshot,
              market_values: Mapping[str, float], *,
              expected: Mapping[str, float] | None = None,
              tolerance_usd: float = 0.01, tolerance_qty: float = 1e-9) -> list[Mismatch]:
    """Every disagreement between the positions, the account and (if given) the quantities
    the ledger expects. Empty means reconciled; anything else must stop trading.

    Checks: equity = cash + Σ market value (to ``tolerance_usd``); the long and short market
    values equal the sums over positions; each expected quantity is held, and nothing
    unexpected is."""
    out: list[Mismatch] = []
    longs = math.fsum(v for v in market_values.values() if v > 0)
    shorts = math.fsum(v for v in market_values.values() if v < 0)
    implied = snapshot.cash + longs + shorts
    if abs(implied - snapshot.equity) > tolerance_usd:
        out.append(Mismatch("equity", None, implied, snapshot.equity,
                            f"cash {snapshot.cash:g} + positions {longs + shorts:g} "
                            f"!= equity {snapshot.equity:g}"))
    for label, ours, theirs in (("long_market_value", longs, snapshot.long_market_value),
                                ("short_market_value", shorts, snapshot.short_market_value)):
        if abs(ours - theirs) > tolerance_usd:
            out.append(Mismatch("equity", None, ours, theirs,
                                f"Σ position market values {ours:g} != account {label} "
                                f"{theirs:g}"))
    if expected is not None:
        for symbol in sorted(set(expected) | set(positions)):
            want = expected.get(symbol, 0.0)
            have = positions[symbol].qty if symbol in positions else 0.0
            if abs(want - have) > tolerance_qty:
                out.append(Mismatch("position", symbol, want, have,
                                    f"{symbol}: ledger {want:g}, Alpaca {have:g}"))
    return out


def _unsupported(order: Order) -> list[str]:
    out = []
    if order.tif not in _TIF:
        out.append(f"Alpaca has no {order.tif.value} time in force (gtc, day, fok, ioc)")
    if order.post_only:
        out.append("Alpaca has no post-only orders")
    return out


def _order_body(order: Order) -> dict[str, Any]:
    body: dict[str, Any] = {
        "symbol": to_wire_symbol(order.symbol), "qty": _decimal(order.qty),
        "side": order.side.value, "type": order.type.value,
        "time_in_force": _TIF[order.tif], "client_order_id": order.client_order_id,
    }
    if order.limit_price is not None:
        body["limit_price"] = _decimal(order.limit_price)
    return body


def _status(row: Mapping[str, Any]) -> OrderStatus:
    limit = row.get("limit_price")
    tif = {v: k for k, v in _TIF.items()}.get(str(row.get("time_in_force")), TimeInForce.DAY)
    order = Order(
        client_order_id=str(row.get("client_order_id", "")),
        symbol=_our_symbol(str(row.get("symbol", "")), str(row.get("asset_class", ""))),
        side=OrderSide(str(row.get("side", "buy"))), qty=_number(row, "qty", 0.0),
        type=OrderType.LIMIT if row.get("type") == "limit" else OrderType.MARKET,
        limit_price=float(limit) if limit not in (None, "") else None, tif=tif)
    filled = _number(row, "filled_qty", 0.0)
    avg = row.get("filled_avg_price")
    fills: tuple[Fill, ...] = ()
    if filled > 0 and avg not in (None, ""):
        # The order endpoint reports the aggregate; one Fill stands for all its executions.
        fills = (Fill(order.client_order_id, f"{row.get('id')}-filled", order.symbol,
                      order.side, filled, float(avg), 0.0,
                      str(row.get("filled_at") or row.get("updated_at") or "")),)
    state = _STATE.get(str(row.get("status")), OrderState.NEW)
    return OrderStatus(order, state, filled_qty=filled,
                       avg_fill_price=float(avg) if avg not in (None, "") else None,
                       venue_order_id=str(row.get("id", "")),
                       reason_code="REJECT_VENUE_ERROR" if state is OrderState.REJECTED
                       else None, fills=fills)


def _refused(order: Order, code: str, message: str) -> OrderAck:
    status = OrderStatus(order, OrderState.REJECTED, reason_code=code, message=message)
    return OrderAck(order.client_order_id, False, status, reason_code=code, message=message)


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise ProviderResponseError(f"alpaca_paper: {what} is not an object",
                                    provider="alpaca_paper")
    return data


def _number(row: Mapping[str, Any], key: str, default: float | None = None) -> float:
    value = row.get(key)
    if value in (None, "") and default is not None:
        return default
    try:
        number = float(str(value))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ProviderResponseError(f"alpaca_paper: {key}={value!r} is not a finite number",
                                    provider="alpaca_paper")
    return number


def _decimal(value: float) -> str:
    # Alpaca takes decimals as strings; repr keeps every digit a float holds, no exponent.
    text = format(value, ".10f").rstrip("0").rstrip(".")
    return text or "0"


def _our_symbol(symbol: str, asset_class: str) -> str:
    if "/" in symbol:
        return symbol.replace("/", "-")
    if asset_class == "crypto" and symbol.endswith("USD") and len(symbol) > 3:
        return f"{symbol[:-3]}-USD"  # positions spell crypto without the slash (BTCUSD)
    return symbol
