"""``tb data``: look at a data file before a study or a run reads it.

``tb data check FILE…`` reads each file the way the dataset feed will (format from the
content, never the extension; :mod:`shared.providers.dataset_loaders`, or, with a
``headline`` mapping, :mod:`shared.providers.news_loaders`) and reports what it found and
what it did. Exit 0 when every file loads, 1 when one cannot (one clear line per file), 2
for a usage error.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from shared.contracts import Timeframe
from shared.errors import PipelineError

__all__ = ["group"]

_NEWS_KEYS = ("published_at", "headline", "symbols", "symbol", "fetched_at", "source", "url",
              "summary", "narrative_id")
_BAR_KEYS = ("time", "open", "high", "low", "close", "volume")


class _TimeframeType(click.ParamType[Timeframe, Any]):
    name = "1m|1h|1d"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Timeframe:
        try:
            return Timeframe.parse(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, column = pair.partition("=")
        key = key.strip()
        if not sep or not key or not column.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=COLUMN", param_hint="--map")
        if key not in (*_NEWS_KEYS, *_BAR_KEYS):
            raise click.BadParameter(
                f"unknown key {key!r} (bars: {', '.join(_BAR_KEYS)}; news: "
                f"{', '.join(_NEWS_KEYS)})", param_hint="--map")
        out[key] = column.strip()
    return out


@click.group(name="data")
def group() -> None:
    """Check data files (bars, narratives) before a study or a run reads them.

    Example:

        tb data check Bitstamp_BTCUSD_1h.csv SPY.csv
    """


@group.command(name="check")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path, dir_okay=True, exists=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (sorted keys) instead of a "
              "table.")
@click.option("--timeframe", type=_TimeframeType(), default=None,
              help="Expected bar timeframe (default: detected from the bars).")
@click.option("--calendar", default=None, metavar="EXCHANGE",
              help="Exchange whose sessions daily bars span (e.g. XNYS; Yahoo files: XNYS).")
@click.option("--map", "pairs", multiple=True, metavar="KEY=COLUMN",
              help="Column mapping, repeatable. Bars: time/open/high/low/close/volume. With "
              "headline=…, the files are read as narratives (published_at, headline, "
              "symbols or symbol, fetched_at, source, url, summary, narrative_id).")
@click.option("--fetch-delay-mins", type=click.IntRange(0, 7 * 24 * 60), default=5,
              show_default=True, help="Narratives without a fetch time: fetched this long "
              "after publication.")
@click.option("--time-zone", default="UTC", show_default=True,
              help="Narratives: the zone of times written without one.")
def check_command(files: tuple[Path, ...], as_json: bool, timeframe: Timeframe | None,
                  calendar: str | None, pairs: tuple[str, ...], fetch_delay_mins: int,
                  time_zone: str) -> None:
    """Report what each FILE holds: rows, range, format, timeframe, gaps, duplicates, dropped
    rows (with reasons) and the quirks handled (banner, newest-first, millisecond epochs,
    local-time dates ignored, null rows…). Exit 1 when a file cannot be read.

    The format is told from the content, never the extension: Parquet, CryptoDataDownload
    exports (any vintage), Yahoo daily CSVs, or a generic table whose header names the
    columns (or whose columns --map names).

    Example:

        tb data check Bitstamp_BTCUSD_1h.csv SPY.csv

        tb data check tweets.csv --map published_at=date --map headline=text \\
            --map symbols=symbol --fetch-delay-mins 60
    """
    mapping = _mapping(pairs)
    news = "headline" in mapping or "published_at" in mapping
    reports: list[dict[str, Any]] = []
    for path in files:
        try:
            if news:
                reports.append(_news_report(path, mapping, fetch_delay_mins, time_zone))
            else:
                reports.append(_bars_report(path, mapping, timeframe, calendar))
        except PipelineError as e:
            reports.append({"file": str(path), "error": _one_line(str(e))})
    failed = [r for r in reports if "error" in r]
    if as_json:
        click.echo(json.dumps({"files": reports, "ok": not failed}, sort_keys=True, indent=2,
                              allow_nan=False))
    else:
        click.echo(_table(reports))
    for report in failed:
        click.echo(f"error: {report['error']}", err=True)
    if failed:
        raise SystemExit(1)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:1000]


def _bars_report(path: Path, mapping: dict[str, str], timeframe: Timeframe | None,
                 calendar: str | None) -> dict[str, Any]:
    from shared.providers.dataset_loaders import BarColumns, read_bars

    unknown = sorted(set(mapping) - set(_BAR_KEYS))
    if unknown:
        raise click.BadParameter(f"{unknown} are narrative keys: add --map headline=COLUMN "
                                 "to read narratives", param_hint="--map")
    columns = BarColumns.from_mapping(mapping)
    return read_bars(path, timeframe=timeframe, columns=columns, calendar=calendar).summary()


def _news_report(path: Path, mapping: dict[str, str], fetch_delay_mins: int,
                 time_zone: str) -> dict[str, Any]:
    from shared.errors import ConfigError
    from shared.providers.news_loaders import NewsColumns, load_mapped_narratives

    missing = [key for key in ("published_at", "headline") if key not in mapping]
    if missing or ("symbols" not in mapping and "symbol" not in mapping):
        raise click.BadParameter("narratives need --map published_at=…, headline=… and "
                                 "symbols=… (a column) or symbol=… (one symbol)",
                                 param_hint="--map")
    bar_keys = sorted(set(mapping) - set(_NEWS_KEYS))
    if bar_keys:
        raise click.BadParameter(f"{bar_keys} are bar keys, not narrative keys",
                                 param_hint="--map")
    try:
        columns = NewsColumns(**mapping)
    except TypeError as e:
        raise ConfigError(f"column mapping: {e}") from e
    load = load_mapped_narratives(path, columns, fetch_delay=timedelta(minutes=fetch_delay_mins),
                                  time_zone=time_zone)
    return load.summary()


def _table(reports: list[dict[str, Any]]) -> str:
    header = ("file", "format", "timeframe", "rows", "first", "last", "gaps", "largest gap",
              "duplicates", "dropped")
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    for report in reports:
        name = Path(report["file"]).name
        if "error" in report:
            rows.append((name, "ERROR", "-", "-", "-", "-", "-", "-", "-", "-"))
            continue
        dropped = ", ".join(f"{reason} {count}" for reason, count in report["dropped"].items())
        gaps = report.get("gaps")
        rows.append((
            name, str(report["format"]), str(report.get("timeframe", "-")),
            f"{report['rows']}/{report['rows_in_file']}", str(report["first"] or "-"),
            str(report["last"] or "-"), "-" if gaps is None else str(gaps),
            "-" if gaps is None else f"{report['largest_gap_bars']} bars",
            str(report.get("duplicates", "-")), dropped or "none"))
        for quirk in report["quirks"]:
            notes.append(f"{name}: {quirk}")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in (header, *rows)]
    if notes:
        lines += ["", "quirks handled:", *(f"  {note}" for note in notes)]
    return "\n".join(lines)
