"""Narratives by a column mapping: a daily tweets CSV and Benzinga-style JSONL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.errors import ConfigError, ContractViolation
from shared.providers.dataset import DatasetFeed, NewsSource
from shared.providers.news_loaders import NewsColumns, is_jsonl, load_mapped_narratives

FIXTURES = Path(__file__).parents[2] / "fixtures" / "datasets"
TWEETS = NewsColumns(published_at="date", headline="text", symbols="symbol")
BENZINGA = NewsColumns(published_at="date", headline="title", symbols="stocks")


def test_daily_tweets_date_is_end_of_day_and_fetch_delay_applied() -> None:
    load = load_mapped_narratives(FIXTURES / "stock_tweets_daily.csv", TWEETS,
                                  fetch_delay=timedelta(hours=1))
    first = load.narratives[0]
    assert first.published_at == datetime(2012, 1, 4, tzinfo=UTC)  # 2012-01-03 is over
    assert first.fetched_at == first.published_at + timedelta(hours=1)
    assert {s for n in load.narratives for s in n.symbols} == {"AAPL", "SPY"}
    assert any("end of that day" in q for q in load.quirks)
    assert any("stated delay" in q for q in load.quirks)
    assert load.rows_in_file == 110


def test_benzinga_jsonl_by_content_zones_converted_and_symbols_split(tmp_path: Path) -> None:
    path = tmp_path / "headlines.csv"  # the extension does not decide: the content does
    path.write_bytes((FIXTURES / "benzinga_headlines.jsonl").read_bytes())
    assert is_jsonl(path)
    load = load_mapped_narratives(path, BENZINGA, fetch_delay=timedelta(0))
    by_title = {n.headline: n for n in load.narratives}
    both = by_title["Apple and IBM shares climb after upbeat outlook"]
    assert both.symbols == ("AAPL", "IBM")
    assert both.published_at == datetime(2012, 7, 17, 13, 12, 45, tzinfo=UTC)


def test_symbol_map_and_naive_times_in_a_time_zone(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("when,what,tickers\n2022-01-03 09:00,Bitcoin jumps,$BTC\n"
                    "2022-01-03 10:00,Ether dips,eth|btc\n")
    load = load_mapped_narratives(
        path, NewsColumns(published_at="when", headline="what", symbols="tickers"),
        fetch_delay=timedelta(minutes=5), time_zone="America/New_York",
        symbol_map={"BTC": "BTC-USD", "ETH": "ETH-USD"})
    assert [n.symbols for n in load.narratives] == [("BTC-USD",), ("ETH-USD", "BTC-USD")]
    assert load.narratives[0].published_at == datetime(2022, 1, 3, 14, 0, tzinfo=UTC)


def test_rows_without_symbol_or_headline_dropped_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("date,symbol,text\n2022-01-03,,no symbol\n2022-01-03,AAPL,\n"
                    "2022-01-03,AAPL,ok\n2022-01-03,AAPL,ok\n")
    load = load_mapped_narratives(path, TWEETS, fetch_delay=timedelta(0))
    assert len(load.narratives) == 1
    assert dict(load.dropped) == {"no symbol": 1, "empty headline": 1, "duplicate": 1}


def test_fixed_symbol_for_a_single_instrument_set(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text('{"t": "2022-01-03T10:00:00Z", "h": "Rally"}\n')
    load = load_mapped_narratives(path, NewsColumns(published_at="t", headline="h",
                                                    symbol="BTC-USD"),
                                  fetch_delay=timedelta(0))
    assert load.narratives[0].symbols == ("BTC-USD",)


def test_mapping_naming_a_missing_column_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ContractViolation, match="headline='title'"):
        load_mapped_narratives(FIXTURES / "stock_tweets_daily.csv",
                               NewsColumns(published_at="date", headline="title",
                                           symbols="symbol"), fetch_delay=timedelta(0))


def test_unreadable_time_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("date,symbol,text\n2022-01-03,AAPL,ok\nsoon,AAPL,later\n")
    with pytest.raises(ContractViolation, match=r"n.csv:3: column 'date' is not a time"):
        load_mapped_narratives(path, TWEETS, fetch_delay=timedelta(0))


def test_negative_delay_and_unknown_zone_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="fetch_delay"):
        load_mapped_narratives(FIXTURES / "stock_tweets_daily.csv", TWEETS,
                               fetch_delay=timedelta(minutes=-1))
    with pytest.raises(ConfigError, match="time zone"):
        load_mapped_narratives(FIXTURES / "stock_tweets_daily.csv", TWEETS,
                               fetch_delay=timedelta(0), time_zone="Mars/Olympus")


def test_dataset_feed_serves_mapped_news_point_in_time() -> None:
    feed = DatasetFeed({"AAPL": FIXTURES / "yahoo_nulls.csv"},
                       [NewsSource(FIXTURES / "stock_tweets_daily.csv", TWEETS,
                                   timedelta(hours=1))])
    t = datetime(2012, 1, 4, 0, 30, tzinfo=UTC)
    assert feed.narratives(["AAPL"], start=t - timedelta(days=2), end=t) == []
    later = feed.narratives(["AAPL"], start=t - timedelta(days=2), end=t + timedelta(hours=1))
    assert [n.published_at for n in later] == [datetime(2012, 1, 4, tzinfo=UTC)]
