"""Data sources: one module per external service, plus the synthetic and dataset feeds."""
