"""The embedded default feed: seeded synthetic hourly bars and headlines.

**Synthetic results say nothing about live performance.** The feed exists so that the
pipeline has something to find on a machine with no keys and no network, and so that tests
can check that the signal finds a relation that is there and invents none that is not.

The planted relation (documented, and switched off by ``edge=0``):

* Stories arrive per symbol as a Poisson process (``stories_per_week``). Each has a sign
  (bullish/bearish, equally likely) and a strength in [0.5, 1].
* A story is told first by one headline at its start, then re-told (syndicated, re-worded)
  by up to three more headlines within a few hours. Headlines are fetched a few minutes
  after they are published.
* ``informed_share`` of stories are *informed*: starting ``lag_hours`` after the story's
  first headline, the symbol's hourly log-return gets a drift of
  ``sign * strength * edge * drift_sigma * sigma`` for ``duration_hours``, and volume rises
  by ``strength * edge * volume_boost``. The other stories move nothing (noise narratives).
* Background headlines (neutral, or of random polarity with no drift) arrive at
  ``noise_headlines_per_day``.

With ``edge=0`` the headlines are generated exactly as before but no drift or volume change
follows, so any apparent predictive power is noise.

Every value for hour ``k`` depends only on ``(seed, symbol, k's epoch)`` and earlier epochs,
never on the requested window, so a run at ``t`` and a study over a period see the same
history (point-in-time consistency).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from shared.contracts import Narrative, Timeframe
from shared.contracts.frames import empty_bars_frame
from shared.errors import ConfigError

__all__ = ["ORIGIN", "PlantedStory", "SyntheticFeed", "SyntheticParams", "SymbolProfile"]

ORIGIN = datetime(2018, 1, 1, tzinfo=UTC)
_EPOCH_HOURS = 4096
_HOUR = timedelta(hours=1)
_HOUR_NS = 3_600_000_000_000

_BULLISH = (
    "{name} rallies as institutional inflows accelerate",
    "{name} surges after a major exchange expands support",
    "Analysts turn bullish on {name} as adoption grows",
    "{name} jumps on strong demand and record partnership deals",
    "{name} climbs as buyers return and sentiment improves",
    "Upgrade for {name}: analysts raise targets on robust growth",
)
_BEARISH = (
    "{name} slides as regulators weigh a crackdown",
    "{name} plunges after a security breach at a major platform",
    "{name} falls as outflows mount and traders turn bearish",
    "Sell-off hits {name} as lawsuit fears spread",
    "{name} drops as demand weakens and losses widen",
    "Analysts downgrade {name} on slowing growth and weak outlook",
)
_NEUTRAL = (
    "{name} trading volume in line with its monthly average",
    "Developers publish a routine {name} roadmap update",
    "{name} community schedules its quarterly governance call",
    "Exchange lists new {name} trading pair for institutional clients",
)
_RETELL = (
    "{text}",
    "Report: {text}",
    "{text}, sources say",
    "Update - {text}",
)


@dataclass(frozen=True)
class SymbolProfile:
    """How one synthetic symbol behaves."""

    name: str
    hourly_sigma: float
    base_price: float
    base_volume: float


@dataclass(frozen=True)
class SyntheticParams:
    """The planted relation's knobs (see the module docstring)."""

    edge: float = 1.0
    stories_per_week: float = 3.0
    informed_share: float = 0.75
    lag_hours: int = 1
    duration_hours: int = 24
    drift_sigma: float = 0.18
    volume_boost: float = 1.5
    noise_headlines_per_day: float = 1.5
    fetch_delay_mean_mins: float = 8.0


_KNOWN: dict[str, SymbolProfile] = {
    "BTC-USD": SymbolProfile("Bitcoin", 0.007, 30_000.0, 400.0),
    "ETH-USD": SymbolProfile("Ether", 0.009, 2_000.0, 5_000.0),
    "SOL-USD": SymbolProfile("Solana", 0.012, 100.0, 60_000.0),
}


def _stable_int(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def default_profile(symbol: str, name: str | None = None) -> SymbolProfile:
    """The profile of a known symbol, or a seeded-by-name one for any other."""
    if symbol in _KNOWN and name is None:
        return _KNOWN[symbol]
    h = _stable_int("profile", symbol)
    crypto = symbol.endswith("-USD")
    sigma = (0.006 + (h % 60) / 10_000) if crypto else (0.002 + (h % 30) / 10_000)
    return SymbolProfile(
        name=name or symbol.split("-")[0],
        hourly_sigma=sigma,
        base_price=10.0 + (h % 5000),
        base_volume=1_000.0 + (h % 100_000),
    )


@dataclass(frozen=True)
class PlantedStory:
    """What the feed planted (for an oracle that knows it; the pipeline never reads this):
    a story's first hour, its side, strength and whether it moves the price."""

    start: datetime
    sign: int
    strength: float
    informed: bool


@dataclass(frozen=True)
class _Story:
    start_hour: int
    sign: int
    strength: float
    informed: bool
    template: int
    retellings: tuple[int, ...]  # hour offsets of the re-tellings


@dataclass(frozen=True)
class _Series:
    log_close: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


class SyntheticFeed:
    """Seeded synthetic bars and narratives (a MarketFeed and a NewsFeed)."""

    name = "synthetic"

    def __init__(
        self,
        seed: int = 7,
        *,
        params: SyntheticParams | None = None,
        profiles: dict[str, SymbolProfile] | None = None,
        edge: float | None = None,
    ) -> None:
        base = params or SyntheticParams()
        if edge is not None:
            base = SyntheticParams(**{**base.__dict__, "edge": edge})
        if base.edge < 0:
            raise ConfigError(f"synthetic edge must be >= 0 (got {base.edge})")
        self.seed = seed
        self.params = base
        self._profiles = dict(profiles or {})
        self._series: dict[tuple[str, int], _Series] = {}
        self._stories: dict[tuple[str, int], list[_Story]] = {}

    # ----------------------------------------------------------------- public API
    def profile(self, symbol: str) -> SymbolProfile:
        if symbol not in self._profiles:
            self._profiles[symbol] = default_profile(symbol)
        return self._profiles[symbol]

    def bars(
        self,
        symbols: Sequence[str],
        *,
        start: datetime,
        end: datetime,
        timeframe: Timeframe,
    ) -> dict[str, pd.DataFrame]:
        if timeframe is not Timeframe.HOUR:
            raise ConfigError("the synthetic feed only provides 1Hour bars")
        first = max(0, _ceil_hours(start - ORIGIN))
        last_exclusive = _floor_hours(end - ORIGIN)  # bars [k, k+1h) with k+1h <= end
        out: dict[str, pd.DataFrame] = {}
        for symbol in symbols:
            if last_exclusive <= first:
                out[symbol] = empty_bars_frame()
                continue
            series = self._ensure_series(symbol, last_exclusive)
            idx = slice(first, last_exclusive)
            starts = pd.DatetimeIndex(
                ORIGIN.timestamp() * 1e9 + np.arange(first, last_exclusive) * _HOUR_NS,
                tz="UTC",
            ).as_unit("ns")
            out[symbol] = pd.DataFrame(
                {
                    "start": starts,
                    "end": starts + pd.Timedelta(hours=1),
                    "open": series.open[idx],
                    "high": series.high[idx],
                    "low": series.low[idx],
                    "close": series.close[idx],
                    "volume": series.volume[idx],
                }
            )
        return out

    def narratives(
        self, symbols: Sequence[str], *, start: datetime, end: datetime
    ) -> list[Narrative]:
        lo = max(0, _floor_hours(start - ORIGIN) - 8)
        hi = _ceil_hours(end - ORIGIN) + 1
        items: list[Narrative] = []
        for symbol in symbols:
            for epoch in range(lo // _EPOCH_HOURS, hi // _EPOCH_HOURS + 1):
                for narrative in self._epoch_narratives(symbol, epoch):
                    if narrative.published_at >= start and narrative.fetched_at <= end:
                        items.append(narrative)
        items.sort(key=lambda n: (n.fetched_at, n.narrative_id))
        return items

    def planted_stories(self, symbol: str, *, start: datetime, end: datetime
                        ) -> list[PlantedStory]:
        """The stories whose first hour is in ``[start, end)``: the answer key an oracle
        measures the signal against (the best the feed allows)."""
        lo = max(0, _floor_hours(start - ORIGIN))
        hi = _ceil_hours(end - ORIGIN)
        out = []
        for epoch in range(lo // _EPOCH_HOURS, hi // _EPOCH_HOURS + 1):
            for story in self._epoch_stories(symbol, epoch):
                when = ORIGIN + story.start_hour * _HOUR
                if start <= when < end:
                    out.append(PlantedStory(when, story.sign, story.strength,
                                            story.informed and self.params.edge > 0))
        return out

    # ----------------------------------------------------------------- generation
    def _rng(self, *parts: object) -> np.random.Generator:
        return np.random.default_rng(_stable_int(self.seed, *parts))

    def _epoch_stories(self, symbol: str, epoch: int) -> list[_Story]:
        key = (symbol, epoch)
        if key not in self._stories:
            p = self.params
            rng = self._rng("stories", symbol, epoch)
            count = int(rng.poisson(p.stories_per_week * _EPOCH_HOURS / 168))
            hours = np.sort(rng.integers(0, _EPOCH_HOURS, size=count))
            stories = []
            for hour in hours:
                n_retell = int(rng.integers(0, 4))
                stories.append(
                    _Story(
                        start_hour=epoch * _EPOCH_HOURS + int(hour),
                        sign=1 if rng.random() < 0.5 else -1,
                        strength=float(rng.uniform(0.5, 1.0)),
                        informed=bool(rng.random() < p.informed_share),
                        template=int(rng.integers(0, len(_BULLISH))),
                        retellings=tuple(sorted(int(x) for x in rng.integers(1, 6, n_retell))),
                    )
                )
            self._stories[key] = stories
        return self._stories[key]

    def _ensure_series(self, symbol: str, hours_needed: int) -> _Series:
        n_epochs = hours_needed // _EPOCH_HOURS + 1
        key = (symbol, n_epochs)
        if key not in self._series:
            self._series[key] = self._generate(symbol, n_epochs * _EPOCH_HOURS)
        return self._series[key]

    def _generate(self, symbol: str, n_hours: int) -> _Series:
        p = self.params
        prof = self.profile(symbol)
        sigma = prof.hourly_sigma
        n_epochs = n_hours // _EPOCH_HOURS
        noise = np.empty((n_epochs, 4, _EPOCH_HOURS))
        for epoch in range(n_epochs):
            noise[epoch] = self._rng("noise", symbol, epoch).standard_normal((4, _EPOCH_HOURS))
        returns = noise[:, 0, :].reshape(-1) * sigma
        wick_up = np.abs(noise[:, 1, :].reshape(-1)) * sigma * 0.5
        wick_down = np.abs(noise[:, 2, :].reshape(-1)) * sigma * 0.5
        vol_noise = noise[:, 3, :].reshape(-1) * 0.3
        boost = np.zeros(n_hours)
        if p.edge > 0:
            for epoch in range(n_epochs):
                for story in self._epoch_stories(symbol, epoch):
                    if not story.informed:
                        continue
                    lo = story.start_hour + p.lag_hours
                    hi = min(n_hours, lo + p.duration_hours)
                    if lo >= n_hours:
                        continue
                    returns[lo:hi] += story.sign * story.strength * p.edge * p.drift_sigma * sigma
                    boost[lo:hi] += story.strength * p.edge * p.volume_boost
        log_close = np.log(prof.base_price) + np.cumsum(returns)
        close = np.exp(log_close)
        open_ = np.empty_like(close)
        open_[0] = prof.base_price
        open_[1:] = close[:-1]
        high = np.maximum(open_, close) * np.exp(wick_up)
        low = np.minimum(open_, close) * np.exp(-wick_down)
        volume = prof.base_volume * np.exp(vol_noise) * (1.0 + boost)
        return _Series(log_close, open_, high, low, close, volume)

    def _epoch_narratives(self, symbol: str, epoch: int) -> list[Narrative]:
        prof = self.profile(symbol)
        rng = self._rng("headlines", symbol, epoch)
        delay_mean = self.params.fetch_delay_mean_mins
        out: list[Narrative] = []

        def emit(hour: int, minute: int, text: str, source: str, key: str) -> None:
            published = ORIGIN + hour * _HOUR + timedelta(minutes=minute)
            fetched = published + timedelta(minutes=1 + float(rng.exponential(delay_mean)))
            fetched = fetched.replace(microsecond=0)
            nid = hashlib.sha256(f"{self.seed}|{symbol}|{key}".encode()).hexdigest()[:16]
            out.append(
                Narrative(
                    narrative_id=nid,
                    headline=text,
                    source=source,
                    url=f"https://synthetic.invalid/{symbol.lower()}/{nid}",
                    symbols=(symbol,),
                    published_at=published,
                    fetched_at=fetched,
                )
            )

        sources = ("Synthetic Wire", "Synthetic Daily", "Synthetic Markets", "Synthetic Ledger")
        for i, story in enumerate(self._epoch_stories(symbol, epoch)):
            bank = _BULLISH if story.sign > 0 else _BEARISH
            text = bank[story.template].format(name=prof.name)
            emit(story.start_hour, int(rng.integers(0, 20)), text, sources[0], f"{epoch}/{i}/0")
            for j, offset in enumerate(story.retellings, start=1):
                retold = _RETELL[j % len(_RETELL)].format(text=text)
                source = sources[j % len(sources)]
                emit(story.start_hour + offset, int(rng.integers(0, 60)), retold, source,
                     f"{epoch}/{i}/{j}")
        n_noise = int(rng.poisson(self.params.noise_headlines_per_day * _EPOCH_HOURS / 24))
        for k in range(n_noise):
            hour = epoch * _EPOCH_HOURS + int(rng.integers(0, _EPOCH_HOURS))
            kind = rng.random()
            if kind < 0.6:
                text = _NEUTRAL[int(rng.integers(0, len(_NEUTRAL)))].format(name=prof.name)
            else:
                bank = _BULLISH if kind < 0.8 else _BEARISH
                text = bank[int(rng.integers(0, len(bank)))].format(name=prof.name)
            emit(hour, int(rng.integers(0, 60)), text, sources[3], f"{epoch}/noise/{k}")
        return out


def _floor_hours(delta: timedelta) -> int:
    return int(delta // _HOUR)


def _ceil_hours(delta: timedelta) -> int:
    return -int(-delta // _HOUR)
