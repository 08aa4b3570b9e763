"""``tb run --live`` through the real clients against loopback stand-ins for all five services:
valid, replayable artifacts whatever the services answer, every failure in the manifest, and
no secret anywhere."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from functions.cli import cli
from shared.contracts import Narrative, ProviderState, ProviderStatus, RunInputs, TracerRun
from shared.errors import ProviderError
from shared.pipeline.live import NEWS_FETCHED_AFTER_AS_OF, LiveNews, LiveStatusBoard, merge_status
from shared.providers import perplexity
from shared.providers._http import ModelOutputInvalid, TransientHttpError
from shared.reason_codes import Severity, default_registry
from shared.settings import uninstall_redaction
from shared.store.validate import validate_tree
from tests.helpers.live_servers import FAULTS, SECRETS, LiveServices
from tests.helpers.tree import snapshot, tb

LIVE_PROVIDERS = ("alpaca", "hf_finbert", "hf_llm", "perplexity")
CODE_OF_FAULT = {
    "down": "PROVIDER_TRANSIENT",
    "http_500": "PROVIDER_TRANSIENT",
    "http_429": "PROVIDER_TRANSIENT",
    "slow": "PROVIDER_TRANSIENT",
    "garbage": "PROVIDER_BAD_RESPONSE",
    "wrong_shape": "PROVIDER_BAD_RESPONSE",
    "empty": "PROVIDER_BAD_RESPONSE",  # an empty answer is not a valid one for these
    "http_401": "PROVIDER_AUTH",
}
TRANSIENT = {"down", "http_500", "http_429", "slow"}
CANARIES = {
    "APCA_API_KEY_ID": "CANARY-apca-key-id-5f1e",
    "APCA_API_SECRET_KEY": "CANARY-apca-secret-9b2c",
    "PPLX_API_KEY": "pplx-CANARY-7d3a",
    "HF_TOKEN": "hf_CANARY4e8f",
    "TELEGRAM_BOT_TOKEN": "7000000001:CANARY-bot-token-1a2b",
    "TELEGRAM_CHAT_ID": "-100CANARY42",
}


def _hour(offset_hours: int = 0) -> str:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return (now + timedelta(hours=offset_hours)).isoformat().replace("+00:00", "Z")


# The next full hour: news fetched now is available then, and the last closed bar is fresh.
AS_OF_AHEAD = 1


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    yield
    uninstall_redaction()


def _artifacts(root: Path) -> tuple[TracerRun, RunInputs]:
    (run_file,) = (p for p in root.glob("runs/*/tracer-*.json")
                   if not p.name.endswith(".inputs.json"))
    recorded = TracerRun.model_validate_json(run_file.read_bytes())
    inputs_file = run_file.with_name(run_file.name.replace(".json", ".inputs.json"))
    return recorded, RunInputs.model_validate_json(inputs_file.read_bytes())


def _run_in_process(env: dict[str, str], root: Path, as_of: str) -> TracerRun:
    done = CliRunner().invoke(
        cli, ["run", "--live", "--seed", "7", "--as-of", as_of, "--artifacts-dir", str(root)],
        env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    uninstall_redaction()
    count, problems = validate_tree(root)
    slices = len(list(root.glob("runs/bars/*.parquet")))
    assert slices >= 1 and count == 2 + slices and problems == [], problems
    return _artifacts(root)[0]


def _replay_in_process(root: Path, run_id: str) -> dict[str, Any]:
    done = CliRunner().invoke(cli, ["replay", run_id, "--artifacts-dir", str(root)],
                              catch_exceptions=False)
    report: dict[str, Any] = json.loads(done.output)
    assert done.exit_code == (0 if report["identical"] else 1)
    return report


def _statuses(recorded: TracerRun) -> dict[str, ProviderStatus]:
    return {s.provider: s for s in recorded.manifest.provider_statuses}


# ---------------------------------------------------------------- end to end, subprocess


def test_tb_run_live_subprocess_healthy_services_is_valid_complete_and_replays(
    tmp_path: Path,
) -> None:
    root = tmp_path / "artifacts"
    with LiveServices() as services:
        env = services.env(tmp_path / "cache")
        done = tb("run", "--live", "--seed", "7", "--as-of", _hour(AS_OF_AHEAD),
                  "--artifacts-dir", str(root), env=env)
        assert done.returncode == 0, done.stderr
        assert services.requests_to("telegram") == 1  # the digest was sent, not printed
        assert services.requests_to("polymarket") == 0  # the tracer has no Polymarket part
    assert tb("validate", "--artifacts-dir", str(root)).returncode == 0

    recorded, inputs = _artifacts(root)
    manifest = recorded.manifest
    assert manifest.feed == "live" and manifest.degraded is False
    statuses = _statuses(recorded)
    assert sorted(statuses) == [*LIVE_PROVIDERS, "telegram"]
    assert all(s.state is ProviderState.OK and s.requests >= 1 for s in statuses.values())
    assert recorded.digest.delivery == "sent"
    assert len(inputs.narratives) == 3 and len(inputs.sentiment) == 3
    assert [c is not None for c in inputs.sentiment_checks] == [True, True, True]
    assert {s.model for s in inputs.sentiment} == {"ProsusAI/finbert"}
    endpoints = sorted((c.provider, c.endpoint) for c in inputs.model_calls)
    assert endpoints == [("hf_finbert", "text-classification")] * 3 + [
        ("hf_llm", "chat/completions")] * 3 + [("perplexity", "chat/completions")]
    assert all(c.response and c.error is None for c in inputs.model_calls)
    assert all(n.fetched_at <= recorded.as_of for n in inputs.narratives)

    # The services are gone: the replay reads the record only.
    replayed = tb("replay", recorded.run_id, "--artifacts-dir", str(root), env=env)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert json.loads(replayed.stdout) == {
        "run_id": recorded.run_id, "identical": True, "differences": []}


def test_tb_run_live_second_run_scores_from_the_sentiment_cache(tmp_path: Path) -> None:
    with LiveServices() as services:
        env = services.env(tmp_path / "cache")
        first = _run_in_process(env, tmp_path / "a", _hour(AS_OF_AHEAD))
        second = _run_in_process(env, tmp_path / "b", _hour(AS_OF_AHEAD))
    assert (tmp_path / "cache" / "sentiment.sqlite").is_file()
    assert _statuses(first)["hf_finbert"].requests == 3
    assert _statuses(second)["hf_finbert"].requests == 0  # every headline was cached
    assert _statuses(second)["hf_finbert"].state is ProviderState.OK
    assert _artifacts(tmp_path / "a")[1].sentiment == _artifacts(tmp_path / "b")[1].sentiment
    assert first.manifest.degraded is second.manifest.degraded is False


def test_tb_run_live_past_as_of_keeps_later_news_out_of_the_decision(tmp_path: Path) -> None:
    with LiveServices() as services:
        recorded = _run_in_process(services.env(tmp_path / "cache"), tmp_path, _hour(-1))
    inputs = _artifacts(tmp_path)[1]
    news = _statuses(recorded)["perplexity"]
    assert news.state is ProviderState.OK
    assert news.reason_codes == ("NEWS_FETCHED_AFTER_AS_OF",)
    assert default_registry().severity("NEWS_FETCHED_AFTER_AS_OF") is Severity.INFO
    assert recorded.manifest.degraded is False
    assert inputs.narratives == ()  # fetched after as-of: not available then
    (call,) = [c for c in inputs.model_calls if c.provider == "perplexity"]
    assert call.response is not None and "rallies" in call.response  # but recorded raw
    assert "DIV_NO_NARRATIVE" in recorded.outcome.reason_codes
    assert _replay_in_process(tmp_path, recorded.run_id)["identical"] is True


def test_tb_run_live_without_as_of_decides_after_fetching_and_uses_the_news(
    tmp_path: Path,
) -> None:
    """The scheduled case: no --as-of. The run fetches first and takes its as-of after, so
    every headline it fetched was available at decision time and enters the decision."""
    before = datetime.now(UTC)
    with LiveServices() as services:
        done = CliRunner().invoke(
            cli, ["run", "--live", "--seed", "7", "--artifacts-dir", str(tmp_path)],
            env=services.env(tmp_path / "cache"), catch_exceptions=False)
    uninstall_redaction()
    assert done.exit_code == 0, done.output
    recorded, inputs = _artifacts(tmp_path)
    assert before < recorded.as_of <= datetime.now(UTC) + timedelta(seconds=1)
    assert inputs.narratives, "the news fetched by the run must be in its decision"
    assert all(n.fetched_at <= recorded.as_of for n in inputs.narratives)
    assert "NEWS_FETCHED_AFTER_AS_OF" not in _statuses(recorded)["perplexity"].reason_codes
    assert "DIV_NO_NARRATIVE" not in recorded.outcome.reason_codes
    assert validate_tree(tmp_path)[1] == []
    assert _replay_in_process(tmp_path, recorded.run_id)["identical"] is True


def test_tb_run_live_without_keys_is_the_offline_run(tmp_path: Path) -> None:
    as_of = "2026-03-02T14:00:00Z"
    offline = CliRunner().invoke(cli, ["run", "--seed", "7", "--as-of", as_of,
                                       "--artifacts-dir", str(tmp_path / "offline")])
    live = CliRunner().invoke(cli, ["run", "--live", "--seed", "7", "--as-of", as_of,
                                    "--artifacts-dir", str(tmp_path / "live")],
                              env={"TB_CACHE_DIR": str(tmp_path / "cache")})
    assert offline.exit_code == live.exit_code == 0, live.output
    assert snapshot(tmp_path / "offline") == snapshot(tmp_path / "live")
    assert not (tmp_path / "cache").exists()  # no HF key: no model, no cache


def test_tb_run_live_one_retry_recovers_from_a_single_500(tmp_path: Path) -> None:
    with LiveServices({"alpaca": "flaky_500", "perplexity": "flaky_500"}) as services:
        env = {**services.env(tmp_path / "cache"), "TB_HTTP_MAX_RETRIES": "1"}
        recorded = _run_in_process(env, tmp_path, _hour(AS_OF_AHEAD))
    statuses = _statuses(recorded)
    assert statuses["alpaca"].state is ProviderState.OK and statuses["alpaca"].requests == 2
    assert statuses["perplexity"].requests == 2
    assert recorded.manifest.degraded is False


def test_tb_run_live_rejects_invalid_news_items_with_reason_codes(tmp_path: Path) -> None:
    with LiveServices({"perplexity": "mixed_items"}) as services:
        recorded = _run_in_process(services.env(tmp_path / "cache"), tmp_path,
                                   _hour(AS_OF_AHEAD))
    news = _statuses(recorded)["perplexity"]
    rejected = {"NEWS_ITEM_INVALID", "NEWS_PUBLISHED_UNPARSEABLE", "NEWS_PUBLISHED_IN_FUTURE"}
    assert news.state is ProviderState.DEGRADED and set(news.reason_codes) == rejected
    assert set(recorded.manifest.degraded_reasons) == rejected
    headlines = [n.headline for n in _artifacts(tmp_path)[1].narratives]
    assert len(headlines) == 3 and not {"Ether climbs", "Naive time"} & set(headlines)
    assert _replay_in_process(tmp_path, recorded.run_id)["identical"] is True


# ---------------------------------------------------------------- the fault matrix


def _expected(fault: str, target: str) -> tuple[set[str], dict[str, str]]:
    """(degraded reasons, {provider: state}) a run must report for ``fault`` at ``target``."""
    code = CODE_OF_FAULT[fault]
    ok = dict.fromkeys((*LIVE_PROVIDERS, "telegram"), "ok")
    if target in ("all", "telegram"):
        ok["telegram"] = "failed"
    if target == "all":
        # Bars fail first; the decision stops there (shared.pipeline), so neither the news
        # nor the models are called.
        if fault == "empty":
            return {"DATA_INSUFFICIENT_BARS", "NOTIFY_FAILED"}, ok
        return {code, "NOTIFY_FAILED"}, {**ok, "alpaca": "failed"}
    if target == "alpaca" and fault == "empty":
        return {"DATA_INSUFFICIENT_BARS"}, ok  # the source says: no bars in the window
    if target == "perplexity" and fault == "empty":
        return set(), ok  # the source says: no news (the only honest "no news")
    if target in ("alpaca", "perplexity"):
        return {code}, {**ok, target: "failed"}
    if target == "hf_finbert":
        return {code, "SENTIMENT_FALLBACK_OFFLINE"}, {**ok, target: "failed"}
    if target == "hf_llm":
        if fault in ("wrong_shape", "empty"):
            code = "MODEL_OUTPUT_INVALID"
        circuit = {"PROVIDER_CIRCUIT_OPEN"} if fault in TRANSIENT else set()
        return {code, "SENTIMENT_CHECK_DROPPED", *circuit}, {**ok, target: "failed"}
    if target == "telegram":
        return {"NOTIFY_FAILED"}, ok
    return set(), ok  # polymarket: the tracer does not call it


MATRIX = [(fault, target) for fault in FAULTS
          for target in ("all", "alpaca", "perplexity", "hf_finbert", "hf_llm", "telegram")]
MATRIX += [("down", "polymarket")]


@pytest.mark.parametrize(("fault", "target"), MATRIX, ids=[f"{f}-{t}" for f, t in MATRIX])
def test_tb_run_live_under_fault_exits_0_valid_degraded_and_replayable(
    tmp_path: Path, fault: str, target: str
) -> None:
    faults = dict.fromkeys(("alpaca", "perplexity", "hf_finbert", "hf_llm", "telegram",
                            "polymarket"), fault) if target == "all" else {target: fault}
    with LiveServices(faults) as services:
        recorded = _run_in_process(services.env(tmp_path / "cache"), tmp_path,
                                   _hour(AS_OF_AHEAD))

    reasons, states = _expected(fault, target)
    manifest = recorded.manifest
    assert set(manifest.degraded_reasons) == reasons
    assert manifest.degraded is bool(reasons)
    default_registry().check(manifest.degraded_reasons)
    assert {s.provider: s.state.value for s in manifest.provider_statuses} == states
    for name, status in _statuses(recorded).items():
        default_registry().check(status.reason_codes)
        if states[name] == "failed" and name != "telegram":
            assert status.reason_codes and set(status.reason_codes) <= reasons
        elif name == "telegram" and states[name] == "failed":
            assert status.reason_codes == (CODE_OF_FAULT[fault],)
    news_failed = states["perplexity"] == "failed"
    if news_failed or states["alpaca"] == "failed":
        # A failed provider is never "no news": the outcome says the data was unavailable.
        assert recorded.outcome.status.value == "failed"
        assert "PROVIDER_ERROR" in recorded.outcome.reason_codes
        assert "DIV_NO_NARRATIVE" not in recorded.outcome.reason_codes
    expected_delivery = "send_failed" if "NOTIFY_FAILED" in reasons else "sent"
    assert recorded.digest.delivery == expected_delivery
    assert _replay_in_process(tmp_path, recorded.run_id) == {
        "run_id": recorded.run_id, "identical": True, "differences": []}


# ---------------------------------------------------------------- secrets


@pytest.mark.parametrize("mode", ["healthy", "echo_error", "echo_content", "mixed"])
def test_tb_run_live_subprocess_never_writes_or_logs_a_canary_secret(
    tmp_path: Path, mode: str
) -> None:
    targets = ("alpaca", "perplexity", "hf_finbert", "hf_llm", "telegram", "polymarket")
    faults = {
        "healthy": {},
        "echo_error": dict.fromkeys(targets, "echo_error"),
        "echo_content": dict.fromkeys(("perplexity", "hf_llm", "telegram"), "echo_content"),
        "mixed": {"alpaca": "http_401", "hf_finbert": "echo_error", "hf_llm": "echo_content",
                  "telegram": "echo_error"},
    }[mode]
    root = tmp_path / "artifacts"
    with LiveServices(faults) as services:
        env = services.env(root / ".tb-cache", secrets=CANARIES)
        done = tb("-vvv", "run", "--live", "--seed", "7", "--as-of", _hour(AS_OF_AHEAD),
                  "--artifacts-dir", str(root), env=env)
        received = b" ".join(r.body + json.dumps(r.headers).encode() + r.path.encode()
                             for server in services.servers.values()
                             for r in server.requests)
    assert done.returncode == 0, done.stderr
    assert "INFO" in done.stderr and "DEBUG" in done.stderr  # -vvv really logged
    # When the bars fail the decision stops there (shared.pipeline), so Perplexity is not asked.
    asked = ("APCA_API_SECRET_KEY", "TELEGRAM_BOT_TOKEN",
             *(() if "alpaca" in faults else ("PPLX_API_KEY",)))
    for name in asked:
        assert CANARIES[name].encode() in received  # the servers did see the secrets
    files = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in files) and len(files) >= 4
    replayed = tb("replay", _artifacts(root)[0].run_id, "--artifacts-dir", str(root))
    assert replayed.returncode == 0, replayed.stdout
    if mode == "echo_content":  # the echoed secrets reached us, and were scrubbed
        (inputs_file,) = root.glob("runs/*/*.inputs.json")
        assert b"[REDACTED]" in inputs_file.read_bytes()
    outputs = {"stdout": done.stdout, "stderr": done.stderr, "replay": replayed.stdout}
    for name, canary in CANARIES.items():
        for path in files:
            assert canary.encode() not in path.read_bytes(), f"{name} in {path}"
        for where, text in outputs.items():
            assert canary not in text, f"{name} in {where}"


# ---------------------------------------------------------------- units


def test_every_code_the_live_providers_emit_is_registered() -> None:
    registry = default_registry()
    classes: list[type[ProviderError]] = [ProviderError]
    found: set[str] = set()
    while classes:
        cls = classes.pop()
        found.add(cls.reason_code)
        classes.extend(cls.__subclasses__())
    found |= {perplexity.REJECT_INVALID, perplexity.REJECT_PUBLISHED_IN_FUTURE,
              perplexity.REJECT_PUBLISHED_UNPARSEABLE, NEWS_FETCHED_AFTER_AS_OF,
              "SENTIMENT_CHECK_DROPPED", "SENTIMENT_FALLBACK_OFFLINE", "NOTIFY_FAILED"}
    assert {ModelOutputInvalid.reason_code, TransientHttpError.reason_code} <= found
    registry.check(found)
    # Informational by its severity, so it never degrades a run (ProviderHealth's rule).
    assert registry.severity(NEWS_FETCHED_AFTER_AS_OF) is Severity.INFO


def test_live_board_keeps_the_worse_state_and_info_codes_out_of_degraded_reasons() -> None:
    board = LiveStatusBoard()
    probed = ProviderStatus(provider="perplexity", state=ProviderState.OK,
                            reason_codes=("NEWS_FETCHED_AFTER_AS_OF",), requests=2)
    board.watch("perplexity", lambda: probed)
    board.fail("alpaca", TransientHttpError.reason_code, "down")
    board.watch("alpaca", lambda: ProviderStatus(provider="alpaca", state=ProviderState.DEGRADED,
                                                 reason_codes=("PROVIDER_BAD_RESPONSE",),
                                                 requests=3))
    assert board.reasons() == ("PROVIDER_BAD_RESPONSE", "PROVIDER_TRANSIENT")
    once = board.ordered()
    assert board.ordered() == once  # reading twice changes nothing
    alpaca = once[0]
    assert (alpaca.state, alpaca.requests) == (ProviderState.FAILED, 3)
    assert merge_status(alpaca, alpaca) == alpaca


def test_live_run_logs_which_sources_are_live(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="shared.pipeline.live")
    with LiveServices() as services:
        env = {k: v for k, v in services.env(tmp_path / "cache").items()
               if k not in ("PPLX_API_KEY", "HF_TOKEN")}
        recorded = _run_in_process(env, tmp_path, _hour(AS_OF_AHEAD))
    assert "market=alpaca news=synthetic sentiment=sentiment check=none feed=synthetic" in (
        caplog.text)
    assert recorded.manifest.feed == "synthetic"  # synthetic headlines: says nothing live
    states = {s.provider: s.state for s in recorded.manifest.provider_statuses}
    assert states == {"alpaca": ProviderState.OK, "sentiment": ProviderState.OFFLINE,
                      "synthetic": ProviderState.OFFLINE, "telegram": ProviderState.OK}


class _Guard:
    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, reason_code: str, detail: str) -> None:
        self.notes.append(reason_code)


class _StubNews:
    def __init__(self, items: list[Narrative]) -> None:
        self.items, self.guard = items, _Guard()

    def narratives(self, symbols: object, *, start: datetime, end: datetime) -> list[Narrative]:
        return self.items


def test_live_news_scrubs_echoed_secrets_and_drops_what_redaction_would_break() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    common: dict[str, Any] = {"source": "Wire", "symbols": ("BTC-USD",), "published_at": at,
                              "fetched_at": at}
    later = {**common, "fetched_at": at + timedelta(minutes=5)}
    stub = _StubNews([
        Narrative(narrative_id="long", headline="x" * 992 + "hf_k1234", **common),
        Narrative(narrative_id="echo", headline="Bitcoin up hf_k1234", **common),
        Narrative(narrative_id="late", headline="Fetched after as-of", **later),
    ])
    news = LiveNews(stub, ("hf_k1234",))  # type: ignore[arg-type]
    kept = news.narratives(["BTC-USD"], start=at - timedelta(days=1), end=at)
    assert [n.headline for n in kept] == ["Bitcoin up [REDACTED]"]
    assert stub.guard.notes == ["NEWS_ITEM_INVALID"] and news.fetched_after_end == 1
