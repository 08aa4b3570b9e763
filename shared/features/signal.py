"""Point-in-time features for the divergence signal.

Everything here is computed *as of* ``t`` from data available at ``t``: bars whose ``end``
is ``<= t`` and narratives published and fetched at or before ``t``. The inputs are prepared
once (sorted arrays) and sliced by binary search per decision time, so a study can evaluate
every bar of a year cheaply; callers may pass more data than was available, since these
functions cut it themselves (a leak needs two bugs, not one).

Narrative score: the weighted mean of headline polarities in the window, each weight the
product of time decay ``0.5 ** (age / half_life)``, novelty, source weight and model
confidence, shrunk toward neutral by ``neutral_prior_mass`` (a pseudo-weight of neutral
news), so that the score of a story fades as it ages rather than only its mass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import ClassVar, TypedDict

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from pydantic import Field, PositiveFloat, PositiveInt

from shared.config import StrictConfigModel
from shared.contracts import Narrative, SentimentScore, SignalFeatures
from shared.features.novelty import novelty_scores
from shared.features.polarity import blend_polarity

__all__ = [
    "FeatureParams",
    "NarrativeParams",
    "PreparedBars",
    "PreparedNarratives",
    "RENAMED_FEATURE_KEYS",
    "compute_features",
    "decay_weight",
    "epoch_ns",
    "prepare_narratives",
]

_NS_PER_HOUR = 3_600_000_000_000


RENAMED_FEATURE_KEYS: Mapping[str, str] = MappingProxyType({
    "move_lookback_hours": "move_lookback_bars",
    "vol_window_hours": "vol_window_bars",
    "participation_hours": "participation_bars",
    "trend_lookback_hours": "trend_lookback_bars",
})
"""Feature windows that count bars were once named in hours: ``{old key: new key}``."""


class FeatureParams(StrictConfigModel):
    """Windows and decay of the feature computation (``config/signal.yaml: features``).

    ``*_bars`` windows count closed bars (one an hour for crypto, about six a session for an
    equity); ``*_hours`` are durations on headline timestamps."""

    renamed_keys: ClassVar[Mapping[str, str]] = RENAMED_FEATURE_KEYS

    narrative_window_hours: PositiveInt = Field(default=48, le=24 * 30)
    half_life_hours: PositiveFloat = Field(default=12.0, le=24 * 14)
    persistence_bucket_hours: PositiveInt = Field(default=6, le=48)
    move_lookback_bars: PositiveInt = Field(default=6, le=24 * 7)
    vol_window_bars: PositiveInt = Field(default=168, ge=24, le=24 * 90)
    participation_bars: PositiveInt = Field(default=6, le=72)
    trend_lookback_bars: PositiveInt = Field(default=168, le=24 * 90)
    min_bars: PositiveInt = Field(default=48, ge=8)
    polarity_band: float = Field(default=0.2, ge=0.0, le=0.9)
    neutral_prior_mass: float = Field(default=1.0, ge=0.0, le=20.0)
    persistence_min_weight: float = Field(default=0.25, ge=0.0, le=1.0)


class NarrativeParams(StrictConfigModel):
    """How headlines are weighted before they enter the score (``config/signal.yaml``)."""

    novelty_lookback_hours: PositiveInt = Field(default=72, le=24 * 14)
    distinct_similarity: float = Field(default=0.15, ge=0.0, le=0.9)
    duplicate_similarity: float = Field(default=0.5, gt=0.0, le=1.0)
    disagreement_band: float = Field(default=0.2, ge=0.0, le=0.9)
    disagreement_penalty: float = Field(default=0.4, ge=0.0, le=1.0)
    source_weights: dict[str, float] = Field(default_factory=dict)
    default_source_weight: float = Field(default=1.0, ge=0.0, le=5.0)


def decay_weight(age_hours: np.ndarray | float, half_life_hours: float) -> np.ndarray:
    """Time decay of a headline's weight: 1 at age 0, halving every ``half_life_hours``."""
    return np.power(0.5, np.asarray(age_hours, dtype="float64") / half_life_hours)


@dataclass(frozen=True)
class BarWindows:
    """The window statistics of the bar features for every end position of a bar array,
    computed once with numpy over sliding windows: element ``e`` belongs to the decision that
    sees the first ``e`` bars (NaN where the windows are not full).

    Each row is reduced with the very numpy call :func:`compute_features` makes on one
    window (``np.std(ddof=1)``, ``np.median``, ``np.mean`` along the window), so the values
    are equal to the bit (``tests/shared/signal/test_fast_walk.py`` checks them)."""

    vol_window_bars: int
    participation_bars: int
    return_std: np.ndarray  # std (ddof=1) of the last vol_window_bars log returns
    volume_norm: np.ndarray  # median volume of the vol window before the recent bars
    volume_recent: np.ndarray  # mean volume of the last participation_bars bars

    @classmethod
    def of(cls, log_close: np.ndarray, volume: np.ndarray, vol_window_bars: int,
           participation_bars: int) -> BarWindows:
        window, recent = vol_window_bars, participation_bars
        size = len(log_close) + 1
        out = {name: np.full(size, np.nan) for name in ("std", "norm", "recent")}
        if window > recent and size > window + 1:
            returns = np.diff(log_close)
            _reduce_rows(out["std"][window + 1:], sliding_window_view(returns, window),
                         lambda rows: np.std(rows, axis=1, ddof=1))
            _reduce_rows(out["norm"][window:], sliding_window_view(volume, window - recent),
                         lambda rows: np.median(rows, axis=1))
            _reduce_rows(out["recent"][recent:], sliding_window_view(volume, recent),
                         lambda rows: np.mean(rows, axis=1))
        return cls(window, recent, out["std"], out["norm"], out["recent"])


_ROWS_PER_CHUNK = 4096  # bounds the temporaries of a reduction (rows x window floats)


def _reduce_rows(target: np.ndarray, rows: np.ndarray, reduce: Callable[[np.ndarray], np.ndarray]
                 ) -> None:
    rows = rows[:len(target)]  # windows that end after the last bar belong to no decision
    for first in range(0, len(rows), _ROWS_PER_CHUNK):
        chunk = rows[first:first + _ROWS_PER_CHUNK]
        target[first:first + len(chunk)] = reduce(chunk)


@dataclass(frozen=True)
class PreparedBars:
    """A bar frame as arrays, sorted by ``end``.

    A cut (:meth:`between`) is a view that remembers the arrays it was cut from
    (``origin``, at ``offset``), so that window statistics computed once for a whole period
    (:meth:`windows`) serve every decision in it."""

    end_ns: np.ndarray
    log_close: np.ndarray
    volume: np.ndarray
    start_ns: np.ndarray
    # Set by between() alone (init=False: a copy made with dataclasses.replace is its own
    # origin, so it never reads windows of arrays it does not hold).
    origin: PreparedBars | None = field(default=None, init=False, compare=False, repr=False)
    offset: int = field(default=0, init=False, compare=False, repr=False)
    _windows: dict[tuple[int, int], BarWindows] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> PreparedBars:
        ordered = frame.sort_values("end", kind="stable")
        return cls(
            end_ns=ordered["end"].to_numpy(dtype="datetime64[ns]").astype("int64"),
            log_close=np.log(ordered["close"].to_numpy(dtype="float64")),
            volume=ordered["volume"].to_numpy(dtype="float64"),
            start_ns=ordered["start"].to_numpy(dtype="datetime64[ns]").astype("int64"),
        )

    def between(self, start: datetime, end: datetime) -> PreparedBars:
        """The bars a feed asked for ``[start, end]`` returns: ``start >= start`` and closed
        by ``end`` (views, no copy). Bars are contiguous in both orders, so two binary
        searches find them."""
        first = int(self.start_ns.searchsorted(epoch_ns(start), side="left"))
        last = max(first, self.available(end))
        view = PreparedBars(self.end_ns[first:last], self.log_close[first:last],
                            self.volume[first:last], self.start_ns[first:last])
        object.__setattr__(view, "origin", self.origin or self)
        object.__setattr__(view, "offset", self.offset + first)
        return view

    def available(self, as_of: datetime) -> int:
        """How many bars had closed by ``as_of``."""
        return int(self.end_ns.searchsorted(epoch_ns(as_of), side="right"))

    def windows(self, vol_window_bars: int, participation_bars: int) -> tuple[BarWindows, int]:
        """The window statistics of the arrays this view was cut from, computed on first
        use, and where this view starts in them (add ``n`` for the first ``n`` bars here)."""
        root = self.origin or self
        key = (vol_window_bars, participation_bars)
        table = root._windows.get(key)
        if table is None:
            table = root._windows[key] = BarWindows.of(root.log_close, root.volume, *key)
        return table, self.offset


@dataclass(frozen=True)
class PreparedNarratives:
    """Scored narratives as arrays, sorted by ``published_at``.

    :meth:`precompute` computes the narrative features of many decision times at once (a
    walk knows its times); :func:`compute_features` reads them from there when present."""

    published_ns: np.ndarray
    fetched_ns: np.ndarray
    polarity: np.ndarray
    base_weight: np.ndarray  # novelty x source weight x (blended) confidence
    disagreement: np.ndarray  # bool
    source: np.ndarray  # int codes
    narratives: tuple[Narrative, ...]
    _at: dict[tuple[float, ...], dict[int, _NarrativeFeatures]] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    def precompute(self, times_ns: Sequence[int], params: FeatureParams) -> None:
        """Compute the narrative features at each of ``times_ns`` (epoch nanoseconds) now,
        for :func:`compute_features` to read (see :func:`_narrative_table`)."""
        table = self._at.setdefault(_narrative_key(params), {})
        wanted = np.unique(np.asarray(list(times_ns), dtype="int64"))
        for first in range(0, len(wanted), _TIMES_PER_CHUNK):
            table.update(_narrative_table(self, wanted[first:first + _TIMES_PER_CHUNK],
                                          params))


def prepare_narratives(
    narratives: Sequence[Narrative],
    scores: Sequence[SentimentScore],
    params: NarrativeParams,
    checks: Sequence[SentimentScore | None] | None = None,
) -> PreparedNarratives:
    """Blend polarities, compute novelty, and sort. ``scores`` (and ``checks``, the LLM
    polarity check, when present) are aligned with ``narratives``."""
    if len(scores) != len(narratives) or (checks is not None and len(checks) != len(scores)):
        raise ValueError("scores and checks must be aligned with narratives")
    novelty = novelty_scores(
        narratives,
        lookback=timedelta(hours=params.novelty_lookback_hours),
        distinct_similarity=params.distinct_similarity,
        duplicate_similarity=params.duplicate_similarity,
    )
    order = sorted(range(len(narratives)), key=lambda i: (narratives[i].published_at,
                                                          narratives[i].narrative_id))
    sources: dict[str, int] = {}
    rows = []
    for i in order:
        item = narratives[i]
        blended = blend_polarity(
            scores[i],
            checks[i] if checks is not None else None,
            disagreement_band=params.disagreement_band,
            disagreement_penalty=params.disagreement_penalty,
        )
        weight_source = params.source_weights.get(item.source, params.default_source_weight)
        rows.append((epoch_ns(item.published_at), epoch_ns(item.fetched_at), blended.polarity,
                     novelty[item.narrative_id] * weight_source * blended.confidence,
                     blended.disagreement,
                     sources.setdefault(item.source, len(sources))))
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    return PreparedNarratives(
        published_ns=np.asarray(columns[0], dtype="int64"),
        fetched_ns=np.asarray(columns[1], dtype="int64"),
        polarity=np.asarray(columns[2], dtype="float64"),
        base_weight=np.asarray(columns[3], dtype="float64"),
        disagreement=np.asarray(columns[4], dtype="bool"),
        source=np.asarray(columns[5], dtype="int64"),
        narratives=tuple(narratives[i] for i in order),
    )


def compute_features(
    symbol: str,
    as_of: datetime,
    bars: PreparedBars,
    news: PreparedNarratives,
    params: FeatureParams,
) -> SignalFeatures:
    """Compute features at ``as_of``. Raises ``ValueError`` when there are too few bars."""
    n = bars.available(as_of)
    if n < params.min_bars:
        raise ValueError(
            f"{symbol}: {n} closed bars at {as_of.isoformat()}, need {params.min_bars}"
        )
    log_close = bars.log_close[:n]
    std, norm_level, recent_level = _bar_windows(bars, n, params)
    realized_vol = max(std, 1e-6)
    k = min(params.move_lookback_bars, n - 1)
    price_return = float(log_close[-1] - log_close[-1 - k])
    t = min(params.trend_lookback_bars, n - 1)
    trend_z = float(log_close[-1] - log_close[-1 - t]) / (realized_vol * math.sqrt(t))
    participation = recent_level / norm_level if norm_level > 0 else 0.0
    narrative = _narrative_features(as_of, news, params)
    return SignalFeatures(
        symbol=symbol,
        as_of=as_of,
        price_return=price_return,
        realized_vol=realized_vol,
        move_z=price_return / (realized_vol * math.sqrt(k)),
        participation=participation,
        trend_z=trend_z,
        bars_used=n,
        last_bar_end=_utc(int(bars.end_ns[n - 1])),
        **narrative,
    )


def _bar_windows(bars: PreparedBars, n: int, params: FeatureParams) -> tuple[float, float, float]:
    """Over the first ``n`` bars: the std (ddof=1) of the last ``vol_window_bars`` log
    returns (0 with fewer than two), the median volume of the vol window before the recent
    bars (0 when empty) and the mean volume of the last ``participation_bars`` bars.

    With full windows they are read from the period's :class:`BarWindows`, computed once;
    near the start of the data (or of a gap), on the short windows directly."""
    window, recent = params.vol_window_bars, params.participation_bars
    if n > window and window > recent:
        table, offset = bars.windows(window, recent)
        end = offset + n
        return (float(table.return_std[end]), float(table.volume_norm[end]),
                float(table.volume_recent[end]))
    returns = np.diff(bars.log_close[:n][-(window + 1):])
    volume = bars.volume[:n]
    # The norm is a median: bursts of volume (the very thing measured) must not inflate it.
    norm = volume[-window:-recent]
    return (float(np.std(returns, ddof=1)) if len(returns) > 1 else 0.0,
            float(np.median(norm)) if len(norm) else 0.0,
            float(np.mean(volume[-recent:])))


class _NarrativeFeatures(TypedDict):
    narrative_score: float | None
    narrative_mass: float
    headline_count: int
    source_count: int
    window_count: int
    disagreement_share: float


_TIMES_PER_CHUNK = 8192  # bounds the (time, headline) pairs held at once


def _narrative_key(params: FeatureParams) -> tuple[float, ...]:
    return (params.narrative_window_hours, params.half_life_hours,
            params.persistence_bucket_hours, params.polarity_band, params.neutral_prior_mass,
            params.persistence_min_weight)


def _empty_narrative() -> _NarrativeFeatures:
    return {"narrative_score": None, "narrative_mass": 0.0, "headline_count": 0,
            "source_count": 0, "window_count": 0, "disagreement_share": 0.0}


def _narrative_table(news: PreparedNarratives, times: np.ndarray, params: FeatureParams
                     ) -> dict[int, _NarrativeFeatures]:
    """:func:`_narrative_features` at each of ``times`` (sorted epoch ns), to the bit.

    Every (time, headline in its window) pair is laid out in one array, time after time,
    so the elementwise steps (age, decay, weight, agreement) run once over all pairs and
    each time's sums run on its own contiguous slice, with the calls the per-time function
    makes (``ndarray.sum``, ``math.fsum``); distinct sources and buckets are counted with
    ``np.unique`` over (time, value) keys."""
    published = news.published_ns
    lo = published.searchsorted(times - params.narrative_window_hours * _NS_PER_HOUR,
                                side="left")
    hi = published.searchsorted(times, side="right")
    owner = np.repeat(np.arange(len(times)), hi - lo)
    starts = np.repeat(lo - np.concatenate(([0], np.cumsum(hi - lo)[:-1])), hi - lo)
    item = np.arange(len(owner)) + starts
    seen = news.fetched_ns[item] <= times[owner]  # published and fetched by the time
    owner, item = owner[seen], item[seen]
    counts = np.bincount(owner, minlength=len(times))
    bounds = np.concatenate(([0], np.cumsum(counts)))
    age_hours = (times[owner] - published[item]) / _NS_PER_HOUR
    decay = decay_weight(age_hours, params.half_life_hours)
    weights = news.base_weight[item] * decay
    polarity = news.polarity[item]
    products = weights * polarity
    disagreement = news.disagreement[item]
    out: dict[int, _NarrativeFeatures] = {}
    sides = np.zeros(len(times))
    for i in np.flatnonzero(counts).tolist():
        a, b = int(bounds[i]), int(bounds[i + 1])
        mass = float(weights[a:b].sum())
        denominator = mass + params.neutral_prior_mass
        score = math.fsum(products[a:b]) / denominator if denominator > 0 else 0.0
        sides[i] = np.sign(score) if abs(score) > 0 else 0.0
        out[int(times[i])] = {
            "narrative_score": max(-1.0, min(1.0, score)), "narrative_mass": mass,
            "headline_count": b - a, "source_count": 0, "window_count": 0,
            "disagreement_share": float(weights[a:b][disagreement[a:b]].sum() / mass)
            if mass > 0 else 0.0}
    agree = ((np.sign(polarity) == sides[owner]) & (np.abs(polarity) > params.polarity_band)
             & (decay >= params.persistence_min_weight))
    buckets = (age_hours[agree] // params.persistence_bucket_hours).astype("int64")
    for name, values in (("source_count", news.source[item][agree]),
                         ("window_count", buckets)):
        span = int(values.max()) + 1 if len(values) else 1
        distinct = np.unique(owner[agree].astype("int64") * span + values) // span
        for i, count in zip(*np.unique(distinct, return_counts=True), strict=True):
            out[int(times[i])][name] = int(count)  # type: ignore[literal-required]
    for t in times[counts == 0].tolist():
        out[int(t)] = _empty_narrative()
    return out


def _narrative_features(
    as_of: datetime, news: PreparedNarratives, params: FeatureParams
) -> _NarrativeFeatures:
    now = epoch_ns(as_of)
    table = news._at.get(_narrative_key(params))
    if table is not None and now in table:
        return table[now]
    published = news.published_ns
    lo = int(published.searchsorted(now - params.narrative_window_hours * _NS_PER_HOUR,
                                    side="left"))
    hi = int(published.searchsorted(now, side="right"))
    fetched = news.fetched_ns[lo:hi] <= now
    count = int(np.count_nonzero(fetched))
    if count == 0:
        return _empty_narrative()
    # A slice (a view) when every headline of the window had been fetched, as is usual.
    idx: slice | np.ndarray = slice(lo, hi) if count == hi - lo else np.flatnonzero(fetched) + lo
    age_hours = (now - published[idx]) / _NS_PER_HOUR
    decay = decay_weight(age_hours, params.half_life_hours)
    weights = news.base_weight[idx] * decay
    polarity = news.polarity[idx]
    mass = float(weights.sum())
    # Shrink toward neutral by a prior mass, so that a fading (decayed) story fades in score,
    # not only in mass: one fresh headline counts, one from yesterday barely does.
    denominator = mass + params.neutral_prior_mass
    # math.fsum, not np.dot: a BLAS dot product sums in a kernel-dependent order, so its last
    # bits (and every digest downstream) would differ between CPUs and OpenBLAS settings.
    score = math.fsum(weights * polarity) / denominator if denominator > 0 else 0.0
    side = np.sign(score) if abs(score) > 0 else 0.0
    # Persistence counts headlines on the dominant side that are still recent (time decay
    # only: a syndicated re-telling has little novelty but is exactly what persistence means).
    agree = (
        (np.sign(polarity) == side)
        & (np.abs(polarity) > params.polarity_band)
        & (decay >= params.persistence_min_weight)
    )
    buckets = (age_hours[agree] // params.persistence_bucket_hours).astype("int64")
    return {
        "narrative_score": max(-1.0, min(1.0, score)),
        "narrative_mass": mass,
        "headline_count": count,
        "source_count": len(set(news.source[idx][agree].tolist())),
        "window_count": len(set(buckets.tolist())),
        "disagreement_share": float(weights[news.disagreement[idx]].sum() / mass)
        if mass > 0 else 0.0,
    }


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)


def epoch_ns(value: datetime) -> int:
    """Nanoseconds since the epoch (a naive time is UTC), as ``pd.Timestamp(value).value``
    gives them, without building a Timestamp (it is called several times per decision)."""
    if isinstance(value, pd.Timestamp):
        return int(value.as_unit("ns").value)
    delta = value - (_EPOCH if value.tzinfo is not None else _EPOCH_NAIVE)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _utc(ns: int) -> datetime:
    """The UTC datetime of a nanosecond timestamp (to the microsecond, as
    ``pd.Timestamp(ns, tz="UTC").to_pydatetime()`` gives it)."""
    return _EPOCH + timedelta(microseconds=ns // 1_000)
