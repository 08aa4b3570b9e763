"""The oracle: the best hit rate the synthetic feed allows, to measure the signal against.

It knows what the feed planted (:meth:`SyntheticFeed.planted_stories`): at the first poll
after an *informed* story's first headline, it calls the story's side, and its calls are
resolved and scored exactly like the signal's (:mod:`shared.backtest.calls`). No real
signal can know which stories are informed; the ratio of the signal's excess hit rate (or
z) to the oracle's says how much of the planted relation the signal recovers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.backtest.calls import Segment, Triggered, resolve_segment
from shared.pipeline import Period, SymbolJob
from shared.providers.synthetic import SyntheticFeed

__all__ = ["oracle_segment"]


def oracle_segment(job: SymbolJob, period: Period, feed: SyntheticFeed, start: datetime,
                   end: datetime) -> Segment:
    """The oracle's calls on ``[start, end)`` at the job's horizon."""
    poll = timedelta(hours=job.signal.poll_hours)
    calls = []
    for story in feed.planted_stories(job.symbol, start=start, end=end):
        at = story.start + poll  # the first poll after the first headline
        if story.informed and at < end:
            calls.append(Triggered(at, story.sign, 0.5 + 0.25 * story.sign, 0.0, None))
    return resolve_segment(job, period.bars, start, end, job.engine.horizon_hours, calls)
