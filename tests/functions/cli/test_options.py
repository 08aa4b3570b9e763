"""The CLI's shared options: one time type everywhere, usage errors exit 2 on every group,
pipeline errors exit 1, and ``tb universe plan`` prints the workflow's plan."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from functions.cli import cli
from functions.cli.options import IsoTime
from functions.docs import iter_commands

# Every time a command reads, with the arguments that make the rest of the call valid.
TIME_OPTIONS = [
    (["run"], "--as-of"),
    (["universe", "run"], "--as-of"),
    (["universe", "plan"], "--now"),
    (["eval", "ingest"], "--as-of"),
    (["eval", "run"], "--as-of"),
    (["eval", "weekly"], "--as-of"),
    (["study", "--end", "2025-01-02T00:00:00Z"], "--start"),
    (["study", "--start", "2025-01-01T00:00:00Z"], "--end"),
    (["simulate"], "--start"),
    (["backtest", "check-lookahead"], "--start"),
    (["backtest", "check-lookahead"], "--end"),
    (["backtest", "run", "--end", "2025-01-02T00:00:00Z"], "--start"),
    (["backtest", "run", "--start", "2025-01-01T00:00:00Z"], "--end"),
    (["check", "--no-alert", "--no-write"], "--as-of"),
    (["status"], "--as-of"),
    (["paper", "replay", "--end", "2026-01-02T00:00:00Z"], "--start"),
    (["paper", "replay", "--start", "2026-01-01T00:00:00Z"], "--end"),
    (["paper", "run"], "--as-of"),
    (["drill"], "--start"),
    (["backtest", "walk-forward", "--end", "2025-01-15T00:00:00Z"], "--start"),
    (["backtest", "walk-forward", "--start", "2025-01-01T00:00:00Z"], "--end"),
    (["backtest", "tune", "--bot", "cooldown", "--end", "2025-01-15T00:00:00Z"], "--start"),
    (["backtest", "tune", "--bot", "cooldown", "--start", "2025-01-01T00:00:00Z"], "--end"),
    (["backtest", "compare", "--base", "HEAD", "--head", "HEAD"], "--start"),
    (["backtest", "compare", "--base", "HEAD", "--head", "HEAD"], "--end"),
    (["backtest", "sensitivity", "--end", "2025-01-15T00:00:00Z"], "--start"),
    (["backtest", "sensitivity", "--start", "2025-01-01T00:00:00Z"], "--end"),
    (["store", "compact", "--dry-run"], "--as-of"),
    (["eval", "regimes"], "--as-of"),
]
BAD_TIMES = [
    ("yesterday", "is not an ISO-8601 time"),
    ("2026-02-30T00:00:00Z", "is not an ISO-8601 time"),
    ("9999-12-31T23:59:59Z", "is out of range"),
    ("9999-12-31T23:59:59-05:00", "is out of range"),
    ("0001-01-01T00:00:00+01:00", "is out of range"),
]
LEAVES = [(" ".join(path[1:]), command) for path, command in iter_commands()
          if not isinstance(command, click.Group)]
GROUPS = [" ".join(path[1:]) for path, command in iter_commands()
          if isinstance(command, click.Group)]


def _tb(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_every_time_option_of_every_command_is_the_one_iso_type() -> None:
    seen = set()
    for name, command in LEAVES:
        for param in command.params:
            if param.name in {"as_of", "start", "end", "now"}:
                assert isinstance(param.type, IsoTime), f"tb {name} {param.name}"
                seen.add((name, param.name))
    assert len(seen) == len(TIME_OPTIONS)


@pytest.mark.parametrize(("args", "flag"), TIME_OPTIONS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else v)
@pytest.mark.parametrize(("value", "message"), BAD_TIMES, ids=[v for v, _ in BAD_TIMES])
def test_bad_time_is_a_usage_error_on_every_command(
    args: list[str], flag: str, value: str, message: str, tmp_path: Path
) -> None:
    takes_dir = args[0] in {"run", "eval", "simulate"} or args[:2] == ["universe", "run"]
    result = _tb(*args, flag, value, *(["--artifacts-dir", str(tmp_path)] if takes_dir else []))
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{flag}'" in result.output and message in result.output
    assert isinstance(result.exception, SystemExit)  # click's usage exit, not an OverflowError
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("value", ["2026-03-03T17:43:27", "2026-03-03T17:43:27Z",
                                   "2026-03-03T18:43:27+01:00", "2026-03-03T12:43:27-05:00"])
def test_naive_z_and_offset_times_mean_the_same_instant(value: str) -> None:
    result = _tb("universe", "plan", "--shards", "2", "--now", value)
    assert result.exit_code == 0, result.output
    assert "as_of=2026-03-03T17:58:00Z" in result.output.splitlines()


def test_eval_accepts_a_naive_as_of_like_run(tmp_path: Path) -> None:
    naive = _tb("eval", "run", "--artifacts-dir", str(tmp_path / "a"),
                "--as-of", "2024-01-08T00:00:00", "--bootstrap", "10")
    aware = _tb("eval", "run", "--artifacts-dir", str(tmp_path / "b"),
                "--as-of", "2024-01-08T00:00:00Z", "--bootstrap", "10")
    assert naive.exit_code == aware.exit_code
    assert "--as-of" not in naive.output


def test_universe_plan_prints_the_github_output_lines() -> None:
    result = _tb("universe", "plan", "--shards", "3", "--now", "2026-03-03T17:43:27.5Z")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "shards=3",
        "as_of=2026-03-03T17:58:00Z",
        'matrix={"shard": [1, 2, 3]}',
    ]
    matrix = json.loads(result.output.splitlines()[2].removeprefix("matrix="))
    assert matrix == {"shard": [1, 2, 3]}


def test_universe_plan_shards_default_to_four_or_the_env() -> None:
    now = ["universe", "plan", "--now", "2026-03-03T17:43:00Z"]
    assert _tb(*now, env={"TB_SHARDS": ""}).output.startswith("shards=4\n")
    assert _tb(*now, env={"TB_SHARDS": "7"}).output.startswith("shards=7\n")
    assert _tb(*now, "--shards", "2", env={"TB_SHARDS": "7"}).output.startswith("shards=2\n")


@pytest.mark.parametrize("shards", ["0", "33", "-1", "four"])
def test_universe_plan_shards_out_of_bounds_is_a_usage_error(shards: str) -> None:
    result = _tb("universe", "plan", "--shards", shards)
    assert result.exit_code == 2
    assert "Invalid value for '--shards'" in result.output


@pytest.mark.parametrize(("name", "command"), LEAVES, ids=[n for n, _ in LEAVES])
def test_unknown_flag_is_a_usage_error_on_every_command(name: str, command: click.Command) -> None:
    result = _tb(*name.split(), "--no-such-flag")
    assert result.exit_code == 2, result.output
    assert "No such option" in result.output and "--no-such-flag" in result.output


@pytest.mark.parametrize("name", GROUPS)
def test_unknown_subcommand_is_a_usage_error_on_every_group(name: str) -> None:
    result = _tb(*name.split(), "no-such-command")
    assert result.exit_code == 2, result.output
    assert "No such command" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--feed", "nope"], "Invalid value for '--feed'"),
        (["run", "--seed", "x"], "Invalid value for '--seed'"),
        (["universe", "run", "--shard", "5/4"], "the index must be between 0 and 4"),
        (["universe", "run", "--shard", "x"], "--shard must look like i/n"),
        (["eval", "ingest", "--as-of", "2024-01-08T00:00:00Z", "--feed", "nope"],
         "Invalid value for '--feed'"),
        (["eval", "ingest"], "Missing option '--as-of'"),
        (["eval", "metrics", "--forecasts", "f.csv", "--bins", "0"], "Invalid value for '--bins'"),
        (["study", "--start", "2025-01-02T00:00:00Z", "--end", "2025-01-01T00:00:00Z"],
         "--end must not be before --start"),
        (["backtest", "run", "--start", "2025-01-02T00:00:00Z", "--end",
          "2025-01-01T00:00:00Z"], "--end must not be before --start"),
        (["backtest", "run", "--start", "2025-01-01", "--end", "2025-01-02",
          "--direction", "short-only"], "Invalid value for '--direction'"),
        (["backtest", "run", "--start", "2025-01-01", "--end", "2025-01-02",
          "--fee-bps", "-1"], "Invalid value for '--fee-bps'"),
        (["simulate", "--start", "2025-01-01T00:00:00Z", "--days", "0"],
         "Invalid value for '--days'"),
        (["bots", "record-timeline", "nobody"], "unknown bot"),
        (["index", "rebuild", "--db"], "requires an argument"),
        (["replay"], "Missing argument 'RUN_ID'"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_value_is_a_usage_error(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # --artifacts-dir defaults to the working directory
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not any(tmp_path.iterdir())


def test_sentiment_without_keys_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["sentiment", "score"], input="text\n")
    assert result.exit_code == 2, result.output
    assert "pass --offline" in result.output


def test_pipeline_error_exits_1_with_its_message(tmp_path: Path) -> None:
    result = _tb("replay", "0000000000000000", "--artifacts-dir", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output


def test_universe_shard_error_is_reported_before_any_work(tmp_path: Path) -> None:
    result = _tb("universe", "run", "--shard", "1/0", "--artifacts-dir", str(tmp_path))
    assert result.exit_code == 2
    assert not any(tmp_path.iterdir())
