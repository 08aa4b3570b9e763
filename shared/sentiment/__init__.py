"""Sentiment models: the offline lexicon scorer, FinBERT via Hugging Face, and a cache."""

from shared.sentiment.base import SentimentScorer
from shared.sentiment.cache import CachedScorer, SentimentCache
from shared.sentiment.offline import OfflineScorer

__all__ = [
    "CachedScorer",
    "OfflineScorer",
    "SentimentCache",
    "SentimentScorer",
]
