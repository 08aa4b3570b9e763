"""Recorded envelope timelines: the pipeline's walk (:mod:`shared.pipeline.walk`) hour by
hour over a seeded synthetic period, each bot's envelopes kept in its own ``timeline.jsonl``.

The timeline is each bot's behaviour on a fixed, known input stream. Tests re-run it and
compare byte for byte, so any change in behaviour (a bot, the features, the offline scorer
or the synthetic feed) shows up as a diff that someone must re-record on purpose with
``tb bots record-timeline NAME``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from shared.bots.registry import bot_entry
from shared.contracts import ReportEnvelope
from shared.providers.synthetic import SyntheticFeed
from shared.reason_codes import default_registry
from shared.sentiment.offline import OfflineScorer
from shared.signal.config import BotSettings, SignalConfig
from shared.signal.engine import SignalEngine

if TYPE_CHECKING:
    from shared.pipeline.decide import SymbolJob
    from shared.pipeline.walk import WalkStep

__all__ = ["TIMELINE_HOURS", "TIMELINE_SEED", "TIMELINE_START", "envelope_line",
           "record_timeline", "write_timeline"]

TIMELINE_SEED = 7
TIMELINE_START = datetime(2026, 1, 5, tzinfo=UTC)
TIMELINE_HOURS = 24 * 21
_SYMBOL = "BTC-USD"
# The tracer's shipped defaults (config/tracer.yaml), fixed here like the bot configs.
_HISTORY_HOURS = 192
_MAX_BAR_AGE_HOURS = 3


def envelope_line(envelope: ReportEnvelope) -> str:
    """One envelope as one compact, key-sorted JSON line."""
    return json.dumps(envelope.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def _default_bots() -> BotSettings:
    # Default params and the modes the product ships with, so the timeline does not move
    # when someone edits config/ (that is what fixtures with explicit configs are for).
    from shared.bots.registry import BOTS, BotName
    from shared.contracts import Mode

    modes: dict[str, Mode] = {BotName.DIVERGENCE: Mode.ADVISORY, BotName.SIZING: Mode.ADVISORY}
    return BotSettings(bots={
        name: (modes.get(name, Mode.ENFORCED), entry.bot_class.config_model())
        for name, entry in BOTS.items()
    })


def record_timeline(name: str) -> list[ReportEnvelope]:
    """Walk the pipeline (default configs) over the seeded period; return bot ``name``'s
    envelopes in order."""
    from shared.pipeline import Sources, SymbolJob, fetch_period, walk

    bot_entry(name)  # unknown names fail here
    signal = SignalConfig()
    engine = SignalEngine(signal, _default_bots(), default_registry())
    feed = SyntheticFeed(TIMELINE_SEED)
    sources = Sources("synthetic", feed, feed, OfflineScorer(), None)
    job = SymbolJob(symbol=_SYMBOL, signal=signal, engine=engine,
                    history_hours=_HISTORY_HOURS, max_bar_age_hours=_MAX_BAR_AGE_HOURS)
    end = TIMELINE_START + timedelta(hours=TIMELINE_HOURS)
    period = fetch_period(job, TIMELINE_START, end, sources)
    times = (TIMELINE_START + timedelta(hours=step + 1) for step in range(TIMELINE_HOURS))
    out: list[ReportEnvelope] = []
    if name == "execution":
        return _execution_timeline(job, walk(job, times, period))
    for walked in walk(job, times, period):
        if walked.decision.decided is not None:
            out.extend(e for e in walked.decision.decided.envelopes if e.bot == name)
    return out


def write_timeline(name: str) -> int:
    """Re-record the timeline file of bot ``name``; returns the number of envelopes."""
    envelopes = record_timeline(name)
    path = bot_entry(name).timeline_path
    path.write_text("".join(envelope_line(e) + "\n" for e in envelopes), encoding="utf-8")
    return len(envelopes)


def _execution_timeline(job: SymbolJob, steps: Iterable[WalkStep]) -> list[ReportEnvelope]:
    """The execution bot's envelopes over the walk, holding one unit on its own effective
    intents (open → 1, close → 0): the bot's decisions without a broker or risk engine."""
    from shared.bots.execution.bot import INTENT_OPEN, ExecutionBot, execution_input
    from shared.bots.runner import BotRunner
    from shared.contracts import Decision, Mode
    from shared.pipeline.decide import DecisionState

    runner = BotRunner(ExecutionBot(ExecutionBot.config_model()), Mode.ENFORCED,
                       default_registry())
    held, entered = 0.0, None
    out: list[ReportEnvelope] = []
    for step in steps:
        decision = step.decision
        decided = decision.decided
        usable = decided is not None and decision.state is DecisionState.DECIDED
        outcome = decided.outcome if usable and decided is not None else None
        envelopes = decided.envelopes if decided is not None else ()
        hours = (step.as_of - entered).total_seconds() / 3600.0 if entered else None
        envelope = runner.run(
            execution_input(job.symbol, step.as_of, outcome, envelopes,
                            horizon_hours=job.engine.horizon_hours, position_qty=held,
                            hours_held=hours),
            as_of=step.as_of, symbol=job.symbol)
        out.append(envelope)
        if envelope.effective and envelope.decision is Decision.TRIGGER:
            opening = envelope.numbers.get("intent") == INTENT_OPEN
            held, entered = (1.0, step.as_of) if opening else (0.0, None)
    return out
