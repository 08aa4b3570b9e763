"""Tests of the provider clients and the shared HTTP policy."""
