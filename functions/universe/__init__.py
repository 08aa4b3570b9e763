"""The universe stage: every symbol on its own trading hours, ranked, sharded, merged."""
