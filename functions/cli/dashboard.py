"""``tb dashboard build``: the static dashboard site from the committed artifacts."""

from __future__ import annotations

from pathlib import Path

import click

from functions.cli.options import existing_artifacts_dir_option, pipeline_errors

__all__ = ["group"]


@click.group("dashboard")
def group() -> None:
    """The static dashboard (works from file:// and on GitHub Pages)."""


@group.command("build")
@existing_artifacts_dir_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder the site is written to (replaced whole; must be new, empty, or a "
              "site this command built).")
@click.option("--vendor-dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=None, help="node_modules holding vega, vega-lite and vega-embed "
              "(default: $TB_DASHBOARD_VENDOR, else tools/dashboard/node_modules).")
@pipeline_errors
def build_command(artifacts_dir: Path, out: Path, vendor_dir: Path | None) -> None:
    """Build the site: overview, symbols, evaluation, readiness board, backtests and tuning,
    paper trading. A source with no files yet shows "not yet available".

    Example:

        npm ci --prefix tools/dashboard && tb dashboard build --artifacts-dir . --out site
    """
    from functions.dashboard.build import build

    summary = build(artifacts_dir, out, vendor_dir)
    click.echo(f"wrote {len(summary.pages)} pages to {summary.out.resolve() / 'index.html'}")
    if summary.missing:
        click.echo(f"not yet available: {', '.join(summary.missing)}")
