"""Backtests on recorded bars: the bar adapter, the fill/cash/commission ledger, and the
reference SMA strategy of ``../shared/docs/backtest-conformance.md`` (see docs/backtest.md).

* :mod:`shared.backtest.bars`      any bars file (format from its content) -> ``PriceBars``
* :mod:`shared.backtest.ledger`    target-position orders -> next-open fills, cash, trades
* :mod:`shared.backtest.sma`       exact (correctly rounded) window means, crossings, the
  reference strategy and parameter sweeps
* :mod:`shared.backtest.report`    the trade list and summary of a run
* :mod:`shared.backtest.synthetic` the conformance doc's GBM bar generator (benchmarks)
* :mod:`shared.backtest.lookahead` the lookahead falsifier: decisions at or before t must not
  change when everything after t does
* :mod:`shared.backtest.divergence` the divergence signal traded: the pipeline's walk, orders
  from triggers, next-open fills through the ledger (``run_backtest``, no plotting)
* :mod:`shared.backtest.metrics`   equity, drawdown, exposure, hit rate (Wilson), scores
* :mod:`shared.backtest.divergence_report` the report (JSON contract, CSVs, Markdown)
* :mod:`shared.backtest.plot`      the price/trigger and equity plot (byte-stable PNG)

Backtest numbers describe the past; they predict nothing about live results.
"""
