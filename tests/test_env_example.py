"""`.env.example` lists every environment variable the code reads, names only."""

from __future__ import annotations

import re
from pathlib import Path

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
_READ = re.compile(
    r"""(?:environ\.get|getenv|envvar=|_number\(env,)\s*\(?\s*["']([A-Z][A-Z0-9_]+)["']""")
# Set by Actions or git itself, not by an operator.
_IGNORED = {"CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_SERVER_URL", "GIT_CONFIG_COUNT"}


def _listed() -> dict[str, str]:
    entries = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            entries[name] = value
    return entries


def _read_by_code() -> set[str]:
    names = {name.upper() for name in Settings.model_fields}
    sources = [ROOT / "autocommit.py", *ROOT.glob("shared/**/*.py"),
               *ROOT.glob("functions/**/*.py")]
    for path in sources:
        names |= set(_READ.findall(path.read_text()))
    return names - _IGNORED


def test_env_example_has_names_and_no_values() -> None:
    entries = _listed()
    assert entries, ".env.example lists nothing"
    assert {name for name, value in entries.items() if value} == set()
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in entries)


def test_env_example_lists_every_variable_the_code_reads() -> None:
    missing = sorted(_read_by_code() - set(_listed()))
    assert missing == []


def test_env_example_lists_each_stage_gate() -> None:
    entries = set(_listed())
    for stage in ("TRACER", "UNIVERSE", "EVAL_INGEST", "EVAL_WEEKLY", "CHECK", "BOARD"):
        for gate in ("AUTOCOMMIT", "PUSH", "INCLUDE_DATA"):
            assert f"TB_{stage}_GIT_{gate}" in entries
