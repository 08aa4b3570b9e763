"""Simulated schedules: the stages run over a seeded span of as-of times, offline."""
