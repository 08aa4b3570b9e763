"""Parameter governance: are the new (head) parameters worse out of sample than the old
(base) ones on the pinned datasets, beyond a declared tolerance?

Both parameter sets are walked forward the same way (:mod:`shared.backtest.walkforward`:
same folds, logistic ``p_up`` fitted in-sample in each) on the same data, and their stitched
out-of-sample scores are compared. The verdict (:func:`verdict`):

* ``worse``  — the head's out-of-sample log-loss of ``p_up`` over its resolved triggers
  exceeds the base's by more than :data:`TOLERANCE` (judged only when both sides have at
  least :data:`MIN_RESOLVED` resolved triggers), or the head resolves no trigger where the
  base resolved at least :data:`MIN_RESOLVED` (it stopped signalling). Log-loss is the one
  gating metric: a proper score, it punishes wrong sides and overconfidence alike; the hit
  rate, z and Brier are shown next to it, with their intervals, but do not gate (two gates
  on noisy small samples would fail both ways);
* ``not_worse`` — judged, and within tolerance;
* ``inconclusive`` — too few resolved triggers on either side to judge; the gate passes and
  says so (it cannot call a change worse on no evidence).

**What happens to active triggers and cooldowns when parameters change** (the rule runs
and this comparison both follow): a trigger already made is a fact, not a parameter. After
the change, a run reads the committed triggers of the prior window (the *new*
``cooldown_hours``, counted from each trigger's own time) whatever parameters made them, so
a cooldown in force stays in force (or ends sooner/later by the new window) and nothing is
re-decided or cancelled; a forecast made before the change is resolved and scored as made
(its run records the config digest it was made with). :func:`carry_over` implements the
switch for a walk: the head starts with the base's triggers of the head's prior window.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.backtest.calls import poll_times
from shared.backtest.walkforward import Fold, report, run_walk_forward
from shared.contracts import OutcomeStatus, PriorTrigger
from shared.pipeline import Period, SymbolJob, prior_window, walk

__all__ = [
    "HONESTY",
    "MIN_RESOLVED",
    "TOLERANCE",
    "Side",
    "Verdict",
    "carry_over",
    "compare",
    "summary_markdown",
    "verdict",
]

TOLERANCE = 0.02
"""How much higher (nats per resolved trigger) the head's out-of-sample log-loss may be."""
MIN_RESOLVED = 10
HONESTY = ("Both parameter sets were walked forward on past data: the comparison measures "
           "the past, it does not predict live results.")

Verdict = Literal["worse", "not_worse", "inconclusive"]


@dataclass(frozen=True)
class Side:
    """One parameter set with what it is walked on: one job and one period per symbol."""

    label: str
    jobs: tuple[SymbolJob, ...]
    periods: tuple[Period, ...]


def verdict(base: dict[str, Any], head: dict[str, Any]) -> tuple[Verdict, list[str]]:
    """Judge two out-of-sample reports (``oos_*`` keys); returns the verdict and why."""
    b_n, h_n = base["oos_resolved"], head["oos_resolved"]
    if h_n == 0 and b_n >= MIN_RESOLVED:
        return "worse", [f"head resolves no trigger; base resolved {b_n}"]
    if b_n < MIN_RESOLVED or h_n < MIN_RESOLVED:
        return "inconclusive", [f"too few resolved triggers to judge (base {b_n}, head {h_n}; "
                                f"need {MIN_RESOLVED} each)"]
    d_ll = head["oos_log_loss"] - base["oos_log_loss"]
    d_hr = head["oos_hit_rate"] - base["oos_hit_rate"]
    if d_ll > TOLERANCE:
        return "worse", [f"log-loss {d_ll:+.4f} (tolerance +{TOLERANCE:g}); hit rate "
                         f"{d_hr:+.4f}"]
    return "not_worse", [f"log-loss {d_ll:+.4f} (tolerance +{TOLERANCE:g}); hit rate "
                         f"{d_hr:+.4f}"]


def carry_over(base: SymbolJob, head: SymbolJob, period: Period, at: datetime) -> SymbolJob:
    """The head job at the switch time ``at``: it starts with the triggers the base made in
    the head's prior window before ``at`` (see the module docstring)."""
    window = prior_window(head.engine.bots)
    found = list(base.prior_triggers)
    for step in walk(base, poll_times(base, at - window, at), period):
        outcome = step.decision.decided.outcome if step.decision.decided else None
        if (outcome is not None and outcome.status is OutcomeStatus.TRIGGERED
                and outcome.direction is not None):
            found.append(PriorTrigger(symbol=base.symbol, direction=outcome.direction,
                                      as_of=step.as_of))
    kept = tuple(p for p in found if at - window <= p.as_of < at)
    return dataclasses.replace(head, prior_triggers=kept)


_KEYS = ("oos_triggers", "oos_resolved", "oos_hit_rate", "oos_hit_rate_interval",
         "oos_base_rate", "oos_z", "oos_brier", "oos_brier_interval", "oos_log_loss",
         "oos_log_loss_interval")


def compare(base: Side, head: Side, folds: Sequence[Fold], *, seed: int,
            resamples: int = 1000) -> dict[str, Any]:
    """Walk both sides forward on the same folds and judge them."""
    reports = {}
    for side in (base, head):
        result = run_walk_forward(side.jobs, side.periods, folds)
        out = report(result, block_hours=None, resamples=resamples, seed=seed,
                     poll_hours=side.jobs[0].signal.poll_hours)
        reports[side.label] = {k: out[k] for k in _KEYS} | {"windows": out["windows"]}
    judged, reasons = verdict(reports[base.label], reports[head.label])
    return {"base": reports[base.label], "head": reports[head.label], "verdict": judged,
            "reasons": reasons, "tolerance": TOLERANCE, "min_resolved": MIN_RESOLVED,
            "symbols": [j.symbol for j in head.jobs],
            "windows": [f.to_json() for f in folds], "note": HONESTY}


def summary_markdown(result: dict[str, Any], *, base_ref: str, head_ref: str) -> str:
    """The job-summary table."""
    rows = [("triggers", "oos_triggers"), ("resolved", "oos_resolved"),
            ("hit rate", "oos_hit_rate"), ("base rate", "oos_base_rate"), ("z", "oos_z"),
            ("Brier", "oos_brier"), ("log-loss", "oos_log_loss")]
    lines = [f"### Parameter governance: {result['verdict'].replace('_', ' ')}", "",
             f"Out of sample on {', '.join(result['symbols'])}, {len(result['windows'])} "
             f"walk-forward windows; base `{base_ref}`, head `{head_ref}`.", "",
             "| metric | base | head | head - base |", "|---|---|---|---|"]
    for label, key in rows:
        b, h = result["base"][key], result["head"][key]
        delta = f"{h - b:+.4f}" if isinstance(b, int | float) and isinstance(h, int | float) \
            else ""
        lines.append(f"| {label} | {_fmt(b)} | {_fmt(h)} | {delta} |")
    for label, key in (("hit rate 95% interval", "oos_hit_rate_interval"),
                       ("log-loss 95% interval", "oos_log_loss_interval")):
        lines.append(f"| {label} | {_fmt(result['base'][key])} | "
                     f"{_fmt(result['head'][key])} | |")
    lines += ["", "Why: " + "; ".join(result["reasons"]),
              f"Gate: out-of-sample log-loss of p_up may rise by at most {TOLERANCE:g}; "
              f"judged with at least {MIN_RESOLVED} resolved triggers a side. Intervals: "
              "circular block bootstrap.", "", result["note"], ""]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
