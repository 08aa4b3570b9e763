"""Top-level artifact records. Each carries ``schema_version``, ``type`` and the manifest.

* ``TracerRun``   — ``runs/<YYYY-MM-DD>/<run_id>.json``: decisions, forecast, digest.
* ``RunInputs``   — ``runs/<YYYY-MM-DD>/<run_id>.inputs.json``: everything the decisions were
  made from (narratives with fetch times, sentiment scores, every model call), so a run can be
  replayed byte for byte. Bars sit beside it as ``<run_id>.bars.parquet``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, JsonValue, SerializerFunctionWrapHandler, model_serializer

from shared.contracts.base import Contract, UtcDatetime
from shared.contracts.envelope import ReportEnvelope
from shared.contracts.manifest import RunManifest
from shared.contracts.news import Narrative, SentimentScore
from shared.contracts.outcome import SignalOutcome
from shared.contracts.signal import Forecast, PriorTrigger

__all__ = ["DigestMessage", "ModelCall", "RunInputs", "TracerRun", "TruncatedText"]


class DigestMessage(Contract):
    """The human digest of a run: MarkdownV2 parts, each under Telegram's limit."""

    trace_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    parts: tuple[str, ...] = Field(min_length=1)
    delivery: Literal["printed", "sent", "heartbeat", "withheld", "send_failed"] = Field(
        description="printed: no Telegram keys; sent: the digest went out; heartbeat: only the "
        "daily heartbeat line went out; withheld: a quiet run config/notify.yaml does not send; "
        "send_failed: Telegram refused or was unreachable")


class TruncatedText(Contract):
    """What a record kept of a text too long to keep whole: the first ``kept_chars``
    characters, and the whole text's length, UTF-8 size and sha256."""

    chars: int = Field(ge=0)
    utf8_bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    kept_chars: int = Field(ge=0)


class ModelCall(Contract):
    """One request to a model or news API and its raw response, for replay.

    A response longer than the recorder's cap keeps only its beginning; then
    ``response_truncated`` says so and names the whole answer (the key is absent otherwise,
    so records of answers kept whole are unchanged)."""

    provider: str
    endpoint: str
    request_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    request: str
    response: str | None
    error: str | None = None
    response_truncated: TruncatedText | None = None

    @model_serializer(mode="wrap")
    def _omit_untruncated(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("response_truncated") is None:
            data.pop("response_truncated", None)
        return data


class TracerRun(Contract):
    schema_version: Literal["1"] = "1"
    type: Literal["tracer_run"] = "tracer_run"
    run_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    as_of: UtcDatetime
    symbol: str
    manifest: RunManifest
    outcome: SignalOutcome
    envelopes: tuple[ReportEnvelope, ...] = Field(min_length=1)
    forecast: Forecast | None
    digest: DigestMessage


class RunInputs(Contract):
    schema_version: Literal["1"] = "1"
    type: Literal["run_inputs"] = "run_inputs"
    run_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    as_of: UtcDatetime
    feed: str
    symbols: tuple[str, ...] = Field(min_length=1)
    bars_file: str
    config: dict[str, JsonValue] = Field(
        description="the effective tracer and bot config the run used (for replay)"
    )
    narratives: tuple[Narrative, ...] = ()
    sentiment: tuple[SentimentScore, ...] = ()
    sentiment_checks: tuple[SentimentScore | None, ...] = Field(
        default=(), description="the LLM polarity check per narrative (empty when not used)"
    )
    model_calls: tuple[ModelCall, ...] = ()
    prior_triggers: tuple[PriorTrigger, ...] = Field(
        default=(), description="effective triggers before as_of that the cooldown used"
    )
