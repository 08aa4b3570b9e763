"""The wire contract: every record the product reads or writes is one of these models."""

from shared.contracts.artifacts import (
    DigestMessage,
    ModelCall,
    RunInputs,
    TracerRun,
    TruncatedText,
)
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
from shared.contracts.frames import BAR_COLUMNS, empty_bars_frame, validate_bars_frame
from shared.contracts.manifest import BotMetrics, ProviderState, ProviderStatus, RunManifest
from shared.contracts.market import AssetClass, Bar, Timeframe
from shared.contracts.news import (
    Narrative,
    SentimentLabel,
    SentimentScore,
    normalize_text,
    text_key,
)
from shared.contracts.outcome import OutcomeStatus, SignalOutcome, confidence_word
from shared.contracts.signal import (
    Candidate,
    Direction,
    Forecast,
    PriorTrigger,
    SignalFeatures,
)

__all__ = [
    "BAR_COLUMNS",
    "AssetClass",
    "Authority",
    "Bar",
    "BotMetrics",
    "Candidate",
    "Contract",
    "Decision",
    "DigestMessage",
    "Direction",
    "EnvelopeStatus",
    "Evidence",
    "Forecast",
    "Mode",
    "ModelCall",
    "Narrative",
    "OutcomeStatus",
    "PriorTrigger",
    "ProviderState",
    "ProviderStatus",
    "ReportEnvelope",
    "RunInputs",
    "RunManifest",
    "SentimentLabel",
    "SentimentScore",
    "SignalFeatures",
    "SignalOutcome",
    "Timeframe",
    "TracerRun",
    "TruncatedText",
    "UtcDatetime",
    "canonical_json",
    "confidence_word",
    "empty_bars_frame",
    "format_utc",
    "normalize_text",
    "sha256_hex",
    "text_key",
    "validate_bars_frame",
]
