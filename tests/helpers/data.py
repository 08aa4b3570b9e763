"""The public datasets in tests: skip, naming ``TB_DATA_DIR``, when they are absent.

Tests that read them are marked ``shared_data``; ``tests/conftest.py`` skips those when the
data directory (:mod:`shared.datadir`) is missing, and :func:`data_file` skips when one data set
is missing from it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.datadir import DATA_DIR_ENV, data_dir, data_dir_if_present


def require_data_dir() -> Path:
    """The data directory, or skip the test naming where it looked and ``TB_DATA_DIR``."""
    root = data_dir_if_present()
    if root is None:
        pytest.skip(f"public datasets not found: {data_dir()} is not a directory "
                    f"(set {DATA_DIR_ENV} to run the shared_data tests)")
    return root


def data_file(relative: str) -> Path:
    """``relative`` under the data directory, or skip the test naming it and ``TB_DATA_DIR``."""
    root = require_data_dir()
    path = root / relative
    if not path.exists():
        pytest.skip(f"{relative} is absent from the data directory {root} ({DATA_DIR_ENV})")
    return path
