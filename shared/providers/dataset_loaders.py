"""Parsers for recorded bar files, quirks included (used by :mod:`shared.providers.dataset`
and ``tb data check``).

:func:`read_bars` reads any bars file and says what it did (:class:`BarsLoad`: the frame,
the detected format and timeframe, rows dropped with their reasons, duplicates, gaps and the
quirks it handled); :func:`load_bars_file` returns just the frame. Every frame passed
:func:`validate_bars_frame`: sorted by ``start``, unique starts, ``datetime64[ns, UTC]``
times, ``volume`` in units of the asset (coins, shares). Errors name the file and the 1-based
line (``path:line``; Parquet: ``row``). Times go through the one parser,
:func:`shared.providers.bar_times.parse_times`.

**Format, from the content, never the extension** (:func:`detect_bars_format`): Parquet by
its magic bytes; CryptoDataDownload by its banner line, a ``unix…`` column or a ``symbol``
column beside ``Volume <coin>`` columns; Yahoo by its header (``Date,Open,High,Low,Close,Adj
Close,Volume``, any case); anything else is a generic table whose header names the columns
(any order, any case, extra columns ignored), or whose columns a :class:`BarColumns` mapping
names.

**Timeframe**: 1 minute, 1 hour or 1 day. Declared (config) or detected from the closest two
bars; a declared timeframe the spacing contradicts is a :class:`ConfigError`.

CryptoDataDownload (CDD) exports, all vintages (see the data set's SOURCE.md):

* Banner line (``https://www.CryptoDataDownload.com``): skipped when line 1 is not a header.
* Newest-first rows: sorted ascending.
* Time: the ``unix``/``Unix Timestamp`` column (seconds, or milliseconds above 1e11) when
  there is one, else ``date`` (ISO, or the older ``%Y-%m-%d %I-%p``, ``2020-02-13 01-AM``).
  Some vintages write ``date`` in local time next to a correct ``unix``: where they
  disagree, ``unix`` is trusted and the quirk is reported.
* Swapped volume columns: per row, the orientation whose implied price (quote / coin volume)
  lies nearer ``[low, high]`` (log distance) wins; a tie keeps the file's. This reproduces
  SOURCE.md's counts exactly (BTC 1h 20,143; ETH 1h 20,139; BTC 1d 1,180).
* Partial newest bar: the newest row of a CDD export is always dropped (``drop_newest``):
  CDD writes the bar in progress at export time.
* Duplicate starts: the first in file order is kept. Gaps are reported, never filled.

Yahoo daily CSVs, and any daily file given an exchange ``calendar``: a bar starts at the
session's open and ends at its close, from the exchange calendar (``exchange_calendars``:
holidays and half days; DST-correct), so a bar becomes available at the close. A date the
calendar does not list as a session falls back to 09:30-16:00 New York (reported). ``close``
is ``Close``, not ``Adj Close`` (the adjustment uses dividends paid after the bar: it leaks
the future). Rows whose prices are all ``null``/empty (Yahoo's placeholders) are dropped.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from shared.contracts import Timeframe
from shared.contracts.frames import validate_bars_frame
from shared.errors import ConfigError, ContractViolation, PipelineError
from shared.providers.bar_times import ParsedTimes, parse_times

__all__ = [
    "TIME_COLUMNS",
    "BarColumns",
    "BarsFormat",
    "BarsLoad",
    "DetectedBars",
    "detect_bars_format",
    "duration_bars",
    "load_bars_file",
    "load_cryptodatadownload_csv",
    "load_yahoo_daily_csv",
    "read_bars",
    "read_csv_lines",
]

logger = logging.getLogger(__name__)

TIME_COLUMNS = ("timestamp", "datetime", "date", "time", "start", "open_time")
"""Names a generic file's time column may have (any case), in order of preference, after
a ``unix…`` column."""

_NS_PER_SEC = 1_000_000_000
_NEW_YORK = ZoneInfo("America/New_York")
_SESSION_OPEN = pd.Timedelta(hours=9, minutes=30)
_SESSION_CLOSE = pd.Timedelta(hours=16)
_PRICES = ("open", "high", "low", "close")
_YAHOO_HEADER = ("date", "open", "high", "low", "close", "adj close", "volume")
_PARQUET_MAGIC = b"PAR1"
_NULLS = frozenset({"", "null", "nan", "none", "na", "n/a"})
_QUOTES = ("usd", "usdt", "usdc", "eur", "gbp", "jpy", "btc", "eth")
_MAX_HEADER_BYTES = 64 * 1024
_DEFAULT_CALENDAR = "XNYS"
_MAX_CALENDAR_YEARS = 150
_LAST_CALENDAR_YEAR = 2200
_READ_ERRORS = (ValueError, TypeError, OverflowError, KeyError, IndexError, UnicodeError,
                OSError, AttributeError)


class BarsFormat(StrEnum):
    """What a bars file is, told by its content (never its extension)."""

    PARQUET = "parquet"
    CRYPTODATADOWNLOAD = "cryptodatadownload"
    YAHOO = "yahoo"
    GENERIC_CSV = "generic_csv"


class DetectedBars(NamedTuple):
    format: BarsFormat
    skiprows: int  # lines before the CSV header (CDD's banner)


@dataclass(frozen=True)
class BarColumns:
    """Which of a file's columns hold what (names as in the header; ``None``: found by
    name). Config: ``dataset.bars.<SYMBOL>.columns``."""

    time: str | None = None
    open: str | None = None
    high: str | None = None
    low: str | None = None
    close: str | None = None
    volume: str | None = None

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str] | None) -> BarColumns | None:
        if not mapping:
            return None
        unknown = sorted(set(mapping) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"column mapping: unknown keys {unknown} (want time, open, high, "
                              "low, close, volume)")
        return cls(**{key: str(value) for key, value in mapping.items()})


@dataclass(frozen=True)
class BarsLoad:
    """A bars file as read: the frame and everything reading it did (``tb data check``)."""

    path: Path
    format: BarsFormat
    timeframe: Timeframe
    frame: pd.DataFrame
    rows_in_file: int
    dropped: Mapping[str, int] = field(default_factory=dict)  # reason -> rows
    duplicates: int = 0
    quirks: tuple[str, ...] = ()
    gaps: int = 0  # places where bars are missing
    missing_bars: int = 0  # bars missing in all gaps
    largest_gap_bars: int = 0  # bars missing in the largest gap
    calendar: str | None = None

    @property
    def rows(self) -> int:
        return len(self.frame)

    def summary(self) -> dict[str, object]:
        """The report as plain JSON values (sorted keys when dumped)."""
        first = self.frame["start"].iloc[0] if self.rows else None
        last = self.frame["start"].iloc[-1] if self.rows else None
        return {
            "file": str(self.path),
            "format": self.format.value,
            "timeframe": self.timeframe.value,
            "calendar": self.calendar,
            "rows_in_file": self.rows_in_file,
            "rows": self.rows,
            "first": _iso(first),
            "last": _iso(last),
            "gaps": self.gaps,
            "missing_bars": self.missing_bars,
            "largest_gap_bars": self.largest_gap_bars,
            "duplicates": self.duplicates,
            "dropped": dict(sorted(self.dropped.items())),
            "quirks": list(self.quirks),
        }


def _iso(value: pd.Timestamp | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


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
    if frame.columns.duplicated().any():
        raise ContractViolation(f"{path}: repeated column names in the header {list(frame)}")
    frame["_line"] = np.arange(len(frame), dtype="int64") + skiprows + 2
    cells = frame.drop(columns="_line")
    blank = (cells.apply(lambda column: column.str.strip()) == "").all(axis=1)
    return frame.loc[~blank].reset_index(drop=True)


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


# ----------------------------------------------------------------------- format detection


def _first_line(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(_MAX_HEADER_BYTES)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except IsADirectoryError as e:
        raise ConfigError(f"{path}: is a directory, not a file") from e
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if len(head) < _MAX_HEADER_BYTES or e.start < len(head) - 4:
            raise ContractViolation(f"{path}: not UTF-8 text (and not Parquet)") from e
        text = head[: e.start].decode("utf-8-sig")
    if "\x00" in text:
        raise ContractViolation(f"{path}: binary content (not CSV text, not Parquet)")
    return text.splitlines()[0].strip() if text.strip() else ""


def _has_cdd_banner(first_line: str) -> bool:
    return first_line.lower().startswith("http") or (bool(first_line) and "," not in first_line)


def detect_bars_format(path: Path) -> DetectedBars:
    """Tell a bars file's format from its first bytes and header line: Parquet magic; a CDD
    banner, a ``unix…`` column or ``symbol`` beside ``Volume <coin>``; Yahoo's header (any
    case); else a generic CSV whose header names the columns."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            if handle.read(4) == _PARQUET_MAGIC:
                return DetectedBars(BarsFormat.PARQUET, 0)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except IsADirectoryError as e:
        raise ConfigError(f"{path}: is a directory, not a file") from e
    first = _first_line(path)
    if not first:
        raise ContractViolation(f"{path}: empty file (no header line)")
    if first.startswith(("{", "[")):
        raise ContractViolation(f"{path}: JSON, not a bars table (narratives? name their "
                                "columns: headline, published_at, symbols)")
    if _has_cdd_banner(first):
        return DetectedBars(BarsFormat.CRYPTODATADOWNLOAD, 1)
    header = [field.strip().lower() for field in first.split(",")]
    if _looks_cdd(header):
        return DetectedBars(BarsFormat.CRYPTODATADOWNLOAD, 0)
    if tuple(header[: len(_YAHOO_HEADER)]) == _YAHOO_HEADER:
        return DetectedBars(BarsFormat.YAHOO, 0)
    return DetectedBars(BarsFormat.GENERIC_CSV, 0)


def _looks_cdd(header: list[str]) -> bool:
    if any(name.startswith("unix") for name in header):
        return True
    volumes = [name for name in header if name.startswith("volume ")]
    return "symbol" in header and bool(volumes)


# ----------------------------------------------------------------------- reading


class _Columns(NamedTuple):
    time: str
    open: str
    high: str
    low: str
    close: str
    volume: str | None  # None: CDD's two volume columns (coin, quote) below
    coin_volume: str | None = None
    quote_volume: str | None = None
    end: str | None = None
    date_check: str | None = None  # CDD: a date column beside unix, checked against it


def _find(names: list[str], wanted: str) -> str | None:
    lowered = {name.strip().lower(): name for name in reversed(names)}
    return lowered.get(wanted)


def _pick_columns(names: list[str], fmt: BarsFormat, mapping: BarColumns | None,
                  src: _Source) -> _Columns:
    given = mapping or BarColumns()
    for key, name in vars(given).items():
        if name is not None and name not in names:
            raise ContractViolation(f"{src.path}: column mapping {key}={name!r} is not in the "
                                    f"header {names}")
    unix = [name for name in names if name.strip().lower().startswith("unix")]
    time = given.time or (unix[0] if unix else None) or next(
        (found for alias in TIME_COLUMNS if (found := _find(names, alias))), None)
    prices = {key: getattr(given, key) or _find(names, key) for key in _PRICES}
    missing = [key for key, found in (("time", time), *prices.items()) if found is None]
    if missing or time is None:
        raise ContractViolation(
            f"{src.path}: no {' / '.join(missing)} column in the header {names} (want a time "
            f"column named unix…/{'/'.join(TIME_COLUMNS)}, and open, high, low, close, volume;"
            " or a column mapping in config)")
    date_check = _find(names, "date") if unix and time == unix[0] else None
    end = _find(names, "end") if fmt is BarsFormat.GENERIC_CSV or fmt is BarsFormat.PARQUET \
        else None
    volume = given.volume or _find(names, "volume")
    coin = quote = None
    if volume is None:
        coin, quote = _volume_pair(names, src)
        if quote is None:
            volume, coin = coin, None
    return _Columns(time, prices["open"] or "", prices["high"] or "", prices["low"] or "",
                    prices["close"] or "", volume, coin, quote, end, date_check)


def _volume_pair(names: list[str], src: _Source) -> tuple[str, str | None]:
    # CDD: "Volume <coin>" and "Volume <quote>"; one column alone is the coin volume
    volumes = [name for name in names if name.strip().lower().startswith("volume")]
    if len(volumes) == 1:
        return volumes[0], None
    if len(volumes) != 2:
        raise ContractViolation(f"{src.path}: no volume column (found {volumes or 'none'}); "
                                "name one in the column mapping")
    suffixes = [name.strip().lower().removeprefix("volume").strip() for name in volumes]
    for quote_at in (1, 0):
        if suffixes[quote_at] in _QUOTES[:6]:
            return volumes[1 - quote_at], volumes[quote_at]
    return volumes[0], volumes[1]


def read_bars(path: Path, *, timeframe: Timeframe | None = None,
              columns: BarColumns | None = None, calendar: str | None = None,
              drop_newest: bool | None = None) -> BarsLoad:
    """Read any bars file (see the module doc). ``timeframe`` None: detected. ``calendar``:
    an exchange (``XNYS``) whose sessions daily bars span (Yahoo files default to XNYS).
    ``drop_newest`` None: True for CDD exports (their in-progress bar).

    Raises only :class:`~shared.errors.PipelineError`s (a missing file: ConfigError; bytes
    that are no bars file: ContractViolation naming the file), whatever the bytes."""
    path = Path(path)
    try:
        return _read_bars(path, timeframe, columns, calendar, drop_newest)
    except PipelineError:
        raise
    except _READ_ERRORS as e:
        raise ContractViolation(f"{path}: cannot read as bars: {type(e).__name__}: {e}") from e


def _read_raw(path: Path, detected: DetectedBars) -> tuple[pd.DataFrame, _Source]:
    if detected.format is BarsFormat.PARQUET:
        try:
            raw = pd.read_parquet(path)
        except (OSError, ValueError) as e:
            raise ContractViolation(f"{path}: cannot read as Parquet: {e}") from e
        if isinstance(raw.index, pd.DatetimeIndex) and raw.index.name:
            raw = raw.reset_index()
        raw = raw.reset_index(drop=True)
        raw.columns = [str(name).strip() for name in raw.columns]
        raw["_line"] = np.arange(1, len(raw) + 1)
        return raw, _Source(path, unit="row")
    return read_csv_lines(path, skiprows=detected.skiprows), _Source(path)


def _read_bars(path: Path, timeframe: Timeframe | None, mapping: BarColumns | None,
               calendar: str | None, drop_newest: bool | None) -> BarsLoad:
    detected = detect_bars_format(path)
    fmt = detected.format
    if fmt is BarsFormat.YAHOO:
        if timeframe not in (None, Timeframe.DAY):
            raise ConfigError(f"{path}: a Yahoo daily file cannot serve "
                              f"{timeframe.value if timeframe else ''} bars")
        timeframe, calendar = Timeframe.DAY, calendar or _DEFAULT_CALENDAR
    raw, src = _read_raw(path, detected)
    quirks: list[str] = []
    if detected.skiprows:
        quirks.append("banner line skipped")
    rows_in_file = len(raw)
    names = [name for name in raw.columns if name != "_line"]
    cols = _pick_columns(names, fmt, mapping, src)
    raw, null_rows = _drop_null_rows(raw, cols)
    dropped: dict[str, int] = {}
    if null_rows:
        dropped["null prices"] = null_rows
        quirks.append(f"{null_rows} null rows dropped")
    times = parse_times(raw[cols.time])
    _require_readable(raw, cols.time, times, src)
    quirks.extend(_time_quirks(times, cols.time))
    if cols.date_check is not None and cols.date_check != cols.time:
        quirks.extend(_check_dates(raw, cols.date_check, times))
    start_ns = times.ns
    if _descending(start_ns):
        quirks.append("rows newest-first (sorted ascending)")
    o, h, lo, c = (_floats(raw, getattr(cols, name), src) for name in _PRICES)
    volume = _volume(raw, cols, src, low=lo, high=h, quirks=quirks)
    timeframe = timeframe or _detect_timeframe(start_ns, times)
    daily_sessions = timeframe is Timeframe.DAY and calendar is not None
    if daily_sessions:
        start_ns, end_ns = _session_times(start_ns, calendar or _DEFAULT_CALENDAR, quirks)
    elif cols.end is not None:
        end_parsed = parse_times(raw[cols.end])
        _require_readable(raw, cols.end, end_parsed, src)
        end_ns = end_parsed.ns
    else:
        end_ns = start_ns + int(timeframe.duration.total_seconds()) * _NS_PER_SEC
    columns = {"start": start_ns, "end": end_ns, "open": o, "high": h, "low": lo, "close": c,
               "volume": volume, "_line": raw["_line"].to_numpy()}
    if drop_newest is None:
        drop_newest = fmt is BarsFormat.CRYPTODATADOWNLOAD
    if drop_newest and len(start_ns):
        keep = np.arange(len(start_ns)) != int(np.argmax(start_ns))
        columns = {name: values[keep] for name, values in columns.items()}
        dropped["partial newest bar"] = 1
    frame, duplicates = _finish(columns, src, timeframe=timeframe, sessions=daily_sessions)
    if duplicates:
        dropped["duplicate start"] = duplicates
        quirks.append(f"{duplicates} duplicate starts (first kept)")
    gaps = _gaps(frame, timeframe, calendar if daily_sessions else None, quirks)
    load = BarsLoad(path=path, format=fmt, timeframe=timeframe, frame=frame,
                    rows_in_file=rows_in_file, dropped=dropped, duplicates=duplicates,
                    quirks=tuple(quirks), gaps=gaps[0], missing_bars=gaps[1],
                    largest_gap_bars=gaps[2], calendar=calendar if daily_sessions else None)
    logger.info("loaded %s: %d %s bars %s..%s (%s); dropped %s; %s", path.name, load.rows,
                timeframe.value, _first_start(frame), _last_start(frame), fmt.value,
                dropped or "none", "; ".join(quirks) or "no quirks")
    return load


def _drop_null_rows(raw: pd.DataFrame, cols: _Columns) -> tuple[pd.DataFrame, int]:
    # rows whose four prices are all null/empty (Yahoo's holiday placeholders)
    prices = raw[[cols.open, cols.high, cols.low, cols.close]]
    null = prices.apply(lambda column: column.isna() | column.astype(str).str.strip()
                        .str.lower().isin(_NULLS)).all(axis=1)
    count = int(null.sum())
    return (raw.loc[~null].reset_index(drop=True), count) if count else (raw, 0)


def _require_readable(raw: pd.DataFrame, column: str, times: ParsedTimes, src: _Source) -> None:
    if times.unreadable:
        row = int(np.flatnonzero(~times.ok)[0])
        raise ContractViolation(
            f"{src.at(raw['_line'].iloc[row])}: column {column!r} is not a time (epoch "
            f"seconds/ms, ISO-8601 or YYYY-MM-DD HH-AM): {raw[column].iloc[row]!r}")


def _time_quirks(times: ParsedTimes, column: str) -> list[str]:
    out = []
    if times.epoch_ms:
        out.append(f"{column}: {times.epoch_ms} epoch values in milliseconds")
    if times.cdd_hours:
        out.append(f"{column}: {times.cdd_hours} dates written %Y-%m-%d %I-%p")
    if times.naive and times.naive != times.date_only:
        out.append(f"{column}: {times.naive - times.date_only} times without a zone read as "
                   "UTC")
    return out


def _check_dates(raw: pd.DataFrame, column: str, times: ParsedTimes) -> list[str]:
    # CDD: a date column beside unix; local-time strings disagree -> unix is trusted
    dates = parse_times(raw[column])
    disagree = int((~dates.ok | (dates.ns != times.ns)).sum())
    if not disagree:
        return []
    return [f"{column!r} disagrees with the unix column on {disagree} rows (local-time "
            "strings?): unix trusted, date ignored"]


def _descending(start_ns: np.ndarray) -> bool:
    return len(start_ns) > 1 and bool(start_ns[0] > start_ns[-1])


def _volume(raw: pd.DataFrame, cols: _Columns, src: _Source, *, low: np.ndarray,
            high: np.ndarray, quirks: list[str]) -> np.ndarray:
    if cols.volume is not None:
        return _floats(raw, cols.volume, src)
    assert cols.coin_volume is not None and cols.quote_volume is not None
    coin, quote = _floats(raw, cols.coin_volume, src), _floats(raw, cols.quote_volume, src)
    swapped = _swapped_volume_rows(coin=coin, quote=quote, low=low, high=high)
    if swapped.any():
        quirks.append(f"volume columns swapped on {int(swapped.sum())} rows (restored)")
    return np.where(swapped, quote, coin)


def _swapped_volume_rows(
    *, coin: np.ndarray, quote: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """Rows whose coin and quote volumes are swapped: their implied price fits worse."""
    positive = (coin > 0) & (quote > 0) & (low > 0) & (high > 0)
    safe_coin, safe_quote = np.where(positive, coin, 1.0), np.where(positive, quote, 1.0)
    safe_low, safe_high = np.where(positive, low, 1.0), np.where(positive, high, 1.0)
    as_is = _log_distance(safe_quote / safe_coin, safe_low, safe_high)
    swapped = _log_distance(safe_coin / safe_quote, safe_low, safe_high)
    result: np.ndarray = positive & (swapped < as_is)
    return result


def _log_distance(price: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    # how far (in log terms) a price lies outside [low, high]; 0 inside
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        below = np.maximum(np.log(low / price), 0.0)
        above = np.maximum(np.log(price / high), 0.0)
    return np.asarray(np.nan_to_num(below + above, nan=np.inf))


def _detect_timeframe(start_ns: np.ndarray, times: ParsedTimes) -> Timeframe:
    # from the closest two distinct bars; one bar: a date-only file is daily, else hourly
    distinct = np.unique(start_ns)
    if len(distinct) < 2:
        return Timeframe.DAY if times.date_only else Timeframe.HOUR
    closest = int(np.diff(distinct).min()) // _NS_PER_SEC
    for timeframe in Timeframe:
        if closest == int(timeframe.duration.total_seconds()):
            return timeframe
    raise ConfigError(f"the closest bars are {pd.Timedelta(closest, unit='s')} apart: not 1 "
                      "minute, 1 hour or 1 day (supported timeframes)")


@dataclass(frozen=True)
class _Sessions:
    dates_ns: np.ndarray  # session dates (midnight, naive ns), ascending
    opens_ns: np.ndarray
    closes_ns: np.ndarray


@lru_cache(maxsize=16)
def _calendar_sessions(name: str, first_year: int, last_year: int) -> _Sessions | None:
    if last_year - first_year > _MAX_CALENDAR_YEARS or last_year > _LAST_CALENDAR_YEAR:
        return None  # not a real equity history: the fixed 09:30-16:00 session instead
    try:
        import exchange_calendars as xc

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas deprecations inside exchange_calendars
            schedule = xc.get_calendar(name, start=f"{max(first_year, 1900)}-01-01",
                                       end=f"{max(first_year, last_year, 1900)}-12-31").schedule
    except ImportError as e:
        raise ConfigError(f"exchange calendars are not installed ({name!r}): {e}") from e
    except Exception as e:  # noqa: BLE001 - the library's own errors and its bounds
        if isinstance(e, xc.errors.InvalidCalendarName):
            raise ConfigError(f"unknown exchange calendar {name!r}") from e
        logger.warning("calendar %s for %d..%d unavailable: %s", name, first_year, last_year, e)
        return None
    if not len(schedule):
        return None
    dates = schedule.index.to_numpy("datetime64[ns]").astype("int64")
    opens = schedule["open"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(
        "datetime64[ns]").astype("int64")
    closes = schedule["close"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(
        "datetime64[ns]").astype("int64")
    return _Sessions(dates, opens, closes)


def _session_times(start_ns: np.ndarray, calendar: str, quirks: list[str]
                   ) -> tuple[np.ndarray, np.ndarray]:
    # daily bars span their session: open..close from the calendar (fallback 09:30-16:00 NY)
    day_ns = np.asarray(start_ns // (86_400 * _NS_PER_SEC) * (86_400 * _NS_PER_SEC),
                        dtype="int64")
    days = pd.Series(day_ns.astype("datetime64[ns]"))
    opens = _utc_ns((days + _SESSION_OPEN).dt.tz_localize(_NEW_YORK).dt.tz_convert("UTC"))
    closes = _utc_ns((days + _SESSION_CLOSE).dt.tz_localize(_NEW_YORK).dt.tz_convert("UTC"))
    if not len(day_ns):
        return opens, closes
    years = pd.DatetimeIndex(days)
    sessions = _calendar_sessions(calendar, int(years.year.min()), int(years.year.max()))
    if sessions is None:
        quirks.append(f"no {calendar} sessions in the file's years: 09:30-16:00 New York used")
        return opens, closes
    at = np.clip(np.searchsorted(sessions.dates_ns, day_ns), 0, len(sessions.dates_ns) - 1)
    listed = sessions.dates_ns[at] == day_ns
    opens = np.where(listed, sessions.opens_ns[at], opens)
    closes = np.where(listed, sessions.closes_ns[at], closes)
    quirks.append(f"daily bars span {calendar} sessions (open to close, half days included)")
    if (~listed).any():
        quirks.append(f"{int((~listed).sum())} dates are not {calendar} sessions: 09:30-16:00 "
                      "New York used")
    return opens, closes


def _utc_ns(series: pd.Series) -> np.ndarray:
    # aware datetimes -> int64 nanoseconds since the epoch
    utc = series.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    return np.array(utc.array.asi8, dtype="int64")


def _finish(columns: dict[str, np.ndarray], src: _Source, *, timeframe: Timeframe,
            sessions: bool) -> tuple[pd.DataFrame, int]:
    # sort, drop duplicate starts (first in file order wins), check rows and spacing, validate
    frame = pd.DataFrame(columns)
    before = len(frame)
    frame = frame.drop_duplicates("start", keep="first")
    duplicates = before - len(frame)
    frame = frame.sort_values("start", kind="stable").reset_index(drop=True)
    _check_rows(frame, src)
    _check_spacing(frame, src, timeframe, sessions=sessions)
    for name in ("start", "end"):
        ns = frame[name].to_numpy(dtype="int64").astype("datetime64[ns]")
        frame[name] = pd.Series(ns).dt.tz_localize("UTC")
    frame = frame.drop(columns="_line")
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


def _check_spacing(frame: pd.DataFrame, src: _Source, timeframe: Timeframe, *,
                   sessions: bool) -> None:
    # the closest two bars must be exactly one timeframe apart (catches a wrong timeframe)
    if len(frame) < 2:
        return
    starts = frame["start"].to_numpy(dtype="int64")
    if sessions:  # session opens move with DST: compare the dates
        starts = starts // (86_400 * _NS_PER_SEC) * (86_400 * _NS_PER_SEC)
    gaps = np.diff(starts)
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


def _gaps(frame: pd.DataFrame, timeframe: Timeframe, calendar: str | None,
          quirks: list[str]) -> tuple[int, int, int]:
    """(gaps, missing bars, largest gap in bars): bars the timeframe (or, for daily session
    bars, the calendar) expects between two bars of the file and the file lacks. A daily
    file with no weekend bar counts weekdays only."""
    if len(frame) < 2:
        return 0, 0, 0
    starts = frame["start"].to_numpy(dtype="int64")
    if timeframe is Timeframe.DAY:
        days = (starts // (86_400 * _NS_PER_SEC)).astype("datetime64[D]")
        if calendar is not None:
            sessions = _calendar_sessions(calendar, int(str(days[0])[:4]),
                                          int(str(days[-1])[:4]))
            if sessions is not None:
                dates = sessions.dates_ns.astype("datetime64[ns]").astype("datetime64[D]")
                between = np.searchsorted(dates, days[1:]) - np.searchsorted(
                    dates, days[:-1], side="right")
                return _gap_counts(np.maximum(between, 0))
        weekdays = np.is_busday(days)
        if weekdays.all() and len(days) >= 5:
            quirks.append("weekday-only daily bars: weekends are not gaps")
            return _gap_counts(np.busday_count(days[:-1], days[1:]) - 1)
        return _gap_counts(np.diff(days).astype("int64") - 1)
    step = int(timeframe.duration.total_seconds()) * _NS_PER_SEC
    return _gap_counts(np.diff(starts) // step - 1)


def _gap_counts(missing: np.ndarray) -> tuple[int, int, int]:
    missing = np.maximum(np.asarray(missing, dtype="int64"), 0)
    return int((missing > 0).sum()), int(missing.sum()), int(missing.max(initial=0))


def _first_start(frame: pd.DataFrame) -> str:
    return str(frame["start"].iloc[0]) if len(frame) else "-"


def _last_start(frame: pd.DataFrame) -> str:
    return str(frame["start"].iloc[-1]) if len(frame) else "-"


# ----------------------------------------------------------------------- the named loaders


def load_bars_file(path: Path, *, timeframe: Timeframe, columns: BarColumns | None = None,
                   calendar: str | None = None) -> pd.DataFrame:
    """Load bars from any file :func:`read_bars` reads, as ``timeframe`` bars."""
    return read_bars(path, timeframe=timeframe, columns=columns, calendar=calendar).frame


def load_cryptodatadownload_csv(
    path: Path, *, timeframe: Timeframe, drop_newest: bool = True
) -> pd.DataFrame:
    """Load a CryptoDataDownload OHLCV export (see the module docstring for the quirks)."""
    path = Path(path)
    detected = detect_bars_format(path)
    if detected.format is not BarsFormat.CRYPTODATADOWNLOAD:
        raise ContractViolation(f"{path}: not a CryptoDataDownload export "
                                f"(looks like {detected.format.value})")
    return read_bars(path, timeframe=timeframe, drop_newest=drop_newest).frame


def load_yahoo_daily_csv(path: Path, *, calendar: str = _DEFAULT_CALENDAR) -> pd.DataFrame:
    """Load a Yahoo Finance daily CSV as session bars (open to close, in UTC)."""
    path = Path(path)
    detected = detect_bars_format(path)
    if detected.format is not BarsFormat.YAHOO:
        raise ContractViolation(f"{path}: not a Yahoo daily CSV "
                                f"(looks like {detected.format.value})")
    return read_bars(path, timeframe=Timeframe.DAY, calendar=calendar).frame


def duration_bars(duration: timedelta, timeframe: Timeframe) -> int:
    """A duration as a number of bars: rounded up (a window never holds less time than
    asked), at least 1. The one conversion between durations and bar counts."""
    step = timeframe.duration
    return max(1, -(-duration // step))
