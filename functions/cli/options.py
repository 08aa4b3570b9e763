"""The options ``tb`` commands share, each defined once, and the one ISO time type.

Every time a command reads goes through :class:`IsoTime` (:func:`shared.clock.parse_time`):
naive means UTC, ``Z`` and offsets are accepted, anything else (garbage, or a time out of
range) is a usage error (exit 2). A command that differs from the others in a default or
help text passes it; the option itself is still this one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from shared.clock import parse_time
from shared.errors import PipelineError
from shared.providers.feeds import FEED_ALIASES, OfflineFeed

__all__ = [
    "FEEDS",
    "FeedChoice",
    "IsoTime",
    "artifacts_dir_option",
    "as_of_option",
    "feed_option",
    "pipeline_errors",
    "seed_option",
]

F = TypeVar("F", bound=Callable[..., Any])

FEEDS = tuple(feed.value for feed in OfflineFeed)


class IsoTime(click.ParamType[datetime, Any]):
    """An ISO-8601 time; ``Z`` or an offset, or naive (taken as UTC). Converts to aware UTC."""

    name = "ISO_TIME"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        try:
            return parse_time(text)
        except ValueError as e:
            self.fail(str(e), param, ctx)


class FeedChoice(click.Choice[str]):
    """One of :data:`FEEDS`, or an old name of one (``replay`` is ``dataset``), converted to
    the feed's current name."""

    def __init__(self) -> None:
        super().__init__(FEEDS)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        alias = FEED_ALIASES.get(value) if isinstance(value, str) else None
        return str(super().convert(alias.value if alias else value, param, ctx))


def as_of_option(
    *,
    required: bool = False,
    help: str = "Decision time (ISO-8601, UTC if no offset). Default: now (offline: floored "
    "to the hour; --live: the first second after the data was fetched).",
) -> Callable[[F], F]:
    """``--as-of``: the decision (or evaluation) time."""
    return click.option("--as-of", type=IsoTime(), required=required, help=help)


def artifacts_dir_option(f: F) -> F:
    """``--artifacts-dir``: the root of runs/, universe_runs/ and eval_runs/."""
    return click.option(
        "--artifacts-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(),
        show_default=True,
        help="Root under which runs/, universe_runs/ and eval_runs/ live.",
    )(f)


def seed_option(
    *,
    default: int = 7,
    help: str = "Seed of the synthetic feed and of any randomness.",
) -> Callable[[F], F]:
    """``--seed``; commands keep their own default (eval's bootstrap seed is 0)."""
    return click.option("--seed", type=int, default=default, show_default=True, help=help)


def feed_option(
    *,
    help: str = "Offline data source (ignored with --live).",
) -> Callable[[F], F]:
    """``--feed synthetic|dataset``: where offline bars and news come from; ``replay`` is
    accepted as the old name of ``dataset``."""
    aliases = " ".join(f"{old} is accepted for {new} (its old name)."
                       for old, new in FEED_ALIASES.items())
    return click.option("--feed", type=FeedChoice(), default=OfflineFeed.SYNTHETIC.value,
                        show_default=True, help=f"{help} {aliases}")


def pipeline_errors(f: F) -> F:
    """Turn PipelineError into a ClickException (message, exit 1)."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except PipelineError as e:
            raise click.ClickException(str(e)) from e

    return wrapper  # type: ignore[return-value]

