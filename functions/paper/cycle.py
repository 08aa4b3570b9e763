"""``tb paper run``: one scheduled paper cycle at ``as_of``, appended to ``runs/paper/``.

The cycle loads the account (``account.json``), the orders (``orders.jsonl``) and the risk
state, reconciles the account against ``fills.jsonl`` (a mismatch halts: fail closed),
decides through :func:`shared.pipeline.decide_symbol` (the one decision path), trades one
step on paper and appends to the ledger. A cycle at a time not after the last one is
refused (it would fill the same bar twice). Paper results predict nothing live.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.backtest.ledger import Costs
from shared.contracts.paper import PaperAccount
from shared.errors import ArtifactError, ConfigError
from shared.execution.broker import (
    Order,
    OrderSide,
    OrderState,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from shared.execution.ledger import read_jsonl, reconcile
from shared.execution.paper import PaperBroker
from shared.execution.risk import RiskEngine, load_risk_config, load_state
from shared.execution.session import replay_run_id, summarize, tape_from, write_ledger
from shared.execution.trader import PaperTrader
from shared.notify import send_parts, telegram_configured
from shared.pipeline import decide_symbol
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import load_pipeline_settings
from shared.reason_codes import default_registry
from shared.signal.engine import SignalEngine

__all__ = ["run_cycle"]


def run_cycle(*, feed: str, seed: int, as_of: datetime, symbol: str | None,
              artifacts_dir: Path, risk_config: Path | None, live: bool = False
              ) -> dict[str, Any]:
    from functions.paper.run import PAPER_DIR

    directory = artifacts_dir / PAPER_DIR
    config = load_risk_config(risk_config)
    _refuse_rerun(directory, as_of)
    settings = load_pipeline_settings()
    if live:
        from shared.pipeline.live import build_live_sources

        sources = build_live_sources(seed, settings)
    else:
        sources = build_offline_sources(feed, seed=seed, config=settings)
    registry = default_registry()
    engine = SignalEngine(settings.signal, settings.bots, registry)
    from functions.paper.run import _job

    job = _job(symbol, engine, settings)
    paper = config.paper
    broker = PaperBroker(initial_cash=paper.initial_cash,
                         costs=Costs(paper.commission_rate, paper.slippage_rate),
                         participation_cap=paper.participation_cap)
    trader = PaperTrader(run_id=replay_run_id(cycle=as_of.isoformat(), symbol=job.symbol,
                                              feed=sources.feed_name),
                         broker=broker, risk=RiskEngine(config.limits, load_state(directory)),
                         registry=registry, horizon_hours=engine.horizon_hours)
    _restore(directory, broker, paper.initial_cash)
    check = reconcile(directory, paper.initial_cash, broker.cash,
                      {s: p.qty for s, p in broker.positions().items()})
    if not check.ok:
        trader.halt("HALT_LEDGER_MISMATCH", check.detail, as_of)
    fills = read_jsonl(directory / "fills.jsonl")
    fills_before = len(fills)
    trader.entry_times.update(_entry_times(fills))
    events_before = len(broker.events)
    decision = decide_symbol(job, as_of, sources)
    tape = tape_from(sources, job.symbol, as_of - timedelta(hours=1), as_of)
    bar, previous, last_end = tape.at(as_of)
    trader.step(as_of, job.symbol, bar, previous, last_end, decision)
    broker.events[:] = broker.events[events_before:]
    delivery = "none"
    if trader.alerts:
        delivery = "not_configured"
        if telegram_configured():
            delivery = send_parts(tuple(a["message"] for a in trader.alerts))
        for alert in trader.alerts:
            alert["delivery"] = delivery
    write_ledger(directory, trader, fresh=False)
    summary = summarize(trader, reconciled=check.ok, sent_after_halt=0)
    summary["alert_delivery"] = delivery
    summary["fills"] = summary["fills"] + fills_before
    return summary | {"as_of": as_of.isoformat(), "decision": decision.state.value,
                      "ledger_dir": str(directory)}


def _entry_times(fills: list[dict[str, Any]]) -> dict[str, datetime]:
    """When each open position was entered (its first fill after being flat), so that the
    horizon close survives between scheduled cycles."""
    held: dict[str, float] = {}
    entered: dict[str, datetime] = {}
    for f in fills:
        symbol, after = str(f.get("symbol")), float(f.get("position_after", 0.0))
        if held.get(symbol, 0.0) == 0.0 and after > 0:
            entered[symbol] = datetime.fromisoformat(str(f["ts"]))
        held[symbol] = after
    return {s: t for s, t in entered.items() if held.get(s, 0.0) > 0}


def _refuse_rerun(directory: Path, as_of: datetime) -> None:
    from functions.paper.run import last_equity

    last, _ = last_equity(directory / "equity.csv")
    if last is not None and last >= as_of:
        raise ConfigError(f"a paper cycle at or after {as_of.isoformat()} already ran "
                          f"({last.isoformat()}); a cycle runs once per time")


def _restore(directory: Path, broker: PaperBroker, initial_cash: float) -> None:
    path = directory / "account.json"
    if not path.is_file():
        return
    try:
        account = PaperAccount.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as e:
        raise ArtifactError(f"{path}: unreadable account: {e}") from e
    cash, positions, marks = account.cash, dict(account.positions), dict(account.marks)
    last: dict[str, dict[str, Any]] = {}
    for event in read_jsonl(directory / "orders.jsonl"):
        if event.get("client_order_id") and event.get("event") != "refused":
            last[str(event["client_order_id"])] = event
    statuses = []
    for cid, rec in sorted(last.items()):
        try:
            order = Order(cid, str(rec["symbol"]), OrderSide(rec["side"]), float(rec["qty"]),
                          OrderType(rec["type"]), rec.get("limit_price"),
                          TimeInForce(rec["tif"]))
            statuses.append(OrderStatus(order, OrderState(rec["state"]),
                                        filled_qty=float(rec["filled_qty"])))
        except (KeyError, TypeError, ValueError) as err:
            raise ArtifactError(f"orders.jsonl: order {cid} is invalid: {err}") from err
    broker.restore(cash, positions, marks, statuses)
    broker.initial_cash = initial_cash
