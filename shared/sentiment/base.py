"""The interface every sentiment model implements, and the cache key of a text."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Protocol

from shared.contracts import SentimentScore, sha256_hex

__all__ = ["SentimentScorer", "normalize_text", "text_key"]


def normalize_text(text: str) -> str:
    """NFC-normalise and collapse whitespace: the form that is scored and hashed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def text_key(text: str) -> str:
    """SHA-256 of the normalised text: the cache key and ``SentimentScore.text_sha256``."""
    return sha256_hex(normalize_text(text))


class SentimentScorer(Protocol):
    """Scores texts. Returns one score per input, in order; raises ``ProviderError`` when the
    model cannot answer (never returns a made-up neutral)."""

    model_id: str

    def score(self, texts: Sequence[str]) -> list[SentimentScore]: ...
