"""The optimizer's reference run (``runs/optimizer/<run_id>/result.json``): what was
searched, how it was scored, on which data and windows, what won and how the winner did out
of sample. The nested reports are free-form JSON objects (their keys are documented where
they are built, :mod:`shared.backtest.tuning`); the fields the readiness board and the
governance gate read are typed here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.contracts.base import Contract

__all__ = ["OptimizerObjective", "OptimizerRun"]


class OptimizerObjective(Contract):
    name: Literal["log_loss", "hit_rate", "z", "sized_return"]
    direction: Literal["minimize", "maximize"]
    min_resolved: int = Field(ge=0)
    penalty: float
    description: str = Field(min_length=1)


class OptimizerRun(Contract):
    schema_version: Literal["1"] = "1"
    type: Literal["optimizer_run"] = "optimizer_run"
    run_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    bot: str = Field(min_length=1)
    objective: OptimizerObjective
    score_function: str = Field(min_length=1)
    sampler: Literal["tpe", "random"]
    pruner: str
    seed: int
    trials_requested: int = Field(ge=1)
    trials: dict[str, int]
    study_name: str
    storage: str
    data: dict[str, Any]
    windows: dict[str, Any]
    space: Literal["local", "full"]
    search_space: dict[str, dict[str, Any]]
    configured_params: dict[str, float]
    winning_params: dict[str, float]
    best_in_sample_value: float | None
    out_of_sample: dict[str, Any]
    honesty: str = Field(min_length=1)
