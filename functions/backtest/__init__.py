"""The backtest stage: runs of a strategy over recorded bars (``tb backtest``)."""
