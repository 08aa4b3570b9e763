"""Recorded envelope timelines: a bot run hour by hour over a seeded synthetic period.

The timeline is the bot's behaviour on a fixed, known input stream. Tests re-run it and
compare byte for byte, so any change in behaviour (a bot, the features, the offline scorer
or the synthetic feed) shows up as a diff that someone must re-record on purpose with
``tb bots record-timeline NAME``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.bots.registry import bot_entry
from shared.bots.runner import BotRunner
from shared.contracts import Mode, ReportEnvelope, Timeframe
from shared.features.signal import FeatureParams, ScoredNarrative, compute_features
from shared.providers.synthetic import SyntheticFeed
from shared.reason_codes import default_registry

__all__ = ["TIMELINE_HOURS", "TIMELINE_SEED", "TIMELINE_START", "envelope_line",
           "record_timeline", "write_timeline"]

TIMELINE_SEED = 7
TIMELINE_START = datetime(2026, 1, 5, tzinfo=UTC)
TIMELINE_HOURS = 96
_SYMBOL = "BTC-USD"


def envelope_line(envelope: ReportEnvelope) -> str:
    """One envelope as one compact, key-sorted JSON line."""
    return json.dumps(envelope.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def record_timeline(name: str) -> list[ReportEnvelope]:
    """Run bot ``name`` (default config, advisory mode) over the seeded period."""
    from shared.sentiment.offline import OfflineScorer

    entry = bot_entry(name)
    bot = entry.bot_class(entry.bot_class.config_model())
    runner = BotRunner(bot, Mode.ADVISORY, default_registry())
    feed = SyntheticFeed(TIMELINE_SEED)
    params = FeatureParams()
    end = TIMELINE_START + timedelta(hours=TIMELINE_HOURS)
    bars = feed.bars([_SYMBOL], start=TIMELINE_START - timedelta(days=14), end=end,
                     timeframe=Timeframe.HOUR)[_SYMBOL]
    narratives = feed.narratives(
        [_SYMBOL], start=TIMELINE_START - timedelta(hours=params.narrative_window_hours), end=end
    )
    scores = OfflineScorer().score([n.headline for n in narratives])
    scored = [ScoredNarrative(n, s) for n, s in zip(narratives, scores, strict=True)]
    out = []
    for step in range(TIMELINE_HOURS):
        as_of = TIMELINE_START + timedelta(hours=step + 1)
        features = compute_features(_SYMBOL, as_of, bars, scored, params)
        out.append(runner.run(features, as_of=as_of, symbol=_SYMBOL))
    return out


def write_timeline(name: str) -> int:
    """Re-record the timeline file of bot ``name``; returns the number of envelopes."""
    envelopes = record_timeline(name)
    path = bot_entry(name).timeline_path
    path.write_text("".join(envelope_line(e) + "\n" for e in envelopes), encoding="utf-8")
    return len(envelopes)
