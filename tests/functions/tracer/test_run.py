"""`tb run` end to end on the embedded default: deterministic, valid, and safe on failure."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from functions.cli import cli
from functions.tracer.persist import write_result
from functions.tracer.run import TracerRequest, run
from shared.contracts import EnvelopeStatus, Narrative, ProviderState, Timeframe, TracerRun
from shared.errors import ArtifactError, TransientProviderError
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import load_pipeline_settings
from shared.reason_codes import default_registry
from shared.store.atomic import parquet_bytes
from shared.store.bars import is_slice_path
from shared.store.validate import validate_tree
from tests.helpers.tree import snapshot, tb

AS_OF = "2026-03-02T14:00:00Z"
T0 = datetime(2026, 3, 2, 14, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


def _invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_tb_run_twice_in_subprocesses_gives_byte_identical_artifacts(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for target in (first, second):
        done = tb("run", "--seed", "7", "--as-of", AS_OF, "--artifacts-dir", str(target))
        assert done.returncode == 0, done.stderr
        assert "\ntrace " in done.stdout and "`" not in done.stdout  # plain text on a terminal
    files = snapshot(first)
    assert files == snapshot(second)
    assert {Path(name).suffix for name in files} == {".json", ".parquet"}
    assert all(name.startswith(("runs/2026-03-02/tracer-", "runs/bars/")) for name in files)
    assert all(is_slice_path(name) for name in files if name.endswith(".parquet"))


def test_tb_run_same_dir_twice_overwrites_identically(tmp_path: Path) -> None:
    _invoke("run", "--seed", "3", "--as-of", AS_OF, "--artifacts-dir", str(tmp_path))
    before = snapshot(tmp_path)
    _invoke("run", "--seed", "3", "--as-of", AS_OF, "--artifacts-dir", str(tmp_path))
    assert snapshot(tmp_path) == before


def test_tb_run_artifacts_validate_and_codes_are_registered(tmp_path: Path) -> None:
    _invoke("run", "--seed", "7", "--as-of", AS_OF, "--artifacts-dir", str(tmp_path))
    count, problems = validate_tree(tmp_path)
    assert count == 2 + len(list(tmp_path.glob("runs/bars/*.parquet"))) and problems == []
    (run_file,) = tmp_path.glob("runs/*/tracer-*[!s].json")
    artifact = TracerRun.model_validate_json(run_file.read_bytes())
    registry = default_registry()
    for envelope in artifact.envelopes:
        registry.check(envelope.reason_codes)
    registry.check(artifact.manifest.degraded_reasons)
    assert artifact.manifest.feed == "synthetic"
    assert artifact.manifest.degraded is False
    assert artifact.digest.delivery == "printed"


def test_tb_validate_names_a_corrupted_field(tmp_path: Path) -> None:
    _invoke("run", "--seed", "7", "--as-of", AS_OF, "--artifacts-dir", str(tmp_path))
    (run_file,) = tmp_path.glob("runs/*/tracer-*[!s].json")
    doc = json.loads(run_file.read_text())
    doc["envelopes"][0]["forecast"] = {**(doc["envelopes"][0]["forecast"] or {}), "p_up": 1.7}
    run_file.write_text(json.dumps(doc))
    done = tb("validate", "--artifacts-dir", str(tmp_path))
    assert done.returncode == 1
    assert run_file.name in done.stderr
    assert "envelopes/0/forecast" in done.stderr


def test_tb_validate_names_truncated_and_tampered_files(tmp_path: Path) -> None:
    _invoke("run", "--seed", "7", "--as-of", AS_OF, "--artifacts-dir", str(tmp_path))
    (inputs_file,) = tmp_path.glob("runs/*/*.inputs.json")
    bars_file = sorted(tmp_path.glob("runs/bars/*.parquet"))[0]
    inputs_file.write_text(inputs_file.read_text()[:100])
    bars_file.write_bytes(bars_file.read_bytes()[:-40])
    result = CliRunner().invoke(cli, ["validate", "--artifacts-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{inputs_file.name}: not valid JSON" in result.output
    assert f"{bars_file.name}: not a readable Parquet file" in result.output
    # the run file itself is fine, but its manifest digests no longer match
    assert "manifest.files" in result.output and "does not match its sha256" in result.output


def test_tb_validate_unknown_type_is_reported_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "stray.json").write_text('{"hello": 1}')
    result = CliRunner().invoke(cli, ["validate", "--artifacts-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "stray.json [type]: unknown artifact type" in result.output


@pytest.mark.parametrize(
    "args",
    [["run", "--as-of", "yesterday"], ["run", "--seed", "x"], ["run", "--feed", "nope"],
     ["run", "--bogus"]],
)
def test_tb_run_bad_argument_is_a_usage_error(args: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [*args, "--artifacts-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "Usage:" in result.output
    assert not any(tmp_path.iterdir())


def test_tb_run_out_of_range_config_fails_naming_file_key_range(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(ROOT / "config", home / "config")
    path = home / "config" / "bots" / "divergence.yaml"
    path.write_text(path.read_text().replace("hard_max_move_z: 6.0", "hard_max_move_z: 99"))
    out = tmp_path / "out"
    done = tb("run", "--as-of", AS_OF, "--artifacts-dir", str(out), env={"TB_HOME": str(home)})
    assert done.returncode == 1
    assert str(path) in done.stderr
    assert "params.hard_max_move_z" in done.stderr and "allowed range [2.0, 20.0]" in done.stderr
    assert not out.exists()


def _request() -> TracerRequest:
    return TracerRequest(as_of=T0, seed=7, settings=load_pipeline_settings(ROOT / "config"))


def test_write_result_invalid_bars_writes_nothing(tmp_path: Path) -> None:
    sources = build_offline_sources("synthetic", seed=7, config=_request().settings)
    result = run(_request(), sources=sources, registry=default_registry())
    broken = result.bars.assign(high=result.bars["low"] * 0.5)
    bad = type(result)(result.run, result.inputs, broken, parquet_bytes(broken))
    with pytest.raises(ArtifactError, match=r"runs/bars/[0-9a-f]{64}\.parquet"):
        write_result(tmp_path, bad)
    assert list(tmp_path.iterdir()) == []


class _DownMarket:
    name = "down"

    def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
             timeframe: Timeframe) -> dict[str, pd.DataFrame]:
        raise TransientProviderError("503 after 3 attempts", provider="alpaca", status_code=503)


class _DownNews:
    name = "down"

    def narratives(self, symbols: Sequence[str], *, start: datetime, end: datetime
                   ) -> list[Narrative]:
        raise TransientProviderError("timed out", provider="perplexity")


def test_run_market_outage_is_degraded_failure_with_valid_artifacts(tmp_path: Path) -> None:
    sources = build_offline_sources("synthetic", seed=7, config=_request().settings)
    sources.market = _DownMarket()
    result = run(_request(), sources=sources, registry=default_registry())
    write_result(tmp_path, result)
    assert validate_tree(tmp_path)[1] == []
    manifest = result.run.manifest
    assert manifest.degraded and "PROVIDER_TRANSIENT" in manifest.degraded_reasons
    (status,) = [s for s in manifest.provider_statuses if s.provider == "synthetic"]
    assert status.state is ProviderState.FAILED
    (envelope,) = result.run.envelopes
    assert envelope.status is EnvelopeStatus.FAILED and result.run.forecast is None


def test_run_news_outage_is_not_treated_as_no_news() -> None:
    sources = build_offline_sources("synthetic", seed=7, config=_request().settings)
    sources.news = _DownNews()
    result = run(_request(), sources=sources, registry=default_registry())
    (envelope,) = result.run.envelopes
    assert envelope.status is EnvelopeStatus.FAILED
    assert "DIV_NO_NARRATIVE" not in envelope.reason_codes
    assert "PROVIDER_TRANSIENT" in result.run.manifest.degraded_reasons


class _DownScorer:
    model_id = "finbert-down"

    def score(self, texts: Sequence[str]) -> list[object]:
        raise TransientProviderError("model loading", provider="hf", status_code=503)


def test_run_sentiment_outage_falls_back_to_offline_and_says_so() -> None:
    sources = build_offline_sources("synthetic", seed=7, config=_request().settings)
    sources.fallback_scorer = sources.primary_scorer
    sources.primary_scorer = _DownScorer()  # type: ignore[assignment]
    result = run(_request(), sources=sources, registry=default_registry())
    (envelope,) = result.run.envelopes
    assert envelope.status is EnvelopeStatus.OK
    assert "SENTIMENT_FALLBACK_OFFLINE" in result.run.manifest.degraded_reasons
