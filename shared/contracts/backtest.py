"""The divergence backtest report (``runs/backtests/<report_id>/report.json``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt

from shared.contracts.base import Contract, Probability, UtcDatetime

__all__ = [
    "BacktestCosts",
    "BacktestDecisionCounts",
    "BacktestEquity",
    "BacktestExposure",
    "BacktestHitRate",
    "BacktestReport",
    "BacktestSettings",
    "BacktestTrades",
    "ForecastScoreSummary",
]

Interval = tuple[Probability, Probability]


class BacktestSettings(Contract):
    mode: Literal["long-short", "long-only"]
    fee_bps: NonNegativeFloat
    slippage_bps: NonNegativeFloat
    initial_cash: PositiveFloat
    position_fraction: float = Field(gt=0.0, le=1.0)
    units: NonNegativeFloat = Field(description="fixed size per trade, in units of the symbol")


class BacktestDecisionCounts(Contract):
    total: NonNegativeInt
    triggered: NonNegativeInt
    up_triggers: NonNegativeInt
    down_triggers: NonNegativeInt
    suppressed: NonNegativeInt
    no_trigger: NonNegativeInt
    failed: NonNegativeInt
    stale: NonNegativeInt


class BacktestHitRate(Contract):
    """Triggers whose close ``horizon`` later is on their side of the close at the trigger."""

    resolved: NonNegativeInt = Field(description="sample size")
    unresolved: NonNegativeInt
    hits: NonNegativeInt
    rate: Probability | None
    ci: Interval | None = Field(description="Wilson score interval")
    level: Probability
    base_rate: Probability | None = Field(description="share of polls followed by an up-move")
    baseline_hit_rate: Probability | None = Field(
        description="what a coin with the base rate scores on the same directions")
    z_vs_baseline: float | None = Field(description="binomial z of hits against the baseline")


class ForecastScoreSummary(Contract):
    """Proper scores of ``p_up`` forecasts resolved at their horizon (null when n is 0)."""

    n: NonNegativeInt
    brier: NonNegativeFloat | None
    log_loss: NonNegativeFloat | None
    base_rate: Probability | None
    mean_p: Probability | None
    brier_climatology: NonNegativeFloat | None
    brier_skill_vs_climatology: float | None


class BacktestTrades(Contract):
    round_trips: NonNegativeInt
    closed: NonNegativeInt
    open: NonNegativeInt
    long: NonNegativeInt
    short: NonNegativeInt
    wins: NonNegativeInt
    win_rate: Probability | None
    win_rate_ci: Interval | None = Field(description="Wilson score interval over closed trades")
    net_pnl: float
    mean_pnl: float | None
    fills: NonNegativeInt
    rejected_orders: NonNegativeInt
    orders_after_last_bar: NonNegativeInt
    exit_reasons: dict[str, NonNegativeInt]


class BacktestCosts(Contract):
    commission: NonNegativeFloat
    slippage: NonNegativeFloat
    total: NonNegativeFloat


class BacktestEquity(Contract):
    initial: PositiveFloat
    final: float
    final_cash: float
    total_return: float
    max_drawdown: NonNegativeFloat = Field(description="largest fall from a running peak")
    max_drawdown_peak: UtcDatetime | None
    max_drawdown_trough: UtcDatetime | None
    max_drawdown_duration_hours: NonNegativeFloat = Field(
        description="longest time below a previous peak (to the recovery, or to the end)")
    final_position: float


class BacktestExposure(Contract):
    bars: NonNegativeInt
    bars_in_market: NonNegativeInt
    share: Probability = Field(description="time in market: share of bars held at the close")
    long_share: Probability
    short_share: Probability


class BacktestReport(Contract):
    schema_version: Literal["1"] = "1"
    type: Literal["backtest_report"] = "backtest_report"
    report_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    symbol: str = Field(min_length=1, max_length=32)
    feed: str = Field(min_length=1)
    seed: int
    synthetic_edge: NonNegativeFloat | None
    start: UtcDatetime
    end: UtcDatetime
    poll_hours: PositiveInt
    horizon_hours: PositiveInt
    code_version: str
    config_digest: str
    inputs_digest: str
    settings: BacktestSettings
    headlines: NonNegativeInt = Field(description="headlines the period's decisions could read")
    decisions: BacktestDecisionCounts
    reasons: dict[str, dict[str, NonNegativeInt]] = Field(
        description="counts by reason code, per outcome (suppressed, no_trigger, failed, stale)")
    zero_triggers: str | None = Field(description="why there were no triggers, when none")
    hit_rate: BacktestHitRate
    forecasts: ForecastScoreSummary
    trigger_forecasts: ForecastScoreSummary
    trades: BacktestTrades
    costs: BacktestCosts
    equity: BacktestEquity
    exposure: BacktestExposure
    files: dict[str, str] = Field(description="sibling files and their sha256")
    note: str = Field(min_length=1)
