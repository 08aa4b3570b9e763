"""Deterministic shards of a universe, and where shard partials live.

``--shard i/n`` takes the symbols, sorted, whose position is congruent to ``i`` modulo ``n``.
Because ``i`` is taken modulo ``n``, 1-based numbering (``1/4`` .. ``4/4``, what the workflow
uses) and 0-based numbering (``0/4`` .. ``3/4``) both partition the universe completely and
disjointly; ``4/4`` and ``0/4`` are the same slice.

Partials of one run sit together under
``universe_runs/_shards/<as_of %Y%m%dT%H%M%SZ>-<universe digest>/shard-<i mod n>-of-<n>.json``
(spelled in :mod:`shared.store.layout`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from shared.errors import ConfigError

__all__ = ["Shard", "parse_shard"]

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    index: int  # as given (0..n)
    count: int

    @property
    def position(self) -> int:
        """The residue class this shard takes: ``index mod count``."""
        return self.index % self.count

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    def take(self, ordered: Sequence[T]) -> list[T]:
        """This shard's slice of an already sorted sequence."""
        return [item for k, item in enumerate(ordered) if k % self.count == self.position]


def parse_shard(text: str) -> Shard:
    """Parse ``"i/n"``; requires ``n >= 1`` and ``0 <= i <= n`` (ConfigError otherwise)."""
    match = _SHARD.match(text)
    if not match:
        raise ConfigError(f"--shard must look like i/n (e.g. 1/4), got {text!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise ConfigError(f"--shard {text}: the shard count must be at least 1")
    if not 0 <= index <= count:
        raise ConfigError(f"--shard {text}: the index must be between 0 and {count}")
    return Shard(index, count)
