"""Data sources: one module per external service, plus the synthetic and replay feeds."""
