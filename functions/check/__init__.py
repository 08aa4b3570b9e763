"""The self-check stage (``tb check``): run every check, write the report, alert."""
