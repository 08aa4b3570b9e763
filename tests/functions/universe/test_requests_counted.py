"""The universe manifest counts the requests its live clients sent (summed over shards), and
a live provider that was never called is "skipped", not "ok"."""

from __future__ import annotations

from types import SimpleNamespace

from functions.universe.run import _requests_sent, _with_requests
from shared.contracts import ProviderState, ProviderStatus
from shared.pipeline.live import LiveStatusBoard


def _status(provider: str, requests: int = 0) -> ProviderStatus:
    return ProviderStatus(provider=provider, state=ProviderState.OK, requests=requests)


def test_requests_summed_over_shards_and_uncalled_live_provider_is_skipped() -> None:
    setup = (_status("alpaca"), _status("hf_llm"), _status("synthetic"))
    partials = [SimpleNamespace(provider_requests={"alpaca": 3, "hf_llm": 0}),
                SimpleNamespace(provider_requests={"alpaca": 4, "hf_llm": 0})]
    out = {s.provider: s for s in _with_requests(setup, partials)}  # type: ignore[arg-type]
    assert out["alpaca"].requests == 7 and out["alpaca"].state is ProviderState.OK
    assert out["hf_llm"].state is ProviderState.SKIPPED
    assert out["hf_llm"].detail == "not called by this run"
    assert out["synthetic"] == setup[2]  # no probe: an offline stand-in, as it was


def test_requests_sent_reads_each_live_clients_final_count() -> None:
    board = LiveStatusBoard()
    calls = {"n": 0}

    def probe() -> ProviderStatus:
        return _status("alpaca", calls["n"])

    board.watch("alpaca", probe)
    calls["n"] = 5  # the client sent five requests during the shard
    sources = SimpleNamespace(board=board, polymarket=None)
    assert _requests_sent(sources) == {"alpaca": 5}  # type: ignore[arg-type]
