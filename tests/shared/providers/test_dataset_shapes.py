"""Every bars shape the loaders accept, on small fixture files written for it
(``tests/fixtures/datasets``), and on the public files (``shared_data``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contracts import Timeframe
from shared.errors import ConfigError, ContractViolation, PipelineError
from shared.providers.dataset_loaders import (
    BarColumns,
    BarsFormat,
    duration_bars,
    load_bars_file,
    read_bars,
)
from tests.helpers.data import data_file

FIXTURES = Path(__file__).parents[2] / "fixtures" / "datasets"


def _quirk(load_quirks: tuple[str, ...], text: str) -> bool:
    return any(text in quirk for quirk in load_quirks)


def test_cdd_2020_vintage_ms_epochs_local_dates_duplicate_gap_banner_newest_first() -> None:
    load = read_bars(FIXTURES / "cdd_2020_vintage.txt")
    assert (load.format, load.timeframe) == (BarsFormat.CRYPTODATADOWNLOAD, Timeframe.HOUR)
    assert load.rows_in_file == 10 and load.rows == 8
    assert dict(load.dropped) == {"duplicate start": 1, "partial newest bar": 1}
    assert (load.gaps, load.missing_bars, load.largest_gap_bars) == (1, 1, 1)
    assert load.frame["start"].iloc[0] == pd.Timestamp("2020-02-13T00:00:00Z")
    for text in ("banner line skipped", "10 epoch values in milliseconds", "unix trusted",
                 "newest-first"):
        assert _quirk(load.quirks, text), text


def test_cdd_2019_vintage_without_unix_reads_hour_am_pm_dates_and_restores_volumes() -> None:
    load = read_bars(FIXTURES / "cdd_2019_dates_only.csv")
    assert load.format is BarsFormat.CRYPTODATADOWNLOAD and load.rows == 7
    assert load.frame["start"].iloc[0] == pd.Timestamp("2019-03-01T20:00:00Z")
    assert load.frame["start"].iloc[-1] == pd.Timestamp("2019-03-02T02:00:00Z")
    assert _quirk(load.quirks, "8 dates written %Y-%m-%d %I-%p")
    assert _quirk(load.quirks, "volume columns swapped on 4 rows")
    implied = load.frame["close"] * load.frame["volume"]
    assert (load.frame["volume"] < 1000).all() and (implied > 1000).all()  # coin volumes


def test_cdd_2022_vintage_unix_seconds_no_banner() -> None:
    load = read_bars(FIXTURES / "cdd_2022_seconds.csv", timeframe=Timeframe.HOUR)
    assert load.format is BarsFormat.CRYPTODATADOWNLOAD and load.rows == 5
    assert not _quirk(load.quirks, "banner") and not _quirk(load.quirks, "milliseconds")


def test_yahoo_null_rows_dropped_and_half_day_session_from_the_calendar() -> None:
    load = read_bars(FIXTURES / "yahoo_nulls.csv")
    assert (load.format, load.timeframe, load.calendar) == (BarsFormat.YAHOO, Timeframe.DAY,
                                                           "XNYS")
    assert dict(load.dropped) == {"null prices": 1} and load.rows == 6
    half_day = load.frame.loc[load.frame["start"].dt.strftime("%Y-%m-%d") == "2012-07-03"]
    assert half_day["end"].iloc[0] == pd.Timestamp("2012-07-03T17:00:00Z")  # 13:00 New York
    assert load.gaps == 0  # July 4 is a holiday, not a gap


def test_yahoo_missing_session_counts_one_gap(tmp_path: Path) -> None:
    lines = (FIXTURES / "yahoo_nulls.csv").read_text().splitlines()
    path = tmp_path / "y.csv"
    path.write_text("\n".join(line for line in lines if not line.startswith("2012-07-06")))
    load = read_bars(path)
    assert (load.gaps, load.missing_bars) == (1, 1)


def test_generic_header_any_order_any_case_extra_column_ignored() -> None:
    load = read_bars(FIXTURES / "generic_any_order.dat")
    assert (load.format, load.timeframe, load.rows) == (BarsFormat.GENERIC_CSV,
                                                        Timeframe.HOUR, 6)
    assert list(load.frame.columns) == ["start", "end", "open", "high", "low", "close",
                                        "volume"]


def test_generic_own_names_need_a_mapping_and_load_with_one() -> None:
    path = FIXTURES / "generic_mapped.csv"
    with pytest.raises(ContractViolation, match="no time / open / high / low / close"):
        read_bars(path)
    columns = BarColumns(time="when", open="px_open", high="px_high", low="px_low",
                         close="px_last", volume="qty")
    load = read_bars(path, columns=columns)
    assert (load.timeframe, load.rows) == (Timeframe.DAY, 6)
    assert _quirk(load.quirks, "weekday-only")
    assert (load.gaps, load.missing_bars) == (1, 1)  # 2023-03-08 is missing


def test_generic_daily_with_a_calendar_spans_sessions() -> None:
    columns = BarColumns(time="when", open="px_open", high="px_high", low="px_low",
                         close="px_last", volume="qty")
    frame = load_bars_file(FIXTURES / "generic_mapped.csv", timeframe=Timeframe.DAY,
                           columns=columns, calendar="XNYS")
    assert frame["start"].iloc[0] == pd.Timestamp("2023-03-01T14:30:00Z")
    assert frame["end"].iloc[0] == pd.Timestamp("2023-03-01T21:00:00Z")


def test_mapping_naming_a_missing_column_is_an_error() -> None:
    with pytest.raises(ContractViolation, match="column mapping close='Last'"):
        read_bars(FIXTURES / "generic_any_order.dat", columns=BarColumns(close="Last"))


def test_one_minute_bars_detected() -> None:
    load = read_bars(FIXTURES / "minute_bars.csv")
    assert (load.timeframe, load.rows) == (Timeframe.MINUTE, 10)
    assert (load.frame["end"] - load.frame["start"] == pd.Timedelta(minutes=1)).all()


def test_declared_timeframe_the_spacing_contradicts_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="timeframe 1Day"):
        read_bars(FIXTURES / "minute_bars.csv", timeframe=Timeframe.DAY)


def test_parquet_generic_columns_and_format_from_content_not_extension(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "Volume": [5.0, 6.0, 7.0], "Close": [10.0, 11.0, 12.0], "OPEN": [9.5, 10.0, 11.0],
        "Low": [9.0, 9.5, 10.5], "High": [10.5, 11.5, 12.5], "extra": ["a", "b", "c"],
        "timestamp": pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")})
    parquet_named_csv = tmp_path / "bars.csv"
    frame.to_parquet(parquet_named_csv)
    load = read_bars(parquet_named_csv)
    assert (load.format, load.timeframe, load.rows) == (BarsFormat.PARQUET, Timeframe.HOUR, 3)
    csv_named_parquet = tmp_path / "cdd.parquet"
    shutil.copy(FIXTURES / "cdd_2022_seconds.csv", csv_named_parquet)
    assert read_bars(csv_named_parquet).format is BarsFormat.CRYPTODATADOWNLOAD


def test_jsonl_is_not_a_bars_file() -> None:
    with pytest.raises(ContractViolation, match="JSON, not a bars table"):
        read_bars(FIXTURES / "benzinga_headlines.jsonl")


@pytest.mark.parametrize(("hours", "timeframe", "bars"), [
    (48, Timeframe.HOUR, 48), (48, Timeframe.DAY, 2), (49, Timeframe.DAY, 3),
    (1, Timeframe.MINUTE, 60), (0, Timeframe.DAY, 1)])
def test_duration_bars_rounds_up(hours: int, timeframe: Timeframe, bars: int) -> None:
    assert duration_bars(pd.Timedelta(hours=hours).to_pytimedelta(), timeframe) == bars


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=600),
    st.text(max_size=600).map(lambda t: t.encode("utf-8", "replace")),
    st.lists(st.lists(st.sampled_from(["unix", "date", "open", "high", "low", "close",
                                       "volume", "Volume BTC", "Volume USD", "1", "-1",
                                       "1581584400000", "2020-02-13 01-AM", "null", "",
                                       "1e400", "nan", "2012-07-03", "x", "9" * 30]),
                      min_size=1, max_size=9), min_size=1, max_size=8)
    .map(lambda rows: "\n".join(",".join(r) for r in rows).encode())))
def test_read_bars_on_any_bytes_raises_only_pipeline_errors(tmp_path: Path, data: bytes
                                                           ) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(data)
    try:
        load = read_bars(path)
    except PipelineError:
        return
    assert load.rows == len(load.frame)


@pytest.mark.shared_data
@pytest.mark.parametrize(("relative", "fmt", "timeframe", "rows"), [
    ("crypto-bitstamp-cdd-2022/Bitstamp_BTCUSD_1h.csv", BarsFormat.CRYPTODATADOWNLOAD,
     Timeframe.HOUR, 37386),
    ("crypto-bitstamp-cdd-2022/Bitstamp_BTCUSD_d.csv", BarsFormat.CRYPTODATADOWNLOAD,
     Timeframe.DAY, 2822),
    ("crypto-bitstamp-cdd-2022/Bitstamp_ETHUSD_1h.csv", BarsFormat.CRYPTODATADOWNLOAD,
     Timeframe.HOUR, 37242),
    ("us-stocks-daily-yahoo-2000-2012/SPY.csv", BarsFormat.YAHOO, Timeframe.DAY, 3174),
    ("us-stocks-daily-yahoo-2000-2012/GOOG.csv", BarsFormat.YAHOO, Timeframe.DAY, 2032),
])
def test_real_files_detected_and_gap_free(relative: str, fmt: BarsFormat,
                                          timeframe: Timeframe, rows: int) -> None:
    load = read_bars(data_file(relative))
    assert (load.format, load.timeframe, load.rows) == (fmt, timeframe, rows)
    assert (load.gaps, load.duplicates) == (0, 0)
