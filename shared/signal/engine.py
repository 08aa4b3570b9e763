"""The signal engine: one decision per symbol per poll.

    features(t) ─► divergence bot ─► (trigger candidate?) ─► guards ─► cooldown ─► sizing

Every bot runs through :class:`BotRunner`, so every path leaves an envelope. The outcome is
``triggered`` only when the divergence trigger takes effect and no guard's block does; a
block that takes effect (an enforced guard) makes it ``suppressed``, with the reason codes
recorded.

Event-driven firing: a trigger fires on the event (a new bar or a new headline) that makes
the whole condition — divergence *and* the guards — true. If the same condition, on the same
side, already held at the previous poll (``t - poll_hours``, recomputed from data available
then), the outcome is ``suppressed`` with ``SIGNAL_ALREADY_ACTIVE`` instead of firing on
every poll. The recomputation is pure (no envelopes, no counters), so the engine stays
stateless; repeats after a gap are the cooldown's business.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from shared.bots.divergence import DivergenceReading
from shared.bots.meter import Meter
from shared.bots.registry import BOTS, GUARDS, BotName
from shared.bots.runner import BotRun, BotRunner, is_effective
from shared.config import config_digest
from shared.contracts import (
    BotMetrics,
    Decision,
    Direction,
    EnvelopeStatus,
    Evidence,
    Forecast,
    Mode,
    OutcomeStatus,
    ReportEnvelope,
    SignalOutcome,
    confidence_word,
)
from shared.contracts.signal import Candidate, PriorTrigger, SignalFeatures
from shared.features.signal import (
    PreparedBars,
    PreparedNarratives,
    compute_features,
)
from shared.reason_codes import ReasonCodeRegistry
from shared.signal.config import BotSettings, SignalConfig

__all__ = ["Decided", "SignalEngine"]


class Decided:
    """The engine's decision: ``outcome``, the bots' ``envelopes`` and the ``forecast``.

    ``status``, ``direction`` and ``reason_codes`` (the outcome's) are known at once; the
    outcome and the envelopes (models, with the digest of each bot's inputs) are built on
    first read, from the bots' decisions already made, so a walk over years that reads
    only what was decided does not pay for records it never keeps. Equal when the
    outcome, envelopes and forecast are equal."""

    __slots__ = ("status", "direction", "reason_codes", "forecast", "_build", "_made")

    def __init__(self, outcome: SignalOutcome, envelopes: tuple[ReportEnvelope, ...],
                 forecast: Forecast | None) -> None:
        """A decision whose records are already built."""
        self.status, self.direction = outcome.status, outcome.direction
        self.reason_codes, self.forecast = outcome.reason_codes, forecast
        self._build: Callable[[], tuple[SignalOutcome, tuple[ReportEnvelope, ...]]] | None = \
            None
        self._made: tuple[SignalOutcome, tuple[ReportEnvelope, ...]] | None = (
            outcome, tuple(envelopes))

    @classmethod
    def deferred(cls, status: OutcomeStatus, direction: Direction | None,
                 reason_codes: tuple[str, ...], forecast: Forecast | None,
                 build: Callable[[], tuple[SignalOutcome, tuple[ReportEnvelope, ...]]]
                 ) -> Decided:
        """A decision whose outcome and envelopes ``build`` makes on first read (their
        status, direction and reason codes are these)."""
        decided = cls.__new__(cls)
        decided.status, decided.direction, decided.reason_codes = status, direction, reason_codes
        decided.forecast, decided._build, decided._made = forecast, build, None
        return decided

    def _records(self) -> tuple[SignalOutcome, tuple[ReportEnvelope, ...]]:
        if self._made is None:
            assert self._build is not None
            self._made, self._build = self._build(), None
        return self._made

    @property
    def outcome(self) -> SignalOutcome:
        return self._records()[0]

    @property
    def envelopes(self) -> tuple[ReportEnvelope, ...]:
        return self._records()[1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decided):
            return NotImplemented
        return (self.outcome, self.envelopes, self.forecast) == (
            other.outcome, other.envelopes, other.forecast)

    __hash__ = None  # type: ignore[assignment]  # mutable cache, compared by value

    def __repr__(self) -> str:
        return (f"Decided(status={self.status.value!r}, direction={self.direction!r}, "
                f"reason_codes={self.reason_codes!r})")


# Bots the engine does not run: the execution bot acts on the engine's outcome, after it, in
# the paper path (shared/execution/trader.py); a tracer run places no order.
NOT_IN_ENGINE = frozenset({BotName.EXECUTION.value})


class SignalEngine:
    """Holds the configured bots; :meth:`decide` is pure given its inputs."""

    def __init__(
        self,
        signal: SignalConfig,
        bots: BotSettings,
        registry: ReasonCodeRegistry,
        timer: Callable[[], float] | None = None,
        meter: Meter | None = None,
    ) -> None:
        self.signal = signal
        self.bots = bots
        self.registry = registry
        self.runners: dict[str, BotRunner] = {}
        for name in sorted(BOTS):
            if name in NOT_IN_ENGINE:
                continue
            mode, params = bots.bots[name]
            self.runners[name] = BotRunner(BOTS[name].bot_class(params), mode, registry,
                                           timer=timer, meter=meter)
        self.config_digest = config_digest(
            {"signal": signal.model_dump(mode="json"), "bots": bots.digestable()}
        )

    @property
    def horizon_hours(self) -> int:
        return self.bots.divergence.horizon_hours

    def decide(
        self,
        symbol: str,
        as_of: datetime,
        bars: PreparedBars,
        news: PreparedNarratives,
        prior_triggers: Sequence[PriorTrigger] = (),
    ) -> Decided:
        params = self.signal.features
        try:
            features = compute_features(symbol, as_of, bars, news, params)
        except ValueError as e:
            return self.fail(symbol, as_of, "DATA_INSUFFICIENT_BARS", str(e))
        div = self.runners[BotName.DIVERGENCE].decide(features, as_of=as_of, symbol=symbol)
        runs = [div]
        reading = DivergenceReading.of(div.numbers)
        forecast = div.forecast
        if div.status is not EnvelopeStatus.OK or forecast is None or reading is None:
            return self._outcome(symbol, as_of, OutcomeStatus.NO_TRIGGER if div.status is
                                 EnvelopeStatus.OK else OutcomeStatus.FAILED, runs,
                                 forecast, reading, div.reason_codes)
        if div.decision is not Decision.TRIGGER:
            return self._outcome(symbol, as_of, OutcomeStatus.NO_TRIGGER, runs,
                                 forecast, reading, div.reason_codes)
        candidate = _candidate(features, forecast, reading, prior_triggers)
        blocks: list[str] = []
        for name in GUARDS:
            guard = self.runners[name].decide(candidate, as_of=as_of, symbol=symbol)
            runs.append(guard)
            if guard.decision is Decision.BLOCK and guard.effective:
                blocks.extend(guard.reason_codes)
            elif guard.status is EnvelopeStatus.FAILED and self.bots.mode(name) is Mode.ENFORCED:
                blocks.extend(guard.reason_codes)  # an enforced gate that fails holds the trigger
        if not div.effective:
            return self._outcome(symbol, as_of, OutcomeStatus.SUPPRESSED, runs,
                                 forecast, reading, ("DIV_NOT_EFFECTIVE", *blocks))
        if blocks:
            return self._outcome(symbol, as_of, OutcomeStatus.SUPPRESSED, runs,
                                 forecast, reading, tuple(blocks))
        if self._held_before(symbol, as_of, bars, news, forecast.direction):
            return self._outcome(symbol, as_of, OutcomeStatus.SUPPRESSED, runs,
                                 forecast, reading, ("SIGNAL_ALREADY_ACTIVE",))
        sizing = self.runners[BotName.SIZING].decide(candidate, as_of=as_of, symbol=symbol)
        runs.append(sizing)
        size = sizing.numbers.get("target_size") if sizing.status is EnvelopeStatus.OK else None
        return self._outcome(symbol, as_of, OutcomeStatus.TRIGGERED, runs, forecast,
                             reading, (), size=size)

    def _held_before(self, symbol: str, as_of: datetime, bars: PreparedBars,
                     news: PreparedNarratives, direction: Direction) -> bool:
        """Whether the full trigger condition already held, same side, at the previous poll."""
        params = self.signal.features
        before = as_of - timedelta(hours=self.signal.poll_hours)
        if bars.available(before) < params.min_bars:
            return False
        features = compute_features(symbol, before, bars, news, params)
        raw = self.runners[BotName.DIVERGENCE].bot.decide(features)
        reading = DivergenceReading.of(raw.numbers)
        if raw.decision is not Decision.TRIGGER or raw.forecast is None or reading is None:
            return False
        if raw.forecast.direction is not direction:
            return False
        candidate = _candidate(features, raw.forecast, reading, ())
        for name in GUARDS:
            runner = self.runners[name]
            if name is BotName.COOLDOWN or not is_effective(runner.mode, Decision.BLOCK):
                continue
            if runner.bot.decide(candidate).decision is Decision.BLOCK:
                return False
        return True

    def fail(self, symbol: str, as_of: datetime, code: str, rationale: str,
             codes: tuple[str, ...] = ()) -> Decided:
        """A failed decision (no bars, provider down, stale data) with its envelope."""
        envelope = self.runners[BotName.DIVERGENCE].fail(code, rationale, as_of=as_of,
                                                         symbol=symbol, codes=codes)
        return Decided(
            SignalOutcome(symbol=symbol, as_of=as_of, status=OutcomeStatus.FAILED, rank_score=0.0,
                          reason_codes=envelope.reason_codes),
            (envelope,),
            None,
        )

    def metrics(self) -> tuple[BotMetrics, ...]:
        out = []
        for name, runner in sorted(self.runners.items()):
            latency = None
            if runner.timer is not None and runner.decisions_total:
                latency = round(runner.latency_ms_total / runner.decisions_total, 3)
            out.append(BotMetrics(bot=name, mode=runner.mode, config_version=runner.config_version,
                                  decisions_total=runner.decisions_total,
                                  errors_total=runner.errors_total, decision_latency_ms=latency))
        return tuple(out)

    def _outcome(
        self,
        symbol: str,
        as_of: datetime,
        status: OutcomeStatus,
        runs: list[BotRun],
        forecast: Forecast | None,
        reading: DivergenceReading | None,
        codes: tuple[str, ...],
        size: float | None = None,
    ) -> Decided:
        direction = forecast.direction if forecast and forecast.direction is not Direction.FLAT \
            else None

        def build() -> tuple[SignalOutcome, tuple[ReportEnvelope, ...]]:
            evidence: list[Evidence] = list(runs[0].evidence)
            for run in runs[1:]:
                if status is OutcomeStatus.TRIGGERED or run.decision is Decision.BLOCK:
                    evidence.extend(run.evidence)
            outcome = SignalOutcome(
                symbol=symbol, as_of=as_of, status=status, direction=direction,
                p_up=forecast.p_up if forecast else None,
                strength=forecast.strength if forecast else None,
                confidence=confidence_word(forecast.strength) if forecast else None,
                divergence=reading.divergence if reading else None, target_size=size,
                rank_score=reading.rank if reading else 0.0,
                reason_codes=codes, evidence_lines=tuple(e.line for e in evidence),
                evidence=tuple(evidence),
            )
            return outcome, tuple(run.envelope for run in runs)

        return Decided.deferred(status, direction, codes, forecast, build)


def _candidate(features: SignalFeatures, forecast: Forecast, reading: DivergenceReading,
               prior_triggers: Sequence[PriorTrigger]) -> Candidate:
    return Candidate(
        symbol=features.symbol, as_of=features.as_of, direction=forecast.direction,
        divergence=reading.divergence, divergence_threshold=reading.threshold,
        p_up=forecast.p_up, strength=forecast.strength, horizon_hours=forecast.horizon_hours,
        features=features, prior_triggers=tuple(prior_triggers),
    )
