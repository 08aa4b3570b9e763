"""Tuning: the generated space, the declared objective, pruning per fold, reproducibility by
seed, the reference run on file (read by the readiness board) and two worker processes
sharing one study through SQLite and through a journal file."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import optuna
import pytest

from functions.backtest.tune import run_tune
from functions.cli.backtest import OBJECTIVE_NAMES
from shared.backtest.search_space import TUNABLE_BOTS, local_space, space_for, suggest
from shared.backtest.skill import OosScores
from shared.backtest.tuning import OBJECTIVES, TuneSpec, open_storage, redacted
from shared.bots.registry import BOTS
from shared.contracts.optimizer import OptimizerRun
from shared.errors import ConfigError
from shared.readiness.backtest import _reference
from shared.readiness.evidence import Tree
from shared.signal.engine import NOT_IN_ENGINE
from tests.helpers.tree import tb

START = datetime(2025, 1, 1, tzinfo=UTC)
END = START + timedelta(days=40)
SHORT = ["--start", "2025-01-01T00:00:00Z", "--end", "2025-02-10T00:00:00Z",
         "--holdout-days", "10", "--inner-folds", "2", "--resamples", "50"]


def test_every_bot_is_tunable_over_all_its_parameters() -> None:
    assert set(TUNABLE_BOTS) == set(BOTS) - NOT_IN_ENGINE
    total = sum(len(space_for(bot)) for bot in TUNABLE_BOTS)
    assert total == sum(len(BOTS[b].bot_class.config_model.model_fields)
                        for b in TUNABLE_BOTS) == 19


@pytest.mark.parametrize("bot", sorted(BOTS))
def test_suggested_candidates_stay_inside_the_config_bounds(bot: str) -> None:
    space = space_for(bot)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    model = BOTS[bot].bot_class.config_model
    for _ in range(30):
        trial = study.ask()
        candidate = suggest(trial, space)
        assert set(candidate) == set(space)
        for name, value in candidate.items():
            assert space[name].low <= value <= space[name].high
        model.model_validate(candidate)  # the config model accepts every candidate
        study.tell(trial, 0.0)


def test_cli_objective_names_are_the_declared_objectives() -> None:
    assert set(OBJECTIVE_NAMES) == set(OBJECTIVES)


def _scores(resolved: int, hit_rate: float | None) -> OosScores:
    return OosScores(triggers=resolved, resolved=resolved, hits=0, hit_rate=hit_rate,
                     base_rate=0.5, base_samples=100, baseline_hit_rate=0.5, z=1.0,
                     brier=0.25, log_loss=0.69, sized_return=0.0)


def test_too_few_triggers_score_a_penalty_graded_towards_feasible() -> None:
    hit = OBJECTIVES["hit_rate"]
    assert hit.value(_scores(12, 0.6), 10) == 0.6
    none, some = hit.value(_scores(0, None), 10), hit.value(_scores(5, 0.9), 10)
    assert none < some < 0.0  # below every real hit rate, better the closer to 10
    loss = OBJECTIVES["log_loss"]
    assert loss.value(_scores(0, None), 10) > loss.value(_scores(5, 0.9), 10) > 10.0


def test_storage_urls_are_opened_and_named_without_secrets(tmp_path: Path) -> None:
    _, name = open_storage(f"sqlite:///{tmp_path / 's.db'}", tmp_path / "x.journal")
    assert name == f"sqlite:///{tmp_path / 's.db'}"
    assert redacted("postgresql://tb:s3cret@db.example:5432/optuna?sslmode=require") == \
        "postgresql://db.example:5432/optuna"
    _, name = open_storage(None, tmp_path / "j" / "x.journal")
    assert name == "journal" and (tmp_path / "j").is_dir()
    with pytest.raises(ConfigError, match="RDB URL"):
        open_storage("not a url", tmp_path / "x.journal")


def _tune(tmp_path: Path, **spec: object) -> OptimizerRun:
    result, _ = run_tune(feed="synthetic", seed=7, start=START, end=END, symbols=None,
                         synthetic_edge=None,
                         spec=TuneSpec(**{"bot": "divergence", "trials": 6, "inner_folds": 2,
                                          "holdout_days": 10, "min_resolved": 3,
                                          **spec}),  # type: ignore[arg-type]
                         artifacts_dir=tmp_path, block_hours=None, resamples=50, write=False)
    return result


def test_tuning_is_reproducible_by_seed_and_reports_every_fold(tmp_path: Path) -> None:
    a = _tune(tmp_path / "a", sampler="random")
    b = _tune(tmp_path / "b", sampler="random")
    assert a.model_dump() == b.model_dump()
    c = _tune(tmp_path / "c", sampler="random", seed=8)
    assert c.winning_params != a.winning_params or c.run_id != a.run_id
    journal = next((tmp_path / "a" / ".tb-cache" / "optuna").glob("*.journal"))
    storage, _ = open_storage(f"journal:{journal}", journal)
    study = optuna.load_study(study_name=a.study_name, storage=storage)
    for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        assert sorted(trial.intermediate_values) == [0, 1]  # one report per fold
    first = study.trials[0]
    assert first.params == {k: v for k, v in a.configured_params.items()}  # starts at config


def test_reference_run_is_written_validated_and_read_by_the_readiness_board(
        tmp_path: Path) -> None:
    result, path = run_tune(feed="synthetic", seed=7, start=START, end=END, symbols=None,
                            synthetic_edge=None,
                            spec=TuneSpec(bot="cooldown", trials=3, inner_folds=2,
                                          holdout_days=10, sampler="tpe"),
                            artifacts_dir=tmp_path, block_hours=None, resamples=50)
    assert path == tmp_path / "runs" / "optimizer" / result.run_id / "result.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "optimizer_run" and doc["bot"] == "cooldown"
    assert doc["winning_params"] and doc["score_function"] and "live" in doc["honesty"]
    assert set(doc["out_of_sample"]) == {"winning", "configured"}
    assert doc["windows"]["held_out"][0] == "2025-01-31T00:00:00Z"
    ok, why = _reference(Tree(tmp_path), "cooldown")
    assert ok, why
    ok, why = _reference(Tree(tmp_path), "sizing")
    assert not ok and "no optimizer reference run" in why


def _worker(storage: str, worker: int, tmp_path: Path) -> subprocess.Popen[str]:
    exe = Path(sys.executable).with_name("tb")
    return subprocess.Popen(
        [str(exe), "backtest", "tune", "--bot", "trend_guard", *SHORT, "--trials", "6",
         "--sampler", "random", "--storage", storage, "--study-name", "shared",
         "--worker", str(worker), "--no-write", "--artifacts-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_two_worker_processes_share_one_study(tmp_path: Path, kind: str) -> None:
    storage = (f"sqlite:///{tmp_path / 'study.db'}" if kind == "sqlite"
               else f"journal:{tmp_path / 'study.journal'}")
    if kind == "sqlite":  # create the schema once, as a user would before a matrix
        open_storage(storage, tmp_path / "unused.journal")
    workers = [_worker(storage, i, tmp_path) for i in (0, 1)]
    outs = [w.communicate(timeout=600) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outs]
    opened, _ = open_storage(storage, tmp_path / "unused.journal")
    study = optuna.load_study(study_name="shared", storage=opened)
    finished = [t for t in study.trials if t.state.is_finished()]
    assert 6 <= len(finished) <= 7  # each worker stops once the study holds 6
    assert {t.user_attrs.get("worker") for t in finished} == {0, 1}
    results = [json.loads(out) for out, _ in outs]
    assert {r["study_name"] for r in results} == {"shared"}


def test_cli_tune_refuses_an_unknown_bot() -> None:
    done = tb("backtest", "tune", "--bot", "nope", *SHORT)
    assert done.returncode == 2 and "nope" in done.stderr


def test_local_space_narrows_around_the_configured_value_inside_the_bounds() -> None:
    full = space_for("divergence")
    local = local_space(full, {"divergence_threshold": 0.6, "min_narrative_mass": 0.3,
                               "horizon_hours": 12, "logistic_intercept": 0.0})
    assert (local["divergence_threshold"].low, local["divergence_threshold"].high) == (
        pytest.approx(0.05), pytest.approx(1.2))
    assert local["min_narrative_mass"].high == pytest.approx(0.3 + 2.5)  # span / 20
    assert (local["horizon_hours"].low, local["horizon_hours"].high) == (1.0, 24.0)
    assert local["logistic_intercept"].low < 0.0 < local["logistic_intercept"].high
    for name, r in local.items():
        assert full[name].low <= r.low < r.high <= full[name].high, name
