"""The one parser of time columns in recorded files (bars and narratives).

Both the dataset loaders (:mod:`shared.providers.dataset_loaders`) and the backtest's
conformance adapter (:mod:`shared.backtest.bars`) read times through :func:`parse_times`, so
an epoch, a CryptoDataDownload hour or an ISO string means the same instant everywhere.

Rules, per value:

* **Epoch numbers** (a numeric column, or strings of digits): seconds, or milliseconds when
  the magnitude is above ``1e11`` (year 5138 in seconds; 1973 in milliseconds). Exact for
  integral values.
* **CryptoDataDownload hours** ``%Y-%m-%d %I-%p`` (``2020-02-13 01-AM``).
* **ISO-8601** strings (``2020-02-13``, ``2020-02-13 01:00:00``, ``...Z``, ``...+02:00``):
  a string with a zone is converted to UTC; a string without one is read as written, i.e. as
  UTC (:attr:`ParsedTimes.naive` counts them, so a loader can say so).
* Aware datetimes are converted to UTC; naive datetimes are read as UTC.

A value that fits none of these is *unreadable* (``ok`` is False at its row), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["MS_EPOCH_THRESHOLD", "ParsedTimes", "epoch_ns", "parse_times"]

MS_EPOCH_THRESHOLD = 1e11  # epoch values above this are milliseconds
_EPOCH_LIMIT = 1e16  # beyond this an epoch number is not a time (and overflows ns)
_CDD_HOUR = r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}-[AaPp][Mm]"
_DIGITS = r"-?\d+(?:\.\d*)?"
_ZONE = r"(?:Z|[+-]\d{2}:?\d{2})$"
_DATE_ONLY = r"\d{4}-\d{1,2}-\d{1,2}"

Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ParsedTimes:
    """Parsed times: ``ns`` (int64 ns since the epoch, UTC; 0 where unreadable) and ``ok``
    (readable), with counts of how values were written (for a loader's quirk report)."""

    ns: Int64Array
    ok: BoolArray
    epoch_seconds: int = 0
    epoch_ms: int = 0
    cdd_hours: int = 0
    naive: int = 0  # strings or datetimes without a zone, read as UTC
    date_only: int = 0  # strings that hold a date and no time

    @property
    def unreadable(self) -> int:
        return int((~self.ok).sum())


def epoch_ns(values: npt.NDArray[np.float64]) -> tuple[Int64Array, BoolArray, BoolArray]:
    """Epoch seconds, or milliseconds when above ``1e11``, as ns: ``(ns, ok, is_ms)``."""
    ok = np.isfinite(values) & (np.abs(values) < _EPOCH_LIMIT)
    safe = np.where(ok, values, 0.0)
    whole = np.round(safe).astype(np.int64)
    exact = safe == whole
    ms = np.abs(safe) > MS_EPOCH_THRESHOLD
    ns = np.where(exact, np.where(ms, whole * 1_000_000, whole * 1_000_000_000),
                  np.round(np.where(ms, safe * 1e6, safe * 1e9)).astype(np.int64))
    return ns.astype(np.int64), ok, ok & ms


def _as_series(column: object) -> pd.Series:
    return column if isinstance(column, pd.Series) else pd.Series(column)


def parse_times(column: object) -> ParsedTimes:
    """Parse a time column (any of the shapes in the module doc), value by value."""
    series = _as_series(column).reset_index(drop=True)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return _from_datetimes(series, naive=0)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return _from_datetimes(series, naive=int(series.notna().sum()))
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype):
        ns, ok, ms = epoch_ns(np.asarray(series, dtype=np.float64))
        return ParsedTimes(ns, ok, epoch_seconds=int((ok & ~ms).sum()), epoch_ms=int(ms.sum()))
    return _from_text(series.astype(str).str.strip())


def _from_datetimes(series: pd.Series, *, naive: int) -> ParsedTimes:
    values = series.astype("datetime64[ns]")
    ok = values.notna().to_numpy()
    ns = np.where(ok, values.to_numpy().astype(np.int64), 0).astype(np.int64)
    return ParsedTimes(ns, ok, naive=naive)


def _from_text(text: pd.Series) -> ParsedTimes:
    n = len(text)
    ns = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    digits = text.str.fullmatch(_DIGITS).to_numpy(dtype=bool)
    hours = text.str.fullmatch(_CDD_HOUR).to_numpy(dtype=bool)
    rest = ~digits & ~hours & (text != "").to_numpy(dtype=bool)
    ms_count = 0
    if digits.any():
        numbers = pd.to_numeric(text[digits], errors="coerce").to_numpy(dtype=np.float64)
        ns[digits], ok[digits], ms = epoch_ns(numbers)
        ms_count = int(ms.sum())
    if hours.any():
        parsed = pd.to_datetime(text[hours].str.upper(), format="%Y-%m-%d %I-%p",
                                errors="coerce")
        ns[hours], ok[hours] = _naive_ns(parsed)
    naive = date_only = 0
    if rest.any():
        strings = text[rest]
        zoned = strings.str.contains(_ZONE, regex=True).to_numpy(dtype=bool)
        parsed = pd.Series(pd.NaT, index=strings.index, dtype="datetime64[ns]")
        if zoned.any():
            parsed[zoned] = _iso(strings[zoned], utc=True)
        if (~zoned).any():
            parsed[~zoned] = _iso(strings[~zoned], utc=False)
        ns[rest], ok[rest] = _naive_ns(parsed)
        readable = parsed.notna().to_numpy()
        naive = int((readable & ~zoned).sum())
        date_only = int((strings.str.fullmatch(_DATE_ONLY).to_numpy(dtype=bool) & readable)
                        .sum())
    return ParsedTimes(ns, ok, epoch_seconds=int(digits.sum()) - ms_count, epoch_ms=ms_count,
                       cdd_hours=int(ok[hours].sum()), naive=naive, date_only=date_only)


def _iso(strings: pd.Series, *, utc: bool) -> pd.Series:
    # ISO-8601 strings -> naive UTC datetimes (NaT where unreadable or out of range)
    try:
        parsed = pd.to_datetime(strings, format="ISO8601", utc=utc, errors="coerce")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        return parsed.astype("datetime64[ns]")
    except (ValueError, OverflowError, TypeError):
        # a mixed column pandas refuses as a whole: value by value
        values = [_one_iso(s) for s in strings]
        return pd.Series(values, index=strings.index, dtype="datetime64[ns]")


def _one_iso(text: str) -> pd.Timestamp | None:
    try:
        value = pd.Timestamp(text)
    except (ValueError, OverflowError, TypeError):
        return None
    if value is pd.NaT:
        return None
    if value.tzinfo is not None:
        value = value.tz_convert("UTC").tz_localize(None)
    return value


def _naive_ns(parsed: pd.Series) -> tuple[Int64Array, BoolArray]:
    values = parsed.astype("datetime64[ns]")
    ok = values.notna().to_numpy()
    return np.where(ok, values.to_numpy().astype(np.int64), 0).astype(np.int64), ok
