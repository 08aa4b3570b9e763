"""Usage errors exit 2 on every command (a bad flag, value, file argument or symbol); pipeline
errors exit 1. Options -v/-q are accepted after any subcommand."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from functions.cli import cli

USAGE_MISTAKES = [
    ["run", "--as-of", "yesterday"],
    ["run", "--symbol", "FOOBAR"],
    ["run", "--no-such-flag"],
    ["study", "--start", "2025-02-01T00:00:00Z", "--end", "2025-01-01T00:00:00Z"],
    ["study", "--symbol", "FOOBAR", "--start", "2025-01-01T00:00:00Z",
     "--end", "2025-01-02T00:00:00Z"],
    ["eval", "metrics", "--forecasts", "/nonexistent/forecasts.csv"],
    ["universe", "run", "--shard", "x"],
    ["validate", "--artifacts-dir", "/nonexistent/dir"],
    ["simulate", "--start", "2026-01-01T00:00:00Z", "--days", "0"],
    ["nosuchcommand"],
]


@pytest.mark.parametrize("args", USAGE_MISTAKES, ids=" ".join)
def test_usage_mistakes_exit_2(args: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Error" in result.output
