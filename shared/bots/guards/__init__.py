"""The confirmation ("bias immunity") guards: each a gate bot with its own fixtures."""
