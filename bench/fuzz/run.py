"""Fuzz every parser and scorer with hypothesis and print what raised outside the error tree.

Run from the repository root (15 to 25 minutes for the defaults; most of it drawing inputs):

    .venv/bin/python -m bench.fuzz.run                       # 100,000 scorer inputs, 5,000 others
    .venv/bin/python -m bench.fuzz.run --only offline_scorer --examples 1000

Each target (``tests/helpers/fuzz_targets.py``) gets drawn inputs; a
:class:`~shared.errors.PipelineError` is an allowed answer, any other exception a finding.
Prints one line per target (inputs run, allowed errors, findings) and, for each distinct
finding (type and raising line), one reproducing input. Exits 1 when anything was found.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from shared.errors import PipelineError
from tests.helpers.fuzz_targets import TARGETS, Target

__all__ = ["Tally", "main", "run_target"]

SCORER_EXAMPLES = 100_000
OTHER_EXAMPLES = 5_000


@dataclass
class Tally:
    """What one target did with its inputs."""

    inputs: int = 0
    allowed: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    samples: dict[str, Any] = field(default_factory=dict)


_ROOT = str(Path(__file__).resolve().parents[2])


# The exception's type and the last line of ours that it passed through.
def _where(e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)
    ours = [f for f in frames if f.filename.startswith(_ROOT) and "/.venv/" not in f.filename]
    last = (ours or frames)[-1]
    return f"{type(e).__name__} at {Path(last.filename).relative_to(_ROOT)}:{last.lineno}"


def run_target(target: Target, examples: int) -> Tally:
    """Run ``examples`` drawn inputs through ``target`` and tally the outcomes."""
    tally = Tally()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)

        @settings(max_examples=examples, database=None, deadline=None, derandomize=True,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(target.strategy)
        def fuzz(value: Any) -> None:
            tally.inputs += 1
            try:
                target.call(value, folder)
            except PipelineError:
                tally.allowed += 1
            except Exception as e:  # noqa: BLE001 - a finding is any exception outside the tree
                key = _where(e)
                tally.findings[key] += 1
                tally.samples.setdefault(key, (value, str(e)[:200]))

        fuzz()
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", help="run only this target (repeatable)")
    parser.add_argument("--examples", type=int, default=None,
                        help=f"inputs per target (default: {SCORER_EXAMPLES:,} for the "
                        f"offline scorer, {OTHER_EXAMPLES:,} for the others)")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # rejected items log a warning each
    total = 0
    found = 0
    for target in TARGETS:
        if args.only and target.name not in args.only:
            continue
        examples = args.examples or (
            SCORER_EXAMPLES if target.name == "offline_scorer" else OTHER_EXAMPLES)
        started = time.perf_counter()
        tally = run_target(target, examples)
        seconds = time.perf_counter() - started
        total += tally.inputs
        found += sum(tally.findings.values())
        sys.stdout.write(f"{target.name:20} inputs {tally.inputs:>7,}  allowed errors "
                         f"{tally.allowed:>6,}  findings {sum(tally.findings.values()):>5,}  "
                         f"({seconds:.0f} s)\n")
        for key, count in tally.findings.most_common():
            value, message = tally.samples[key]
            sys.stdout.write(f"    {count:>6,} x {key}: {message}\n        input: {value!r:.300}\n")
        sys.stdout.flush()
    sys.stdout.write(f"total inputs {total:,}, findings {found:,}\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
