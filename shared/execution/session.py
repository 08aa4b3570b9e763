"""A paper session over a period: the walk of the one decision path, step by step through
the :class:`~shared.execution.trader.PaperTrader`, then the ledger written and reconciled.

``tb paper replay`` and the drills run :func:`replay`; the bars the broker fills against
(the tape) come from the same feed the decisions read. A replay starts from a fresh account
and a fresh risk state and owns its ledger directory (it replaces the files there), so the
same seed and config give byte-identical artifacts. Paper results do not predict live ones.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from shared.backtest.ledger import Costs
from shared.contracts import Contract, Timeframe
from shared.contracts.paper import PaperAccount, PaperSummary
from shared.errors import ConfigError
from shared.execution.incidents import Incident
from shared.execution.ledger import (
    EQUITY_HEADER,
    POSITIONS_HEADER,
    Reconciliation,
    append_csv,
    append_jsonl,
    reconcile,
    replay_fills,
)
from shared.execution.paper import FillBar, PaperBroker
from shared.execution.risk import RiskConfig, RiskEngine, RiskState, save_state
from shared.execution.trader import PaperTrader
from shared.pipeline import Sources, SymbolDecision, SymbolJob, fetch_period, walk
from shared.reason_codes import ReasonCodeRegistry
from shared.store.atomic import atomic_write_text

__all__ = ["LEDGER_FILES", "Tape", "hourly_times", "replay", "summarize", "tape_from"]

LEDGER_FILES = ("orders.jsonl", "fills.jsonl", "equity.csv", "positions.csv", "alerts.jsonl",
                "account.json", "risk_state.json", "summary.json")
DISCLAIMER = ("Paper results on recorded or synthetic data; they do not predict live "
              "results.")


@dataclass(frozen=True)
class Tape:
    """Hourly bars of one symbol, keyed by their close time (ns)."""

    symbol: str
    frame: pd.DataFrame  # columns start, end, open, close, volume, sorted by end
    end_ns: list[int]

    def at(self, t: datetime) -> tuple[FillBar | None, float | None, datetime | None]:
        """(bar closed exactly at t, close of the bar before it, end of the last bar <= t)."""
        ns = pd.Timestamp(t).value
        i = bisect.bisect_right(self.end_ns, ns) - 1
        if i < 0:
            return None, None, None
        row = self.frame.iloc[i]
        last_end = row["end"].to_pydatetime()
        previous = float(self.frame.iloc[i - 1]["close"]) if i > 0 else None
        if self.end_ns[i] != ns:
            return None, None, last_end
        bar = FillBar(self.symbol, row["start"].to_pydatetime().isoformat(), float(row["open"]),
                  float(row["close"]), float(row["volume"]))
        return bar, previous, last_end


def tape_from(sources: Sources, symbol: str, start: datetime, end: datetime) -> Tape:
    frames = sources.market.bars([symbol], start=start - timedelta(hours=6), end=end,
                                 timeframe=Timeframe.HOUR)
    frame = frames.get(symbol)
    if frame is None or not len(frame):
        raise ConfigError(f"no bars for {symbol} in the period: nothing to trade against")
    frame = frame.sort_values("end", kind="stable").reset_index(drop=True)
    ends = [int(v) for v in frame["end"].to_numpy(dtype="datetime64[ns]").astype("int64")]
    return Tape(symbol, frame, ends)


def hourly_times(start: datetime, end: datetime) -> list[datetime]:
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    count = int((end - first).total_seconds() // 3600) + 1
    return [first + timedelta(hours=k) for k in range(max(count, 0))]


def replay_run_id(**parts: Any) -> str:
    text = "|".join(f"{k}={parts[k]}" for k in sorted(parts))
    return "paper-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def replay(job: SymbolJob, sources: Sources, *, start: datetime, end: datetime,
           config: RiskConfig, registry: ReasonCodeRegistry, ledger_dir: Path,
           run_id: str, tape: Tape | None = None, incident: Incident | None = None
           ) -> dict[str, Any]:
    """Walk ``[start, end]`` hourly, trade on paper, write the ledger; return the summary."""
    times = hourly_times(start, end)
    if not times:
        raise ConfigError("the period holds no decision time (end before start?)")
    tape = tape or tape_from(sources, job.symbol, start, end)
    period = fetch_period(job, start, end, sources)
    paper = config.paper
    trader = PaperTrader(
        run_id=run_id,
        broker=PaperBroker(initial_cash=paper.initial_cash,
                           costs=Costs(paper.commission_rate, paper.slippage_rate),
                           participation_cap=paper.participation_cap),
        risk=RiskEngine(config.limits, RiskState()),
        registry=registry,
        horizon_hours=job.engine.horizon_hours,
    )
    sent_at_halt: int | None = None  # what had reached the broker when trading halted
    for step in walk(job, times, period):
        bar, previous, last_end = tape.at(step.as_of)
        decision: SymbolDecision | None = step.decision
        if incident is not None:
            bar, last_end, decision = incident.apply(step.as_of, bar, last_end, decision,
                                                     trader.broker)
        check = reconcile_events(paper.initial_cash, trader.broker)
        if not check.ok:
            trader.halt("HALT_LEDGER_MISMATCH", check.detail, step.as_of)
        if trader.risk.halted and sent_at_halt is None:
            sent_at_halt = len(trader.broker.sent)
        trader.step(step.as_of, job.symbol, bar, previous, last_end, decision)
        if trader.risk.halted and sent_at_halt is None:
            # a step halts before it decides, so all that was sent came before the halt
            sent_at_halt = len(trader.broker.sent)
    sent_after_halt = len(trader.broker.sent) - sent_at_halt if sent_at_halt is not None else 0
    trader.broker.expire_all("end of the replay")
    write_ledger(ledger_dir, trader, fresh=True)
    check = reconcile(ledger_dir, paper.initial_cash, trader.broker.cash,
                      {s: p.qty for s, p in trader.broker.positions().items()})
    if not check.ok:
        trader.halt("HALT_LEDGER_MISMATCH", check.detail, times[-1])
        write_ledger(ledger_dir, trader, fresh=True)
    summary = summarize(trader, reconciled=check.ok, sent_after_halt=sent_after_halt)
    write_json(ledger_dir / "summary.json",
               PaperSummary.model_validate_json(json.dumps(summary)))
    return summary


def reconcile_events(initial_cash: float, broker: PaperBroker) -> Reconciliation:
    """The in-run reconciliation: the broker's cash and positions against its fill events."""
    cash, positions = replay_fills(initial_cash,
                                   [e for e in broker.events if e["event"] == "fill"])
    held = {s: p.qty for s, p in broker.positions().items()}
    problems = []
    if abs(cash - broker.cash) > 1e-9 * max(1.0, abs(broker.cash)):
        problems.append(f"cash: ledger {cash!r} vs broker {broker.cash!r}")
    for symbol in sorted(set(positions) | set(held)):
        if abs(positions.get(symbol, 0.0) - held.get(symbol, 0.0)) > 1e-9:
            problems.append(f"{symbol}: ledger {positions.get(symbol, 0.0)!r} vs broker "
                            f"{held.get(symbol, 0.0)!r}")
    return Reconciliation(not problems, "; ".join(problems) or "agree", cash, broker.cash)


def write_ledger(directory: Path, trader: PaperTrader, *, fresh: bool) -> None:
    """Write the run's ledger files (``fresh``: a replay replaces its own directory's)."""
    directory.mkdir(parents=True, exist_ok=True)
    if fresh:
        for name in LEDGER_FILES:
            (directory / name).unlink(missing_ok=True)
    events = trader.broker.events
    append_jsonl(directory / "orders.jsonl", [e for e in events if e["event"] != "fill"])
    append_jsonl(directory / "fills.jsonl", [e for e in events if e["event"] == "fill"])
    append_csv(directory / "equity.csv", EQUITY_HEADER, trader.equity_rows)
    append_csv(directory / "positions.csv", POSITIONS_HEADER, trader.position_rows)
    append_jsonl(directory / "alerts.jsonl", trader.alerts)
    b = trader.broker
    account = PaperAccount(cash=b.cash, initial_cash=b.initial_cash,
                           positions={s: p.qty for s, p in b.positions().items()},
                           marks=dict(sorted(b.marks.items())))
    write_json(directory / "account.json", account)
    save_state(directory, trader.risk.state)


def write_json(path: Path, model: Contract) -> None:
    """A contract as sorted, indented JSON (``tb validate`` checks it by its ``type``)."""
    atomic_write_text(path, json.dumps(model.model_dump(mode="json"), sort_keys=True,
                                       indent=2) + "\n")


def summarize(trader: PaperTrader, *, reconciled: bool, sent_after_halt: int
              ) -> dict[str, Any]:
    equity = [row[3] for row in trader.equity_rows]
    peak, worst = -math.inf, 0.0
    for value in equity:
        peak = max(peak, value)
        if peak > 0:
            worst = max(worst, 1.0 - value / peak)
    st = trader.risk.state
    fills = [e for e in trader.broker.events if e["event"] == "fill"]
    return {
        "orders": trader.orders_sent,
        "fills": len(fills),
        "refused": dict(sorted(trader.refused.items())),
        "final_equity": equity[-1] if equity else trader.broker.initial_cash,
        "initial_cash": trader.broker.initial_cash,
        "max_drawdown": worst,
        "max_gross_exposure": max((row[4] for row in trader.equity_rows), default=0.0),
        "halted": st.state.value == "halted",
        "halt_reason": st.reason_code or None,
        "halt_detail": st.detail or None,
        "kill_switch_trips": list(st.trips),
        "orders_after_halt": sent_after_halt,
        "alerts": len(trader.alerts),
        "reconciled": reconciled,
        "steps": len(trader.equity_rows),
        "run_id": trader.run_id,
        "note": DISCLAIMER,
    }
