"""The signal engine: features → divergence → guards → cooldown → sizing, per symbol."""
