"""Long commands show progress: plain log lines when stderr is not a terminal (CI)."""

from __future__ import annotations

import logging

import pytest

from functions.cli.progress import PROGRESS_LOGGER, CliProgress


def test_plain_lines_every_n_and_at_the_end(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=PROGRESS_LOGGER)
    progress = CliProgress("simulate", total=5, unit="run", every=2)
    for i in range(5):
        progress.advance(f"run {i}")
    progress.close()
    assert [r.getMessage() for r in caplog.records] == [
        "simulate: 2/5 runs done (last run 1)",
        "simulate: 4/5 runs done (last run 3)",
        "simulate: 5/5 runs done (last run 4)",
    ]


def test_unknown_total_counts_without_an_end(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=PROGRESS_LOGGER)
    progress = CliProgress("validate", total=None, unit="file", every=3)
    for i in range(7):
        progress.advance(f"f{i}.json")
    assert [r.getMessage() for r in caplog.records] == [
        "validate: 3 files done (last f2.json)", "validate: 6 files done (last f5.json)"]
