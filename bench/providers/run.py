"""Benchmark a 50-symbol Alpaca universe fetch against a loopback stub with 50 ms latency.

Run from the repository root:

    .venv/bin/python -m bench.providers.run
    .venv/bin/python -m bench.providers.run --latency-ms 50 --days 30 365

The stub implements Alpaca's multi-symbol bars paging (``limit`` counts points across all
symbols, results sorted by symbol then time, ``next_page_token`` until null). For each
window it prints, per strategy, the requests made against the minimum the API allows
(``ceil(points / 10000)`` per asset class), and the wall time against two bounds: the
latency bound (requests x latency, as pages are sequential) and the rate-limit bound (the
time the client's token bucket, set from the documented 200 calls/min, must wait). Each
strategy runs twice on a fresh client; the first run only warms the stub's page cache.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.contracts import Timeframe
from shared.providers._http import HttpPolicy
from shared.providers.alpaca import DATA_RATE_LIMIT, MAX_PAGE_LIMIT, AlpacaMarketData
from tests.helpers.loopback import LoopbackServer, RecordedRequest, Reply

__all__ = ["main"]

CRYPTO = [f"C{i:02d}-USD" for i in range(40)]
STOCKS = [f"S{i:02d}" for i in range(10)]
END = datetime(2024, 3, 1, tzinfo=UTC)


def _bars_stub(request: RecordedRequest) -> Reply:
    token = request.param("page_token")
    offset = int(base64.b64decode(token)) if token else 0
    body = _page(
        request.param("symbols") or "",
        request.param("start") or "",
        request.param("end") or "",
        int(request.param("limit") or 1000),
        offset,
    )
    return Reply(body=body)


# Pages are cached so a timed run measures the client and the latency, not the stub.
@functools.cache
def _page(symbols_csv: str, start_text: str, end_text: str, limit: int, offset: int) -> bytes:
    symbols = symbols_csv.split(",")
    start = datetime.fromisoformat(start_text.replace("Z", "+00:00"))
    end = datetime.fromisoformat(end_text.replace("Z", "+00:00"))
    points = [(s, t) for s in sorted(symbols) for t in _stub_times(s, start, end)]
    page = points[offset : offset + limit]
    bars: dict[str, list[dict[str, object]]] = {}
    for symbol, t in page:
        bars.setdefault(symbol, []).append(
            {
                "t": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "o": 100.0,
                "h": 101.0,
                "l": 99.0,
                "c": 100.5,
                "v": 12.5,
                "n": 7,
                "vw": 100.2,
            }
        )
    following = offset + limit
    next_token = (
        base64.b64encode(str(following).encode()).decode() if following < len(points) else None
    )
    return json.dumps({"bars": bars, "next_page_token": next_token}).encode()


def _stub_times(symbol: str, start: datetime, end: datetime) -> list[datetime]:
    # Crypto (``BTC/USD`` on the wire) trades 24/7; the stub's stocks have IEX-like hours.
    crypto = "/" in symbol
    times = []
    t = start
    while t + timedelta(hours=1) <= end:
        if crypto or (t.weekday() < 5 and 8 <= t.hour < 24):  # 16 bars per weekday
            times.append(t)
        t += timedelta(hours=1)
    return times


@dataclass(frozen=True)
class Row:
    days: int
    strategy: str
    points: int
    requests: int
    minimum: int
    wall_secs: float
    latency_bound_secs: float
    rate_bound_secs: float


def _fetch(url: str, symbols_per_call: list[list[str]], start: datetime) -> tuple[int, float]:
    client = AlpacaMarketData(
        api_key_id="bench",
        api_secret_key="bench",  # noqa: S106 - the stub ignores credentials
        data_url=url,
        trading_url=url,
        policy=HttpPolicy(read_timeout_secs=30.0),
    )
    began = time.perf_counter()
    for symbols in symbols_per_call:
        client.bars(symbols, start=start, end=END, timeframe=Timeframe.HOUR)
    return client.status().requests, time.perf_counter() - began


def _rate_bound(requests: int) -> float:
    return max(0, requests - DATA_RATE_LIMIT.burst) / DATA_RATE_LIMIT.rate_per_sec


def run(
    days: int, latency_ms: float, strategies: dict[str, Callable[[], list[list[str]]]]
) -> list[Row]:
    start = END - timedelta(days=days)
    crypto_points = sum(len(_stub_times(s.replace("-", "/"), start, END)) for s in CRYPTO)
    stock_points = sum(len(_stub_times(s, start, END)) for s in STOCKS)
    minimum = math.ceil(crypto_points / MAX_PAGE_LIMIT) + math.ceil(stock_points / MAX_PAGE_LIMIT)
    rows = []
    for name, plan in strategies.items():
        with LoopbackServer(default_delay_secs=latency_ms / 1000) as server:
            server.route("GET", "/v2/stocks/bars", _bars_stub)
            server.route("GET", "/v1beta3/crypto/us/bars", _bars_stub)
            _fetch(server.url, plan(), start)  # warm-up: fills the stub's page cache
            requests, wall = _fetch(server.url, plan(), start)
        rows.append(
            Row(
                days,
                name,
                crypto_points + stock_points,
                requests,
                minimum,
                wall,
                requests * latency_ms / 1000,
                _rate_bound(requests),
            )
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--days", type=int, nargs="+", default=[30, 365])
    parser.add_argument("--no-baseline", action="store_true", help="skip the per-symbol run")
    args = parser.parse_args(argv)
    strategies: dict[str, Callable[[], list[list[str]]]] = {
        "universe (ours)": lambda: [CRYPTO + STOCKS],
    }
    if not args.no_baseline:
        strategies["per symbol (naive)"] = lambda: [[s] for s in CRYPTO + STOCKS]
    print(  # noqa: T201 - a benchmark prints its table
        f"50 symbols (40 crypto + 10 stocks), 1Hour bars, stub latency {args.latency_ms:g} ms, "
        f"bucket {DATA_RATE_LIMIT.requests}/{DATA_RATE_LIMIT.per_secs:g}s burst "
        f"{DATA_RATE_LIMIT.burst}\n"
    )
    header = (
        "| window | strategy | points | requests | minimum | wall s | "
        "latency bound s | rate-limit bound s |"
    )
    print(header)  # noqa: T201
    print("|---|---|---:|---:|---:|---:|---:|---:|")  # noqa: T201
    for days in args.days:
        for row in run(days, args.latency_ms, strategies):
            print(  # noqa: T201
                f"| {row.days} d | {row.strategy} | {row.points:,} | {row.requests} | "
                f"{row.minimum} | {row.wall_secs:.2f} | {row.latency_bound_secs:.2f} | "
                f"{row.rate_bound_secs:.2f} |"
            )


if __name__ == "__main__":
    main()
