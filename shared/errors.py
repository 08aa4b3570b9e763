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
        │   ├── DeadlineExceeded    an answer was not whole within its wall-clock deadline
        │   ├── TransientHttpError  (providers._http) plus Retry-After and request_sent
        │   └── OrderUnconfirmed    (execution.alpaca) an order POST may have reached Alpaca
        │                           and the lookup by client id could not tell; not resubmitted
        ├── BudgetExhausted         a bound of the run leaves no room for the call
        │   ├── RunDeadlineExceeded the run's deadline passed (calls fail fast from then on)
        │   ├── ProviderTimeBudgetExceeded  the provider used up its time for this run
        │   └── ModelCallsCapped    the run's cap on model calls is reached
        ├── ProviderAuthError       401/403: keys missing, wrong or without permission
        ├── ProviderResponseError   the answer arrived but is malformed or of the wrong shape
        │   ├── ResponseTooLarge    the answer is larger than the provider's maximum
        │   ├── ModelOutputInvalid  (providers._http) a model's JSON does not fit its schema
        │   └── AlpacaRejected      (execution.alpaca) Alpaca refused an order request (403/422)
        └── RecordedFailure         (functions.tracer.replay) a failure replayed from a record

Four subclasses live beside the code that raises them (marked above), because they carry
that code's data; every other error the product raises is defined here. ``autocommit.py``
is a standalone script with its own small tree (``AutocommitError`` → ``TransientGitError``,
``RebaseConflictError``), since it must run before and without the package.
"""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "BudgetExhausted",
    "CircuitOpenError",
    "ConfigError",
    "ContractViolation",
    "DeadlineExceeded",
    "MissingColumnError",
    "ModelCallsCapped",
    "NoValidRowsError",
    "PipelineError",
    "ProviderAuthError",
    "ProviderError",
    "ProviderResponseError",
    "ProviderTimeBudgetExceeded",
    "ResponseTooLarge",
    "RunDeadlineExceeded",
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


class DeadlineExceeded(TransientProviderError):
    """An answer did not arrive whole within its wall-clock deadline (a slow or trickling
    server); what had arrived was dropped."""

    reason_code = "PROVIDER_DEADLINE"


class BudgetExhausted(ProviderError):
    """A bound of the run (its deadline, the provider's time budget, the cap on model calls)
    leaves no room for the call, so it was not made (or was cut off). Not transient: it is
    never retried and never trips a breaker."""

    reason_code = "PROVIDER_ERROR"


class RunDeadlineExceeded(BudgetExhausted):
    """The run's deadline has passed: every later provider call fails fast."""

    reason_code = "RUN_DEADLINE_EXCEEDED"


class ProviderTimeBudgetExceeded(BudgetExhausted):
    """The provider has used up its wall-time budget for this run."""

    reason_code = "PROVIDER_TIME_BUDGET"


class ModelCallsCapped(BudgetExhausted):
    """The run's cap on model calls (FinBERT + the LLM check) is reached."""

    reason_code = "MODEL_CALLS_CAPPED"


class ResponseTooLarge(ProviderResponseError):
    """The answer is larger than the provider's maximum response size; it was refused."""

    reason_code = "PROVIDER_RESPONSE_TOO_LARGE"
