"""Every command documents itself with an example, and docs/cli.md is generated from it."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from functions.docs import iter_commands, render_cli_docs

ROOT = Path(__file__).resolve().parents[3]
COMMANDS = [(" ".join(path), command) for path, command in iter_commands()]


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help, f"{name} has no help"
    if not isinstance(command, click.Group):
        assert "Example:" in command.help, f"{name} help has no Example: block"


def test_docs_cli_md_is_generated_from_the_commands() -> None:
    path = ROOT / "docs" / "cli.md"
    assert path.read_text(encoding="utf-8") == render_cli_docs(), (
        "docs/cli.md is out of date: run python -m functions.docs"
    )
