"""The wire contract: every record the product reads or writes is one of these models."""

from shared.contracts.artifacts import DigestMessage, ModelCall, RunInputs, TracerRun
from shared.contracts.base import (
    Contract,
    UtcDatetime,
    canonical_json,
    format_utc,
    sha256_hex,
)
from shared.contracts.envelope import (
    Authority,
    Decision,
    EnvelopeStatus,
    Evidence,
    Mode,
    ReportEnvelope,
)
from shared.contracts.manifest import BotMetrics, ProviderState, ProviderStatus, RunManifest
from shared.contracts.market import AssetClass, Bar, Timeframe
from shared.contracts.news import Narrative, SentimentLabel, SentimentScore
from shared.contracts.outcome import OutcomeStatus, SignalOutcome
from shared.contracts.signal import Direction, Forecast

__all__ = [
    "AssetClass",
    "Authority",
    "Bar",
    "BotMetrics",
    "Contract",
    "Decision",
    "DigestMessage",
    "Direction",
    "EnvelopeStatus",
    "Evidence",
    "Forecast",
    "ModelCall",
    "Mode",
    "Narrative",
    "OutcomeStatus",
    "ProviderState",
    "ProviderStatus",
    "ReportEnvelope",
    "RunInputs",
    "RunManifest",
    "SentimentLabel",
    "SentimentScore",
    "SignalOutcome",
    "Timeframe",
    "TracerRun",
    "UtcDatetime",
    "canonical_json",
    "format_utc",
    "sha256_hex",
]
