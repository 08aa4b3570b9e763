"""Benchmark the offline scorer against plain VADER on the hand-labelled sentence set.

Run from the repository root:

    .venv/bin/python -m bench.sentiment.run
    .venv/bin/python -m bench.sentiment.run --errors dev   # list dev mistakes (tune on dev only)

Prints macro-F1, accuracy and per-class F1 on the ``dev`` and ``heldout`` splits (and on
the ``blind`` set written after the rules were frozen), and the offline scorer's throughput
in sentences per second. Rules are tuned on ``dev`` only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from shared.sentiment.offline import OfflineScorer

__all__ = [
    "BLIND_CSV_PATH",
    "CSV_PATH",
    "LABELS",
    "Metrics",
    "Row",
    "evaluate",
    "load_rows",
    "main",
    "offline_labels",
    "split_for",
    "vader_labels",
]

CSV_PATH = Path(__file__).with_name("labeled_financial_sentences.csv")
BLIND_CSV_PATH = Path(__file__).with_name("blind_sentences.csv")
LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled sentence."""

    text: str
    label: str
    split: str


@dataclass(frozen=True, slots=True)
class Metrics:
    """Classification quality of one model on one split."""

    macro_f1: float
    accuracy: float
    f1_by_label: dict[str, float]
    count: int


def split_for(text: str) -> str:
    """Assign a sentence to ``dev`` or ``heldout`` by the parity of its SHA-256."""
    digest = int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)
    return "dev" if digest % 2 == 0 else "heldout"


def load_rows(path: Path = CSV_PATH) -> list[Row]:
    """Read the labelled CSV (columns ``text,label,split``)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [Row(r["text"], r["label"], r["split"]) for r in csv.DictReader(handle)]


def evaluate(gold: Sequence[str], predicted: Sequence[str]) -> Metrics:
    """Compute macro-F1 over the three labels, accuracy and per-class F1 with numpy."""
    gold_array = np.asarray(gold)
    predicted_array = np.asarray(predicted)
    f1_by_label: dict[str, float] = {}
    for label in LABELS:
        true_positive = float(np.sum((gold_array == label) & (predicted_array == label)))
        predicted_count = float(np.sum(predicted_array == label))
        gold_count = float(np.sum(gold_array == label))
        denominator = predicted_count + gold_count
        f1_by_label[label] = 2.0 * true_positive / denominator if denominator else 0.0
    accuracy = float(np.mean(gold_array == predicted_array)) if len(gold) else 0.0
    macro = float(np.mean(list(f1_by_label.values())))
    return Metrics(macro, accuracy, f1_by_label, len(gold))


def offline_labels(texts: Sequence[str], scorer: OfflineScorer | None = None) -> list[str]:
    """Label texts with the offline scorer."""
    scorer = scorer or OfflineScorer()
    return [score.label.value for score in scorer.score(texts)]


def vader_labels(texts: Sequence[str]) -> list[str]:
    """Label texts with plain VADER (compound >= 0.05 positive, <= -0.05 negative)."""
    analyzer = SentimentIntensityAnalyzer()
    labels = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]
        label = "neutral"
        if compound >= 0.05:
            label = "positive"
        elif compound <= -0.05:
            label = "negative"
        labels.append(label)
    return labels


def _throughput(texts: Sequence[str], repeats: int = 5) -> float:
    scorer = OfflineScorer()
    started = time.perf_counter()
    for _ in range(repeats):
        scorer.score(texts)
    return len(texts) * repeats / (time.perf_counter() - started)


def _table(rows: Sequence[Row], models: dict[str, Callable[[Sequence[str]], list[str]]]) -> str:
    header = f"{'model':<10} {'split':<8} {'n':>4} {'macro-F1':>8} {'acc':>6}"
    header += "".join(f" {'F1 ' + label[:3]:>7}" for label in LABELS)
    lines = [header, "-" * len(header)]
    for name, labeller in models.items():
        for split in dict.fromkeys(r.split for r in rows):
            subset = [r for r in rows if r.split == split]
            metrics = evaluate([r.label for r in subset], labeller([r.text for r in subset]))
            line = f"{name:<10} {split:<8} {metrics.count:>4} {metrics.macro_f1:>8.3f}"
            line += f" {metrics.accuracy:>6.3f}"
            line += "".join(f" {metrics.f1_by_label[label]:>7.3f}" for label in LABELS)
            lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the benchmark table (and, with ``--errors dev``, the dev-split mistakes)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=CSV_PATH)
    parser.add_argument("--blind-csv", type=Path, default=BLIND_CSV_PATH)
    parser.add_argument("--errors", metavar="SPLIT", default=None, help="list mistakes on SPLIT")
    args = parser.parse_args(argv)
    rows = load_rows(args.csv)
    if args.blind_csv.is_file():
        rows += load_rows(args.blind_csv)
    scorer = OfflineScorer()
    models: dict[str, Callable[[Sequence[str]], list[str]]] = {
        "offline": lambda texts: offline_labels(texts, scorer),
        "vader": vader_labels,
    }
    out = sys.stdout
    out.write(f"{len(rows)} sentences: {args.csv.name} (dev, heldout), {args.blind_csv.name}\n")
    out.write(_table(rows, models))
    speed = _throughput([r.text for r in rows])
    out.write(f"offline throughput: {speed:,.0f} sentences/second\n")
    if args.errors:
        subset = [r for r in rows if r.split == args.errors]
        for row in subset:
            score = scorer.score_one(row.text)
            if score.label.value != row.label:
                predicted = score.label.value
                out.write(f"{row.label:>8} -> {predicted:<8} {score.polarity:+.2f} {row.text}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
