"""The one door from a bot's envelope to a broker: authority and mode, checked at the door.

The bot runner already refuses a decision beyond a bot's authority, but an order is a side
effect, not a decision: whatever code holds an envelope could call ``broker.submit``. The
gate is where that call is made, and it sends only when the envelope says the sender may:

* the envelope's bot has ``execute`` authority (else ``EXEC_AUTHORITY_REFUSED``: an
  observe/advise/gate bot never reaches a broker, whatever its mode);
* the envelope ran ``enforced``, is ``ok`` and ``effective`` (else ``EXEC_NOT_ENFORCED``:
  stub, shadow, advisory and failed envelopes send nothing).

Example::

    gate = OrderGate(ClobBroker(clob))
    sent = gate.send(envelope, [order])
    if not sent.passed:
        record(sent.reason_code, sent.detail)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.contracts import Authority, EnvelopeStatus, Mode, ReportEnvelope
from shared.execution.broker import Broker, Order, OrderAck

__all__ = ["Dispatch", "OrderGate"]


@dataclass(frozen=True)
class Dispatch:
    """What the gate did with one envelope's orders: sent them all (``acks``) or none."""

    bot: str
    attempted: int
    acks: tuple[OrderAck, ...] = ()
    reason_code: str | None = None
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.reason_code is None


@dataclass
class OrderGate:
    """Sends an envelope's orders to ``broker`` when, and only when, the envelope may act."""

    broker: Broker
    dispatches: list[Dispatch] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Orders handed to the broker so far."""
        return sum(len(d.acks) for d in self.dispatches)

    def send(self, envelope: ReportEnvelope, orders: Sequence[Order]) -> Dispatch:
        dispatch = self._dispatch(envelope, orders)
        self.dispatches.append(dispatch)
        return dispatch

    def _dispatch(self, envelope: ReportEnvelope, orders: Sequence[Order]) -> Dispatch:
        bot, n = envelope.bot, len(orders)
        if not orders:
            return Dispatch(bot, 0, detail="no order to send")
        if envelope.authority is not Authority.EXECUTE:
            return Dispatch(bot, n, reason_code="EXEC_AUTHORITY_REFUSED",
                            detail=f"{bot} has {envelope.authority.value} authority; only an "
                                   "execute bot may send orders")
        if not (envelope.mode is Mode.ENFORCED and envelope.effective
                and envelope.status is EnvelopeStatus.OK):
            return Dispatch(bot, n, reason_code="EXEC_NOT_ENFORCED",
                            detail=f"{bot} envelope is {envelope.mode.value}/"
                                   f"{envelope.status.value}, effective={envelope.effective}")
        return Dispatch(bot, n, acks=tuple(self.broker.submit(order) for order in orders))
