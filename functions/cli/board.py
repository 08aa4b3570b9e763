"""``tb board``: the readiness board, the promotion check and the bot specs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from functions.cli.options import pipeline_errors

__all__ = ["group"]

_MODES = ("stub", "shadow", "advisory", "enforced", "quarantine")


@click.group("board", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the board as JSON.")
@click.option("--write", is_flag=True, help="Also write BOARD.md and board.json at the repo root.")
@click.pass_context
@pipeline_errors
def group(ctx: click.Context, as_json: bool, write: bool) -> None:
    """The readiness board: Docs/27, Impl/15, Runtime/8, Backtest/4 per bot, computed now
    by executing each check against the tree (type-check, fixtures, registry, spec, ...).

    Example:

        tb board --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from shared.execution.fixture_pack import check_fixture_pack
    from shared.readiness import compute_board, render_markdown
    from shared.readiness.evidence import REPO_ROOT

    board = compute_board(clob_check=check_fixture_pack)
    text = json.dumps(board.to_json(), indent=2, ensure_ascii=False) + "\n"
    markdown = render_markdown(board)
    if write:
        (REPO_ROOT / "board.json").write_text(text, encoding="utf-8")
        (REPO_ROOT / "BOARD.md").write_text(markdown, encoding="utf-8")
    click.echo(text if as_json else markdown, nl=False)


@group.command("check-promotion")
@click.option("--bot", "bot", required=True, help="Bot name.")
@click.option("--to", "to_mode", required=True, type=click.Choice(_MODES), help="Target mode.")
@click.option("--from", "from_mode", type=click.Choice(_MODES), default=None,
              help="Current mode (default: the mode in config/bots/BOT.yaml).")
@click.option("--summary", type=click.Path(dir_okay=False), default=None,
              help="Append the gate table (Markdown) to this file (e.g. $GITHUB_STEP_SUMMARY).")
@pipeline_errors
def check_promotion_command(bot: str, to_mode: str, from_mode: str | None,
                            summary: str | None) -> None:
    """Exit 0 when BOT may move to MODE now, 1 naming the unmet items (one step at a time:
    stub → shadow → advisory → enforced; quarantine and lowering always pass).

    Example:

        tb board check-promotion --bot trend_guard --to shadow --from stub
    """
    from shared.bots.registry import BOTS
    from shared.contracts import Mode
    from shared.execution.fixture_pack import check_fixture_pack
    from shared.readiness import check_promotion, compute_board

    if bot not in BOTS:
        raise click.BadParameter(f"unknown bot (known: {', '.join(sorted(BOTS))})",
                                 param_hint="--bot")
    row = compute_board(bots=[bot], clob_check=check_fixture_pack).bot(bot)
    if from_mode is None:
        if row.mode not in _MODES:
            raise click.UsageError(f"config/bots/{bot}.yaml does not load; pass --from")
        from_mode = row.mode
    result = check_promotion(row, Mode(from_mode), Mode(to_mode))
    table = result.table(row)
    if summary:
        with Path(summary).open("a", encoding="utf-8") as out:
            out.write(table + "\n")
    click.echo(table, nl=False)
    if not result.ok:
        sys.exit(1)


@group.command("specs")
@click.option("--check", is_flag=True, help="Fail (exit 1) when a SPEC.md block is stale.")
@pipeline_errors
def specs_command(check: bool) -> None:
    """Regenerate the generated blocks of every shared/bots/*/SPEC.md (parameters, defaults,
    thresholds, reason codes, wire examples) from the code, config and registry.

    Example:

        tb board specs --check
    """
    from shared.readiness.evidence import REPO_ROOT, Tree
    from shared.readiness.spec import refresh_spec, render_blocks

    tree = Tree(REPO_ROOT)
    stale = []
    for name in tree.bots:
        path = tree.spec_path(name)
        if not path.is_file():
            stale.append(f"{tree.rel(path)} (absent)")
            continue
        text = path.read_text(encoding="utf-8")
        fresh = refresh_spec(text, render_blocks(tree, name))
        if fresh != text:
            stale.append(tree.rel(path))
            if not check:
                path.write_text(fresh, encoding="utf-8")
    if check and stale:
        click.echo("stale: " + ", ".join(stale) + " (run tb board specs)", err=True)
        sys.exit(1)
    click.echo(f"{len(tree.bots) - len(stale) if check else len(tree.bots)} spec(s) current")
