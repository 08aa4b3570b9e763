"""``tb sentiment``: score news texts from stdin, one JSON object a line on stdout."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from functions.cli.options import pipeline_errors
from functions.sentiment.score import decode_lines, score_lines
from shared.sentiment.base import SentimentScorer
from shared.sentiment.offline import OfflineScorer

__all__ = ["group"]

_NEEDS_FINBERT = "scoring without --offline needs FinBERT (set HF_TOKEN); pass --offline"


@click.group(name="sentiment")
def group() -> None:
    """Score the sentiment of news headlines and sentences.

    Example:

        echo "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn." | tb sentiment score --offline
    """


@group.command(name="score")
@click.option(
    "--offline",
    is_flag=True,
    help="Use the offline lexicon scorer (VADER plus finance rules; no network, no keys).",
)
@pipeline_errors
def score_command(offline: bool) -> None:
    """Score one text a line from stdin; print one JSON object a line to stdout.

    With --offline: the offline lexicon scorer. Without it: FinBERT on Hugging Face
    inference (needs HF_TOKEN; TB_FINBERT_URL points it at an endpoint), cached by text hash.

    Each output line has the keys confidence, label (positive, negative or neutral),
    polarity (in [-1, 1]) and text_sha256, sorted. Output line N belongs to input line N:
    an empty input line gets a neutral score with polarity 0 and confidence 0.

    Input is read as bytes: a line ends at each \\n (one trailing \\r is dropped), is
    decoded as UTF-8 with each invalid byte replaced by U+FFFD, and a UTF-8 BOM at the
    start is dropped. With --offline no content makes it fail: every input line gets its
    output line, and the exit status is 0. The offline scorer reads the first 1,000
    characters of a line (text_sha256 is of the whole line).

    Example:

        printf 'Net sales fell 8 %%.\\nThe AGM is on 3 April.\\n' | tb sentiment score --offline
    """
    scorer: SentimentScorer = OfflineScorer() if offline else _finbert()
    for record in score_lines(scorer, decode_lines(sys.stdin.buffer)):
        click.echo(json.dumps(record, sort_keys=True, allow_nan=False))


def _finbert() -> SentimentScorer:
    """FinBERT on Hugging Face inference, through the content-hash cache
    (``$TB_CACHE_DIR/sentiment.sqlite``), so no text is scored twice across runs."""
    from shared.providers.hf_inference import FinbertScorer
    from shared.sentiment.cache import CachedScorer, SentimentCache
    from shared.settings import Settings, install_redaction

    settings = Settings()
    if not settings.has_keys_for("hf_finbert"):
        raise click.UsageError(_NEEDS_FINBERT)
    install_redaction(settings)
    cache_dir = Path(os.environ.get("TB_CACHE_DIR", ".tb-cache"))
    return CachedScorer(FinbertScorer.from_settings(settings),
                        SentimentCache(cache_dir / "sentiment.sqlite"))
