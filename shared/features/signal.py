"""Point-in-time features for the divergence signal.

Everything here is computed *as of* ``t`` from data available at ``t``: bars whose ``end``
is ``<= t`` and narratives published and fetched at or before ``t``. Callers may pass more
data than that; these functions filter it themselves, so a leak needs two bugs, not one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt

from shared.contracts import Contract, Narrative, SentimentScore, UtcDatetime
from shared.contracts.base import Signed

__all__ = [
    "FeatureParams",
    "ScoredNarrative",
    "SignalFeatures",
    "available_narratives",
    "compute_features",
]


class FeatureParams(Contract):
    """Windows and decay of the feature computation (``config/tracer.yaml: features``)."""

    narrative_window_hours: PositiveInt = Field(default=48, le=24 * 30)
    half_life_hours: PositiveFloat = Field(default=12.0, le=24 * 14)
    move_lookback_hours: PositiveInt = Field(default=6, le=24 * 7)
    vol_window_hours: PositiveInt = Field(default=168, ge=24, le=24 * 90)
    participation_hours: PositiveInt = Field(default=6, le=72)
    trend_lookback_hours: PositiveInt = Field(default=168, le=24 * 90)
    min_bars: PositiveInt = Field(default=48, ge=8)


@dataclass(frozen=True)
class ScoredNarrative:
    """A narrative with its sentiment and its weight factors other than time decay."""

    narrative: Narrative
    score: SentimentScore
    novelty: float = 1.0
    source_weight: float = 1.0


class SignalFeatures(Contract):
    """The numbers a divergence decision is made from."""

    symbol: str
    as_of: UtcDatetime
    narrative_score: Signed | None = Field(
        description="decay/novelty/confidence-weighted mean polarity; null with no headlines"
    )
    narrative_mass: NonNegativeFloat
    headline_count: NonNegativeInt
    source_count: NonNegativeInt
    price_return: float = Field(description="log return over move_lookback_hours")
    realized_vol: PositiveFloat = Field(description="hourly log-return standard deviation")
    move_z: float = Field(description="price_return / (realized_vol * sqrt(lookback))")
    participation: NonNegativeFloat = Field(description="recent volume / its own norm")
    trend_z: float = Field(description="higher-timeframe return in volatility units")
    bars_used: PositiveInt
    last_bar_end: UtcDatetime


def available_narratives(
    scored: Sequence[ScoredNarrative], as_of: datetime, window_hours: int
) -> list[ScoredNarrative]:
    """Narratives published within the window and fetched by ``as_of``."""
    start = as_of - pd.Timedelta(hours=window_hours)
    return [
        item
        for item in scored
        if start <= item.narrative.published_at <= as_of and item.narrative.fetched_at <= as_of
    ]


def compute_features(
    symbol: str,
    as_of: datetime,
    bars: pd.DataFrame,
    scored: Sequence[ScoredNarrative],
    params: FeatureParams,
) -> SignalFeatures:
    """Compute features at ``as_of``. Raises ``ValueError`` when there are too few bars."""
    usable = bars.loc[bars["end"] <= pd.Timestamp(as_of)]
    if len(usable) < params.min_bars:
        raise ValueError(
            f"{symbol}: {len(usable)} closed bars at {as_of.isoformat()}, need {params.min_bars}"
        )
    close = usable["close"].to_numpy(dtype="float64")
    volume = usable["volume"].to_numpy(dtype="float64")
    log_close = np.log(close)
    returns = np.diff(log_close)
    vol_returns = returns[-params.vol_window_hours :]
    realized_vol = float(np.std(vol_returns, ddof=1)) if len(vol_returns) > 1 else 0.0
    realized_vol = max(realized_vol, 1e-6)
    k = min(params.move_lookback_hours, len(returns))
    price_return = float(log_close[-1] - log_close[-1 - k])
    move_z = price_return / (realized_vol * math.sqrt(k))
    t = min(params.trend_lookback_hours, len(returns))
    trend_z = float(log_close[-1] - log_close[-1 - t]) / (realized_vol * math.sqrt(t))
    recent = volume[-params.participation_hours :]
    norm = volume[-params.vol_window_hours : -params.participation_hours]
    norm_mean = float(np.mean(norm)) if len(norm) else 0.0
    participation = float(np.mean(recent)) / norm_mean if norm_mean > 0 else 0.0

    window = available_narratives(scored, as_of, params.narrative_window_hours)
    weights = []
    polarities = []
    for item in window:
        age_hours = (as_of - item.narrative.published_at).total_seconds() / 3600.0
        decay = 0.5 ** (age_hours / params.half_life_hours)
        weights.append(decay * item.novelty * item.source_weight * item.score.confidence)
        polarities.append(item.score.polarity)
    mass = float(sum(weights))
    score = float(np.dot(weights, polarities) / mass) if mass > 0 else None
    return SignalFeatures(
        symbol=symbol,
        as_of=as_of,
        narrative_score=None if score is None else max(-1.0, min(1.0, score)),
        narrative_mass=mass,
        headline_count=len(window),
        source_count=len({item.narrative.source for item in window}),
        price_return=price_return,
        realized_vol=realized_vol,
        move_z=move_z,
        participation=participation,
        trend_z=trend_z,
        bars_used=len(usable),
        last_bar_end=usable["end"].iloc[-1].to_pydatetime(),
    )
