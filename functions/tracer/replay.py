"""``tb replay RUN_ID``: re-run a recorded tracer run from its record alone, and compare.

The record is the run's three files: ``tracer-<id>.json`` (decisions, manifest),
``.inputs.json`` (narratives with fetch times, sentiment scores and checks, every model call,
the prior triggers, the effective config) and ``.bars.parquet``. The replay verifies the
manifest's digests of the two siblings, rebuilds :class:`Sources` from the record only —
bars from the Parquet file, narratives, scores and checks from the inputs, each provider's
recorded status and failures — and runs the pure core again with the recorded seed, as-of,
symbol, git SHA, feed and config. It never builds a client and never touches the network.

Identical means: the re-run's run artifact equals the recorded one byte for byte as
canonical JSON, and so do its inputs record and its Parquet bars, after normalising only
what the core does not decide:

* ``digest.delivery``, Telegram's status and the ``NOTIFY_FAILED`` reason, which record what
  happened when the digest was sent after the run (delivery is never replayed);
* decision latencies (``--timings``), which are wall time.

A recorded model call whose answer was too long to keep whole (``response_truncated``, see
:class:`~shared.providers._http.MemoryRecorder`) cannot be replayed byte for byte: the report
says so in ``notes``, one line per such call. The decision still replays, from the parsed
narratives, scores and checks the inputs record keeps whole.

Provider health is an input, not a decision: recorded statuses are restored as they were
(a provider that failed fails again, with its recorded reason code), and every reason the
core derives from them (fallbacks, dropped checks, stale data) is recomputed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from functions.tracer.persist import stored_form
from functions.tracer.run import TracerRequest, run
from shared.bots.registry import BOTS
from shared.contracts import (
    Mode,
    Narrative,
    ProviderState,
    ProviderStatus,
    RunInputs,
    SentimentScore,
    Timeframe,
    TracerRun,
    canonical_json,
    sha256_hex,
    text_key,
)
from shared.contracts.signal import PriorTrigger
from shared.errors import ArtifactError, PipelineError, ProviderError
from shared.pipeline.live import LiveStatusBoard
from shared.pipeline.settings import PipelineSettings, TracerConfig
from shared.pipeline.sources import CallLog, Sources
from shared.reason_codes import default_registry
from shared.signal.config import BotSettings, SignalConfig
from shared.store.atomic import parquet_bytes
from shared.store.bars import BARS_DIR, is_slice_path, join_slices
from shared.store.identity import is_run_id
from shared.store.layout import tracer_run_paths
from shared.store.readers import find_tracer_run, parse_artifact, read_bytes

__all__ = ["Record", "ReplayReport", "load_record", "replay_run", "replay_sources",
           "truncated_calls"]

MAX_DIFFERENCES = 25
_MARKET_PROVIDERS = ("alpaca", "synthetic", "replay")
_NEWS_PROVIDERS = ("perplexity", "synthetic", "replay")
_NOT_REPLAYED_REASONS = frozenset({"NOTIFY_FAILED"})
_DELIVERY_PROVIDER = "telegram"  # its status is added by the delivery, after the run


@dataclass(frozen=True)
class Record:
    """A recorded run as read from disk; ``problems`` lists digest mismatches."""

    run: TracerRun
    inputs: RunInputs
    inputs_bytes: bytes
    bars: pd.DataFrame  # without the symbol column
    bars_bytes: bytes
    problems: tuple[str, ...] = ()
    slices: tuple[str, ...] = ()  # the bar store's slices it references; () = one bars file


@dataclass(frozen=True)
class ReplayReport:
    run_id: str
    identical: bool
    differences: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)  # what could not be replayed

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"run_id": self.run_id, "identical": self.identical,
                               "differences": list(self.differences)}
        if self.notes:
            doc["notes"] = list(self.notes)
        return doc


class RecordedFailure(ProviderError):
    """A provider failure replayed from the record, with the recorded reason code."""

    def __init__(self, status: ProviderStatus) -> None:
        super().__init__(f"{status.provider} failed in the recorded run: {status.detail}",
                         provider=status.provider)
        self.reason_code = status.reason_codes[0] if status.reason_codes else "PROVIDER_ERROR"


def replay_run(run_id: str, artifacts_dir: Path) -> ReplayReport:
    """Re-run ``run_id`` from its record under ``artifacts_dir`` and compare.

    Raises :class:`ArtifactError` naming the file when the record is missing or unreadable.
    """
    record = load_record(run_id, artifacts_dir)
    differences = list(record.problems)
    notes = truncated_calls(record.inputs)
    try:
        result = run(_request(record), sources=replay_sources(record),
                     registry=default_registry())
    except PipelineError as e:
        differences.append(f"the record cannot be replayed: {e}")
        return ReplayReport(run_id, False, tuple(differences[:MAX_DIFFERENCES]), notes)
    rerun, rerun_inputs = result.run, result.inputs
    if record.slices:  # recorded in the bar store: compare in the store's form
        stored = stored_form(result)
        rerun, rerun_inputs = stored.run, stored.inputs
        if tuple(sorted(f.relpath for f in stored.slices)) != record.slices:
            differences.append("bars: the re-run's day slices differ from the recorded ones")
    differences += _diff(_normalised(record.run), _normalised(rerun), "run")
    recorded_inputs = json.loads(record.inputs_bytes)
    differences += _diff(recorded_inputs, json.loads(canonical_json(rerun_inputs)), "inputs")
    if record.bars_bytes != result.bars_parquet:
        differences.append("bars: the re-run's Parquet bytes differ from the recorded file")
    if len(differences) > MAX_DIFFERENCES:
        more = len(differences) - MAX_DIFFERENCES
        differences = [*differences[:MAX_DIFFERENCES], f"... and {more} more"]
    return ReplayReport(run_id, not differences, tuple(differences), notes)


def truncated_calls(inputs: RunInputs) -> tuple[str, ...]:
    """One line per recorded model call whose answer was cut (not replayable byte for byte)."""
    return tuple(
        f"model_calls[{index}] ({call.provider} {call.endpoint}): cannot be replayed byte for "
        f"byte: the record keeps {cut.kept_chars} of the answer's {cut.chars} characters "
        f"(sha256 {cut.sha256} of its {cut.utf8_bytes} UTF-8 bytes); the decision replays "
        "from the parsed inputs"
        for index, call in enumerate(inputs.model_calls)
        if (cut := call.response_truncated) is not None
    )


def load_record(run_id: str, root: Path) -> Record:
    """Find and read ``runs/*/tracer-<run_id>.json`` and its siblings; check the digests."""
    if not is_run_id(run_id):
        raise ArtifactError(f"{run_id!r} is not a run id (16 hex digits)")
    found = find_tracer_run(root, run_id)
    recorded = parse_artifact(found, read_bytes(found), TracerRun)
    paths = tracer_run_paths(recorded.as_of, run_id)
    inputs_path = root / paths["inputs"]
    inputs_bytes = read_bytes(inputs_path)
    files = recorded.manifest.files
    slices = tuple(sorted(name for name in files if is_slice_path(name)))
    if paths["bars"] in files or not slices:  # recorded before the bar store: one file
        bars_path = root / paths["bars"]
        bars_bytes = read_bytes(bars_path)
        blobs = [(paths["bars"], bars_bytes)]
        bars = _bars(bars_path, bars_bytes, recorded.symbol)
        slices = ()
    else:
        blobs = [(name, read_bytes(root / name)) for name in slices]
        joined = join_slices(blobs)
        bars_bytes = parquet_bytes(joined)  # the whole window, as the run digested it
        bars = _bars(root / BARS_DIR, bars_bytes, recorded.symbol)
    problems = [
        f"{name}: sha256 does not match the run's manifest (changed after the run)"
        for name, data in ((paths["inputs"], inputs_bytes), *blobs)
        if files.get(name) != sha256_hex(data)
    ]
    inputs = parse_artifact(inputs_path, inputs_bytes, RunInputs)
    if inputs.run_id != run_id:
        raise ArtifactError(f"{inputs_path}: records run {inputs.run_id}, not {run_id}")
    return Record(recorded, inputs, inputs_bytes, bars, bars_bytes, tuple(problems), slices)


def replay_sources(record: Record) -> Sources:
    """Sources that answer exactly what the recorded run's sources answered."""
    statuses = {s.provider: s for s in record.run.manifest.provider_statuses
                if s.provider != _DELIVERY_PROVIDER}
    board = _RecordedBoard()
    board.statuses.update(statuses)
    board.restored = frozenset(statuses)
    market_name = _first_present(statuses, _MARKET_PROVIDERS, "market")
    news_name = _first_present(statuses, _NEWS_PROVIDERS, "news")
    sentiment_name = "hf_finbert" if "hf_finbert" in statuses else "sentiment"
    inputs = record.inputs
    scores = _RecordedScorer({s.text_sha256: s for s in inputs.sentiment}, "recorded")
    primary = _RecordedScorer(scores.scores, "recorded", _failure(statuses, sentiment_name))
    checks: dict[str, SentimentScore | None] = {}
    if inputs.sentiment_checks:
        if len(inputs.sentiment_checks) != len(inputs.narratives):
            raise ArtifactError("the inputs record has sentiment checks that are not one per "
                                "narrative")
        checks = {text_key(n.headline): c
                  for n, c in zip(inputs.narratives, inputs.sentiment_checks, strict=True)}
    checker_status = statuses.get("hf_llm") or ProviderStatus(
        provider="hf_llm", state=ProviderState.FAILED, reason_codes=("PROVIDER_ERROR",))
    return Sources(
        feed_name=inputs.feed,
        market=_RecordedMarket(record.bars, record.run.symbol,
                               _failure(statuses, market_name)),
        news=_RecordedNews(inputs.narratives, _failure(statuses, news_name)),
        primary_scorer=primary,
        fallback_scorer=scores if sentiment_name == "hf_finbert" else None,
        board=board,
        call_log=CallLog(calls=list(inputs.model_calls)),
        market_provider=market_name,
        news_provider=news_name,
        sentiment_provider=sentiment_name,
        checker=_RecordedChecker(checks, checker_status) if checks else None,
        checker_provider="hf_llm",
    )


def replay_settings(config: dict[str, Any]) -> PipelineSettings:
    """The effective config a run recorded, as settings (a config this code cannot load is
    an :class:`ArtifactError`)."""
    try:
        bots = {name: (Mode(entry["mode"]), BOTS[name].bot_class.config_model
                       .model_validate_json(json.dumps(entry["params"])))
                for name, entry in config["bots"].items()}
        return PipelineSettings(
            tracer=TracerConfig.model_validate_json(json.dumps(config["tracer"])),
            signal=SignalConfig.model_validate_json(json.dumps(config["signal"])),
            bots=BotSettings(bots=bots),
        )
    except (KeyError, TypeError, ValueError) as e:  # ValidationError is a ValueError
        raise ArtifactError(f"the recorded config cannot be loaded by this code: {e}") from e


@dataclass
class _RecordedBoard(LiveStatusBoard):
    # Restored statuses are final: what the re-run reports about them is already recorded.
    restored: frozenset[str] = frozenset()

    def set(self, provider: str, state: ProviderState, detail: str = "") -> None:
        if provider not in self.restored:
            super().set(provider, state, detail)

    def fail(self, provider: str, reason_code: str, detail: str) -> None:
        if provider not in self.restored:
            super().fail(provider, reason_code, detail)


class _RecordedMarket:
    name = "recorded"

    def __init__(self, bars: pd.DataFrame, symbol: str, failure: ProviderError | None) -> None:
        self.frame, self.symbol, self.failure = bars, symbol, failure

    def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
             timeframe: Timeframe) -> dict[str, pd.DataFrame]:
        if self.failure is not None:
            raise self.failure
        return {s: self.frame if s == self.symbol else self.frame.iloc[0:0] for s in symbols}


class _RecordedNews:
    name = "recorded"

    def __init__(self, items: Sequence[Narrative], failure: ProviderError | None) -> None:
        self.items, self.failure = list(items), failure

    def narratives(self, symbols: Sequence[str], *, start: datetime,
                   end: datetime) -> list[Narrative]:
        if self.failure is not None:
            raise self.failure
        return list(self.items)  # exactly what the feed answered, in its order


class _RecordedScorer:
    def __init__(self, scores: dict[str, SentimentScore], model_id: str,
                 failure: ProviderError | None = None) -> None:
        self.scores, self.model_id, self.failure = scores, model_id, failure

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        if self.failure is not None:
            raise self.failure
        return [self._lookup(text) for text in texts]

    def _lookup(self, text: str) -> SentimentScore:
        try:
            return self.scores[text_key(text)]
        except KeyError:
            raise ArtifactError(f"the inputs record has no sentiment score for {text[:80]!r} "
                                "(was it changed after the run?)") from None


class _RecordedChecker:
    model_id = "recorded-check"

    def __init__(self, checks: dict[str, SentimentScore | None], status: ProviderStatus) -> None:
        self.checks, self.status = checks, status

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        out = []
        for text in texts:
            key = text_key(text)
            if key not in self.checks:
                raise ArtifactError(f"the inputs record has no sentiment check for "
                                    f"{text[:80]!r} (was it changed after the run?)")
            check = self.checks[key]
            if check is None:
                raise RecordedFailure(self.status)
            out.append(check)
        return out


def _request(record: Record) -> TracerRequest:
    recorded = record.run
    return TracerRequest(
        as_of=recorded.as_of,
        seed=recorded.manifest.seed,
        settings=replay_settings(record.inputs.config),
        git_sha=recorded.manifest.git_sha,
        symbol=recorded.symbol,
        prior_triggers=tuple(PriorTrigger.model_validate_json(t.model_dump_json())
                             for t in record.inputs.prior_triggers),
    )


def _first_present(statuses: dict[str, ProviderStatus], names: Sequence[str],
                   default: str) -> str:
    return next((name for name in names if name in statuses), default)


def _failure(statuses: dict[str, ProviderStatus], name: str) -> ProviderError | None:
    status = statuses.get(name)
    if status is None or status.state is not ProviderState.FAILED:
        return None
    return RecordedFailure(status)


def _normalised(recorded: TracerRun) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(canonical_json(recorded))
    doc["digest"]["delivery"] = "printed"
    manifest = doc["manifest"]
    manifest["degraded_reasons"] = [code for code in manifest["degraded_reasons"]
                                    if code not in _NOT_REPLAYED_REASONS]
    manifest["degraded"] = bool(manifest["degraded_reasons"])
    manifest["provider_statuses"] = [s for s in manifest["provider_statuses"]
                                     if s["provider"] != _DELIVERY_PROVIDER]
    for bot in manifest["bots"]:
        bot["decision_latency_ms"] = None
    for envelope in doc["envelopes"]:
        envelope["latency_ms"] = None
    return doc


def _diff(recorded: Any, replayed: Any, path: str) -> list[str]:
    if type(recorded) is not type(replayed):
        return [f"{path}: recorded {_short(recorded)}, replayed {_short(replayed)}"]
    if isinstance(recorded, dict):
        out: list[str] = []
        for key in sorted(set(recorded) | set(replayed)):
            if key not in recorded or key not in replayed:
                side = "replayed only" if key not in recorded else "recorded only"
                out.append(f"{path}/{key}: {side}")
            else:
                out += _diff(recorded[key], replayed[key], f"{path}/{key}")
        return out
    if isinstance(recorded, list):
        if len(recorded) != len(replayed):
            return [f"{path}: recorded {len(recorded)} items, replayed {len(replayed)}"]
        return [d for i, (a, b) in enumerate(zip(recorded, replayed, strict=True))
                for d in _diff(a, b, f"{path}/{i}")]
    return [] if recorded == replayed else [
        f"{path}: recorded {_short(recorded)}, replayed {_short(replayed)}"]


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _bars(path: Path, data: bytes, symbol: str) -> pd.DataFrame:
    try:
        frame = pq.read_table(io.BytesIO(data)).to_pandas()
    except Exception as e:  # noqa: BLE001 - pyarrow raises several unrelated types
        raise ArtifactError(f"{path}: not a readable Parquet file ({type(e).__name__})") from None
    if "symbol" not in frame.columns:
        raise ArtifactError(f"{path}: bars file has no symbol column")
    rows = frame.loc[frame["symbol"] == symbol]
    return rows.drop(columns="symbol").reset_index(drop=True)
