"""Score lines of text in batches, one output record a line (``tb sentiment score``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from shared.contracts import SentimentLabel, SentimentScore, normalize_text, text_key
from shared.sentiment.base import SentimentScorer

__all__ = ["score_lines"]

_BATCH_LINES = 256


def score_lines(
    scorer: SentimentScorer, lines: Iterable[str], *, batch_lines: int = _BATCH_LINES
) -> Iterator[dict[str, object]]:
    """Yield one output record per input line, scoring non-empty lines in batches."""
    iterator = iter(lines)
    while batch := list(islice(iterator, batch_lines)):
        texts = [line for line in batch if normalize_text(line)]
        scores = iter(scorer.score(texts))
        for line in batch:
            score = next(scores) if normalize_text(line) else _empty_score(scorer.model_id)
            yield _record(score)


# An empty line has nothing to score: neutral, polarity 0, confidence 0.
def _empty_score(model_id: str) -> SentimentScore:
    return SentimentScore(
        text_sha256=text_key(""),
        model=model_id,
        label=SentimentLabel.NEUTRAL,
        polarity=0.0,
        confidence=0.0,
    )


def _record(score: SentimentScore) -> dict[str, object]:
    return {
        "confidence": score.confidence,
        "label": score.label.value,
        "polarity": score.polarity,
        "text_sha256": score.text_sha256,
    }
