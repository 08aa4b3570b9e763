"""``tb``: the command-line shell over ``functions/``. Parses arguments, builds sources,
calls a stage's ``run``, writes through ``shared.store``, and turns ``PipelineError`` into a
clear message and a non-zero exit.

Shared options and the one time type are in :mod:`functions.cli.options`; decision times
come from :mod:`shared.clock`. One module per command group, loaded only when its command
runs (:class:`LazyGroup`: ``tb --help`` and shell completion import neither pandas nor
pydantic, so they answer at once):

* ``tracer.py``    ``tb run | replay | validate | index rebuild``
* ``universe.py``  ``tb universe plan | run | merge | notify``
* ``eval.py``      ``tb eval metrics | ingest | run | weekly``
* ``sentiment.py`` ``tb sentiment score``
* ``study.py``     ``tb study``;  ``simulate.py`` ``tb simulate``;  ``bots.py`` ``tb bots``
* ``board.py``     ``tb board [--json] | check-promotion | specs``
* ``backtest.py``  ``tb backtest reference-sma``
* ``data.py``      ``tb data check``
* ``check.py``     ``tb check`` (self-checks);  ``status.py`` ``tb status``
* ``store.py``     ``tb store compact``
* ``paper.py``     ``tb paper replay | run | rearm | status``, ``tb drill``
* ``dashboard.py`` ``tb dashboard build``

To add a command: one line in ``COMMANDS`` (module, attribute, the first line of its help;
tests/functions/cli/test_lazy.py checks the line matches the command's own help).

Usage errors (a bad flag or value) exit 2; pipeline errors exit 1 with their message. Every
command runs with the environment's secrets scrubbed from every log record. ``-v``/``-q``
are accepted before and after any subcommand (:mod:`functions.cli.verbosity`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

from functions.cli.verbosity import add_verbosity, apply_verbosity

__all__ = ["COMMANDS", "LazyGroup", "cli", "main"]

# name -> (module, attribute, first line of the command's help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "backtest": ("functions.cli.backtest", "group", "Backtests over recorded bars."),
    "board": ("functions.cli.board", "group",
              "The readiness board: Docs/27, Impl/15, Runtime/8, Backtest/4 per bot, computed "
              "now by executing each check against the tree (type-check, fixtures, registry, "
              "spec, ...)."),
    "bots": ("functions.cli.bots", "group", "Decision bots: fixtures and recorded timelines."),
    "check": ("functions.cli.check", "check_command",
              "Check the system: artifacts valid, heartbeats, missed runs, degraded ratio, "
              "trend."),
    "dashboard": ("functions.cli.dashboard", "group",
                  "The static dashboard (works from file:// and on GitHub Pages)."),
    "data": ("functions.cli.data", "group",
             "Check data files (bars, narratives) before a study or a run reads them."),
    "drill": ("functions.cli.paper", "drill_command",
              "Replay a recorded incident against the paper path and show the kill-switch "
              "trips, nothing is sent after the halt and the alert fires."),
    "eval": ("functions.cli.eval", "group",
             "Score forecasts: resolve ours, snapshot metrics, evaluate any forecasts CSV."),
    "index": ("functions.cli.tracer", "index_group",
              "The SQLite index of runs and envelopes (derived from the artifacts)."),
    "paper": ("functions.cli.paper", "group",
              "Paper trading: orders from enforced triggers, through the risk engine, to a "
              "paper broker."),
    "replay": ("functions.cli.tracer", "replay_command",
               "Re-run a recorded tracer run from its record alone (no network) and compare."),
    "run": ("functions.cli.tracer", "run_command",
            "Run one tracer cycle for a symbol and write its artifacts under runs/."),
    "sentiment": ("functions.cli.sentiment", "group",
                  "Score the sentiment of news headlines and sentences."),
    "simulate": ("functions.cli.simulate", "simulate_command",
                 "Simulate the schedules offline: hourly tb run, daily eval ingest + snapshot, "
                 "and a weekly snapshot at the end, all on the seeded synthetic feed."),
    "status": ("functions.cli.status", "status_command",
               "Show each stage's last run and age, degraded share and streak, missed runs, "
               "the last trigger, the latest evaluation verdict, the last self-check, the "
               "pause switch and which keys are detected (names only, never values)."),
    "store": ("functions.cli.store", "group",
              "Maintain the artifact store (bars recorded once, old runs compacted)."),
    "study": ("functions.cli.study", "study_command",
              "Run the pipeline over every bar in a period, point-in-time, and print one JSON "
              "object."),
    "universe": ("functions.cli.universe", "group",
                 "The universe: every symbol on its own trading hours, ranked into one digest."),
    "validate": ("functions.cli.tracer", "validate_command",
                 "Check every artifact under --artifacts-dir against its schema and manifest "
                 "digests."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's documented lazy-loading
    pattern). Listing them (``--help``, completion) reads only ``COMMANDS``."""

    def __init__(self, *args: object, lazy: dict[str, tuple[str, str, str]], **kwargs: object
                 ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, attr, _ = self.lazy[cmd_name]
            command = getattr(importlib.import_module(module), attr)
            self.add_command(add_verbosity(command), cmd_name)
        return self.commands.get(cmd_name)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Complete command names from ``COMMANDS`` (click's own would import every command
        to ask whether it is hidden), then options as click does."""
        from click.shell_completion import CompletionItem

        items = [CompletionItem(name, help=self.lazy[name][2] if name in self.lazy else None)
                 for name in self.list_commands(ctx) if name.startswith(incomplete)]
        return items + click.Command.shell_complete(self, ctx, incomplete)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in self.commands:
                text = self.commands[name].get_short_help_str(limit)
            else:
                text = click.Command(name, help=self.lazy[name][2]).get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tracer-bullet")
    except PackageNotFoundError:  # running from a checkout that is not installed
        return "unknown"


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(None, "--version", package_name="tracer-bullet", prog_name="tb",
                      message="%(prog)s %(version)s")
def cli() -> None:
    """Tracer Bullet: a market-narrative signal agent.

    Every command works offline on the embedded default (seeded synthetic feed, offline
    sentiment); setting provider keys switches `tb run --live` to real services.
    Synthetic results say nothing about live performance.

    Example:

        tb run --seed 7 --as-of 2026-11-20T12:00:00Z --artifacts-dir /tmp/tb

    Shell completion (bash; zsh and fish alike with zsh_source / fish_source):

        eval "$(_TB_COMPLETE=bash_source tb)"
    """
    # Before anything can log: every secret in the environment is scrubbed from every log
    # record of every command (urllib3's debug line holds the Telegram token in its path).
    from shared.settings import install_environment_redaction

    install_environment_redaction()
    apply_verbosity(click.get_current_context().meta.get("tb.verbosity", 0))


add_verbosity(cli)


def main() -> None:
    cli(prog_name="tb")
