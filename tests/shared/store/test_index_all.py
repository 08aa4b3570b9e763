"""``tb index rebuild`` indexes everything (issue 14, part 6): tracer and universe runs,
envelopes, observations, paper fills and the board; times in one format (``Z``); reason
codes as rows of their own tables, queryable with plain SQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from shared.evaluation.records import OBSERVATION_COLUMNS
from shared.store.index import rebuild_index
from tests.helpers.eval_fixtures import T0, make_forecast, make_tracer_run, write_run
from tests.helpers.tree import tb


def _tree(root: Path) -> None:
    write_run(root, make_tracer_run(make_forecast("BTC-USD", T0, 0.6), as_of=T0,
                                    symbol="BTC-USD", feed="synthetic"))
    obs = root / "eval_runs" / "observations.csv"
    obs.parent.mkdir(parents=True)
    row = dict.fromkeys(OBSERVATION_COLUMNS, "")
    row.update(forecast_id="f1", feed="synthetic", symbol="BTC-USD", p="0.6", y="1",
               status="resolved", as_of="2024-01-01T00:00:00+00:00",
               resolved_at="2024-01-02T00:00:00Z")
    obs.write_text(",".join(OBSERVATION_COLUMNS) + "\n"
                   + ",".join(row[c] for c in OBSERVATION_COLUMNS) + "\n", encoding="utf-8")
    paper = root / "runs" / "paper"
    paper.mkdir(parents=True)
    fill = {"fill_id": "x-0", "as_of": "2026-01-11T01:00:00+00:00", "symbol": "BTC-USD",
            "side": "buy", "qty": 0.5, "price": 100.0, "fee": 0.1, "cash_after": 50.0}
    (paper / "fills.jsonl").write_text(json.dumps(fill) + "\n{torn", encoding="utf-8")
    (root / "board.json").write_text(json.dumps({"header": "h", "bots": [
        {"bot": "divergence", "status": "pending", "mode": "enforced",
         "earned_mode": "stub", "allowed_mode": "enforced"}]}), encoding="utf-8")


def test_the_index_covers_every_artifact_kind_with_z_times_and_code_rows(
        tmp_path: Path) -> None:
    _tree(tmp_path)
    done = tb("universe", "run", "--seed", "7", "--as-of", "2026-03-02T12:00:00Z",
              "--artifacts-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    db = tmp_path / "index.sqlite"
    counts = rebuild_index(tmp_path, db)
    assert counts == {"runs": 1, "envelopes": counts["envelopes"], "universe_runs": 1,
                      "observations": 1, "paper_fills": 1, "board_bots": 1}
    with sqlite3.connect(db) as conn:
        stages = conn.execute("SELECT stage, count(*) FROM runs GROUP BY stage").fetchall()
        assert dict(stages) == {"tracer": 1, "universe": 1}
        times = [t for (t,) in conn.execute(
            "SELECT as_of FROM runs UNION ALL SELECT as_of FROM envelopes "
            "UNION ALL SELECT as_of FROM observations UNION ALL SELECT resolved_at "
            "FROM observations UNION ALL SELECT as_of FROM paper_fills")]
        assert times and all(t.endswith("Z") and "+00:00" not in t for t in times), times
        # Reason codes: one row per code, joined back to their envelope and run.
        codes = conn.execute(
            "SELECT e.bot, r.code FROM envelope_reasons r "
            "JOIN envelopes e USING (envelope_id) ORDER BY e.bot, r.code").fetchall()
        assert codes and all(code.isupper() for _, code in codes)
        assert conn.execute("SELECT count(*) FROM envelope_reasons WHERE code LIKE '[%'"
                            ).fetchone() == (0,)
        assert conn.execute("SELECT bot, status FROM board_bots").fetchall() == [
            ("divergence", "pending")]
        assert conn.execute("SELECT p, y FROM observations").fetchall() == [(0.6, 1)]
    conn.close()


def test_the_cli_prints_every_count(tmp_path: Path) -> None:
    _tree(tmp_path)
    done = tb("index", "rebuild", "--artifacts-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["observations"] == 1 and printed["paper_fills"] == 1
    assert printed["universe_runs"] == 0 and printed["runs"] == 1
