"""Properties of the signal math, and the lookahead check: perturb the future, and no
decision at or before t changes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.bots.divergence import DivergenceBot, DivergenceConfig
from shared.bots.sizing.bot import SizingConfig, target_size
from shared.contracts import Narrative, SentimentLabel, SentimentScore, Timeframe
from shared.features.novelty import jaccard, novelty_scores, shingles
from shared.features.polarity import blend_polarity
from shared.features.signal import (
    PreparedBars,
    SignalFeatures,
    decay_weight,
    prepare_narratives,
)
from shared.providers.synthetic import SyntheticFeed
from shared.reason_codes import default_registry
from shared.sentiment.offline import OfflineScorer
from shared.signal.config import SignalConfig, load_bot_settings
from shared.signal.engine import SignalEngine

T0 = datetime(2025, 3, 3, tzinfo=UTC)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
signed = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)


@given(st.floats(0, 500), st.floats(0, 500), st.floats(0.5, 200))
def test_decay_is_monotone_in_age(a: float, b: float, half_life: float) -> None:
    young, old = sorted((a, b))
    assert decay_weight(young, half_life) >= decay_weight(old, half_life)
    assert 0.0 <= float(decay_weight(old, half_life)) <= 1.0


def test_decay_halves_every_half_life() -> None:
    assert np.allclose(decay_weight([0, 12, 24], 12.0), [1.0, 0.5, 0.25])


def _narrative(i: int, text: str, minutes: int, symbol: str = "BTC-USD") -> Narrative:
    when = T0 + timedelta(minutes=minutes)
    return Narrative(narrative_id=f"n{i:04d}", headline=text, source=f"s{i % 3}",
                     symbols=(symbol,), published_at=when, fetched_at=when)


@given(st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=12))
def test_novelty_is_in_unit_interval(texts: list[str]) -> None:
    items = [_narrative(i, t, i) for i, t in enumerate(texts)]
    scores = novelty_scores(items)
    assert set(scores) == {n.narrative_id for n in items}
    assert all(0.0 <= v <= 1.0 for v in scores.values())


@given(st.text(alphabet=st.characters(categories=["L"]), min_size=3, max_size=40).filter(
    lambda t: len(shingles(t)) > 0))
def test_novelty_of_an_exact_duplicate_is_zero(text: str) -> None:
    first, second = _narrative(0, text, 0), _narrative(1, text, 5)
    scores = novelty_scores([second, first])
    assert scores["n0000"] == 1.0
    assert scores["n0001"] == 0.0


REWORDED = [
    ("Bitcoin falls as outflows mount and traders turn bearish",
     "Report: Bitcoin falls as outflows mount and traders turn bearish, sources say"),
    ("Ether surges after a major exchange expands support",
     "Update - Ether surges after major exchange expands its support"),
    ("SEC sues crypto lender over unregistered securities",
     "Crypto lender sued by SEC over unregistered securities, according to Reuters"),
]
DIFFERENT = [
    ("Bitcoin falls as outflows mount and traders turn bearish",
     "Ether surges after a major exchange expands support"),
    ("SEC sues crypto lender over unregistered securities",
     "Miners add capacity as hash rate hits record"),
    ("Analysts downgrade Solana on slowing growth",
     "Central bank leaves interest rates unchanged"),
]


def test_novelty_reworded_pairs_get_little_weight() -> None:
    for first, second in REWORDED:
        scores = novelty_scores([_narrative(0, first, 0), _narrative(1, second, 30)])
        assert scores["n0001"] <= 0.35, (first, second, jaccard(shingles(first),
                                                                shingles(second)))


def test_novelty_different_stories_keep_full_weight() -> None:
    for first, second in DIFFERENT:
        scores = novelty_scores([_narrative(0, first, 0), _narrative(1, second, 30)])
        assert scores["n0001"] == 1.0, (first, second)


def test_novelty_is_point_in_time_in_fetch_order() -> None:
    early_published = Narrative(
        narrative_id="late", headline="Bitcoin falls as outflows mount", source="a",
        symbols=("BTC-USD",), published_at=T0, fetched_at=T0 + timedelta(hours=2))
    first_seen = Narrative(
        narrative_id="first", headline="Bitcoin falls as outflows mount", source="b",
        symbols=("BTC-USD",), published_at=T0 + timedelta(minutes=30),
        fetched_at=T0 + timedelta(minutes=31))
    scores = novelty_scores([early_published, first_seen])
    assert scores == {"first": 1.0, "late": 0.0}


def _score(polarity: float, confidence: float) -> SentimentScore:
    label = (SentimentLabel.POSITIVE if polarity > 0 else SentimentLabel.NEGATIVE
             if polarity < 0 else SentimentLabel.NEUTRAL)
    return SentimentScore(text_sha256="0" * 64, model="m", label=label, polarity=polarity,
                          confidence=confidence)


@given(signed, unit, signed, unit)
def test_blend_polarity_stays_in_range_and_disagreement_lowers_confidence(
    p1: float, c1: float, p2: float, c2: float
) -> None:
    blended = blend_polarity(_score(p1, c1), _score(p2, c2))
    assert -1.0 <= blended.polarity <= 1.0
    assert 0.0 <= blended.confidence <= 1.0
    if blended.disagreement:
        assert blended.confidence < max(c1, c2) or max(c1, c2) == 0.0


@given(st.floats(1e-5, 0.5), st.integers(1, 168), unit, st.floats(0.001, 0.2),
       st.floats(0.0, 0.5), st.floats(0.01, 1.0))
def test_size_is_always_within_floor_and_cap(vol: float, horizon: int, confidence: float,
                                             budget: float, floor: float, cap: float) -> None:
    cfg = SizingConfig(risk_budget=budget, floor=min(floor, cap), cap=cap)
    raw, size, code = target_size(vol, horizon, confidence, cfg)
    assert cfg.floor <= size <= cfg.cap
    assert (code == "SIZE_OK") == (size == raw)


features = st.builds(
    SignalFeatures, symbol=st.just("BTC-USD"), as_of=st.just(T0),
    narrative_score=st.one_of(st.none(), signed), narrative_mass=st.floats(0, 20),
    headline_count=st.integers(0, 50), source_count=st.integers(0, 10),
    window_count=st.integers(0, 10), disagreement_share=unit,
    price_return=st.floats(-0.5, 0.5), realized_vol=st.floats(1e-4, 0.2),
    move_z=st.floats(-20, 20), participation=st.floats(0, 10), trend_z=st.floats(-20, 20),
    bars_used=st.integers(1, 1000), last_bar_end=st.just(T0),
)


@settings(max_examples=300)
@given(features, st.floats(0.0, 10.0), st.floats(-3.0, 3.0))
def test_divergence_forecast_and_evidence_are_well_formed(
    f: SignalFeatures, slope: float, intercept: float
) -> None:
    bot = DivergenceBot(DivergenceConfig(logistic_slope=slope, logistic_intercept=intercept))
    decision = bot.decide(f)
    if decision.forecast is not None:
        assert 0.0 <= decision.forecast.p_up <= 1.0
    for item in decision.evidence:
        assert not re.search(r"\d", item.line)
        assert item.numbers


def _study_engine() -> SignalEngine:
    return SignalEngine(SignalConfig(), load_bot_settings(), default_registry())


class _Cut:
    """A feed that hides everything not available at ``cut``, then appends a perturbed
    future: bars after ``cut`` are scrambled, and narratives fetched after ``cut`` (some
    published before it) are replaced by contrary ones."""

    def __init__(self, base: SyntheticFeed, cut: datetime) -> None:
        self.base, self.cut = base, cut

    def perturbed_bars(self, symbol: str, start: datetime, end: datetime) -> pd.DataFrame:
        frame = self.base.bars([symbol], start=start, end=end, timeframe=Timeframe.HOUR)[symbol]
        future = frame["end"] > pd.Timestamp(self.cut)
        rng = np.random.default_rng(0)
        scale = np.exp(rng.normal(0, 0.05, future.sum()))
        for col in ("open", "high", "low", "close"):
            frame.loc[future, col] = frame.loc[future, col] * scale
        frame.loc[future, "volume"] = frame.loc[future, "volume"] * 7.0
        return frame

    def perturbed_narratives(self, symbol: str, start: datetime, end: datetime
                             ) -> list[Narrative]:
        items = [n for n in self.base.narratives([symbol], start=start, end=end)
                 if n.fetched_at <= self.cut]
        for k in range(6):  # published before the cut, fetched after it, and later ones
            published = self.cut - timedelta(hours=3) + timedelta(hours=2 * k)
            items.append(Narrative(
                narrative_id=f"future{k}", headline=f"Bitcoin crashes as exchange {k} halts",
                source=f"Future {k}", symbols=(symbol,), published_at=published,
                fetched_at=max(published, self.cut) + timedelta(minutes=5)))
        return items


def _decisions(bars: pd.DataFrame, items: Sequence[Narrative], engine: SignalEngine,
               times: list[datetime]) -> list[str]:
    scores = OfflineScorer().score([n.headline for n in items])
    news = prepare_narratives(items, scores, engine.signal.narratives)
    prepared = PreparedBars.from_frame(bars)
    out = []
    for t in times:
        decided = engine.decide("BTC-USD", t, prepared, news, ())
        out.append(decided.outcome.model_dump_json()
                   + "".join(e.model_dump_json() for e in decided.envelopes))
    return out


def test_lookahead_perturbing_the_future_changes_no_decision_up_to_t() -> None:
    feed = SyntheticFeed(5)
    start, cut = datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 2, 8, 12, tzinfo=UTC)
    end = cut + timedelta(days=3)
    times = [start + timedelta(hours=h) for h in range(int((end - start).total_seconds()
                                                           // 3600) + 1)]
    history = start - timedelta(days=20)
    clean_bars = feed.bars(["BTC-USD"], start=history, end=end, timeframe=Timeframe.HOUR)
    clean_items = feed.narratives(["BTC-USD"], start=history, end=end)
    cut_feed = _Cut(feed, cut)
    clean = _decisions(clean_bars["BTC-USD"], clean_items, _study_engine(), times)
    perturbed = _decisions(cut_feed.perturbed_bars("BTC-USD", history, end),
                           cut_feed.perturbed_narratives("BTC-USD", history, end),
                           _study_engine(), times)
    upto = sum(1 for t in times if t <= cut)
    assert clean[:upto] == perturbed[:upto]
    assert clean[upto:] != perturbed[upto:], "the perturbation must change the future"
