"""Tuning a bot's parameters with Optuna, judged out of sample.

The period is split in two: a **tuning window** (the first part) and a **held-out window**
(the last ``holdout_days``) that no trial ever sees. Each trial:

* asks the sampler (TPE or random, seeded) for a value of every parameter of the bot's
  generated ``SEARCH_SPACE`` (:mod:`shared.backtest.search_space`);
* walks the tuning window through the one decision path with those parameters applied to
  the config, fold by fold (the window is cut into ``inner_folds`` consecutive folds), and
  after each fold reports the objective on the folds so far, so the pruner (median) can stop
  a trial that is already worse than the median of earlier trials at the same fold;
* returns the objective on the whole tuning window.

The winner is then walked forward once onto the held-out window (the logistic ``p_up`` fitted
on the tuning window, :mod:`shared.backtest.walkforward`), next to the configured parameters
on the same window: that is the out-of-sample result a reference run records.

**Objectives** (declared in every result): ``log_loss`` of ``p_up`` on the resolved triggers
(minimise), ``hit_rate`` (maximise), ``z`` (the binomial z of the hits against the baseline
hit rate; maximise) and ``sized_return`` (mean size x direction x log-return; maximise, the
only one the sizing bot moves). Fewer than ``min_resolved`` resolved triggers scores the
declared penalty, worse than any real score.

**Storage**: an Optuna journal file by default; ``--storage`` takes an RDB URL
(``sqlite:///study.db``, ``postgresql://...``) or ``journal:PATH``, so several processes
(or an Actions matrix) can share one study: each worker runs trials until the study holds
``trials`` finished ones. One worker with a fresh study and a seed is reproducible; several
workers share the work, not the order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

from shared.backtest.calls import Overrides, Segment, job_with, walk_segments
from shared.backtest.search_space import describe, local_space, space_for, suggest
from shared.backtest.skill import OosScores, score_segments
from shared.backtest.walkforward import Fold, TuneFold, report, run_walk_forward
from shared.bots.base import ParamRange
from shared.contracts import canonical_json, format_utc, sha256_hex
from shared.contracts.optimizer import OptimizerObjective, OptimizerRun
from shared.errors import ConfigError
from shared.pipeline import Period, SymbolJob

__all__ = [
    "HONESTY",
    "OBJECTIVES",
    "Objective",
    "TuneSpec",
    "fold_tuner",
    "open_storage",
    "redacted",
    "tune",
]

HONESTY = ("Tuned and scored on past or synthetic data: a measurement of the past, not a "
           "prediction of live results. The held-out window was never seen by a trial; "
           "synthetic data carries a planted relation (shared/providers/synthetic.py).")

SamplerName = Literal["tpe", "random"]
ObjectiveName = Literal["log_loss", "hit_rate", "z", "sized_return"]


@dataclass(frozen=True)
class Objective:
    name: ObjectiveName
    direction: Literal["minimize", "maximize"]
    penalty: float
    description: str
    read: Callable[[OosScores], float | None]

    def value(self, scores: OosScores, min_resolved: int) -> float:
        """The score; below ``min_resolved`` resolved triggers, the penalty, graded by how
        close the trial came (so a sampler still sees which way is feasible)."""
        floor = max(1, min_resolved)
        raw = self.read(scores) if scores.resolved >= floor else None
        if raw is not None and math.isfinite(raw):
            return float(raw)
        shortfall = 1.0 - min(scores.resolved, floor) / floor
        return self.penalty + (shortfall if self.direction == "minimize" else -shortfall)

    def contract(self, min_resolved: int) -> OptimizerObjective:
        return OptimizerObjective(name=self.name, direction=self.direction,
                                  min_resolved=min_resolved, penalty=self.penalty,
                                  description=self.description)


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (
    Objective("log_loss", "minimize", 10.0,
              "mean log-loss of p_up over resolved triggers (lower is better)",
              lambda s: s.log_loss),
    Objective("hit_rate", "maximize", 0.0,
              "share of resolved triggers whose close at the horizon is on their side",
              lambda s: s.hit_rate),
    Objective("z", "maximize", -10.0,
              "binomial z of the hits against the baseline hit rate (the base rate on the "
              "same directions)", lambda s: s.z),
    Objective("sized_return", "maximize", -1.0,
              "mean of target size x direction x log-return over the horizon",
              lambda s: s.sized_return),
)}


@dataclass(frozen=True)
class TuneSpec:
    bot: str
    objective: str = "log_loss"
    min_resolved: int = 10
    trials: int = 50
    sampler: SamplerName = "tpe"
    seed: int = 7
    inner_folds: int = 3
    holdout_days: float = 60.0
    storage: str | None = None
    study_name: str | None = None
    worker: int = 0
    space: Literal["local", "full"] = "local"


def open_storage(url: str | None, default: Path) -> tuple[BaseStorage, str]:
    """The study's storage and how a result names it (passwords never written): an RDB
    URL (``sqlite:///``, ``postgresql://``, ``mysql://``), ``journal:PATH``, or by default
    the journal file ``default``."""
    if url is None or url.startswith("journal:"):
        path = Path(url[len("journal:"):]) if url else default
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path))), "journal"
    parts = urlsplit(url)
    if not parts.scheme or "://" not in url:
        raise ConfigError(f"--storage {url!r}: give an RDB URL (sqlite:///study.db, "
                          "postgresql://host/db) or journal:PATH")
    try:
        storage = RDBStorage(url)
    except (ImportError, ValueError, RuntimeError) as e:
        raise ConfigError(f"--storage: cannot open the study storage: {e}") from e
    return storage, redacted(url)


def redacted(url: str) -> str:
    """The URL without user, password or query (what a committed result may name)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}{parts.path}"


def _sampler(name: SamplerName, seed: int) -> optuna.samplers.BaseSampler:
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=10)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ConfigError(f"unknown sampler {name!r} (tpe or random)")


def _bounds(start: datetime, end: datetime, parts: int) -> list[datetime]:
    step = (end - start) / parts
    hours = [start + timedelta(hours=round((step * i).total_seconds() / 3600))
             for i in range(parts)]
    return [*hours, end]


def _trial_objective(jobs: Sequence[SymbolJob], periods: Sequence[Period], bounds: list[datetime],
                     spec: TuneSpec, fixed: Overrides) -> Callable[[optuna.Trial], float]:
    objective = OBJECTIVES[spec.objective]
    space = searched_space(spec, jobs[0])

    def run(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", spec.worker)
        candidate = {spec.bot: suggest(trial, space)}
        try:
            tuned = [job_with(job, {**fixed, **candidate}) for job in jobs]
        except ConfigError as e:  # a combination the config model rejects
            trial.set_user_attr("infeasible", str(e))
            raise optuna.TrialPruned(f"infeasible: {e}") from e
        walkers: list[Iterator[Segment]] = [walk_segments(job, period, bounds,
                                                          resolve_by=bounds[-1])
                                            for job, period in zip(tuned, periods, strict=True)]
        seen: list[Segment] = []
        value = objective.penalty
        for step in range(len(bounds) - 1):
            seen.extend(next(w) for w in walkers)
            value = objective.value(score_segments(seen), spec.min_resolved)
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after fold {step + 1}")
        return value

    return run


def searched_space(spec: TuneSpec, job: SymbolJob) -> dict[str, ParamRange]:
    """The bot's generated space, whole or around the job's configured values."""
    space = space_for(spec.bot)
    if spec.space == "full":
        return space
    return local_space(space, job.engine.bots.bots[spec.bot][1].model_dump())


def _study(spec: TuneSpec, storage: BaseStorage, study_name: str) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        study_name=study_name, storage=storage, load_if_exists=True,
        direction=OBJECTIVES[spec.objective].direction,
        sampler=_sampler(spec.sampler, spec.seed + spec.worker),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0))


def _optimize(study: optuna.Study, run: Callable[[optuna.Trial], float], trials: int,
              start_from: dict[str, float] | None = None) -> None:
    """Run trials until the study holds ``trials`` finished ones. A fresh study's first
    trial is ``start_from`` (the configured parameters: a feasible point to improve on)."""
    done = (TrialState.COMPLETE, TrialState.PRUNED)
    if len(study.get_trials(deepcopy=False, states=done)) >= trials:
        return
    if start_from and not study.get_trials(deepcopy=False):
        study.enqueue_trial(start_from, skip_if_exists=True)
    study.optimize(run, n_trials=trials, callbacks=[MaxTrialsCallback(trials, states=done)],
                   gc_after_trial=False)


def fold_tuner(*, bot: str, trials: int, seed: int, objective: str = "log_loss",
               min_resolved: int = 5) -> TuneFold:
    """Tune ``bot`` inside each walk-forward fold's in-sample window (an in-memory study per
    fold), for :func:`shared.backtest.walkforward.run_walk_forward`."""
    spec = TuneSpec(bot=bot, objective=objective, min_resolved=min_resolved, trials=trials,
                    seed=seed, inner_folds=2)

    def tune_fold(jobs: Sequence[SymbolJob], periods: Sequence[Period], fold: Fold
                  ) -> dict[str, dict[str, float]]:
        bounds = _bounds(fold.train_start, fold.train_end, spec.inner_folds)
        study = _study(spec, optuna.storages.InMemoryStorage(), f"fold-{fold.index}")
        configured = jobs[0].engine.bots.bots[bot][1].model_dump()
        _optimize(study, _trial_objective(jobs, periods, bounds, spec, {}), trials,
                  {k: v for k, v in configured.items() if k in searched_space(spec, jobs[0])})
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return {bot: dict(study.best_trial.params)} if complete else {}

    return tune_fold


def run_id_of(spec: TuneSpec, data: dict[str, Any], config_digest: str) -> str:
    fields = {"bot": spec.bot, "space": spec.space, "objective": spec.objective,
              "min_resolved": spec.min_resolved,
              "trials": spec.trials, "sampler": spec.sampler, "seed": spec.seed,
              "inner_folds": spec.inner_folds, "holdout_days": spec.holdout_days,
              "data": data, "config": config_digest}
    return sha256_hex(canonical_json(fields))[:16]


def tune(jobs: Sequence[SymbolJob], periods: Sequence[Period], *, start: datetime,
         end: datetime, spec: TuneSpec, data: dict[str, Any], journal_dir: Path,
         block_hours: int | None, resamples: int) -> OptimizerRun:
    """Run (or join) the study, then walk the winner onto the held-out window."""
    if spec.objective not in OBJECTIVES:
        raise ConfigError(f"unknown objective {spec.objective!r} "
                          f"(known: {', '.join(sorted(OBJECTIVES))})")
    space = searched_space(spec, jobs[0])
    holdout_start = end - timedelta(days=spec.holdout_days)
    if holdout_start <= start + timedelta(days=spec.inner_folds):
        raise ConfigError(f"the period {format_utc(start)} .. {format_utc(end)} leaves no "
                          f"tuning window before the {spec.holdout_days:g}-day held-out one")
    config_digest = jobs[0].engine.config_digest
    run_id = run_id_of(spec, data, config_digest)
    storage, storage_name = open_storage(spec.storage, journal_dir / f"{run_id}.journal")
    study_name = spec.study_name or f"{spec.bot}-{run_id}"
    bounds = _bounds(start, holdout_start, spec.inner_folds)
    study = _study(spec, storage, study_name)
    configured = jobs[0].engine.bots.bots[spec.bot][1].model_dump()
    _optimize(study, _trial_objective(jobs, periods, bounds, spec, {}), spec.trials,
              {k: v for k, v in configured.items() if k in space})
    states = [t.state for t in study.get_trials(deepcopy=False)]
    counts = {state.name.lower(): states.count(state) for state in TrialState if state in states}
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    winning = dict(sorted(study.best_trial.params.items())) if complete else {}
    fold = Fold(1, start, holdout_start, end)

    def held_out(overrides: Overrides) -> dict[str, Any]:
        result = run_walk_forward(jobs, periods, [fold], base=overrides)
        out = report(result, block_hours=block_hours, resamples=resamples, seed=spec.seed,
                     poll_hours=jobs[0].signal.poll_hours)
        return {k: v for k, v in out.items() if k.startswith("oos_")} | {
            "logistic_fit": out["folds"][0]["logistic_fit"], "bootstrap": out["bootstrap"]}

    objective = OBJECTIVES[spec.objective]
    return OptimizerRun(
        run_id=run_id, bot=spec.bot, objective=objective.contract(spec.min_resolved),
        score_function=f"{objective.name} ({objective.direction}): {objective.description}; "
                       f"fewer than {spec.min_resolved} resolved triggers score "
                       f"{objective.penalty:g}, worsened by up to 1 by the shortfall",
        sampler=spec.sampler, pruner="median (5 startup trials), reported after every fold",
        seed=spec.seed, trials_requested=spec.trials, trials=counts, study_name=study_name,
        storage=storage_name, data=data,
        windows={"tuning": [format_utc(start), format_utc(holdout_start)],
                 "tuning_folds": [[format_utc(a), format_utc(b)]
                                  for a, b in itertools.pairwise(bounds)],
                 "held_out": [format_utc(holdout_start), format_utc(end)]},
        space=spec.space, search_space=describe(space),
        configured_params={k: float(v) for k, v in sorted(configured.items())},
        winning_params={k: float(v) for k, v in winning.items()},
        best_in_sample_value=float(study.best_value) if complete else None,
        out_of_sample={"winning": held_out({spec.bot: winning}) if winning else None,
                       "configured": held_out({})},
        honesty=HONESTY)
