"""Score lines of text in batches, one output record a line (``tb sentiment score``).

Input is read as bytes with one decoding policy (:func:`decode_lines`), so no input can stop
the command: a line is the bytes up to each ``\n`` (a final line without one counts too),
less one trailing ``\r``; it is decoded as UTF-8, each invalid byte becoming U+FFFD; a UTF-8
byte-order mark at the start of the input is dropped. Every other character (NUL, control
characters, U+2028 and the other Unicode line breaks) stays inside its line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import BinaryIO

from shared.contracts import SentimentLabel, SentimentScore, normalize_text, text_key
from shared.sentiment.base import SentimentScorer

__all__ = ["decode_lines", "score_lines"]

_BATCH_LINES = 256
_BOM = b"\xef\xbb\xbf"


def decode_lines(stream: BinaryIO) -> Iterator[str]:
    r"""Yield the lines of a byte stream as text, by the module's decoding policy.

    >>> import io
    >>> list(decode_lines(io.BytesIO(b"\xef\xbb\xbfok\r\nbad \xff\n\nlast")))
    ['ok', 'bad \ufffd', '', 'last']
    """
    first = True
    for raw in stream:
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if line.endswith(b"\r"):
            line = line[:-1]
        if first and line.startswith(_BOM):
            line = line[len(_BOM):]
        first = False
        yield line.decode("utf-8", errors="replace")


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
