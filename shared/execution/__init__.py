"""Order execution: the broker interface, the paper broker, the risk engine and the live lock.

Sits above ``shared.backtest`` (the paper broker fills with the backtest's fill code) and
below the stages (``functions.paper`` runs the paper cycle and the drills).
"""
