"""``tb universe merge``: finish every complete set of shard partials under an artifacts dir.

For each set (``universe_runs/_shards/<as_of>-<universe digest>/``) the merge checks that all
``n`` shards are there and agree (as-of, seed, feed, code, configs, universe, settings,
provider setup), writes the run file and the metrics row exactly as the unsharded run would,
then deletes the set. If any set is incomplete or inconsistent it raises naming what is wrong
and writes nothing (the partials stay). With no sets left it does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from functions.universe.persist import partial_path, write_finalized
from functions.universe.run import Finalized, finalize
from shared.contracts.universe import UniverseShard
from shared.errors import ArtifactError
from shared.store.layout import SHARDS_DIR

__all__ = ["check_set", "find_sets", "load_set", "merge_all"]

logger = logging.getLogger(__name__)

# Fields every partial of one run must share.
_SHARED_FIELDS = ("as_of", "seed", "shard_count", "feed", "git_sha", "code_version",
                  "universe_digest", "config_digest", "universe_symbols", "settings",
                  "provider_setup", "polymarket_source")


def find_sets(root: Path) -> list[Path]:
    base = root / SHARDS_DIR
    return sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def load_set(directory: Path, root: Path) -> tuple[list[UniverseShard], list[str]]:
    """Parse every partial of a set; returns (partials, problems)."""
    partials, problems = [], []
    for path in sorted(directory.glob("*.json")):
        rel = path.relative_to(root).as_posix()
        try:
            partial = UniverseShard.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as e:
            problems.append(f"{rel}: not a valid universe shard ({e})")
            continue
        if partial_path(partial) != rel:
            problems.append(f"{rel}: its content belongs at {partial_path(partial)}")
            continue
        partials.append(partial)
    if not partials and not problems:
        problems.append(f"{directory.relative_to(root).as_posix()}: no shard files")
    return sorted(partials, key=lambda p: p.shard_position), problems


def check_set(name: str, partials: Sequence[UniverseShard]) -> list[str]:
    """What makes a set unmergeable: missing shards or partials that disagree."""
    if not partials:
        return []
    first = partials[0]
    problems = []
    for field in _SHARED_FIELDS:
        values = {repr(getattr(p, field)) for p in partials}
        if len(values) > 1:
            by_shard = ", ".join(f"shard {p.shard}: {_short(getattr(p, field))}"
                                 for p in partials)
            problems.append(f"{name}: partials disagree on {field} ({by_shard})")
    if problems:
        return problems
    n = first.shard_count
    present = {p.shard_position for p in partials}
    missing = sorted(set(range(n)) - present)
    if missing:
        names = ", ".join(f"shard-{m}-of-{n}.json (--shard {m or n}/{n} or {m}/{n})"
                          for m in missing)
        problems.append(f"{name}: incomplete, {len(present)} of {n} shards present; "
                        f"missing {names}")
    return problems


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def merge_all(root: Path) -> list[Finalized]:
    """Merge every set under ``root``; all sets are checked before anything is written."""
    ready: list[tuple[Path, list[UniverseShard]]] = []
    problems: list[str] = []
    for directory in find_sets(root):
        name = directory.relative_to(root).as_posix()
        partials, found = load_set(directory, root)
        problems += found or check_set(name, partials)
        ready.append((directory, partials))
    if problems:
        raise ArtifactError("cannot merge universe shards (nothing written):\n"
                            + "\n".join(f"  {p}" for p in problems))
    done = []
    for directory, partials in ready:
        finalized = finalize(partials)
        write_finalized(root, finalized)
        for path in sorted(directory.glob("*.json")):
            path.unlink()
        directory.rmdir()
        logger.info("merged %d shards into universe run %s", len(partials),
                    finalized.run.run_id)
        done.append(finalized)
    base = root / SHARDS_DIR
    if base.is_dir() and not any(base.iterdir()):
        base.rmdir()
    return done
