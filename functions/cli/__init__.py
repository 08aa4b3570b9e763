"""``tb``: the command-line shell over ``functions/``. Parses arguments, builds sources,
calls a stage's ``run``, writes through ``shared.store``, and turns ``PipelineError`` into a
clear message and a non-zero exit.

Shared options and the one time type are in :mod:`functions.cli.options`; decision times
come from :mod:`shared.clock`. One module per command group:

* ``tracer.py``    ``tb run | replay | validate | index rebuild``
* ``universe.py``  ``tb universe plan | run | merge | notify``
* ``eval.py``      ``tb eval metrics | ingest | run | weekly``
* ``sentiment.py`` ``tb sentiment score``
* ``study.py``     ``tb study``;  ``simulate.py`` ``tb simulate``;  ``bots.py`` ``tb bots``
* ``board.py``     ``tb board [--json] | check-promotion | specs``
* ``backtest.py``  ``tb backtest reference-sma``
* ``data.py``      ``tb data check``
* ``check.py``     ``tb check`` (self-checks);  ``status.py`` ``tb status``

Usage errors (a bad flag or value) exit 2; pipeline errors exit 1 with their message. Every
command runs with the environment's secrets scrubbed from every log record.
"""

from __future__ import annotations

import logging
import sys

import click

from functions.cli import backtest, board, bots, check, data, simulate, status, store, study, tracer
from functions.cli import eval as eval_cli
from functions.cli import sentiment as sentiment_cli
from functions.cli import universe as universe_cli
from shared.settings import install_environment_redaction

__all__ = ["cli", "main"]


@click.group()
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Tracer Bullet: a market-narrative signal agent.

    Every command works offline on the embedded default (seeded synthetic feed, offline
    sentiment); setting provider keys switches `tb run --live` to real services.
    Synthetic results say nothing about live performance.

    Example:

        tb run --seed 7 --as-of 2026-11-20T12:00:00Z --artifacts-dir /tmp/tb
    """
    # Before anything can log: every secret in the environment is scrubbed from every log
    # record of every command (urllib3's debug line holds the Telegram token in its path).
    install_environment_redaction()
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


for _command in (
    tracer.run_command,
    tracer.validate_command,
    tracer.replay_command,
    tracer.index_group,
    study.study_command,
    simulate.simulate_command,
    bots.group,
    board.group,
    backtest.group,
    data.group,
    eval_cli.group,
    sentiment_cli.group,
    universe_cli.group,
    check.check_command,
    status.status_command,
    store.group,
):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="tb")
