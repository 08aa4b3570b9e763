"""The one decision path: what a run reads from (:mod:`.sources`), the per-symbol decision
(:func:`decide_symbol`) and the walk of that decision over time (:func:`walk`).

``tb run``, ``tb universe run``, ``tb study`` and the bots' recorded timelines all decide
through here, and so will the backtest and the paper trader: a symbol is decided one way.
"""

from shared.pipeline.decide import (
    DecisionState,
    SymbolDecision,
    SymbolJob,
    decide_at,
    decide_symbol,
    news_window,
    prior_window,
)
from shared.pipeline.sources import CallLog, EventKind, HealthEvent, ProviderHealth, Sources
from shared.pipeline.walk import Period, WalkStep, fetch_period, walk

__all__ = [
    "CallLog",
    "DecisionState",
    "EventKind",
    "HealthEvent",
    "Period",
    "ProviderHealth",
    "Sources",
    "SymbolDecision",
    "SymbolJob",
    "WalkStep",
    "decide_at",
    "decide_symbol",
    "fetch_period",
    "news_window",
    "prior_window",
    "walk",
]
