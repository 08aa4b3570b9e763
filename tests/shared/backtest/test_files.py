"""``tb backtest reference-sma`` on files: small synthetic quirk files and the conformance set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from functions.cli import cli
from shared.backtest.bars import load_price_bars
from shared.errors import ContractViolation
from shared.providers.dataset_loaders import BarsFormat
from tests.helpers.data import data_file
from tests.shared.backtest.reference import reference_trades

HOUR = 3600
T0 = 1_600_000_000 - 1_600_000_000 % 86_400  # a UTC midnight


def _walk(n: int, seed: int = 1) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    close = np.round(100 + np.cumsum(rng.choice([-0.5, 0.0, 0.5], n)), 2)
    open_ = np.round(close + rng.choice([-0.1, 0.0, 0.1], n), 2)
    return open_.tolist(), close.tolist()


def _run(tmp_path: Path, bars: Path, *args: str) -> tuple[dict[str, object], str]:
    out = tmp_path / "trades.csv"
    result = CliRunner().invoke(
        cli, ["backtest", "reference-sma", "--bars", str(bars), "--trades-out", str(out), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output), out.read_text(encoding="utf-8")


def _expected_csv(times: list[str], opens: list[float], closes: list[float]) -> str:
    trades, _ = reference_trades(opens, closes)
    lines = ["entry_time,entry_price,exit_time,exit_price,pnl,status"]
    for entry_bar, entry, exit_bar, exit_price, pnl in trades:
        if exit_bar is None:
            lines.append(f"{times[entry_bar]},{entry!r},,,,open")
        else:
            lines.append(f"{times[entry_bar]},{entry!r},{times[exit_bar]},{exit_price!r},"
                         f"{pnl!r},closed")
    return "\n".join(lines) + "\n"


def _iso(seconds: int) -> str:
    return str(np.datetime64(seconds, "s"))


def test_cdd_banner_newest_first_ms_and_duplicates(tmp_path: Path) -> None:
    opens, closes = _walk(200)
    unix = [T0 + HOUR * k for k in range(200)]
    rows = [f"{u * 1000 if k % 2 else u},{_iso(u).replace('T', ' ')},BTC/USD,{o},{o + 1},"
            f"{c - 1},{c},1.5,150.0"
            for k, (u, o, c) in enumerate(zip(unix, opens, closes, strict=True))]
    rows.insert(51, rows[50].replace(f",{opens[50]},", ",999.0,", 1))  # a duplicate of bar 50
    text = ("https://www.CryptoDataDownload.com\n"
            "Unix,Date,Symbol,Open,High,Low,Close,Volume BTC,Volume USD\n"
            + "\n".join(reversed(rows)) + "\n")
    path = tmp_path / "Bitstamp_BTCUSD_1h.txt"  # the extension says nothing
    path.write_text(text, encoding="utf-8")
    summary, trades = _run(tmp_path, path)
    assert summary["format"] == BarsFormat.CRYPTODATADOWNLOAD.value
    assert (summary["rows_in_file"], summary["duplicate_timestamps_dropped"],
            summary["bad_rows_dropped"], summary["bars"]) == (201, 1, 0, 200)
    # newest-first: reversed, the copy comes FIRST in the file, so it is the one kept
    bars = load_price_bars(path)
    assert bars.open[50] == 999.0
    opens[50] = 999.0
    times = [_iso(u) for u in unix]
    assert trades == _expected_csv(times, opens, closes)
    assert summary["first"] == times[0] and summary["last"] == times[-1]


def test_old_cdd_vintage_with_am_pm_dates(tmp_path: Path) -> None:
    opens, closes = _walk(80, seed=2)
    stamps = pd.date_range("2020-02-13 00:00", periods=80, freq="h")
    rows = [f"{t.strftime('%Y-%m-%d %I-%p')},ETHUSD,{o},{o + 1},{c - 1},{c},1,100"
            for t, o, c in zip(stamps, opens, closes, strict=True)]
    path = tmp_path / "old.csv"
    path.write_text("https://www.CryptoDataDownload.com\nDate,Symbol,Open,High,Low,Close,"
                    "Volume ETH,Volume USD\n" + "\n".join(reversed(rows)) + "\n",
                    encoding="utf-8")
    summary, trades = _run(tmp_path, path)
    times = [t.strftime("%Y-%m-%dT%H:%M:%S") for t in stamps]
    assert summary["bars"] == 80 and summary["first"] == "2020-02-13T00:00:00"
    assert trades == _expected_csv(times, opens, closes)


def test_yahoo_null_rows_bad_rows_and_no_trailing_newline(tmp_path: Path) -> None:
    opens, closes = _walk(120, seed=3)
    days = pd.bdate_range("2010-01-04", periods=120)
    rows = [f"{d.date()},{o:.6f},{o + 1:.6f},{c - 1:.6f},{c:.6f},{c:.6f},1000"
            for d, o, c in zip(days, opens, closes, strict=True)]
    rows.insert(40, "2010-03-06,null,null,null,null,null,null")  # a holiday placeholder
    rows.insert(71, f"{days[69].date()},0,1,0,0,0,0")  # a duplicate date (the second copy)
    rows.insert(90, "2010-06-05,-1.0,1,1,1.0,1,10")  # a bad row on a date of its own
    path = tmp_path / "SPY.parquet"  # a CSV with a Parquet name
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n" + "\n".join(rows),
                    encoding="utf-8")
    summary, trades = _run(tmp_path, path)
    assert summary["format"] == BarsFormat.YAHOO.value
    assert (summary["rows_in_file"], summary["duplicate_timestamps_dropped"],
            summary["bad_rows_dropped"], summary["bars"]) == (123, 1, 2, 120)
    times = [str(d.date()) for d in days]
    assert trades == _expected_csv(times, opens, closes)


def test_generic_parquet_with_a_csv_name_and_odd_column_order(tmp_path: Path) -> None:
    opens, closes = _walk(150, seed=4)
    frame = pd.DataFrame({
        "VOLUME": 1.0, "Close": closes, "extra": "x", "OPEN": opens,
        "Timestamp": pd.date_range("2021-05-01", periods=150, freq="min", tz="UTC"),
    })
    path = tmp_path / "bars.csv"
    frame.to_parquet(path)
    summary, trades = _run(tmp_path, path)
    assert summary["format"] == BarsFormat.PARQUET.value
    times = [t.strftime("%Y-%m-%dT%H:%M:%S") for t in frame["Timestamp"]]
    assert trades == _expected_csv(times, opens, closes)


def test_generic_csv_epoch_ms_and_iso_with_zone(tmp_path: Path) -> None:
    opens, closes = _walk(100, seed=5)
    ms = [(T0 + 60 * k) * 1000 for k in range(100)]
    path = tmp_path / "a.dat"
    path.write_text("close,time,open\n" + "\n".join(
        f"{c},{m},{o}" for m, o, c in zip(ms, opens, closes, strict=True)) + "\n",
        encoding="utf-8")
    summary, trades = _run(tmp_path, path)
    assert summary["format"] == BarsFormat.GENERIC_CSV.value
    times = [_iso(m // 1000) for m in ms]
    assert trades == _expected_csv(times, opens, closes)
    zoned = tmp_path / "b.csv"
    zoned.write_text("datetime,open,close\n" + "\n".join(
        f"{_iso(m // 1000 + 7200)}+02:00,{o},{c}"
        for m, o, c in zip(ms, opens, closes, strict=True)) + "\n",
        encoding="utf-8")
    assert _run(tmp_path, zoned)[1] == trades  # converted to UTC


def test_unreadable_times_and_prices_are_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("timestamp,open,close\n2020-01-01,1,1\nnot a date,1,1\n2020-01-03,abc,1\n"
                    "2020-01-04,1,\n2020-01-05,2,2\n", encoding="utf-8")
    bars = load_price_bars(path)
    assert (bars.rows_in_file, bars.bad_rows_dropped, len(bars)) == (5, 3, 2)
    assert bars.daily


def test_a_file_without_price_columns_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("when,price\n2020-01-01,1\n", encoding="utf-8")
    with pytest.raises(ContractViolation, match="no time / open / close column"):
        load_price_bars(path)
    result = CliRunner().invoke(cli, ["backtest", "reference-sma", "--bars", str(path)])
    assert result.exit_code == 1 and "no time / open / close column" in result.output


def test_fast_must_be_below_slow(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["backtest", "reference-sma", "--bars", str(tmp_path),
                                      "--fast", "30", "--slow", "10"])
    assert result.exit_code == 2


def _conformance_files() -> list[str]:
    return ["crypto-bitstamp-cdd-2022/Bitstamp_BTCUSD_1h.csv",
            "crypto-bitstamp-cdd-2022/Bitstamp_BTCUSD_d.csv",
            "crypto-bitstamp-cdd-2022/Bitstamp_ETHUSD_1h.csv",
            *(f"us-stocks-daily-yahoo-2000-2012/{s}.csv"
              for s in ("AAPL", "GLD", "GOOG", "IBM", "SPY"))]


@pytest.mark.shared_data
@pytest.mark.parametrize("relative", _conformance_files())
def test_conformance_trade_lists_are_reproduced_byte_for_byte(tmp_path: Path,
                                                               relative: str) -> None:
    bars = data_file(relative)
    expected = data_file(f"backtest-conformance/{relative}").read_text(encoding="utf-8")
    summary_csv = data_file("backtest-conformance/summary.csv")
    with summary_csv.open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["file"] == f"data/{relative}")
    summary, trades = _run(tmp_path, bars)
    assert trades == expected
    assert summary["rows_in_file"] == int(row["rows_in_file"])
    assert summary["duplicate_timestamps_dropped"] == int(row["duplicate_timestamps_dropped"])
    assert summary["bad_rows_dropped"] == int(row["bad_rows_dropped"])
    assert summary["bars"] == int(row["bars"])
    assert summary["closed_trades"] == int(row["trades_closed"])
    assert summary["open_position"] == (row["open_position_at_end"] == "True")
    assert summary["final_equity"] == pytest.approx(float(row["final_equity"]), abs=1e-6)
    assert str(summary["first"]).replace("T", " ") in (row["first"], row["first"][:10])
    assert "predict nothing" in str(summary["note"])
