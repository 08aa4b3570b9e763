"""No secret reaches the terminal from any ``tb`` command, even at ``-vvv`` (all debug).

Canary values are set for all six secrets and every service URL points at a loopback
stand-in (Telegram answers ``ok``, so the digest really goes out and urllib3 logs the request
line that holds the bot token in its path). Every leaf command of the CLI is run as a real
subprocess with ``-vvv``; its stdout and stderr must not contain any canary. The redaction is
installed by the CLI entry point for every command, not only on the live path.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest

from functions.cli import cli
from tests.helpers.live_servers import LiveServices
from tests.helpers.tree import tb

CANARIES = {
    "APCA_API_KEY_ID": "CANARY-apca-key-id-5f1e",
    "APCA_API_SECRET_KEY": "CANARY-apca-secret-9b2c",
    "PPLX_API_KEY": "pplx-CANARY-7d3a",
    "HF_TOKEN": "hf_CANARY4e8f",
    "TELEGRAM_BOT_TOKEN": "7000000001:CANARY-bot-token-1a2b",
    "TELEGRAM_CHAT_ID": "-100CANARY42",
}
AS_OF = "2026-03-02T12:00:00Z"


def _leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            found |= _leaf_commands(command, (*prefix, name))
        else:
            found.add((*prefix, name))
    return found


def _invocations(root: Path, tmp_path: Path) -> dict[tuple[str, ...], list[str]]:
    # One invocation per leaf command; success is not the point (a command that refuses its
    # input still goes through the entry point and logs at -vvv), silence about secrets is.
    forecasts = tmp_path / "forecasts.csv"
    forecasts.write_text("p,y\n0.7,1\n0.2,0\n0.6,1\n", encoding="utf-8")
    art = ["--artifacts-dir", str(root)]
    bars = tmp_path / "bars.csv"
    bars.write_text("time,open,high,low,close,volume\n" + "".join(
        f"{1_700_000_000 + 3600 * i},{100 + i},{101 + i},{99 + i},{100.5 + i},10\n"
        for i in range(40)), encoding="utf-8")
    return {
        ("run",): ["run", "--seed", "7", "--as-of", AS_OF, *art],
        ("universe", "run"): ["universe", "run", "--seed", "7", "--as-of", AS_OF, *art],
        ("universe", "notify"): ["universe", "notify", *art],
        ("universe", "plan"): ["universe", "plan"],
        ("universe", "merge"): ["universe", "merge", *art],
        ("validate",): ["validate", *art],
        ("index", "rebuild"): ["index", "rebuild", *art],
        ("replay",): ["replay", "0123456789abcdef", *art],
        ("eval", "ingest"): ["eval", "ingest", "--as-of", "2026-03-09T12:00:00Z", *art],
        ("eval", "run"): ["eval", "run", "--as-of", "2026-03-09T12:00:00Z", "--bootstrap",
                          "10", *art],
        ("eval", "weekly"): ["eval", "weekly", "--as-of", "2026-03-09T12:00:00Z",
                             "--bootstrap", "10", *art],
        ("eval", "metrics"): ["eval", "metrics", "--forecasts", str(forecasts), "--bootstrap",
                              "10"],
        ("sentiment", "score"): ["sentiment", "score", "--offline"],
        ("study",): ["study", "--start", "2026-03-01T00:00:00Z",
                     "--end", "2026-03-01T03:00:00Z"],
        ("simulate",): ["simulate", "--start", "2026-03-01T00:00:00Z", "--days", "1",
                        "--artifacts-dir", str(tmp_path / "simulate")],
        # Recording a real timeline writes into the package; an unknown name is refused.
        ("bots", "record-timeline"): ["bots", "record-timeline", "no-such-bot"],
        ("board", "check-promotion"): ["board", "check-promotion", "--bot", "sizing",
                                       "--to", "quarantine"],
        ("board", "specs"): ["board", "specs", "--check"],
        ("backtest", "reference-sma"): ["backtest", "reference-sma", "--bars", str(bars),
                                        "--trades-out", str(tmp_path / "trades.csv")],
        ("backtest", "check-lookahead"): ["backtest", "check-lookahead", "--end",
                                          "2026-01-06T00:00:00Z"],
        ("backtest", "run"): ["backtest", "run", "--start", "2026-03-01T00:00:00Z",
                              "--end", "2026-03-02T00:00:00Z", *art],
        ("data", "check"): ["data", "check", str(bars), "--json"],
        ("check",): ["check", "--as-of", "2026-03-09T12:00:00Z", "--no-write", *art],
        ("status",): ["status", "--as-of", "2026-03-09T12:00:00Z", "--json", *art],
        ("paper", "replay"): ["paper", "replay", "--start", "2026-01-05T00:00:00Z",
                              "--end", "2026-01-05T06:00:00Z", *art],
        ("paper", "run"): ["paper", "run", "--as-of", "2026-01-05T06:00:00Z", *art],
        ("paper", "rearm"): ["paper", "rearm", "--by", "canary", *art],
        ("paper", "status"): ["paper", "status", *art],
        ("drill",): ["drill", "--scenario", "dead-feed", "--days", "2", *art],
        ("dashboard", "build"): ["dashboard", "build", *art, "--out", str(tmp_path / "site")],
        ("backtest", "walk-forward"): ["backtest", "walk-forward", "--start",
                                       "2025-01-01T00:00:00Z", "--end", "2025-01-15T00:00:00Z",
                                       "--train-days", "7", "--test-days", "7"],
        ("backtest", "tune"): ["backtest", "tune", "--bot", "cooldown", "--start",
                               "2025-01-01T00:00:00Z", "--end", "2025-01-15T00:00:00Z",
                               "--holdout-days", "5", "--trials", "1", *art],
        ("backtest", "compare"): ["backtest", "compare", "--base", "HEAD", "--head", "HEAD",
                                  "--repo", str(tmp_path), "--feed", "synthetic"],
        ("backtest", "sensitivity"): ["backtest", "sensitivity", "--start",
                                      "2025-01-01T00:00:00Z", "--end", "2025-01-08T00:00:00Z"],
        ("eval", "regimes"): ["eval", "regimes", "--as-of", "2026-03-09T12:00:00Z", *art],
        ("store", "compact"): ["store", "compact", "--as-of", "2026-03-09T12:00:00Z",
                               "--dry-run", *art],
    }


def _assert_clean(done: subprocess.CompletedProcess[str], label: str) -> None:
    for name, canary in CANARIES.items():
        assert canary not in done.stdout, f"{name} leaked into stdout of tb -vvv {label}"
        assert canary not in done.stderr, f"{name} leaked into stderr of tb -vvv {label}"


def test_every_command_is_covered(tmp_path: Path) -> None:
    assert set(_invocations(tmp_path, tmp_path)) == _leaf_commands(cli)


@pytest.mark.timeout(600)
def test_no_canary_secret_on_the_terminal_of_any_command_at_debug(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    invocations = _invocations(root, tmp_path)
    with LiveServices() as services:
        env = services.env(tmp_path / "cache", secrets=CANARIES)

        def run(key: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
            return tb("-vvv", *invocations[key], env=env)

        # The runs first (the others read their artifacts), then the rest in parallel.
        first = [("run",), ("universe", "run")]
        results = {key: run(key) for key in first}
        assert results[("run",)].returncode == 0, results[("run",)].stderr
        assert results[("universe", "run")].returncode == 0, results[("universe", "run")].stderr
        rest = [key for key in invocations if key not in results]
        with ThreadPoolExecutor(max_workers=6) as pool:
            results.update(zip(rest, pool.map(run, rest), strict=True))
        # The digests really went to the Telegram stand-in with the canary token in the path,
        # so urllib3's debug line had something to leak.
        telegram = services.servers["telegram"].requests
        assert len(telegram) >= 2
        assert all(CANARIES["TELEGRAM_BOT_TOKEN"] in request.path for request in telegram)
    assert "DEBUG urllib3" in results[("run",)].stderr
    for key, done in sorted(results.items()):
        _assert_clean(done, " ".join(key))
