"""Which contracts get a committed JSON Schema, and how one is rendered.

The models of the wire contract (``SCHEMA_MODELS``) and of the artifact files keyed by their
``type`` field (``ARTIFACT_MODELS``) are listed here, on the contract floor, so the store can
validate artifacts against them. ``python -m shared.schemas.export`` writes these, plus the
bot-config schemas (which need the bots, a higher floor), to ``schemas/``.
"""

from __future__ import annotations

from pydantic import BaseModel

from shared.contracts import (
    Bar,
    Forecast,
    Narrative,
    ReportEnvelope,
    RunInputs,
    RunManifest,
    SentimentScore,
    TracerRun,
    canonical_json,
)
from shared.contracts.backtest import BacktestReport
from shared.contracts.evaluation import EvalSnapshot
from shared.contracts.monitor import CheckReport
from shared.contracts.optimizer import OptimizerRun
from shared.contracts.paper import DrillResult, PaperAccount, PaperRiskState, PaperSummary
from shared.contracts.universe import UniverseRun, UniverseShard

__all__ = ["ARTIFACT_MODELS", "SCHEMA_MODELS", "render_contract_schemas", "schema_text"]

# Every model listed here gets a committed schema; add new artifact types to both dicts.

# Models whose JSON files live under the artifact roots, keyed by their ``type`` field.
ARTIFACT_MODELS: dict[str, type[BaseModel]] = {
    "backtest_report": BacktestReport,
    "check_report": CheckReport,
    "drill_result": DrillResult,
    "paper_account": PaperAccount,
    "paper_risk_state": PaperRiskState,
    "optimizer_run": OptimizerRun,
    "paper_summary": PaperSummary,
    "tracer_run": TracerRun,
    "run_inputs": RunInputs,
    "eval_snapshot": EvalSnapshot,
    "universe_run": UniverseRun,
    "universe_shard": UniverseShard,
}

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "backtest_report": BacktestReport,
    "bar": Bar,
    "check_report": CheckReport,
    "drill_result": DrillResult,
    "paper_account": PaperAccount,
    "paper_risk_state": PaperRiskState,
    "paper_summary": PaperSummary,
    "eval_snapshot": EvalSnapshot,
    "forecast": Forecast,
    "narrative": Narrative,
    "optimizer_run": OptimizerRun,
    "report_envelope": ReportEnvelope,
    "run_inputs": RunInputs,
    "run_manifest": RunManifest,
    "sentiment_score": SentimentScore,
    "tracer_run": TracerRun,
    "universe_run": UniverseRun,
    "universe_shard": UniverseShard,
}


def schema_text(name: str, model: type[BaseModel]) -> str:
    """``model``'s JSON Schema (serialization mode, draft 2020-12) as canonical JSON text,
    with ``$id`` ``<name>.schema.json``."""
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{name}.schema.json"
    return canonical_json(schema)


def render_contract_schemas() -> dict[str, str]:
    """``{file name: JSON text}`` for every contract schema."""
    return {f"{name}.schema.json": schema_text(name, model)
            for name, model in sorted(SCHEMA_MODELS.items())}
