"""Each forecast resolves on its own feed: live on Alpaca bars, dataset on the dataset,
synthetic on the synthetic feed with its run's seed; anything else stays unresolved with a
reason and is never resolved on another feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from click.testing import CliRunner
from requests import PreparedRequest

from functions.cli import cli
from functions.eval.persist import read_observations
from shared.contracts import Timeframe, format_utc
from shared.evaluation.resolve import FeedKind, ResolverRegistry, feed_kind
from shared.providers.dataset import default_dataset_feed
from shared.providers.synthetic import SyntheticFeed
from shared.store.csvfile import read_rows
from shared.store.layout import EvalPaths
from tests.helpers.eval_fixtures import make_forecast, make_tracer_run, write_run

DATA_URL = "https://data.alpaca.test"
LIVE_AS_OF = datetime(2026, 3, 2, 12, tzinfo=UTC)
_BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _close(start: datetime) -> float:
    return 1000.0 + (start - _BASE) / timedelta(hours=1) * 0.25


def _crypto_bars(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
    query = parse_qs(urlparse(request.url or "").query)
    start = datetime.fromisoformat(query["start"][0].replace("Z", "+00:00"))
    end = datetime.fromisoformat(query["end"][0].replace("Z", "+00:00"))
    t, bars = start.replace(minute=0, second=0, microsecond=0), []
    while t + timedelta(hours=1) <= end:
        c = _close(t)
        bars.append({"t": format_utc(t), "o": c, "h": c + 1, "l": c - 1, "c": c, "v": 2.0,
                     "n": 3, "vw": c})
        t += timedelta(hours=1)
    body = {"bars": {"ETH/USD": bars}, "next_page_token": None}
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


def _ingest(root: Path, as_of: datetime, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["eval", "ingest", "--artifacts-dir", str(root),
                                      "--as-of", format_utc(as_of), *extra])
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.output)
    return summary


def test_recorded_feed_names_map_to_their_kind() -> None:
    assert feed_kind("replay") is feed_kind("dataset") is FeedKind.DATASET
    assert feed_kind("live") is feed_kind("alpaca") is FeedKind.LIVE
    assert feed_kind("synthetic") is FeedKind.SYNTHETIC
    assert feed_kind("frames") is None


def test_live_forecast_resolves_on_alpaca_bars(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APCA_API_KEY_ID", "AKTEST")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "SKTEST")
    monkeypatch.setenv("APCA_API_DATA_URL", DATA_URL)
    forecast = make_forecast("ETH-USD", LIVE_AS_OF, 0.7)
    write_run(tmp_path, make_tracer_run(forecast, as_of=LIVE_AS_OF, symbol="ETH-USD",
                                        feed="live"))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.add_callback(responses.GET, f"{DATA_URL}/v1beta3/crypto/us/bars",
                            callback=_crypto_bars)
        summary = _ingest(tmp_path, LIVE_AS_OF + timedelta(days=2))
        (call,) = mocked.calls
    assert call.request.headers["APCA-API-KEY-ID"] == "AKTEST"
    assert summary["resolved_new"] == 1
    (row,) = read_observations(EvalPaths(tmp_path).observations)
    assert row.feed == "live"
    assert row.as_of_close == _close(LIVE_AS_OF - timedelta(hours=1))
    assert row.target_close == _close(LIVE_AS_OF + timedelta(hours=23))
    assert row.y == 1 and row.outcome_status == "no_trigger"


def test_live_forecast_without_keys_stays_unresolved_never_synthetic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TB_DATA_DIR", str(tmp_path / "no-data"))
    (tmp_path / "no-data").mkdir()
    art = tmp_path / "art"
    for symbol, feed in (("ETH-USD", "live"), ("ETH-USD", "replay"), ("BTC-USD", "mystery"),
                         ("BTC-USD", "synthetic")):
        forecast = make_forecast(symbol, LIVE_AS_OF, 0.6)
        write_run(art, make_tracer_run(forecast, as_of=LIVE_AS_OF, symbol=symbol, feed=feed))
    with responses.RequestsMock(assert_all_requests_are_fired=True):  # no call is made
        summary = _ingest(art, LIVE_AS_OF + timedelta(days=2))
    assert summary["resolved_new"] == 1
    assert summary["unresolved_reasons"] == {"feed_unavailable": 2, "unknown_feed": 1}
    assert [o.feed for o in read_observations(EvalPaths(art).observations)] == ["synthetic"]
    rows = {row["feed"]: row for row in read_rows(EvalPaths(art).unresolved)}
    assert set(rows) == {"live", "replay", "mystery"}
    assert "APCA_API_KEY_ID" in rows["live"]["detail"]
    assert "TB_DATA_DIR" in rows["replay"]["detail"]


def test_feed_filter_ingests_only_that_feed(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APCA_API_KEY_ID", raising=False)
    for feed in ("live", "synthetic"):
        forecast = make_forecast("BTC-USD", LIVE_AS_OF, 0.6)
        write_run(tmp_path, make_tracer_run(forecast, as_of=LIVE_AS_OF, symbol="BTC-USD",
                                            feed=feed))
    summary = _ingest(tmp_path, LIVE_AS_OF + timedelta(days=2), "--feed", "synthetic")
    assert summary["claims_seen"] == 1 and summary["resolved_new"] == 1


def test_synthetic_forecast_resolves_with_its_runs_seed(tmp_path: Path) -> None:
    forecast = make_forecast("BTC-USD", LIVE_AS_OF, 0.6)
    write_run(tmp_path, make_tracer_run(forecast, as_of=LIVE_AS_OF, symbol="BTC-USD",
                                        feed="synthetic"))  # recorded seed: 7
    _ingest(tmp_path, LIVE_AS_OF + timedelta(days=2))
    (row,) = read_observations(EvalPaths(tmp_path).observations)
    bars = SyntheticFeed(7).bars(["BTC-USD"], start=LIVE_AS_OF - timedelta(hours=3),
                                 end=LIVE_AS_OF, timeframe=Timeframe.HOUR)["BTC-USD"]
    assert row.as_of_close == float(bars["close"].iloc[-1])
    other = SyntheticFeed(8).bars(["BTC-USD"], start=LIVE_AS_OF - timedelta(hours=3),
                                  end=LIVE_AS_OF, timeframe=Timeframe.HOUR)["BTC-USD"]
    assert row.as_of_close != float(other["close"].iloc[-1])


@pytest.mark.shared_data
def test_dataset_forecast_as_of_close_is_the_datasets_close(tmp_path: Path) -> None:
    as_of = datetime(2022, 6, 15, 19, tzinfo=UTC)
    forecast = make_forecast("ETH-USD", as_of, 0.4)
    write_run(tmp_path, make_tracer_run(forecast, as_of=as_of, symbol="ETH-USD", feed="replay"))
    summary = _ingest(tmp_path, as_of + timedelta(days=2))
    assert summary["resolved_new"] == 1
    (row,) = read_observations(EvalPaths(tmp_path).observations)
    bars = default_dataset_feed().bars(["ETH-USD"], start=as_of - timedelta(hours=2),
                                       end=as_of, timeframe=Timeframe.HOUR)["ETH-USD"]
    assert row.feed == "replay"
    assert row.as_of_close == float(bars["close"].iloc[-1])
    assert 1000.0 < row.as_of_close < 1300.0  # ETH in June 2022; the synthetic ETH is far off


def test_registry_builds_each_feed_once_and_names_unknown_ones() -> None:
    built: list[int] = []

    def factory(seed: int) -> SyntheticFeed:
        built.append(seed)
        return SyntheticFeed(seed)

    registry = ResolverRegistry(factories={"synthetic": factory})
    assert registry.resolver("synthetic", 3) is registry.resolver("synthetic", 3)
    registry.resolver("synthetic", 4)
    assert built == [3, 4]
    missing = registry.resolver("frames")
    assert not isinstance(missing, SyntheticFeed)
    assert missing.reason.value == "unknown_feed"
