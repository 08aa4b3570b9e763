"""Backtest/4: whether the bot is reproducibly tunable on a known feed (no stronger claim)."""

from __future__ import annotations

from shared.bots.base import search_space as generated_space
from shared.contracts import ReportEnvelope
from shared.contracts.optimizer import OptimizerRun
from shared.readiness.evidence import Item, Tree
from shared.readiness.facts import search_space
from shared.store.layout import OPTIMIZER_DIR

__all__ = ["TITLES", "check_backtest"]

TITLES = ("synthetic fixture exists and the tests load it",
          "recorded envelope timeline checked in", "SEARCH_SPACE covers every parameter",
          "optimizer reference run on file")


def check_backtest(tree: Tree, name: str) -> list[Item]:
    results = [_fixtures(tree, name), _timeline(tree, name), _space(tree, name),
               _reference(tree, name)]
    return [Item(n, title, ok, why)
            for n, (title, (ok, why)) in enumerate(zip(TITLES, results, strict=True), start=1)]


def _fixtures(tree: Tree, name: str) -> tuple[bool, str]:
    folder = tree.entry(name).fixtures_dir
    found = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not found:
        return False, f"{tree.rel(folder)}: no fixture"
    loader = tree.root / "tests" / "shared" / "bots" / "test_fixtures.py"
    if not loader.is_file() or "load_fixtures" not in loader.read_text(encoding="utf-8"):
        return False, f"{tree.rel(loader)} does not load the fixtures"
    return True, f"{len(found)} fixture(s) in {tree.rel(folder)}; loaded by {tree.rel(loader)}"


def _timeline(tree: Tree, name: str) -> tuple[bool, str]:
    path = tree.entry(name).timeline_path
    if not path.is_file():
        return False, f"{tree.rel(path)} is absent"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return False, f"{tree.rel(path)} is empty"
    for i, line in enumerate(lines, start=1):
        try:
            envelope = ReportEnvelope.model_validate_json(line)
        except ValueError as e:
            return False, f"{tree.rel(path)}:{i}: not an envelope ({str(e).splitlines()[0]})"
        if envelope.bot != name:
            return False, f"{tree.rel(path)}:{i}: envelope of {envelope.bot}"
    return True, f"{tree.rel(path)}: {len(lines)} envelopes (re-run by seed in the tests)"


def _space(tree: Tree, name: str) -> tuple[bool, str]:
    bot = tree.bot_class(name)
    space = search_space(bot)
    if space is None:
        return False, f"{bot.__module__} exports no generated SEARCH_SPACE"
    generated = generated_space(bot.config_model)
    params = list(bot.config_model.model_fields)
    missing = [p for p in params if p not in space]
    unknown = [p for p in space if p not in params]
    drift = [p for p in space if p in generated and space[p] != generated[p]]
    bad = [f"{p}: range ({r.low:g}, {r.high:g})" for p, r in space.items() if not r.low < r.high]
    if missing or unknown or drift or bad:
        parts = ([f"missing {missing} (give each a ge/le bound)"] if missing else []) + (
            [f"unknown {unknown}"] if unknown else []) + (
            [f"not the config bounds {drift}"] if drift else []) + bad
        return False, f"{bot.__module__}.SEARCH_SPACE: " + "; ".join(parts)
    return True, (f"{bot.__module__}.SEARCH_SPACE: all {len(space)} parameters, generated "
                  "from the config bounds")


def _reference(tree: Tree, name: str) -> tuple[bool, str]:
    """A tuning run of this bot on file (``runs/optimizer/<run_id>/result.json``, written by
    ``tb backtest tune``): a valid optimizer run with winning parameters, its score function
    and the winner's out-of-sample result."""
    folder = tree.root / OPTIMIZER_DIR
    bad = []
    for path in sorted(folder.glob("*/result.json")) if folder.is_dir() else []:
        try:
            run = OptimizerRun.model_validate_json(path.read_bytes())
        except (OSError, ValueError) as e:
            bad.append(f"{tree.rel(path)}: {str(e).splitlines()[0]}")
            continue
        if run.bot != name:
            continue
        if run.winning_params and run.score_function and run.out_of_sample.get("winning"):
            oos = run.out_of_sample["winning"]
            return True, (f"{tree.rel(path)}: {run.objective.name} tuned over "
                          f"{sum(run.trials.values())} trials; held out: "
                          f"{oos.get('oos_resolved')} resolved triggers")
    note = f" (unreadable: {'; '.join(bad)})" if bad else ""
    return False, (f"{OPTIMIZER_DIR}/: no optimizer reference run of {name} on file (winning "
                   f"params, score function, out-of-sample result){note}")
