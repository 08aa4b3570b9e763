"""Names that mean one thing: no two classes share a name, every bot name is a ``BotName``,
and the dataset feed answers to ``dataset`` and to its old name ``replay`` alike."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from functions.cli import cli
from functions.cli.options import FEEDS, FeedChoice
from functions.docs import iter_commands
from shared.bots.registry import BOTS, GUARDS, BotName
from shared.errors import ConfigError
from shared.providers.feeds import DATASET_RECORDED_NAME, OfflineFeed, offline_feed
from tests.helpers.tree import snapshot

ROOT = Path(__file__).resolve().parents[1]
FEED_COMMANDS = [(" ".join(path[1:]), command) for path, command in iter_commands()
                 if any(p.name == "feed" for p in command.params)]


def _class_names() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for package in ("shared", "functions"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    found[node.name].append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_two_public_classes_share_a_name() -> None:
    # A module-private class (leading underscore) is never imported by name elsewhere, so it
    # cannot be confused with another module's; every other class name is unique.
    duplicates = {name: where for name, where in _class_names().items()
                  if len(where) > 1 and not name.startswith("_")}
    assert duplicates == {}


def test_the_walk_sees_the_contract_classes() -> None:
    names = _class_names()
    files = {name: [where.split(":")[0] for where in names[name]]
             for name in ("CalibrationBin", "Evidence", "PercentileInterval")}
    assert files == {"CalibrationBin": ["shared/contracts/evaluation.py"],
                     "Evidence": ["shared/contracts/envelope.py"],
                     "PercentileInterval": ["shared/evaluation/intervals.py"]}


def test_every_bot_name_is_a_registered_bot_and_back() -> None:
    assert set(BOTS) == {name.value for name in BotName}
    assert all(BOTS[name].bot_class.name == name for name in BotName)
    assert set(GUARDS) < set(BotName)


def test_feed_option_is_on_every_command_that_reads_a_feed() -> None:
    assert sorted(name for name, _ in FEED_COMMANDS) == ["backtest check-lookahead",
                                                         "backtest compare", "backtest run",
                                                         "backtest tune",
                                                         "backtest walk-forward",
                                                         "eval ingest", "paper replay",
                                                         "paper run", "run", "study",
                                                         "universe run"]
    for name, command in FEED_COMMANDS:
        option = next(p for p in command.params if p.name == "feed")
        assert isinstance(option.type, FeedChoice), name
        # tb eval ingest's --feed filters by the feed forecasts were made on, live included.
        extra = ("live",) if name == "eval ingest" else ()
        assert tuple(option.type.choices) == (*FEEDS, *extra)
        assert FEEDS == ("synthetic", "dataset")


@pytest.mark.parametrize("given", ["dataset", "replay"])
def test_feed_choice_takes_the_old_name_as_the_new(given: str) -> None:
    assert FeedChoice().convert(given, None, None) == "dataset"
    assert offline_feed(given) is OfflineFeed.DATASET


def test_unknown_feed_is_a_usage_error_naming_the_choices() -> None:
    result = CliRunner().invoke(cli, ["study", "--feed", "recorded", "--start",
                                      "2025-01-01T00:00:00Z", "--end", "2025-01-02T00:00:00Z"])
    assert result.exit_code == 2
    assert "'recorded' is not one of 'synthetic', 'dataset'" in result.output
    with pytest.raises(ConfigError, match="choose from synthetic, dataset, replay"):
        offline_feed("recorded")


@pytest.mark.shared_data
def test_dataset_and_replay_spellings_write_the_same_run(tmp_path: Path) -> None:
    runs = {}
    for name in ("dataset", "replay"):
        out = tmp_path / name
        result = CliRunner().invoke(cli, ["run", "--feed", name, "--seed", "3", "--as-of",
                                          "2022-03-01T12:00:00Z", "--artifacts-dir", str(out),
                                          "--no-notify"])
        assert result.exit_code == 0, result.output
        # the printed paths name each run's own --artifacts-dir; everything else is the same
        # (run telemetry is wall time: snapshot leaves it out)
        output = result.output.replace(str(out), "<out>")
        runs[name] = (output, snapshot(out))
    assert runs["dataset"] == runs["replay"]
    _, files = runs["dataset"]
    assert any(f'"feed": "{DATASET_RECORDED_NAME}"'.encode() in data for data in files.values())
