"""The rollback procedure in docs/operations.md, run exactly as written in a real repository
with a bare remote: config/ and every bot's mode return to the tag, artifacts stay."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _procedure() -> str:
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text.split("## Rollback", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the rollback section has no sh block"
    return block.group(1)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def _mode(repo: Path, bot: str) -> str:
    return str(yaml.safe_load((repo / "config" / "bots" / f"{bot}.yaml").read_text())["mode"])


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    return dict(os.environ)


def test_rollback_procedure_restores_config_and_modes_from_the_tag(
    tmp_path: Path, env: dict[str, str]
) -> None:
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    _git(tmp_path, "clone", "-q", str(remote), str(work))
    shutil.copytree(ROOT / "config", work / "config")
    (work / "runs").mkdir()
    (work / "runs" / "a.json").write_text("{}\n")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "config v1")
    _git(work, "tag", "-a", "cfg-2026-11", "-m", "known good")
    _git(work, "push", "-q", "origin", "main", "--tags")
    tagged = {p.relative_to(work).as_posix(): p.read_bytes()
              for p in sorted((work / "config").rglob("*")) if p.is_file()}
    bot = sorted((work / "config" / "bots").glob("*.yaml"))[0].stem
    original_mode = _mode(work, bot)

    # Later: a mode changed, a parameter file edited, a new bot file added, runs committed.
    other = tmp_path / "other"
    _git(tmp_path, "clone", "-q", str(remote), str(other))
    doc = yaml.safe_load((other / "config" / "bots" / f"{bot}.yaml").read_text())
    doc["mode"] = "quarantined" if original_mode != "quarantined" else "shadow"
    (other / "config" / "bots" / f"{bot}.yaml").write_text(yaml.safe_dump(doc))
    (other / "config" / "bots" / "later.yaml").write_text("mode: advisory\n")
    (other / "config" / "signal.yaml").write_text(
        (other / "config" / "signal.yaml").read_text() + "\n# edited\n")
    (other / "runs" / "b.json").write_text("{}\n")
    _git(other, "add", "-A")
    _git(other, "commit", "-q", "-m", "later changes")
    _git(other, "push", "-q", "origin", "main")

    # The procedure, exactly as documented (TAG set by its first line), in the first clone.
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", _procedure()], cwd=work, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr

    check = tmp_path / "check"
    _git(tmp_path, "clone", "-q", str(remote), str(check))
    restored = {p.relative_to(check).as_posix(): p.read_bytes()
                for p in sorted((check / "config").rglob("*")) if p.is_file()}
    assert restored == tagged
    assert _mode(check, bot) == original_mode
    assert (check / "runs" / "b.json").exists()  # artifacts are not rolled back
    assert _git(check, "log", "-1", "--format=%s").strip() == "rollback: config/ to cfg-2026-11"
    assert _git(check, "diff", "--stat", "cfg-2026-11", "HEAD", "--", "config") == ""
