"""The contenders, run in their OWN environment (never project dependencies).

    python bench/backtest/others.py BARS.npz MODE [N]

MODE: ``vbt-cold`` (one fresh-process vectorbt run, import included), ``vbt-warm`` (best of 3
after a first call), ``vbt-sweep`` (100 pairs), ``bt`` (backtrader on the first N bars). Prints
one JSON line: seconds and the closed-trade count. Same rules as ours where the library allows:
SMA(fast/slow) crossover, long-only 1 unit, next-bar-open fills, 0.1 % commission, 100000 cash.
vectorbt's MA is a running mean (not correctly rounded), so its crossings may differ at exact
ties (none occur on the unrounded synthetic prices).
"""

from __future__ import annotations

import json
import sys
import time

T0 = time.perf_counter()

import numpy as np  # noqa: E402


def _vbt_run(vbt, open_, close, fast, slow):  # type: ignore[no-untyped-def]
    import pandas as pd

    close_s, open_s = pd.Series(close), pd.Series(open_)
    fast_ma = vbt.MA.run(close_s, fast, short_name="fast")
    slow_ma = vbt.MA.run(close_s, slow, short_name="slow")
    entries = fast_ma.ma_crossed_above(slow_ma).shift(1, fill_value=False)
    exits = fast_ma.ma_crossed_below(slow_ma).shift(1, fill_value=False)
    return vbt.Portfolio.from_signals(close_s, entries, exits, price=open_s, size=1.0,
                                      fees=0.001, init_cash=100_000.0)


def main() -> None:
    data = np.load(sys.argv[1])
    mode = sys.argv[2]
    open_, close = data["open"], data["close"]
    if mode.startswith("vbt"):
        import vectorbt as vbt

        if mode == "vbt-cold":
            pf = _vbt_run(vbt, open_, close, 10, 30)
            trades = int(pf.trades.closed.count())
            print(json.dumps({"seconds": time.perf_counter() - T0, "trades": trades}))
            return
        if mode == "vbt-warm":
            _vbt_run(vbt, open_, close, 10, 30)
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                pf = _vbt_run(vbt, open_, close, 10, 30)
                trades = int(pf.trades.closed.count())
                best = min(best, time.perf_counter() - start)
            print(json.dumps({"seconds": best, "trades": trades}))
            return
        fasts = [f for f in range(5, 55, 5) for _ in range(60, 260, 20)]
        slows = [s for _ in range(5, 55, 5) for s in range(60, 260, 20)]
        _vbt_run(vbt, open_[:1000], close[:1000], fasts[:2], slows[:2])  # compile first
        start = time.perf_counter()
        pf = _vbt_run(vbt, open_, close, fasts, slows)
        value = pf.final_value()
        print(json.dumps({"seconds": time.perf_counter() - start, "pairs": int(len(value))}))
        return
    n = int(sys.argv[3]) if len(sys.argv) > 3 else len(close)
    print(json.dumps(_backtrader(open_[:n], close[:n])))


def _backtrader(open_, close):  # type: ignore[no-untyped-def]
    import backtrader as bt
    import pandas as pd

    index = pd.date_range("2020-01-01", periods=len(close), freq="min")
    frame = pd.DataFrame({"open": open_, "high": np.maximum(open_, close),
                          "low": np.minimum(open_, close), "close": close, "volume": 1.0},
                         index=index)

    class Sma(bt.Strategy):  # type: ignore[misc]
        def __init__(self) -> None:
            self.cross = bt.ind.CrossOver(bt.ind.SMA(period=10), bt.ind.SMA(period=30))

        def next(self) -> None:
            if not self.position and self.cross[0] > 0:
                self.buy(size=1)
            elif self.position and self.cross[0] < 0:
                self.sell(size=1)

    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=frame))
    cerebro.addstrategy(Sma)
    cerebro.broker.setcash(100_000.0)
    cerebro.broker.setcommission(commission=0.001)
    cerebro.addanalyzer(bt.analyzers.TradeAnalyzer, _name="trades")
    start = time.perf_counter()
    result = cerebro.run()
    seconds = time.perf_counter() - start
    closed = result[0].analyzers.trades.get_analysis().get("total", {}).get("closed", 0)
    return {"seconds": seconds, "trades": int(closed), "bars": len(close),
            "final_equity": cerebro.broker.getvalue()}


if __name__ == "__main__":
    main()
