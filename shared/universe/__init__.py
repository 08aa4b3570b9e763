"""The universe: config, trading hours, sharding, the Polymarket model, ranking, digest."""
