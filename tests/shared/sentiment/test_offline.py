"""The offline scorer: finance rules, negation, hedges, the neutral band, and its benchmark."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.sentiment.run import evaluate, load_rows, offline_labels, split_for, vader_labels
from shared.contracts import SentimentLabel, text_key
from shared.sentiment import OfflineScorer
from shared.sentiment.offline import NEUTRAL_BAND, label_for


@pytest.fixture(scope="module")
def scorer() -> OfflineScorer:
    return OfflineScorer()


def _label(scorer: OfflineScorer, text: str) -> SentimentLabel:
    return scorer.score_one(text).label


@pytest.mark.parametrize(
    "text",
    [
        "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn.",
        "Profit rose.",
        "The company's net sales increased by 12 %.",
        "The operating loss narrowed to EUR 0.9 mn.",
        "The company managed to cut its costs by 8 %.",
        "Net profit was EUR 7.9 mn, compared with EUR 5.2 mn a year earlier.",
        "Profit before tax EUR 4.6 mn (EUR 3.9 mn).",
        "Operating profit was EUR 3.4 mn compared to a loss of EUR 0.7 mn.",
        "The company has won an order worth EUR 35 mn.",
        "Loss per share narrowed to EUR 0.10.",
        "Net profit improved to EUR 1.0 mn from a loss of EUR 2.5 mn.",
        "Bitcoin surges past $60,000 as ETF inflows hit record",
        "SEC approves first spot bitcoin ETFs",
    ],
)
def test_offline_scorer_good_financial_news_is_positive(scorer: OfflineScorer, text: str) -> None:
    assert _label(scorer, text) is SentimentLabel.POSITIVE


@pytest.mark.parametrize(
    "text",
    [
        "The operating loss widened to EUR 4.8 mn.",
        "Loss widened.",
        "The company's net sales decreased by 5 %.",
        "Raw material costs rose sharply.",
        "Operating profit totalled EUR 3.0 mn, down from EUR 7.2 mn.",
        "Net loss was EUR 2.0 mn, compared with a net profit of EUR 1.1 mn.",
        "The company will cut 120 jobs at its plant.",
        "The group plans to cut up to 45 jobs.",
        "Profit before taxes fell 30 %.",
        "SEC sues crypto exchange for securities violations",
        "Hackers steal $600 million from cross-chain bridge",
        "Ether falls 15% as liquidations top $1 billion",
    ],
)
def test_offline_scorer_bad_financial_news_is_negative(scorer: OfflineScorer, text: str) -> None:
    assert _label(scorer, text) is SentimentLabel.NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "The company is headquartered in Helsinki and employs 300 people.",
        "Net sales in the third quarter amounted to EUR 36.5 mn.",
        "The annual general meeting will be held on 3 April 2009.",
        "The record date for the dividend is 10 April 2008.",
        "The price of the product ranges from EUR 1,200 to EUR 3,500.",
        "The new security system protects customers against online fraud.",
        "The company offers free delivery and helps customers protect their valuable assets.",
        "Water levels in the reservoir rose after the rain.",
        "Shares traded in a narrow range on Monday.",
        "The next bitcoin halving is due in 2028",
        "Bitcoin trades near $43,000 as traders await inflation data",
        "",
    ],
)
def test_offline_scorer_factual_sentence_stays_neutral(scorer: OfflineScorer, text: str) -> None:
    assert _label(scorer, text) is SentimentLabel.NEUTRAL


@pytest.mark.parametrize(
    ("plain", "negated"),
    [
        ("Net sales increased in the quarter.", "Net sales did not increase in the quarter."),
        ("We expect demand to recover.", "We do not expect demand to recover."),
    ],
)
def test_offline_scorer_negation_flips_sign(
    scorer: OfflineScorer, plain: str, negated: str
) -> None:
    assert scorer.polarity(plain) > 0
    assert scorer.polarity(negated) < 0


@pytest.mark.parametrize(
    ("certain", "hedged"),
    [
        ("Operating profit will rise next year.", "Operating profit may rise next year."),
        ("Net sales will decline in 2009.", "Net sales could decline in 2009."),
        ("Net sales will grow in 2009.", "The company expects net sales to grow in 2009."),
    ],
)
def test_offline_scorer_hedge_shrinks_magnitude_keeps_sign(
    scorer: OfflineScorer, certain: str, hedged: str
) -> None:
    strong, weak = scorer.polarity(certain), scorer.polarity(hedged)
    assert 0 < abs(weak) < abs(strong)
    assert (weak > 0) == (strong > 0)


def test_offline_scorer_score_fields_follow_contract(scorer: OfflineScorer) -> None:
    text = "  Operating profit   rose 12 %. "
    score = scorer.score_one(text)
    assert score.model == OfflineScorer.model_id == "offline-lexicon-v1"
    assert score.text_sha256 == text_key(text) == text_key("Operating profit rose 12 %.")
    assert score.label is SentimentLabel.POSITIVE
    assert 0.5 <= score.confidence <= 1.0


def test_offline_scorer_empty_text_neutral_zero_confidence(scorer: OfflineScorer) -> None:
    score = scorer.score_one("   ")
    assert (score.label, score.polarity, score.confidence) == (SentimentLabel.NEUTRAL, 0.0, 0.0)


def test_offline_scorer_same_input_same_output_across_instances() -> None:
    texts = ["Net sales rose 5 %.", "Bitcoin plunges below $20,000", "The AGM is in April."]
    assert OfflineScorer().score(texts) == OfflineScorer().score(texts)
    assert OfflineScorer().score(texts) == [OfflineScorer().score_one(t) for t in texts]


def test_offline_scorer_score_preserves_input_order(scorer: OfflineScorer) -> None:
    texts = ["Loss widened.", "Profit rose.", "The AGM is in April.", "Loss widened."]
    labels = [s.label.value for s in scorer.score(texts)]
    assert labels == ["negative", "positive", "neutral", "negative"]


@pytest.mark.parametrize(
    ("polarity", "label"),
    [
        (1.0, SentimentLabel.POSITIVE),
        (NEUTRAL_BAND, SentimentLabel.POSITIVE),
        (NEUTRAL_BAND - 1e-6, SentimentLabel.NEUTRAL),
        (0.0, SentimentLabel.NEUTRAL),
        (-NEUTRAL_BAND, SentimentLabel.NEGATIVE),
        (-1.0, SentimentLabel.NEGATIVE),
    ],
)
def test_label_for_band_edges_map_to_label(polarity: float, label: SentimentLabel) -> None:
    assert label_for(polarity) is label


_FINANCE_WORDS = st.sampled_from(
    "profit loss sales costs rose fell widened narrowed not may expects EUR 5 mn ( ) , . % "
    "from to compared with bitcoin hack ETF approval surge plunge despite but".split()
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(_FINANCE_WORDS, max_size=30).map(" ".join)))
def test_offline_scorer_any_text_polarity_in_range_label_matches_sign(text: str) -> None:
    score = OfflineScorer().score_one(text)
    assert -1.0 <= score.polarity <= 1.0
    assert 0.0 <= score.confidence <= 1.0
    assert score.label is label_for(score.polarity)
    if score.label is SentimentLabel.POSITIVE:
        assert score.polarity > 0
    elif score.label is SentimentLabel.NEGATIVE:
        assert score.polarity < 0
    else:
        assert abs(score.polarity) < NEUTRAL_BAND


def test_benchmark_csv_split_column_is_hash_split_and_label_mix_realistic() -> None:
    rows = load_rows()
    assert len(rows) >= 600
    assert len({r.text for r in rows}) == len(rows)
    assert all(r.split == split_for(r.text) for r in rows)
    shares = {label: n / len(rows) for label, n in Counter(r.label for r in rows).items()}
    assert set(shares) == {"positive", "negative", "neutral"}
    assert 0.5 <= shares["neutral"] <= 0.65


def test_evaluate_macro_f1_matches_sklearn() -> None:
    metrics_module = pytest.importorskip("sklearn.metrics")
    gold = ["neutral", "positive", "negative", "neutral", "positive", "neutral", "negative"]
    predicted = ["neutral", "neutral", "negative", "positive", "positive", "neutral", "neutral"]
    expected = metrics_module.f1_score(gold, predicted, average="macro")
    assert evaluate(gold, predicted).macro_f1 == pytest.approx(expected)


def test_offline_scorer_heldout_macro_f1_at_least_0_70_and_beats_vader() -> None:
    heldout = [r for r in load_rows() if r.split == "heldout"]
    gold = [r.label for r in heldout]
    offline = evaluate(gold, offline_labels([r.text for r in heldout]))
    vader = evaluate(gold, vader_labels([r.text for r in heldout]))
    assert offline.macro_f1 >= 0.70
    assert offline.macro_f1 > vader.macro_f1
