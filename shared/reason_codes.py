"""The reason-code registry: every code a bot or stage emits must be listed in
``config/reason_codes.yaml`` with a severity and a meaning."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field

from shared.config import ConfigModel, config_dir, load_yaml_model
from shared.errors import UnknownReasonCode

__all__ = ["ReasonCode", "ReasonCodeRegistry", "Severity", "default_registry"]


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class ReasonCode(ConfigModel):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{2,63}$")
    severity: Severity
    meaning: str = Field(min_length=8)


class _RegistryFile(ConfigModel):
    codes: tuple[ReasonCode, ...] = Field(min_length=1)


class ReasonCodeRegistry:
    """Look up and check reason codes."""

    def __init__(self, codes: Iterable[ReasonCode]) -> None:
        self._codes: dict[str, ReasonCode] = {}
        for code in codes:
            if code.code in self._codes:
                raise ValueError(f"reason code {code.code} is registered twice")
            self._codes[code.code] = code

    @classmethod
    def load(cls, path: Path) -> ReasonCodeRegistry:
        return cls(load_yaml_model(path, _RegistryFile).codes)

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __getitem__(self, code: str) -> ReasonCode:
        return self._codes[code]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self._codes)

    def check(self, codes: Iterable[str]) -> None:
        """Raise :class:`UnknownReasonCode` if any code is not registered."""
        unknown = sorted(set(codes) - self._codes.keys())
        if unknown:
            raise UnknownReasonCode(
                f"reason codes not in config/reason_codes.yaml: {', '.join(unknown)}"
            )

    def severity(self, code: str) -> Severity:
        return self._codes[code].severity

    def degrading(self, codes: Iterable[str]) -> tuple[str, ...]:
        """The codes that mark a run degraded, sorted and unique: every code whose severity is
        not ``info`` (an unregistered code degrades; ``check`` is what refuses it)."""
        return tuple(sorted({c for c in codes
                             if c not in self._codes or self.severity(c) is not Severity.INFO}))


@lru_cache(maxsize=1)
def default_registry() -> ReasonCodeRegistry:
    return ReasonCodeRegistry.load(config_dir() / "reason_codes.yaml")
