"""A SQLite content-hash cache of sentiment scores, and a scorer that consults it first.

Rows are keyed by ``(model, text_sha256)`` and hold the score as JSON. Each call opens its
own connection in WAL mode with a busy timeout, so several processes can share one file.
Rows are written once and never updated: a model whose output changes gets a new
``model_id``.

Example::

    scorer = CachedScorer(OfflineScorer(), SentimentCache("cache/sentiment.sqlite"))
    scorer.score(["Profit rose."])
    scorer.score(["Profit rose."])
    assert (scorer.hits, scorer.misses) == (1, 1)
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from pydantic import ValidationError

from shared.contracts import SentimentScore, text_key
from shared.errors import ArtifactError, ContractViolation
from shared.sentiment.base import SentimentScorer

__all__ = ["CachedScorer", "SentimentCache"]

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sentiment_scores (
    model TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    score_json TEXT NOT NULL,
    PRIMARY KEY (model, text_sha256)
) WITHOUT ROWID
"""
_BUSY_TIMEOUT_SECS = 30.0
_MAX_PARAMS_PER_QUERY = 500


class SentimentCache:
    """Scores on disk, keyed by model id and the SHA-256 of the normalised text."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)

    def get_many(self, model_id: str, keys: Iterable[str]) -> dict[str, SentimentScore]:
        """Return the cached scores of ``model_id`` for those ``keys`` that are present."""
        unique = sorted(set(keys))
        found: dict[str, SentimentScore] = {}
        with self._connect() as connection:
            for start in range(0, len(unique), _MAX_PARAMS_PER_QUERY):
                chunk = unique[start : start + _MAX_PARAMS_PER_QUERY]
                placeholders = ",".join("?" * len(chunk))
                rows = connection.execute(
                    "SELECT text_sha256, score_json FROM sentiment_scores"  # noqa: S608 (placeholders only)
                    f" WHERE model = ? AND text_sha256 IN ({placeholders})",
                    (model_id, *chunk),
                ).fetchall()
                for key, score_json in rows:
                    found[key] = self._parse(key, score_json)
        return found

    def put_many(self, scores: Iterable[SentimentScore]) -> int:
        """Store scores in one transaction; keep existing rows. Return the rows added."""
        rows = [(s.model, s.text_sha256, s.model_dump_json()) for s in scores]
        if not rows:
            return 0
        with self._connect() as connection:
            before = connection.total_changes
            connection.executemany(
                "INSERT OR IGNORE INTO sentiment_scores (model, text_sha256, score_json)"
                " VALUES (?, ?, ?)",
                rows,
            )
            return connection.total_changes - before

    # One connection per operation; the context commits on success and rolls back on error.
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_SECS)) as connection:
                with connection:
                    yield connection
        except sqlite3.DatabaseError as e:
            raise ArtifactError(f"sentiment cache {self.path}: {e}") from e

    def _parse(self, key: str, score_json: str) -> SentimentScore:
        try:
            return SentimentScore.model_validate_json(score_json)
        except ValidationError as e:
            raise ArtifactError(f"sentiment cache {self.path}: bad row for {key}: {e}") from e


class CachedScorer:
    """Score through a cache: only texts not cached are sent to ``inner``, once each.

    ``hits`` counts inputs answered from the cache; ``misses`` counts distinct texts the
    inner scorer had to score. When ``inner`` raises, nothing is written and the error
    propagates.
    """

    def __init__(
        self, inner: SentimentScorer, cache: SentimentCache, *, batch_size: int = 32
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.inner = inner
        self.cache = cache
        self.batch_size = batch_size
        self.model_id = inner.model_id
        self.hits = 0
        self.misses = 0

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        """Score texts in input order, scoring cache misses in batches of ``batch_size``."""
        keys = [text_key(text) for text in texts]
        known = self.cache.get_many(self.model_id, keys)
        pending: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key in known:
                self.hits += 1
            elif key not in pending:
                pending[key] = text
        fresh = self._score_pending(pending)
        self.cache.put_many(fresh.values())
        self.misses += len(fresh)
        logger.debug(
            "sentiment %s: %d texts, %d cached, %d scored",
            self.model_id,
            len(texts),
            len(texts) - len(pending),
            len(fresh),
        )
        return [known[key] if key in known else fresh[key] for key in keys]

    def _score_pending(self, pending: dict[str, str]) -> dict[str, SentimentScore]:
        items = list(pending.items())
        fresh: dict[str, SentimentScore] = {}
        for start in range(0, len(items), self.batch_size):
            batch = items[start : start + self.batch_size]
            scores = self.inner.score([text for _, text in batch])
            if len(scores) != len(batch):
                raise ContractViolation(
                    f"{self.model_id} returned {len(scores)} scores for {len(batch)} texts"
                )
            for (key, _), score in zip(batch, scores, strict=True):
                if score.text_sha256 != key or score.model != self.model_id:
                    raise ContractViolation(
                        f"{self.model_id} returned a score for another text or model"
                    )
                fresh[key] = score
        return fresh
