"""Artifact IO: atomic writes, schema validation, and the derived SQLite index."""
