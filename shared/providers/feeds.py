"""The offline feeds a command can read from (``--feed``), by name.

``dataset`` is the recorded public data sets (:mod:`shared.providers.dataset`); it was once
called ``replay``, which now names re-running a recorded run (``tb replay RUN_ID``).
``replay`` stays an alias of ``dataset`` wherever a feed is named, and the dataset feed still
records itself as ``replay`` in artifacts (:data:`DATASET_RECORDED_NAME`), so run ids,
recorded runs and whatever reads them do not change with the new name.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from shared.errors import ConfigError

__all__ = ["DATASET_RECORDED_NAME", "FEED_ALIASES", "OfflineFeed", "offline_feed"]


class OfflineFeed(StrEnum):
    SYNTHETIC = "synthetic"  # seeded synthetic bars and headlines (shared.providers.synthetic)
    DATASET = "dataset"  # the recorded public data sets (shared.providers.dataset)


FEED_ALIASES: Mapping[str, OfflineFeed] = MappingProxyType({"replay": OfflineFeed.DATASET})
"""Old feed names that still work: ``{alias: feed}``."""

DATASET_RECORDED_NAME = "replay"
"""How runs on the dataset feed name it (``manifest.feed``, the provider status): its name
before the rename, kept so that artifacts stay byte-identical."""


def offline_feed(name: str) -> OfflineFeed:
    """The feed called ``name`` (or an alias); an unknown name is a ConfigError."""
    if name in FEED_ALIASES:
        return FEED_ALIASES[name]
    try:
        return OfflineFeed(name)
    except ValueError:
        known = ", ".join([*OfflineFeed, *FEED_ALIASES])
        raise ConfigError(f"unknown feed {name!r} (choose from {known})") from None
