"""Commit artifact directories back to the repo, rebase on the remote and push.

Every scheduled workflow calls it after its stage wrote artifacts::

    python autocommit.py --stage tracer --path runs --run-id "$GITHUB_RUN_ID"

1. Stage only the given paths (relative to ``--repo``; never the whole tree), then unstage any
   ``*.py`` under them. Nothing to commit: log one line and exit 0.
2. Commit exactly those files as ``"<stage>: <run_id|manual> <UTC ts>Z"``.
3. Fetch the remote branch, rebase onto it and push; when the push is rejected because another
   workflow pushed first, wait (exponential backoff with jitter) and go round again.
   A refused or dropped connection to the remote is retried the same way.
   A rebase conflict on a ``*.csv`` under the artifact paths is resolved by rows:

   * a keyed table (:mod:`shared.store.tables`: ``observations.csv`` by ``forecast_id``,
     ``metrics.csv`` by ``run_id``, ...) keeps one row per key, the remote's row when both
     sides hold the key, then the local rows with new keys; a state table (``unresolved.csv``)
     is recomputed: both sides' rows by key, less the keys its resolving table now holds;
   * any other CSV by a row union: the remote's rows in order, then the local rows the remote
     lacks, header once.

   Any other conflict aborts the rebase, keeps the local commit, and exits 3.

Every commit of an artifact folder carries its own record: a row of
``<folder>/autocommit_log.csv`` (``at``, ``stage``, ``run_id``, ``files``), so ``tb check`` can
count what each stage committed; a row exists exactly when its commit reached the remote.
The final outcome (pushed, nothing to commit, failed with its exit code) is also written to
``$GITHUB_STEP_SUMMARY`` when a workflow provides it.

Environment gates (the roadmap's), read per stage: ``<STAGE>`` is the stage name upper-cased
with ``-`` as ``_`` (``eval-ingest`` reads ``TB_EVAL_INGEST_*``); each is on unless set to
``0``/``false``/``no``/``off`` (any other value is a usage error, exit 2):

* ``TB_<STAGE>_GIT_AUTOCOMMIT``: off skips the commit altogether (the outcome says so);
* ``TB_<STAGE>_GIT_PUSH``: off commits locally and does not push (a fork, a dry run);
* ``TB_<STAGE>_GIT_INCLUDE_DATA``: off leaves data files (``*.parquet``, ``*.csv.gz`` and the
  content-addressed ``bars/`` store) unstaged, so only the JSON/CSV records are committed.

Exit codes: 0 pushed, committed (push off), nothing to commit or disabled; 1 git or push
failure; 2 usage; 3 unresolvable rebase conflict.
Identity: ``GIT_AUTHOR_NAME``/``GIT_AUTHOR_EMAIL`` when set, else the bot.
Credentials: when ``AUTOCOMMIT_TOKEN`` is set (a workflow passes ``github.token`` to the commit
step only; checkout does not persist it), git gets it as an HTTP authorization header through
its environment (``GIT_CONFIG_*``), never written to ``.git/config``. The token and credentials
in remote URLs are redacted from every log line.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from git import Repo
from git.exc import GitCommandError
from git.objects.blob import Blob

from shared.store.tables import TableSpec, keys_of, merge_table, table_for

__all__ = [
    "AutocommitError",
    "Gates",
    "Options",
    "RebaseConflictError",
    "TransientGitError",
    "autocommit",
    "write_step_summary",
    "commit_message",
    "gate_name",
    "is_data_file",
    "read_gates",
    "is_retryable_push_error",
    "main",
    "merge_csv_rows",
    "redact",
    "retry_delay",
]

logger = logging.getLogger("autocommit")

DEFAULT_AUTHOR_NAME = "tracer-bullet[bot]"
DEFAULT_AUTHOR_EMAIL = "tracer-bullet-bot@users.noreply.github.com"
EXIT_FAILURE = 1
EXIT_CONFLICT = 3
MAX_REBASE_STEPS = 50  # one per local commit being replayed; a runaway loop is a bug

# Push failures that mean "the remote moved or was busy": rebase again and retry.
_RETRYABLE_PUSH = (
    "[rejected]",
    "updates were rejected because",
    "non-fast-forward",
    "fetch first",
    "cannot lock ref",
    "failed to update ref",
    "incorrect old value provided",
    "could not resolve host",
    "connection reset",
    "connection timed out",
    "operation timed out",
    "the remote end hung up unexpectedly",
    "connection refused",
    "failed to connect",
    "couldn't connect to server",
    "could not connect to server",
    "network is unreachable",
    "temporary failure in name resolution",
    "early eof",
    "rpc failed",
    "http 5",
    "error: 5",
)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")
_GITHUB_TOKEN = re.compile(r"\bgh[pousr]_[A-Za-z0-9]{16,}\b")
TOKEN_ENV = "AUTOCOMMIT_TOKEN"  # noqa: S105 - the name of the variable, not a secret
_secrets: list[str] = []  # the token and its header form, once configured (for redact)


class AutocommitError(Exception):
    """A git step failed; any local commit is kept."""

    exit_code = EXIT_FAILURE


class TransientGitError(AutocommitError):
    """A fetch failed for a reason worth retrying (network, remote busy)."""


class RebaseConflictError(AutocommitError):
    """The rebase hit a conflict that is not an append-only CSV; it was aborted."""

    exit_code = EXIT_CONFLICT


@dataclass(frozen=True)
class Options:
    """What to commit and where to push it."""

    stage: str
    paths: tuple[str, ...]
    run_id: str | None = None
    remote: str = "origin"
    branch: str | None = None
    retries: int = 5
    repo_dir: Path = Path()
    backoff_base_secs: float = 2.0
    backoff_max_secs: float = 60.0
    push: bool = True  # TB_<STAGE>_GIT_PUSH
    include_data: bool = True  # TB_<STAGE>_GIT_INCLUDE_DATA


_FALSE = frozenset({"0", "false", "no", "off"})
_TRUE = frozenset({"", "1", "true", "yes", "on"})
_DATA_SUFFIXES = (".parquet", ".csv.gz")


@dataclass(frozen=True)
class Gates:
    """The roadmap's per-stage environment gates (all on unless set off)."""

    autocommit: bool = True
    push: bool = True
    include_data: bool = True


def gate_name(stage: str, gate: str) -> str:
    """``gate_name("eval-ingest", "PUSH") == "TB_EVAL_INGEST_GIT_PUSH"``."""
    return f"TB_{re.sub(r'[^A-Z0-9]', '_', stage.upper())}_GIT_{gate}"


def read_gates(stage: str, environ: Mapping[str, str] = os.environ) -> Gates:
    """Read ``TB_<STAGE>_GIT_{AUTOCOMMIT,PUSH,INCLUDE_DATA}``; raise ``ValueError`` naming the
    variable when a value is neither on nor off."""
    values = {}
    for gate in ("AUTOCOMMIT", "PUSH", "INCLUDE_DATA"):
        name = gate_name(stage, gate)
        raw = environ.get(name, "").strip().lower()
        if raw not in _FALSE | _TRUE:
            raise ValueError(f"{name}={environ[name]!r}: use true/false (1/0, yes/no, on/off)")
        values[gate.lower()] = raw not in _FALSE
    return Gates(**values)


def is_data_file(path: str) -> bool:
    """A data file the include-data gate leaves out: Parquet, gzipped CSV, the bars store."""
    parts = PurePosixPath(path).parts
    return path.endswith(_DATA_SUFFIXES) or "bars" in parts[:-1]


def redact(text: str) -> str:
    """Replace credentials in URLs (``https://user:token@host``), GitHub tokens and the
    configured ``AUTOCOMMIT_TOKEN`` with ``***``."""
    for secret in _secrets:
        text = text.replace(secret, "***")
    return _GITHUB_TOKEN.sub("***", _URL_CREDENTIALS.sub(r"\g<scheme>***@", text))


def commit_message(stage: str, run_id: str | None, now: datetime) -> str:
    """Return ``"<stage>: <run_id> <ISO UTC ts>Z"``; a missing run id reads ``manual``."""
    if now.tzinfo is None:
        raise ValueError("commit timestamp must be timezone-aware")
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{stage}: {run_id or 'manual'} {stamp}"


def retry_delay(
    attempt: int, *, base_secs: float, max_secs: float, random_fn: Callable[[], float]
) -> float:
    """Return the wait before retry ``attempt`` (1-based): capped exponential, equal jitter."""
    cap = min(max_secs, base_secs * 2.0 ** (attempt - 1))
    return cap / 2 + random_fn() * cap / 2


def is_retryable_push_error(stderr: str) -> bool:
    """Tell whether a failed push should be retried after a fresh rebase."""
    lowered = stderr.lower()
    return any(marker in lowered for marker in _RETRYABLE_PUSH)


def merge_csv_rows(upstream: str, local: str) -> str | None:
    """Union two versions of an append-only CSV; ``None`` when the headers differ.

    Example: ``merge_csv_rows("h\\na\\nb\\n", "h\\na\\nc\\n") == "h\\na\\nb\\nc\\n"``.
    Upstream rows keep their order; local rows the upstream lacks follow in their own order.
    """
    upstream_records = _csv_records(upstream)
    local_records = _csv_records(local)
    if not upstream_records or not local_records:
        return "".join(upstream_records or local_records)
    if upstream_records[0] != local_records[0]:
        return None
    remaining = Counter(upstream_records[1:])
    merged = list(upstream_records)
    for record in local_records[1:]:
        if remaining[record] > 0:
            remaining[record] -= 1
        else:
            merged.append(record)
    return "".join(merged)


# Split CSV text into newline-terminated records; a quoted field may span lines (RFC 4180
# doubles embedded quotes, so an odd quote count means the record is still open).
def _csv_records(text: str) -> list[str]:
    records: list[str] = []
    pending = ""
    for line in text.splitlines(keepends=True):
        pending += line
        if pending.count('"') % 2 == 0:
            records.append(pending.rstrip("\r\n") + "\n")
            pending = ""
    if pending:
        records.append(pending.rstrip("\r\n") + "\n")
    return [record for record in records if record.strip()]


def autocommit(
    options: Options,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep_fn: Callable[[float], None] = time.sleep,
    random_fn: Callable[[], float] = random.random,
    environ: Mapping[str, str] = os.environ,
) -> bool:
    """Commit and push the artifact paths; return ``False`` when there was nothing to commit."""
    paths = tuple(_normalize_path(p) for p in options.paths)
    with Repo(options.repo_dir, search_parent_directories=False) as repo:
        repo.git.update_environment(**_git_environment(environ))
        dirty = [p for p in paths if repo.is_dirty(untracked_files=True, path=p)]
        if not dirty:
            logger.info("nothing to commit under %s", ", ".join(paths))
            return False
        files = _stage(repo, dirty)
        if not options.include_data:
            files = _unstage_data(repo, files)
        if not files:
            logger.info("nothing to commit under %s (only *.py changed)", ", ".join(paths))
            return False
        branch = options.branch or _current_branch(repo)
        now = clock()
        record = _record(Path(repo.working_tree_dir or options.repo_dir), dirty, options,
                         now, len(files))
        if record is not None:
            files = sorted({*files, *_stage(repo, [record])})
        message = commit_message(options.stage, options.run_id, now)
        _commit(repo, files, message)
        logger.info("committed %d file(s): %s", len(files), message)
        if not options.push:
            logger.info("push is off (%s): the commit stays local",
                        gate_name(options.stage, "PUSH"))
            return True
        _push_with_retries(repo, options, branch, paths, sleep_fn=sleep_fn, random_fn=random_fn)
    return True


OUTCOME_LOG = "autocommit_log.csv"
OUTCOME_COLUMNS = ("at", "stage", "run_id", "files")


def _record(root: Path, dirty: Sequence[str], options: Options, now: datetime,
            files: int) -> str | None:
    # Append this commit's row to the first artifact folder's log (a folder, not a file such
    # as BOARD.md); returns the log's path relative to the repo, or None.
    folder = next((p for p in dirty if (root / p).is_dir()), None)
    if folder is None:
        return None
    relpath = f"{folder}/{OUTCOME_LOG}"
    target = root / relpath
    row = [now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), options.stage,
           options.run_id or "manual", str(files)]
    new = not target.is_file() or target.stat().st_size == 0
    text = target.read_text(encoding="utf-8") if not new else ""
    if text and not text.endswith("\n"):
        text += "\n"
    lines = ([",".join(OUTCOME_COLUMNS)] if new else []) + [",".join(_csv_cell(c) for c in row)]
    target.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    return relpath


def _csv_cell(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in ',"\n') else value


def write_step_summary(stage: str, outcome: str, environ: Mapping[str, str] = os.environ
                       ) -> None:
    """One line about the outcome in the job summary (when the workflow provides one)."""
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(f"autocommit ({stage}): {redact(outcome)}\n")
    except OSError as e:
        logger.warning("could not write the job summary: %s", e.strerror)


# Reject paths that escape the repo or name the whole tree; return a clean posix relative path.
def _normalize_path(raw: str) -> str:
    path = PurePosixPath(raw.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or str(path) in {"", "."}:
        raise AutocommitError(f"--path must be a directory inside the repo, got {raw!r}")
    return str(path)


def _git_environment(environ: Mapping[str, str]) -> dict[str, str]:
    name = environ.get("GIT_AUTHOR_NAME") or DEFAULT_AUTHOR_NAME
    email = environ.get("GIT_AUTHOR_EMAIL") or DEFAULT_AUTHOR_EMAIL
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": environ.get("GIT_COMMITTER_NAME") or name,
        "GIT_COMMITTER_EMAIL": environ.get("GIT_COMMITTER_EMAIL") or email,
        "GIT_EDITOR": "true",  # `rebase --continue` must never open an editor
        "GIT_TERMINAL_PROMPT": "0",  # no stdin in CI: fail instead of asking for credentials
        "GIT_LITERAL_PATHSPECS": "1",  # artifact file names are paths, never globs
        **_token_environment(environ),
    }


# The token as git config passed through the environment (git >= 2.31): an extra HTTP header
# for the server's URLs, in this process's git calls only.
def _token_environment(environ: Mapping[str, str]) -> dict[str, str]:
    token = environ.get(TOKEN_ENV, "")
    if not token:
        return {}
    server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    _secrets[:] = sorted({token, basic}, key=len, reverse=True)
    count = int(environ.get("GIT_CONFIG_COUNT") or 0)
    return {
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": f"http.{server}/.extraheader",
        f"GIT_CONFIG_VALUE_{count}": f"AUTHORIZATION: basic {basic}",
    }


def _current_branch(repo: Repo) -> str:
    if repo.head.is_detached:
        raise AutocommitError("HEAD is detached; pass --branch to name the branch to push")
    return str(repo.active_branch.name)


# Stage the paths, unstage *.py under them, and return the staged non-.py files.
def _stage(repo: Repo, paths: Sequence[str]) -> list[str]:
    repo.git.add("--all", "--", *paths)
    staged = _staged_files(repo, paths)
    python_files = [f for f in staged if f.endswith(".py")]
    if python_files:
        if repo.head.is_valid():
            repo.git.reset("-q", "HEAD", "--", *python_files)
        else:
            repo.git.rm("--cached", "-q", "--", *python_files)
        logger.info("left %d *.py file(s) unstaged", len(python_files))
    return [f for f in staged if not f.endswith(".py")]


# The include-data gate: data files go back out of the index (they stay in the tree).
def _unstage_data(repo: Repo, files: Sequence[str]) -> list[str]:
    data = [f for f in files if is_data_file(f)]
    if data:
        if repo.head.is_valid():
            repo.git.reset("-q", "HEAD", "--", *data)
        else:
            repo.git.rm("--cached", "-q", "--", *data)
        logger.info("left %d data file(s) unstaged (include-data is off)", len(data))
    return [f for f in files if f not in set(data)]


def _staged_files(repo: Repo, paths: Sequence[str]) -> list[str]:
    if repo.head.is_valid():
        out = str(repo.git.diff("--cached", "--name-only", "-z", "HEAD", "--", *paths))
    else:
        out = str(repo.git.ls_files("--cached", "-z", "--", *paths))
    return sorted(f for f in out.split("\0") if f)


# `commit --only <files>` commits those files and nothing else that may sit in the index.
def _commit(repo: Repo, files: Sequence[str], message: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".pathspec", delete=False) as spec:
        spec.write("\0".join(files) + "\0")
    try:
        repo.git.commit(
            "--only",
            "-q",
            "-m",
            message,
            f"--pathspec-from-file={spec.name}",
            "--pathspec-file-nul",
        )
    except GitCommandError as e:
        raise AutocommitError(f"git commit failed: {_stderr(e)}") from e
    finally:
        Path(spec.name).unlink()


def _push_with_retries(
    repo: Repo,
    options: Options,
    branch: str,
    paths: Sequence[str],
    *,
    sleep_fn: Callable[[float], None],
    random_fn: Callable[[], float],
) -> None:
    remote = options.remote
    logger.info("pushing to %s (%s) branch %s", remote, _remote_url(repo, remote), branch)
    attempts = options.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            upstream = _fetch(repo, remote, branch)
            if upstream is not None:
                _rebase(repo, upstream, paths)
            repo.git.push(remote, f"HEAD:refs/heads/{branch}")
        except (GitCommandError, TransientGitError) as e:
            detail = _stderr(e) if isinstance(e, GitCommandError) else str(e)
            if attempt == attempts or not is_retryable_push_error(detail):
                raise AutocommitError(
                    f"push to {remote}/{branch} failed after {attempt} attempt(s): {detail}"
                ) from e
            delay = retry_delay(
                attempt,
                base_secs=options.backoff_base_secs,
                max_secs=options.backoff_max_secs,
                random_fn=random_fn,
            )
            logger.warning(
                "push rejected (attempt %d/%d), rebasing again in %.1fs: %s",
                attempt,
                attempts,
                delay,
                _first_line(detail),
            )
            sleep_fn(delay)
            continue
        logger.info("pushed %s to %s/%s", repo.head.commit.hexsha[:12], remote, branch)
        return


# Return the fetched tip of the remote branch, or None when the branch does not exist yet.
def _fetch(repo: Repo, remote: str, branch: str) -> str | None:
    try:
        repo.git.fetch("--quiet", remote, f"refs/heads/{branch}")
    except GitCommandError as e:
        detail = _stderr(e)
        if "couldn't find remote ref" in detail.lower():
            logger.info(
                "remote branch %s/%s does not exist yet; pushing creates it", remote, branch
            )
            return None
        error = TransientGitError if is_retryable_push_error(detail) else AutocommitError
        raise error(f"git fetch {remote} {branch} failed: {detail}") from e
    return str(repo.git.rev_parse("FETCH_HEAD"))


def _rebase(repo: Repo, upstream: str, paths: Sequence[str]) -> None:
    try:
        repo.git.rebase("--quiet", "--autostash", upstream)
        return
    except GitCommandError:
        pass  # a conflict (or an empty commit) stopped it; resolve below
    for _ in range(MAX_REBASE_STEPS):
        if not _rebase_in_progress(repo):
            return
        conflicted = _conflicted_files(repo)
        if conflicted:
            _resolve_append_only(repo, conflicted, paths)
            step = "--continue"
        elif _index_matches_head(repo):
            step = "--skip"  # the union left nothing new: this commit is already upstream
        else:
            step = "--continue"
        try:
            repo.git.rebase(step)
            return
        except GitCommandError:
            continue  # the next replayed commit stopped too
    _abort_rebase(repo)
    raise AutocommitError(f"rebase did not finish after {MAX_REBASE_STEPS} steps; aborted")


def _resolve_append_only(repo: Repo, conflicted: Sequence[str], paths: Sequence[str]) -> None:
    others = [f for f in conflicted if not _is_append_only_csv(f, paths)]
    if others:
        _abort_rebase(repo)
        raise RebaseConflictError(
            "rebase conflict on non-append-only file(s): "
            + ", ".join(others)
            + "; rebase aborted, local commit kept; resolve by hand and push"
        )
    blobs = repo.index.unmerged_blobs()
    # State tables last: they are recomputed from the tables that resolve them.
    for name in sorted(conflicted, key=lambda n: _is_state_table(n)):
        stages = {stage: blob for stage, blob in blobs.get(name, [])}
        # During a rebase stage 2 is the upstream side and stage 3 the replayed local commit.
        if 2 not in stages or 3 not in stages:
            _abort_rebase(repo)
            raise RebaseConflictError(
                f"{name}: deleted on one side, changed on the other; rebase aborted, "
                "local commit kept"
            )
        target = Path(str(repo.working_tree_dir)) / name
        merged = _merge_csv(target, name, _blob_text(stages[2]), _blob_text(stages[3]))
        if merged is None:
            _abort_rebase(repo)
            raise RebaseConflictError(
                f"{name}: CSV headers differ between remote and local; rebase aborted, "
                "local commit kept"
            )
        target.write_bytes(merged.encode("utf-8"))
        repo.git.add("--", name)


def _is_state_table(name: str) -> bool:
    spec = table_for(name)
    return spec is not None and spec.kind == "state"


# Merge one conflicted CSV: by key when it is a keyed table, else by row union.
def _merge_csv(target: Path, name: str, upstream: str, local: str) -> str | None:
    spec = table_for(name)
    if spec is None:
        merged = merge_csv_rows(upstream, local)
        if merged is not None:
            logger.info("merged append-only rows in %s", name)
        return merged
    resolved = _resolving_keys(target, name, spec)
    merged = merge_table(spec, upstream, local, resolved=resolved)
    if merged is None:  # headers differ, or they lack the key: rows as for any CSV
        return merge_csv_rows(upstream, local)
    if spec.kind == "state":
        logger.warning("%s: state table recomputed from both sides (rows by %s, less the "
                       "keys in %s); the next run of its stage rewrites it", name,
                       ",".join(spec.key), spec.resolved_by)
    else:
        logger.info("merged %s by key %s", name, ",".join(spec.key))
    return merged


# The keys of the table that resolves a state table, as it stands after this rebase step.
def _resolving_keys(target: Path, name: str, spec: TableSpec) -> set[tuple[str, ...]]:
    if spec.resolved_by is None:
        return set()
    root = target.parents[len(PurePosixPath(spec.path).parts) - 1]
    resolving = root / spec.resolved_by
    if not resolving.is_file():
        return set()
    by_key = TableSpec(spec.resolved_by, spec.key, "append")
    return keys_of(by_key, resolving.read_text(encoding="utf-8"))


def _is_append_only_csv(name: str, paths: Sequence[str]) -> bool:
    in_paths = any(name == p or name.startswith(p.rstrip("/") + "/") for p in paths)
    return in_paths and name.endswith(".csv")


def _blob_text(blob: Blob) -> str:
    data: bytes = blob.data_stream.read()
    return data.decode("utf-8")


def _conflicted_files(repo: Repo) -> list[str]:
    out = str(repo.git.diff("--name-only", "--diff-filter=U", "-z"))
    return sorted(f for f in out.split("\0") if f)


def _index_matches_head(repo: Repo) -> bool:
    try:
        repo.git.diff("--cached", "--quiet", "HEAD")
    except GitCommandError:
        return False
    return True


def _rebase_in_progress(repo: Repo) -> bool:
    git_dir = Path(repo.git_dir)
    return (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists()


def _abort_rebase(repo: Repo) -> None:
    try:
        repo.git.rebase("--abort")
    except GitCommandError as e:
        logger.error("git rebase --abort failed: %s", _stderr(e))


def _remote_url(repo: Repo, remote: str) -> str:
    try:
        return redact(str(repo.remote(remote).url))
    except ValueError:
        return redact(remote)  # not a configured name: a URL or path given directly


def _first_line(detail: str) -> str:
    lines = detail.splitlines() or [""]
    return next((line for line in lines if is_retryable_push_error(line)), lines[0]).strip()


def _stderr(error: GitCommandError) -> str:
    stderr = error.stderr if isinstance(error.stderr, str) else str(error.stderr or "")
    text = stderr.strip().removeprefix("stderr: ").strip("'\n ")
    return redact(text or str(error))


def _parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="autocommit.py",
        description="Commit artifact paths, rebase on the remote and push (see module docstring).",
    )
    parser.add_argument("--stage", required=True, help="stage name, first word of the message")
    parser.add_argument(
        "--path",
        dest="paths",
        action="append",
        required=True,
        help="artifact directory to commit, relative to --repo (repeatable)",
    )
    parser.add_argument("--run-id", default=None, help="run id for the message (default: manual)")
    parser.add_argument("--remote", default="origin", help="remote to push to (default: origin)")
    parser.add_argument("--branch", default=None, help="branch to push (default: current)")
    parser.add_argument(
        "--retries", type=int, default=5, help="push retries after the first try (default: 5)"
    )
    parser.add_argument("--repo", default=".", help="repository directory (default: .)")
    parser.add_argument(
        "--backoff-secs", type=float, default=2.0, help="first retry delay base (default: 2.0)"
    )
    args = parser.parse_args(argv)
    if args.retries < 0 or args.backoff_secs < 0:
        parser.error("--retries and --backoff-secs must be >= 0")
    return Options(
        stage=args.stage,
        paths=tuple(args.paths),
        run_id=args.run_id or None,
        remote=args.remote,
        branch=args.branch or None,
        retries=args.retries,
        repo_dir=Path(args.repo),
        backoff_base_secs=args.backoff_secs,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    logging.basicConfig(level=logging.INFO, format="autocommit: %(levelname)s %(message)s")
    options = _parse_args(argv)
    try:
        gates = read_gates(options.stage)
    except ValueError as e:
        logger.error("%s", e)
        return 2
    if not gates.autocommit:
        name = gate_name(options.stage, "AUTOCOMMIT")
        logger.info("autocommit is off (%s): nothing committed", name)
        write_step_summary(options.stage, f"disabled ({name} is off)")
        return 0
    options = replace(options, push=gates.push, include_data=gates.include_data)
    try:
        pushed = autocommit(options)
    except AutocommitError as e:
        logger.error("%s", redact(str(e)))
        write_step_summary(options.stage, f"failed (exit {e.exit_code}): {_first_line(str(e))}")
        return e.exit_code
    except GitCommandError as e:
        logger.error("git failed: %s", _stderr(e))
        write_step_summary(options.stage, f"failed (exit {EXIT_FAILURE}): git failed")
        return EXIT_FAILURE
    done = ("pushed" if options.push else "committed, not pushed (push is off)")
    write_step_summary(options.stage, done if pushed else "nothing to commit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
