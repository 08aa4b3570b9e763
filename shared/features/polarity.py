"""Blend two sentiment opinions of one headline (FinBERT or offline, and the LLM check).

The blend is confidence-weighted. When the two disagree in sign (each beyond
``disagreement_band``), confidence is multiplied by ``disagreement_penalty`` and the
disagreement is reported, rather than one model silently winning.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts import SentimentScore

__all__ = ["BlendedPolarity", "blend_polarity"]


@dataclass(frozen=True)
class BlendedPolarity:
    polarity: float
    confidence: float
    disagreement: bool


def blend_polarity(
    primary: SentimentScore,
    check: SentimentScore | None,
    *,
    disagreement_band: float = 0.2,
    disagreement_penalty: float = 0.4,
) -> BlendedPolarity:
    """Blend ``primary`` with the optional ``check``; see the module docstring."""
    if check is None:
        return BlendedPolarity(primary.polarity, primary.confidence, False)
    weight = primary.confidence + check.confidence
    if weight <= 0:
        polarity = 0.0
    else:
        polarity = (primary.confidence * primary.polarity + check.confidence * check.polarity) / (
            weight
        )
    confidence = max(primary.confidence, check.confidence)
    disagree = (
        abs(primary.polarity) > disagreement_band
        and abs(check.polarity) > disagreement_band
        and (primary.polarity > 0) != (check.polarity > 0)
    )
    if disagree:
        confidence *= disagreement_penalty
    return BlendedPolarity(max(-1.0, min(1.0, polarity)), max(0.0, min(1.0, confidence)), disagree)
