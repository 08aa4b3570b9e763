"""The offline scorer: VADER's lexicon plus finance-aware rules, no network, no training.

It is the default sentiment model and the fallback when FinBERT is unavailable. A sentence
is scored as ``tanh(hedge * (rules + VADER_WEIGHT * vader_compound))``, where ``rules`` sums
direction words applied to financial quantities ("profit rose" +1, "loss widened" -1),
numeric comparisons ("EUR 7.9 mn, compared with EUR 5.2 mn"), and signed company and market
events (orders won, layoffs, hacks, ETF approvals). Negation flips and damps a rule; hedges
("may", "expects") shrink the whole score. Anything inside the neutral band is neutral, so
factual sentences without directional evidence stay neutral.

Example:
    >>> scorer = OfflineScorer()
    >>> [s.label.value for s in scorer.score(["Operating profit rose 12 %.", "Loss widened."])]
    ['positive', 'negative']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from shared.contracts import SentimentLabel, SentimentScore, normalize_text, text_key
from shared.sentiment._finance_lexicon import VADER_OVERRIDES
from shared.sentiment._finance_rules import rule_evidence

__all__ = ["MAX_SCORED_CHARS", "NEUTRAL_BAND", "OfflineScorer", "label_for"]

NEUTRAL_BAND: Final = 0.35
"""``|polarity|`` below this is neutral. VADER alone (weight 0.35) can never reach it."""

MAX_SCORED_CHARS: Final = 1000
"""A text is scored on its first this many characters (after normalising), the longest
headline a :class:`~shared.contracts.Narrative` holds. VADER's time grows with the square
of the text, so a longer line would take minutes; its ``text_sha256`` is still of it all."""

_VADER_WEIGHT: Final = 0.35


def _finance_vader() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    for word, valence in VADER_OVERRIDES.items():
        if valence == 0.0:
            analyzer.lexicon.pop(word, None)
        else:
            analyzer.lexicon[word] = valence
    return analyzer


class OfflineScorer:
    """Score financial and crypto news sentences offline; pure and deterministic."""

    model_id: str = "offline-lexicon-v1"

    def __init__(self) -> None:
        self._vader = _finance_vader()

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        """Score each text, in input order; a text repeated in the batch is scored once (the
        score is a pure function of the text; a feed re-tells the same headlines a lot)."""
        scored: dict[str, SentimentScore] = {}
        out = []
        for text in texts:
            score = scored.get(text)
            if score is None:
                score = scored[text] = self.score_one(text)
            out.append(score)
        return out

    def score_one(self, text: str) -> SentimentScore:
        """Score one text. An empty text is neutral with polarity 0 and confidence 0."""
        normalized = normalize_text(text)
        if not normalized:
            return self._result(text, 0.0, confidence=0.0)
        polarity = self.polarity(normalized)
        return self._result(text, polarity, confidence=_confidence(polarity))

    def polarity(self, text: str) -> float:
        """Return the signed polarity in [-1, 1] of one text, rounded to 6 decimals."""
        lowered = normalize_text(text)[:MAX_SCORED_CHARS].lower()
        if not lowered:
            return 0.0
        evidence = rule_evidence(lowered)
        compound = float(self._vader.polarity_scores(lowered)["compound"])
        raw = evidence.hedge * (evidence.total + _VADER_WEIGHT * compound)
        return round(max(-1.0, min(1.0, math.tanh(raw))), 6)

    def _result(self, text: str, polarity: float, *, confidence: float) -> SentimentScore:
        return SentimentScore(
            text_sha256=text_key(text),
            model=self.model_id,
            label=label_for(polarity),
            polarity=polarity,
            confidence=confidence,
        )


def label_for(polarity: float) -> SentimentLabel:
    """Map a polarity to its label using the neutral band."""
    if polarity >= NEUTRAL_BAND:
        return SentimentLabel.POSITIVE
    if polarity <= -NEUTRAL_BAND:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


# Distance from the nearest label boundary, mapped to [0.5, 1].
def _confidence(polarity: float) -> float:
    magnitude = abs(polarity)
    if magnitude >= NEUTRAL_BAND:
        margin = (magnitude - NEUTRAL_BAND) / (1.0 - NEUTRAL_BAND)
    else:
        margin = 1.0 - magnitude / NEUTRAL_BAND
    return round(0.5 + 0.5 * min(1.0, margin), 6)
