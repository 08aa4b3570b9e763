"""One paper-trading step, the same for ``tb paper run``, ``tb paper replay`` and the drills.

At decision time ``t`` for one symbol, in this order:

1. the bar that opened after the previous decision has closed: resting orders fill at its
   open (:meth:`PaperBroker.on_bar`) and the symbol is marked at its close;
2. the risk engine looks at the market (stale data, price gap), at provider errors and at
   equity (daily loss, drawdown, reducing); a trip halts trading, cancels what rests and
   raises an alert — from then on nothing reaches the broker;
3. the decision (from the one decision path, :mod:`shared.pipeline`) goes to the execution
   bot, through the bot runner; only an *effective* intent of the execution bot, made from a
   trigger that took effect, becomes an order;
4. the order is sized (fraction of equity at the last close), checked by the risk engine
   (a refusal is recorded with its reason code) and submitted with a deterministic
   ``client_order_id`` (run id + symbol + decision time + intent), so a retried step
   places nothing twice.

Paper mode: the execution bot runs *enforced* here whatever its configured mode, because
the paper broker moves no money; a live broker is only ever built through
:mod:`shared.execution.live`, which demands the bot be production-live on the board.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.bots.execution.bot import (
    INTENT_OPEN,
    ExecutionBot,
    ExecutionConfig,
    ExecutionInput,
    execution_input,
)
from shared.bots.runner import BotRunner
from shared.contracts import Decision, Mode, ReportEnvelope
from shared.execution.broker import Order, OrderSide, client_order_id
from shared.execution.paper import FillBar, PaperBroker
from shared.execution.risk import RiskEngine
from shared.pipeline import DecisionState, SymbolDecision
from shared.reason_codes import ReasonCodeRegistry

__all__ = ["MARKET_CLOSED_CODES", "PaperTrader", "StepResult"]

MARKET_CLOSED_CODES = frozenset({"DATA_MARKET_CLOSED", "DATA_SESSION_OPENING"})


@dataclass
class StepResult:
    as_of: datetime
    orders: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    halted_now: str | None = None


@dataclass
class PaperTrader:
    """Holds the broker, the risk engine and the execution bot's runner for one run."""

    run_id: str
    broker: PaperBroker
    risk: RiskEngine
    registry: ReasonCodeRegistry
    horizon_hours: int
    bot_config: ExecutionConfig = field(default_factory=ExecutionConfig)
    entry_times: dict[str, datetime] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    equity_rows: list[tuple[Any, ...]] = field(default_factory=list)
    position_rows: list[tuple[Any, ...]] = field(default_factory=list)
    orders_sent: int = 0

    def __post_init__(self) -> None:
        self.runner = BotRunner(ExecutionBot(self.bot_config), Mode.ENFORCED, self.registry)

    # -- the step -------------------------------------------------------------------------

    def step(self, as_of: datetime, symbol: str, bar: FillBar | None, previous_close: float | None,
             last_bar_end: datetime | None, decision: SymbolDecision | None) -> StepResult:
        result = StepResult(as_of)
        self.broker.now = as_of.isoformat()
        if bar is not None:
            before = self.broker.positions().get(symbol)
            self.broker.on_bar(bar)
            self._track_entry(symbol, before.qty if before else 0.0, bar)
        self._observe(as_of, symbol, bar, previous_close, last_bar_end, decision, result)
        if decision is not None:  # halted: the intent is still recorded, then refused
            self._decide(as_of, symbol, decision, result)
        self._snapshot(as_of)
        return result

    def halt(self, code: str, detail: str, as_of: datetime) -> bool:
        """Trip a kill-switch from outside (ledger mismatch); cancels what rests."""
        if not self.risk.halt(code, detail, as_of):
            return False
        self._on_halt(as_of)
        return True

    # -- parts ----------------------------------------------------------------------------

    def _observe(self, as_of: datetime, symbol: str, bar: FillBar | None,
                 previous_close: float | None, last_bar_end: datetime | None,
                 decision: SymbolDecision | None, result: StepResult) -> None:
        risk = self.risk
        was_halted = risk.halted
        price = bar.close if bar is not None else None
        closed = decision is not None and decision.state is DecisionState.STALE and (
            decision.reason_code in MARKET_CLOSED_CODES)
        if not closed:  # a closed exchange is not a dead feed
            risk.observe_market(as_of, symbol, last_bar_end, previous_close, price)
        if decision is not None and decision.state is DecisionState.FAILED and (
                decision.reason_code.startswith("PROVIDER")):
            risk.record_error(as_of, decision.reason_code)
        risk.observe_equity(as_of, self.broker.equity())
        if risk.halted and not was_halted:
            result.halted_now = risk.state.reason_code
            self._on_halt(as_of)

    def _on_halt(self, as_of: datetime) -> None:
        for status in self.broker.resting():
            self.broker.cancel(status.order.client_order_id)
        st = self.risk.state
        self.alerts.append({"as_of": as_of.isoformat(), "code": st.reason_code,
                            "severity": "error", "detail": st.detail,
                            "message": f"Paper trading halted: {st.reason_code} ({st.detail}). "
                            "Nothing is sent until a person re-arms it (tb paper rearm)."})

    def _decide(self, as_of: datetime, symbol: str, decision: SymbolDecision,
                result: StepResult) -> None:
        held = self.broker.positions().get(symbol)
        qty = held.qty if held else 0.0
        entered = self.entry_times.get(symbol)
        envelope = self.runner.run(self._input(symbol, decision, qty, as_of, entered),
                                   as_of=as_of, symbol=symbol)
        if not (envelope.effective and envelope.decision is Decision.TRIGGER):
            return
        if not self.risk.halted and any(s.order.symbol == symbol
                                        for s in self.broker.resting()):
            self._refuse(as_of, symbol, "EXEC_ORDER_PENDING", "an order on the symbol rests",
                         result)
            return
        order = self._order(as_of, symbol, envelope, qty)
        if order is None:
            self._refuse(as_of, symbol, "RISK_NO_PRICE", "no price to size the order", result)
            return
        price = self.broker.marks.get(symbol, math.nan)
        positions = {s: p.qty for s, p in self.broker.positions().items()}
        verdict = self.risk.check(order, price, positions, dict(self.broker.marks),
                                  self.broker.equity(), live=self.broker.live)
        if not verdict.ok:
            self._refuse(as_of, symbol, verdict.reason_code, verdict.detail, result,
                         order=order)
            return
        ack = self.broker.submit(order)
        if ack.accepted and not ack.duplicate:
            self.orders_sent += 1
            result.orders.append(order.client_order_id)
        elif not ack.accepted:
            self._refuse(as_of, symbol, ack.reason_code or "REJECT_VENUE_ERROR", ack.message,
                         result, order=order)

    def _input(self, symbol: str, decision: SymbolDecision, qty: float, as_of: datetime,
               entered: datetime | None) -> ExecutionInput:
        decided = decision.decided
        usable = decided is not None and decision.state is DecisionState.DECIDED
        outcome = decided.outcome if usable and decided is not None else None
        hours = (as_of - entered).total_seconds() / 3600.0 if entered and qty > 0 else None
        return execution_input(symbol, as_of, outcome, _envelopes(decision),
                               horizon_hours=self.horizon_hours, position_qty=qty,
                               hours_held=hours)

    def _order(self, as_of: datetime, symbol: str, envelope: ReportEnvelope, held: float
               ) -> Order | None:
        intent = envelope.numbers.get("intent", 0.0)
        cid_intent = "open-long" if intent == INTENT_OPEN else "close"
        cid = client_order_id(self.run_id, symbol, as_of.isoformat(), cid_intent)
        if intent != INTENT_OPEN:
            return Order(cid, symbol, OrderSide.SELL, held)
        price = self.broker.marks.get(symbol)
        if not price or not math.isfinite(price):
            return None
        qty = envelope.numbers.get("target_fraction", 0.0) * self.broker.equity() / price
        return Order(cid, symbol, OrderSide.BUY, qty) if qty > 0 else None

    def _refuse(self, as_of: datetime, symbol: str, code: str, detail: str,
                result: StepResult, order: Order | None = None) -> None:
        self.registry.check((code,))
        self.refused[code] += 1
        result.refused.append(code)
        self.broker.events.append({"event": "refused", "as_of": as_of.isoformat(), "symbol": symbol,
                             "reason_code": code, "detail": detail,
                             "client_order_id": order.client_order_id if order else None,
                             "side": order.side.value if order else None,
                             "qty": order.qty if order else None})

    def _track_entry(self, symbol: str, before: float, bar: FillBar) -> None:
        after = self.broker.positions().get(symbol)
        if before == 0.0 and after is not None:
            self.entry_times[symbol] = datetime.fromisoformat(bar.start)
        elif after is None:
            self.entry_times.pop(symbol, None)

    def _snapshot(self, as_of: datetime) -> None:
        b = self.broker
        values = [(s, p.qty, b.marks.get(s, p.avg_price)) for s, p in b.positions().items()]
        positions_value = math.fsum(q * m for _, q, m in values)
        gross = math.fsum(abs(q * m) for _, q, m in values)
        self.equity_rows.append((as_of.isoformat(), b.cash, positions_value, b.equity(), gross,
                                 self.risk.state.state.value))
        self.position_rows.extend((as_of.isoformat(), s, q, m, q * m) for s, q, m in values)


def _envelopes(decision: SymbolDecision) -> tuple[ReportEnvelope, ...]:
    return decision.decided.envelopes if decision.decided is not None else ()
