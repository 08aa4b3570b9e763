"""The options ``tb`` commands share, each defined once, and the one ISO time type.

Every time a command reads goes through :class:`IsoTime` (:func:`shared.clock.parse_time`):
naive means UTC, ``Z`` and offsets are accepted, anything else (garbage, or a time out of
range) is a usage error (exit 2). A command that differs from the others in a default or
help text passes it; the option itself is still this one.
"""

from __future__ import annotations

import functools
import os
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
    "ArtifactsDir",
    "FeedChoice",
    "IsoTime",
    "Symbol",
    "artifacts_dir_option",
    "as_of_option",
    "existing_artifacts_dir_option",
    "feed_option",
    "pipeline_errors",
    "seed_option",
    "synthetic_edge_option",
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

    def __init__(self, extra: tuple[str, ...] = ()) -> None:
        super().__init__((*FEEDS, *extra))

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


class ArtifactsDir(click.ParamType[Path, Any]):
    """An artifacts root, checked before the command runs (a usage error, exit 2, names it).

    ``existing``: it must exist (commands that read what is there). Otherwise it is created
    when missing, so it must be creatable: its nearest existing ancestor must be a writable
    directory. Either way, an existing path must be a directory.
    """

    name = "DIRECTORY"

    def __init__(self, *, existing: bool = False) -> None:
        self.existing = existing

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Path:
        path = Path(value)
        if path.exists() and not path.is_dir():
            self.fail(f"{str(path)!r} is not a directory", param, ctx)
        if self.existing:
            if not path.is_dir():
                self.fail(f"directory {str(path)!r} does not exist", param, ctx)
            return path
        nearest = next(p for p in (path, *path.absolute().parents) if p.exists())
        if not nearest.is_dir():
            self.fail(f"{str(path)!r} cannot be created: {str(nearest)!r} is not a directory",
                      param, ctx)
        if not os.access(nearest, os.W_OK | os.X_OK):
            self.fail(f"{str(nearest)!r} is not writable", param, ctx)
        return path


def artifacts_dir_option(f: F) -> F:
    """``--artifacts-dir`` for a command that writes: the folder is created when missing."""
    return _artifacts_dir(existing=False)(f)


def existing_artifacts_dir_option(f: F) -> F:
    """``--artifacts-dir`` for a command that reads what is there: the folder must exist."""
    return _artifacts_dir(existing=True)(f)


def _artifacts_dir(*, existing: bool) -> Callable[[F], F]:
    return click.option(
        "--artifacts-dir",
        type=ArtifactsDir(existing=existing),
        default=Path(),
        show_default=True,
        help="Root under which runs/, universe_runs/ and eval_runs/ live"
        + (" (must exist)." if existing else " (created when missing)."),
    )


_ALLOW_UNKNOWN = "tb.allow_unknown_symbol"


class Symbol(click.ParamType[str, Any]):
    """A symbol, normalised (``btc-usd`` is ``BTC-USD``), held to the bounds
    ``config/tracer.yaml``'s ``symbol`` is held to, and known to the universe, the tracer or
    the dataset: an unknown symbol is a usage error (it would otherwise run on an invented
    synthetic series) unless the command was given ``--allow-unknown-symbol``."""

    name = "SYMBOL"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        from pydantic import ValidationError

        from shared.pipeline.settings import TracerConfig

        text = str(value).strip().upper()
        try:
            symbol = TracerConfig(symbol=text).symbol
        except ValidationError as e:
            shown = repr(text) if len(text) <= 40 else f"{text[:20]!r}... ({len(text):,} chars)"
            self.fail(f"{shown}: {e.errors(include_url=False)[0]['msg']}", param, ctx)
        if ctx is not None and ctx.meta.get(_ALLOW_UNKNOWN, False):
            return symbol
        try:
            known = known_symbols()
        except PipelineError:  # a broken config: the command itself reports it
            return symbol
        if symbol not in known:
            self.fail(f"unknown symbol {symbol!r}: not in config/universe.yaml, "
                      f"config/tracer.yaml or its dataset (known: {', '.join(sorted(known))}); "
                      "--allow-unknown-symbol runs it on the synthetic feed", param, ctx)
        return symbol


def known_symbols() -> frozenset[str]:
    """Every symbol the project has a home for: the universe's, the tracer's and the
    dataset's bar files."""
    from shared.pipeline.settings import load_pipeline_settings
    from shared.universe.config import load_universe_config

    tracer = load_pipeline_settings().tracer
    universe = load_universe_config()
    return frozenset({tracer.symbol, *(s.symbol for s in universe.symbols),
                      *tracer.dataset.bars})


def allow_unknown_symbol_option(f: F) -> F:
    """``--allow-unknown-symbol``: run a symbol no config or dataset knows, on the synthetic
    feed. Eager, so that ``--symbol`` (parsed after it whatever the order) can read it."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        ctx.meta[_ALLOW_UNKNOWN] = value

    return click.option(
        "--allow-unknown-symbol", is_flag=True, is_eager=True, expose_value=False,
        callback=remember,
        help="Accept a --symbol that no config or dataset knows (its series is synthetic).",
    )(f)


def shown_path(artifacts_dir: Path, rel: str | Path) -> str:
    """A written file as the user can open it from where they stand: relative to the
    current directory when it is below it, else absolute (never relative to
    --artifacts-dir)."""
    full = (artifacts_dir / rel).resolve()
    try:
        return str(full.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(full)


def json_option(f: F) -> F:
    """``--json``: print one JSON object (sorted keys) instead of text, for scripts."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON object instead of text.")(f)


def seed_option(
    *,
    default: int = 7,
    help: str = "Seed of the synthetic feed and of any randomness.",
) -> Callable[[F], F]:
    """``--seed``; commands keep their own default (eval's bootstrap seed is 0)."""
    return click.option("--seed", type=int, default=default, show_default=True, help=help)


def synthetic_edge_option(f: F) -> F:
    """``--synthetic-edge``: the strength of the synthetic feed's planted relation."""
    return click.option(
        "--synthetic-edge", type=click.FloatRange(min=0.0), default=None,
        help="Strength of the synthetic feed's planted relation (0 switches it off; "
        "default: on).",
    )(f)


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
    """Turn PipelineError, and an OSError naming a file (a full disk, a read-only file
    system), into a ClickException: one line, exit 1."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except PipelineError as e:
            raise click.ClickException(str(e)) from e
        except OSError as e:
            if e.filename is None:
                raise
            raise click.ClickException(f"{e.filename}: {e.strerror}") from e

    return wrapper  # type: ignore[return-value]

