"""Decision bots: the shared interface, the runner, and one folder per bot."""
