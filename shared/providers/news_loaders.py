"""Narratives from any CSV or JSONL file, by a column mapping (``dataset.news`` in config).

Public news and social sets name their columns their own way: a daily tweets set has
``date,symbol,text``; Benzinga headlines ``title,date,stocks``. A :class:`NewsColumns`
mapping says which column is what; the file's format (CSV or JSONL) is told from its
content (a first non-blank character ``{`` is JSONL), never its extension.

Rules (the same for every mapped file):

* ``published_at``: any time :func:`~shared.providers.bar_times.parse_times` reads. A value
  with a zone is converted to UTC; one without is read in ``time_zone`` (default UTC). **A
  date without a time** (``2020-01-02``) says only "some time that day", so it is taken as
  the end of that day (the next midnight in ``time_zone``): a daily item is never seen before
  its day is over, so it cannot leak into a decision made during that day.
* ``fetched_at``: the mapped column when the set records one; else ``published_at +
  fetch_delay`` (the stated delay, config ``fetch_delay_mins``, >= 0).
* ``symbols``: the mapped column split on ``,``, ``;``, ``|`` or spaces, ``$`` stripped,
  upper-cased, then renamed by ``symbol_map`` (``{"BTC": "BTC-USD"}``); or one fixed
  ``symbol`` for a set about one instrument. Rows with no symbol are dropped (counted).
* ``headline``: the mapped text; rows with an empty headline are dropped (counted).
  Headlines longer than the contract's limit are cut (counted).
* ``narrative_id``: the mapped id column, else the first 16 hex of sha256 of the URL, else
  of ``headline + "\\n" + published_at + "\\n" + symbols``. Repeated ids keep the first.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from pydantic import ValidationError

from shared.contracts import Narrative, format_utc, sha256_hex
from shared.errors import ConfigError, ContractViolation, PipelineError
from shared.providers.bar_times import parse_times
from shared.providers.dataset_loaders import read_csv_lines

__all__ = ["NewsColumns", "NewsLoad", "is_jsonl", "load_mapped_narratives"]

logger = logging.getLogger(__name__)

_SPLIT = re.compile(r"[,;|\s]+")
_NS_PER_DAY = 86_400 * 1_000_000_000
_HEADLINE_MAX = 1000
_READ_ERRORS = (ValueError, TypeError, OverflowError, KeyError, IndexError, UnicodeError,
                OSError, AttributeError, RecursionError)


@dataclass(frozen=True)
class NewsColumns:
    """Which column holds what (names as in the file). ``published_at`` and ``headline`` are
    required; ``symbols`` or a fixed ``symbol`` says what an item is about."""

    published_at: str
    headline: str
    symbols: str | None = None
    symbol: str | None = None  # a fixed symbol for every row (a set about one instrument)
    fetched_at: str | None = None
    source: str | None = None
    url: str | None = None
    summary: str | None = None
    narrative_id: str | None = None


@dataclass(frozen=True)
class NewsLoad:
    """A mapped narratives file as read, with what reading it dropped and assumed."""

    path: Path
    narratives: tuple[Narrative, ...]
    rows_in_file: int
    dropped: Mapping[str, int] = field(default_factory=dict)
    quirks: tuple[str, ...] = ()

    def summary(self) -> dict[str, object]:
        first = min((n.published_at for n in self.narratives), default=None)
        last = max((n.published_at for n in self.narratives), default=None)
        return {"file": str(self.path), "format": "narratives",
                "rows_in_file": self.rows_in_file, "rows": len(self.narratives),
                "first": format_utc(first) if first else None,
                "last": format_utc(last) if last else None,
                "symbols": sorted({s for n in self.narratives for s in n.symbols}),
                "dropped": dict(sorted(self.dropped.items())), "quirks": list(self.quirks)}


def is_jsonl(path: Path) -> bool:
    """True when the file's first non-blank character is ``{`` (JSON Lines)."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(4096)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except IsADirectoryError as e:
        raise ConfigError(f"{path}: is a directory, not a file") from e
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _read_jsonl(path: Path) -> pd.DataFrame:
    try:
        lines = path.read_text(encoding="utf-8-sig").split("\n")
    except UnicodeDecodeError as e:
        raise ContractViolation(f"{path}: not UTF-8 text: {e}") from e
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as e:
            raise ContractViolation(f"{path}:{number}: not a JSON object: {e}") from e
        if not isinstance(value, dict):
            raise ContractViolation(f"{path}:{number}: not a JSON object")
        rows.append({str(k): "" if v is None else str(v) if not isinstance(v, list)
                     else ",".join(map(str, v)) for k, v in value.items()} | {"_line": number})
    frame = pd.DataFrame(rows)
    if not len(frame):
        return pd.DataFrame({"_line": []})
    return frame.fillna("")


def load_mapped_narratives(
    path: Path, columns: NewsColumns, *, fetch_delay: timedelta, time_zone: str = "UTC",
    symbol_map: Mapping[str, str] | None = None, source: str | None = None,
) -> NewsLoad:
    """Read ``path`` (CSV or JSONL, by content) into narratives by ``columns`` (rules: the
    module doc). Raises only PipelineErrors, naming the file and line."""
    path = Path(path)
    if fetch_delay < timedelta(0):
        raise ConfigError(f"fetch_delay must be >= 0 (got {fetch_delay})")
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(f"unknown time zone {time_zone!r}") from e
    try:
        raw = _read_jsonl(path) if is_jsonl(path) else read_csv_lines(path)
        return _load(path, raw, columns, fetch_delay, zone, symbol_map or {}, source)
    except PipelineError:
        raise
    except _READ_ERRORS as e:
        raise ContractViolation(f"{path}: cannot read as narratives: {type(e).__name__}: "
                                f"{e}") from e


def _load(path: Path, raw: pd.DataFrame, columns: NewsColumns, fetch_delay: timedelta,
          zone: ZoneInfo, symbol_map: Mapping[str, str], source: str | None) -> NewsLoad:
    names = [name for name in raw.columns if name != "_line"]
    wanted = {k: v for k, v in vars(columns).items() if v is not None and k != "symbol"}
    missing = sorted(f"{key}={name!r}" for key, name in wanted.items() if name not in names)
    if missing and len(raw):
        raise ContractViolation(f"{path}: column mapping {', '.join(missing)} not in the "
                                f"columns {names}")
    if columns.symbols is None and columns.symbol is None:
        raise ConfigError(f"{path}: the column mapping needs symbols (a column) or symbol "
                          "(one fixed symbol)")
    rows_in_file = len(raw)
    quirks: list[str] = []
    drops: Counter[str] = Counter()
    if not rows_in_file:
        return NewsLoad(path, (), 0)
    published = _times(raw, columns.published_at, zone, path, quirks, end_of_day=True)
    fetched = (_times(raw, columns.fetched_at, zone, path, quirks, end_of_day=True)
               if columns.fetched_at else None)
    if fetched is None:
        quirks.append(f"no fetch time: fetched_at = published_at + {fetch_delay} (stated "
                      "delay)")
    delay_ns = int(fetch_delay / timedelta(microseconds=1)) * 1000
    seen: set[str] = set()
    out: list[Narrative] = []
    cut = 0
    for i, row in enumerate(raw.to_dict("records")):
        where = f"{path}:{row['_line']}"
        headline = str(row.get(columns.headline, "")).strip()
        symbols = _symbols(row, columns, symbol_map)
        if not symbols:
            drops["no symbol"] += 1
            continue
        if not headline:
            drops["empty headline"] += 1
            continue
        if len(headline) > _HEADLINE_MAX:
            headline, cut = headline[: _HEADLINE_MAX - 1].rstrip() + "…", cut + 1
        pub_ns = int(published[i])
        fetch_ns = int(fetched[i]) if fetched is not None else pub_ns + delay_ns
        url = str(row.get(columns.url, "")).strip() if columns.url else ""
        published_at = pd.Timestamp(pub_ns, tz="UTC").to_pydatetime()
        ident = str(row.get(columns.narrative_id, "")).strip() if columns.narrative_id else ""
        key = url or f"{headline}\n{format_utc(published_at)}\n{'|'.join(symbols)}"
        narrative_id = ident or sha256_hex(key)[:16]
        if narrative_id in seen:
            drops["duplicate"] += 1
            continue
        seen.add(narrative_id)
        record = {
            "narrative_id": narrative_id,
            "headline": headline,
            "summary": (str(row.get(columns.summary, "")).strip()[:4000] or None)
            if columns.summary else None,
            "source": ((str(row.get(columns.source, "")).strip() if columns.source else "")
                       or source or path.stem)[:200],
            "url": url if url and len(url) <= 2000 else None,
            "symbols": symbols,
            "published_at": published_at,
            "fetched_at": pd.Timestamp(fetch_ns, tz="UTC").to_pydatetime(),
        }
        try:
            out.append(Narrative.model_validate(record))
        except ValidationError as e:
            raise ContractViolation(f"{where}: invalid narrative: {e.errors()[0]['msg']} "
                                    f"({e.errors()[0]['loc']})") from e
    if cut:
        quirks.append(f"{cut} headlines cut to {_HEADLINE_MAX} characters")
    out.sort(key=lambda n: (n.published_at, n.narrative_id))
    load = NewsLoad(path, tuple(out), rows_in_file, dict(drops), tuple(quirks))
    logger.info("loaded %s: %d rows -> %d narratives; dropped %s; %s", path.name,
                rows_in_file, len(out), dict(drops) or "none", "; ".join(quirks))
    return load


def _times(raw: pd.DataFrame, column: str, zone: ZoneInfo, path: Path, quirks: list[str],
           *, end_of_day: bool) -> np.ndarray:
    # UTC ns per row; naive values in `zone`; a date alone -> the end of that day
    text = raw[column].astype(str).str.strip()
    parsed = parse_times(text)
    if parsed.unreadable:
        row = int(np.flatnonzero(~parsed.ok)[0])
        raise ContractViolation(f"{path}:{raw['_line'].iloc[row]}: column {column!r} is not "
                                f"a time: {text.iloc[row]!r}")
    ns = parsed.ns.copy()
    date_only = text.str.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}").to_numpy(dtype=bool)
    if end_of_day and date_only.any():
        ns[date_only] += _NS_PER_DAY
        quirks.append(f"{column}: {int(date_only.sum())} dates without a time taken as the "
                      "end of that day")
    naive = ~text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).to_numpy(dtype=bool)
    naive &= ~text.str.fullmatch(r"-?\d+(?:\.\d*)?").to_numpy(dtype=bool)
    if naive.any() and zone.key != "UTC":
        local = pd.Series(ns[naive].astype("datetime64[ns]"))
        utc = local.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
        good = utc.notna().to_numpy()
        if not good.all():
            row = int(np.flatnonzero(naive)[np.flatnonzero(~good)[0]])
            raise ContractViolation(f"{path}:{raw['_line'].iloc[row]}: {text.iloc[row]!r} is "
                                    f"ambiguous in {zone.key} (a DST change)")
        ns[naive] = utc.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(
            "datetime64[ns]").astype("int64")
        quirks.append(f"{column}: {int(naive.sum())} times without a zone read in {zone.key}")
    elif naive.any() and not date_only[naive].all():
        quirks.append(f"{column}: {int((naive & ~date_only).sum())} times without a zone read "
                      "as UTC")
    return ns


def _symbols(row: Mapping[str, Any], columns: NewsColumns,
             symbol_map: Mapping[str, str]) -> tuple[str, ...]:
    if columns.symbol is not None:
        return (columns.symbol,)
    assert columns.symbols is not None
    found: dict[str, None] = {}
    for token in _SPLIT.split(str(row.get(columns.symbols, ""))):
        name = token.strip().lstrip("$").upper()
        if name:
            found[symbol_map.get(name, name)] = None
    return tuple(found)
