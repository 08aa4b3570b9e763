"""The persistence_guard bot (see bot.py) with its fixtures."""
