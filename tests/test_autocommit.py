"""autocommit.py against real git repositories: a bare repo in tmp_path is the remote."""

from __future__ import annotations

import base64
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from git import Repo

import autocommit
from autocommit import (
    Options,
    commit_message,
    is_retryable_push_error,
    merge_csv_rows,
    redact,
    retry_delay,
)

AUTOCOMMIT_PY = Path(__file__).resolve().parents[1] / "autocommit.py"
HEADER = "run_id,symbol,score\n"
FIXED_NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No user/system git config and no inherited identity may leak into the repos under test.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.delenv(f"GIT_{role}_NAME", raising=False)
        monkeypatch.delenv(f"GIT_{role}_EMAIL", raising=False)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """Return a bare repo on branch main holding runs/, universe_runs/metrics.csv and notes."""
    bare = tmp_path / "remote.git"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    _git(tmp_path, "clone", "-q", str(bare), str(seed))
    (seed / "runs").mkdir()
    (seed / "runs" / "latest.json").write_text('{"run_id": "base"}\n')
    (seed / "universe_runs").mkdir()
    (seed / "universe_runs" / "metrics.csv").write_text(HEADER + "r0,AAA,0.1\n")
    (seed / "notes.txt").write_text("not an artifact\n")
    _git(seed, "add", "-A")
    _git(seed, "commit", "-q", "-m", "seed")
    _git(seed, "push", "-q", "origin", "HEAD:main")
    return bare


@pytest.fixture
def clone(tmp_path: Path, remote: Path) -> Callable[[str], Path]:
    """Return a factory that clones the remote into tmp_path/<name>."""

    def make(name: str) -> Path:
        path = tmp_path / name
        _git(tmp_path, "clone", "-q", str(remote), str(path))
        return path

    return make


def _run(repo: Path, *paths: str, stage: str = "tracer", run_id: str | None = "r1") -> bool:
    options = Options(stage=stage, paths=paths, run_id=run_id, repo_dir=repo, retries=3)
    return autocommit.autocommit(
        options, clock=lambda: FIXED_NOW, sleep_fn=lambda _secs: None, environ={}
    )


def _remote_files(remote: Path) -> set[str]:
    return set(_git(remote, "ls-tree", "-r", "--name-only", "main").split())


def _remote_text(remote: Path, name: str) -> str:
    return _git(remote, "show", f"main:{name}")


def _append(repo: Path, row: str) -> None:
    with (repo / "universe_runs" / "metrics.csv").open("a") as f:
        f.write(row)


def test_autocommit_nothing_changed_is_noop(
    clone: Callable[[str], Path], remote: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = clone("a")
    (repo / "notes.txt").write_text("edited outside the artifact paths\n")
    before = _git(remote, "rev-parse", "main")
    caplog.set_level(logging.INFO, logger="autocommit")

    assert _run(repo, "runs", "universe_runs") is False

    assert _git(remote, "rev-parse", "main") == before
    assert _git(repo, "rev-parse", "HEAD") == before
    assert [r.getMessage() for r in caplog.records] == [
        "nothing to commit under runs, universe_runs"
    ]


def test_autocommit_only_python_changed_commits_nothing(
    clone: Callable[[str], Path], remote: Path
) -> None:
    repo = clone("a")
    (repo / "runs" / "helper.py").write_text("x = 1\n")
    before = _git(remote, "rev-parse", "main")

    assert _run(repo, "runs") is False

    assert _git(remote, "rev-parse", "main") == before
    assert _git(repo, "status", "--porcelain") == "?? runs/helper.py\n"


def test_autocommit_given_paths_only_strays_stay_uncommitted(
    clone: Callable[[str], Path], remote: Path
) -> None:
    repo = clone("a")
    (repo / "runs" / "2024-05-06").mkdir()
    (repo / "runs" / "2024-05-06" / "tracer-abc.json").write_text("{}\n")
    (repo / "runs" / "helper.py").write_text("x = 1\n")
    (repo / "stray.txt").write_text("stray\n")
    (repo / "staged_elsewhere.txt").write_text("staged by someone else\n")
    _git(repo, "add", "staged_elsewhere.txt")

    assert _run(repo, "runs") is True

    files = _remote_files(remote)
    assert "runs/2024-05-06/tracer-abc.json" in files
    assert not {"runs/helper.py", "stray.txt", "staged_elsewhere.txt"} & files
    status = _git(repo, "status", "--porcelain").splitlines()
    assert sorted(status) == ["?? runs/helper.py", "?? stray.txt", "A  staged_elsewhere.txt"]


def test_autocommit_message_names_stage_run_id_and_utc_time(
    clone: Callable[[str], Path], remote: Path
) -> None:
    repo = clone("a")
    (repo / "runs" / "x.json").write_text("{}\n")

    _run(repo, "runs", stage="eval-ingest", run_id="12345")

    assert _git(remote, "log", "-1", "--format=%s", "main").strip() == (
        "eval-ingest: 12345 2024-05-06T07:08:09Z"
    )


@pytest.mark.parametrize(
    ("run_id", "now", "expected"),
    [
        (None, FIXED_NOW, "tracer: manual 2024-05-06T07:08:09Z"),
        ("abc123", FIXED_NOW, "tracer: abc123 2024-05-06T07:08:09Z"),
        (
            "x",
            datetime.fromisoformat("2024-05-06T09:08:09+02:00"),
            "tracer: x 2024-05-06T07:08:09Z",
        ),
    ],
)
def test_commit_message_format(run_id: str | None, now: datetime, expected: str) -> None:
    assert commit_message("tracer", run_id, now) == expected


def test_commit_message_naive_time_raises() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        commit_message("tracer", None, datetime(2024, 1, 1))


def test_autocommit_identity_defaults_to_bot_else_env(
    clone: Callable[[str], Path], remote: Path
) -> None:
    repo = clone("a")
    (repo / "runs" / "x.json").write_text("{}\n")
    _run(repo, "runs")
    assert _git(remote, "log", "-1", "--format=%an <%ae>|%cn", "main").strip() == (
        "tracer-bullet[bot] <tracer-bullet-bot@users.noreply.github.com>|tracer-bullet[bot]"
    )

    (repo / "runs" / "y.json").write_text("{}\n")
    options = Options(stage="tracer", paths=("runs",), repo_dir=repo)
    env = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com"}
    autocommit.autocommit(options, clock=lambda: FIXED_NOW, environ=env)
    assert _git(remote, "log", "-1", "--format=%an <%ae>", "main").strip() == (
        "Ada <ada@example.com>"
    )


def test_autocommit_second_clone_rebases_and_both_artifacts_land(
    clone: Callable[[str], Path], remote: Path
) -> None:
    first, second = clone("a"), clone("b")
    (first / "runs" / "from-a.json").write_text("{}\n")
    (second / "runs" / "from-b.json").write_text("{}\n")

    _run(first, "runs")
    _run(second, "runs")

    assert {"runs/from-a.json", "runs/from-b.json"} <= _remote_files(remote)
    assert _git(remote, "rev-list", "--count", "main").strip() == "3"  # seed + a + b, linear


def test_autocommit_concurrent_csv_append_keeps_both_rows(
    clone: Callable[[str], Path], remote: Path
) -> None:
    first, second = clone("a"), clone("b")
    _append(first, "r1,BBB,0.2\n")
    _append(second, "r2,CCC,0.3\n")

    _run(first, "universe_runs", stage="universe")
    _run(second, "universe_runs", stage="universe")

    assert _remote_text(remote, "universe_runs/metrics.csv") == (
        HEADER + "r0,AAA,0.1\nr1,BBB,0.2\nr2,CCC,0.3\n"
    )
    assert _git(second, "status", "--porcelain") == ""


def test_autocommit_push_rejected_after_fetch_retries_and_lands(
    clone: Callable[[str], Path], remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another workflow pushes between our fetch and our push: the push is rejected, we back off,
    # fetch and rebase again, and the second push lands.
    first, second = clone("a"), clone("b")
    _append(first, "r1,BBB,0.2\n")
    _append(second, "r2,CCC,0.3\n")
    real_fetch = autocommit._fetch
    fetched_by_second: list[Path] = []

    def fetch_then_other_pushes(repo: Repo, remote_name: str, branch: str) -> str | None:
        tip = real_fetch(repo, remote_name, branch)
        if Path(str(repo.working_tree_dir)) == second:
            fetched_by_second.append(second)
            if len(fetched_by_second) == 1:
                _run(first, "universe_runs", stage="universe", run_id="other")
        return tip

    monkeypatch.setattr(autocommit, "_fetch", fetch_then_other_pushes)
    sleeps: list[float] = []
    options = Options(stage="universe", paths=("universe_runs",), repo_dir=second, retries=2)
    autocommit.autocommit(options, clock=lambda: FIXED_NOW, sleep_fn=sleeps.append, environ={})

    assert len(fetched_by_second) == 2
    assert len(sleeps) == 1
    assert _remote_text(remote, "universe_runs/metrics.csv") == (
        HEADER + "r0,AAA,0.1\nr1,BBB,0.2\nr2,CCC,0.3\n"
    )


def test_autocommit_non_csv_conflict_exits_nonzero_and_keeps_local_commit(
    clone: Callable[[str], Path], remote: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = clone("a"), clone("b")
    (first / "runs" / "latest.json").write_text('{"run_id": "a"}\n')
    (second / "runs" / "latest.json").write_text('{"run_id": "b"}\n')
    _run(first, "runs")
    remote_tip = _git(remote, "rev-parse", "main")

    code = autocommit.main(["--repo", str(second), "--stage", "tracer", "--path", "runs"])

    assert code == 3
    assert "runs/latest.json" in caplog.text
    assert "local commit kept" in caplog.text
    assert _git(remote, "rev-parse", "main") == remote_tip
    assert _git(second, "log", "-1", "--format=%s").startswith("tracer: manual ")
    assert (second / "runs" / "latest.json").read_text() == '{"run_id": "b"}\n'
    assert not (second / ".git" / "rebase-merge").exists()
    assert _git(second, "status", "--porcelain") == ""


def test_autocommit_csv_header_change_is_a_real_conflict(
    clone: Callable[[str], Path], remote: Path
) -> None:
    first, second = clone("a"), clone("b")
    (first / "universe_runs" / "metrics.csv").write_text("run_id,symbol,score,extra\n")
    _append(second, "r2,CCC,0.3\n")
    _run(first, "universe_runs")

    with pytest.raises(autocommit.RebaseConflictError, match="headers differ"):
        _run(second, "universe_runs")
    assert _git(second, "log", "-1", "--format=%s").startswith("tracer: r1 ")


def test_autocommit_detached_head_without_branch_fails(clone: Callable[[str], Path]) -> None:
    repo = clone("a")
    _git(repo, "checkout", "-q", "--detach")
    (repo / "runs" / "x.json").write_text("{}\n")

    code = autocommit.main(["--repo", str(repo), "--stage", "tracer", "--path", "runs"])

    assert code == 1


def test_autocommit_unreachable_remote_exits_nonzero_and_keeps_local_commit(
    clone: Callable[[str], Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = clone("a")
    _git(repo, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    (repo / "runs" / "x.json").write_text("{}\n")

    code = autocommit.main(["--repo", str(repo), "--stage", "tracer", "--path", "runs"])

    assert code == 1
    assert "git fetch origin main failed" in caplog.text
    assert _git(repo, "log", "-1", "--format=%s").startswith("tracer: manual ")


@pytest.mark.parametrize("bad", ["/etc", "../elsewhere", ".", "runs/../.."])
def test_autocommit_path_outside_artifacts_is_refused(
    clone: Callable[[str], Path], bad: str
) -> None:
    repo = clone("a")
    code = autocommit.main(["--repo", str(repo), "--stage", "tracer", "--path", bad])
    assert code == 1


def test_autocommit_logs_remote_url_without_credentials(
    clone: Callable[[str], Path], remote: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = clone("a")
    secret_url = "https://x-access-token:s3cr3t-token@example.invalid/owner/repo.git"
    _git(repo, "remote", "set-url", "origin", secret_url)
    _git(repo, "config", f"url.{remote}.insteadOf", secret_url)  # no network: rewrite to bare
    (repo / "runs" / "x.json").write_text("{}\n")
    caplog.set_level(logging.INFO, logger="autocommit")

    assert _run(repo, "runs") is True

    assert "s3cr3t" not in caplog.text
    assert "https://***@example.invalid/owner/repo.git" in caplog.text


def test_autocommit_two_processes_race_and_both_land(
    clone: Callable[[str], Path], remote: Path
) -> None:
    repos = [clone("a"), clone("b"), clone("c")]
    for i, repo in enumerate(repos, start=1):
        (repo / "universe_runs" / f"run-{i}.json").write_text("{}\n")
        _append(repo, f"r{i},S{i},0.{i}\n")
    command = [sys.executable, str(AUTOCOMMIT_PY), "--stage", "universe", "--path"]
    procs = [
        subprocess.Popen(
            [*command, "universe_runs", "--run-id", f"p{i}", "--repo", str(repo)]
            + ["--backoff-secs", "0.05", "--retries", "8"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i, repo in enumerate(repos, start=1)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]

    assert [proc.returncode for proc in procs] == [0, 0, 0], outputs
    files = _remote_files(remote)
    assert {f"universe_runs/run-{i}.json" for i in (1, 2, 3)} <= files
    rows = _remote_text(remote, "universe_runs/metrics.csv").splitlines(keepends=True)
    assert rows[:2] == [HEADER, "r0,AAA,0.1\n"]
    assert sorted(rows[2:]) == ["r1,S1,0.1\n", "r2,S2,0.2\n", "r3,S3,0.3\n"]
    subjects = _git(remote, "log", "--format=%s", "main").splitlines()
    assert sorted(s.split()[1] for s in subjects[:3]) == ["p1", "p2", "p3"]


@pytest.mark.parametrize(
    ("upstream", "local", "expected"),
    [
        ("h\na\nb\n", "h\na\nc\n", "h\na\nb\nc\n"),
        ("h\na\nb\n", "h\na\nb\n", "h\na\nb\n"),
        ("h\na\n", "h\na\na\n", "h\na\na\n"),  # a repeated row appended locally is kept
        ("h\na", "h\na\nc", "h\na\nc\n"),  # missing trailing newlines
        ("h\r\na\r\n", "h\r\nc\r\n", "h\na\nc\n"),
        ('h\n"multi\nline",1\n', 'h\n"x",2\n', 'h\n"multi\nline",1\n"x",2\n'),
        ("", "h\na\n", "h\na\n"),
    ],
)
def test_merge_csv_rows_union_header_once_stable_order(
    upstream: str, local: str, expected: str
) -> None:
    assert merge_csv_rows(upstream, local) == expected


def test_merge_csv_rows_different_headers_returns_none() -> None:
    assert merge_csv_rows("a,b\n1,2\n", "a,b,c\n1,2,3\n") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "fatal: unable to access 'https://x-access-token:ghs_abc@github.com/o/r.git/'",
            "fatal: unable to access 'https://***@github.com/o/r.git/'",
        ),
        ("token ghp_0123456789abcdefABCDEF leaked", "token *** leaked"),
        ("/tmp/remote.git and origin", "/tmp/remote.git and origin"),
    ],
)
def test_redact_hides_credentials(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_retry_delay_grows_capped_with_jitter() -> None:
    def low() -> float:
        return 0.0

    def high() -> float:
        return 1.0

    assert retry_delay(1, base_secs=2, max_secs=60, random_fn=low) == 1.0
    assert retry_delay(1, base_secs=2, max_secs=60, random_fn=high) == 2.0
    assert retry_delay(3, base_secs=2, max_secs=60, random_fn=high) == 8.0
    assert retry_delay(10, base_secs=2, max_secs=60, random_fn=high) == 60.0


@pytest.mark.parametrize(
    ("stderr", "retryable"),
    [
        (" ! [rejected]        HEAD -> main (fetch first)", True),
        (" ! [rejected]        HEAD -> main (non-fast-forward)", True),
        ("error: cannot lock ref 'refs/heads/main'", True),
        ("fatal: Authentication failed for 'https://github.com/o/r.git/'", False),
        ("remote: Permission to o/r.git denied to github-actions[bot].", False),
    ],
)
def test_is_retryable_push_error(stderr: str, retryable: bool) -> None:
    assert is_retryable_push_error(stderr) is retryable


# ---------------------------------------------------------------- keyed tables, retries, token

OBS_HEADER = "forecast_id,y,resolved_at\n"


def _seed_eval(repo: Path, observations: str, unresolved: str) -> None:
    (repo / "eval_runs").mkdir(exist_ok=True)
    (repo / "eval_runs" / "observations.csv").write_text(OBS_HEADER + observations)
    (repo / "eval_runs" / "unresolved.csv").write_text("forecast_id,reason\n" + unresolved)
    _run(repo, "eval_runs", stage="seed")


def test_autocommit_observations_merge_by_forecast_id_remote_row_wins(
    clone: Callable[[str], Path], remote: Path
) -> None:
    # Two ingests at different times resolve the same forecasts: the rows differ only in
    # resolved_at, so a row union would keep both (the duplicate forecast_ids of issue 11).
    _seed_eval(clone("seed-eval"), "f0,1,T0\n", "")
    first, second = clone("a"), clone("b")
    with (first / "eval_runs" / "observations.csv").open("a") as f:
        f.write("f1,1,T1\nf2,0,T1\n")
    with (second / "eval_runs" / "observations.csv").open("a") as f:
        f.write("f1,1,T2\nf2,0,T2\nf3,1,T2\n")

    _run(first, "eval_runs", stage="eval-ingest")
    _run(second, "eval_runs", stage="eval-ingest")

    assert _remote_text(remote, "eval_runs/observations.csv") == (
        OBS_HEADER + "f0,1,T0\nf1,1,T1\nf2,0,T1\nf3,1,T2\n"
    )


def test_autocommit_unresolved_state_is_recomputed_not_unioned(
    clone: Callable[[str], Path], remote: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _seed_eval(clone("seed-eval"), "", "f1,no_bar_yet\nf2,no_bar_yet\n")
    first, second = clone("a"), clone("b")
    # a resolved f1 (f2 still open); b, from the same start, resolved f2 and met a new f4.
    (first / "eval_runs" / "observations.csv").write_text(OBS_HEADER + "f1,1,T1\n")
    (first / "eval_runs" / "unresolved.csv").write_text("forecast_id,reason\nf2,no_bar_yet\n")
    (second / "eval_runs" / "observations.csv").write_text(OBS_HEADER + "f2,0,T2\n")
    (second / "eval_runs" / "unresolved.csv").write_text(
        "forecast_id,reason\nf1,no_bar_yet\nf4,no_bar_yet\n")
    caplog.set_level(logging.INFO, logger="autocommit")

    _run(first, "eval_runs", stage="eval-ingest")
    _run(second, "eval_runs", stage="eval-ingest")

    assert _remote_text(remote, "eval_runs/observations.csv") == (
        OBS_HEADER + "f1,1,T1\nf2,0,T2\n")
    # Neither side's list, nor their union: what is still unresolved after both.
    assert _remote_text(remote, "eval_runs/unresolved.csv") == (
        "forecast_id,reason\nf4,no_bar_yet\n")
    assert "state table recomputed" in caplog.text


def test_autocommit_refused_connection_is_retried_with_backoff(
    clone: Callable[[str], Path], remote: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = clone("a")
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _git(repo, "remote", "set-url", "origin", f"http://127.0.0.1:{port}/remote.git")
    (repo / "runs" / "x.json").write_text("{}\n")
    delays: list[float] = []

    def sleep(secs: float) -> None:  # the remote comes back while we wait
        delays.append(secs)
        _git(repo, "remote", "set-url", "origin", str(remote))

    caplog.set_level(logging.INFO, logger="autocommit")
    options = Options(stage="tracer", paths=("runs",), run_id="r1", repo_dir=repo, retries=3)
    assert autocommit.autocommit(options, clock=lambda: FIXED_NOW, sleep_fn=sleep,
                                 random_fn=lambda: 0.5, environ={})

    assert len(delays) == 1 and delays[0] > 0
    assert "runs/x.json" in _remote_files(remote)
    assert "rebasing again" in caplog.text


def test_autocommit_token_reaches_git_through_its_environment_only(
    clone: Callable[[str], Path]
) -> None:
    repo = clone("a")
    token = "ghs_" + "T0ken" * 8
    env = autocommit._git_environment({"AUTOCOMMIT_TOKEN": token,
                                       "GITHUB_SERVER_URL": "https://github.example"})
    header = subprocess.run(
        ["git", "config", "--get", "http.https://github.example/.extraheader"], cwd=repo,
        env={**os.environ, **env}, capture_output=True, text=True, check=True).stdout.strip()
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    assert header == f"AUTHORIZATION: basic {basic}"
    (repo / "runs" / "x.json").write_text("{}\n")
    options = Options(stage="tracer", paths=("runs",), run_id="r1", repo_dir=repo, retries=0)
    autocommit.autocommit(options, clock=lambda: FIXED_NOW, sleep_fn=lambda _s: None,
                          environ={"AUTOCOMMIT_TOKEN": token})
    assert token not in (repo / ".git" / "config").read_text()
    assert redact(f"x {token} {basic} y") == "x *** *** y"


@pytest.mark.parametrize(
    "stderr",
    [
        "fatal: unable to access 'http://127.0.0.1:9/r.git/': Failed to connect to 127.0.0.1 "
        "port 9 after 0 ms: Couldn't connect to server",
        "ssh: connect to host github.com port 22: Connection refused",
        "error: RPC failed; curl 56 GnuTLS recv error (-9)",
        "fatal: early EOF",
    ],
)
def test_connection_failures_are_retryable(stderr: str) -> None:
    assert is_retryable_push_error(stderr)


def test_autocommit_records_each_commit_in_the_folders_log_and_both_clones_rows_land(
    clone: Callable[[str], Path], remote: Path
) -> None:
    first, second = clone("a"), clone("b")
    (first / "runs" / "from-a.json").write_text("{}\n")
    (second / "runs" / "from-b.json").write_text("{}\n")
    _run(first, "runs", run_id="111")
    _run(second, "runs", run_id="222")
    rows = _remote_text(remote, "runs/autocommit_log.csv").splitlines()
    assert rows[0] == "at,stage,run_id,files"
    assert sorted(row.split(",")[2] for row in rows[1:]) == ["111", "222"]
    assert all(row.split(",")[1] == "tracer" and row.split(",")[3] == "1" for row in rows[1:])


def test_autocommit_failure_is_written_to_the_job_summary(
    clone: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = clone("a")
    _git(repo, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    (repo / "runs" / "x.json").write_text("{}\n")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code = autocommit.main(["--repo", str(repo), "--stage", "tracer", "--path", "runs"])
    assert code == 1
    assert summary.read_text().startswith("autocommit (tracer): failed (exit 1): ")


# --- the roadmap's environment gates (TB_<STAGE>_GIT_AUTOCOMMIT / _PUSH / _INCLUDE_DATA) ---


def _main(repo: Path, stage: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
          **gates: str) -> tuple[int, str]:
    summary = tmp_path / f"summary-{stage}.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for name, value in gates.items():
        monkeypatch.setenv(name, value)
    code = autocommit.main(["--repo", str(repo), "--stage", stage, "--path", "runs",
                            "--retries", "0"])
    return code, summary.read_text() if summary.exists() else ""


def test_gate_names_follow_the_stage() -> None:
    assert autocommit.gate_name("eval-ingest", "PUSH") == "TB_EVAL_INGEST_GIT_PUSH"
    assert autocommit.gate_name("tracer", "AUTOCOMMIT") == "TB_TRACER_GIT_AUTOCOMMIT"
    assert autocommit.read_gates("tracer", {}) == autocommit.Gates(True, True, True)
    assert autocommit.read_gates("tracer", {"TB_TRACER_GIT_PUSH": "Off"}).push is False
    with pytest.raises(ValueError, match="TB_TRACER_GIT_PUSH"):
        autocommit.read_gates("tracer", {"TB_TRACER_GIT_PUSH": "maybe"})


def test_autocommit_gate_off_commits_nothing(
    clone: Callable[[str], Path], remote: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = clone("a")
    (repo / "runs" / "x.json").write_text("{}\n")
    head = _git(repo, "rev-parse", "HEAD")
    code, summary = _main(repo, "tracer", monkeypatch, tmp_path,
                          TB_TRACER_GIT_AUTOCOMMIT="false")
    assert code == 0
    assert _git(repo, "rev-parse", "HEAD") == head
    assert "disabled (TB_TRACER_GIT_AUTOCOMMIT is off)" in summary
    # another stage's gate does not apply to this one
    code, _ = _main(repo, "tracer", monkeypatch, tmp_path, TB_TRACER_GIT_AUTOCOMMIT="1",
                    TB_UNIVERSE_GIT_AUTOCOMMIT="0")
    assert code == 0
    assert "runs/x.json" in _remote_files(remote)


def test_autocommit_push_gate_off_commits_locally_only(
    clone: Callable[[str], Path], remote: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = clone("a")
    (repo / "runs" / "x.json").write_text("{}\n")
    before = _git(remote, "rev-parse", "main")
    code, summary = _main(repo, "eval-ingest", monkeypatch, tmp_path,
                          TB_EVAL_INGEST_GIT_PUSH="no")
    assert code == 0
    assert _git(remote, "rev-parse", "main") == before
    assert _git(repo, "log", "-1", "--format=%s").startswith("eval-ingest: manual ")
    assert "committed, not pushed" in summary


def test_autocommit_include_data_off_leaves_data_files_unstaged(
    clone: Callable[[str], Path], remote: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = clone("a")
    (repo / "runs" / "bars").mkdir()
    (repo / "runs" / "bars" / "ab.parquet").write_bytes(b"PAR1")
    (repo / "runs" / "d.bars.parquet").write_bytes(b"PAR1")
    (repo / "runs" / "run.json").write_text("{}\n")
    code, _ = _main(repo, "tracer", monkeypatch, tmp_path, TB_TRACER_GIT_INCLUDE_DATA="0")
    assert code == 0
    files = _remote_files(remote)
    assert "runs/run.json" in files
    assert "runs/bars/ab.parquet" not in files and "runs/d.bars.parquet" not in files
    assert "?? runs/" in _git(repo, "status", "--porcelain")


def test_autocommit_bad_gate_value_is_a_usage_error(
    clone: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = clone("a")
    (repo / "runs" / "x.json").write_text("{}\n")
    code, _ = _main(repo, "tracer", monkeypatch, tmp_path, TB_TRACER_GIT_PUSH="perhaps")
    assert code == 2
