"""A SQLite index of runs (tracer and universe), envelopes, observations, paper fills and the
readiness board, derived from the artifacts (never the source of truth: delete it and
``tb index rebuild`` makes it again, identically). Times are UTC in one format (``Z``, as the
artifacts write them); reason codes are rows of their own tables, not JSON strings;
docs/index.md documents the schema. Built atomically, within fixed memory (one run at a time;
oversize files are skipped by the readers)."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from shared.contracts import TracerRun, format_utc
from shared.contracts.universe import UniverseRun
from shared.store.layout import RUNS_DIR, EvalPaths
from shared.store.limits import oversize
from shared.store.readers import tracer_runs_with_paths, universe_runs_with_paths

__all__ = ["rebuild_index"]

_SCHEMA = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, stage TEXT NOT NULL, as_of TEXT NOT NULL, symbol TEXT,
    feed TEXT NOT NULL, degraded INTEGER NOT NULL, path TEXT NOT NULL
);
CREATE TABLE run_degraded_reasons (
    run_id TEXT NOT NULL REFERENCES runs(run_id), code TEXT NOT NULL
);
CREATE TABLE envelopes (
    envelope_id INTEGER PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(run_id),
    bot TEXT NOT NULL, bot_version TEXT NOT NULL, mode TEXT NOT NULL, symbol TEXT,
    as_of TEXT NOT NULL, status TEXT NOT NULL, decision TEXT NOT NULL,
    effective INTEGER NOT NULL, p_up REAL, horizon_hours INTEGER, latency_ms REAL
);
CREATE TABLE envelope_reasons (
    envelope_id INTEGER NOT NULL REFERENCES envelopes(envelope_id), run_id TEXT NOT NULL,
    code TEXT NOT NULL
);
CREATE TABLE observations (
    forecast_id TEXT, source TEXT, feed TEXT, run_id TEXT, symbol TEXT, asset_class TEXT,
    bot TEXT, bot_version TEXT, direction TEXT, as_of TEXT, horizon_hours INTEGER,
    target_at TEXT, p REAL, y INTEGER, status TEXT, resolved_at TEXT
);
CREATE TABLE paper_fills (
    fill_id TEXT, as_of TEXT, symbol TEXT, side TEXT, qty REAL, price REAL, fee REAL,
    cash_after REAL
);
CREATE TABLE board_bots (
    bot TEXT PRIMARY KEY, status TEXT, mode TEXT, earned_mode TEXT, allowed_mode TEXT
);
CREATE INDEX envelopes_by_symbol ON envelopes(symbol, as_of);
CREATE INDEX envelope_reasons_by_code ON envelope_reasons(code);
CREATE INDEX run_degraded_reasons_by_code ON run_degraded_reasons(code);
"""
_OBSERVATION_COLUMNS = ("forecast_id", "source", "feed", "run_id", "symbol", "asset_class", "bot",
                        "bot_version", "direction", "as_of", "horizon_hours", "target_at", "p",
                        "y", "status", "resolved_at")
_TIME_COLUMNS = frozenset(("as_of", "target_at", "resolved_at"))
_FILL_COLUMNS = ("fill_id", "as_of", "symbol", "side", "qty", "price", "fee", "cash_after")


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
    counts = {"runs": 0, "envelopes": 0, "universe_runs": 0, "observations": 0,
              "paper_fills": 0, "board_bots": 0}
    try:
        conn = sqlite3.connect(tmp)
        try:
            with conn:
                conn.executescript(_SCHEMA)
                for path, run in tracer_runs_with_paths(root):
                    _insert(conn, run, path.relative_to(root).as_posix())
                    counts["runs"] += 1
                    counts["envelopes"] += len(run.envelopes)
                for path, urun in universe_runs_with_paths(root):
                    _insert_universe(conn, urun, path.relative_to(root).as_posix())
                    counts["universe_runs"] += 1
                counts["observations"] = _insert_observations(conn, root)
                counts["paper_fills"] = _insert_fills(conn, root)
                counts["board_bots"] = _insert_board(conn, root)
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
    conn.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (run.run_id, m.stage, format_utc(m.as_of), run.symbol, m.feed,
                  int(m.degraded), rel))
    conn.executemany("INSERT INTO run_degraded_reasons VALUES (?, ?)",
                     [(run.run_id, code) for code in m.degraded_reasons])
    for e in run.envelopes:
        cursor = conn.execute(
            "INSERT INTO envelopes (run_id, bot, bot_version, mode, symbol, as_of, status, "
            "decision, effective, p_up, horizon_hours, latency_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run.run_id, e.bot, e.bot_version, e.mode.value, e.symbol, format_utc(e.as_of),
             e.status.value, e.decision.value, int(e.effective),
             e.forecast.p_up if e.forecast else None,
             e.forecast.horizon_hours if e.forecast else None, e.latency_ms),
        )
        conn.executemany("INSERT INTO envelope_reasons VALUES (?, ?, ?)",
                         [(cursor.lastrowid, run.run_id, code) for code in e.reason_codes])


def _insert_universe(conn: sqlite3.Connection, run: UniverseRun, rel: str) -> None:
    m = run.manifest
    conn.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (run.run_id, m.stage, format_utc(m.as_of), None, m.feed, int(m.degraded), rel))
    conn.executemany("INSERT INTO run_degraded_reasons VALUES (?, ?)",
                     [(run.run_id, code) for code in m.degraded_reasons])


def _z(value: str | None) -> str | None:
    """A stored time in the index's one format (UTC, ``Z``); text that is not a time is kept."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return format_utc(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _insert_observations(conn: sqlite3.Connection, root: Path) -> int:
    path = EvalPaths(root).observations
    if not path.is_file() or oversize(path) is not None:
        return 0
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [[_z(row.get(c)) if c in _TIME_COLUMNS else (row.get(c) or None)
                 for c in _OBSERVATION_COLUMNS] for row in csv.DictReader(handle)]
    conn.executemany("INSERT INTO observations VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def _insert_fills(conn: sqlite3.Connection, root: Path) -> int:
    path = root / RUNS_DIR / "paper" / "fills.jsonl"
    if not path.is_file() or oversize(path) is not None:
        return 0
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            fill = json.loads(line)
        except ValueError:
            continue  # a torn last line of an append-only ledger
        if isinstance(fill, dict):
            rows.append([_z(fill.get(c)) if c == "as_of" else fill.get(c) for c in _FILL_COLUMNS])
    conn.executemany("INSERT INTO paper_fills VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def _insert_board(conn: sqlite3.Connection, root: Path) -> int:
    path = root / "board.json"
    if not path.is_file() or oversize(path) is not None:
        return 0
    try:
        board = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return 0
    bots = [b for b in (board.get("bots") or []) if isinstance(b, dict)] \
        if isinstance(board, dict) else []
    conn.executemany("INSERT OR REPLACE INTO board_bots VALUES (?, ?, ?, ?, ?)",
                     [(str(b.get("bot")), b.get("status"), b.get("mode"), b.get("earned_mode"),
                       b.get("allowed_mode")) for b in bots])
    return len(bots)
