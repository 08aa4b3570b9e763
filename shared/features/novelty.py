"""Novelty of headlines: the first telling of a story counts fully, re-tellings barely.

Similarity is the Jaccard index of word-shingle sets (unigrams plus word bigrams of the
normalised text), computed exactly: a window holds tens of headlines, so an estimate such
as MinHash would only add error.
Novelty is computed point-in-time, in *fetch* order: a headline is compared only with
headlines about the same symbol that were fetched before it (ties by id) within the lookback,
because that is all a live run could have compared it with.

With ``s`` the highest similarity to an earlier headline, novelty falls linearly from 1 at
``s <= distinct_similarity`` to 0 at ``s >= duplicate_similarity``: an exact duplicate has
novelty 0, a re-worded re-telling little, and a story unlike anything before it 1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from shared.contracts import Narrative

__all__ = ["jaccard", "novelty_from_similarity", "novelty_scores", "shingles"]

_WORD = re.compile(r"[a-z0-9]+")
# Words that carry no story identity (wire prefixes, attribution, filler).
_STOP = frozenset(
    "a an and as at by for from in is it of on or the to with report update says say sources "
    "source according reuters breaking".split()
)


def shingles(text: str) -> frozenset[str]:
    """Unigrams and word bigrams of the lower-cased text, without filler words."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
    grams = set(words)
    grams.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
    return frozenset(grams)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b|; two empty sets are identical (1.0)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def novelty_from_similarity(
    similarity: float, *, distinct_similarity: float = 0.15, duplicate_similarity: float = 0.5
) -> float:
    """Map a similarity in [0, 1] to a novelty in [0, 1] (see the module docstring)."""
    span = max(duplicate_similarity - distinct_similarity, 1e-9)
    return max(0.0, min(1.0, (duplicate_similarity - similarity) / span))


def novelty_scores(
    narratives: Sequence[Narrative],
    *,
    lookback: timedelta = timedelta(hours=72),
    distinct_similarity: float = 0.15,
    duplicate_similarity: float = 0.5,
) -> dict[str, float]:
    """``narrative_id → novelty`` for every narrative, point-in-time in fetch order."""
    ordered = sorted(narratives, key=lambda n: (n.fetched_at, n.narrative_id))
    seen: dict[str, list[tuple[Narrative, frozenset[str]]]] = {}
    out: dict[str, float] = {}
    for item in ordered:
        grams = shingles(item.headline)
        best = 0.0
        for symbol in item.symbols:
            history = seen.setdefault(symbol, [])
            horizon = item.fetched_at - lookback
            while history and history[0][0].fetched_at < horizon:
                history.pop(0)
            for _, other in history:
                best = max(best, jaccard(grams, other))
        out[item.narrative_id] = novelty_from_similarity(
            best,
            distinct_similarity=distinct_similarity,
            duplicate_similarity=duplicate_similarity,
        )
        for symbol in item.symbols:
            seen[symbol].append((item, grams))
    return out
