"""The interface every sentiment model implements. (The cache key of a text,
``text_key``, is part of the wire contract: :mod:`shared.contracts.news`.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared.contracts import SentimentScore

__all__ = ["SentimentScorer"]


class SentimentScorer(Protocol):
    """Scores texts. Returns one score per input, in order; raises ``ProviderError`` when the
    model cannot answer (never returns a made-up neutral)."""

    model_id: str

    def score(self, texts: Sequence[str]) -> list[SentimentScore]: ...
