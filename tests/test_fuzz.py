"""Fuzz: no parser or scorer raises outside the drawn error tree, whatever it is fed.

Each target of ``tests/helpers/fuzz_targets.py`` gets a modest number of drawn inputs per
run; ``bench/fuzz/run.py`` runs the same targets by the hundred thousand. The regressions
below are the inputs the fuzzing found, fixed at their root.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.sentiment.score import decode_lines
from shared.contracts import text_key
from shared.errors import PipelineError
from shared.providers.perplexity import parse_published_at
from shared.sentiment._finance_rules import parse_number
from shared.sentiment.offline import MAX_SCORED_CHARS, OfflineScorer
from tests.helpers.fuzz import headlines, stdin_bytes
from tests.helpers.fuzz_targets import TARGETS, Target, expected_lines

ROOT = Path(__file__).resolve().parents[1]
_FAST = settings(max_examples=60, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_fuzz_target_raises_nothing_outside_the_error_tree(target: Target,
                                                           tmp_path: Path) -> None:
    @_FAST
    @given(target.strategy)
    def run(value: Any) -> None:
        try:
            target.call(value, tmp_path)
        except PipelineError:
            pass

    run()


@pytest.mark.slow
@settings(max_examples=500, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(headlines())
def test_fuzz_offline_scorer_long_run_always_scores(text: str) -> None:
    (score,) = OfflineScorer().score([text])
    assert -1.0 <= score.polarity <= 1.0


# -- the dotted-date bug and its siblings -----------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "value"),
    [
        ("12", 12.0),
        ("12.5", 12.5),
        ("12,5", 12.5),
        ("1,234", 1234.0),
        ("1,234,567.25", 1234567.25),
        ("1.234.567", 1234567.0),
        ("1.234,5", 1234.5),
        ("11.01.2008", None),
        ("1.2.3", None),
        ("192.168.0.1", None),
        ("1,2,3", None),
        ("9" * 400, None),
        ("١٢٫٥", None),
        ("١٢", 12.0),
    ],
)
def test_parse_number_reads_amounts_and_refuses_dates_versions_and_overflow(
    digits: str, value: float | None
) -> None:
    assert parse_number(digits) == value


@pytest.mark.parametrize(
    "text",
    [
        "SHARE REPURCHASE 11.01.2008",
        "Net profit rose to EUR 1.234.567,89 from EUR 1,2,3 mn on 31.12.2023",
        "Sales of EUR " + "9" * 400 + " mn compared with EUR 5 mn",
        "profit rose \ud800 after loss of $1e400",
        "despite " * 5000,
        "not good " * 20000,
        "😀 " * 20000,
    ],
)
def test_offline_scorer_scores_every_sibling_of_the_dotted_date(text: str) -> None:
    (score,) = OfflineScorer().score([text])
    assert -1.0 <= score.polarity <= 1.0


def test_offline_scorer_reads_the_first_max_scored_chars_and_hashes_the_whole_line() -> None:
    head = "Operating profit rose 12 %. "
    text = head + "x " * MAX_SCORED_CHARS
    scorer = OfflineScorer()
    assert scorer.polarity(text) == scorer.polarity(text[:MAX_SCORED_CHARS])
    assert scorer.score_one(text).text_sha256 == text_key(text)


def test_text_key_of_a_lone_surrogate_is_that_of_a_replacement_character() -> None:
    assert text_key("a\ud800b") == text_key("a\ufffdb")


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_parse_published_at_out_of_range_in_utc_is_none(value: str) -> None:
    assert parse_published_at(value) is None


# -- tb sentiment score: the decoding policy ----------------------------------------------------


def test_decode_lines_policy_bom_crlf_invalid_bytes_and_unicode_breaks() -> None:
    data = b"\xef\xbb\xbfone\r\ntwo \xff\xfe\n\nthree\x00\x0b\xe2\x80\xa8four\rfive\nlast"
    assert list(decode_lines(io.BytesIO(data))) == [
        "one", "two \ufffd\ufffd", "", "three\x00\x0b\u2028four\rfive", "last"]


@_FAST
@given(stdin_bytes())
def test_decode_lines_one_line_per_newline_plus_an_unterminated_last(data: bytes) -> None:
    assert len(list(decode_lines(io.BytesIO(data)))) == expected_lines(data)


@settings(max_examples=3, deadline=None, database=None)
@given(st.lists(stdin_bytes(), min_size=1, max_size=4).map(b"".join))
def test_sentiment_score_offline_subprocess_exit_0_one_json_line_per_input_line(
    data: bytes,
) -> None:
    data += b"SHARE REPURCHASE 11.01.2008\n\xff\xfe\x00 not UTF-8\n"
    result = subprocess.run(
        [sys.executable, "-c", "from functions.cli import main; main()", "sentiment", "score",
         "--offline"],
        input=data, capture_output=True, cwd=ROOT, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    out = result.stdout.decode("ascii").split("\n")
    assert out[-1] == ""
    assert len(out) - 1 == expected_lines(data)
    for line in out[:-1]:
        assert sorted(json.loads(line)) == ["confidence", "label", "polarity", "text_sha256"]
