"""Progress for long commands (``tb simulate``, ``tb validate``): a tqdm bar on a terminal,
plain INFO lines (shown without ``-v``) when stderr is not a TTY or ``CI`` is set, so CI logs
stay readable. The universe has its own (functions/universe/progress.py), same rule."""

from __future__ import annotations

import logging
import sys
from typing import Any

from functions.universe.progress import use_bar

__all__ = ["PROGRESS_LOGGER", "CliProgress"]

PROGRESS_LOGGER = "functions.cli.progress"
logger = logging.getLogger(PROGRESS_LOGGER)


class CliProgress:
    """Call :meth:`advance` once per unit of work (with what it was), then :meth:`close`.
    ``total=None`` counts without a known end."""

    def __init__(self, label: str, *, total: int | None, unit: str, every: int) -> None:
        self.label, self.total, self.unit, self.every = label, total, unit, max(1, every)
        self.done = 0
        self._bar: Any = None
        logger.setLevel(logging.INFO)  # shown at the CLI's default level, like the universe's
        if use_bar(sys.stderr):
            from tqdm import tqdm

            self._bar = tqdm(total=total, file=sys.stderr, unit=unit, desc=label, leave=False,
                             dynamic_ncols=True)

    def advance(self, what: str) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.set_postfix_str(what, refresh=False)
            self._bar.update(1)
        elif self.done % self.every == 0 or self.done == self.total:
            of = f"/{self.total}" if self.total is not None else ""
            logger.info("%s: %d%s %ss done (last %s)", self.label, self.done, of, self.unit,
                        what)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
