"""Readiness Impl item 13: a bot's whole fixture pack, run through the order gate into the
mock CLOB v2, and the evidence of what reached it.

For every fixture of the bot, in every mode the bot declares, the harness runs the bot
(:func:`shared.bots.fixtures.run_fixture`), turns the envelope into the orders it would send
(:func:`attempted_orders`) and hands them to :class:`~shared.execution.gate.OrderGate` in
front of a fresh :class:`MockClob`. One extra
probe makes the bot *try* to send: a trigger in its highest mode, with an order attached.

It passes when:

* **a bot without execute authority**: every attempt (its triggers and blocks, and the probe)
  is refused at the gate with ``EXEC_AUTHORITY_REFUSED`` and the CLOB received no order at all;
* **an execute bot**: its enforced, effective intents reached the CLOB (at least one, or the
  pack does not exercise the venue), each answered by an accept or a registered ``REJECT_*``
  code; its stub/shadow/advisory runs sent nothing (``EXEC_NOT_ENFORCED``); a resubmission of
  every accepted order is a duplicate that places nothing; and the book is never crossed.

An execute bot states its intent in the envelope's numbers (the execution bot's contract):
``intent`` +1 opens a long (a buy), -1 closes (a sell of ``position_qty``).

The board reads this through ``compute_board(clob_check=check_fixture_pack)`` (the readiness
package sits below this one and cannot import it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shared.bots.base import Bot, BotDecision
from shared.bots.fixtures import Fixture, load_fixtures, run_fixture
from shared.bots.registry import BotEntry
from shared.bots.runner import BotRunner
from shared.contracts import Authority, Decision, Mode, ReportEnvelope
from shared.execution.broker import REJECT_CODES, Order, OrderSide, client_order_id
from shared.execution.clob import ClobOrderArgs, ClobSide, MockClob
from shared.execution.clob_broker import ClobBroker
from shared.execution.gate import Dispatch, OrderGate
from shared.readiness.evidence import Tree
from shared.reason_codes import ReasonCodeRegistry

__all__ = ["HARNESS_QTY", "PackRun", "attempted_orders", "check_fixture_pack", "run_pack",
           "verdict"]

HARNESS_QTY = 10.0  # shares per attempted order (above the CLOB's minimum size of 5)
_NOW = 1_767_225_600  # 2026-01-01T00:00:00Z: the harness clock (fixtures carry their own)
_EPOCH = datetime.fromtimestamp(_NOW, UTC)
_OWNER = "tracer-bullet"
_MODE_RANK = (Mode.STUB, Mode.QUARANTINE, Mode.SHADOW, Mode.ADVISORY, Mode.ENFORCED)


@dataclass
class PackRun:
    """What one bot's pack did at the gate and at the CLOB."""

    bot: str
    authority: Authority
    runs: int = 0
    dispatches: list[Dispatch] = field(default_factory=list)
    probe: Dispatch | None = None
    orders_received: int = 0
    resubmitted: int = 0
    duplicates: int = 0
    crossed: bool = False
    problems: list[str] = field(default_factory=list)

    def refused(self, code: str) -> int:
        return sum(d.attempted for d in self.dispatches if d.reason_code == code)

    @property
    def sent(self) -> int:
        return sum(len(d.acks) for d in self.dispatches)

    @property
    def attempted(self) -> int:
        return sum(d.attempted for d in self.dispatches)


def attempted_orders(envelope: ReportEnvelope, tag: str) -> list[Order]:
    """The orders an envelope tries to send. An execute bot's trigger carries its intent; any
    other bot's trigger or block is treated as an attempt to act (which the gate must
    refuse), so that a pack that never triggers still shows where a trigger would stop."""
    if envelope.decision not in (Decision.TRIGGER, Decision.BLOCK):
        return []
    symbol = envelope.symbol or "HARNESS"
    when = envelope.as_of.isoformat()
    numbers = envelope.numbers
    if envelope.authority is Authority.EXECUTE and numbers.get("intent", 0.0) < 0:
        qty = numbers.get("position_qty", 0.0) or HARNESS_QTY
        return [Order(client_order_id("fixture-pack", symbol, when, f"{tag}-close"), symbol,
                      OrderSide.SELL, qty)]
    return [Order(client_order_id("fixture-pack", symbol, when, f"{tag}-open"), symbol,
                  OrderSide.BUY, HARNESS_QTY)]


def run_pack(entry: BotEntry, registry: ReasonCodeRegistry, *, where: Callable[[Path], str]
             = lambda p: p.as_posix()) -> PackRun:
    """Run a bot's fixture pack (``entry``) through the gate into a fresh mock CLOB."""
    bot = entry.bot_class
    result = PackRun(bot.name, bot.authority)
    clob = MockClob(now=lambda: _NOW)
    broker = ClobBroker(clob, owner=_OWNER)
    gate = OrderGate(broker)
    fixtures = load_fixtures(entry) if entry.fixtures_dir.is_dir() else []
    if not fixtures:
        result.problems.append(f"{where(entry.fixtures_dir)}: no fixture to run")
    for fixture in fixtures:
        for mode in _modes(bot):
            try:
                envelope = run_fixture(entry, replace(fixture, mode=mode), registry)
            except Exception as e:  # noqa: BLE001 - a fixture that raises is the evidence
                result.problems.append(f"{where(fixture.path)} ({mode.value}): "
                                       f"{type(e).__name__}: {str(e)[:120]}")
                continue
            result.runs += 1
            orders = attempted_orders(envelope, f"{fixture.kind}-{mode.value}")
            for order in orders:
                _open_market(clob, order.symbol)
            result.dispatches.append(gate.send(envelope, orders))
    result.probe = _probe(bot, gate, clob, registry, fixtures)
    _resubmit(result, broker, clob)
    result.orders_received = clob.orders_received
    result.crossed = any(_crossed(clob, token) for token in clob.tokens())
    return result


def check_fixture_pack(tree: Tree, name: str) -> tuple[bool, str]:
    """Impl item 13 for ``name``: passed, and the evidence (counts read from the run)."""
    registry = tree.registry
    if registry is None:
        return False, f"{tree.rel(tree.registry_path)} missing or invalid"
    return verdict(run_pack(tree.entry(name), registry, where=lambda p: tree.rel(p)))


def verdict(run: PackRun) -> tuple[bool, str]:
    """Whether a pack run passes item 13, and the evidence (see the module docstring)."""
    if run.problems:
        return False, "; ".join(run.problems)
    if run.authority is Authority.EXECUTE:
        return _judge_execute(run)
    return _judge_other(run)


# ---------------------------------------------------------------------------- internals


def _modes(bot: type[Bot[Any, Any]]) -> list[Mode]:
    # Every declared mode: the enforced run is where an order may pass, the others show
    # that it does not.
    return sorted(bot.mode_support, key=_MODE_RANK.index)


def _open_market(clob: MockClob, token: str) -> None:
    # A market per symbol, with resting liquidity on both sides so market orders can fill.
    if clob.has_market(token):
        return
    clob.add_market(token, tick_size="0.01", min_order_size=Decimal(5))
    clob.fund("harness-maker", usdc=Decimal(10_000), shares={token: Decimal(10_000)})
    clob.fund(_OWNER, usdc=Decimal(10_000), shares={token: Decimal(1_000)})
    for price, side in (("0.55", ClobSide.SELL), ("0.45", ClobSide.BUY)):
        clob.post_order(ClobOrderArgs(token, Decimal(price), Decimal(500), side,
                                      owner="harness-maker"))
    clob.orders_received = 0  # the venue's own liquidity is not an order from a bot


def _probe(bot: type[Bot[Any, Any]], gate: OrderGate, clob: MockClob,
           registry: ReasonCodeRegistry, fixtures: list[Fixture]) -> Dispatch | None:
    # A bot that *tries* to act: a trigger in its highest supported mode, with an order.
    if bot.authority is Authority.EXECUTE:
        return None
    mode = max(bot.mode_support, key=_MODE_RANK.index)
    inputs = next((f.input for f in fixtures if f.kind != "failure"), {})
    envelope = BotRunner(_trigger_probe(bot)(bot.config_model()), mode, registry).run(
        inputs, as_of=_EPOCH, symbol="PROBE")
    order = Order(client_order_id("fixture-pack", "PROBE", "probe", bot.name), "PROBE",
                  OrderSide.BUY, HARNESS_QTY)
    _open_market(clob, "PROBE")
    return gate.send(envelope, [order])


def _trigger_probe(bot: type[Bot[Any, Any]]) -> type[Bot[Any, Any]]:
    class OrderProbe(bot):  # type: ignore[valid-type,misc]
        def decide(self, inputs: BaseModel) -> BotDecision:
            return BotDecision(decision=Decision.TRIGGER, reason_codes=("BOT_STUB",),
                               rationale="fixture-pack probe: try to send an order")
    OrderProbe.__name__ = f"{bot.__name__}OrderProbe"
    return OrderProbe


def _resubmit(run: PackRun, broker: ClobBroker, clob: MockClob) -> None:
    # Idempotence: every accepted order again; each must be a duplicate placing nothing.
    before = clob.orders_received
    for dispatch in run.dispatches:
        for ack in dispatch.acks:
            if ack.accepted and ack.status is not None:
                run.resubmitted += 1
                run.duplicates += broker.submit(ack.status.order).duplicate
    if clob.orders_received != before:
        run.problems.append(f"a resubmission reached the CLOB "
                            f"({clob.orders_received - before} new orders)")


def _judge_execute(run: PackRun) -> tuple[bool, str]:
    acks = [a for d in run.dispatches for a in d.acks]
    accepted = sum(a.accepted for a in acks)
    bad = sorted({str(a.reason_code) for a in acks
                  if not a.accepted and a.reason_code not in REJECT_CODES})
    evidence = (f"{run.runs} fixture runs: {run.sent} orders reached the mock CLOB "
                f"({accepted} accepted, {len(acks) - accepted} refused with REJECT_* codes), "
                f"{run.refused('EXEC_NOT_ENFORCED')} held back (EXEC_NOT_ENFORCED); "
                f"{run.duplicates}/{run.resubmitted} resubmissions were duplicates; "
                f"CLOB received {run.orders_received}")
    failures = []
    if run.sent == 0:
        failures.append("no order reached the CLOB: the pack does not exercise the venue")
    if run.orders_received != run.sent:
        failures.append(f"CLOB received {run.orders_received}, gate sent {run.sent}")
    if bad:
        failures.append(f"unregistered refusal codes {bad}")
    if run.duplicates != run.resubmitted:
        failures.append("a resubmitted order was placed again")
    if run.crossed:
        failures.append("the book ended crossed")
    return (not failures, "; ".join(failures) + " | " + evidence if failures else evidence)


def _judge_other(run: PackRun) -> tuple[bool, str]:
    refused = run.refused("EXEC_AUTHORITY_REFUSED")
    probe = run.probe
    probe_ok = probe is not None and probe.reason_code == "EXEC_AUTHORITY_REFUSED"
    evidence = (f"{run.authority.value} authority: {run.runs} fixture runs, "
                f"{run.attempted} send attempts refused at the gate "
                f"(EXEC_AUTHORITY_REFUSED: {refused}); probe send "
                f"{'refused' if probe_ok else 'NOT refused'}; "
                f"mock CLOB received {run.orders_received} orders")
    ok = (run.orders_received == 0 and refused == run.attempted and probe_ok
          and run.sent == 0)
    return ok, evidence


def _crossed(clob: MockClob, token: str) -> bool:
    bid, ask = clob.best(token, ClobSide.BUY), clob.best(token, ClobSide.SELL)
    return bid is not None and ask is not None and bid >= ask
