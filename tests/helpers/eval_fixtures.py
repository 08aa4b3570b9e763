"""Deterministic stand-ins for evaluation tests: a bar feed over frames and run artifacts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from shared.contracts import (
    Authority,
    Decision,
    DigestMessage,
    Direction,
    EnvelopeStatus,
    Forecast,
    Mode,
    OutcomeStatus,
    ReportEnvelope,
    RunManifest,
    SignalOutcome,
    Timeframe,
    TracerRun,
    canonical_json,
    sha256_hex,
)
from shared.contracts.frames import BAR_COLUMNS, empty_bars_frame
from shared.store.layout import tracer_run_paths

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def random_walk_bars(
    start: datetime, hours: int, *, seed: int, price_usd: float = 100.0
) -> pd.DataFrame:
    """Hourly bars of a seeded random walk, as a bar frame."""
    rng = np.random.default_rng(seed)
    closes = price_usd * np.exp(np.cumsum(rng.normal(0.0, 0.01, hours)))
    opens = np.concatenate([[price_usd], closes[:-1]])
    starts = pd.date_range(start, periods=hours, freq="h", tz="UTC").as_unit("ns")
    return pd.DataFrame(
        {
            "start": starts,
            "end": starts + pd.Timedelta(hours=1),
            "open": opens,
            "high": np.maximum(opens, closes) * 1.001,
            "low": np.minimum(opens, closes) * 0.999,
            "close": closes,
            "volume": np.full(hours, 1000.0),
        }
    )


class FrameFeed:
    """A MarketFeed over fixed frames: returns the bars in the window, point-in-time."""

    name = "frames"

    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self.frames = dict(frames)
        self.calls: list[tuple[tuple[str, ...], datetime, datetime]] = []

    def bars(
        self,
        symbols: Sequence[str],
        *,
        start: datetime,
        end: datetime,
        timeframe: Timeframe,
    ) -> dict[str, pd.DataFrame]:
        assert timeframe is Timeframe.HOUR
        self.calls.append((tuple(symbols), start, end))
        out = {}
        for symbol in symbols:
            frame = self.frames.get(symbol)
            if frame is None:
                out[symbol] = empty_bars_frame()
                continue
            keep = (frame["start"] >= start) & (frame["end"] <= end)
            out[symbol] = frame.loc[keep, list(BAR_COLUMNS)].reset_index(drop=True)
        return out


def make_forecast(
    symbol: str, as_of: datetime, p_up: float, *, horizon_hours: int = 24, bot_version: str = "1"
) -> Forecast:
    """A valid forecast whose direction and strength follow from ``p_up``."""
    direction = Direction.UP if p_up > 0.5 else Direction.DOWN if p_up < 0.5 else Direction.FLAT
    return Forecast(
        symbol=symbol,
        as_of=as_of,
        horizon_hours=horizon_hours,
        p_up=p_up,
        direction=direction,
        strength=abs(p_up - 0.5) * 2,
        bot="divergence",
        bot_version=bot_version,
    )


def make_tracer_run(
    forecast: Forecast | None, *, as_of: datetime, symbol: str, feed: str,
    status: OutcomeStatus = OutcomeStatus.NO_TRIGGER,
) -> TracerRun:
    """A minimal valid tracer run carrying ``forecast``."""
    run_id = sha256_hex(f"{symbol}{as_of.isoformat()}{feed}")[:16]
    digest = sha256_hex("config")[:16]
    manifest = RunManifest(
        run_id=run_id,
        stage="tracer",
        as_of=as_of,
        seed=7,
        feed=feed,
        git_sha="0" * 40,
        code_version="0.1.0",
        config_digest=digest,
        inputs_digest=digest,
        degraded=False,
    )
    envelope = ReportEnvelope(
        bot="divergence",
        bot_version="1",
        authority=Authority.ADVISE,
        mode=Mode.SHADOW,
        symbol=symbol,
        as_of=as_of,
        status=EnvelopeStatus.OK,
        decision=Decision.NO_TRIGGER,
        effective=False,
        reason_codes=("TEST",),
        rationale="test run",
        config_version=digest,
        inputs_digest=digest,
        forecast=forecast,
    )
    return TracerRun(
        run_id=run_id,
        as_of=as_of,
        symbol=symbol,
        manifest=manifest,
        outcome=SignalOutcome(
            symbol=symbol,
            as_of=as_of,
            status=status,
            direction=forecast.direction if forecast else None,
            p_up=forecast.p_up if forecast else None,
            rank_score=0.0,
        ),
        envelopes=(envelope,),
        forecast=forecast,
        digest=DigestMessage(trace_id=run_id, parts=("digest",), delivery="printed"),
    )


def write_run(artifacts_dir: Path, run: TracerRun) -> Path:
    """Write a run where the pipeline writes it: ``runs/<YYYY-MM-DD>/tracer-<run_id>.json``."""
    path = artifacts_dir / tracer_run_paths(run.as_of, run.run_id)["run"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(canonical_json(run), encoding="utf-8")
    return path


def momentum_p(frame: pd.DataFrame, as_of: datetime, *, lookback_hours: int = 6) -> float:
    """A toy point-in-time forecast: nudge p_up by the recent return of bars closed by as_of."""
    closed = frame.loc[frame["end"] <= as_of, "close"].to_numpy()
    if closed.size <= lookback_hours:
        return 0.5
    ret = float(np.log(closed[-1] / closed[-1 - lookback_hours]))
    return float(np.clip(0.5 + 5.0 * ret, 0.05, 0.95))


def hours(n: int) -> timedelta:
    return timedelta(hours=n)
