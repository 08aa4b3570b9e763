"""``tb eval``: the general evaluator's output, bad rows, errors and help text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

from functions.cli.eval import group

REQUIRED_KEYS = {
    "n",
    "brier",
    "log_loss",
    "base_rate",
    "brier_skill_vs_climatology",
    "calibration",
    "bad_rows",
    "ci",
    "notes",
}


def _run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(group, list(args), catch_exceptions=False)


def _metrics(path: Path, *extra: str) -> dict[str, Any]:
    result = _run("metrics", "--forecasts", str(path), *extra)
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.output)
    return parsed


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "forecasts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_metrics_seeded_file_matches_sklearn(tmp_path: Path) -> None:
    rng = np.random.default_rng(42)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    lines = ["p,y"] + [f"{float(pi)!r},{yi}" for pi, yi in zip(p, y, strict=True)]
    out = _metrics(_write(tmp_path, "\n".join(lines) + "\n"))
    assert REQUIRED_KEYS <= out.keys()
    assert out["n"] == 500 and out["bad_rows"] == []
    assert abs(out["brier"] - brier_score_loss(y, p)) <= 1e-12
    assert abs(out["log_loss"] - log_loss(y, p)) <= 1e-12
    assert out["base_rate"] == pytest.approx(y.mean(), abs=1e-15)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    filled = [b for b in out["calibration"] if b["count"]]
    np.testing.assert_allclose([b["freq_y"] for b in filled], prob_true, rtol=0, atol=1e-12)
    np.testing.assert_allclose([b["mean_p"] for b in filled], prob_pred, rtol=0, atol=1e-12)
    assert len(out["calibration"]) == 10
    assert set(out["calibration"][0]) == {"lo", "hi", "count", "mean_p", "freq_y"}
    assert "cohorts" not in out and "brier_skill_vs_baseline" not in out


def test_metrics_bad_rows_reported_with_line_numbers_and_excluded(tmp_path: Path) -> None:
    text = (
        "id,p,y,note\n"  # line 1
        "a,0.8,1,ok\n"  # 2
        "b,1.2,0,p too big\n"  # 3
        "c,0.4,2,y not binary\n"  # 4
        'd,0.3,0,"a note\nover two lines"\n'  # 5-6
        "e,,1,missing p\n"  # 7
        "f,0.6,yes,word outcome\n"  # 8
        "g,0.6,0.0,float zero is fine\n"  # 9
        "h,0.5,1\n"  # 10: short row
        "i,nan,1,nan\n"  # 11
    )
    out = _metrics(_write(tmp_path, text))
    assert [row["line"] for row in out["bad_rows"]] == [3, 4, 7, 8, 10, 11]
    reasons = {row["line"]: row["reason"] for row in out["bad_rows"]}
    assert "outside [0, 1]" in reasons[3]
    assert "not 0 or 1" in reasons[4] and "not 0 or 1" in reasons[8]
    assert "missing p" in reasons[7]
    assert "fields" in reasons[10]
    assert out["n"] == 3 and out["n_bad"] == 6 and out["rows_read"] == 9
    assert out["brier"] == pytest.approx(((0.8 - 1) ** 2 + 0.3**2 + 0.6**2) / 3, abs=1e-15)


def test_metrics_cohort_and_baseline_columns_add_figures(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = ["p,y,cohort,baseline"]
    for k in range(120):
        p = float(rng.random())
        rows.append(f"{p!r},{int(rng.random() < p)},{'ab'[k % 2]},0.5")
    out = _metrics(_write(tmp_path, "\n".join(rows) + "\n"))
    assert set(out["cohorts"]) == {"a", "b"}
    assert out["cohorts"]["a"]["n"] == 60 and out["cohorts"]["a"]["meaningful"] is True
    assert out["brier_skill_vs_baseline"] == pytest.approx(1 - out["brier"] / 0.25)
    assert len(out["ci"]["brier_skill_vs_baseline"]) == 2
    assert "brier_skill_vs_baseline" in out["cohorts"]["b"]


def test_metrics_small_cohort_flagged_not_meaningful(tmp_path: Path) -> None:
    out = _metrics(_write(tmp_path, "p,y,cohort\n0.7,1,x\n0.2,0,x\n0.6,0,y\n"))
    assert out["cohorts"]["x"]["meaningful"] is False
    assert out["meaningful"] is False
    assert any("not yet meaningful" in note for note in out["notes"])


def test_metrics_output_sorted_keys_and_deterministic(tmp_path: Path) -> None:
    path = _write(tmp_path, "p,y\n0.7,1\n0.2,0\n0.6,0\n0.9,1\n")
    first = _run("metrics", "--forecasts", str(path)).output
    assert first == _run("metrics", "--forecasts", str(path)).output
    parsed = json.loads(first)
    assert first.strip() == json.dumps(parsed, sort_keys=True, indent=2)


def test_metrics_custom_column_names_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "prob,outcome,src\n0.7,1.0,m\n0.2,0.0,m\n")
    out = _metrics(path, "--p-column", "prob", "--y-column", "outcome", "--cohort-column", "src")
    assert out["n"] == 2 and set(out["cohorts"]) == {"m"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("q,y\n0.5,1\n", "missing required column"),
        ("", "empty"),
        ("p,y\n1.5,1\n0.2,7\n", "no valid rows"),
        ("p,y\n", "no valid rows"),
    ],
)
def test_metrics_unusable_file_exits_nonzero_with_message(
    tmp_path: Path, text: str, message: str
) -> None:
    result = _run("metrics", "--forecasts", str(_write(tmp_path, text)))
    assert result.exit_code != 0
    assert message in result.output


def test_metrics_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = _run("metrics", "--forecasts", str(tmp_path / "absent.csv"))
    assert result.exit_code == 2
    assert "not found" in result.output


@pytest.mark.parametrize("command", ["metrics", "ingest", "run", "weekly"])
def test_eval_command_help_has_example(command: str) -> None:
    result = _run(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"tb eval {command}" in result.output


def test_eval_group_help_has_example() -> None:
    result = _run("--help")
    assert result.exit_code == 0 and "Example:" in result.output
