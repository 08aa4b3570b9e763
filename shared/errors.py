"""The exception tree every stage and client uses.

Clients translate transport errors at their boundary (``raise ... from e``); stages catch
the narrowest class they can act on, never bare ``Exception`` (the bot runner is the one
documented exception: it turns any bot crash into a failure envelope).

    PipelineError
    ├── ConfigError                 bad YAML, unknown key, wrong type, value outside its range
    ├── ContractViolation           data that breaks a contract (schema, invariant, reason code)
    │   ├── UnknownReasonCode       a bot emitted a code that is not in the registry
    │   ├── MissingColumnError      a forecast file's header lacks a required column
    │   └── NoValidRowsError        every row of a forecast file was bad: nothing to score
    ├── ArtifactError               an artifact on disk is unreadable, invalid or inconsistent
    └── ProviderError               an external service failed (after its retries)
        ├── TransientProviderError  timeouts, connection resets, 429, 5xx: may work later
        │   ├── CircuitOpenError    the provider's breaker is open; no call was made
        │   └── TransientHttpError  (providers._http) plus Retry-After and request_sent
        ├── ProviderAuthError       401/403: keys missing, wrong or without permission
        ├── ProviderResponseError   the answer arrived but is malformed or of the wrong shape
        │   └── ModelOutputInvalid  (providers._http) a model's JSON does not fit its schema
        └── RecordedFailure         (functions.tracer.replay) a failure replayed from a record

Two subclasses live beside the code that raises them (marked above), because they carry
that code's data; every other error the product raises is defined here. ``autocommit.py``
is a standalone script with its own small tree (``AutocommitError`` → ``TransientGitError``,
``RebaseConflictError``), since it must run before and without the package.
"""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "CircuitOpenError",
    "ConfigError",
    "ContractViolation",
    "MissingColumnError",
    "NoValidRowsError",
    "PipelineError",
    "ProviderAuthError",
    "ProviderError",
    "ProviderResponseError",
    "TransientProviderError",
    "UnknownReasonCode",
]


class PipelineError(Exception):
    """Base class of every error the product raises on purpose."""


class ConfigError(PipelineError):
    """Configuration is invalid; the message names the file, the key and what is allowed."""


class ContractViolation(PipelineError):
    """Data does not satisfy a wire contract."""


class UnknownReasonCode(ContractViolation):
    """A reason code was emitted that ``config/reason_codes.yaml`` does not register."""


class MissingColumnError(ContractViolation, ValueError):
    """A forecast file's header lacks a required column."""


class NoValidRowsError(ContractViolation, ValueError):
    """Every row was bad (or there were none), so there is nothing to score."""


class ArtifactError(PipelineError):
    """An artifact could not be read, validated or written."""


class ProviderError(PipelineError):
    """An external provider failed. ``provider`` names it; ``reason_code`` is registered."""

    reason_code = "PROVIDER_ERROR"

    def __init__(self, message: str, *, provider: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code


class TransientProviderError(ProviderError):
    """A failure that may go away: timeout, connection error, 429 or 5xx."""

    reason_code = "PROVIDER_TRANSIENT"


class CircuitOpenError(TransientProviderError):
    """The provider's circuit breaker is open, so the call was not attempted."""

    reason_code = "PROVIDER_CIRCUIT_OPEN"


class ProviderAuthError(ProviderError):
    """The provider refused the credentials (401/403)."""

    reason_code = "PROVIDER_AUTH"


class ProviderResponseError(ProviderError):
    """The provider answered, but with a payload that does not parse or validate."""

    reason_code = "PROVIDER_BAD_RESPONSE"
