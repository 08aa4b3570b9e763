"""Reusable test helpers: loopback HTTP servers and the provider fault-matrix contract."""
