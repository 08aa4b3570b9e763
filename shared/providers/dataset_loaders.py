"""Parsers for recorded bar files, quirks included (used by :mod:`shared.providers.dataset`).

Every loader returns a frame that passed :func:`validate_bars_frame`: sorted by ``start``,
unique starts, ``datetime64[ns, UTC]`` times, ``volume`` in units of the asset (coins,
shares). Errors name the file and the 1-based line (``path:line``; Parquet: ``row``).

CryptoDataDownload (CDD) exports, decisions per quirk of the public data set (see SOURCE.md):

* Banner line (``https://www.CryptoDataDownload.com``): skipped when line 1 is not a CSV
  header; the ETH file has none.
* Newest-first rows: sorted ascending. ``unix`` is the bar-open epoch (seconds; values above
  1e11 are read as milliseconds, as some CDD files mix them) and must agree with ``date``.
* Swapped volume columns: per row, the orientation whose implied price (quote / coin volume)
  lies nearer ``[low, high]`` (log distance) wins; a tie (both inside, or a zero volume) keeps
  the file's. This reproduces SOURCE.md's counts exactly (BTC 1h 20,143; ETH 1h 20,139; BTC 1d
  1,180). ``volume`` is the coin volume.
* Partial newest bar: the newest row of a CDD export is always dropped (``drop_newest``). CDD
  writes the bar in progress at export time, and a volume threshold cannot tell a partial hour
  from a quiet one, so the rule is positional.
* Zero-volume rows are kept (no trades is data). Mixed number formats parse as floats.

Yahoo daily CSVs: a bar starts at the 09:30 America/New_York open and ends at the 16:00 close,
converted to UTC with zoneinfo (DST-correct), so it becomes available at the close; these
frames have ``end - start = 6.5 h``, not ``Timeframe.DAY.duration``. Early-close days
(13:00) still end at 16:00: later than the truth, so never lookahead. ``close`` is ``Close``,
not ``Adj Close``: the adjustment uses dividends paid after the bar (as of the download), so
it leaks the future, is a price that never traded and can fall outside ``[low, high]``.
Rows of ``null`` prices (Yahoo's holiday placeholders) are dropped. Missing trailing newline
is harmless to the CSV parser.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from shared.contracts import Timeframe
from shared.contracts.frames import validate_bars_frame
from shared.errors import ConfigError, ContractViolation

__all__ = [
    "BarsFormat",
    "DetectedBars",
    "detect_bars_format",
    "load_bars_file",
    "load_cryptodatadownload_csv",
    "load_yahoo_daily_csv",
    "read_csv_lines",
]

logger = logging.getLogger(__name__)

_NS_PER_SEC = 1_000_000_000
_MS_EPOCH_THRESHOLD = 100_000_000_000  # epoch values above this are milliseconds
_NEW_YORK = ZoneInfo("America/New_York")
_SESSION_OPEN = pd.Timedelta(hours=9, minutes=30)
_SESSION_CLOSE = pd.Timedelta(hours=16)
_PRICES = ("open", "high", "low", "close")
_YAHOO_HEADER = ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume")
_PARQUET_MAGIC = b"PAR1"


class _Source(NamedTuple):
    # where rows come from, for error messages: "path:12" (CSV) or "path (row 12)" (Parquet)
    path: Path
    unit: str = "line"

    def at(self, line: object) -> str:
        return f"{self.path}:{line}" if self.unit == "line" else f"{self.path} (row {line})"


def read_csv_lines(path: Path, *, sep: str = ",", skiprows: int = 0) -> pd.DataFrame:
    """Read a CSV as strings with a ``_line`` column (1-based file line); drop blank lines.

    Missing cells are ``""``. A missing file is a :class:`ConfigError`; an unparsable one a
    :class:`ContractViolation` naming the file.
    """
    try:
        frame = pd.read_csv(
            path,
            sep=sep,
            skiprows=skiprows,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ContractViolation(f"{path}: cannot parse as CSV: {e}") from e
    frame.columns = [str(name).strip() for name in frame.columns]
    frame["_line"] = np.arange(len(frame), dtype="int64") + skiprows + 2
    cells = frame.drop(columns="_line")
    blank = (cells.apply(lambda column: column.str.strip()) == "").all(axis=1)
    return frame.loc[~blank].reset_index(drop=True)


def _require_columns(frame: pd.DataFrame, names: tuple[str, ...], src: _Source) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ContractViolation(
            f"{src.path}: missing columns {missing} (found {[c for c in frame.columns]})"
        )


def _floats(frame: pd.DataFrame, column: str, src: _Source) -> np.ndarray:
    # a numeric column as float64; the first non-number names its line
    values = np.asarray(pd.to_numeric(frame[column], errors="coerce"), dtype="float64")
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ContractViolation(
            f"{src.at(frame['_line'].iloc[row])}: column {column!r} is not a finite number: "
            f"{frame[column].iloc[row]!r}"
        )
    return values


def _epoch_ns(values: np.ndarray) -> np.ndarray:
    # epoch seconds or milliseconds (per value) -> int64 nanoseconds
    as_int = values.astype("int64")
    return np.where(as_int > _MS_EPOCH_THRESHOLD, as_int * 1_000_000, as_int * _NS_PER_SEC).astype(
        "int64"
    )


def _timestamps_ns(frame: pd.DataFrame, column: str, src: _Source) -> np.ndarray:
    # a time column (aware datetimes, epoch numbers or ISO-8601 strings with a zone) -> ns
    series = frame[column]
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return _utc_ns(series)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        raise ContractViolation(f"{src.path}: column {column!r} has no timezone (want UTC)")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return _epoch_ns(_floats(frame, column, src))
    text = series.astype(str).str.strip()
    if text.str.fullmatch(r"\d+(\.0*)?").all():
        return _epoch_ns(_floats(frame, column, src))
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    bad = parsed.isna() | ~text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ContractViolation(
            f"{src.at(frame['_line'].iloc[row])}: column {column!r} is not an ISO-8601 time "
            f"with a timezone: {text.iloc[row]!r}"
        )
    return _utc_ns(parsed)


def _utc_ns(series: pd.Series) -> np.ndarray:
    # aware datetimes -> int64 nanoseconds since the epoch
    utc = series.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    return np.array(utc.array.asi8, dtype="int64")


def _finish(
    columns: dict[str, np.ndarray], src: _Source, *, timeframe: Timeframe
) -> tuple[pd.DataFrame, int]:
    # sort, drop duplicate starts (first in file order wins), check rows and spacing, validate
    frame = pd.DataFrame(columns)
    before = len(frame)
    frame = frame.drop_duplicates("start", keep="first")
    duplicates = before - len(frame)
    frame = frame.sort_values("start", kind="stable").reset_index(drop=True)
    _check_rows(frame, src)
    _check_spacing(frame, src, timeframe)
    for name in ("start", "end"):
        ns = frame[name].to_numpy(dtype="int64").astype("datetime64[ns]")
        frame[name] = pd.Series(ns).dt.tz_localize("UTC")
    return validate_bars_frame(frame, symbol=str(src.path)), duplicates


def _check_rows(frame: pd.DataFrame, src: _Source) -> None:
    # the bar invariants of validate_bars_frame, but naming the file line
    o, h, lo, c, v = (frame[name].to_numpy() for name in (*_PRICES, "volume"))
    bad = (np.minimum.reduce([o, h, lo, c]) <= 0) | (v < 0)
    bad |= (h < np.maximum(o, c)) | (lo > np.minimum(o, c))
    bad |= frame["end"].to_numpy() <= frame["start"].to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ContractViolation(
            f"{src.at(frame['_line'].iloc[row])}: invalid bar (prices must be positive, "
            "volume >= 0, low <= open/close <= high, end after start)"
        )


def _check_spacing(frame: pd.DataFrame, src: _Source, timeframe: Timeframe) -> None:
    # the closest two bars must be exactly one timeframe apart (catches a wrong timeframe)
    if len(frame) < 2:
        return
    gaps = np.diff(frame["start"].to_numpy(dtype="int64"))
    expected = int(timeframe.duration.total_seconds()) * _NS_PER_SEC
    row = int(np.argmin(gaps))
    if int(gaps[row]) != expected:
        lines = frame["_line"].iloc[[row, row + 1]].tolist()
        raise ConfigError(
            f"{src.path}: the closest bars (lines {lines[0]} and {lines[1]}) are "
            f"{pd.Timedelta(int(gaps[row]), unit='ns')} apart; timeframe {timeframe.value} "
            f"needs {timeframe.duration}"
        )
    durations = frame["end"].to_numpy(dtype="int64") - frame["start"].to_numpy(dtype="int64")
    if (durations > expected).any():
        row = int(np.flatnonzero(durations > expected)[0])
        raise ConfigError(
            f"{src.at(frame['_line'].iloc[row])}: bar lasts longer than {timeframe.value}"
        )


def _first_line(path: Path) -> str:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            return handle.readline().strip()
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except UnicodeDecodeError as e:
        raise ContractViolation(f"{path}: cannot parse as CSV: {e}") from e


def _has_cdd_banner(first_line: str) -> bool:
    return first_line.lower().startswith("http") or "," not in first_line


def load_cryptodatadownload_csv(
    path: Path, *, timeframe: Timeframe, drop_newest: bool = True
) -> pd.DataFrame:
    """Load a CryptoDataDownload OHLCV export (see the module docstring for the quirks)."""
    path = Path(path)
    src = _Source(path)
    skiprows = 1 if _has_cdd_banner(_first_line(path)) else 0
    raw = read_csv_lines(path, skiprows=skiprows)
    _require_columns(raw, (*_PRICES, "Volume USD"), src)
    coin_columns = [c for c in raw.columns if c.startswith("Volume ") and c != "Volume USD"]
    if len(coin_columns) != 1:
        raise ContractViolation(f"{path}: want one coin volume column, found {coin_columns}")
    start_ns = _cdd_start_ns(raw, src)
    o, h, lo, c = (_floats(raw, name, src) for name in _PRICES)
    coin, usd = _floats(raw, coin_columns[0], src), _floats(raw, "Volume USD", src)
    swapped = _swapped_volume_rows(coin=coin, quote=usd, low=lo, high=h)
    duration_ns = int(timeframe.duration.total_seconds()) * _NS_PER_SEC
    columns = {
        "start": start_ns,
        "end": start_ns + duration_ns,
        "open": o,
        "high": h,
        "low": lo,
        "close": c,
        "volume": np.where(swapped, usd, coin),
        "_line": raw["_line"].to_numpy(),
    }
    dropped = 0
    if drop_newest and len(start_ns):
        keep = np.arange(len(start_ns)) != int(np.argmax(start_ns))
        columns = {name: values[keep] for name, values in columns.items()}
        dropped = 1
    frame, duplicates = _finish(columns, src, timeframe=timeframe)
    logger.info(
        "loaded %s: %d bars %s..%s; volume columns swapped on %d rows, dropped %d partial "
        "newest bar, %d duplicate starts",
        path.name,
        len(frame),
        _first_start(frame),
        _last_start(frame),
        int(swapped.sum()),
        dropped,
        duplicates,
    )
    return frame


def _cdd_start_ns(raw: pd.DataFrame, src: _Source) -> np.ndarray:
    # bar-open times from `unix`, checked against `date` when both are present
    if "unix" not in raw.columns:
        _require_columns(raw, ("date",), src)
        text = raw["date"].str.strip() + "Z"
        return _timestamps_ns(raw.assign(date=text), "date", src)
    start_ns = _epoch_ns(_floats(raw, "unix", src))
    if "date" in raw.columns:
        dates = pd.to_datetime(raw["date"].str.strip(), format="ISO8601", errors="coerce")
        date_ns = dates.astype("datetime64[ns]").to_numpy().astype("int64")
        bad = dates.isna().to_numpy() | (date_ns != start_ns)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ContractViolation(
                f"{src.at(raw['_line'].iloc[row])}: unix and date disagree "
                f"({raw['unix'].iloc[row]!r} vs {raw['date'].iloc[row]!r})"
            )
    return start_ns


def _swapped_volume_rows(
    *, coin: np.ndarray, quote: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """Rows whose coin and quote volumes are swapped: their implied price fits worse."""
    positive = (coin > 0) & (quote > 0)
    safe_coin, safe_quote = np.where(positive, coin, 1.0), np.where(positive, quote, 1.0)
    as_is = _log_distance(safe_quote / safe_coin, low, high)
    swapped = _log_distance(safe_coin / safe_quote, low, high)
    implausible = positive & (np.minimum(as_is, swapped) > np.log(1.01))
    if implausible.any():
        logger.warning(
            "%d rows have volumes whose implied price is > 1%% outside [low, high] either way",
            int(implausible.sum()),
        )
    result: np.ndarray = positive & (swapped < as_is)
    return result


def _log_distance(price: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    # how far (in log terms) a price lies outside [low, high]; 0 inside
    below = np.maximum(np.log(low / price), 0.0)
    above = np.maximum(np.log(price / high), 0.0)
    return np.asarray(below + above)


def load_yahoo_daily_csv(path: Path) -> pd.DataFrame:
    """Load a Yahoo Finance daily CSV as US-session bars (09:30-16:00 New York, in UTC)."""
    path = Path(path)
    src = _Source(path)
    raw = read_csv_lines(path)
    _require_columns(raw, ("Date", "Open", "High", "Low", "Close", "Volume"), src)
    placeholder = (raw[["Open", "High", "Low", "Close"]] == "null").all(axis=1)
    raw = raw.loc[~placeholder].reset_index(drop=True)
    dates = pd.to_datetime(raw["Date"].str.strip(), format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise ContractViolation(
            f"{src.at(raw['_line'].iloc[row])}: Date is not YYYY-MM-DD: {raw['Date'].iloc[row]!r}"
        )
    dates = dates.astype("datetime64[ns]")
    start = (dates + _SESSION_OPEN).dt.tz_localize(_NEW_YORK).dt.tz_convert("UTC")
    end = (dates + _SESSION_CLOSE).dt.tz_localize(_NEW_YORK).dt.tz_convert("UTC")
    columns = {
        "start": _utc_ns(start),
        "end": _utc_ns(end),
        **{name: _floats(raw, name.capitalize(), src) for name in _PRICES},
        "volume": _floats(raw, "Volume", src),
        "_line": raw["_line"].to_numpy(),
    }
    frame, duplicates = _finish(columns, src, timeframe=Timeframe.DAY)
    logger.info(
        "loaded %s: %d daily bars %s..%s; dropped %d null rows, %d duplicate dates",
        path.name,
        len(frame),
        _first_start(frame),
        _last_start(frame),
        int(placeholder.sum()),
        duplicates,
    )
    return frame


def load_bars_file(path: Path, *, timeframe: Timeframe) -> pd.DataFrame:
    """Load bars from Parquet or CSV, dispatching CDD and Yahoo files by their header.

    Our own format has the frame columns (``start``, optional ``end``, ``open high low
    close volume``) or ``timestamp`` instead of ``start``; ``end`` defaults to
    ``start + timeframe.duration``. Times are aware datetimes, ISO-8601 strings with a zone,
    or epoch seconds/milliseconds.
    """
    path = Path(path)
    if _is_parquet(path):
        try:
            raw = pd.read_parquet(path)
        except (OSError, ValueError) as e:
            raise ContractViolation(f"{path}: cannot read as Parquet: {e}") from e
        raw = raw.reset_index(drop=True)
        raw["_line"] = np.arange(1, len(raw) + 1)
        return _load_own_format(raw, _Source(path, unit="row"), timeframe=timeframe)
    first = _first_line(path)
    header = [field.strip() for field in first.split(",")]
    if _has_cdd_banner(first) or ("unix" in header and "Volume USD" in header):
        return load_cryptodatadownload_csv(path, timeframe=timeframe)
    if tuple(header[: len(_YAHOO_HEADER)]) == _YAHOO_HEADER:
        if timeframe is not Timeframe.DAY:
            raise ConfigError(f"{path}: a Yahoo daily file cannot serve {timeframe.value} bars")
        return load_yahoo_daily_csv(path)
    return _load_own_format(read_csv_lines(path), _Source(path), timeframe=timeframe)


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in {".parquet", ".pq"}:
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(4) == _PARQUET_MAGIC
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e


def _load_own_format(raw: pd.DataFrame, src: _Source, *, timeframe: Timeframe) -> pd.DataFrame:
    time_column = "start" if "start" in raw.columns else "timestamp"
    _require_columns(raw, (time_column, *_PRICES, "volume"), src)
    start_ns = _timestamps_ns(raw, time_column, src)
    duration_ns = int(timeframe.duration.total_seconds()) * _NS_PER_SEC
    end_ns = _timestamps_ns(raw, "end", src) if "end" in raw.columns else start_ns + duration_ns
    columns = {
        "start": start_ns,
        "end": end_ns,
        **{name: _floats(raw, name, src) for name in (*_PRICES, "volume")},
        "_line": raw["_line"].to_numpy(),
    }
    frame, duplicates = _finish(columns, src, timeframe=timeframe)
    logger.info(
        "loaded %s: %d bars %s..%s; %d duplicate starts dropped",
        src.path.name,
        len(frame),
        _first_start(frame),
        _last_start(frame),
        duplicates,
    )
    return frame


def _first_start(frame: pd.DataFrame) -> str:
    return str(frame["start"].iloc[0]) if len(frame) else "-"


def _last_start(frame: pd.DataFrame) -> str:
    return str(frame["start"].iloc[-1]) if len(frame) else "-"


class BarsFormat(StrEnum):
    """What a bars file is, told by its content (never its extension)."""

    PARQUET = "parquet"
    CRYPTODATADOWNLOAD = "cryptodatadownload"
    YAHOO = "yahoo"
    GENERIC_CSV = "generic_csv"


class DetectedBars(NamedTuple):
    format: BarsFormat
    skiprows: int  # lines before the CSV header (CDD's banner)


def detect_bars_format(path: Path) -> DetectedBars:
    """Tell a bars file's format from its first bytes and header line: Parquet magic; a CDD
    banner or a ``unix…`` column; Yahoo's header (any case); else a generic CSV whose header
    names the columns."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            if handle.read(4) == _PARQUET_MAGIC:
                return DetectedBars(BarsFormat.PARQUET, 0)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    first = _first_line(path)
    if _has_cdd_banner(first):
        return DetectedBars(BarsFormat.CRYPTODATADOWNLOAD, 1)
    header = [field.strip().lower() for field in first.split(",")]
    if any(name.startswith("unix") for name in header):
        return DetectedBars(BarsFormat.CRYPTODATADOWNLOAD, 0)
    if tuple(header[: len(_YAHOO_HEADER)]) == tuple(n.lower() for n in _YAHOO_HEADER):
        return DetectedBars(BarsFormat.YAHOO, 0)
    return DetectedBars(BarsFormat.GENERIC_CSV, 0)
