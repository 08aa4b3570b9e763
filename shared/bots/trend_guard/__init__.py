"""The trend_guard bot (see bot.py) with its fixtures."""
