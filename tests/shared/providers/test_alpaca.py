"""Alpaca client: request building, pagination, symbol mapping, point-in-time frames."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
import responses
from responses import matchers

from shared.contracts import Timeframe
from shared.contracts.frames import BAR_COLUMNS
from shared.errors import ProviderAuthError, ProviderResponseError
from shared.providers.alpaca import AlpacaMarketData, is_crypto, to_wire_symbol
from tests.helpers.provider_contract import TEST_POLICY, FakeSleep, load_fixture

DATA = "https://data.example.test"
TRADING = "https://paper.example.test"
START = datetime(2024, 3, 4, 14, tzinfo=UTC)
END = datetime(2024, 3, 4, 18, tzinfo=UTC)


def _client(fake_sleep: FakeSleep, **kwargs: object) -> AlpacaMarketData:
    return AlpacaMarketData(
        api_key_id="AKTEST",
        api_secret_key="SKTEST",
        data_url=DATA,
        trading_url=TRADING,
        policy=TEST_POLICY,
        sleep=fake_sleep,
        **kwargs,  # type: ignore[arg-type]
    )


def _stock_query(**extra: str) -> dict[str, str]:
    return {
        "symbols": "AAPL,MSFT",
        "timeframe": "1Hour",
        "start": "2024-03-04T14:00:00Z",
        "end": "2024-03-04T18:00:00Z",
        "limit": "10000",
        "sort": "asc",
        "adjustment": "split",
        "feed": "iex",
        **extra,
    }


def test_symbol_mapping_crypto_uses_slash_on_the_wire() -> None:
    assert to_wire_symbol("BTC-USD") == "BTC/USD"
    assert to_wire_symbol("AAPL") == "AAPL"
    assert is_crypto("ETH-USD") and not is_crypto("BRK.B")


def test_bars_stock_universe_follows_next_page_token_in_one_request_per_page(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    page1 = load_fixture("alpaca", "stock_bars_page1")
    mocked_responses.get(
        f"{DATA}/v2/stocks/bars",
        json=page1,
        match=[
            matchers.query_param_matcher(_stock_query()),
            matchers.header_matcher({"APCA-API-KEY-ID": "AKTEST", "APCA-API-SECRET-KEY": "SKTEST"}),
        ],
    )
    mocked_responses.get(
        f"{DATA}/v2/stocks/bars",
        json=load_fixture("alpaca", "stock_bars_page2"),
        match=[matchers.query_param_matcher(_stock_query(page_token=page1["next_page_token"]))],
    )

    frames = _client(fake_sleep).bars(
        ["AAPL", "MSFT"], start=START, end=END, timeframe=Timeframe.HOUR
    )

    assert len(mocked_responses.calls) == 2
    assert list(frames) == ["AAPL", "MSFT"]
    aapl = frames["AAPL"]
    assert list(aapl.columns) == list(BAR_COLUMNS)
    # The 18:00 bar ends at 19:00, after the requested end: not yet available, so dropped.
    assert len(aapl) == 4 and len(frames["MSFT"]) == 4
    assert aapl["start"].iloc[0] == pd.Timestamp("2024-03-04T14:00:00Z")
    assert (aapl["end"] - aapl["start"] == pd.Timedelta(hours=1)).all()
    assert aapl["end"].max() <= pd.Timestamp(END)
    assert aapl["close"].iloc[0] == pytest.approx(175.43)


def test_bars_mixed_universe_one_request_per_asset_class_and_crypto_without_keys(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(
        f"{DATA}/v2/stocks/bars",
        json=load_fixture("alpaca", "stock_bars_page2") | {"bars": {"SPY": []}},
        match=[matchers.query_param_matcher(_stock_query(symbols="SPY"))],
    )
    mocked_responses.get(
        f"{DATA}/v1beta3/crypto/us/bars",
        json=load_fixture("alpaca", "crypto_bars"),
        match=[
            matchers.query_param_matcher(
                {
                    "symbols": "BTC/USD,ETH/USD",
                    "timeframe": "1Hour",
                    "start": "2024-03-04T14:00:00Z",
                    "end": "2024-03-04T18:00:00Z",
                    "limit": "10000",
                    "sort": "asc",
                }
            )
        ],
    )

    frames = _client(fake_sleep).bars(
        ["BTC-USD", "SPY", "ETH-USD"], start=START, end=END, timeframe=Timeframe.HOUR
    )

    assert len(mocked_responses.calls) == 2
    assert set(frames) == {"BTC-USD", "SPY", "ETH-USD"}
    assert frames["SPY"].empty
    assert frames["BTC-USD"]["volume"].iloc[0] == pytest.approx(3.118262)
    assert len(frames["ETH-USD"]) == 4


def test_bars_daily_end_is_start_plus_one_day(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    daily = {
        "bars": {
            "AAPL": [
                {
                    "t": "2024-03-01T05:00:00Z",
                    "o": 179.55,
                    "h": 180.53,
                    "l": 177.38,
                    "c": 179.66,
                    "v": 73563082,
                    "n": 911438,
                    "vw": 179.0331,
                },
                {
                    "t": "2024-03-04T05:00:00Z",
                    "o": 176.15,
                    "h": 176.9,
                    "l": 173.79,
                    "c": 175.1,
                    "v": 81510101,
                    "n": 1004110,
                    "vw": 175.1093,
                },
            ]
        },
        "next_page_token": None,
    }
    mocked_responses.get(f"{DATA}/v2/stocks/bars", json=daily)
    end = datetime(2024, 3, 5, 0, tzinfo=UTC)

    frame = _client(fake_sleep).bars(
        ["AAPL"], start=end - timedelta(days=7), end=end, timeframe=Timeframe.DAY
    )["AAPL"]

    # The 2024-03-04 bar would end 2024-03-05T05:00Z, after `end`: point-in-time drops it.
    assert list(frame["start"]) == [pd.Timestamp("2024-03-01T05:00:00Z")]
    assert frame["end"].iloc[0] == pd.Timestamp("2024-03-02T05:00:00Z")


def test_bars_with_broken_ohlc_raise_response_error(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    bad = load_fixture("alpaca", "stock_bars_page2")
    bad["bars"]["MSFT"][0]["h"] = 1.0  # high below low
    mocked_responses.get(f"{DATA}/v2/stocks/bars", json=bad)

    with pytest.raises(ProviderResponseError, match="invalid bars"):
        _client(fake_sleep).bars(["MSFT"], start=START, end=END, timeframe=Timeframe.HOUR)


def test_bars_for_unrequested_symbol_raise_response_error(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(f"{DATA}/v2/stocks/bars", json=load_fixture("alpaca", "stock_bars_page2"))
    with pytest.raises(ProviderResponseError, match="not requested"):
        _client(fake_sleep).bars(["AAPL"], start=START, end=END, timeframe=Timeframe.HOUR)


def test_bars_repeated_page_token_stops_instead_of_looping(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    page = {"bars": {"AAPL": []}, "next_page_token": "same"}
    mocked_responses.get(f"{DATA}/v2/stocks/bars", json=page)
    with pytest.raises(ProviderResponseError, match="repeated"):
        _client(fake_sleep).bars(["AAPL"], start=START, end=END, timeframe=Timeframe.HOUR)


def test_bars_sip_without_plan_403_is_auth_error_not_retried(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(
        f"{DATA}/v2/stocks/bars",
        status=403,
        json={"message": "subscription does not permit querying recent SIP data"},
    )
    client = _client(fake_sleep, feed="sip")
    with pytest.raises(ProviderAuthError, match="SIP"):
        client.bars(["AAPL"], start=START, end=END, timeframe=Timeframe.HOUR)
    assert len(mocked_responses.calls) == 1
    assert client.status().reason_codes == ("PROVIDER_AUTH",)


def test_bars_naive_datetimes_are_rejected(fake_sleep: FakeSleep) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _client(fake_sleep).bars(
            ["AAPL"], start=datetime(2024, 3, 4), end=END, timeframe=Timeframe.HOUR
        )


def test_clock_parses_eastern_timestamps_on_trading_host(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(f"{TRADING}/v2/clock", json=load_fixture("alpaca", "clock"))
    clock = _client(fake_sleep).clock()
    assert clock.is_open is False
    assert clock.next_open.utcoffset() == timedelta(hours=-5)
    assert clock.next_open.astimezone(UTC) == datetime(2024, 3, 4, 14, 30, tzinfo=UTC)


def test_calendar_sends_iso_dates_and_parses_days(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(
        f"{TRADING}/v2/calendar",
        json=load_fixture("alpaca", "calendar"),
        match=[matchers.query_param_matcher({"start": "2024-03-04", "end": "2024-03-05"})],
    )
    days = _client(fake_sleep).calendar(date(2024, 3, 4), date(2024, 3, 5))
    assert [d.date for d in days] == [date(2024, 3, 4), date(2024, 3, 5)]
    assert days[0].open == "09:30" and days[0].session_open == "0400"


def test_crypto_bars_work_without_keys_and_send_no_auth_headers(
    mocked_responses: responses.RequestsMock, fake_sleep: FakeSleep
) -> None:
    mocked_responses.get(
        f"{DATA}/v1beta3/crypto/us/bars", json=load_fixture("alpaca", "crypto_bars")
    )
    client = AlpacaMarketData(data_url=DATA, policy=TEST_POLICY, sleep=fake_sleep)

    frames = client.bars(["BTC-USD", "ETH-USD"], start=START, end=END, timeframe=Timeframe.HOUR)

    assert len(frames["BTC-USD"]) == 4
    sent = mocked_responses.calls[0].request.headers
    assert "APCA-API-KEY-ID" not in sent and "APCA-API-SECRET-KEY" not in sent


def test_alpaca_endless_new_page_tokens_are_refused_not_followed() -> None:
    """A server that always returns a fresh next_page_token must not hang the run."""
    from datetime import UTC, datetime, timedelta

    from shared.contracts import Timeframe
    from shared.errors import ProviderResponseError
    from shared.providers.alpaca import AlpacaMarketData
    from tests.helpers.loopback import LoopbackServer, RecordedRequest, Reply

    counter = iter(range(10_000))

    def endless(request: RecordedRequest) -> Reply:
        return Reply(json={"bars": {}, "next_page_token": f"token-{next(counter)}"})

    end = datetime(2026, 3, 2, tzinfo=UTC)
    with LoopbackServer() as server:
        server.route("GET", "/v1beta3/crypto/us/bars", endless)
        client = AlpacaMarketData(data_url=server.url, sleep=lambda _: None)
        with pytest.raises(ProviderResponseError, match="pagination would not end"):
            client.bars(["BTC-USD"], start=end - timedelta(days=8), end=end,
                        timeframe=Timeframe.HOUR)
        assert len(server.requests) <= 8
