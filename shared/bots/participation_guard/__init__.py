"""The participation_guard bot (see bot.py) with its fixtures."""
