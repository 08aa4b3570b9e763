"""Progress of a long universe run: a tqdm bar on a terminal, plain log lines elsewhere (CI).

The bar goes to stderr only when stderr is a TTY and ``CI`` is not set; otherwise one INFO
line per ``every`` symbols (and one at the end) goes through :mod:`logging`, which the CLI
shows even without ``-v``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

__all__ = ["PROGRESS_LOGGER", "Progress", "use_bar"]

PROGRESS_LOGGER = "functions.universe.progress"
logger = logging.getLogger(PROGRESS_LOGGER)


def use_bar(stream: TextIO) -> bool:
    """Whether a live bar suits ``stream``: a terminal, and not a CI runner."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")


class Progress:
    """Call :meth:`advance` once per symbol, then :meth:`close`."""

    def __init__(self, total: int, *, every: int, label: str = "universe",
                 stream: TextIO | None = None, bar: bool | None = None) -> None:
        self.total = total
        self.every = max(1, every)
        self.label = label
        self.done = 0
        target = stream or sys.stderr
        self._bar: Any = None
        if use_bar(target) if bar is None else bar:
            from tqdm import tqdm

            self._bar = tqdm(total=total, file=target, unit="symbol", desc=label,
                             leave=False, dynamic_ncols=True)

    def advance(self, symbol: str) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.set_postfix_str(symbol, refresh=False)
            self._bar.update(1)
        elif self.done % self.every == 0 or self.done == self.total:
            logger.info("%s: %d/%d symbols done (last %s)", self.label, self.done,
                        self.total, symbol)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
