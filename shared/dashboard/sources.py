"""Read every committed artifact the dashboard shows, by the layout's paths and globs.

Each source is read on its own and comes back as a :class:`Source`: ``available`` is False
when nothing is there yet (a stage that has not run, or whose code has not landed), so a page
says "not yet available" instead of drawing an empty chart that looks like data. A file that
cannot be used is skipped and named in ``problems`` (one bad file never stops the build).

Runs (tracer, universe) are validated through :mod:`shared.store.readers`; the other sources
are read by their committed shapes (``schemas/``) as plain JSON/CSV, so the dashboard picks up
a source as soon as its files appear without importing the stage that writes them.
Times are normalised to one format, ISO-8601 UTC with ``Z`` (as the artifacts write them).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.contracts import format_utc
from shared.store.bars import is_slice_path
from shared.store.layout import BACKTESTS_DIR, EVAL_DIR, RUNS_DIR, UNIVERSE_DIR
from shared.store.limits import oversize
from shared.store.readers import tracer_runs_with_paths, universe_runs

__all__ = ["Artifacts", "Source", "load_artifacts", "plain_digest", "to_z"]

logger = logging.getLogger(__name__)

PAPER_DIR = f"{RUNS_DIR}/paper"
OPTIMIZER_GLOB = f"{RUNS_DIR}/optimizer/*/*.json"
CHECKS_GLOB = f"{EVAL_DIR}/checks/*.json"
DRILLS_GLOB = f"{RUNS_DIR}/drills/*.json"
BOARD_FILE = "board.json"
MAX_TABLE_ROWS = 200  # the newest rows a ledger table shows (the chart shows every row)
BARS_RUNS_PER_SYMBOL = 24  # the newest runs whose bars are read (each holds its look-back window)


@dataclass
class Source:
    """One source of the dashboard: where it is read from, whether anything is there yet,
    what it holds, and the files that were passed over."""

    name: str
    pattern: str
    items: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return bool(self.items)


@dataclass
class Artifacts:
    """Everything the pages draw from, read once."""

    tracer: Source
    universe: Source
    bars: dict[str, list[dict[str, Any]]]
    observations: Source
    snapshots: Source
    trend: Source
    board: Source
    backtests: Source
    optimizer: Source
    paper: Source
    checks: Source
    drills: Source

    def sources(self) -> list[Source]:
        return [self.tracer, self.universe, self.observations, self.snapshots, self.trend,
                self.board, self.backtests, self.optimizer, self.paper, self.checks,
                self.drills]


def to_z(value: Any) -> str | None:
    """An ISO-8601 time in the one format the dashboard shows (UTC, ``Z``); None when the
    value is not a time."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_utc(moment)


_MD_ESCAPE = re.compile(r"\\([_*\[\]()~`>#+\-=|{}.!\\])")


def plain_digest(parts: Iterable[str]) -> str:
    """A digest's Telegram MarkdownV2 as plain text (the escapes and emphasis marks
    removed), for a page to show as text."""
    text = "\n".join(parts)
    text = re.sub(r"(?<!\\)[*_~`]", "", text)
    return _MD_ESCAPE.sub(r"\1", text)


def load_artifacts(root: Path) -> Artifacts:
    """Read every source under ``root`` (an artifacts root; a missing folder is an empty
    dashboard, not an error)."""
    tracer = _tracer(root)
    return Artifacts(
        tracer=tracer,
        universe=_universe(root),
        bars=_bars(root, tracer),
        observations=_csv_source(root, "observations", f"{EVAL_DIR}/observations.csv"),
        snapshots=_json_source(root, "evaluation snapshots",
                               (f"{EVAL_DIR}/*/metrics.json", f"{EVAL_DIR}/*/*/metrics.json"),
                               kind="eval_snapshot"),
        trend=_csv_source(root, "evaluation trend", f"{EVAL_DIR}/trend.csv"),
        board=_json_source(root, "readiness board", (BOARD_FILE,), kind=None),
        backtests=_backtests(root),
        optimizer=_json_source(root, "tuning runs", (OPTIMIZER_GLOB,), kind="optimizer_run"),
        paper=_paper(root),
        checks=_json_source(root, "checks", (CHECKS_GLOB,), kind="check_report"),
        drills=_json_source(root, "drills", (DRILLS_GLOB,), kind="drill_result"),
    )


def _tracer(root: Path) -> Source:
    source = Source("tracer runs", f"{RUNS_DIR}/<day>/tracer-<run_id>.json")
    for path, run in tracer_runs_with_paths(root):
        m = run.manifest
        outcome = run.outcome
        narrative = next((e.numbers.get("narrative_score") for e in outcome.evidence
                          if "narrative_score" in e.numbers), None)
        source.items.append({
            "run_id": run.run_id, "stage": m.stage, "as_of": to_z(run.as_of),
            "symbol": run.symbol, "feed": m.feed, "degraded": m.degraded,
            "degraded_reasons": list(m.degraded_reasons), "status": outcome.status.value,
            "direction": outcome.direction.value if outcome.direction else None,
            "p_up": outcome.p_up, "divergence": outcome.divergence,
            "narrative_score": narrative, "reason_codes": list(outcome.reason_codes),
            "evidence_lines": list(outcome.evidence_lines),
            "digest": plain_digest(run.digest.parts), "path": path.relative_to(root).as_posix(),
            # the bars it decided on: its own file (older runs) or its day slices in the
            # content-addressed store (runs/bars/<sha256>.parquet)
            "bars_files": [f for f in sorted(m.files or ())
                           if f.endswith(".bars.parquet") or is_slice_path(f)],
        })
    source.items.sort(key=lambda r: (r["as_of"], r["symbol"], r["run_id"]))
    return source


def _universe(root: Path) -> Source:
    source = Source("universe runs", f"{UNIVERSE_DIR}/<day>/<run_id>.json")
    for run in universe_runs(root):
        data = json.loads(run.model_dump_json())
        m = data.get("manifest", {})
        source.items.append({
            "run_id": data.get("run_id"), "as_of": to_z(data.get("as_of")),
            "feed": m.get("feed"), "degraded": bool(m.get("degraded")),
            "degraded_reasons": list(m.get("degraded_reasons", ())),
            "counts": data.get("counts", {}),
            "digest": plain_digest(data.get("digest_parts") or ()),
        })
    source.items.sort(key=lambda r: (r["as_of"] or "", r["run_id"] or ""))
    return source


def _bars(root: Path, tracer: Source) -> dict[str, list[dict[str, Any]]]:
    """Each symbol's close prices, the union of the bars its newest runs decided on (a later
    run's bar wins for the same time). Only the newest :data:`BARS_RUNS_PER_SYMBOL` runs per
    symbol are read, so a build stays quick after months of hourly runs."""
    import pandas as pd  # deferred: only a build with tracer runs reads parquet

    newest: dict[str, list[dict[str, Any]]] = {}
    for run in tracer.items:  # sorted by as-of
        newest.setdefault(run["symbol"], []).append(run)
    chosen = [run for runs in newest.values() for run in runs[-BARS_RUNS_PER_SYMBOL:]]
    chosen.sort(key=lambda r: (r["as_of"], r["run_id"]))
    out: dict[str, dict[str, float]] = {}
    for run in chosen:
        frames = []
        for rel in run.get("bars_files") or ():
            path = root / rel
            try:
                if oversize(path) is not None:
                    raise OSError("oversize")
                frames.append(pd.read_parquet(path))
            except (OSError, ValueError) as e:
                tracer.problems.append(f"{rel}: unreadable bars ({e})")
        if not frames:
            continue
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        rel = ", ".join(run["bars_files"])
        if "symbol" in frame.columns:
            frame = frame[frame["symbol"] == run["symbol"]]
        time_col = next((c for c in ("end", "ts", "time", "start") if c in frame.columns), None)
        if time_col is None or "close" not in frame.columns:
            tracer.problems.append(f"{rel}: no time or close column")
            continue
        series = out.setdefault(run["symbol"], {})
        for when, close in zip(frame[time_col], frame["close"], strict=True):
            stamp = to_z(when.to_pydatetime() if hasattr(when, "to_pydatetime") else when)
            if stamp is not None and _finite(close):
                series[stamp] = float(close)
    return {symbol: [{"time": t, "close": c} for t, c in sorted(series.items())]
            for symbol, series in sorted(out.items())}


def _backtests(root: Path) -> Source:
    source = _json_source(root, "backtests", (f"{BACKTESTS_DIR}/*/report.json",),
                          kind="backtest_report")
    for item in source.items:
        folder = root / Path(item["_path"]).parent
        rows, problem = _read_csv(folder / "equity.csv")
        item["_equity"] = rows
        if problem:
            source.problems.append(problem)
    return source


def _paper(root: Path) -> Source:
    """The paper ledger (``runs/paper/``): summary, account, risk state, equity, orders, fills."""
    source = Source("paper ledger", f"{PAPER_DIR}/")
    folder = root / PAPER_DIR
    if not folder.is_dir():
        return source
    ledger: dict[str, Any] = {}
    for name in ("summary", "account", "risk_state"):
        value, problem = _read_json(folder / f"{name}.json")
        if problem:
            source.problems.append(problem)
        if isinstance(value, dict):
            ledger[name] = value
    for name in ("equity", "positions"):
        rows, problem = _read_csv(folder / f"{name}.csv")
        if problem:
            source.problems.append(problem)
        ledger[name] = rows
    for name in ("orders", "fills", "alerts"):
        rows, problems = _read_jsonl(folder / f"{name}.jsonl")
        source.problems.extend(problems)
        ledger[name] = rows
    if any(ledger.get(k) for k in ("summary", "account", "equity", "orders", "fills")):
        source.items.append(ledger)
    return source


def _json_source(root: Path, name: str, patterns: tuple[str, ...], *, kind: str | None
                 ) -> Source:
    source = Source(name, " or ".join(patterns))
    for path in sorted({p for pattern in patterns for p in root.glob(pattern)}):
        value, problem = _read_json(path)
        if problem:
            source.problems.append(problem)
            continue
        if not isinstance(value, dict) or (kind is not None and value.get("type") != kind):
            continue  # another artifact that shares the folder
        value["_path"] = path.relative_to(root).as_posix()
        source.items.append(value)
    return source


def _csv_source(root: Path, name: str, rel: str) -> Source:
    source = Source(name, rel)
    rows, problem = _read_csv(root / rel)
    if problem:
        source.problems.append(problem)
    source.items = rows
    return source


def _read_json(path: Path) -> tuple[Any, str | None]:
    try:
        if (too_large := oversize(path)) is not None:
            return None, f"{path.name}: {too_large}"
        return json.loads(path.read_text(encoding="utf-8")), None
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        logger.warning("dashboard: skipping %s (%s)", path, e)
        return None, f"{path.name}: unreadable ({type(e).__name__})"


def _read_csv(path: Path) -> tuple[list[dict[str, Any]], str | None]:
    try:
        if (too_large := oversize(path)) is not None:
            return [], f"{path.name}: {too_large}"
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], None
    except (OSError, UnicodeDecodeError) as e:
        return [], f"{path.name}: unreadable ({type(e).__name__})"
    try:
        return [dict(row) for row in csv.DictReader(io.StringIO(text))], None
    except csv.Error as e:
        return [], f"{path.name}: not CSV ({e})"


def _read_jsonl(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    try:
        if (too_large := oversize(path)) is not None:
            return [], [f"{path.name}: {too_large}"]
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return [], []
    except (OSError, UnicodeDecodeError) as e:
        return [], [f"{path.name}: unreadable ({type(e).__name__})"]
    rows, problems = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            problems.append(f"{path.name}:{number}: not JSON")
            continue
        if isinstance(value, dict):
            rows.append(value)
    return rows, problems


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
