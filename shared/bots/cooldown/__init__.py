"""The cooldown bot (see bot.py) with its fixtures."""
