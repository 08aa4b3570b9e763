"""Write universe artifacts: the run file, its metrics row (once per run id), shard partials.

Every file is rendered and validated in memory first, then written atomically; the metrics
file, which refers to the run, is written last. Appending is idempotent: a row whose run id is
already in ``metrics.csv`` is not appended again, so a re-run leaves the tree byte-identical.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from functions.universe.run import METRICS_COLUMNS, Finalized
from shared.contracts import canonical_json
from shared.contracts.signal import PriorTrigger
from shared.contracts.universe import UniverseShard
from shared.errors import ArtifactError
from shared.store.atomic import PendingFile, commit_files
from shared.store.validate import check_artifact_bytes
from shared.universe.sharding import Shard, shard_file_name, shard_set_dir

__all__ = [
    "METRICS_PATH",
    "load_universe_prior_triggers",
    "metrics_with_row",
    "run_path",
    "write_finalized",
    "write_partial",
]

METRICS_PATH = "universe_runs/metrics.csv"


def run_path(as_of: datetime, run_id: str) -> str:
    return f"universe_runs/{as_of:%Y-%m-%d}/{run_id}.json"


def partial_path(partial: UniverseShard) -> str:
    shard = Shard(partial.shard_position, partial.shard_count)
    return f"{shard_set_dir(partial.as_of, partial.universe_digest)}/{shard_file_name(shard)}"


def _validated(pending: Sequence[PendingFile]) -> list[PendingFile]:
    problems = [p for item in pending for p in check_artifact_bytes(item.relpath, item.data)]
    if problems:
        raise ArtifactError("refusing to write invalid universe artifacts:\n"
                            + "\n".join(f"  {p}" for p in problems))
    return list(pending)


def metrics_with_row(existing: bytes | None, row: dict[str, str]) -> bytes | None:
    """``metrics.csv`` with ``row`` appended, or None when its run id is already there."""
    if existing:
        text = existing.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        if not rows or tuple(rows[0]) != METRICS_COLUMNS:
            raise ArtifactError(f"{METRICS_PATH}: unexpected header {rows[:1]} "
                                f"(expected {','.join(METRICS_COLUMNS)})")
        if any(r and r[0] == row["run_id"] for r in rows[1:]):
            return None
        prefix = text if text.endswith("\n") else text + "\n"
    else:
        prefix = _csv_line(list(METRICS_COLUMNS))
    return (prefix + _csv_line([row[c] for c in METRICS_COLUMNS])).encode("utf-8")


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()


def write_finalized(root: Path, finalized: Finalized) -> list[Path]:
    """Write the run file and append its metrics row (unless already there)."""
    run = finalized.run
    pending = [PendingFile(run_path(run.as_of, run.run_id),
                           canonical_json(run).encode("utf-8"))]
    metrics_file = root / METRICS_PATH
    existing = metrics_file.read_bytes() if metrics_file.is_file() else None
    updated = metrics_with_row(existing, finalized.metrics_row)
    if updated is not None:
        pending.append(PendingFile(METRICS_PATH, updated))
    return commit_files(root, _validated(pending))


def write_partial(root: Path, partial: UniverseShard) -> Path:
    """Write one shard's partial (and nothing else)."""
    pending = [PendingFile(partial_path(partial), canonical_json(partial).encode("utf-8"))]
    return commit_files(root, _validated(pending))[0]


def load_universe_prior_triggers(root: Path, as_of: datetime, lookback: timedelta
                                 ) -> dict[str, tuple[PriorTrigger, ...]]:
    """Triggered outcomes in committed universe runs with ``as_of - lookback <= t < as_of``
    (strictly before: a re-run never sees itself), by symbol. An unreadable run file is an
    error, not a skipped one."""
    found: dict[str, list[PriorTrigger]] = {}
    day = (as_of - lookback).date()
    while day <= as_of.date():
        for path in sorted((root / "universe_runs" / day.isoformat()).glob("*.json")):
            try:
                doc = json.loads(path.read_bytes())
                records = doc["symbols"] if doc.get("type") == "universe_run" else []
                triggered = [r["outcome"] for r in records
                             if r.get("outcome") and r["outcome"]["status"] == "triggered"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise ArtifactError(f"{path}: cannot read the universe run ({e})") from e
            for outcome in triggered:
                trigger = PriorTrigger.model_validate_json(json.dumps(
                    {k: outcome[k] for k in ("symbol", "direction", "as_of")}))
                if as_of - lookback <= trigger.as_of < as_of:
                    found.setdefault(trigger.symbol, []).append(trigger)
        day += timedelta(days=1)
    return {s: tuple(sorted(set(t), key=lambda x: x.as_of)) for s, t in sorted(found.items())}
