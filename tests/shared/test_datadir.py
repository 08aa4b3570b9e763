"""One data directory: ``TB_DATA_DIR`` (alias ``TB_SHARED_DATA``) or ``../shared/data`` beside
the project root; dataset paths in config are relative to it or absolute."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.config import project_root
from shared.datadir import data_dir, data_dir_if_present, resolve_data_path, resolve_data_paths
from shared.errors import ConfigError
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import DatasetFiles, load_pipeline_settings


@pytest.fixture
def no_data_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TB_DATA_DIR", raising=False)
    monkeypatch.delenv("TB_SHARED_DATA", raising=False)


@pytest.fixture
def data(no_data_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    (root / "set").mkdir(parents=True)
    (root / "set" / "bars.csv").write_text("x\n")
    monkeypatch.setenv("TB_DATA_DIR", str(root))
    return root


@pytest.fixture
def home(no_data_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    monkeypatch.setenv("TB_HOME", str(root))
    project_root.cache_clear()
    yield root
    project_root.cache_clear()


# ------------------------------------------------------------------------------ which directory


def test_tb_data_dir_is_the_data_dir(data: Path) -> None:
    assert data_dir() == data
    assert data_dir_if_present() == data


def test_tb_shared_data_is_an_alias(
    no_data_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TB_SHARED_DATA", str(tmp_path))
    assert data_dir() == tmp_path


def test_tb_data_dir_wins_over_the_alias_and_says_so_at_debug(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TB_SHARED_DATA", str(tmp_path / "other"))
    with caplog.at_level(logging.DEBUG, logger="shared.datadir"):
        assert data_dir() == data
    assert "TB_DATA_DIR" in caplog.text and "differ" in caplog.text


def test_same_value_in_both_is_not_logged(
    data: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TB_SHARED_DATA", str(data))
    with caplog.at_level(logging.DEBUG, logger="shared.datadir"):
        assert data_dir() == data
    assert caplog.text == ""


def test_relative_env_value_is_resolved_from_the_working_directory(
    no_data_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TB_DATA_DIR", "data")
    assert data_dir() == tmp_path.resolve() / "data"


def test_default_is_shared_data_beside_the_project_root(home: Path) -> None:
    assert data_dir() == home.parent.resolve() / "shared" / "data"
    assert data_dir_if_present() is None
    (home.parent / "shared" / "data").mkdir(parents=True)
    assert data_dir_if_present() == home.parent.resolve() / "shared" / "data"


# ------------------------------------------------------------------------------ dataset paths


def test_relative_paths_are_under_the_data_dir(data: Path) -> None:
    assert resolve_data_path("set/bars.csv") == data / "set" / "bars.csv"
    assert resolve_data_path("set") == data / "set"


def test_absolute_paths_stay_absolute(data: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("x\n")
    assert resolve_data_path(str(elsewhere)) == elsewhere


def test_old_project_relative_path_is_an_error_naming_the_new_form(data: Path) -> None:
    with pytest.raises(ConfigError, match=r"leaves the data directory.*write 'set/bars.csv'"):
        resolve_data_path("../shared/data/set/bars.csv")


def test_relative_path_climbing_out_is_an_error(data: Path) -> None:
    with pytest.raises(ConfigError, match="use an absolute path"):
        resolve_data_path("set/../../secrets.csv")


def test_missing_files_are_listed_with_the_data_dir_and_env_var(data: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_data_paths(["set/bars.csv", "set/gone.csv", "news/gone.csv"])
    message = str(caught.value)
    assert "datasets not found: set/gone.csv, news/gone.csv" in message
    assert f"the data directory {data} does not hold them" in message
    assert "set TB_DATA_DIR" in message


def test_missing_data_dir_says_it_does_not_exist(
    no_data_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TB_SHARED_DATA", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match=r"absent does not exist; set TB_DATA_DIR"):
        resolve_data_path("set/bars.csv")


# ------------------------------------------------------------------------------ the replay feed


def test_dataset_config_with_old_style_path_names_the_file_and_new_form(data: Path) -> None:
    settings = load_pipeline_settings()
    old = DatasetFiles(bars={"BTC-USD": "../shared/data/set/bars.csv"})
    config = settings.model_copy(
        update={"tracer": settings.tracer.model_copy(update={"dataset": old})}
    )
    with pytest.raises(ConfigError, match=r"config/tracer.yaml: dataset: .*write 'set/bars.csv'"):
        build_offline_sources("replay", seed=1, config=config)


@pytest.mark.shared_data
def test_shipped_replay_config_resolves_in_the_data_dir() -> None:
    replay = load_pipeline_settings().tracer.dataset
    paths = resolve_data_paths([*replay.bars.values(), *replay.news])
    assert all(p.is_file() and p.is_relative_to(data_dir()) for p in paths)
