"""``tb backtest sensitivity``: does the configured signal find the synthetic feed's planted
relation (binomial z >= 3 against the baseline hit rate) and invent none when it is off
(|z| < 3)? Measured next to the oracle that knows which stories are informed
(:mod:`shared.backtest.oracle`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from functions.backtest.walkforward import load_workload
from shared.backtest.calls import Overrides, job_with, walk_segments
from shared.backtest.oracle import oracle_segment
from shared.backtest.skill import score_segments
from shared.contracts import format_utc
from shared.providers.synthetic import SyntheticFeed

__all__ = ["Z_FOUND", "run_sensitivity"]

Z_FOUND = 3.0
NOTE = ("Synthetic data with a planted relation: this measures whether the signal can find "
        "what was planted, not how it would do live.")


def run_sensitivity(*, seed: int, start: datetime, end: datetime,
                    symbols: Sequence[str] | None, overrides: Overrides | None = None
                    ) -> dict[str, Any]:
    """The signal's z with the relation on and off, and the oracle's, on one window."""
    out: dict[str, Any] = {"seed": seed, "start": format_utc(start), "end": format_utc(end),
                           "z_threshold": Z_FOUND, "note": NOTE}
    for label, edge in (("edge_on", None), ("edge_off", 0.0)):
        work = load_workload(feed="synthetic", seed=seed, start=start, end=end,
                             symbols=symbols, synthetic_edge=edge)
        jobs = [job_with(job, overrides or {}) for job in work.jobs]
        segments = [seg for job, period in zip(jobs, work.periods, strict=True)
                    for seg in walk_segments(job, period, [start, end])]
        signal = score_segments(segments).to_json()
        entry: dict[str, Any] = {"signal": signal}
        if edge is None:
            feed = work.sources.market
            assert isinstance(feed, SyntheticFeed)
            oracle = score_segments([oracle_segment(job, period, feed, start, end)
                                     for job, period in zip(jobs, work.periods, strict=True)])
            entry["oracle"] = oracle.to_json()
            entry["ratio_z"] = (signal["z"] / oracle.z) if signal["z"] is not None and oracle.z \
                else None
            excess = (None if signal["hit_rate"] is None or signal["baseline_hit_rate"] is None
                      else signal["hit_rate"] - signal["baseline_hit_rate"])
            oracle_excess = (None if oracle.hit_rate is None or oracle.baseline_hit_rate is None
                             else oracle.hit_rate - oracle.baseline_hit_rate)
            entry["ratio_excess_hit_rate"] = (excess / oracle_excess
                                              if excess is not None and oracle_excess else None)
            entry["found"] = signal["z"] is not None and signal["z"] >= Z_FOUND
        else:
            entry["invented"] = signal["z"] is not None and abs(signal["z"]) >= Z_FOUND
        out[label] = entry
        out["horizon_hours"] = jobs[0].engine.horizon_hours
    return out
