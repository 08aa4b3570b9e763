"""Point-in-time feature computation."""
