"""The always-on meter of a run: each bot's decision latency and counters, kept beside the
envelopes, never in them.

``--timings`` writes latencies *into* envelopes and the manifest (non-reproducible). The
meter is what every scheduled run records regardless: :class:`BotRunner` reports each
envelope and its measured latency here, and the stage turns the totals into its telemetry
record (:mod:`shared.store.telemetry`), outside the byte-identical core.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.contracts import Decision, EnvelopeStatus, Mode, ReportEnvelope
from shared.contracts.telemetry import BotTelemetry

__all__ = ["Meter", "p95"]

_REJECTS = (Decision.BLOCK, Decision.NO_TRIGGER)


def p95(samples: list[float] | tuple[float, ...]) -> float | None:
    """The 95th percentile (nearest rank) of ``samples``; None when there are none."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class _BotTally:
    mode: Mode
    config_version: str
    decisions: int = 0
    errors: int = 0
    rejects: int = 0
    skipped: int = 0
    latencies: list[float] = field(default_factory=list)


@dataclass
class Meter:
    """Collects every bot's envelopes of one run. ``clock``: monotonic seconds."""

    clock: Callable[[], float] = time.perf_counter
    _bots: dict[str, _BotTally] = field(default_factory=dict)

    def register(self, bot: str, mode: Mode, config_version: str) -> None:
        """Make ``bot`` appear in the telemetry even if it never decides in this run."""
        self._bots.setdefault(bot, _BotTally(mode, config_version))

    def observe(self, envelope: ReportEnvelope, latency_ms: float | None) -> None:
        tally = self._bots.setdefault(envelope.bot,
                                      _BotTally(envelope.mode, envelope.config_version))
        tally.decisions += 1
        tally.errors += envelope.status is EnvelopeStatus.FAILED
        tally.rejects += envelope.status is EnvelopeStatus.OK and envelope.decision in _REJECTS
        tally.skipped += envelope.status is EnvelopeStatus.SKIPPED
        if latency_ms is not None:
            tally.latencies.append(latency_ms)

    def bots(self, heartbeat_age_ms: int | None) -> tuple[BotTelemetry, ...]:
        """Each bot's standard metrics; ``heartbeat_age_ms`` is the stage's (see
        :func:`shared.store.telemetry.record_run`)."""
        out = []
        for name, t in sorted(self._bots.items()):
            mean = round(sum(t.latencies) / len(t.latencies), 3) if t.latencies else None
            out.append(BotTelemetry(
                bot=name, mode=t.mode, config_version=t.config_version,
                decisions_total=t.decisions, errors_total=t.errors, rejects_total=t.rejects,
                skipped_total=t.skipped,
                decision_latency_ms=mean, latency_p95_ms=p95(t.latencies),
                latency_samples_ms=tuple(round(x, 3) for x in t.latencies),
                heartbeat_age_ms=heartbeat_age_ms))
        return tuple(out)
