"""Narrative contracts: a headline as published and as we fetched it, and its sentiment."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from shared.contracts.base import Contract, Probability, Signed, UtcDatetime, sha256_hex

__all__ = ["Narrative", "SentimentLabel", "SentimentScore", "normalize_text", "text_key"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_text(text: str) -> str:
    """NFC-normalise and collapse whitespace: the form that is scored and hashed.

    A lone surrogate (which ``json.loads`` can produce, and UTF-8 cannot encode) becomes
    U+FFFD, as an undecodable byte does in ``tb sentiment score``."""
    return " ".join(unicodedata.normalize("NFC", _SURROGATE.sub("\ufffd", text)).split())


def text_key(text: str) -> str:
    """SHA-256 of the normalised text: the cache key and ``SentimentScore.text_sha256``."""
    return sha256_hex(normalize_text(text))


class Narrative(Contract):
    """A news item about one or more symbols.

    ``published_at`` is when the source says it appeared; ``fetched_at`` is when we saw it.
    At decision time ``t`` a narrative counts only if both are ``<= t``.
    """

    narrative_id: str = Field(min_length=1, max_length=128)
    headline: str = Field(min_length=1, max_length=1000)
    summary: str | None = Field(default=None, max_length=4000)
    source: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    symbols: tuple[str, ...] = Field(min_length=1)
    published_at: UtcDatetime
    fetched_at: UtcDatetime
    citations: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check_times(self) -> Self:
        if self.fetched_at < self.published_at:
            raise ValueError("fetched_at must not be before published_at")
        return self


class SentimentLabel(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


class SentimentScore(Contract):
    """The polarity of one text according to one model. ``text_sha256`` keys the cache."""

    text_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    model: str = Field(min_length=1)
    label: SentimentLabel
    polarity: Signed
    confidence: Probability
