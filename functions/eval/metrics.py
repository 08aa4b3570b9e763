"""eval_metrics, the core: turn resolved observations into one snapshot (no file I/O).

Price forecasts are scored against the point-in-time climatology recorded at ingest;
market claims against the market price at decision time. The verdict says plainly, with
its 95% bootstrap interval, whether the signal beats climatology, and flags fewer than 50
observations as not yet meaningful.

Feeds are never pooled: a synthetic, a dataset and a live forecast say different things. Each
feed's forecasts are split by what the run did (:data:`OUTCOME_COHORTS`: ``calls`` where a
trigger took effect, ``suppressed`` where a gate held it, ``no_call`` for no view), and the
headline (``price``, ``verdict``, the trend row) scores the *calls* of one feed: live when
there are live forecasts, else the feed with the most (ties by name). Every feed's cohorts are
in ``by_feed``; cohort rows (asset class, symbol, direction, confidence bucket, bot version)
are per feed and outcome cohort (section ``price:<feed>:<cohort>``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from shared.contracts import format_utc
from shared.contracts.evaluation import (
    BootstrapSettings,
    EvalSnapshot,
    FeedCohorts,
    MetricsSection,
    ObservationCounts,
)
from shared.evaluation.evaluator import DEFINITIONS, MEANINGFUL_MIN_N, figures
from shared.evaluation.intervals import DEFAULT_LEVEL, DEFAULT_RESAMPLES
from shared.evaluation.records import Observation, ObservationStatus

__all__ = [
    "CALIBRATION_COLUMNS",
    "COHORT_COLUMNS",
    "COHORT_DIMENSIONS",
    "RECENT_WINDOW",
    "OUTCOME_COHORTS",
    "TREND_COLUMNS",
    "Snapshot",
    "build_snapshot",
    "confidence_bucket",
    "verdict",
]

LIVE_FEEDS = frozenset({"alpaca", "live"})
OUTCOME_COHORTS = ("calls", "suppressed", "no_call")
_COHORT_OF_STATUS = {"triggered": "calls", "suppressed": "suppressed"}  # else: no_call
RECENT_WINDOW = timedelta(days=7)  # the ``last_7d`` section
DATA_WARNING = "Results on synthetic or backtest data say nothing about live performance."
COHORT_DIMENSIONS = ("asset_class", "symbol", "direction", "confidence_bucket", "bot_version")
CALIBRATION_COLUMNS = ("section", "bin", "lo", "hi", "count", "mean_p", "freq_y")
COHORT_COLUMNS = (
    "section",
    "dimension",
    "value",
    "n",
    "meaningful",
    "win_rate",
    "n_calls",
    "brier",
    "log_loss",
    "base_rate",
    "mean_p",
    "reference",
    "brier_reference",
    "brier_skill",
    "brier_skill_ci_lo",
    "brier_skill_ci_hi",
)
TREND_COLUMNS = (
    "as_of",
    "kind",
    "n",
    "brier",
    "log_loss",
    "win_rate",
    "base_rate",
    "brier_climatology",
    "brier_skill_vs_climatology",
    "ci_lo",
    "ci_hi",
    "n_7d",
    "brier_7d",
    "win_rate_7d",
    "n_polymarket",
    "brier_skill_vs_market",
    "verdict",
    "feed",
    "n_no_call",
)


@dataclass(frozen=True)
class Snapshot:
    """Everything one snapshot writes, as data (``metrics`` is ``metrics.json``)."""

    as_of: datetime
    kind: str
    metrics: EvalSnapshot
    calibration_rows: list[list[str]]
    cohort_rows: list[list[str]]
    trend_row: dict[str, str]


def confidence_bucket(p: float) -> str:
    """Bucket ``|p - 0.5| * 2`` into fifths: ``0.0-0.2`` .. ``0.8-1.0``."""
    k = min(int(abs(p - 0.5) * 2.0 * 5.0), 4)
    return f"{k / 5:.1f}-{(k + 1) / 5:.1f}"


def _cohort_key(observation: Observation, dimension: str) -> str:
    if dimension == "confidence_bucket":
        return confidence_bucket(observation.p)
    if dimension == "bot_version":
        return f"{observation.bot}@{observation.bot_version}"
    return str(getattr(observation, dimension))


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(float(value))
    return str(value)


def verdict(section: dict[str, Any], *, reference: str = "climatology") -> str:
    """One plain sentence: does the signal beat the reference, with its interval."""
    n = section.get("n", 0)
    if n == 0:
        return f"no resolved forecasts yet: cannot compare with {reference}"
    skill = section[f"brier_skill_vs_{reference}"]
    ci = section["ci"].get(f"brier_skill_vs_{reference}")
    if skill is None or ci is None:
        return f"undefined: the outcomes never vary, so {reference} scores 0 (n = {n})"
    figure = f"Brier skill {skill:.3f} [{ci[0]:.3f}, {ci[1]:.3f}] (95% bootstrap CI, n = {n})"
    if n < MEANINGFUL_MIN_N:
        return f"not yet meaningful (n < {MEANINGFUL_MIN_N}): {figure}"
    if ci[0] > 0.0:
        return f"beats {reference}: {figure}"
    return f"does not beat {reference}: {figure}"


def _arrays(rows: Sequence[Observation]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.array([o.p for o in rows], dtype=np.float64)
    y = np.array([o.y == 1 for o in rows], dtype=np.bool_)
    base = np.array([o.baseline_p for o in rows], dtype=np.float64)
    return p, y, base


def _section(
    rows: Sequence[Observation], *, market: bool, seed: int, n_resamples: int
) -> dict[str, Any]:
    if not rows:
        return {"n": 0}
    p, y, base = _arrays(rows)
    if market:
        out = figures(p, y, baseline=base, n_resamples=n_resamples, seed=seed)
        out["brier_skill_vs_market"] = out.pop("brier_skill_vs_baseline")
        out["ci"]["brier_skill_vs_market"] = out["ci"].pop("brier_skill_vs_baseline")
        out["brier_market"] = out.pop("brier_baseline")
        out["note"] = "reference: the market price at decision time; climatology is in-sample"
        return out
    out = figures(p, y, climatology=base, n_resamples=n_resamples, seed=seed)
    out["note"] = "reference: climatology known at forecast time (trailing base rate)"
    return out


def _cohort_rows(
    section_name: str, rows: Sequence[Observation], *, market: bool, seed: int, n_resamples: int
) -> list[list[str]]:
    reference = "market" if market else "climatology"
    out: list[list[str]] = []
    for dimension in COHORT_DIMENSIONS:
        groups: dict[str, list[Observation]] = {}
        for observation in rows:
            groups.setdefault(_cohort_key(observation, dimension), []).append(observation)
        for value in sorted(groups):
            fig = _section(groups[value], market=market, seed=seed, n_resamples=n_resamples)
            ci = fig["ci"].get(f"brier_skill_vs_{reference}") or [None, None]
            out.append(
                [
                    _fmt(item)
                    for item in (
                        section_name,
                        dimension,
                        value,
                        fig["n"],
                        fig["meaningful"],
                        fig["win_rate"],
                        fig["n_calls"],
                        fig["brier"],
                        fig["log_loss"],
                        fig["base_rate"],
                        fig["mean_p"],
                        reference,
                        fig[f"brier_{reference}"],
                        fig[f"brier_skill_vs_{reference}"],
                        ci[0],
                        ci[1],
                    )
                ]
            )
    return out


def _calibration_rows(name: str, section: MetricsSection) -> list[list[str]]:
    return [
        [_fmt(item) for item in (name, k, b.lo, b.hi, b.count, b.mean_p, b.freq_y)]
        for k, b in enumerate(section.calibration)
    ]


def _typed(section: dict[str, Any]) -> MetricsSection:
    # The figures as the contract; validated from JSON (as a reader would), so the fields
    # the figures did not set stay unset and are left out of metrics.json.
    return MetricsSection.model_validate_json(json.dumps(section, allow_nan=False))


def outcome_cohort(observation: Observation) -> str:
    """``calls``, ``suppressed`` or ``no_call`` (see :data:`OUTCOME_COHORTS`)."""
    return _COHORT_OF_STATUS.get(observation.outcome_status, "no_call")


def headline_feed(feeds: Sequence[str]) -> str | None:
    """The feed the headline is about: live if present, else the commonest (ties by name)."""
    if not feeds:
        return None
    live = sorted(set(feeds) & LIVE_FEEDS)
    if live:
        return live[0]
    counts: dict[str, int] = {}
    for feed in feeds:
        counts[feed] = counts.get(feed, 0) + 1
    return min(counts, key=lambda feed: (-counts[feed], feed))


def _by_feed(
    scored: Sequence[Observation], *, seed: int, n_resamples: int
) -> tuple[dict[str, FeedCohorts], list[list[str]]]:
    out: dict[str, FeedCohorts] = {}
    cohort_rows: list[list[str]] = []
    for feed in sorted({o.feed for o in scored}):
        rows = [o for o in scored if o.feed == feed]
        groups = {name: [o for o in rows if outcome_cohort(o) == name]
                  for name in OUTCOME_COHORTS}
        sections = {name: _section(groups[name], market=False, seed=seed,
                                   n_resamples=n_resamples) for name in OUTCOME_COHORTS}
        counts: dict[str, int] = {}
        for o in rows:
            status = o.outcome_status or "unknown"
            counts[status] = counts.get(status, 0) + 1
        out[feed] = FeedCohorts(
            calls=_typed(sections["calls"]),
            suppressed=_typed(sections["suppressed"]),
            no_call=_typed(sections["no_call"]),
            verdict=verdict(sections["calls"]),
            outcome_counts=dict(sorted(counts.items())),
        )
        for name in OUTCOME_COHORTS:
            cohort_rows += _cohort_rows(f"price:{feed}:{name}", groups[name], market=False,
                                        seed=seed, n_resamples=n_resamples)
    return out, cohort_rows


def build_snapshot(
    observations: Sequence[Observation],
    *,
    as_of: datetime,
    kind: str,
    unresolved_reasons: dict[str, int] | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Snapshot:
    """Score the observations resolved by ``as_of`` into a snapshot of the given kind."""
    known = [o for o in observations if o.resolved_at <= as_of]
    resolved = [o for o in known if o.status is ObservationStatus.RESOLVED]
    all_price = [o for o in resolved if o.baseline_kind == "climatology"]
    lead = headline_feed([o.feed for o in all_price])
    price = [o for o in all_price if o.feed == lead and outcome_cohort(o) == "calls"]
    scored = [o for o in price if o.baseline_p is not None]
    market = [o for o in resolved if o.baseline_kind == "market_price"]
    recent = [o for o in scored
              if o.target_at is not None and o.target_at > as_of - RECENT_WINDOW]
    kw = {"seed": seed, "n_resamples": n_resamples}
    price_figures = _section(scored, market=False, **kw)
    price_figures["excluded_no_climatology"] = len(price) - len(scored)
    price_section = _typed(price_figures)
    recent_section = _typed(_section(recent, market=False, **kw))
    feeds = tuple(sorted({o.feed for o in known}))
    reasons = unresolved_reasons or {}
    extra: dict[str, Any] = {}
    if any(feed not in LIVE_FEEDS for feed in feeds):
        extra["data_warning"] = DATA_WARNING
    calibration = _calibration_rows("price", price_section)
    by_feed, cohorts = _by_feed([o for o in all_price if o.baseline_p is not None], **kw)
    if by_feed:
        extra["by_feed"] = by_feed
        extra["headline_feed"] = lead
    market_section = MetricsSection(n=0)
    if market:
        market_figures = _section(market, market=True, **kw)
        market_section = _typed(market_figures)
        extra["polymarket"] = market_section
        extra["verdict_polymarket"] = verdict(market_figures, reference="market")
        calibration += _calibration_rows("polymarket", market_section)
        cohorts += _cohort_rows("polymarket", market, market=True, **kw)
    metrics = EvalSnapshot(
        schema_version="1",  # set explicitly: unset fields are left out of metrics.json
        type="eval_snapshot",
        kind=kind,
        as_of=as_of,
        observations=ObservationCounts(
            resolved=len(resolved),
            voided=sum(1 for o in known if o.status is ObservationStatus.VOIDED),
            unresolved=sum(reasons.values()),
            unresolved_reasons=dict(sorted(reasons.items())),
        ),
        price=price_section,
        last_7d=recent_section,
        verdict=verdict(price_figures),
        feeds=feeds,
        bootstrap=BootstrapSettings(n_resamples=n_resamples, seed=seed, level=DEFAULT_LEVEL),
        definitions=DEFINITIONS,
        meaningful_min_n=MEANINGFUL_MIN_N,
        **extra,
    )
    ci = price_section.ci.get("brier_skill_vs_climatology") or (None, None)
    no_call = by_feed[lead].no_call.n if lead in by_feed else 0
    trend = {
        "as_of": format_utc(as_of),
        "kind": kind,
        "n": str(price_section.n),
        "brier": _fmt(price_section.brier),
        "log_loss": _fmt(price_section.log_loss),
        "win_rate": _fmt(price_section.win_rate),
        "base_rate": _fmt(price_section.base_rate),
        "brier_climatology": _fmt(price_section.brier_climatology),
        "brier_skill_vs_climatology": _fmt(price_section.brier_skill_vs_climatology),
        "ci_lo": _fmt(ci[0]),
        "ci_hi": _fmt(ci[1]),
        "n_7d": str(recent_section.n),
        "brier_7d": _fmt(recent_section.brier),
        "win_rate_7d": _fmt(recent_section.win_rate),
        "n_polymarket": str(market_section.n),
        "brier_skill_vs_market": _fmt(market_section.brier_skill_vs_market),
        "verdict": metrics.verdict.split(":")[0],
        "feed": lead or "",
        "n_no_call": str(no_call),
    }
    return Snapshot(as_of, kind, metrics, calibration, cohorts, trend)
