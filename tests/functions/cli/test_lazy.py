"""`tb --help` and completion stay fast: they import no command module, no pandas, no
pydantic; the lazy table's help lines match the commands' own help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import click
import pytest

from functions.cli import COMMANDS, cli

_PROBE = """
import json, sys
from functions.cli import main
sys.argv = ["tb", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
heavy = ("pandas", "numpy", "pydantic", "matplotlib", "pyarrow", "functions.cli.tracer")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)
"""


def _heavy_imports(args: list[str], env: dict[str, str] | None = None) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})},
                          check=False)
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_imports_no_pandas_pydantic_or_command_module() -> None:
    assert _heavy_imports(["--help"]) == []


def test_version_and_completion_import_nothing_heavy() -> None:
    assert _heavy_imports(["--version"]) == []
    assert _heavy_imports([], env={"_TB_COMPLETE": "bash_complete", "COMP_WORDS": "tb ",
                                   "COMP_CWORD": "1"}) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_lazy_help_line_matches_the_command(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    assert command.get_short_help_str(10_000) == \
        click.Command(name, help=COMMANDS[name][2]).get_short_help_str(10_000)


def test_version_prints_the_package_version() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("tb ")


@pytest.mark.parametrize("args", [["-v", "status", "--help"], ["status", "-v", "--help"],
                                  ["status", "-q", "--help"], ["board", "specs", "-vv", "--help"]])
def test_verbosity_accepted_before_and_after_any_subcommand(args: list[str]) -> None:
    from click.testing import CliRunner

    assert CliRunner().invoke(cli, args).exit_code == 0


def test_verbosity_levels_keep_third_party_at_warning_until_vvv() -> None:
    import logging

    from functions.cli.verbosity import verbosity_level

    assert verbosity_level(0) == (logging.WARNING, logging.WARNING)
    assert verbosity_level(1) == (logging.INFO, logging.WARNING)
    assert verbosity_level(2) == (logging.DEBUG, logging.WARNING)
    assert verbosity_level(3) == (logging.DEBUG, logging.DEBUG)
    assert verbosity_level(-1) == (logging.ERROR, logging.ERROR)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    import logging

    names = ("", "shared", "functions", "autocommit")
    levels = {n: logging.getLogger(n).level for n in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_verbosity_after_the_subcommand_counts_and_adds_up() -> None:
    import logging

    from click.testing import CliRunner

    now = ["--now", "2026-03-03T18:00:00Z"]
    assert CliRunner().invoke(cli, ["universe", "plan", "-vv", *now]).exit_code == 0
    assert logging.getLogger("shared").level == logging.DEBUG
    assert logging.getLogger().level == logging.WARNING  # third-party stays quiet
    assert CliRunner().invoke(cli, ["-v", "universe", "plan", "-vv", *now]).exit_code == 0
    assert logging.getLogger().level == logging.DEBUG  # -v + -vv = -vvv
    assert CliRunner().invoke(cli, ["universe", "plan", "-q", *now]).exit_code == 0
    assert logging.getLogger("shared").getEffectiveLevel() == logging.ERROR
