"""Dataset feed: quirky recorded files in tmp_path, point-in-time filtering, and the real data."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts import Narrative, Timeframe, canonical_json
from shared.contracts.frames import BAR_COLUMNS
from shared.errors import ConfigError, ContractViolation
from shared.providers.dataset import (
    DatasetFeed,
    default_dataset_feed,
    load_cryptonews_csv,
    load_narratives_file,
    load_news_file,
)
from shared.providers.dataset_loaders import (
    load_bars_file,
    load_cryptodatadownload_csv,
    load_yahoo_daily_csv,
    read_bars,
    read_csv_lines,
)
from tests.helpers.data import require_data_dir

T0 = datetime(2022, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
CDD_HEADER = "unix,date,symbol,open,high,low,close,Volume BTC,Volume USD"
NEWS_HEADER = "date;sentiment;source;subject;text;title;url"
SENTIMENT = "{'class': 'neutral', 'polarity': 0.0, 'subjectivity': 0.1}"


def _cdd_row(start: datetime, close: float, coin: float, *, swapped: bool = False) -> str:
    # one CDD line: open 100, high 110, low 90; the quote volume implies price = close
    usd = coin * close
    first, second = (usd, coin) if swapped else (coin, usd)
    stamp = start.strftime("%Y-%m-%d %H:%M:%S")
    return f"{int(start.timestamp())},{stamp},BTC/USD,100,110,90,{close},{first},{second}"


def _write_cdd(path: Path, rows: Sequence[str], *, banner: bool = True) -> Path:
    lines = (["https://www.CryptoDataDownload.com"] if banner else []) + [CDD_HEADER, *rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _hourly_cdd(tmp_path: Path, *, banner: bool = True) -> Path:
    # 6 hourly bars newest first: the newest is partial, two rows swapped, one zero-volume,
    # mixed number formats
    rows = [
        _cdd_row(T0 + 5 * HOUR, 105.0, 0.5),  # partial newest bar
        _cdd_row(T0 + 4 * HOUR, 104.0, 2.0),
        _cdd_row(T0 + 3 * HOUR, 103.0, 0.0),  # zero volume is valid
        _cdd_row(T0 + 2 * HOUR, 102.0, 3.0, swapped=True),
        _cdd_row(T0 + 1 * HOUR, 101.0, 4.0, swapped=True),
        f"{int(T0.timestamp())},2022-01-01 00:00:00,BTC/USD,100.00,110.00,90.00,100.00,"
        "5.00000000,500.000000000",
    ]
    return _write_cdd(tmp_path / "cdd_1h.csv", rows, banner=banner)


# ----------------------------------------------------------------- CryptoDataDownload


@pytest.mark.parametrize("banner", [True, False])
def test_load_cdd_banner_or_not_parses_same_bars(tmp_path: Path, banner: bool) -> None:
    frame = load_cryptodatadownload_csv(
        _hourly_cdd(tmp_path, banner=banner), timeframe=Timeframe.HOUR
    )
    assert list(frame.columns) == list(BAR_COLUMNS)
    assert len(frame) == 5


def test_load_cdd_descending_rows_sorted_ascending_with_end_after_duration(tmp_path: Path) -> None:
    frame = load_cryptodatadownload_csv(_hourly_cdd(tmp_path), timeframe=Timeframe.HOUR)
    assert frame["start"].is_monotonic_increasing
    assert frame["start"].iloc[0] == pd.Timestamp(T0)
    assert (frame["end"] - frame["start"] == pd.Timedelta(hours=1)).all()
    assert str(frame["start"].dtype) == "datetime64[ns, UTC]"


def test_load_cdd_swapped_volume_rows_coin_volume_restored(tmp_path: Path) -> None:
    frame = load_cryptodatadownload_csv(_hourly_cdd(tmp_path), timeframe=Timeframe.HOUR)
    assert frame["volume"].tolist() == [5.0, 4.0, 3.0, 0.0, 2.0]


def test_load_cdd_newest_partial_bar_dropped_unless_asked(tmp_path: Path) -> None:
    path = _hourly_cdd(tmp_path)
    kept = load_cryptodatadownload_csv(path, timeframe=Timeframe.HOUR, drop_newest=False)
    dropped = load_cryptodatadownload_csv(path, timeframe=Timeframe.HOUR)
    assert kept["start"].iloc[-1] == pd.Timestamp(T0 + 5 * HOUR)
    assert dropped["start"].iloc[-1] == pd.Timestamp(T0 + 4 * HOUR)


def test_load_cdd_fixes_applied_logged_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="shared.providers.dataset_loaders"):
        load_cryptodatadownload_csv(_hourly_cdd(tmp_path), timeframe=Timeframe.HOUR)
    (message,) = [r.getMessage() for r in caplog.records]
    assert "swapped on 2 rows" in message
    assert "'partial newest bar': 1" in message


def test_load_cdd_duplicate_start_kept_once(tmp_path: Path) -> None:
    rows = [_cdd_row(T0 + 2 * HOUR, 101.0, 1.0)]
    rows += [_cdd_row(T0 + HOUR, 101.0, 1.0), _cdd_row(T0 + HOUR, 102.0, 9.0)]
    rows += [_cdd_row(T0, 100.0, 1.0)]
    frame = load_cryptodatadownload_csv(
        _write_cdd(tmp_path / "d.csv", rows), timeframe=Timeframe.HOUR
    )
    assert len(frame) == 2
    assert frame["close"].tolist() == [100.0, 101.0]


def test_load_cdd_unix_in_milliseconds_read_as_same_instant(tmp_path: Path) -> None:
    rows = [_cdd_row(T0 + HOUR, 101.0, 1.0), _cdd_row(T0, 100.0, 1.0)]
    rows = [
        rows[0].replace(f"{int((T0 + HOUR).timestamp())},", f"{int((T0 + HOUR).timestamp())}000,"),
        rows[1],
    ]
    frame = load_cryptodatadownload_csv(
        _write_cdd(tmp_path / "ms.csv", rows), timeframe=Timeframe.HOUR, drop_newest=False
    )
    assert frame["start"].tolist() == [pd.Timestamp(T0), pd.Timestamp(T0 + HOUR)]


def test_load_cdd_non_number_error_names_file_and_line(tmp_path: Path) -> None:
    rows = [
        _cdd_row(T0 + HOUR, 101.0, 1.0),
        _cdd_row(T0, 100.0, 1.0).replace(",100,110", ",n/a,110"),
    ]
    path = _write_cdd(tmp_path / "bad.csv", rows)
    with pytest.raises(ContractViolation, match=rf"{path.name}:4: column 'open'"):
        load_cryptodatadownload_csv(path, timeframe=Timeframe.HOUR)


def test_load_cdd_local_time_date_beside_unix_trusts_unix_and_says_so(tmp_path: Path) -> None:
    rows = [
        _cdd_row(T0 + HOUR, 101.0, 1.0),
        _cdd_row(T0, 100.0, 1.0).replace("00:00:00", "05:00:00"),
    ]
    path = _write_cdd(tmp_path / "local.csv", rows)
    load = read_bars(path, timeframe=Timeframe.HOUR, drop_newest=False)
    assert load.frame["start"].tolist() == [pd.Timestamp(T0), pd.Timestamp(T0 + HOUR)]
    assert any("unix trusted" in quirk for quirk in load.quirks)


def test_load_cdd_high_below_close_error_names_line(tmp_path: Path) -> None:
    rows = [_cdd_row(T0 + HOUR, 101.0, 1.0), _cdd_row(T0, 120.0, 1.0)]
    path = _write_cdd(tmp_path / "bad.csv", rows)
    with pytest.raises(ContractViolation, match=rf"{path.name}:4: invalid bar"):
        load_cryptodatadownload_csv(path, timeframe=Timeframe.HOUR, drop_newest=False)


def test_load_cdd_daily_file_as_hourly_raises_config_error(tmp_path: Path) -> None:
    day = timedelta(days=1)
    rows = [
        _cdd_row(T0 + 2 * day, 101.0, 1.0),
        _cdd_row(T0 + day, 101.0, 1.0),
        _cdd_row(T0, 100.0, 1.0),
    ]
    path = _write_cdd(tmp_path / "d.csv", rows)
    assert len(load_cryptodatadownload_csv(path, timeframe=Timeframe.DAY)) == 2
    with pytest.raises(ConfigError, match="timeframe 1Hour"):
        load_cryptodatadownload_csv(path, timeframe=Timeframe.HOUR)


# ----------------------------------------------------------------- Yahoo daily


def _write_yahoo(path: Path, rows: Sequence[str]) -> Path:
    path.write_text("\n".join(["Date,Open,High,Low,Close,Adj Close,Volume", *rows]))  # no \n
    return path


def test_load_yahoo_no_trailing_newline_reads_last_row(tmp_path: Path) -> None:
    path = _write_yahoo(
        tmp_path / "SPY.csv", ["2012-01-03,10,12,9,11,8.5,100", "2012-01-04,11,13,10,12,9.1,0"]
    )
    frame = load_yahoo_daily_csv(path)
    assert len(frame) == 2
    assert frame["volume"].tolist() == [100.0, 0.0]


def test_load_yahoo_close_is_close_not_adj_close(tmp_path: Path) -> None:
    frame = load_yahoo_daily_csv(
        _write_yahoo(tmp_path / "a.csv", ["2012-01-03,10,12,9,11,8.5,100"])
    )
    assert frame["close"].iloc[0] == 11.0


@pytest.mark.parametrize(
    ("date", "start", "end"),
    [
        ("2012-01-03", "2012-01-03T14:30:00Z", "2012-01-03T21:00:00Z"),  # EST
        ("2012-07-05", "2012-07-05T13:30:00Z", "2012-07-05T20:00:00Z"),  # EDT
        ("2012-07-03", "2012-07-03T13:30:00Z", "2012-07-03T17:00:00Z"),  # half day, 13:00
    ],
)
def test_load_yahoo_session_times_new_york_open_to_close_in_utc(
    tmp_path: Path, date: str, start: str, end: str
) -> None:
    frame = load_yahoo_daily_csv(_write_yahoo(tmp_path / "a.csv", [f"{date},10,12,9,11,8.5,100"]))
    assert frame["start"].iloc[0] == pd.Timestamp(start)
    assert frame["end"].iloc[0] == pd.Timestamp(end)


def test_load_yahoo_null_rows_dropped(tmp_path: Path) -> None:
    rows = ["2012-01-03,10,12,9,11,8.5,100", "2012-01-04,null,null,null,null,null,null"]
    assert len(load_yahoo_daily_csv(_write_yahoo(tmp_path / "a.csv", rows))) == 1


def test_load_yahoo_bad_date_error_names_line(tmp_path: Path) -> None:
    path = _write_yahoo(
        tmp_path / "a.csv", ["2012-01-03,10,12,9,11,8.5,100", "03/01/2012,10,12,9,11,8.5,1"]
    )
    with pytest.raises(ContractViolation, match=rf"{path.name}:3: column 'Date'"):
        load_yahoo_daily_csv(path)


# ----------------------------------------------------------------- generic bars file


def test_load_bars_file_sniffs_cdd_and_yahoo_headers(tmp_path: Path) -> None:
    cdd = load_bars_file(_hourly_cdd(tmp_path), timeframe=Timeframe.HOUR)
    yahoo = load_bars_file(
        _write_yahoo(tmp_path / "y.csv", ["2012-01-03,10,12,9,11,8.5,100"]), timeframe=Timeframe.DAY
    )
    assert len(cdd) == 5
    assert yahoo["close"].tolist() == [11.0]


def test_load_bars_file_yahoo_as_hourly_raises_config_error(tmp_path: Path) -> None:
    path = _write_yahoo(tmp_path / "y.csv", ["2012-01-03,10,12,9,11,8.5,100"])
    with pytest.raises(ConfigError, match="Yahoo daily"):
        load_bars_file(path, timeframe=Timeframe.HOUR)


def test_load_bars_file_parquet_round_trip_equal(tmp_path: Path) -> None:
    frame = load_cryptodatadownload_csv(_hourly_cdd(tmp_path), timeframe=Timeframe.HOUR)
    frame.to_parquet(tmp_path / "bars.parquet")
    pd.testing.assert_frame_equal(
        load_bars_file(tmp_path / "bars.parquet", timeframe=Timeframe.HOUR), frame
    )


def test_load_bars_file_timestamp_csv_end_defaults_to_duration(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2022-01-01T01:00:00Z,1,2,1,2,5\n2022-01-01T00:00:00+00:00,1,1,1,1,0\n"
    )
    frame = load_bars_file(path, timeframe=Timeframe.HOUR)
    assert frame["start"].tolist() == [pd.Timestamp(T0), pd.Timestamp(T0 + HOUR)]
    assert frame["end"].iloc[-1] == pd.Timestamp(T0 + 2 * HOUR)


def test_load_bars_file_naive_timestamp_read_as_utc_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text(
        "start,open,high,low,close,volume\n2022-01-01T00:00:00Z,1,1,1,1,0\n"
        "\n2022-01-01T01:00:00,1,1,1,1,0\n"
    )
    load = read_bars(path, timeframe=Timeframe.HOUR)
    assert load.frame["start"].tolist() == [pd.Timestamp(T0), pd.Timestamp(T0 + HOUR)]
    assert any("without a zone read as UTC" in quirk for quirk in load.quirks)


def test_load_bars_file_unreadable_time_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text("start,open,high,low,close,volume\n2022-01-01T00:00:00Z,1,1,1,1,0\n"
                    "\nyesterday,1,1,1,1,0\n")
    with pytest.raises(ContractViolation, match=rf"{path.name}:4: column 'start' is not a time"):
        load_bars_file(path, timeframe=Timeframe.HOUR)


def test_load_bars_file_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing.csv"):
        load_bars_file(tmp_path / "missing.csv", timeframe=Timeframe.HOUR)


# ----------------------------------------------------------------- crypto news CSV


def _news_line(date: str, subject: str, title: str, url: str, text: str = "Summary.") -> str:
    return ";".join([date, SENTIMENT, "CoinTelegraph", subject, text, title, url])


def _write_news(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("\n".join([NEWS_HEADER, *lines]) + "\n")
    return path


def _news_file(tmp_path: Path) -> Path:
    lines = [
        _news_line("5-7-2022 04:24", "bitcoin", "BTC returns above 20K", "https://x/a"),
        _news_line("12-10-2021 20:00", "ethereum", "Ether gas fees fall", "https://x/b"),
        _news_line("1-2-2022 09:05", "altcoin", "Bitcoin dominance slips", "https://x/c"),
        _news_line("1-2-2022 09:06", "nft", "NFT sales cool off", "https://x/d"),
        _news_line("1-2-2022 09:07", "defi", "Tether whether together", "https://x/e"),
        _news_line("3-2-2022 10:00", "bitcoin", "Re-post of the Ether story", "https://x/b"),
        _news_line("2-2-2022 10:00", "bitcoin", "Same title", "https://x/f"),
        _news_line("2-2-2022 10:00", "bitcoin", "Same title", "https://x/g"),
        _news_line("2-2-2022 11:00", "bitcoin", "", "", text="Only a summary; with a semicolon"),
    ]
    lines[-1] = lines[-1].replace(
        "Only a summary; with a semicolon", '"Only a summary; with ; marks"'
    )
    return _write_news(tmp_path / "cryptonews.csv", lines)


def test_load_cryptonews_day_first_dates_parsed_as_utc(tmp_path: Path) -> None:
    items = {n.url: n for n in load_cryptonews_csv(_news_file(tmp_path))}
    assert items["https://x/a"].published_at == datetime(2022, 7, 5, 4, 24, tzinfo=UTC)
    assert items["https://x/b"].published_at == datetime(2021, 10, 12, 20, 0, tzinfo=UTC)


def test_load_cryptonews_unsorted_rows_returned_by_publication(tmp_path: Path) -> None:
    items = load_cryptonews_csv(_news_file(tmp_path))
    published = [n.published_at for n in items]
    assert published == sorted(published)


def test_load_cryptonews_fetch_delay_sets_fetched_at(tmp_path: Path) -> None:
    items = load_cryptonews_csv(_news_file(tmp_path), fetch_delay=timedelta(minutes=30))
    assert all(n.fetched_at - n.published_at == timedelta(minutes=30) for n in items)


def test_load_cryptonews_negative_fetch_delay_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fetch_delay"):
        load_cryptonews_csv(_news_file(tmp_path), fetch_delay=timedelta(minutes=-1))


def test_load_cryptonews_subjects_and_keywords_map_symbols(tmp_path: Path) -> None:
    items = {n.url: n for n in load_cryptonews_csv(_news_file(tmp_path))}
    assert items["https://x/a"].symbols == ("BTC-USD",)
    assert items["https://x/b"].symbols == ("ETH-USD",)
    assert items["https://x/c"].symbols == ("BTC-USD",)  # altcoin, mentions Bitcoin
    assert "https://x/d" not in items  # nft, no mention
    assert "https://x/e" not in items  # "Tether", "whether" are not ether


def test_load_cryptonews_duplicate_url_keeps_first_published(tmp_path: Path) -> None:
    items = [n for n in load_cryptonews_csv(_news_file(tmp_path)) if n.url == "https://x/b"]
    assert len(items) == 1
    assert items[0].headline == "Ether gas fees fall"
    assert items[0].narrative_id == hashlib.sha256(b"https://x/b").hexdigest()[:16]


def test_load_cryptonews_same_title_other_url_kept(tmp_path: Path) -> None:
    items = [n for n in load_cryptonews_csv(_news_file(tmp_path)) if n.headline == "Same title"]
    assert {n.url for n in items} == {"https://x/f", "https://x/g"}


def test_load_cryptonews_missing_title_and_url_uses_text(tmp_path: Path) -> None:
    (item,) = [n for n in load_cryptonews_csv(_news_file(tmp_path)) if n.url is None]
    assert item.headline == "Only a summary; with ; marks"
    assert item.summary is None
    key = "Only a summary; with ; marks\n2022-02-02T11:00:00Z"
    assert item.narrative_id == hashlib.sha256(key.encode()).hexdigest()[:16]


def test_load_cryptonews_bad_date_error_names_line(tmp_path: Path) -> None:
    path = _write_news(
        tmp_path / "n.csv",
        [
            _news_line("5-7-2022 04:24", "bitcoin", "t", "u1"),
            _news_line("2022-07-05", "bitcoin", "t", "u2"),
        ],
    )
    with pytest.raises(ContractViolation, match=rf"{path.name}:3: date"):
        load_cryptonews_csv(path)


# ----------------------------------------------------------------- recorded narratives


def _narrative(
    i: int, *, published: datetime, delay: timedelta, symbols: tuple[str, ...]
) -> Narrative:
    return Narrative(
        narrative_id=f"n{i:04d}",
        headline=f"headline {i}",
        source="test",
        url=f"https://x/{i}",
        symbols=symbols,
        published_at=published,
        fetched_at=published + delay,
    )


def _write_jsonl(path: Path, items: Sequence[Narrative]) -> Path:
    path.write_text(
        "".join(canonical_json(n).replace("\n", "").replace("  ", "") + "\n" for n in items)
    )
    return path


def test_load_narratives_jsonl_round_trip(tmp_path: Path) -> None:
    items = [
        _narrative(i, published=T0 + i * HOUR, delay=HOUR, symbols=("BTC-USD",)) for i in range(3)
    ]
    assert load_narratives_file(_write_jsonl(tmp_path / "n.jsonl", items)) == items


def test_load_narratives_jsonl_invalid_line_named(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "n.jsonl", [_narrative(0, published=T0, delay=HOUR, symbols=("X",))]
    )
    with path.open("a") as handle:
        handle.write("\n" + json.dumps({"narrative_id": "x"}) + "\n")
    with pytest.raises(ContractViolation, match=rf"{path.name}:3: invalid narrative"):
        load_narratives_file(path)


def test_load_narratives_csv_pipe_symbols_parsed(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text(
        "narrative_id,headline,source,url,symbols,published_at,fetched_at\n"
        "a1,Hello,src,,BTC-USD|ETH-USD,2022-01-01T00:00:00Z,2022-01-01T00:05:00Z\n"
    )
    (item,) = load_narratives_file(path)
    assert item.symbols == ("BTC-USD", "ETH-USD")
    assert item.url is None
    assert item.fetched_at == T0 + timedelta(minutes=5)


def test_load_narratives_csv_fetched_before_published_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text(
        "narrative_id,headline,source,url,symbols,published_at,fetched_at\n"
        "a1,Hello,src,,BTC-USD,2022-01-01T00:00:00Z,2021-12-31T23:00:00Z\n"
    )
    with pytest.raises(ContractViolation, match=rf"{path.name}:2: invalid narrative"):
        load_narratives_file(path)


def test_load_news_file_dispatches_by_header(tmp_path: Path) -> None:
    assert len(load_news_file(_news_file(tmp_path))) == 6
    items = [_narrative(0, published=T0, delay=HOUR, symbols=("X",))]
    assert load_news_file(_write_jsonl(tmp_path / "n.jsonl", items)) == items


# ----------------------------------------------------------------- DatasetFeed


def _feed(tmp_path: Path, items: Sequence[Narrative] = ()) -> DatasetFeed:
    news = [_write_jsonl(tmp_path / "news.jsonl", items)] if items else []
    return DatasetFeed({"BTC-USD": _hourly_cdd(tmp_path)}, news)


def test_dataset_bars_bar_closing_after_end_excluded(tmp_path: Path) -> None:
    frames = _feed(tmp_path).bars(
        ["BTC-USD"],
        start=T0 + HOUR,
        end=T0 + 3 * HOUR + timedelta(minutes=59),
        timeframe=Timeframe.HOUR,
    )
    # bars starting 01:00 and 02:00 have closed; the 03:00 bar closes at 04:00
    assert frames["BTC-USD"]["start"].tolist() == [
        pd.Timestamp(T0 + HOUR),
        pd.Timestamp(T0 + 2 * HOUR),
    ]


def test_dataset_bars_bar_ending_exactly_at_end_included(tmp_path: Path) -> None:
    frames = _feed(tmp_path).bars(
        ["BTC-USD"], start=T0, end=T0 + 2 * HOUR, timeframe=Timeframe.HOUR
    )
    assert len(frames["BTC-USD"]) == 2


def test_dataset_bars_window_before_data_returns_empty_frame(tmp_path: Path) -> None:
    frames = _feed(tmp_path).bars(
        ["BTC-USD"], start=T0 - 9 * HOUR, end=T0, timeframe=Timeframe.HOUR
    )
    assert frames["BTC-USD"].empty
    assert list(frames["BTC-USD"].columns) == list(BAR_COLUMNS)


def test_dataset_bars_unknown_symbol_raises_config_error_naming_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no bars file for \['SOL-USD'\].*cdd_1h.csv"):
        _feed(tmp_path).bars(
            ["BTC-USD", "SOL-USD"], start=T0, end=T0 + HOUR, timeframe=Timeframe.HOUR
        )


def test_dataset_bars_timeframe_mismatch_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="1Hour"):
        _feed(tmp_path).bars(["BTC-USD"], start=T0, end=T0 + HOUR, timeframe=Timeframe.DAY)


def test_dataset_bars_naive_datetime_raises_contract_violation(tmp_path: Path) -> None:
    with pytest.raises(ContractViolation, match="timezone-aware"):
        _feed(tmp_path).bars(
            ["BTC-USD"], start=datetime(2022, 1, 1), end=T0, timeframe=Timeframe.HOUR
        )


def test_dataset_bars_loaded_once_and_cached(tmp_path: Path) -> None:
    feed = _feed(tmp_path)
    first = feed.bars(["BTC-USD"], start=T0, end=T0 + 9 * HOUR, timeframe=Timeframe.HOUR)
    (tmp_path / "cdd_1h.csv").unlink()
    again = feed.bars(["BTC-USD"], start=T0, end=T0 + 9 * HOUR, timeframe=Timeframe.HOUR)
    pd.testing.assert_frame_equal(first["BTC-USD"], again["BTC-USD"])


def test_dataset_from_paths_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.csv"):
        DatasetFeed.from_paths({"BTC-USD": "nope.csv"}, base_dir=tmp_path)


def test_dataset_from_paths_relative_paths_and_delay_minutes_applied(tmp_path: Path) -> None:
    _news_file(tmp_path)
    feed = DatasetFeed.from_paths(
        bars_files={"BTC-USD": _hourly_cdd(tmp_path).name},
        news_files=["cryptonews.csv"],
        base_dir=tmp_path,
        fetch_delay_mins=30,
    )
    assert feed.bars_files["BTC-USD"] == tmp_path / "cdd_1h.csv"
    found = feed.narratives(["BTC-USD"], start=T0 - 9999 * HOUR, end=T0 + 9999 * HOUR)
    assert found
    assert all(n.fetched_at - n.published_at == timedelta(minutes=30) for n in found)


def test_dataset_narratives_fetched_after_end_excluded_though_published_before(
    tmp_path: Path,
) -> None:
    items = [
        _narrative(0, published=T0, delay=timedelta(minutes=5), symbols=("BTC-USD",)),
        _narrative(1, published=T0, delay=timedelta(hours=2), symbols=("BTC-USD",)),
    ]
    found = _feed(tmp_path, items).narratives(["BTC-USD"], start=T0, end=T0 + HOUR)
    assert [n.narrative_id for n in found] == ["n0000"]


def test_dataset_narratives_published_before_start_excluded(tmp_path: Path) -> None:
    items = [
        _narrative(0, published=T0 - HOUR, delay=2 * HOUR, symbols=("BTC-USD",)),
        _narrative(1, published=T0, delay=HOUR, symbols=("BTC-USD",)),
    ]
    found = _feed(tmp_path, items).narratives(["BTC-USD"], start=T0, end=T0 + 3 * HOUR)
    assert [n.narrative_id for n in found] == ["n0001"]


def test_dataset_narratives_many_symbols_sorted_without_repeats(tmp_path: Path) -> None:
    items = [
        _narrative(2, published=T0, delay=HOUR, symbols=("BTC-USD", "ETH-USD")),
        _narrative(1, published=T0, delay=HOUR, symbols=("ETH-USD",)),
        _narrative(0, published=T0, delay=2 * HOUR, symbols=("BTC-USD",)),
        _narrative(3, published=T0, delay=HOUR, symbols=("SOL-USD",)),
    ]
    found = _feed(tmp_path, items).narratives(
        ["ETH-USD", "BTC-USD", "DOGE-USD"], start=T0, end=T0 + 5 * HOUR
    )
    assert [n.narrative_id for n in found] == ["n0001", "n0002", "n0000"]


def test_dataset_without_news_files_is_bars_only_with_no_narratives(tmp_path: Path) -> None:
    feed = _feed(tmp_path)
    assert feed.bars_only
    assert feed.narratives(["BTC-USD"], start=T0, end=T0 + HOUR) == []
    assert feed.news_range(["BTC-USD"]) is None


@settings(max_examples=40, deadline=None)
@given(
    delays=st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=40),
    window=st.tuples(st.integers(-60, 3000), st.integers(0, 3000)),
)
def test_dataset_narratives_search_matches_brute_force(
    tmp_path_factory: pytest.TempPathFactory, delays: list[int], window: tuple[int, int]
) -> None:
    tmp_path = tmp_path_factory.mktemp("bf")
    symbols = [("BTC-USD",), ("ETH-USD",), ("BTC-USD", "ETH-USD")]
    items = [
        _narrative(
            i,
            published=T0 + timedelta(minutes=37 * i % 2400),
            delay=timedelta(minutes=d),
            symbols=symbols[i % 3],
        )
        for i, d in enumerate(delays)
    ]
    start, end = T0 + timedelta(minutes=window[0]), T0 + timedelta(minutes=window[0] + window[1])
    found = _feed(tmp_path, items).narratives(["BTC-USD"], start=start, end=end)
    expected = sorted(
        (
            n
            for n in items
            if "BTC-USD" in n.symbols and n.published_at >= start and n.fetched_at <= end
        ),
        key=lambda n: (n.fetched_at, n.narrative_id),
    )
    assert found == expected


def test_default_dataset_feed_without_files_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Bitstamp_BTCUSD_1h.csv"):
        default_dataset_feed(tmp_path)


def test_default_dataset_feed_missing_data_dir_names_it_and_the_env_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TB_DATA_DIR", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match=r"absent does not exist; set TB_DATA_DIR"):
        default_dataset_feed()


# ----------------------------------------------------------------- real data (TB_DATA_DIR)


@pytest.fixture(scope="module")
def shared_data() -> Path:
    return require_data_dir()


def _raw_cdd(path: Path) -> pd.DataFrame:
    raw = read_csv_lines(path, skiprows=1 if path.read_text()[:4] == "http" else 0)
    return raw.assign(start=pd.to_datetime(raw["unix"].astype("int64"), unit="s", utc=True))


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "timeframe", "rows", "swapped", "zero_volume", "last"),
    [
        ("Bitstamp_BTCUSD_1h.csv", Timeframe.HOUR, 37386, 20143, 6, "2022-08-19 23:00"),
        ("Bitstamp_ETHUSD_1h.csv", Timeframe.HOUR, 37242, 20139, 12, "2022-08-13 23:00"),
        ("Bitstamp_BTCUSD_d.csv", Timeframe.DAY, 2822, 1180, 8, "2022-08-19"),
    ],
)
def test_real_cdd_files_match_source_md(
    shared_data: Path,
    name: str,
    timeframe: Timeframe,
    rows: int,
    swapped: int,
    zero_volume: int,
    last: str,
) -> None:
    path = shared_data / "crypto-bitstamp-cdd-2022" / name
    frame = load_bars_file(path, timeframe=timeframe)
    assert len(frame) == rows  # the partial newest bar is gone
    assert frame["start"].iloc[0] == pd.Timestamp(
        "2018-05-15 06:00" if rows > 3000 else "2014-11-28", tz="UTC"
    )
    assert frame["start"].iloc[-1] == pd.Timestamp(last, tz="UTC")
    assert (frame["start"].diff().iloc[1:] == pd.Timedelta(timeframe.duration)).all()  # gap-free
    assert int((frame["volume"] == 0).sum()) == zero_volume
    raw = _raw_cdd(path).set_index("start").loc[frame["start"]]
    coin = pd.to_numeric(raw[raw.columns[7]]).to_numpy()
    usd = pd.to_numeric(raw["Volume USD"]).to_numpy()
    assert abs(int((frame["volume"].to_numpy() != coin).sum()) - swapped) <= 20
    quote = coin + usd - frame["volume"].to_numpy()  # the other column is the USD volume
    traded = frame["volume"].to_numpy() > 0
    implied = quote[traded] / frame["volume"].to_numpy()[traded]
    assert (implied >= frame["low"].to_numpy()[traded] * 0.99).all()
    assert (implied <= frame["high"].to_numpy()[traded] * 1.01).all()


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "rows", "first", "last"),
    [
        ("SPY.csv", 3174, "2000-02-01", "2012-09-11"),
        ("AAPL.csv", 3175, "2000-02-01", "2012-09-12"),
        ("IBM.csv", 3175, "2000-02-01", "2012-09-12"),
        ("GOOG.csv", 2032, "2004-08-20", "2012-09-12"),
        ("GLD.csv", 1969, "2004-11-18", "2012-09-12"),
    ],
)
def test_real_yahoo_files_match_source_md(
    shared_data: Path, name: str, rows: int, first: str, last: str
) -> None:
    frame = load_bars_file(
        shared_data / "us-stocks-daily-yahoo-2000-2012" / name, timeframe=Timeframe.DAY
    )
    assert len(frame) == rows
    assert frame["start"].dt.strftime("%Y-%m-%d").iloc[[0, -1]].tolist() == [first, last]
    assert set(frame["start"].dt.strftime("%H:%M")) == {"13:30", "14:30"}
    lengths = set(frame["end"] - frame["start"])  # XNYS sessions: full days and half days
    assert lengths == {pd.Timedelta(hours=6, minutes=30), pd.Timedelta(hours=3, minutes=30)}


@pytest.mark.shared_data
def test_real_cryptonews_matches_source_md(shared_data: Path) -> None:
    path = shared_data / "news-crypto-cryptonews-2021-2022" / "cryptonews.csv"
    subjects = ("bitcoin", "ethereum", "altcoin", "blockchain", "nft", "defi")
    everything = load_cryptonews_csv(path, subject_symbols={s: ("CRYPTO",) for s in subjects})
    assert 7400 <= len(everything) <= 7524
    assert everything[0].published_at == datetime(2021, 10, 12, 20, 0, tzinfo=UTC)
    assert everything[-1].published_at == datetime(2022, 7, 5, 4, 24, tzinfo=UTC)
    assert len({n.narrative_id for n in everything}) == len(everything)
    mapped = load_cryptonews_csv(path)
    btc = sum("BTC-USD" in n.symbols for n in mapped)
    eth = sum("ETH-USD" in n.symbols for n in mapped)
    assert 3035 <= btc <= 3400
    assert 656 <= eth <= 1000


@pytest.mark.shared_data
def test_real_default_feed_point_in_time(shared_data: Path) -> None:
    feed = default_dataset_feed(shared_data)
    end = datetime(2022, 3, 1, 12, 30, tzinfo=UTC)
    frames = feed.bars(
        ["BTC-USD", "ETH-USD"], start=end - timedelta(days=7), end=end, timeframe=Timeframe.HOUR
    )
    # starts from 13:00 on day -7 (>= 12:30) to 11:00 today (closes at 12:00 <= 12:30)
    assert {len(f) for f in frames.values()} == {167}
    assert all(f["end"].max() <= pd.Timestamp(end) for f in frames.values())
    found = feed.narratives(["BTC-USD", "ETH-USD"], start=end - timedelta(days=1), end=end)
    assert found
    assert all(n.fetched_at <= end and n.published_at >= end - timedelta(days=1) for n in found)
    assert [(n.fetched_at, n.narrative_id) for n in found] == sorted(
        (n.fetched_at, n.narrative_id) for n in found
    )
    assert np.all(np.diff([n.fetched_at.timestamp() for n in found]) >= 0)
