"""Bad input from outside ends in one line naming the problem and a non-zero exit, never a
traceback: 2 for a usage error (a bad flag or value), 1 for anything else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from functions.cli import cli
from functions.cli.options import pipeline_errors
from shared.config import MAX_CONFIG_DEPTH

ROOT = Path(__file__).resolve().parents[3]
AS_OF = "2026-11-20T12:00:00Z"
LATER = "2026-11-25T12:00:00Z"
LONG_SYMBOL = "A" * 5000


def _tb(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _assert_clear(result: Result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"raised {result.exception!r}")
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    for needle in needles:
        assert needle in errors[0], errors[0]


def _subprocess(args: Sequence[str], *, env: dict[str, str] | None = None,
                timeout_secs: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from functions.cli import main; main()", *args],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})},
        timeout=timeout_secs, check=False)


# -- a 5,000-character --symbol: held to the bounds of config/tracer.yaml's symbol ----------


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--as-of", AS_OF, "--no-notify", "--symbol", LONG_SYMBOL],
        ["study", "--start", AS_OF, "--end", LATER, "--symbol", LONG_SYMBOL],
        ["simulate", "--start", AS_OF, "--days", "1", "--symbol", "BTC-USD",
         "--symbol", LONG_SYMBOL],
        ["run", "--as-of", AS_OF, "--no-notify", "--symbol", ""],
    ],
    ids=["run", "study", "simulate", "run-empty"],
)
def test_symbol_out_of_config_bounds_usage_error(args: list[str], tmp_path: Path) -> None:
    if args[0] in ("run", "simulate"):
        args = [*args, "--artifacts-dir", str(tmp_path)]
    result = _tb(*args)
    _assert_clear(result, 2, "--symbol")
    assert "character" in result.output
    assert not list(tmp_path.iterdir())


# -- --artifacts-dir: missing, not a directory, not writable ------------------------------------

_WRITERS = {
    "run": ["run", "--as-of", AS_OF, "--no-notify"],
    "universe run": ["universe", "run", "--as-of", AS_OF, "--no-notify", "--shard", "1/8"],
    "eval ingest": ["eval", "ingest", "--as-of", AS_OF],
    "eval run": ["eval", "run", "--as-of", AS_OF, "--bootstrap", "10"],
    "eval weekly": ["eval", "weekly", "--as-of", AS_OF, "--bootstrap", "10"],
    "simulate": ["simulate", "--start", AS_OF, "--days", "1"],
}
_READERS = {
    "validate": ["validate"],
    "replay": ["replay", "0123456789abcdef"],
    "index rebuild": ["index", "rebuild"],
    "universe merge": ["universe", "merge"],
    "universe notify": ["universe", "notify"],
}


@pytest.mark.parametrize("name", [*_WRITERS, *_READERS])
def test_artifacts_dir_under_a_file_usage_error(name: str, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    args = {**_WRITERS, **_READERS}[name]
    _assert_clear(_tb(*args, "--artifacts-dir", str(blocker / "tb")), 2, "--artifacts-dir",
                  "a-file")
    _assert_clear(_tb(*args, "--artifacts-dir", str(blocker)), 2, "is not a directory")


@pytest.mark.parametrize("name", list(_READERS))
def test_missing_artifacts_dir_of_a_reading_command_usage_error(name: str,
                                                               tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    result = _tb(*_READERS[name], "--artifacts-dir", str(missing))
    _assert_clear(result, 2, "does not exist", str(missing))
    assert not missing.exists()


def test_validate_nonexistent_dir_exits_2_not_0_with_0_files() -> None:
    result = _subprocess(["validate", "--artifacts-dir", "/nonexistent/tb-artifacts"])
    assert result.returncode == 2
    assert "0 files" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "directory '/nonexistent/tb-artifacts' does not exist" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("name", list(_WRITERS))
def test_read_only_artifacts_dir_usage_error(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        _assert_clear(_tb(*_WRITERS[name], "--artifacts-dir", str(folder)), 2, "not writable")
    finally:
        folder.chmod(0o755)


def test_file_system_error_inside_a_command_is_one_line_exit_1() -> None:
    @click.command()
    @pipeline_errors
    def write() -> None:
        raise PermissionError(13, "Permission denied", "/artifacts/runs/2026-11-20")

    result = CliRunner().invoke(write, [])
    _assert_clear(result, 1, "/artifacts/runs/2026-11-20: Permission denied")


# -- committed files that are not what they should be ------------------------------------------


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    assert _tb("run", "--as-of", AS_OF, "--no-notify", "--artifacts-dir", str(root)
               ).exit_code == 0
    assert _tb("eval", "ingest", "--as-of", LATER, "--artifacts-dir", str(root)).exit_code == 0
    return root


def _copy(tree: Path, tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "tree"
    shutil.copytree(tree, root)
    (run_file,) = [p for p in root.glob("runs/*/tracer-*.json")
                   if not p.name.endswith(".inputs.json")]
    return root, run_file


def test_run_file_whose_outcome_is_not_an_object_is_skipped_and_named(
    tree: Path, tmp_path: Path
) -> None:
    root, run_file = _copy(tree, tmp_path)
    doc = json.loads(run_file.read_text())
    doc["outcome"] = 5
    run_file.write_text(json.dumps(doc))
    (root / "eval_runs" / "observations.csv").unlink()
    result = _tb("eval", "ingest", "--as-of", LATER, "--artifacts-dir", str(root))
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "ARTIFACT_QUARANTINED" in result.output  # quarantined, and the stage went on
    validate = _tb("validate", "--artifacts-dir", str(root))
    assert validate.exit_code == 0, validate.output  # accepted, but named
    assert "QUARANTINED" in validate.output and run_file.name in validate.output


def test_non_utf8_run_file_is_skipped_by_ingest_and_named_by_validate(
    tree: Path, tmp_path: Path
) -> None:
    root, run_file = _copy(tree, tmp_path)
    run_file.write_bytes(b'{"type": "tracer_run", "symbol": "\xff\xfe"}')
    for args in (["eval", "ingest", "--as-of", LATER], ["index", "rebuild"]):
        result = _tb(*args, "--artifacts-dir", str(root))
        assert result.exit_code == 0, result.output
        assert result.exception is None
    validate = _tb("validate", "--artifacts-dir", str(root))
    assert validate.exit_code == 0, validate.output  # quarantined by ingest: accepted, named
    assert "QUARANTINED" in validate.output and run_file.name in validate.output


@pytest.mark.parametrize("row", ["abc,tracer_run", "\xff", '"unterminated'])
def test_short_or_bad_observations_row_is_quarantined_and_the_stages_go_on(
    tree: Path, tmp_path: Path, row: str
) -> None:
    root, _ = _copy(tree, tmp_path)
    observations = root / "eval_runs" / "observations.csv"
    with observations.open("ab") as handle:
        handle.write(row.encode("latin-1") + b"\n")
    ingest = _tb("eval", "ingest", "--as-of", LATER, "--artifacts-dir", str(root))
    assert ingest.exit_code == 0 and ingest.exception is None, ingest.output
    assert "ARTIFACT_QUARANTINED" in ingest.output
    assert row.encode("latin-1") not in observations.read_bytes()  # moved to the record
    scored = _tb("eval", "run", "--as-of", LATER, "--bootstrap", "10",
                 "--artifacts-dir", str(root))
    assert scored.exit_code == 0 and scored.exception is None, scored.output
    validate = _tb("validate", "--artifacts-dir", str(root))
    assert validate.exit_code == 0, validate.output


# -- config: bounded and strict ------------------------------------------------------------------


def _home_with(tmp_path: Path, tracer_yaml: str) -> dict[str, str]:
    home = tmp_path / "home"
    shutil.copytree(ROOT / "config", home / "config")
    (home / "config" / "tracer.yaml").write_text(tracer_yaml, encoding="utf-8")
    return {"TB_HOME": str(home)}


def _alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 12):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (_alias_bomb(), "tracer.yaml:2: invalid YAML: aliases (*name) are not allowed"),
        ("[" * 100_000 + "]" * 100_000 + "\n", f"nested more than {MAX_CONFIG_DEPTH} levels"),
        ("a:\n  b: " + "{c: " * 100_000 + "1" + "}" * 100_000 + "\n",
         "levels deep"),
        ("symbol: BTC-USD\nhistory_hours: 192\nsymbol: ETH-USD\n",
         "tracer.yaml:3: invalid YAML: duplicate key 'symbol' (first given at line 1)"),
    ],
    ids=["alias-bomb", "deep-list", "deep-map", "duplicate-key"],
)
def test_hostile_config_fails_fast_with_one_line(tmp_path: Path, text: str, needle: str) -> None:
    env = _home_with(tmp_path, text)
    started = time.monotonic()
    result = _subprocess(["run", "--as-of", AS_OF, "--no-notify", "--artifacts-dir",
                          str(tmp_path / "out")], env=env, timeout_secs=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert needle in result.stderr, result.stderr


def test_config_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    env = _home_with(tmp_path, "")
    (Path(env["TB_HOME"]) / "config" / "tracer.yaml").write_bytes(b"symbol: \xff\xfe\n")
    result = _subprocess(["run", "--as-of", AS_OF, "--no-notify", "--artifacts-dir",
                          str(tmp_path / "out")], env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "tracer.yaml: config file is not UTF-8 text (byte 8)" in result.stderr


# -- times out of range: usage errors in every command that reads one ------------------------

_FAR = "9999-12-31T23:59:59Z"


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--as-of", _FAR, "--no-notify"],
        ["universe", "run", "--as-of", _FAR, "--no-notify"],
        ["universe", "plan", "--now", _FAR],
        ["eval", "ingest", "--as-of", _FAR],
        ["eval", "run", "--as-of", _FAR],
        ["eval", "weekly", "--as-of", _FAR],
        ["study", "--start", AS_OF, "--end", _FAR],
        ["study", "--start", "0001-01-01T00:00:00+01:00", "--end", AS_OF],
        ["simulate", "--start", _FAR],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_time_out_of_range_usage_error(args: list[str], tmp_path: Path) -> None:
    if args[0] in ("run", "universe", "eval", "simulate") and args[1] != "plan":
        args = [*args, "--artifacts-dir", str(tmp_path)]
    _assert_clear(_tb(*args), 2, "out of range")
