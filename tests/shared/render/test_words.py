"""Digest words come from one function and cannot contradict the artifact or each other."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.bots.divergence.bot import _evidence
from shared.bots.participation_guard.bot import ParticipationGuard, ParticipationGuardConfig
from shared.contracts import OutcomeStatus
from shared.contracts.signal import Candidate, Direction, SignalFeatures
from shared.reason_codes import default_registry
from shared.render.words import PHRASES, STATUS_WORDS, outcome_words, reason_words

REGISTRY = default_registry()
ALL_CODES = sorted(REGISTRY.codes)
T = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_registered_code_has_words_for_every_status(code: str) -> None:
    words = reason_words(code)
    assert words.strip() and not words.endswith(".")
    assert "unregistered" not in words
    for status in OutcomeStatus:
        text = outcome_words(status, (code,))
        assert text.startswith(STATUS_WORDS[status])
        if status is not OutcomeStatus.TRIGGERED:
            assert words in text


def test_phrases_name_only_registered_codes() -> None:
    assert set(PHRASES) <= REGISTRY.codes


@pytest.mark.parametrize(("code", "forbidden"), [
    ("DIV_PRICE_ONLY", "threshold"),          # the score may be above it
    ("SIGNAL_ALREADY_ACTIVE", "guard"),       # not a guard, not a cooldown
    ("SIGNAL_ALREADY_ACTIVE", "cooldown"),
    ("DIV_LOW_MASS", "below the threshold"),  # it is above it
    ("DIV_NOT_EFFECTIVE", "guard"),
])
def test_words_never_claim_what_the_code_denies(code: str, forbidden: str) -> None:
    assert forbidden not in outcome_words(OutcomeStatus.NO_TRIGGER, (code,))
    assert forbidden not in outcome_words(OutcomeStatus.SUPPRESSED, (code,))


def test_guard_codes_name_their_guard() -> None:
    for code in ("GUARD_TREND_BLOCK", "GUARD_PERSISTENCE_BLOCK", "GUARD_PARTICIPATION_BLOCK"):
        guard = code.split("_")[1].lower()
        assert guard in outcome_words(OutcomeStatus.SUPPRESSED, (code,))
    assert "cooldown" in outcome_words(OutcomeStatus.SUPPRESSED, ("COOLDOWN_ACTIVE",))


def test_the_deciding_code_is_the_first() -> None:
    text = outcome_words(OutcomeStatus.NO_TRIGGER, ("DIV_PRICE_ONLY", "DIV_NEAR_THRESHOLD"))
    assert text == "no call (the price move drives the gap; no narrative of that side leads it)"
    assert outcome_words(OutcomeStatus.TRIGGERED, ("DIV_TRIGGER",)) == "call"
    assert outcome_words(OutcomeStatus.NO_TRIGGER, ()) == "no call"


def test_an_unregistered_code_is_named_not_guessed() -> None:
    assert reason_words("NOT_A_CODE") == "unregistered reason NOT_A_CODE"


# Every evidence line a decision can show, with what it claims about the numbers behind it.
# All lines of one outcome describe the same numbers; if each is true of them, no two can
# contradict each other.
_CLAIMS = {
    "No source tells the story yet.": lambda n: n["sources"] == 0,
    "The story is told by a single source.": lambda n: n["sources"] == 1,
    "The story is told by several sources.": lambda n: n["sources"] > 1,
    "Volume is running above its usual level.": lambda n: n["participation"] >= 1.2,
    "Volume is below its usual level.": lambda n: n["participation"] < 1.0,
    "Volume is above the participation floor.": lambda n: n["participation"] >= n["floor"],
    "Too little volume is behind the move.": lambda n: n["participation"] < n["floor"],
    "The sentiment models disagree on part of the news.": lambda n: n["disagreement"] > 0,
}


def _features(score: float, price: float, sources: int, participation: float,
              disagreement: float) -> SignalFeatures:
    return SignalFeatures(
        symbol="BTC-USD", as_of=T, narrative_score=score, narrative_mass=1.0,
        headline_count=sources, source_count=sources, window_count=1,
        disagreement_share=disagreement, price_return=0.01, realized_vol=0.01,
        move_z=price, participation=participation, trend_z=0.0, bars_used=200, last_bar_end=T)


@settings(max_examples=300, deadline=None)
@given(score=st.floats(-1, 1), price=st.floats(-3, 3), sources=st.integers(0, 5),
       participation=st.floats(0, 3), floor=st.floats(0, 1.5),
       disagreement=st.floats(0, 1))
def test_evidence_lines_are_each_true_so_never_contradict(
        score: float, price: float, sources: int, participation: float, floor: float,
        disagreement: float) -> None:
    f = _features(score, price, sources, participation, disagreement)
    lines = [e.line for e in _evidence(f, {"narrative_score": score, "price_view": price,
                                           "divergence": score - price})]
    guard = ParticipationGuard(ParticipationGuardConfig(min_participation=floor))
    candidate = Candidate(symbol="BTC-USD", as_of=T, direction=Direction.UP, divergence=1.0,
                          divergence_threshold=0.5, p_up=0.6, strength=0.2, horizon_hours=12,
                          features=f)
    lines += [e.line for e in guard.decide(candidate).evidence]
    numbers = {"sources": sources, "participation": participation, "floor": floor,
               "disagreement": disagreement}
    for line in lines:
        if line in _CLAIMS:
            assert _CLAIMS[line](numbers), f"{line!r} is false of {numbers}"
    # the opening line is about the narrative and the price, and names both
    assert lines[0].startswith("The narrative turned ")
