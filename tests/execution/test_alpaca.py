"""The Alpaca paper adapter against a loopback stand-in (never the network): the fault
matrix shows zero duplicate orders; rejects map to codes; positions reconcile; keys stay out
of every log line and error."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from shared.errors import ConfigError, ProviderAuthError
from shared.execution.alpaca import (
    AccountSnapshot,
    AlpacaPaperBroker,
    OrderUnconfirmed,
    reconcile,
    reject_code,
)
from shared.execution.broker import (
    Broker,
    Order,
    OrderSide,
    OrderState,
    OrderType,
    Position,
    TimeInForce,
)
from shared.providers._http import HttpPolicy
from shared.settings import Settings
from tests.helpers.alpaca_paper import KEY_ID, SECRET, FakeAlpaca
from tests.helpers.provider_contract import FakeSleep

POLICY = HttpPolicy(connect_timeout_secs=1.0, read_timeout_secs=0.2, max_retries=2,
                    backoff_base_secs=0.01, backoff_max_secs=0.05, max_retry_after_secs=5.0,
                    breaker_fail_max=100)
ORDER = Order("tb-0123456789abcdef0123456789abcdef", "AAPL", OrderSide.BUY, 3)


def _broker(fake: FakeAlpaca, sleep: FakeSleep | None = None, *, key: str = KEY_ID
            ) -> AlpacaPaperBroker:
    return AlpacaPaperBroker(api_key_id=key, api_secret_key=SECRET, base_url=fake.url,
                             policy=POLICY, sleep=sleep or FakeSleep(), random_fn=lambda: 0.0)


@dataclass(frozen=True)
class Row:
    fault: str
    outcome: str
    posts: int
    lookups: int
    held: int

    @property
    def duplicates(self) -> int:
        return max(0, self.held - 1)


def run_cell(post_faults: list[str], lookup_faults: list[str] | None = None, *,
             unique: bool = False, twice: bool = False) -> Row:
    """Submit ORDER once (twice: a retried run) against one scripted stand-in."""
    fake = FakeAlpaca(post_faults=list(post_faults), lookup_faults=list(lookup_faults or []),
                      unique_client_ids=unique)
    with fake:
        broker = _broker(fake)
        outcomes = []
        for _ in range(2 if twice else 1):
            try:
                ack = broker.submit(ORDER)
                outcomes.append("duplicate" if ack.duplicate else "accepted" if ack.accepted
                                else f"refused {ack.reason_code}")
            except OrderUnconfirmed:
                outcomes.append("raised ALPACA_ORDER_UNCONFIRMED")
        name = "+".join(post_faults) or "ok"
        if lookup_faults:
            name += f" / lookups {'+'.join(lookup_faults)}"
        return Row(name + (" (run twice)" if twice else ""), ", ".join(outcomes), fake.posts(),
                   fake.lookups(), fake.held(ORDER.client_order_id))


CELLS: list[tuple[list[str], list[str], bool, bool, str, int, int, int]] = [
    # post faults, lookup faults, unique ids, twice -> outcome, posts, lookups, held
    ([], [], False, False, "accepted", 1, 1, 1),
    (["timeout_after"], [], False, False, "accepted", 1, 2, 1),
    (["reset_after"], [], False, False, "accepted", 1, 2, 1),
    (["5xx_after"], [], False, False, "accepted", 1, 2, 1),
    (["timeout_before"], [], False, False, "accepted", 2, 2, 1),
    (["reset_before"], [], False, False, "accepted", 2, 2, 1),
    (["5xx_before"], [], False, False, "accepted", 2, 2, 1),
    (["429"], [], False, False, "accepted", 2, 1, 1),
    (["429_bare"], [], False, False, "accepted", 2, 2, 1),
    (["timeout_after", "timeout_after"], [], False, False, "accepted", 1, 2, 1),
    (["5xx_before"] * 3, [], False, False, "raised ALPACA_ORDER_UNCONFIRMED", 3, 4, 0),
    (["timeout_after"], ["ok", "5xx", "5xx", "5xx"], False, False,
     "raised ALPACA_ORDER_UNCONFIRMED", 1, 4, 1),
    (["reject_403"], [], False, False, "refused REJECT_INSUFFICIENT_FUNDS", 1, 1, 0),
    (["reject_422"], [], False, False, "refused REJECT_INVALID_ORDER", 1, 1, 0),
    ([], [], False, True, "accepted, duplicate", 1, 2, 1),
    (["timeout_after"], ["ok", "miss"], True, False, "duplicate", 2, 3, 1),
]


@pytest.mark.parametrize(("post", "lookup", "unique", "twice", "outcome", "posts", "lookups",
                          "held"), CELLS, ids=[
    ("+".join(c[0]) or "ok") + (f"/lookups:{'+'.join(c[1])}" if c[1] else "")
    + ("/unique" if c[2] else "") + ("/twice" if c[3] else "") for c in CELLS])
def test_fault_matrix_places_no_order_twice(post: list[str], lookup: list[str], unique: bool,
                                            twice: bool, outcome: str, posts: int,
                                            lookups: int, held: int) -> None:
    row = run_cell(post, lookup, unique=unique, twice=twice)
    assert row.duplicates == 0
    assert (row.outcome, row.posts, row.lookups, row.held) == (outcome, posts, lookups, held)


def fault_table() -> str:
    """The fault matrix as a Markdown table (for the report; the test asserts each row)."""
    lines = ["| fault | outcome | POSTs at server | lookups | orders at server | duplicates |",
             "|---|---|---|---|---|---|"]
    for post, lookup, unique, twice, *_ in CELLS:
        row = run_cell(post, lookup, unique=unique, twice=twice)
        lines.append(f"| {row.fault}{' (venue enforces unique ids)' if unique else ''} | "
                     f"{row.outcome} | {row.posts} | {row.lookups} | {row.held} | "
                     f"{row.duplicates} |")
    return "\n".join(lines)


def test_429_waits_what_retry_after_says() -> None:
    sleep = FakeSleep()
    with FakeAlpaca(post_faults=["429"]) as fake:
        assert _broker(fake, sleep).submit(ORDER).accepted
    assert 1.0 in sleep.calls


def test_the_adapter_is_a_broker_and_paper_only() -> None:
    with FakeAlpaca() as fake:
        assert isinstance(_broker(fake), Broker)
    with pytest.raises(ConfigError, match="paper-only"):
        AlpacaPaperBroker(api_key_id=KEY_ID, api_secret_key=SECRET,
                          base_url="https://api.alpaca.markets")


def test_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APCA_API_KEY_ID", raising=False)
    monkeypatch.delenv("APCA_API_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="APCA_API_KEY_ID"):
        AlpacaPaperBroker.from_settings(Settings())
    monkeypatch.setenv("APCA_API_KEY_ID", KEY_ID)
    monkeypatch.setenv("APCA_API_SECRET_KEY", SECRET)
    with FakeAlpaca() as fake:
        monkeypatch.setenv("APCA_API_BASE_URL", fake.url)
        broker = AlpacaPaperBroker.from_settings(Settings(), sleep=FakeSleep())
        assert broker.submit(ORDER).accepted


def test_keys_never_reach_a_log_line_or_an_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors = []
    with FakeAlpaca(post_faults=["timeout_after"], lookup_faults=["ok", "5xx", "5xx", "5xx"]
                    ) as fake:
        try:
            _broker(fake).submit(ORDER)
        except OrderUnconfirmed as e:
            errors.append(f"{e!s} {e!r} {e.__cause__!r}")
    with FakeAlpaca() as fake:
        try:
            _broker(fake, key="PKWRONGKEY999").submit(ORDER)
        except ProviderAuthError as e:
            errors.append(f"{e!s} {e!r}")
    text = caplog.text + " ".join(errors)
    assert errors and "alpaca_paper" in caplog.text
    for secret in (KEY_ID, SECRET, "PKWRONGKEY999"):
        assert secret not in text


def test_unsupported_orders_are_refused_without_a_request() -> None:
    with FakeAlpaca() as fake:
        broker = _broker(fake)
        gtd = broker.submit(Order("c1", "AAPL", OrderSide.BUY, 1, tif=TimeInForce.GTD,
                                  expire_at="2026-01-03T00:00:00Z"))
        post_only = broker.submit(Order("c2", "AAPL", OrderSide.BUY, 1, OrderType.LIMIT, 100.0,
                                        post_only=True))
        assert gtd.reason_code == post_only.reason_code == "REJECT_INVALID_ORDER"
        assert fake.server.requests == []


def test_order_body_and_fill_mapping() -> None:
    with FakeAlpaca(fill_price=101.25) as fake:
        ack = _broker(fake).submit(Order("c-btc", "BTC-USD", OrderSide.BUY, 0.015,
                                         tif=TimeInForce.FAK))
        body = fake.server.requests_to("/v2/orders")[0].json()
    assert body == {"symbol": "BTC/USD", "qty": "0.015", "side": "buy", "type": "market",
                    "time_in_force": "ioc", "client_order_id": "c-btc"}
    assert ack.status is not None and ack.status.state is OrderState.FILLED
    assert ack.status.order.symbol == "BTC-USD" and ack.status.avg_fill_price == 101.25
    assert [(f.qty, f.price) for f in ack.status.fills] == [(0.015, 101.25)]


def test_cancel_known_unknown_and_not_cancelable() -> None:
    with FakeAlpaca() as fake:
        broker = _broker(fake)
        broker.submit(ORDER)
        done = broker.cancel(ORDER.client_order_id)
        assert done.accepted and done.status is not None
        assert done.status.state is OrderState.CANCELLED
        again = broker.cancel(ORDER.client_order_id)
        assert not again.accepted and again.reason_code == "REJECT_INVALID_ORDER"
        assert again.message == "order is not cancelable"
        assert broker.cancel("nope").reason_code == "REJECT_UNKNOWN_ORDER"


POSITIONS = [
    {"symbol": "AAPL", "asset_class": "us_equity", "qty": "3", "avg_entry_price": "170.5",
     "market_value": "515.1", "side": "long"},
    {"symbol": "BTCUSD", "asset_class": "crypto", "qty": "0.01", "avg_entry_price": "60000",
     "market_value": "610", "side": "long"},
]


def test_positions_reconcile_with_the_account() -> None:
    with FakeAlpaca(positions=POSITIONS, cash=1000.0) as fake:
        broker = _broker(fake)
        assert broker.positions() == {"AAPL": Position("AAPL", 3.0, 170.5),
                                      "BTC-USD": Position("BTC-USD", 0.01, 60000.0)}
        assert broker.reconcile() == []
        assert broker.reconcile(expected={"AAPL": 3.0, "BTC-USD": 0.01}) == []
        missing = broker.reconcile(expected={"AAPL": 2.0, "BTC-USD": 0.01, "SPY": 1.0})
        assert [(m.kind, m.symbol) for m in missing] == [("position", "AAPL"),
                                                         ("position", "SPY")]
        assert all(m.reason_code == "ALPACA_POSITION_MISMATCH" for m in missing)
        assert broker.account().equity == pytest.approx(2125.1)


def test_an_account_that_does_not_add_up_is_a_mismatch() -> None:
    with FakeAlpaca(positions=POSITIONS, account_overrides={"equity": "2000"}) as fake:
        mismatches = _broker(fake).reconcile()
    assert [m.kind for m in mismatches] == ["equity"]
    snapshot = AccountSnapshot(cash=0, equity=0, long_market_value=5, short_market_value=0,
                               currency="USD", status="ACTIVE")
    assert len(reconcile({}, snapshot, {})) == 1  # long market value without a position


@pytest.mark.parametrize(("status", "message", "code"), [
    (403, "insufficient buying power", "REJECT_INSUFFICIENT_FUNDS"),
    (403, "insufficient qty available for order (requested: 5, available: 0)",
     "REJECT_INSUFFICIENT_FUNDS"),
    (422, "invalid limit_price 1.001. sub-penny increment does not fulfill minimum pricing "
          "criteria", "REJECT_TICK_SIZE"),
    (422, "qty must be >= 1 for this asset; minimum not met", "REJECT_MIN_SIZE"),
    (403, "market is closed", "REJECT_MARKET_CLOSED"),
    (422, "invalid time_in_force", "REJECT_INVALID_ORDER"),
    (403, "account is restricted", "REJECT_VENUE_ERROR"),
])
def test_reject_codes(status: int, message: str, code: str) -> None:
    assert reject_code(status, message) == code
