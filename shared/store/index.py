"""A SQLite index of runs and envelopes, derived from the artifacts (never the source of
truth: delete it and ``tb index rebuild`` makes it again, identically). Built atomically,
within fixed memory (one run at a time; oversize files are skipped by the readers)."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path

from shared.contracts import TracerRun
from shared.store.readers import tracer_runs_with_paths

__all__ = ["rebuild_index"]

_SCHEMA = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, stage TEXT NOT NULL, as_of TEXT NOT NULL, symbol TEXT,
    feed TEXT NOT NULL, degraded INTEGER NOT NULL, degraded_reasons TEXT NOT NULL,
    path TEXT NOT NULL
);
CREATE TABLE envelopes (
    run_id TEXT NOT NULL REFERENCES runs(run_id), bot TEXT NOT NULL, bot_version TEXT NOT NULL,
    mode TEXT NOT NULL, symbol TEXT, as_of TEXT NOT NULL, status TEXT NOT NULL,
    decision TEXT NOT NULL, effective INTEGER NOT NULL, reason_codes TEXT NOT NULL,
    p_up REAL, horizon_hours INTEGER, latency_ms REAL
);
CREATE INDEX envelopes_by_symbol ON envelopes(symbol, as_of);
"""


def rebuild_index(root: Path, db_path: Path) -> dict[str, int]:
    """Rebuild ``db_path`` from every valid tracer run under ``root`` (an invalid or
    oversize run file is skipped with a warning, see :mod:`shared.store.readers`); returns
    row counts.

    Atomic: the index is built in a temp file beside ``db_path`` and renamed over it only
    when complete; on any failure (or interrupt) the temp file and its journal are removed
    and an existing index is left as it was. Runs are read one at a time.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db_path.with_suffix(".tmp").unlink(missing_ok=True)  # left by versions before this one
    fd, name = tempfile.mkstemp(prefix=f".{db_path.name}.", suffix=".tmp", dir=db_path.parent)
    os.close(fd)
    tmp = Path(name)
    counts = {"runs": 0, "envelopes": 0}
    try:
        conn = sqlite3.connect(tmp)
        try:
            with conn:
                conn.executescript(_SCHEMA)
                for path, run in tracer_runs_with_paths(root):
                    _insert(conn, run, path.relative_to(root).as_posix())
                    counts["runs"] += 1
                    counts["envelopes"] += len(run.envelopes)
        finally:
            conn.close()
        tmp.chmod(0o644)
        tmp.replace(db_path)
    except BaseException:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise
    return counts


def _insert(conn: sqlite3.Connection, run: TracerRun, rel: str) -> None:
    m = run.manifest
    conn.execute(
        "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (run.run_id, m.stage, m.as_of.isoformat(), run.symbol, m.feed, int(m.degraded),
         json.dumps(list(m.degraded_reasons)), rel),
    )
    for e in run.envelopes:
        conn.execute(
            "INSERT INTO envelopes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run.run_id, e.bot, e.bot_version, e.mode.value, e.symbol, e.as_of.isoformat(),
             e.status.value, e.decision.value, int(e.effective), json.dumps(list(e.reason_codes)),
             e.forecast.p_up if e.forecast else None,
             e.forecast.horizon_hours if e.forecast else None, e.latency_ms),
        )
