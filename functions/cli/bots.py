"""``tb bots``: decision bots' fixtures and recorded timelines."""

from __future__ import annotations

import click

from functions.cli.options import pipeline_errors

__all__ = ["group"]


@click.group("bots")
def group() -> None:
    """Decision bots: fixtures and recorded timelines."""


@group.command("record-timeline")
@click.argument("name")
@pipeline_errors
def record_timeline_command(name: str) -> None:
    """Re-record a bot's seeded envelope timeline (after an intended behaviour change).

    Example:

        tb bots record-timeline divergence
    """
    from shared.bots.registry import BOTS
    from shared.pipeline.timeline import write_timeline

    if name not in BOTS:
        raise click.BadParameter(f"unknown bot (known: {', '.join(sorted(BOTS))})",
                                 param_hint="NAME")
    click.echo(f"{name}: {write_timeline(name)} envelopes recorded")
