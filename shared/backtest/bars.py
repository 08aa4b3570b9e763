"""Bars for a backtest, read from any file the dataset loaders accept, normalised the
conformance way (``../shared/docs/backtest-conformance.md`` section 1) and nothing else.

The format is detected from the content, never the extension (the detection is the
providers' own: :func:`shared.providers.dataset_loaders.detect_bars_format`):

* **Parquet** (``PAR1`` magic bytes) and **generic OHLCV CSV**: the header names the columns,
  in any order and any case; extra columns are ignored;
* **CryptoDataDownload** exports, any vintage: the banner line skipped, rows in any order,
  ``unix``/``Unix Timestamp`` seconds or milliseconds (``> 1e11``) preferred over ``Date``,
  ``Date`` as ISO or the older ``%Y-%m-%d %I-%p`` (``2020-02-13 01-AM``);
* **Yahoo** daily CSVs: ``Close`` (never ``Adj Close``), ``null`` rows.

Times are read by the one parser, :func:`shared.providers.bar_times.parse_times`.
Time column: the first ``unix…`` column, else ``timestamp``, ``datetime``, ``date``, ``time``,
``start``, ``open_time`` (case-insensitive). Epoch numbers are UTC; strings are read as written
(naive), strings with a zone converted to UTC. Unlike the strict loaders of the live pipeline
(which drop CDD's in-progress newest bar and refuse invalid rows), this adapter keeps every
bar, then: rows with an unreadable time are dropped as bad; rows are sorted by time (stable);
duplicate timestamps are dropped, the first kept; rows whose ``open`` or ``close`` is missing,
not a number or ``<= 0`` are dropped as bad. No gap is filled. The counts are reported
(:class:`PriceBars`) the way ``summary.csv`` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from shared.backtest.ledger import FloatArray
from shared.errors import ConfigError, ContractViolation
from shared.providers.bar_times import MS_EPOCH_THRESHOLD, parse_times
from shared.providers.dataset_loaders import TIME_COLUMNS, BarsFormat, detect_bars_format

__all__ = ["MS_EPOCH_THRESHOLD", "TIME_COLUMNS", "PriceBars", "load_price_bars",
           "time_labels"]

_NS_PER_DAY = 86_400 * 1_000_000_000


@dataclass(frozen=True)
class PriceBars:
    """Bars ascending in time: ``time_ns`` (int64 ns since the epoch, naive = as in the file),
    ``open`` and ``close`` (float64), with what loading them dropped."""

    path: Path
    source_format: BarsFormat
    time_ns: npt.NDArray[np.int64]
    open: FloatArray
    close: FloatArray
    rows_in_file: int
    duplicate_timestamps_dropped: int
    bad_rows_dropped: int

    def __len__(self) -> int:
        return len(self.time_ns)

    @property
    def daily(self) -> bool:
        """Every bar starts at midnight: times are written as dates."""
        return bool(len(self.time_ns)) and not (self.time_ns % _NS_PER_DAY).any()

    def label(self, index: int) -> str:
        return time_labels(self.time_ns[[index]], daily=self.daily)[0]


def time_labels(time_ns: npt.NDArray[np.int64], *, daily: bool) -> list[str]:
    """``YYYY-MM-DD`` (daily) or ``YYYY-MM-DDTHH:MM:SS``, as in the conformance trade lists."""
    unit: Literal["D", "s"] = "D" if daily else "s"
    stamps: npt.NDArray[np.datetime64] = time_ns.astype("datetime64[ns]")
    return [str(t) for t in np.datetime_as_string(stamps, unit=unit)]


def load_price_bars(path: Path) -> PriceBars:
    """Read ``path`` (format from its content) and normalise it for a backtest."""
    path = Path(path)
    detected = detect_bars_format(path)
    if detected.format is BarsFormat.PARQUET:
        time_raw, open_raw, close_raw = _read_parquet(path)
    else:
        time_raw, open_raw, close_raw = _read_csv(path, skiprows=detected.skiprows)
    return _normalise(path, detected.format, time_raw, open_raw, close_raw)


def _pick_columns(names: list[str], path: Path) -> tuple[str, str, str]:
    lowered = {str(name).strip().lower(): name for name in reversed(names)}
    unix = [name for name in names if str(name).strip().lower().startswith("unix")]
    time_name = unix[0] if unix else next(
        (lowered[c] for c in TIME_COLUMNS if c in lowered), None)
    missing = [c for c, found in (("time", time_name), ("open", lowered.get("open")),
                                  ("close", lowered.get("close"))) if found is None]
    if missing or time_name is None:
        raise ContractViolation(
            f"{path}: no {' / '.join(missing)} column in the header {names} (want a time column "
            f"named unix…/{'/'.join(TIME_COLUMNS)}, and open, close)")
    return time_name, lowered["open"], lowered["close"]


def _read_csv(path: Path, *, skiprows: int) -> tuple[object, object, object]:
    import pandas as pd

    try:
        header = pd.read_csv(path, skiprows=skiprows, nrows=0, encoding="utf-8-sig")
        time_name, open_name, close_name = _pick_columns(list(header.columns), path)
        frame = pd.read_csv(path, skiprows=skiprows, usecols=[time_name, open_name, close_name],
                            encoding="utf-8-sig", low_memory=False)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            ValueError) as e:
        raise ContractViolation(f"{path}: cannot parse as CSV: {e}") from e
    return frame[time_name], frame[open_name], frame[close_name]


def _read_parquet(path: Path) -> tuple[object, object, object]:
    import pyarrow.parquet as pq

    try:
        names = list(pq.read_schema(path).names)
        time_name, open_name, close_name = _pick_columns(names, path)
        frame = pq.read_table(path, columns=[time_name, open_name, close_name]).to_pandas()
    except (OSError, ValueError) as e:
        raise ContractViolation(f"{path}: cannot read as Parquet: {e}") from e
    return frame[time_name], frame[open_name], frame[close_name]


def _numbers(column: object) -> FloatArray:
    import pandas as pd

    series = column if isinstance(column, pd.Series) else pd.Series(column)
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype):
        series = pd.to_numeric(series.astype(str).str.strip(), errors="coerce")
    values = np.asarray(series, dtype=np.float64)
    return values


def _times_ns(column: object) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    # (ns since the epoch, readable): the providers' one time parser
    parsed = parse_times(column)
    return parsed.ns, parsed.ok


def _normalise(path: Path, fmt: BarsFormat, time_raw: object, open_raw: object,
               close_raw: object) -> PriceBars:
    time_ns, readable = _times_ns(time_raw)
    open_, close = _numbers(open_raw), _numbers(close_raw)
    rows = len(time_ns)
    keep = np.flatnonzero(readable)
    unreadable = rows - len(keep)
    order = keep[np.argsort(time_ns[keep], kind="stable")]
    sorted_ns = time_ns[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_ns[1:] != sorted_ns[:-1]
    duplicates = int((~first).sum())
    order = order[first]
    o, c = open_[order], close[order]
    good = np.isfinite(o) & np.isfinite(c) & (o > 0) & (c > 0)
    order = order[good]
    return PriceBars(
        path=path,
        source_format=fmt,
        time_ns=time_ns[order],
        open=open_[order],
        close=close[order],
        rows_in_file=rows,
        duplicate_timestamps_dropped=duplicates,
        bad_rows_dropped=unreadable + int((~good).sum()),
    )
