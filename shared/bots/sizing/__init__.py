"""The sizing bot (see bot.py) with its fixtures."""
