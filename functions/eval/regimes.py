"""Quarterly regime report: how the forecasts fared in calm and turbulent, rising and falling
markets, per asset and feed (``tb eval regimes``).

Regimes are read from the resolved observations themselves (``eval_runs/observations.csv``):
per symbol and feed, the decision-time closes in time order give, at each forecast, the
trailing log return and the trailing volatility over the previous ``window`` forecasts
(point in time: only closes known at that forecast). Trend regime: ``up`` when the trailing
return is positive, ``down`` otherwise. Volatility regime: ``high`` when the trailing
volatility is above the symbol's median over the report's period, else ``low`` (the median is
taken over the period: a description of the quarter, not a tradable rule). Forecasts
without enough history are ``warmup``.

Per symbol, feed, regime kind and regime: ``n`` resolved forecasts, the calls among them
(``outcome_status`` triggered) with their hits and hit rate (Wilson 95% interval), and the
calibration of ``p`` against the outcome: mean ``p``, observed up share (Wilson interval),
Brier score. Feeds are never pooled. Results on past or synthetic data are a measurement of
the past, not a prediction of live results.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median, pstdev

from functions.eval.persist import read_observations
from shared.evaluation.intervals import wilson_interval
from shared.evaluation.records import Observation
from shared.store.atomic import PendingFile
from shared.store.csvfile import csv_text
from shared.store.layout import EVAL_DIR
from shared.store.write import write_artifacts

__all__ = ["REGIME_COLUMNS", "RegimeRow", "regime_rows", "write_regime_report"]

REGIME_COLUMNS = ("period_start", "period_end", "feed", "symbol", "regime_kind", "regime", "n",
                  "calls", "hits", "hit_rate", "hit_rate_lo", "hit_rate_hi", "mean_p",
                  "up_share", "up_share_lo", "up_share_hi", "brier", "note")
NOTE = "past data: a measurement of the past, not a prediction of live results"


@dataclass(frozen=True)
class RegimeRow:
    feed: str
    symbol: str
    regime_kind: str
    regime: str
    observations: tuple[Observation, ...]

    def cells(self, start: datetime, end: datetime) -> list[str]:
        obs = self.observations
        ys = [o.y for o in obs if o.y is not None]
        calls = [o for o in obs if o.outcome_status == "triggered" and o.y is not None]
        hits = sum(1 for o in calls if (o.direction == "up") == (o.y == 1))
        hit_ci = wilson_interval(hits, len(calls))
        up_ci = wilson_interval(sum(ys), len(ys))
        brier = (sum((o.p - o.y) ** 2 for o in obs if o.y is not None) / len(ys)) if ys else None
        return [_iso(start), _iso(end), self.feed, self.symbol, self.regime_kind, self.regime,
                str(len(ys)), str(len(calls)), str(hits),
                _num(hits / len(calls) if calls else None),
                _num(hit_ci.lo if hit_ci else None), _num(hit_ci.hi if hit_ci else None),
                _num(sum(o.p for o in obs) / len(obs)),
                _num(sum(ys) / len(ys) if ys else None),
                _num(up_ci.lo if up_ci else None), _num(up_ci.hi if up_ci else None),
                _num(brier), NOTE]


def regime_rows(observations: Sequence[Observation], *, start: datetime, end: datetime,
                window: int) -> list[RegimeRow]:
    """The report's rows for resolved price observations with ``start <= as_of < end``."""
    series: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for o in observations:
        if o.y is not None and o.as_of_close and o.source == "tracer_run" and \
                start <= o.as_of < end:
            series[(o.feed, o.symbol)].append(o)
    rows = []
    for (feed, symbol), found in sorted(series.items()):
        found.sort(key=lambda o: (o.as_of, o.forecast_id))
        labels = _labels(found, window)
        for kind in ("volatility", "trend"):
            groups: dict[str, list[Observation]] = defaultdict(list)
            for o, label in zip(found, labels[kind], strict=True):
                groups[label].append(o)
            rows += [RegimeRow(feed, symbol, kind, regime, tuple(obs))
                     for regime, obs in sorted(groups.items())]
    return rows


def _labels(found: list[Observation], window: int) -> dict[str, list[str]]:
    closes: dict[datetime, float] = {}
    for o in found:
        closes.setdefault(o.as_of, float(o.as_of_close or 0.0))
    times = sorted(closes)
    position = {t: i for i, t in enumerate(times)}
    logs = [math.log(closes[t]) if closes[t] > 0 else math.nan for t in times]
    vols: list[float | None] = []
    trends: list[str] = []
    for o in found:
        i = position[o.as_of]
        if i < window or any(math.isnan(x) for x in logs[i - window:i + 1]):
            vols.append(None)
            trends.append("warmup")
            continue
        returns = [logs[k] - logs[k - 1] for k in range(i - window + 1, i + 1)]
        vols.append(pstdev(returns))
        trends.append("up" if logs[i] - logs[i - window] > 0 else "down")
    known = [v for v in vols if v is not None]
    cut = median(known) if known else 0.0
    volatility = ["warmup" if v is None else ("high" if v > cut else "low") for v in vols]
    return {"volatility": volatility, "trend": trends}


def write_regime_report(root: Path, *, as_of: datetime, days: int, window: int
                        ) -> tuple[Path, int]:
    """Write ``eval_runs/regimes/<YYYY>Q<n>.csv`` for the ``days`` before ``as_of``; return
    the path and the number of rows."""
    start = as_of - timedelta(days=days)
    observations = read_observations(root / EVAL_DIR / "observations.csv")
    rows = regime_rows(observations, start=start, end=as_of, window=window)
    quarter = f"{start.year}Q{(start.month - 1) // 3 + 1}"
    relpath = f"{EVAL_DIR}/regimes/{quarter}.csv"
    text = csv_text(REGIME_COLUMNS, [row.cells(start, as_of) for row in rows])
    (path,) = write_artifacts(root, [PendingFile(relpath, text.encode("utf-8"))],
                             label="an invalid regime report")
    return path, len(rows)


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
