"""Write ``schemas/<name>.schema.json`` from the pydantic contracts.

Never edit a schema by hand: run ``python -m shared.schemas.export`` (``--check`` fails when
the committed files differ from what the models generate, which CI runs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
from shared.contracts.universe import UniverseRun, UniverseShard

__all__ = ["ARTIFACT_MODELS", "SCHEMA_MODELS", "main", "render_schema", "render_schemas"]

# Every model listed here gets a committed schema; add new artifact types to both dicts.

# Models whose JSON files live under the artifact roots, keyed by their ``type`` field.
ARTIFACT_MODELS: dict[str, type[BaseModel]] = {
    "backtest_report": BacktestReport,
    "tracer_run": TracerRun,
    "run_inputs": RunInputs,
    "eval_snapshot": EvalSnapshot,
    "check_report": CheckReport,
    "universe_run": UniverseRun,
    "universe_shard": UniverseShard,
}

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "backtest_report": BacktestReport,
    "bar": Bar,
    "check_report": CheckReport,
    "eval_snapshot": EvalSnapshot,
    "forecast": Forecast,
    "narrative": Narrative,
    "report_envelope": ReportEnvelope,
    "run_inputs": RunInputs,
    "run_manifest": RunManifest,
    "sentiment_score": SentimentScore,
    "tracer_run": TracerRun,
    "universe_run": UniverseRun,
    "universe_shard": UniverseShard,
}


def render_schema(name: str) -> str:
    """The JSON text of one contract schema (a run validates two kinds: rendering only those
    keeps ``tb run`` fast)."""
    schema = SCHEMA_MODELS[name].model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{name}.schema.json"
    return canonical_json(schema)


def render_schemas() -> dict[str, str]:
    """Return ``{file name: JSON text}`` for every contract schema."""
    return {f"{name}.schema.json": render_schema(name) for name in sorted(SCHEMA_MODELS)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("schemas"))
    parser.add_argument("--check", action="store_true", help="fail if files differ")
    args = parser.parse_args(argv)
    rendered = render_schemas()
    drift: list[str] = []
    args.out.mkdir(parents=True, exist_ok=True)
    existing = {p.name for p in args.out.glob("*.schema.json")}
    for name, text in rendered.items():
        path = args.out / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            drift.append(name)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    for stale in sorted(existing - rendered.keys()):
        drift.append(stale)
        if not args.check:
            (args.out / stale).unlink()
    if args.check and drift:
        print("schema drift (run: python -m shared.schemas.export):", *drift, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
