"""A divergence backtest as its report: the JSON contract, the trade list, the equity curve
and the Markdown a person reads. Pure (text in memory); the stage writes the files.

Every float in the CSVs is Python's ``repr`` (the shortest decimal that round-trips), every
time ISO-8601 UTC; rows are in time order. Same result, same bytes.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from shared.backtest import metrics
from shared.backtest.divergence import BacktestResult, OrderRecord
from shared.contracts import canonical_json, format_utc, sha256_hex
from shared.contracts.backtest import (
    BacktestDecisionCounts,
    BacktestReport,
    BacktestSettings,
    ForecastScoreSummary,
)

__all__ = [
    "EQUITY_COLUMNS",
    "HONESTY_LINE",
    "TRADE_COLUMNS",
    "ReportMeta",
    "build_report",
    "equity_csv",
    "markdown",
    "report_id",
    "trades_csv",
]

HONESTY_LINE = ("Backtest and synthetic results do not predict live results: this is what a "
                "fixed rule would have done on this data, costs included.")
TRADE_COLUMNS = ("side", "units", "entry_decision", "entry_time", "entry_price",
                 "exit_decision", "exit_time", "exit_price", "exit_reason", "pnl", "return",
                 "status")
EQUITY_COLUMNS = ("time", "open", "close", "position", "cash", "equity", "drawdown")
_REASON_STATUSES = ("suppressed", "no_trigger", "failed", "stale")


@dataclass(frozen=True)
class ReportMeta:
    """What the result does not know about itself: where its data came from."""

    feed: str
    seed: int
    synthetic_edge: float | None
    poll_hours: int
    code_version: str


def report_id(result: BacktestResult, meta: ReportMeta) -> str:
    """16 hex digits from the config, the feed, the period and the data's digest."""
    return sha256_hex(canonical_json({
        "symbol": result.symbol, "feed": meta.feed, "seed": meta.seed,
        "synthetic_edge": meta.synthetic_edge, "start": result.config.start,
        "end": result.config.end, "settings": _settings(result).model_dump(mode="json"),
        "config_digest": result.config_digest, "inputs_digest": result.inputs_digest,
        "code_version": meta.code_version,
    }))[:16]


def build_report(result: BacktestResult, meta: ReportMeta, files: dict[str, str]
                 ) -> BacktestReport:
    """The report; ``files`` maps each sibling file's name to its sha256."""
    rows = metrics.curve(result)
    reasons = _reason_counts(result)
    decisions = result.decisions
    triggers = result.triggers
    ups = sum(1 for t in triggers if t.direction is not None and t.direction.value == "up")
    counts = result.status_counts
    return BacktestReport(
        report_id=report_id(result, meta), symbol=result.symbol, feed=meta.feed,
        seed=meta.seed, synthetic_edge=meta.synthetic_edge, start=result.config.start,
        end=result.config.end, poll_hours=meta.poll_hours, horizon_hours=result.horizon_hours,
        code_version=meta.code_version, config_digest=result.config_digest,
        inputs_digest=result.inputs_digest, settings=_settings(result),
        headlines=result.headlines,
        decisions=BacktestDecisionCounts(
            total=len(decisions), triggered=len(triggers), up_triggers=ups,
            down_triggers=len(triggers) - ups, suppressed=counts["suppressed"],
            no_trigger=counts["no_trigger"], failed=counts["failed"], stale=counts["stale"]),
        reasons=reasons,
        zero_triggers=None if triggers else _zero_trigger_text(len(decisions), counts, reasons),
        hit_rate=metrics.hit_rate(result),
        forecasts=metrics.forecast_scores(result, list(decisions)),
        trigger_forecasts=metrics.forecast_scores(result, list(triggers)),
        trades=metrics.trade_summary(result, _exit_reasons(result)),
        costs=metrics.costs(result), equity=metrics.equity_summary(result, rows),
        exposure=metrics.exposure(rows), files=dict(sorted(files.items())), note=HONESTY_LINE,
    )


def _settings(result: BacktestResult) -> BacktestSettings:
    config = result.config
    return BacktestSettings(mode=config.mode.value, fee_bps=config.fee_bps,
                            slippage_bps=config.slippage_bps, initial_cash=config.initial_cash,
                            position_fraction=config.position_fraction, units=result.units)


def _reason_counts(result: BacktestResult) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = {status: Counter() for status in _REASON_STATUSES}
    for record in result.decisions:
        if record.status in out:
            out[record.status].update(code for code in record.reason_codes if code)
    return {status: dict(sorted(c.items())) for status, c in out.items()}


def _zero_trigger_text(total: int, counts: Counter[str],
                       reasons: dict[str, dict[str, int]]) -> str:
    parts = []
    for status in _REASON_STATUSES:
        if counts[status]:
            top = sorted(reasons[status].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            codes = ", ".join(f"{code} {n}" for code, n in top)
            parts.append(f"{counts[status]} {status}" + (f" ({codes})" if codes else ""))
    return f"no trigger in {total} decisions: " + "; ".join(parts)


def _orders_by_fill(result: BacktestResult) -> dict[tuple[int, float], OrderRecord]:
    # The order behind each fill: filled at bar + 1, to its target position.
    return {(o.bar + 1, o.target): o for o in result.orders}


def _exit_reasons(result: BacktestResult) -> Counter[str]:
    orders = _orders_by_fill(result)
    trades = result.ledger.trades
    return Counter(orders[(int(b), 0.0)].reason for b in trades.exit_bar if b >= 0
                   and (int(b), 0.0) in orders)


def _num(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))


def _at(ns: int | np.integer) -> str:
    return format_utc(pd.Timestamp(int(ns), tz="UTC").to_pydatetime())


def trades_csv(result: BacktestResult) -> str:
    """One row per round trip in entry order; times are the fill bars' opens."""
    orders = _orders_by_fill(result)
    trades, starts = result.ledger.trades, result.prices.start_ns
    lines = [",".join(TRADE_COLUMNS)]
    for k in range(len(trades)):
        entry_bar, exit_bar = int(trades.entry_bar[k]), int(trades.exit_bar[k])
        units = float(trades.units[k])
        entry = orders.get((entry_bar, units))
        leave = orders.get((exit_bar, 0.0)) if exit_bar >= 0 else None
        notional = float(trades.entry_price[k]) * abs(units)
        pnl = float(trades.pnl[k])
        lines.append(",".join((
            "long" if units > 0 else "short", _num(abs(units)),
            format_utc(entry.as_of) if entry else "", _at(starts[entry_bar]),
            _num(trades.entry_price[k]),
            format_utc(leave.as_of) if leave else "",
            _at(starts[exit_bar]) if exit_bar >= 0 else "", _num(trades.exit_price[k]),
            leave.reason if leave else "", _num(pnl),
            _num(pnl / notional) if exit_bar >= 0 and notional else "",
            "closed" if exit_bar >= 0 else "open",
        )))
    return "\n".join(lines) + "\n"


def equity_csv(result: BacktestResult) -> str:
    """Equity at every bar's close from the first decision on (position, cash, drawdown)."""
    rows = metrics.curve(result)
    lines = [",".join(EQUITY_COLUMNS)]
    for k in range(len(rows.end_ns)):
        lines.append(",".join((_at(rows.end_ns[k]), _num(rows.open[k]), _num(rows.close[k]),
                               _num(rows.position[k]), _num(rows.cash[k]),
                               _num(rows.equity[k]), _num(rows.drawdown[k]))))
    return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100.0 * value:.1f} %"


def _interval(bounds: tuple[float, float] | None) -> str:
    return "n/a" if bounds is None else f"{_pct(bounds[0])} to {_pct(bounds[1])}"


def _f(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _scores_line(name: str, s: ForecastScoreSummary) -> str:
    if not s.n:
        return f"| {name} | 0 | n/a | n/a | n/a | n/a |"
    return (f"| {name} | {s.n} | {_f(s.brier)} | {_f(s.log_loss)} | {_f(s.brier_climatology)} "
            f"| {_f(s.brier_skill_vs_climatology)} |")


def _when(value: datetime | None) -> str:
    return "n/a" if value is None else format_utc(value)


def markdown(report: BacktestReport) -> str:
    """The report a person reads (every number from ``report``)."""
    r, h, t, e, x, c = (report, report.hit_rate, report.trades, report.equity, report.exposure,
                        report.costs)
    d, s = r.decisions, r.settings
    ci, wci = _interval(h.ci), _interval(t.win_rate_ci)
    edge = "" if r.synthetic_edge is None else f", synthetic edge {r.synthetic_edge:g}"
    lines = [
        f"# Backtest {r.report_id}: {r.symbol}, {format_utc(r.start)} to {format_utc(r.end)}",
        "",
        f"> {r.note}",
        "",
        f"Feed `{r.feed}` (seed {r.seed}{edge}); a decision every {r.poll_hours} h through "
        f"the pipeline's walk; horizon {r.horizon_hours} h; mode `{s.mode}`; fees "
        f"{s.fee_bps:g} bps and slippage {s.slippage_bps:g} bps per fill; "
        f"{s.units:.6g} units per trade ({s.position_fraction:g} of {s.initial_cash:,.0f} "
        "starting cash at the first trigger's close); fills at the next bar's open.",
        "",
        "## Decisions",
        "",
        f"{d.total} decisions: {d.triggered} triggered ({d.up_triggers} up, "
        f"{d.down_triggers} down), {d.suppressed} suppressed, {d.no_trigger} without a "
        f"trigger, {d.failed} failed, {d.stale} stale; {r.headlines} headlines readable.",
        "",
    ]
    if r.zero_triggers:
        lines += [f"**No triggers.** {r.zero_triggers}.", ""]
    lines += ["| outcome | reason code | count |", "| --- | --- | --- |"]
    for status, codes in r.reasons.items():
        lines += [f"| {status} | `{code}` | {n} |" for code, n in codes.items()]
    lines += [
        "",
        "## Hit rate at the horizon",
        "",
        f"{h.hits} of {h.resolved} resolved triggers hit: {_pct(h.rate)} "
        f"({h.level:.0%} Wilson interval {ci}; n = {h.resolved}, {h.unresolved} unresolved). "
        f"Base rate of up-moves {_pct(h.base_rate)}; a coin with it would hit "
        f"{_pct(h.baseline_hit_rate)} on the same directions (z = {_f(h.z_vs_baseline, 2)}).",
        "",
        "| forecasts | n | Brier | log-loss | Brier (base rate) | skill |",
        "| --- | --- | --- | --- | --- | --- |",
        _scores_line("every decision's p_up", r.forecasts),
        _scores_line("triggers' p_up", r.trigger_forecasts),
        "",
        "## Trades",
        "",
        f"{t.round_trips} round trips ({t.long} long, {t.short} short; {t.closed} closed, "
        f"{t.open} open); {t.wins} of {t.closed} closed trades won: {_pct(t.win_rate)} "
        f"(Wilson {wci}). Net pnl {t.net_pnl:,.2f}; exits: "
        + (", ".join(f"{k} {v}" for k, v in t.exit_reasons.items()) or "none")
        + f". {t.fills} fills, {t.rejected_orders} orders rejected, "
        f"{t.orders_after_last_bar} past the last bar.",
        "",
        f"Costs paid: commission {c.commission:,.2f}, slippage {c.slippage:,.2f} "
        f"(total {c.total:,.2f}).",
        "",
        "## Equity",
        "",
        f"{e.initial:,.2f} to {e.final:,.2f} ({_pct(e.total_return)}); max drawdown "
        f"{_pct(e.max_drawdown)} (peak {_when(e.max_drawdown_peak)}, trough "
        f"{_when(e.max_drawdown_trough)}); longest time under water "
        f"{e.max_drawdown_duration_hours:g} h. Time in market {_pct(x.share)} of {x.bars} "
        f"bars (long {_pct(x.long_share)}, short {_pct(x.short_share)}). Position at the "
        f"end: {e.final_position:.6g} units.",
        "",
        "## Files",
        "",
        *[f"* `{name}` sha256 `{digest[:16]}…`" for name, digest in r.files.items()],
        "",
    ]
    return "\n".join(lines)
