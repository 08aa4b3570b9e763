"""The live lock: a broker that moves real money is refused until every condition holds.

:func:`check_live` refuses (``LIVE_LOCKED``, with every unmet condition named) unless

1. the execution bot is production-live on the committed readiness board (``board.json``:
   its ``earned_mode`` is ``enforced``, which needs all four scores full and the advisory
   period held — nothing typed in);
2. a tiny per-order notional cap is configured (``limits.live_max_order_notional`` > 0; its
   hard bound is 100 in the account currency);
3. the kill-switch is armed (``limits.kill_switch_armed``) and trading is not halted;
4. the environment says so explicitly: ``TB_LIVE_TRADING=I_UNDERSTAND``.

:func:`check_polymarket` refuses (``POLYMARKET_LOCKED``) Polymarket execution unless the
committed evaluation against the market price covers at least six months and its Brier skill
over the market has a bootstrap interval entirely above zero (the evaluator's
``brier_skill_vs_baseline`` and ``ci.brier_skill_vs_baseline``, with ``baseline: market``).
An absent or unreadable evaluation is a refusal, never a pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.errors import LiveLocked
from shared.execution.broker import Broker
from shared.execution.risk import RiskLimits, RiskState, TradingState

__all__ = ["LIVE_ENV", "LIVE_ENV_VALUE", "POLYMARKET_EVAL", "LiveCheck", "check_live",
           "check_polymarket", "require_unlocked"]

LIVE_ENV = "TB_LIVE_TRADING"
LIVE_ENV_VALUE = "I_UNDERSTAND"
MIN_POLYMARKET_DAYS = 182
# The committed evaluation of the Polymarket forecasts against the market price (tb eval's
# metrics JSON with ``baseline: market``, ``first_as_of`` and ``last_as_of``).
POLYMARKET_EVAL = Path("eval_runs") / "polymarket" / "metrics.json"


@dataclass(frozen=True)
class LiveCheck:
    allowed: bool
    reason_code: str | None
    unmet: tuple[str, ...]


def _board_row(board_json: Path, bot: str) -> dict[str, Any] | None:
    try:
        data = json.loads(board_json.read_text(encoding="utf-8"))
        rows = data["bots"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("bot") == bot:
            return row
    return None


def check_live(*, board_json: Path, limits: RiskLimits, state: RiskState,
               environ: Mapping[str, str]) -> LiveCheck:
    unmet = []
    row = _board_row(board_json, "execution")
    if row is None:
        unmet.append(f"the execution bot is not on the readiness board ({board_json})")
    elif row.get("earned_mode") != "enforced":
        unmet.append(f"the execution bot earned {row.get('earned_mode')!r} on the board, "
                     "not 'enforced' (production-live)")
    if not limits.live_max_order_notional > 0:
        unmet.append("no tiny live notional cap (limits.live_max_order_notional is 0)")
    if not limits.kill_switch_armed:
        unmet.append("the kill-switch is not armed (limits.kill_switch_armed)")
    if state.state is TradingState.HALTED:
        unmet.append(f"trading is halted ({state.reason_code})")
    if environ.get(LIVE_ENV) != LIVE_ENV_VALUE:
        unmet.append(f"{LIVE_ENV} is not set to {LIVE_ENV_VALUE}")
    return LiveCheck(not unmet, "LIVE_LOCKED" if unmet else None, tuple(unmet))


def check_polymarket(metrics_json: Path) -> LiveCheck:
    """Six months of Brier skill over the market price, interval above zero, or refused."""
    try:
        data = json.loads(metrics_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return LiveCheck(False, "POLYMARKET_LOCKED",
                         (f"no readable committed evaluation at {metrics_json}: {e}",))
    unmet = []
    if not isinstance(data, dict):
        data = {}
    if data.get("baseline") != "market":
        unmet.append("the evaluation's baseline is not the market price")
    try:
        span = (datetime.fromisoformat(str(data["last_as_of"]))
                - datetime.fromisoformat(str(data["first_as_of"]))).days
    except (KeyError, ValueError, TypeError):
        span = 0
    if span < MIN_POLYMARKET_DAYS:
        unmet.append(f"the evaluation covers {span} days, fewer than {MIN_POLYMARKET_DAYS}")
    interval = (data.get("ci") or {}).get("brier_skill_vs_baseline") if isinstance(
        data.get("ci"), dict) else None
    if not (isinstance(interval, list) and len(interval) == 2
            and all(isinstance(v, int | float) for v in interval) and interval[0] > 0):
        unmet.append("the Brier skill over the market has no interval entirely above zero")
    return LiveCheck(not unmet, "POLYMARKET_LOCKED" if unmet else None, tuple(unmet))


def require_unlocked(broker: Broker, *, board_json: Path, limits: RiskLimits, state: RiskState,
                     environ: Mapping[str, str], polymarket_eval: Path | None = None) -> Broker:
    """The one door to a broker: a paper venue passes; a live one only with every condition
    of :func:`check_live` met, and a live Polymarket venue (``name`` starting with
    ``polymarket`` or ``clob``) also :func:`check_polymarket`. Raises :class:`LiveLocked`
    naming what is unmet."""
    if not broker.live:
        return broker
    checks = [check_live(board_json=board_json, limits=limits, state=state, environ=environ)]
    if broker.name.lower().startswith(("polymarket", "clob")):
        checks.append(check_polymarket(polymarket_eval or POLYMARKET_EVAL))
    unmet = [u for c in checks for u in c.unmet]
    if unmet:
        codes = ", ".join(sorted({c.reason_code for c in checks if c.reason_code}))
        raise LiveLocked(f"{broker.name}: live trading refused ({codes}): " + "; ".join(unmet))
    return broker
