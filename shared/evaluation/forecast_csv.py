"""Read any forecasts CSV (probability ``p``, outcome ``y``, optional cohort and baseline).

Bad rows are reported with the 1-based line number where the record starts (the header is
line 1) and excluded; nothing is coerced. A ``y`` must parse as a number equal to 0 or 1
(``0``, ``1``, ``1.0``); ``yes``/``true`` or ``0.7`` are bad rows, not outcomes.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from shared.errors import MissingColumnError
from shared.evaluation.scoring import BoolArray, FloatArray

__all__ = ["BadRow", "ColumnNames", "ForecastTable", "MissingColumnError", "read_forecasts"]


@dataclass(frozen=True)
class ColumnNames:
    """Which header names hold the probability, outcome, cohort and baseline."""

    p: str = "p"
    y: str = "y"
    cohort: str = "cohort"
    baseline: str = "baseline"


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass(frozen=True)
class ForecastTable:
    """The valid rows as arrays, plus every excluded row with its reason."""

    p: FloatArray
    y: BoolArray
    cohort: tuple[str, ...] | None
    baseline: FloatArray | None
    bad_rows: tuple[BadRow, ...]
    rows_read: int
    columns: ColumnNames = field(default_factory=ColumnNames)


def _probability(text: str, name: str) -> tuple[float | None, str | None]:
    text = text.strip()
    if not text:
        return None, f"missing {name}"
    try:
        value = float(text)
    except ValueError:
        return None, f"{name} is not a number: {text!r}"
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        return None, f"{name} outside [0, 1]: {text!r}"
    return value, None


def _outcome(text: str, name: str) -> tuple[bool | None, str | None]:
    text = text.strip()
    if not text:
        return None, f"missing {name}"
    try:
        value = float(text)
    except ValueError:
        return None, f"{name} is not 0 or 1: {text!r}"
    if value not in (0.0, 1.0):
        return None, f"{name} is not 0 or 1: {text!r}"
    return value == 1.0, None


def _index(header: list[str], name: str) -> int | None:
    stripped = [item.strip() for item in header]
    return stripped.index(name) if name in stripped else None


def read_forecasts(lines: Iterable[str], columns: ColumnNames | None = None) -> ForecastTable:
    """Parse CSV text (an open file or a list of lines) into a :class:`ForecastTable`.

    Raises MissingColumnError when the header lacks the probability or outcome column.
    Blank lines are not records and are skipped.
    """
    names = columns or ColumnNames()
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise MissingColumnError("the file is empty: expected a header with p and y columns")
    p_at, y_at = _index(header, names.p), _index(header, names.y)
    missing = [name for name, at in ((names.p, p_at), (names.y, y_at)) if at is None]
    if missing or p_at is None or y_at is None:
        raise MissingColumnError(f"missing required column(s) {missing}; header is {header}")
    cohort_at, base_at = _index(header, names.cohort), _index(header, names.baseline)
    ps: list[float] = []
    ys: list[bool] = []
    cohorts: list[str] = []
    baselines: list[float] = []
    bad: list[BadRow] = []
    rows_read = 0
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        rows_read += 1
        if len(row) != len(header):
            bad.append(BadRow(start, f"expected {len(header)} fields, got {len(row)}"))
            continue
        p, p_reason = _probability(row[p_at], names.p)
        y, y_reason = _outcome(row[y_at], names.y)
        base, base_reason = (
            (None, None) if base_at is None else _probability(row[base_at], names.baseline)
        )
        cohort = None if cohort_at is None else row[cohort_at].strip()
        reasons = [reason for reason in (p_reason, y_reason, base_reason) if reason]
        if cohort == "":
            reasons.append(f"missing {names.cohort}")
        if reasons:
            bad.append(BadRow(start, "; ".join(reasons)))
            continue
        assert p is not None and y is not None  # narrowed: no reasons means both parsed
        ps.append(p)
        ys.append(y)
        if cohort is not None:
            cohorts.append(cohort)
        if base is not None:
            baselines.append(base)
    return ForecastTable(
        p=np.asarray(ps, dtype=np.float64),
        y=np.asarray(ys, dtype=np.bool_),
        cohort=None if cohort_at is None else tuple(cohorts),
        baseline=None if base_at is None else np.asarray(baselines, dtype=np.float64),
        bad_rows=tuple(bad),
        rows_read=rows_read,
        columns=names,
    )
