"""The walk is the per-symbol decision, not a copy of it: at every time of a period, deciding
from the walk's one fetch gives exactly what a run at that time (``decide_symbol``) gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.contracts import OutcomeStatus, PriorTrigger
from shared.pipeline import Sources, SymbolJob, decide_symbol, fetch_period, prior_window, walk
from shared.pipeline.settings import load_pipeline_settings
from shared.providers.synthetic import SyntheticFeed
from shared.reason_codes import default_registry
from shared.sentiment.offline import OfflineScorer
from shared.signal.engine import SignalEngine

START = datetime(2026, 1, 5, tzinfo=UTC)


def _job(prior: tuple[PriorTrigger, ...] = ()) -> SymbolJob:
    settings = load_pipeline_settings()
    engine = SignalEngine(settings.signal, settings.bots, default_registry())
    return SymbolJob(symbol="BTC-USD", signal=settings.signal, engine=engine,
                     history_hours=settings.tracer.history_hours,
                     max_bar_age_hours=settings.tracer.max_bar_age_hours, prior_triggers=prior)


def _sources(seed: int) -> Sources:
    feed = SyntheticFeed(seed)
    return Sources("synthetic", feed, feed, OfflineScorer(), None)


@pytest.mark.parametrize("seed", [7, 11])
def test_every_walk_step_equals_a_run_at_that_time(seed: int) -> None:
    hours = 24 * 3
    times = [START + timedelta(hours=h) for h in range(hours)]
    job = _job()
    period = fetch_period(job, times[0], times[-1], _sources(seed))
    steps = list(walk(job, times, period))
    window = prior_window(job.engine.bots)
    triggers: list[PriorTrigger] = []
    statuses = set()
    for step in steps:
        t = step.as_of
        prior = tuple(p for p in triggers if t - window <= p.as_of < t)
        alone = decide_symbol(_job(prior), t, _sources(seed))
        assert alone.decided is not None and step.decision.decided is not None
        assert step.decision.decided.outcome == alone.decided.outcome, t
        assert step.decision.decided.envelopes == alone.decided.envelopes, t
        outcome = alone.decided.outcome
        statuses.add(outcome.status)
        if outcome.status is OutcomeStatus.TRIGGERED and outcome.direction is not None:
            triggers.append(PriorTrigger(symbol="BTC-USD", direction=outcome.direction, as_of=t))
    # The period exercises more than one path (the synthetic feed plants triggers).
    assert OutcomeStatus.NO_TRIGGER in statuses and len(statuses) >= 2
