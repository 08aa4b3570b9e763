"""The risk engine between decisions and the broker, and its trading state.

Anchored on NautilusTrader's ``RiskEngine``: every order is checked before it reaches a venue
(notional per order, position per asset, gross exposure, open positions) and the engine has a
trading state: ``ACTIVE`` (all orders), ``REDUCING`` (only orders that shrink a position) and
``HALTED`` (no order at all). Kill-switches move it: a daily loss beyond the limit, a drawdown
beyond the maximum, a price gap or stale data beyond their bounds (anomaly halt), a burst of
provider errors, a ledger that does not reconcile. A refusal is never silent: it returns a
:class:`Verdict` with a registered reason code, which the caller records.

A halt persists: :func:`save_state` writes it to ``runs/paper/risk_state.json`` and the next
run loads it; only :func:`rearm` (``tb paper rearm``, a person) sets it back to active, and
that is recorded in ``runs/paper/rearm.jsonl``. Limits come from ``config/risk.yaml``
(:func:`load_risk_config`), each a validated parameter with hard bounds.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import Field, ValidationError, model_validator

from shared.config import ConfigModel, StrictConfigModel, config_dir, load_yaml_model
from shared.contracts.paper import PaperRiskState
from shared.errors import ArtifactError, ConfigError
from shared.execution.broker import Order, OrderSide
from shared.store.atomic import atomic_write_text

__all__ = [
    "HALT_CODES",
    "PaperSettings",
    "RiskConfig",
    "RiskEngine",
    "RiskLimits",
    "RiskState",
    "TradingState",
    "Verdict",
    "load_risk_config",
    "load_state",
    "rearm",
    "save_state",
]

HALT_CODES = ("HALT_DAILY_LOSS", "HALT_MAX_DRAWDOWN", "HALT_PRICE_GAP", "HALT_STALE_DATA",
              "HALT_ERROR_BURST", "HALT_LEDGER_MISMATCH")
STATE_FILE = "risk_state.json"
REARM_FILE = "rearm.jsonl"


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class RiskLimits(StrictConfigModel):
    """Hard limits; money in the account currency, fractions of equity where named so."""

    max_order_notional: float = Field(default=30_000.0, gt=0.0, le=10_000_000.0)
    max_position_notional: float = Field(default=30_000.0, gt=0.0, le=10_000_000.0)
    max_gross_exposure: float = Field(default=1.0, gt=0.0, le=3.0)
    max_open_positions: int = Field(default=5, ge=1, le=100)
    daily_loss_limit: float = Field(default=0.03, gt=0.0, le=0.5)
    reducing_drawdown: float = Field(default=0.06, gt=0.0, le=0.9)
    max_drawdown: float = Field(default=0.10, gt=0.0, le=0.9)
    max_price_gap: float = Field(default=0.15, gt=0.0, le=1.0)
    max_data_age_hours: float = Field(default=3.0, gt=0.0, le=168.0)
    error_burst_count: int = Field(default=3, ge=1, le=1000)
    error_burst_window_hours: float = Field(default=6.0, gt=0.0, le=168.0)
    live_max_order_notional: float = Field(default=0.0, ge=0.0, le=100.0)
    kill_switch_armed: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.reducing_drawdown > self.max_drawdown:
            raise ValueError("reducing_drawdown must not exceed max_drawdown")
        return self


class PaperSettings(StrictConfigModel):
    """The paper account: starting cash, costs (the backtest's), and the participation cap
    (a fill takes at most this fraction of the bar's volume; the rest waits or is cancelled)."""

    initial_cash: float = Field(default=100_000.0, gt=0.0, le=1e9)
    commission_rate: float = Field(default=0.001, ge=0.0, lt=0.1)
    slippage_rate: float = Field(default=0.0005, ge=0.0, lt=0.1)
    participation_cap: float = Field(default=0.1, gt=0.0, le=1.0)


class RiskConfig(ConfigModel):
    limits: RiskLimits = Field(default_factory=RiskLimits)
    paper: PaperSettings = Field(default_factory=PaperSettings)


def load_risk_config(path: Path | None = None) -> RiskConfig:
    """``config/risk.yaml`` (or ``path``); a bad value is a ConfigError naming key and bounds."""
    return load_yaml_model(path or config_dir() / "risk.yaml", RiskConfig)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason_code: str = ""
    detail: str = ""


@dataclass
class RiskState:
    """What persists between runs (JSON). ``errors``: ISO times of recent provider errors."""

    state: TradingState = TradingState.ACTIVE
    reason_code: str = ""
    detail: str = ""
    since: str = ""
    peak_equity: float = 0.0
    day: str = ""
    day_start_equity: float = 0.0
    errors: list[str] = field(default_factory=list)
    trips: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RiskState:
        try:
            return cls(**{**data, "state": TradingState(data.get("state", "active"))})
        except (TypeError, ValueError) as e:
            raise ArtifactError(f"risk state is invalid: {e}") from e


def load_state(directory: Path) -> RiskState:
    """The persisted state under ``directory`` (fresh active state if there is none);
    an unreadable or invalid file is an ArtifactError (the caller stops: fail closed)."""
    path = directory / STATE_FILE
    if not path.is_file():
        return RiskState()
    try:
        model = PaperRiskState.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as e:
        raise ArtifactError(f"{path}: unreadable risk state: {_first_error(e)}") from e
    data = model.model_dump(mode="json", exclude={"schema_version", "type"})
    data["errors"], data["trips"] = list(data["errors"]), list(data["trips"])
    return RiskState.from_json(data)


def save_state(directory: Path, state: RiskState) -> Path:
    path = directory / STATE_FILE
    model = PaperRiskState.model_validate_json(json.dumps(state.to_json()))
    atomic_write_text(path, json.dumps(model.model_dump(mode="json"), sort_keys=True,
                                       indent=2) + "\n")
    return path


def _first_error(e: Exception) -> str:
    if isinstance(e, ValidationError):
        err = e.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
    return str(e)


def rearm(directory: Path, *, by: str, note: str, now: datetime) -> RiskState:
    """A person re-arms trading after a halt: the state goes back to active and the act is
    appended to ``rearm.jsonl`` (who, when, which halt). Refused when nothing is halted."""
    if not by.strip():
        raise ConfigError("rearm needs the name of the person re-arming (--by)")
    state = load_state(directory)
    if state.state is TradingState.ACTIVE:
        raise ConfigError("trading is not halted: nothing to re-arm")
    record = {"at": now.isoformat(), "by": by, "note": note, "cleared": state.reason_code,
              "halted_since": state.since}
    log = directory / REARM_FILE
    previous = log.read_text(encoding="utf-8") if log.is_file() else ""
    atomic_write_text(log, previous + json.dumps(record, sort_keys=True) + "\n")
    state.state, state.reason_code, state.detail, state.since = (
        TradingState.ACTIVE, "", "", now.isoformat())
    state.errors = []
    save_state(directory, state)
    return state


class RiskEngine:
    """Checks orders and trips kill-switches; the state is the only thing it mutates."""

    def __init__(self, limits: RiskLimits, state: RiskState | None = None) -> None:
        self.limits = limits
        self.state = state or RiskState()

    @property
    def halted(self) -> bool:
        return self.state.state is TradingState.HALTED

    # -- kill-switches ------------------------------------------------------------------

    def halt(self, code: str, detail: str, as_of: datetime) -> bool:
        """Trip the kill-switch (the first halt's reason stays); True if this call halted."""
        if code not in HALT_CODES:
            raise ValueError(f"not a halt code: {code}")
        if self.halted:
            return False
        self.state.state, self.state.reason_code, self.state.detail = (
            TradingState.HALTED, code, detail)
        self.state.since = as_of.isoformat()
        self.state.trips.append({"at": as_of.isoformat(), "code": code, "detail": detail})
        return True

    def observe_equity(self, as_of: datetime, equity: float) -> str | None:
        """Update peak and day start; trip daily-loss / drawdown; enter REDUCING. Returns the
        halt code if this call halted."""
        st, lim = self.state, self.limits
        if not math.isfinite(equity):
            return self._trip("HALT_LEDGER_MISMATCH", f"equity is not finite: {equity}", as_of)
        day = as_of.date().isoformat()
        if st.day != day:
            st.day, st.day_start_equity = day, equity
        st.peak_equity = max(st.peak_equity, equity)
        if st.day_start_equity > 0:
            loss = 1.0 - equity / st.day_start_equity
            if loss >= lim.daily_loss_limit:
                return self._trip("HALT_DAILY_LOSS", f"down {loss:.4%} today, limit "
                                  f"{lim.daily_loss_limit:.4%}", as_of)
        drawdown = 1.0 - equity / st.peak_equity if st.peak_equity > 0 else 0.0
        if drawdown >= lim.max_drawdown:
            return self._trip("HALT_MAX_DRAWDOWN", f"drawdown {drawdown:.4%}, limit "
                              f"{lim.max_drawdown:.4%}", as_of)
        if not self.halted:
            st.state = (TradingState.REDUCING if drawdown >= lim.reducing_drawdown
                        else TradingState.ACTIVE)
        return None

    def observe_market(self, as_of: datetime, symbol: str, last_bar_end: datetime | None,
                       previous_close: float | None, price: float | None) -> str | None:
        """Anomaly halt: no bar for too long (dead feed) or a jump beyond the gap bound."""
        lim = self.limits
        if last_bar_end is None or as_of - last_bar_end > timedelta(
                hours=lim.max_data_age_hours):
            seen = last_bar_end.isoformat() if last_bar_end else "never"
            return self._trip("HALT_STALE_DATA", f"{symbol}: last bar closed {seen}, "
                              f"bound {lim.max_data_age_hours:g} h", as_of)
        if previous_close and price and previous_close > 0:
            gap = abs(price / previous_close - 1.0)
            if gap > lim.max_price_gap:
                return self._trip("HALT_PRICE_GAP", f"{symbol}: moved {gap:.2%} in one bar, "
                                  f"bound {lim.max_price_gap:.2%}", as_of)
        return None

    def record_error(self, as_of: datetime, code: str) -> str | None:
        """A provider error; a burst of them inside the window halts."""
        window = timedelta(hours=self.limits.error_burst_window_hours)
        recent = [e for e in self.state.errors if as_of - datetime.fromisoformat(e) < window]
        recent.append(as_of.isoformat())
        self.state.errors = recent
        if len(recent) >= self.limits.error_burst_count:
            return self._trip("HALT_ERROR_BURST", f"{len(recent)} provider errors ({code} "
                              f"last) within {self.limits.error_burst_window_hours:g} h", as_of)
        return None

    def _trip(self, code: str, detail: str, as_of: datetime) -> str | None:
        if not self.limits.kill_switch_armed:
            return None
        return code if self.halt(code, detail, as_of) else None

    # -- pre-trade checks ---------------------------------------------------------------

    def check(self, order: Order, price: float, positions: dict[str, float],
              marks: dict[str, float], equity: float, *, live: bool = False) -> Verdict:
        """May ``order`` (priced at ``price``) go to the broker? ``positions``: units by
        symbol now; ``marks``: last prices."""
        lim = self.limits
        held = positions.get(order.symbol, 0.0)
        after = held + order.signed_qty
        reduces = abs(after) < abs(held) and held * after >= 0
        if self.halted:
            return Verdict(False, "RISK_HALTED", f"trading halted ({self.state.reason_code})")
        if self.state.state is TradingState.REDUCING and not reduces:
            return Verdict(False, "RISK_REDUCING_ONLY", "reducing state: only orders that "
                           "shrink a position")
        if not (math.isfinite(price) and price > 0):
            return Verdict(False, "RISK_NO_PRICE", f"no usable price for {order.symbol}")
        notional = abs(order.qty) * price
        cap = lim.live_max_order_notional if live else lim.max_order_notional
        if notional > cap:
            return Verdict(False, "RISK_ORDER_NOTIONAL", f"order notional {notional:.2f} "
                           f"above the cap {cap:.2f}")
        if reduces:
            return Verdict(True)
        if abs(after) * price > lim.max_position_notional:
            return Verdict(False, "RISK_POSITION_LIMIT", f"{order.symbol} position "
                           f"{abs(after) * price:.2f} above {lim.max_position_notional:.2f}")
        gross = math.fsum(abs(q) * marks.get(s, price) for s, q in positions.items()
                          if s != order.symbol) + abs(after) * price
        if equity <= 0 or gross > lim.max_gross_exposure * equity:
            return Verdict(False, "RISK_GROSS_EXPOSURE", f"gross exposure {gross:.2f} above "
                           f"{lim.max_gross_exposure:g} x equity {equity:.2f}")
        open_now = sum(1 for q in positions.values() if q != 0)
        if held == 0 and open_now >= lim.max_open_positions:
            return Verdict(False, "RISK_MAX_OPEN_POSITIONS", f"{open_now} positions open, "
                           f"max {lim.max_open_positions}")
        if order.side is OrderSide.SELL and after < 0:
            return Verdict(False, "RISK_NO_SHORT", "the paper account holds no shorts")
        return Verdict(True)
