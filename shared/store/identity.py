"""Run identity: a run id is a content hash of what decided the run.

``run_id`` hashes the canonical JSON of the as-of time, code version, config digest(s),
feed, inputs digest, seed and (for a single-symbol run) the symbol, and keeps 16 hex
digits. The same inputs always give the same id, so a re-run writes the same files.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Mapping
from datetime import datetime

from shared.contracts import canonical_json, sha256_hex

__all__ = ["PACKAGE_NAME", "code_version", "is_run_id", "run_id"]

PACKAGE_NAME = "tracer-bullet"
_RUN_ID = re.compile(r"^[0-9a-f]{16}$")


def code_version() -> str:
    """The installed package version (``0+unknown`` when not installed)."""
    try:
        return importlib.metadata.version(PACKAGE_NAME)
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def run_id(
    *,
    as_of: datetime,
    code_version: str,
    config: str | Mapping[str, str],
    feed: str,
    inputs: str,
    seed: int,
    symbol: str | None = None,
) -> str:
    """The 16-hex-digit id of a run.

    ``config`` is a config digest, or several by name (a universe run hashes
    ``{"signal_bots": ..., "universe": ...}``); ``symbol`` is given for single-symbol runs
    (tracer) and left out for multi-symbol runs (universe).

    Example::

        run_id(as_of=t, code_version="0.1.0", config="3f..", feed="synthetic",
               inputs="9a..", seed=7, symbol="BTC-USD")
    """
    fields: dict[str, object] = {
        "as_of": as_of, "code_version": code_version, "config": config, "feed": feed,
        "inputs": inputs, "seed": seed,
    }
    if symbol is not None:
        fields["symbol"] = symbol
    return sha256_hex(canonical_json(fields))[:16]


def is_run_id(text: str) -> bool:
    """Whether ``text`` looks like a run id (16 lowercase hex digits)."""
    return bool(_RUN_ID.match(text))
