"""Tests marked ``shared_data`` skip, naming ``TB_DATA_DIR``, when the public data is absent."""

from __future__ import annotations

import pytest

from tests.helpers.data import require_data_dir


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("shared_data") is not None:
        require_data_dir()
