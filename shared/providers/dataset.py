"""The dataset feed: recorded public bars and narratives served point-in-time
(``tb run --feed dataset``; ``--feed replay`` is its old name, see :mod:`shared.providers.feeds`).

Bar files are parsed by :mod:`shared.providers.dataset_loaders`; narrative files here.

Decisions on the crypto news set (``cryptonews.csv``, see its SOURCE.md):

* Semicolon-separated, standard CSV quoting. ``date`` is ``D-M-YYYY HH:MM`` (day first, not
  zero-padded) and is read as UTC. The set states no zone; read as UTC, headline counts
  correlate best with same-hour |BTC return| (a US zone would put news 4-5 h before moves)
  and "falls below $20K" (07:16) follows the 06:00 bar that first broke 20K.
* The set has no fetch time, so the feed assumes a fixed delay: ``fetched_at =
  published_at + fetch_delay`` (default 5 minutes, configurable, must be >= 0).
* ``subject`` maps to symbols (``bitcoin`` -> BTC-USD, ``ethereum`` -> ETH-USD); any other
  subject maps by keyword in title or text (bitcoin/BTC, ether/ethereum/ETH); items that map
  to nothing are dropped (counted in the log).
* ``headline`` is ``title``; ``summary`` is ``text``. When the title is missing (28 rows) the
  text becomes the headline and the summary is left empty, so it is not scored twice.
* ``narrative_id`` is the first 16 hex of sha256 of the URL, or, without a URL (60 rows), of
  ``headline + "\\n" + published_at``. Items with the same id are duplicates: the first
  published is kept. Same title with a different URL is kept (syndication is real).
* The ``sentiment`` column is ignored: it is TextBlob-style machine output, not a label, and
  using it would score our scorer against another model.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
from pydantic import ValidationError

from shared.contracts import Narrative, Timeframe, format_utc, sha256_hex
from shared.datadir import resolve_data_paths
from shared.errors import ConfigError, ContractViolation
from shared.providers.dataset_loaders import BarColumns, load_bars_file, read_csv_lines
from shared.providers.feeds import DATASET_RECORDED_NAME
from shared.providers.news_loaders import NewsColumns, is_jsonl, load_mapped_narratives

__all__ = [
    "DEFAULT_BARS_FILES",
    "DEFAULT_FETCH_DELAY",
    "DEFAULT_KEYWORD_SYMBOLS",
    "DEFAULT_NEWS_FILES",
    "DEFAULT_SUBJECT_SYMBOLS",
    "DatasetFeed",
    "NewsSource",
    "default_dataset_feed",
    "load_cryptonews_csv",
    "load_narratives_file",
    "load_news_file",
]

logger = logging.getLogger(__name__)

DEFAULT_FETCH_DELAY = timedelta(minutes=5)
DEFAULT_SUBJECT_SYMBOLS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"bitcoin": ("BTC-USD",), "ethereum": ("ETH-USD",)}
)
DEFAULT_KEYWORD_SYMBOLS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {r"\b(?:bitcoin|btc)\b": ("BTC-USD",), r"\b(?:ether|ethereum|eth)\b": ("ETH-USD",)}
)
DEFAULT_BARS_FILES: Mapping[str, str] = MappingProxyType(
    {
        "BTC-USD": "crypto-bitstamp-cdd-2022/Bitstamp_BTCUSD_1h.csv",
        "ETH-USD": "crypto-bitstamp-cdd-2022/Bitstamp_ETHUSD_1h.csv",
    }
)
DEFAULT_NEWS_FILES: tuple[str, ...] = ("news-crypto-cryptonews-2021-2022/cryptonews.csv",)

_CRYPTONEWS_COLUMNS = ("date", "source", "subject", "text", "title", "url")
_OWN_CSV_COLUMNS = ("narrative_id", "headline", "source", "symbols", "published_at", "fetched_at")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)


def load_cryptonews_csv(
    path: Path,
    *,
    fetch_delay: timedelta = DEFAULT_FETCH_DELAY,
    subject_symbols: Mapping[str, tuple[str, ...]] = DEFAULT_SUBJECT_SYMBOLS,
    keyword_symbols: Mapping[str, tuple[str, ...]] = DEFAULT_KEYWORD_SYMBOLS,
) -> list[Narrative]:
    """Load the crypto news CSV as narratives sorted by publication (decisions: module doc)."""
    if fetch_delay < timedelta(0):
        raise ConfigError(f"fetch_delay must be >= 0 (got {fetch_delay})")
    path = Path(path)
    raw = read_csv_lines(path, sep=";")
    missing = [name for name in _CRYPTONEWS_COLUMNS if name not in raw.columns]
    if missing:
        raise ContractViolation(f"{path}: missing columns {missing}")
    raw = raw.assign(**{name: raw[name].str.strip() for name in _CRYPTONEWS_COLUMNS})
    published = pd.to_datetime(raw["date"], format="%d-%m-%Y %H:%M", errors="coerce")
    if published.isna().any():
        row = int(np.flatnonzero(published.isna().to_numpy())[0])
        line, value = raw["_line"].iloc[row], raw["date"].iloc[row]
        raise ContractViolation(f"{path}:{line}: date is not D-M-YYYY HH:MM: {value!r}")
    raw = (
        raw.assign(published=published.dt.tz_localize("UTC"))
        .rename(columns={"_line": "line"})  # itertuples renames underscored fields
        .sort_values("published", kind="stable")
    )
    patterns = [(re.compile(p, re.IGNORECASE), symbols) for p, symbols in keyword_symbols.items()]
    seen: set[str] = set()
    out: list[Narrative] = []
    counts = {"duplicate": 0, "unmapped": 0, "empty": 0, "headline_from_text": 0}
    for row in raw.itertuples(index=False):
        title, text, url = str(row.title), str(row.text), str(row.url)
        symbols = tuple(subject_symbols.get(str(row.subject).lower(), ()))
        if not symbols:
            symbols = _keyword_symbols(f"{title} {text}", patterns)
        if not symbols:
            counts["unmapped"] += 1
            continue
        if not (title or text):
            counts["empty"] += 1
            continue
        if not title:
            counts["headline_from_text"] += 1
        published_at = row.published.to_pydatetime()
        headline = title or text
        key = url or f"{headline}\n{format_utc(published_at)}"
        narrative_id = sha256_hex(key)[:16]
        if narrative_id in seen:
            counts["duplicate"] += 1
            continue
        seen.add(narrative_id)
        record = {
            "narrative_id": narrative_id,
            "headline": headline,
            "summary": text if title else None,
            "source": str(row.source),
            "url": url or None,
            "symbols": symbols,
            "published_at": published_at,
            "fetched_at": published_at + fetch_delay,
        }
        out.append(_narrative(record, f"{path}:{row.line}"))
    fixes = ", ".join(f"{name} {count}" for name, count in counts.items())
    logger.info(
        "loaded %s: %d rows -> %d narratives, fetch delay %s assumed; %s",
        path.name, len(raw), len(out), fetch_delay, fixes,
    )  # fmt: skip
    return out


def _keyword_symbols(
    text: str, patterns: Sequence[tuple[re.Pattern[str], tuple[str, ...]]]
) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for pattern, symbols in patterns:
        if pattern.search(text):
            found.update(dict.fromkeys(symbols))
    return tuple(found)


def _narrative(record: Mapping[str, object], where: str) -> Narrative:
    try:
        return Narrative.model_validate(record)
    except ValidationError as e:
        raise ContractViolation(f"{where}: invalid narrative: {e}") from e


def load_narratives_file(path: Path) -> list[Narrative]:
    """Load our recorded narratives: JSONL of ``Narrative`` records, or CSV with columns
    ``narrative_id, headline, source, url, symbols`` (``|``-separated), ``published_at,
    fetched_at`` (ISO-8601 UTC) and optional ``summary``."""
    path = Path(path)
    if is_jsonl(path):
        return _load_narratives_jsonl(path)
    raw = read_csv_lines(path)
    missing = [name for name in _OWN_CSV_COLUMNS if name not in raw.columns]
    if missing:
        raise ContractViolation(f"{path}: missing columns {missing}")
    out = []
    for row in raw.to_dict("records"):
        where = f"{path}:{row['_line']}"
        record: dict[str, object] = {
            name: str(row[name]).strip() or None
            for name in ("narrative_id", "headline", "source", "url", "summary")
            if name in row
        }
        record["symbols"] = tuple(s.strip() for s in str(row["symbols"]).split("|") if s.strip())
        for name in ("published_at", "fetched_at"):
            try:
                record[name] = datetime.fromisoformat(str(row[name]).strip())
            except ValueError as e:
                raise ContractViolation(f"{where}: {name} is not ISO-8601: {e}") from e
        out.append(_narrative(record, where))
    return out


def _load_narratives_jsonl(path: Path) -> list[Narrative]:
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except UnicodeDecodeError as e:
        raise ContractViolation(f"{path}: not UTF-8 text: {e}") from e
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(Narrative.model_validate_json(line))
        except ValidationError as e:
            raise ContractViolation(f"{path}:{number}: invalid narrative: {e}") from e
    return out


def load_news_file(
    path: Path,
    *,
    fetch_delay: timedelta = DEFAULT_FETCH_DELAY,
    subject_symbols: Mapping[str, tuple[str, ...]] = DEFAULT_SUBJECT_SYMBOLS,
) -> list[Narrative]:
    """Load narratives from the crypto news CSV (sniffed by header) or our recorded formats
    (JSONL told by its content, or CSV)."""
    path = Path(path)
    if not is_jsonl(path):
        try:
            with path.open(encoding="utf-8-sig") as handle:
                header = handle.readline()
        except FileNotFoundError as e:
            raise ConfigError(f"{path}: file not found") from e
        except UnicodeDecodeError as e:
            raise ContractViolation(f"{path}: not UTF-8 text: {e}") from e
        if header.startswith("date;") and "subject" in header:
            return load_cryptonews_csv(
                path, fetch_delay=fetch_delay, subject_symbols=subject_symbols
            )
    return load_narratives_file(path)


@dataclass(frozen=True)
class NewsSource:
    """A news file read by a column mapping (``columns``; ``None``: the crypto news CSV or
    our recorded formats), with its own stated fetch delay (``None``: the feed's)."""

    path: Path
    columns: NewsColumns | None = None
    fetch_delay: timedelta | None = None
    time_zone: str = "UTC"
    symbol_map: Mapping[str, str] = dataclasses.field(default_factory=dict)
    source: str | None = None


@dataclass(frozen=True)
class _BarSeries:
    frame: pd.DataFrame
    start_ns: np.ndarray
    end_ns: np.ndarray


@dataclass(frozen=True)
class _SymbolNews:
    positions: np.ndarray  # ascending indices into the feed's sorted narrative tuple
    fetched_ns: np.ndarray
    published_ns: np.ndarray


class DatasetFeed:
    """Recorded bars and narratives, loaded lazily once, served point-in-time.

    A MarketFeed and a NewsFeed. Example::

        feed = DatasetFeed({"BTC-USD": Path("btc_1h.csv")}, [Path("news.csv")])
        feed.bars(["BTC-USD"], start=t0, end=t1, timeframe=Timeframe.HOUR)
    """

    name = DATASET_RECORDED_NAME  # "replay": how artifacts name this feed

    def __init__(
        self,
        bars_files: Mapping[str, Path],
        news_files: Sequence[Path | NewsSource] = (),
        *,
        timeframe: Timeframe = Timeframe.HOUR,
        fetch_delay: timedelta = DEFAULT_FETCH_DELAY,
        subject_symbols: Mapping[str, tuple[str, ...]] = DEFAULT_SUBJECT_SYMBOLS,
        bar_columns: Mapping[str, BarColumns] | None = None,
        calendar: str | None = None,
    ) -> None:
        if fetch_delay < timedelta(0):
            raise ConfigError(f"fetch_delay must be >= 0 (got {fetch_delay})")
        self.bars_files = {symbol: Path(path) for symbol, path in bars_files.items()}
        self.news_sources = tuple(item if isinstance(item, NewsSource) else
                                  NewsSource(Path(item)) for item in news_files)
        self.news_files = tuple(source.path for source in self.news_sources)
        self.bar_columns = dict(bar_columns or {})
        self.calendar = calendar
        self.timeframe = timeframe
        self.fetch_delay = fetch_delay
        self.subject_symbols = dict(subject_symbols)
        self._bars: dict[str, _BarSeries] = {}
        self._narratives: tuple[Narrative, ...] | None = None
        self._news_by_symbol: dict[str, _SymbolNews] = {}

    @classmethod
    def from_paths(
        cls,
        bars_files: Mapping[str, str | Path],
        news_files: Sequence[str | Path] = (),
        *,
        base_dir: Path | None = None,
        timeframe: Timeframe = Timeframe.HOUR,
        fetch_delay_mins: float = DEFAULT_FETCH_DELAY / timedelta(minutes=1),
        subject_symbols: Mapping[str, tuple[str, ...]] = DEFAULT_SUBJECT_SYMBOLS,
        bar_columns: Mapping[str, BarColumns] | None = None,
        news_sources: Sequence[NewsSource] = (),
        calendar: str | None = None,
    ) -> DatasetFeed:
        """Build from config values: resolve paths (relative ones against ``base_dir``, default
        the working directory) and fail now if any file is missing. ``news_sources`` are
        mapped news files (their paths resolved the same way)."""
        root = base_dir or Path.cwd()
        bars = {symbol: root / Path(path) for symbol, path in bars_files.items()}
        news: list[Path | NewsSource] = [root / Path(path) for path in news_files]
        news += [dataclasses.replace(source, path=root / source.path) for source in news_sources]
        paths = [*bars.values(), *(n.path if isinstance(n, NewsSource) else n for n in news)]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise ConfigError(f"dataset feed: files not found: {missing}")
        return cls(
            bars,
            news,
            timeframe=timeframe,
            fetch_delay=timedelta(minutes=fetch_delay_mins),
            subject_symbols=subject_symbols,
            bar_columns=bar_columns,
            calendar=calendar,
        )

    @property
    def bars_only(self) -> bool:
        """No news configured: decisions run on prices alone (``DATA_BARS_ONLY``)."""
        return not self.news_sources

    def bars_range(self, symbol: str) -> tuple[datetime, datetime] | None:
        """(first bar's start, last bar's end) of ``symbol``'s file; None when it is empty."""
        if symbol not in self.bars_files:
            return None
        series = self._bar_series(symbol)
        if not len(series.start_ns):
            return None
        return (_from_ns(int(series.start_ns[0])), _from_ns(int(series.end_ns[-1])))

    def news_range(self, symbols: Sequence[str]) -> tuple[datetime, datetime] | None:
        """(first, last) publication time of the news about any of ``symbols``; None when
        there is none (or no news is configured)."""
        if self.bars_only:
            return None
        self._load_narratives()
        published = [self._news_by_symbol[s].published_ns for s in symbols
                     if s in self._news_by_symbol]
        values = np.concatenate(published) if published else np.array([], dtype="int64")
        if not len(values):
            return None
        return (_from_ns(int(values.min())), _from_ns(int(values.max())))

    def bars(
        self,
        symbols: Sequence[str],
        *,
        start: datetime,
        end: datetime,
        timeframe: Timeframe,
    ) -> dict[str, pd.DataFrame]:
        """Bars with ``start >= start`` and ``end <= end`` (closed by ``end``) per symbol."""
        if timeframe is not self.timeframe:
            raise ConfigError(
                f"dataset feed holds {self.timeframe.value} bars, asked for {timeframe.value}"
            )
        unknown = [symbol for symbol in symbols if symbol not in self.bars_files]
        if unknown:
            raise ConfigError(
                f"dataset feed has no bars file for {unknown}; configured: "
                f"{ {s: str(p) for s, p in self.bars_files.items()} }"
            )
        start_ns, end_ns = _to_ns(start, "start"), _to_ns(end, "end")
        out: dict[str, pd.DataFrame] = {}
        for symbol in symbols:
            series = self._bar_series(symbol)
            first = int(np.searchsorted(series.start_ns, start_ns, side="left"))
            stop = max(first, int(np.searchsorted(series.end_ns, end_ns, side="right")))
            out[symbol] = series.frame.iloc[first:stop].reset_index(drop=True)
        return out

    def narratives(
        self, symbols: Sequence[str], *, start: datetime, end: datetime
    ) -> list[Narrative]:
        """Narratives about any of ``symbols`` published at or after ``start`` and fetched by
        ``end``, sorted by (``fetched_at``, ``narrative_id``); none when no news is
        configured (bars-only replay, :attr:`bars_only`)."""
        if self.bars_only:
            return []
        items = self._load_narratives()
        start_ns, end_ns = _to_ns(start, "start"), _to_ns(end, "end")
        parts: list[np.ndarray] = []
        for symbol in dict.fromkeys(symbols):
            news = self._news_by_symbol.get(symbol)
            if news is None:
                continue
            # fetched_at >= published_at >= start bounds the slice from below
            first = int(np.searchsorted(news.fetched_ns, start_ns, side="left"))
            stop = int(np.searchsorted(news.fetched_ns, end_ns, side="right"))
            if stop > first:
                keep = news.published_ns[first:stop] >= start_ns
                parts.append(news.positions[first:stop][keep])
        if not parts:
            return []
        positions = parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))
        return [items[i] for i in positions.tolist()]

    def _bar_series(self, symbol: str) -> _BarSeries:
        if symbol not in self._bars:
            frame = load_bars_file(self.bars_files[symbol], timeframe=self.timeframe,
                                   columns=self.bar_columns.get(symbol),
                                   calendar=self.calendar)
            self._bars[symbol] = _BarSeries(
                frame=frame,
                start_ns=frame["start"].array.asi8.copy(),
                end_ns=frame["end"].array.asi8.copy(),
            )
        return self._bars[symbol]

    def _load_narratives(self) -> tuple[Narrative, ...]:
        if self._narratives is None:
            loaded = [item for source in self.news_sources for item in self._read_news(source)]
            self._narratives = _dedupe_sorted(loaded)
            self._news_by_symbol = _index_by_symbol(self._narratives)
        return self._narratives


    def _read_news(self, source: NewsSource) -> list[Narrative]:
        delay = self.fetch_delay if source.fetch_delay is None else source.fetch_delay
        if source.columns is None:
            return load_news_file(source.path, fetch_delay=delay,
                                  subject_symbols=self.subject_symbols)
        return list(load_mapped_narratives(
            source.path, source.columns, fetch_delay=delay, time_zone=source.time_zone,
            symbol_map=source.symbol_map, source=source.source).narratives)


def _from_ns(value: int) -> datetime:
    # int ns since the epoch -> aware UTC datetime (microsecond precision)
    return _EPOCH + timedelta(microseconds=value // 1000)


def _dedupe_sorted(items: Iterable[Narrative]) -> tuple[Narrative, ...]:
    # one record per narrative_id (the earliest fetched), sorted by (fetched_at, narrative_id)
    ordered = sorted(items, key=lambda n: (n.fetched_at, n.narrative_id))
    seen: set[str] = set()
    unique = []
    for item in ordered:
        if item.narrative_id not in seen:
            seen.add(item.narrative_id)
            unique.append(item)
    if len(unique) < len(ordered):
        logger.info("dataset news: dropped %d repeated narrative ids", len(ordered) - len(unique))
    return tuple(unique)


def _index_by_symbol(items: Sequence[Narrative]) -> dict[str, _SymbolNews]:
    positions: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        for symbol in dict.fromkeys(item.symbols):
            positions.setdefault(symbol, []).append(index)
    fetched = np.array([_to_ns(n.fetched_at, "fetched_at") for n in items], dtype="int64")
    published = np.array([_to_ns(n.published_at, "published_at") for n in items], dtype="int64")
    out = {}
    for symbol, indices in positions.items():
        array = np.array(indices, dtype="int64")
        out[symbol] = _SymbolNews(array, fetched[array], published[array])
    return out


def _to_ns(value: datetime, name: str) -> int:
    # an aware datetime as int nanoseconds since the epoch (microsecond precision)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ContractViolation(f"{name} must be timezone-aware (UTC), got {value!r}")
    return (value - _EPOCH) // _ONE_MICROSECOND * 1000


def default_dataset_feed(
    base_dir: Path | None = None, *, fetch_delay_mins: float = 5.0
) -> DatasetFeed:
    """The dataset feed over the data directory (:mod:`shared.datadir`, or ``base_dir``):
    Bitstamp BTC/ETH hourly and the crypto news."""
    if base_dir is not None:
        return DatasetFeed.from_paths(DEFAULT_BARS_FILES, DEFAULT_NEWS_FILES, base_dir=base_dir,
                                     fetch_delay_mins=fetch_delay_mins)
    paths = resolve_data_paths([*DEFAULT_BARS_FILES.values(), *DEFAULT_NEWS_FILES])
    bars = dict(zip(DEFAULT_BARS_FILES, paths, strict=False))
    return DatasetFeed.from_paths(bars, paths[len(bars):], fetch_delay_mins=fetch_delay_mins)
