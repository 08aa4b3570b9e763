"""``tb run``, ``tb replay``, ``tb validate`` and ``tb index``: one tracer cycle and its records."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from functions.cli.options import (
    Symbol,
    allow_unknown_symbol_option,
    artifacts_dir_option,
    as_of_option,
    existing_artifacts_dir_option,
    feed_option,
    json_option,
    pipeline_errors,
    seed_option,
    shown_path,
)

if TYPE_CHECKING:
    from shared.contracts import TracerRun

__all__ = ["index_group", "replay_command", "run_command", "validate_command"]


@click.command("run")
@seed_option()
@as_of_option()
@artifacts_dir_option
@allow_unknown_symbol_option
@click.option("--symbol", type=Symbol(), default=None,
              help="Symbol to run (default: config/tracer.yaml).")
@feed_option()
@click.option("--live", is_flag=True, help="Use real providers for every key that is set.")
@click.option("--require-live", is_flag=True,
              help="Implies --live; when the market-data or news keys are missing, run "
              "nothing, write nothing, say so (stderr, $GITHUB_STEP_SUMMARY, live_ok=false "
              "in $GITHUB_OUTPUT) and exit 0. For schedules: synthetic data is never "
              "committed as if it were live.")
@click.option("--timings", is_flag=True,
              help="Record decision latencies in the artifacts (makes them non-reproducible).")
@click.option("--notify/--no-notify", default=True, show_default=True,
              help="Send the digest to Telegram when its keys are set (else print it).")
@json_option
@pipeline_errors
def run_command(seed: int, as_of: datetime | None, artifacts_dir: Path, symbol: str | None,
                feed: str, live: bool, require_live: bool, timings: bool, notify: bool,
                as_json: bool) -> None:
    """Run one tracer cycle for a symbol and write its artifacts under runs/.

    Prints the digest as plain text (Telegram gets it in MarkdownV2), or with --json one
    JSON object: run_id, symbol, as_of, status, direction, p_up, confidence, target_size,
    reason_codes, degraded, degraded_reasons, feed, delivery, digest (plain text) and
    artifacts (paths as you can open them). Two runs with the same seed, as-of and config
    write byte-identical files (unless --timings).

    Example:

        tb run --seed 7 --as-of 2026-11-20T12:00:00Z --artifacts-dir /tmp/tb
    """
    from functions.tracer.app import run_tracer
    from shared.render.telegram import plain_text

    if require_live:
        from functions.cli.live_gate import refuse_without_live_keys

        if refuse_without_live_keys("tb run"):
            return
        live = True

    result = run_tracer(
        seed=seed, as_of=as_of, artifacts_dir=artifacts_dir, symbol=symbol,
        feed=feed, live=live, timer=time.perf_counter if timings else None, notify=notify,
    )
    shown = {kind: shown_path(artifacts_dir, rel) for kind, rel in sorted(result.paths.items())}
    if as_json:
        click.echo(json.dumps(_run_summary(result.run, shown), sort_keys=True))
        return
    for part in result.run.digest.parts:
        click.echo(plain_text(part))
        click.echo()
    click.echo(f"artifacts: {shown['run']}", err=True)


def _run_summary(run: TracerRun, artifacts: dict[str, str]) -> dict[str, object]:
    """What `tb run --json` prints: the decision, its health and where it was written."""
    from shared.contracts import format_utc
    from shared.render.telegram import plain_text

    outcome, manifest = run.outcome, run.manifest
    return {
        "run_id": run.run_id, "symbol": run.symbol, "as_of": format_utc(run.as_of),
        "status": outcome.status.value,
        "direction": outcome.direction.value if outcome.direction else None,
        "p_up": outcome.p_up, "confidence": outcome.confidence,
        "target_size": outcome.target_size, "reason_codes": list(outcome.reason_codes),
        "degraded": manifest.degraded, "degraded_reasons": list(manifest.degraded_reasons),
        "feed": manifest.feed, "delivery": run.digest.delivery,
        "digest": "\n\n".join(plain_text(p) for p in run.digest.parts),
        "artifacts": artifacts,
    }


@click.command("validate")
@existing_artifacts_dir_option
@json_option
def validate_command(artifacts_dir: Path, as_json: bool) -> None:
    """Check every artifact under --artifacts-dir against its schema and manifest digests.

    Exits 1 and names each bad file and field when anything fails: also a duplicate key in
    a keyed table and a temp file left by an interrupted write. Names, without failing,
    each file a stage quarantined (QUARANTINED) and each tracer inputs/bars file whose run
    file is missing (ORPHANED). With --json: one JSON object (checked, valid, invalid,
    quarantined, problems, quarantined_files, orphans), same exit codes.

    Example:

        tb validate --artifacts-dir /tmp/tb
    """
    from functions.cli.progress import CliProgress
    from shared.store.validate import check_tree

    progress = CliProgress("validate", total=None, unit="file", every=500)
    try:
        report = check_tree(artifacts_dir, on_file=progress.advance)
    finally:
        progress.close()
    count = report.count
    bad_files = len({p.path for p in report.problems if not p.path.endswith(".tmp")})
    quarantined = len(report.quarantined)
    if as_json:
        click.echo(json.dumps({
            "checked": count, "valid": count - bad_files - quarantined, "invalid": bad_files,
            "quarantined": quarantined, "problems": [str(p) for p in report.problems],
            "quarantined_files": [str(p) for p in report.quarantined],
            "orphans": [str(p) for p in report.orphans],
        }, sort_keys=True))
        if report.problems:
            sys.exit(1)
        return
    for problem in report.problems:
        click.echo(f"INVALID {problem}", err=True)
    for problem in report.quarantined:
        click.echo(f"QUARANTINED {problem}", err=True)
    for problem in report.orphans:
        click.echo(f"ORPHANED {problem}", err=True)
    tail = f", {quarantined} quarantined" if quarantined else ""
    click.echo(f"checked {count} files: {count - bad_files - quarantined} valid, "
               f"{bad_files} invalid{tail}")
    if report.problems:
        sys.exit(1)


@click.command("replay")
@click.argument("run_id")
@existing_artifacts_dir_option
@pipeline_errors
def replay_command(run_id: str, artifacts_dir: Path) -> None:
    """Re-run a recorded tracer run from its record alone (no network) and compare.

    Reads runs/*/tracer-RUN_ID.json, its .inputs.json and .bars.parquet, checks the
    manifest's digests, re-runs the decisions and prints a JSON summary with run_id,
    identical and differences. The digest's delivery and decision latencies are not
    replayed. Exits 1 when the re-run differs or the record is missing or corrupted.

    Example:

        tb replay 3f2a9c0d1e4b5a69 --artifacts-dir /tmp/tb
    """
    from functions.tracer.replay import replay_run

    report = replay_run(run_id, artifacts_dir)
    click.echo(json.dumps(report.to_json(), sort_keys=True, indent=2))
    if not report.identical:
        sys.exit(1)


@click.group("index")
def index_group() -> None:
    """The SQLite index of runs and envelopes (derived from the artifacts)."""


@index_group.command("rebuild")
@existing_artifacts_dir_option
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Index file (default: <artifacts-dir>/.tb-cache/index.sqlite).")
@pipeline_errors
def index_rebuild(artifacts_dir: Path, db: Path | None) -> None:
    """Rebuild the index from the artifacts.

    Example:

        tb index rebuild --artifacts-dir .
    """
    from shared.store.index import rebuild_index

    target = db or artifacts_dir / ".tb-cache" / "index.sqlite"
    counts = rebuild_index(artifacts_dir, target)
    click.echo(json.dumps({"db": str(target), **counts}, sort_keys=True))
