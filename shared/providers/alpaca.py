"""Alpaca: historical stock bars (v2) and crypto bars (v1beta3), and the trading clock/calendar.

A universe is fetched in as few requests as the API allows: one request per asset class
with every symbol comma-joined and ``limit=10000`` (the limit counts points across all
symbols), following ``next_page_token`` until it is null.

Symbols: ours are ``AAPL``/``SPY`` for stocks and ``BTC-USD`` for crypto; on the wire crypto
uses ``BTC/USD``. A bar's ``t`` is its open time; our frame's ``end`` is
``start + timeframe.duration``, and only bars with ``end <= end`` are returned.

Example::

    feed = AlpacaMarketData.from_settings(Settings())
    frames = feed.bars(["AAPL", "BTC-USD"], start=..., end=..., timeframe=Timeframe.HOUR)
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import requests
from pydantic import BaseModel, ConfigDict

from shared.contracts import Timeframe
from shared.contracts.frames import BAR_COLUMNS, empty_bars_frame, validate_bars_frame
from shared.errors import ContractViolation, ProviderResponseError
from shared.providers._bounds import RunDeadline
from shared.providers._http import (
    BaseClient,
    CallRecorder,
    HttpPolicy,
    RateLimit,
    TokenBucket,
)
from shared.settings import Settings

__all__ = [
    "DATA_RATE_LIMIT",
    "MAX_PAGE_LIMIT",
    "TRADING_RATE_LIMIT",
    "AlpacaMarketData",
    "CalendarDay",
    "MarketClock",
    "is_crypto",
    "to_wire_symbol",
]

logger = logging.getLogger(__name__)

MAX_PAGE_LIMIT = 10_000
# Free plan: 200 historical calls/min (market data) and 200 requests/min per key (trading).
DATA_RATE_LIMIT = RateLimit(requests=200, per_secs=60.0, burst=10)
TRADING_RATE_LIMIT = RateLimit(requests=200, per_secs=60.0, burst=10)


def is_crypto(symbol: str) -> bool:
    """``BTC-USD`` (or ``BTC/USD``) is crypto; ``AAPL`` and ``BRK.B`` are stocks."""
    return "-" in symbol or "/" in symbol


def to_wire_symbol(symbol: str) -> str:
    """Our symbol as Alpaca spells it (``BTC-USD`` -> ``BTC/USD``)."""
    return symbol.replace("-", "/") if is_crypto(symbol) else symbol


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _WireBar(_Wire):
    t: datetime
    o: float
    h: float
    l: float  # noqa: E741 - Alpaca's field name
    c: float
    v: float
    n: int | None = None
    vw: float | None = None


class _BarsPage(_Wire):
    bars: dict[str, list[_WireBar]] | None  # null: no bars at all (never a missing key)
    next_page_token: str | None = None


class MarketClock(_Wire):
    """``GET /v2/clock``; timestamps keep the Eastern offset Alpaca sends."""

    timestamp: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime


class CalendarDay(_Wire):
    """One trading day; ``open``/``close`` are New York wall-clock ``HH:MM``."""

    date: dt.date
    open: str
    close: str
    session_open: str | None = None
    session_close: str | None = None
    settlement_date: dt.date | None = None


class AlpacaMarketData(BaseClient):
    """Bars for many symbols, plus the trading clock and calendar (implements MarketFeed)."""

    name = "alpaca"

    def __init__(
        self,
        *,
        api_key_id: str | None = None,
        api_secret_key: str | None = None,
        data_url: str = "https://data.alpaca.markets",
        trading_url: str = "https://paper-api.alpaca.markets",
        feed: str | None = "iex",
        adjustment: str | None = "split",
        crypto_location: str = "us",
        session: requests.Session | None = None,
        policy: HttpPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        random_fn: Callable[[], float] = random.random,
        recorder: CallRecorder | None = None,
        deadline: RunDeadline | None = None,
    ) -> None:
        super().__init__(
            provider="alpaca",
            base_url=data_url,
            session=session,
            policy=policy,
            limiter=TokenBucket(DATA_RATE_LIMIT, clock=clock, sleep=sleep),
            sleep=sleep,
            random_fn=random_fn,
            recorder=recorder,
            deadline=deadline,
        )
        self.trading_url = trading_url.rstrip("/")
        self._trading_limiter = TokenBucket(TRADING_RATE_LIMIT, clock=clock, sleep=sleep)
        self.feed = feed
        self.adjustment = adjustment
        self.crypto_location = crypto_location
        self._key_id = api_key_id or ""
        self._secret_key = api_secret_key or ""
        self._secrets = tuple(s for s in (self._key_id, self._secret_key) if s)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> AlpacaMarketData:
        """A client configured from ``settings`` (keys, URLs, feed, adjustment, timeouts)."""
        key = settings.apca_api_key_id
        secret = settings.apca_api_secret_key
        return cls(
            api_key_id=key.get_secret_value() if key else None,
            api_secret_key=secret.get_secret_value() if secret else None,
            data_url=settings.apca_api_data_url,
            trading_url=settings.apca_api_base_url,
            feed=settings.tb_alpaca_feed,
            adjustment=settings.tb_alpaca_adjustment,
            policy=kwargs.pop("policy", None) or HttpPolicy.from_settings(settings),
            **kwargs,
        )

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        if self._key_id and self._secret_key:
            headers["APCA-API-KEY-ID"] = self._key_id
            headers["APCA-API-SECRET-KEY"] = self._secret_key
        return headers

    # ------------------------------------------------------------------ bars

    def bars(
        self,
        symbols: Sequence[str],
        *,
        start: datetime,
        end: datetime,
        timeframe: Timeframe,
    ) -> dict[str, pd.DataFrame]:
        """``{symbol: frame}`` of closed bars with ``start >= start`` and ``end <= end``.

        Raises ProviderAuthError (stock bars without keys or plan), TransientProviderError,
        ProviderResponseError (wrong shape or bars that break OHLC invariants).
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        unique = list(dict.fromkeys(symbols))
        stocks = [s for s in unique if not is_crypto(s)]
        cryptos = [s for s in unique if is_crypto(s)]
        raw: dict[str, list[_WireBar]] = {}
        if stocks:
            params = self._bar_params(stocks, start, end, timeframe)
            if self.adjustment:
                params["adjustment"] = self.adjustment
            if self.feed:
                params["feed"] = self.feed
            raw.update(self._paginate("/v2/stocks/bars", params))
        if cryptos:
            params = self._bar_params(cryptos, start, end, timeframe)
            path = f"/v1beta3/crypto/{self.crypto_location}/bars"
            raw.update(self._paginate(path, params))
        by_ours = {to_wire_symbol(s): s for s in unique}
        unexpected = sorted(set(raw) - set(by_ours))
        if unexpected:
            raise ProviderResponseError(
                f"alpaca: bars for symbols that were not requested: {unexpected[:5]}",
                provider=self.provider,
            )
        return {
            symbol: self._frame(symbol, raw.get(to_wire_symbol(symbol), []), start, end, timeframe)
            for symbol in unique
        }

    @staticmethod
    def _bar_params(
        symbols: list[str], start: datetime, end: datetime, timeframe: Timeframe
    ) -> dict[str, str]:
        return {
            "symbols": ",".join(to_wire_symbol(s) for s in symbols),
            "timeframe": timeframe.value,
            "start": _rfc3339(start),
            "end": _rfc3339(end),
            "limit": str(MAX_PAGE_LIMIT),
            "sort": "asc",
        }

    @staticmethod
    def max_pages(params: dict[str, str]) -> int:
        """The most pages an honest answer can need: every bar requested at the page limit,
        plus a partial page per symbol, doubled; a server past it is refused, not followed."""
        start = datetime.fromisoformat(params["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(params["end"].replace("Z", "+00:00"))
        minutes = {"1Hour": 60, "1Day": 1440}.get(params["timeframe"], 1)
        symbols = params["symbols"].count(",") + 1
        bars = max(1, int((end - start).total_seconds() // 60 // minutes) + 1) * symbols
        return 2 * (bars // int(params["limit"]) + symbols) + 2

    def _paginate(self, path: str, params: dict[str, str]) -> dict[str, list[_WireBar]]:
        merged: dict[str, list[_WireBar]] = {}
        page_token: str | None = None
        seen_tokens: set[str] = set()
        while True:
            query = dict(params)
            if page_token is not None:
                query["page_token"] = page_token
            page = self._call(
                "GET",
                path,
                lambda data: self._validate(_BarsPage, data, what="bars page"),
                params=query,
            )
            for symbol, bars in (page.bars or {}).items():
                merged.setdefault(symbol, []).extend(bars)
            page_token = page.next_page_token
            if not page_token:
                return merged
            if page_token in seen_tokens:
                raise ProviderResponseError(
                    f"alpaca {path}: next_page_token repeated; pagination would not end",
                    provider=self.provider,
                )
            seen_tokens.add(page_token)
            if len(seen_tokens) >= self.max_pages(params):
                raise ProviderResponseError(
                    f"alpaca {path}: more than {len(seen_tokens)} pages for this request; "
                    "pagination would not end",
                    provider=self.provider,
                )

    def _frame(
        self,
        symbol: str,
        bars: list[_WireBar],
        start: datetime,
        end: datetime,
        timeframe: Timeframe,
    ) -> pd.DataFrame:
        if not bars:
            return empty_bars_frame()
        starts = pd.to_datetime([b.t for b in bars], utc=True).as_unit("ns")
        frame = pd.DataFrame(
            {
                "start": starts,
                "end": starts + pd.Timedelta(timeframe.duration),
                "open": [b.o for b in bars],
                "high": [b.h for b in bars],
                "low": [b.l for b in bars],
                "close": [b.c for b in bars],
                "volume": [b.v for b in bars],
            },
            columns=list(BAR_COLUMNS),
        )
        keep = (frame["start"] >= pd.Timestamp(start)) & (frame["end"] <= pd.Timestamp(end))
        frame = frame.loc[keep].drop_duplicates().sort_values("start")
        if frame.empty:
            return empty_bars_frame()
        try:
            return validate_bars_frame(frame, symbol=symbol)
        except ContractViolation as e:
            raise ProviderResponseError(f"alpaca: invalid bars: {e}", provider=self.provider) from e

    # ------------------------------------------------------------------ trading host

    def clock(self) -> MarketClock:
        """``GET /v2/clock`` on the trading host (needs keys)."""
        return self._call(
            "GET",
            "/v2/clock",
            lambda data: self._validate(MarketClock, data, what="clock"),
            base_url=self.trading_url,
            limiter=self._trading_limiter,
        )

    def calendar(self, start: dt.date, end: dt.date) -> list[CalendarDay]:
        """``GET /v2/calendar?start=&end=`` on the trading host: trading days in [start, end]."""
        return self._call(
            "GET",
            "/v2/calendar",
            lambda data: self._validate(list[CalendarDay], data, what="calendar"),
            params={"start": start.isoformat(), "end": end.isoformat()},
            base_url=self.trading_url,
            limiter=self._trading_limiter,
        )


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
