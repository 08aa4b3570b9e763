"""Verbosity for every ``tb`` command: ``-v/-vv/-vvv`` and ``-q`` are accepted before *and*
after a subcommand (``tb -v run`` and ``tb run -v`` mean the same), and counts add up.

Levels: default WARNING; ``-v`` INFO and ``-vv`` DEBUG for the project's own loggers
(``shared``, ``functions``, ``autocommit``) while third-party loggers (urllib3, optuna,
matplotlib, ...) stay at WARNING; ``-vvv`` DEBUG for everything; ``-q`` errors only.
Kept free of heavy imports: it is loaded by ``tb --help``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import click

__all__ = [
    "OWN_LOGGERS", "add_verbosity", "apply_verbosity", "verbosity_level", "verbosity_params",
]

OWN_LOGGERS = ("shared", "functions", "autocommit")
_META_KEY = "tb.verbosity"
_FORMAT = "%(levelname)s %(name)s: %(message)s"


def verbosity_level(count: int) -> tuple[int, int]:
    """(level of the project's loggers, level of every other logger) for a net count
    (``-v`` adds one, ``-q`` takes one away)."""
    if count <= -1:
        return logging.ERROR, logging.ERROR
    own = {0: logging.WARNING, 1: logging.INFO}.get(count, logging.DEBUG)
    other = logging.DEBUG if count >= 3 else logging.WARNING
    return own, other


def apply_verbosity(count: int) -> None:
    """Configure logging for a net verbosity count (idempotent: safe to call again)."""
    own, other = verbosity_level(count)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    root.setLevel(other)
    for name in OWN_LOGGERS:  # NOTSET (follow the root) unless -v/-vv lifts them above it
        logging.getLogger(name).setLevel(own if own != other else logging.NOTSET)


def _make_callback(sign: int) -> Callable[[click.Context, click.Parameter, int], None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: int) -> None:
        if not value:
            return
        meta = ctx.find_root().meta
        meta[_META_KEY] = meta.get(_META_KEY, 0) + sign * value
        apply_verbosity(meta[_META_KEY])
    return callback


def verbosity_params() -> list[click.Parameter]:
    """Fresh ``-v`` and ``-q`` options (not passed to the command function)."""
    return [
        click.Option(["-v", "--verbose"], count=True, expose_value=False,
                     callback=_make_callback(+1),
                     help="More log output (-v info, -vv debug, -vvv also third-party)."),
        click.Option(["-q", "--quiet"], count=True, expose_value=False,
                     callback=_make_callback(-1), help="Only errors in the log output."),
    ]


def add_verbosity(command: click.Command) -> click.Command:
    """Give ``command`` (and, for a group, every subcommand) the verbosity options once."""
    if not any(getattr(p, "name", None) == "verbose" for p in command.params):
        command.params.extend(verbosity_params())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_verbosity(sub)
    return command
