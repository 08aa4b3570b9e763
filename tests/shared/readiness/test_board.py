"""The readiness board: computed from evidence, the forbidden shortcut, mutations of a copy
of the tree, promotion gates, and the run-time mode ceiling."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from functions.cli import cli
from shared.bots.registry import BOTS
from shared.contracts import Mode
from shared.readiness import (
    GRANDFATHERED,
    BotBoard,
    Item,
    Tree,
    allowed_mode,
    check_promotion,
    compute_board,
    limit_modes,
)
from shared.readiness.board import OUT_OF, status_of
from shared.readiness.evidence import REPO_ROOT
from shared.signal.config import load_bot_settings


def _no_type_errors(root: Path) -> dict[str, list[str]]:
    return {name: [] for name in BOTS}  # mypy is run for real in the slow test and in CI


@pytest.fixture(scope="module")
def board_here() -> dict[str, BotBoard]:
    board = compute_board(typecheck=_no_type_errors)
    return {row.bot: row for row in board.bots}


@pytest.fixture()
def tree_copy(tmp_path: Path) -> Tree:
    for part in ("shared/bots", "config", "schemas", "tests/shared/bots/test_fixtures.py"):
        src, dst = REPO_ROOT / part, tmp_path / part
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return Tree(tmp_path)


def _scores(tree: Tree, name: str) -> dict[str, int]:
    row = compute_board(tree, bots=[name], typecheck=_no_type_errors).bot(name)
    return {kind: row.score(kind) for kind in OUT_OF} | {"status": row.status}  # type: ignore[dict-item]


def _full(bot: str, **scores: int) -> BotBoard:
    items = {kind: tuple(Item(n, f"{kind} {n}", n <= scores.get(kind, OUT_OF[kind]), "test")
                         for n in range(1, OUT_OF[kind] + 1)) for kind in OUT_OF}
    return BotBoard(bot=bot, mode="stub", items=items)


def test_board_json_interface(board_here: dict[str, BotBoard]) -> None:
    result = CliRunner().invoke(cli, ["board", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert set(doc) == {"bots", "header"}
    assert [b["bot"] for b in doc["bots"]] == sorted(BOTS)
    for row in doc["bots"]:
        assert {"bot", "docs", "impl", "runtime", "backtest", "status", "items"} <= set(row)
        for kind, out_of in OUT_OF.items():
            assert len(row["items"][kind]) == out_of
            assert row[kind] == sum(i["pass"] for i in row["items"][kind])
            assert all(i["evidence"] for i in row["items"][kind])
    assert doc["header"].endswith(f"· {len(BOTS)} total")


def test_committed_board_matches_the_tree(board_here: dict[str, BotBoard]) -> None:
    committed = json.loads((REPO_ROOT / "board.json").read_text(encoding="utf-8"))
    for row in committed["bots"]:
        here = board_here[row["bot"]]
        # (Impl 1 runs mypy for real in the committed board; the fast board fakes it clean.)
        assert (row["docs"], row["runtime"], row["backtest"]) == (
            here.score("docs"), here.score("runtime"), here.score("backtest")), row["bot"]


def test_absent_sources_score_zero_with_the_reason(board_here: dict[str, BotBoard]) -> None:
    # No telemetry or CI result is committed yet; the drills are on file (runs/drills/,
    # tb drill), the dashboard publishes each bot's panel (pages.yml) and alerts are wired
    # (config/alerts.yaml); the promotion history of every bot skips the gates.
    for row in board_here.values():
        runtime = {i.number: i for i in row.items["runtime"]}
        assert runtime[5].passed and "runs/drills" in runtime[5].evidence
        assert runtime[7].passed and "config/alerts.yaml" in runtime[7].evidence
        assert runtime[6].passed and "pages.yml" in runtime[6].evidence
        assert all(not i.passed and i.evidence for n, i in runtime.items() if n not in (5, 6, 7))
        assert not row.items["impl"][14].passed
        assert "ci/last_result.json is absent" in row.items["impl"][14].evidence
        # Backtest 4 reads the committed tuning runs: one per bot under runs/optimizer/.
        reference = row.items["backtest"][3]
        if row.bot == "execution":  # its sizes are risk choices, never searched (SPEC § 26)
            assert not reference.passed and "no optimizer reference run" in reference.evidence
            continue
        assert reference.passed and "runs/optimizer/" in reference.evidence, reference.evidence


@pytest.mark.parametrize("impl", range(OUT_OF["impl"]))
def test_forbidden_shortcut_docs_full_impl_short_is_pending(impl: int) -> None:
    assert status_of(docs=27, impl=impl, runtime=8, backtest=4) == "pending"
    row = _full("trend_guard", impl=impl)
    assert row.status == "pending"
    assert not check_promotion(row, Mode.STUB, Mode.SHADOW).ok


def test_status_words() -> None:
    assert status_of(0, 15, 0, 0) == "demo-wired"
    assert status_of(27, 15, 0, 4) == "shadow-ready"
    assert status_of(27, 15, 8, 4) == "production-live"


def test_removing_a_fixture_lowers_impl_only(tree_copy: Tree) -> None:
    before = _scores(tree_copy, "trend_guard")
    (tree_copy.bot_folder("trend_guard") / "fixtures" / "warning.json").unlink()
    after = _scores(tree_copy, "trend_guard")
    assert after["impl"] == before["impl"] - 1
    assert {k: v for k, v in after.items() if k != "impl"} == \
        {k: v for k, v in before.items() if k != "impl"}


def test_removing_a_registered_code_lowers_impl_only(tree_copy: Tree) -> None:
    before = _scores(tree_copy, "trend_guard")
    path = tree_copy.registry_path
    text = path.read_text(encoding="utf-8")
    start = text.index("  - code: GUARD_TREND_BLOCK\n")
    end = text.index("  - code:", start + 1)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    after = _scores(tree_copy, "trend_guard")
    assert after["impl"] < before["impl"]
    assert {k: after[k] for k in ("docs", "runtime", "backtest")} == \
        {k: before[k] for k in ("docs", "runtime", "backtest")}
    assert after["status"] == "pending"


def test_gutting_a_spec_section_lowers_docs_by_one_only(tree_copy: Tree) -> None:
    before = _scores(tree_copy, "cooldown")
    assert before["docs"] == 27
    path = tree_copy.spec_path("cooldown")
    text = path.read_text(encoding="utf-8")
    start = text.index("## 12. Failure modes\n") + len("## 12. Failure modes\n")
    end = text.index("## 13. ")
    path.write_text(text[:start] + "\nTODO\n\n" + text[end:], encoding="utf-8")
    after = _scores(tree_copy, "cooldown")
    assert after == before | {"docs": 26}


def test_specs_are_current() -> None:
    result = CliRunner().invoke(cli, ["board", "specs", "--check"])
    assert result.exit_code == 0, result.output


def test_promotion_legal_step_passes_skipped_or_unearned_fails() -> None:
    ready = _full("trend_guard")
    assert check_promotion(ready, Mode.STUB, Mode.SHADOW).ok
    skipped = check_promotion(ready, Mode.STUB, Mode.ADVISORY)
    assert not skipped.ok and "skips a step" in skipped.unmet[0]
    unearned = check_promotion(_full("trend_guard", backtest=3), Mode.STUB, Mode.SHADOW)
    assert not unearned.ok and any("backtest 4/4" in u for u in unearned.unmet)
    advisory = check_promotion(_full("trend_guard", runtime=3), Mode.SHADOW, Mode.ADVISORY)
    assert not advisory.ok and any("runtime 4/8" in u for u in advisory.unmet)
    assert check_promotion(_full("trend_guard", runtime=4), Mode.SHADOW, Mode.ADVISORY).ok
    enforced = check_promotion(ready, Mode.ADVISORY, Mode.ENFORCED)
    assert not enforced.ok and any("advisory held" in u for u in enforced.unmet)
    assert check_promotion(_full("trend_guard", impl=0), Mode.ENFORCED, Mode.QUARANTINE).ok
    assert check_promotion(_full("trend_guard", impl=0), Mode.ENFORCED, Mode.SHADOW).ok
    assert not check_promotion(ready, Mode.ADVISORY, Mode.ENFORCED.__class__("enforced")).ok
    assert not check_promotion(_full("divergence"), Mode.ADVISORY, Mode.ENFORCED).ok


def test_holding_a_mode_needs_its_gate_but_stub_and_quarantine_always_stand() -> None:
    held = check_promotion(_full("trend_guard", runtime=3), Mode.ADVISORY, Mode.ADVISORY)
    assert not held.ok and any("runtime 4/8" in u for u in held.unmet)
    assert check_promotion(_full("trend_guard", runtime=4), Mode.ADVISORY, Mode.ADVISORY).ok
    assert check_promotion(_full("trend_guard", impl=0), Mode.STUB, Mode.STUB).ok
    assert check_promotion(_full("trend_guard", impl=0), Mode.QUARANTINE, Mode.QUARANTINE).ok


def test_check_promotion_cli_exit_codes() -> None:
    runner = CliRunner()
    unearned = runner.invoke(cli, ["board", "check-promotion", "--bot", "trend_guard",
                                   "--from", "stub", "--to", "shadow"])
    assert unearned.exit_code == 1 and "Unmet" in unearned.output
    assert runner.invoke(cli, ["board", "check-promotion", "--bot", "trend_guard",
                               "--to", "quarantine"]).exit_code == 0
    assert runner.invoke(cli, ["board", "check-promotion", "--bot", "nope",
                               "--to", "shadow"]).exit_code == 2
    assert runner.invoke(cli, ["board", "check-promotion", "--bot", "trend_guard",
                               "--to", "bogus"]).exit_code == 2


def test_grandfathered_modes_are_pinned() -> None:
    # A ceiling fixed when the board arrived: lower or remove an entry, never raise or add.
    assert GRANDFATHERED == {
        "cooldown": Mode.ENFORCED, "divergence": Mode.ADVISORY,
        "participation_guard": Mode.ENFORCED, "persistence_guard": Mode.ENFORCED,
        "sizing": Mode.ADVISORY, "trend_guard": Mode.ENFORCED,
    }


def test_todays_modes_are_allowed_unchanged() -> None:
    settings = load_bot_settings()
    limited, limits = limit_modes(settings)
    assert limits == () and limited is settings


def test_fail_closed_lowers_above_ceiling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    board = tmp_path / "board.json"
    board.write_text(json.dumps({"bots": [{"bot": "trend_guard", "earned_mode": "shadow"}]}))
    monkeypatch.setitem(GRANDFATHERED, "trend_guard", Mode.STUB)
    assert allowed_mode("trend_guard", Mode.ENFORCED, board_json=board) is Mode.SHADOW
    assert allowed_mode("trend_guard", Mode.SHADOW, board_json=board) is Mode.SHADOW
    assert allowed_mode("trend_guard", Mode.QUARANTINE, board_json=board) is Mode.QUARANTINE
    # absent board: nothing earned
    assert allowed_mode("trend_guard", Mode.ADVISORY, board_json=tmp_path / "no.json") \
        is Mode.STUB
    settings = load_bot_settings()
    limited, limits = limit_modes(settings, board_json=board)
    assert [(m.bot, m.configured, m.allowed, m.code) for m in limits] == [
        ("trend_guard", Mode.ENFORCED, Mode.SHADOW, "BOT_MODE_ABOVE_GATE")]
    assert limited.mode("trend_guard") is Mode.SHADOW
    assert limited.mode("cooldown") is settings.mode("cooldown")
    from shared.reason_codes import default_registry
    assert "BOT_MODE_ABOVE_GATE" in default_registry()


def test_replace_keeps_rows_frozen() -> None:
    row = _full("cooldown")
    assert replace(row, mode="shadow").mode == "shadow"


@pytest.mark.slow
def test_real_typecheck_passes_for_the_bots() -> None:
    board = compute_board()
    assert all(row.items["impl"][0].passed for row in board.bots), \
        [row.items["impl"][0].evidence for row in board.bots]


def test_a_mode_the_board_lowered_shows_in_the_tracer_and_universe_manifests(
        tmp_path: Path) -> None:
    from functions.tracer.run import TracerRequest, run
    from functions.universe.app import run_universe
    from shared.contracts import Mode
    from shared.pipeline.build import build_offline_sources
    from shared.pipeline.settings import load_pipeline_settings
    from shared.readiness.gates import ModeLimit
    from shared.reason_codes import default_registry
    from tests.helpers.universe import AS_OF, small_universe

    base = load_pipeline_settings()
    limit = ModeLimit(bot="sizing", configured=Mode.ENFORCED, allowed=Mode.ADVISORY)
    settings = base.model_copy(update={"mode_limits": (limit,)})
    sources = build_offline_sources("synthetic", seed=7, config=settings)
    result = run(TracerRequest(as_of=AS_OF, seed=7, settings=settings), sources=sources,
                 registry=default_registry())
    manifest = result.run.manifest
    assert "BOT_MODE_ABOVE_GATE" in manifest.degraded_reasons
    status = {s.provider: s for s in manifest.provider_statuses}["readiness"]
    assert status.detail == "sizing configured enforced, ran advisory"
    outcome = run_universe(seed=7, as_of=AS_OF, artifacts_dir=tmp_path,
                           universe=small_universe(tmp_path), settings=settings,
                           notify=False, progress_bar=False, code_sha="test")
    assert outcome.run is not None
    assert "BOT_MODE_ABOVE_GATE" in outcome.run.manifest.degraded_reasons
