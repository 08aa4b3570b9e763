"""Generate ``docs/cli.md`` from the click commands' own help (never written by hand).

Run ``python -m functions.docs`` after changing a command; ``--check`` fails on drift (a
test runs it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from functions.cli import cli

__all__ = ["iter_commands", "main", "render_cli_docs"]

_HEADER = """# `tb` command reference

Generated from the commands' help by `python -m functions.docs`; do not edit by hand.
"""


def iter_commands(
    group: click.Group = cli, prefix: tuple[str, ...] = ("tb",)
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command (and group), depth first, in name order."""
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        assert command is not None
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from iter_commands(command, path)


def render_cli_docs() -> str:
    sections = [_HEADER]
    for path, command in iter_commands():
        ctx = click.Context(command, info_name=" ".join(path), terminal_width=100,
                            max_content_width=100)
        help_text = command.get_help(ctx)
        level = "#" * min(len(path), 4)
        sections.append(f"{level} `{' '.join(path)}`\n\n```\n{help_text}\n```\n")
    return "\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/cli.md"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render_cli_docs()
    current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
    if args.check:
        if current != text:
            print(f"{args.out} is out of date: run python -m functions.docs")
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
