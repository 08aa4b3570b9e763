"""``tb data check FILE…``: the report, the exit codes, and never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.cli import cli

FIXTURES = Path(__file__).parents[2] / "fixtures" / "datasets"
BARS = ["cdd_2020_vintage.txt", "cdd_2019_dates_only.csv", "cdd_2022_seconds.csv",
        "yahoo_nulls.csv", "generic_any_order.dat", "minute_bars.csv"]


def _check(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["data", "check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def test_json_reports_every_file_with_rows_range_gaps_drops_and_quirks() -> None:
    code, out, _ = _check(*(str(FIXTURES / name) for name in BARS), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["ok"] is True
    by_name = {Path(r["file"]).name: r for r in doc["files"]}
    cdd = by_name["cdd_2020_vintage.txt"]
    assert (cdd["format"], cdd["timeframe"], cdd["rows"], cdd["rows_in_file"]) == (
        "cryptodatadownload", "1Hour", 8, 10)
    assert (cdd["first"], cdd["last"]) == ("2020-02-13T00:00:00Z", "2020-02-13T08:00:00Z")
    assert (cdd["gaps"], cdd["largest_gap_bars"], cdd["duplicates"]) == (1, 1, 1)
    assert cdd["dropped"] == {"duplicate start": 1, "partial newest bar": 1}
    assert any("milliseconds" in q for q in cdd["quirks"])
    assert any("unix trusted" in q for q in cdd["quirks"])
    assert by_name["yahoo_nulls.csv"]["dropped"] == {"null prices": 1}
    assert by_name["minute_bars.csv"]["timeframe"] == "1Min"


def test_table_by_default_names_formats_and_quirks() -> None:
    code, out, _ = _check(str(FIXTURES / "cdd_2020_vintage.txt"),
                          str(FIXTURES / "yahoo_nulls.csv"))
    assert code == 0
    header = out.splitlines()[0].split()
    assert header[:4] == ["file", "format", "timeframe", "rows"]
    assert "cryptodatadownload" in out and "yahoo" in out
    assert "quirks handled:" in out and "banner line skipped" in out


def test_one_bad_file_exits_1_naming_it_and_still_reports_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,open,high,low,close,volume\n1700000000,1,0.5,1,1,1\n")
    code, out, err = _check(str(FIXTURES / "minute_bars.csv"), str(bad),
                            str(tmp_path / "missing.csv"))
    assert code == 1
    assert "minute_bars.csv" in out and "ERROR" in out
    assert f"error: {bad}:2: invalid bar" in err
    assert "missing.csv: file not found" in err


def test_mapping_reads_generic_and_narrative_files() -> None:
    code, out, _ = _check(str(FIXTURES / "generic_mapped.csv"), "--json", "--map", "time=when",
                          "--map", "open=px_open", "--map", "high=px_high", "--map",
                          "low=px_low", "--map", "close=px_last", "--map", "volume=qty")
    assert code == 0 and json.loads(out)["files"][0]["timeframe"] == "1Day"
    code, out, _ = _check(str(FIXTURES / "stock_tweets_daily.csv"), "--json", "--map",
                          "published_at=date", "--map", "headline=text", "--map",
                          "symbols=symbol", "--fetch-delay-mins", "60")
    news = json.loads(out)["files"][0]
    assert code == 0 and news["format"] == "narratives" and news["symbols"] == ["AAPL", "SPY"]


def test_usage_errors_exit_2() -> None:
    assert CliRunner().invoke(cli, ["data", "check"]).exit_code == 2
    assert CliRunner().invoke(cli, ["data", "check", "x.csv", "--timeframe", "2h"]
                              ).exit_code == 2
    assert CliRunner().invoke(cli, ["data", "check", "x.csv", "--map", "nonsense"]
                              ).exit_code == 2
    assert CliRunner().invoke(cli, ["data", "check", "x.csv", "--map", "price=close"]
                              ).exit_code == 2


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400), as_json=st.booleans())
def test_any_bytes_exit_0_or_1_never_a_traceback(tmp_path: Path, data: bytes,
                                                 as_json: bool) -> None:
    path = tmp_path / "any"
    path.write_bytes(data)
    code, _, _ = _check(str(path), *(["--json"] if as_json else []))
    assert code in (0, 1)
