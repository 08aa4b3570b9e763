"""The tracer stage: one symbol through providers, features, bots, digest and artifacts."""
