"""``tb sentiment score``: one JSON line per input line, offline only for now."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner

from functions.cli.sentiment import group
from functions.sentiment.score import score_lines
from shared.contracts import SentimentLabel, SentimentScore, text_key

_KEYS = ["confidence", "label", "polarity", "text_sha256"]


def _invoke(args: Sequence[str], stdin: str) -> tuple[int, str]:
    result = CliRunner().invoke(group, list(args), input=stdin)
    return result.exit_code, result.output


def test_sentiment_score_offline_one_sorted_json_line_per_input_line() -> None:
    lines = [
        "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn.",
        "The company is headquartered in Helsinki and employs 300 people.",
        "The operating loss widened to EUR 4.8 mn.",
    ]
    code, output = _invoke(["score", "--offline"], "\n".join(lines) + "\n")
    assert code == 0
    records = [json.loads(line) for line in output.splitlines()]
    assert [r["label"] for r in records] == ["positive", "neutral", "negative"]
    assert [r["text_sha256"] for r in records] == [text_key(line) for line in lines]
    for raw, record in zip(output.splitlines(), records, strict=True):
        assert list(record) == _KEYS
        assert raw == json.dumps(record, sort_keys=True)
        assert -1.0 <= record["polarity"] <= 1.0


def test_sentiment_score_offline_empty_line_neutral_zero_keeps_alignment() -> None:
    code, output = _invoke(["score", "--offline"], "Profit rose.\n\n   \r\nLoss widened.")
    assert code == 0
    records = [json.loads(line) for line in output.splitlines()]
    assert [r["label"] for r in records] == ["positive", "neutral", "neutral", "negative"]
    assert records[1] == {
        "confidence": 0.0,
        "label": "neutral",
        "polarity": 0.0,
        "text_sha256": text_key(""),
    }


def test_sentiment_score_offline_no_input_no_output() -> None:
    assert _invoke(["score", "--offline"], "") == (0, "")


def test_sentiment_score_without_offline_usage_error_names_finbert() -> None:
    code, output = _invoke(["score"], "Profit rose.\n")
    assert code == 2
    assert "needs FinBERT (set HF_TOKEN); pass --offline" in output


def test_sentiment_help_every_command_has_example_block() -> None:
    for args in (["--help"], ["score", "--help"]):
        code, output = _invoke(args, "")
        assert code == 0
        assert "Example:" in output
    assert "--offline" in _invoke(["score", "--help"], "")[1]


class _RecordingScorer:
    model_id = "stub-v1"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        self.calls.append(list(texts))
        return [
            SentimentScore(
                text_sha256=text_key(t),
                model=self.model_id,
                label=SentimentLabel.POSITIVE,
                polarity=0.5,
                confidence=0.7,
            )
            for t in texts
        ]


def test_score_lines_batches_non_empty_lines_only() -> None:
    scorer = _RecordingScorer()
    records = list(score_lines(scorer, ["a", "", "b", "c", " ", "d"], batch_lines=3))
    assert scorer.calls == [["a", "b"], ["c", "d"]]
    assert [r["label"] for r in records] == [
        "positive",
        "neutral",
        "positive",
        "positive",
        "neutral",
        "positive",
    ]


def test_score_without_offline_uses_finbert_through_a_real_loopback_server(
    tmp_path: Path,
) -> None:
    """FinBERT path end to end in a real subprocess: the URL comes from TB_FINBERT_URL, the
    second run is answered from the SQLite cache without calling the server again."""
    import os
    import subprocess
    import sys

    from tests.helpers.loopback import LoopbackServer, Reply

    answer = [[{"label": "positive", "score": 0.9}, {"label": "neutral", "score": 0.07},
               {"label": "negative", "score": 0.03}]]
    exe = Path(sys.executable).with_name("tb")
    with LoopbackServer() as server:
        server.route("POST", "/finbert", Reply(json=answer))
        env = {**os.environ, "HF_TOKEN": "hf_test_token", "TB_FINBERT_URL": f"{server.url}/finbert",
               "TB_CACHE_DIR": str(tmp_path / "cache")}
        for _ in range(2):
            done = subprocess.run([str(exe), "sentiment", "score"], input="Profit rose.\n",
                                  capture_output=True, text=True, env=env, timeout=60,
                                  check=False)
            assert done.returncode == 0, done.stderr
            record = json.loads(done.stdout)
            assert record["label"] == "positive"
            assert abs(record["polarity"] - 0.87) < 1e-9
        assert len(server.requests_to("/finbert")) == 1
        assert "hf_test_token" not in done.stderr
