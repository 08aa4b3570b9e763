"""Where the public datasets live: one data directory for every command, provider and test.

The data directory is, in order:

1. ``$TB_DATA_DIR``;
2. ``$TB_SHARED_DATA`` (the older name, kept as an alias; when both are set and differ,
   ``TB_DATA_DIR`` wins and the choice is logged at debug);
3. ``<project root>/../shared/data``, the project root being :func:`shared.config.project_root`
   (``$TB_HOME`` or the checkout).

A dataset path in config is relative to the data directory
(``crypto-bitstamp-cdd-2022/Bitstamp_BTCUSD_1h.csv``) or absolute. A relative path may not
climb out of the data directory: the old project-relative form ``../shared/data/<path>`` is a
:class:`ConfigError` that names the new form, never silently reinterpreted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from shared.config import project_root
from shared.errors import ConfigError

__all__ = [
    "DATA_DIR_ENV",
    "DATA_DIR_ENV_ALIAS",
    "data_dir",
    "data_dir_if_present",
    "resolve_data_path",
    "resolve_data_paths",
]

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "TB_DATA_DIR"
DATA_DIR_ENV_ALIAS = "TB_SHARED_DATA"
_OLD_PREFIX = "../shared/data/"


def data_dir() -> Path:
    """The data directory (see the module doc), whether or not it exists."""
    primary = os.environ.get(DATA_DIR_ENV)
    alias = os.environ.get(DATA_DIR_ENV_ALIAS)
    if primary and alias and Path(primary).expanduser() != Path(alias).expanduser():
        logger.debug("%s=%s and %s=%s differ; using %s",
                     DATA_DIR_ENV, primary, DATA_DIR_ENV_ALIAS, alias, DATA_DIR_ENV)
    configured = primary or alias
    if configured:
        return Path(configured).expanduser().resolve()
    return (project_root().parent / "shared" / "data").resolve()


def data_dir_if_present() -> Path | None:
    """:func:`data_dir` if it is a directory, else None (for optional real-data checks)."""
    root = data_dir()
    return root if root.is_dir() else None


def resolve_data_path(value: str | Path) -> Path:
    """One dataset path from config: see :func:`resolve_data_paths`."""
    return resolve_data_paths([value])[0]


def resolve_data_paths(values: Sequence[str | Path]) -> list[Path]:
    """Dataset paths from config as absolute paths: absolute ones as they are, relative ones
    under :func:`data_dir`. Raises one :class:`ConfigError` for an old-style or escaping
    relative path, or naming every missing file, the data directory and ``TB_DATA_DIR``."""
    root = data_dir()
    paths = [_under(root, value) for value in values]
    missing = [str(value) for value, path in zip(values, paths, strict=True) if not path.exists()]
    if missing:
        where = "does not exist" if not root.is_dir() else "does not hold them"
        raise ConfigError(
            f"datasets not found: {', '.join(missing)} (the data directory {root} {where}; "
            f"set {DATA_DIR_ENV} to the folder holding the public datasets)"
        )
    return paths


def _under(root: Path, value: str | Path) -> Path:
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    posix = PurePosixPath(path.as_posix())
    if ".." in posix.parts:
        text = posix.as_posix()
        hint = (f"; write {text.removeprefix(_OLD_PREFIX)!r}" if text.startswith(_OLD_PREFIX)
                else "; use an absolute path for a file outside it")
        raise ConfigError(
            f"dataset path {text!r} leaves the data directory: paths are relative to "
            f"{DATA_DIR_ENV} ({root}){hint}"
        )
    return root / path
