"""The SQLite sentiment cache and the CachedScorer, on real files in tmp_path."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import pytest

from shared.contracts import SentimentLabel, SentimentScore, text_key
from shared.errors import ArtifactError, ContractViolation, TransientProviderError
from shared.sentiment import CachedScorer, SentimentCache


class CountingScorer:
    """Scores by text length and records every batch it is asked to score."""

    def __init__(self, model_id: str = "stub-v1", *, fail_on_call: int | None = None) -> None:
        self.model_id = model_id
        self.calls: list[list[str]] = []
        self.fail_on_call = fail_on_call

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        self.calls.append(list(texts))
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise TransientProviderError("stub is down", provider="stub")
        return [_score(self.model_id, text) for text in texts]

    @property
    def scored(self) -> list[str]:
        return [text for call in self.calls for text in call]


def _score(model_id: str, text: str) -> SentimentScore:
    polarity = min(1.0, len(text) / 100)
    return SentimentScore(
        text_sha256=text_key(text),
        model=model_id,
        label=SentimentLabel.POSITIVE if polarity >= 0.35 else SentimentLabel.NEUTRAL,
        polarity=polarity,
        confidence=0.9,
    )


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "sentiment.sqlite"


def test_sentiment_cache_new_path_creates_parent_dirs_and_wal_file(cache_path: Path) -> None:
    SentimentCache(cache_path)
    assert cache_path.is_file()
    with closing(sqlite3.connect(cache_path)) as connection, connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sentiment_cache_put_then_get_round_trips_scores(cache_path: Path) -> None:
    cache = SentimentCache(cache_path)
    scores = [_score("stub-v1", text) for text in ("a", "bb", "ccc")]
    assert cache.put_many(scores) == 3
    found = cache.get_many("stub-v1", [s.text_sha256 for s in scores] + [text_key("missing")])
    assert found == {s.text_sha256: s for s in scores}


def test_sentiment_cache_other_model_id_misses(cache_path: Path) -> None:
    cache = SentimentCache(cache_path)
    cache.put_many([_score("stub-v1", "a")])
    assert cache.get_many("stub-v2", [text_key("a")]) == {}


def test_sentiment_cache_second_put_keeps_first_row(cache_path: Path) -> None:
    cache = SentimentCache(cache_path)
    first = _score("stub-v1", "a")
    cache.put_many([first])
    changed = first.model_copy(update={"polarity": -1.0, "label": SentimentLabel.NEGATIVE})
    assert cache.put_many([changed]) == 0
    assert cache.get_many("stub-v1", [first.text_sha256]) == {first.text_sha256: first}


def test_sentiment_cache_many_keys_queried_in_chunks(cache_path: Path) -> None:
    cache = SentimentCache(cache_path)
    scores = [_score("stub-v1", f"text {i}") for i in range(1_234)]
    cache.put_many(scores)
    assert len(cache.get_many("stub-v1", [s.text_sha256 for s in scores])) == 1_234


def test_sentiment_cache_corrupt_row_raises_artifact_error(cache_path: Path) -> None:
    SentimentCache(cache_path)
    with closing(sqlite3.connect(cache_path)) as connection, connection:
        connection.execute(
            "INSERT INTO sentiment_scores VALUES (?, ?, ?)", ("stub-v1", "k" * 64, "{not json")
        )
    with pytest.raises(ArtifactError, match="bad row"):
        SentimentCache(cache_path).get_many("stub-v1", ["k" * 64])


_WRITER = """
import sys
from shared.contracts import SentimentLabel, SentimentScore
from shared.contracts import text_key
from shared.sentiment import SentimentCache
cache = SentimentCache(sys.argv[1])
for i in range(50):
    text = f"{sys.argv[2]} {i}"
    cache.put_many([SentimentScore(text_sha256=text_key(text), model="stub-v1",
                    label=SentimentLabel.NEUTRAL, polarity=0.0, confidence=1.0)])
"""


def test_sentiment_cache_concurrent_processes_all_rows_land(cache_path: Path) -> None:
    SentimentCache(cache_path)
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(cache_path), f"writer{n}"])
        for n in range(3)
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0]
    keys = [text_key(f"writer{n} {i}") for n in range(3) for i in range(50)]
    assert len(SentimentCache(cache_path).get_many("stub-v1", keys)) == 150


def test_cached_scorer_only_misses_are_scored(cache_path: Path) -> None:
    inner = CountingScorer()
    scorer = CachedScorer(inner, SentimentCache(cache_path))
    scorer.score(["a", "b"])
    scorer.score(["a", "c", "b", "d"])
    assert inner.scored == ["a", "b", "c", "d"]
    assert (scorer.hits, scorer.misses) == (2, 4)


def test_cached_scorer_duplicates_scored_once_results_in_input_order(cache_path: Path) -> None:
    inner = CountingScorer()
    scorer = CachedScorer(inner, SentimentCache(cache_path))
    texts = ["bb", "a", "bb", "  bb ", "a", "ccc"]
    results = scorer.score(texts)
    assert inner.scored == ["bb", "a", "ccc"]
    assert [r.text_sha256 for r in results] == [text_key(t) for t in texts]
    assert (scorer.hits, scorer.misses) == (0, 3)


def test_cached_scorer_misses_sent_in_batches_of_batch_size(cache_path: Path) -> None:
    inner = CountingScorer()
    CachedScorer(inner, SentimentCache(cache_path), batch_size=2).score(list("abcde"))
    assert inner.calls == [["a", "b"], ["c", "d"], ["e"]]


def test_cached_scorer_second_instance_same_file_gets_all_hits(cache_path: Path) -> None:
    texts = ["Profit rose.", "Loss widened.", "The AGM is in April."]
    first = CachedScorer(CountingScorer(), SentimentCache(cache_path))
    expected = first.score(texts)
    inner = CountingScorer()
    second = CachedScorer(inner, SentimentCache(cache_path))
    assert second.score(texts) == expected
    assert inner.calls == []
    assert (second.hits, second.misses) == (3, 0)


def test_cached_scorer_inner_failure_writes_nothing_and_propagates(cache_path: Path) -> None:
    cache = SentimentCache(cache_path)
    scorer = CachedScorer(CountingScorer(fail_on_call=2), cache, batch_size=2)
    with pytest.raises(TransientProviderError):
        scorer.score(list("abcd"))
    assert cache.get_many("stub-v1", [text_key(t) for t in "abcd"]) == {}
    assert scorer.misses == 0


def test_cached_scorer_inner_wrong_count_raises_contract_violation(cache_path: Path) -> None:
    class ShortScorer(CountingScorer):
        def score(self, texts: Sequence[str]) -> list[SentimentScore]:
            return super().score(texts)[:-1]

    scorer = CachedScorer(ShortScorer(), SentimentCache(cache_path))
    with pytest.raises(ContractViolation, match="1 scores for 2 texts"):
        scorer.score(["a", "b"])


def test_cached_scorer_zero_batch_size_raises_value_error(cache_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        CachedScorer(CountingScorer(), SentimentCache(cache_path), batch_size=0)
