"""Settings read from the environment only: secrets, service base URLs, model ids, timeouts.

Secrets are :class:`~pydantic.SecretStr` (their ``repr``/``str`` is ``**********``) and are
never logged: :func:`install_redaction` scrubs every secret value from every log record, and
:meth:`Settings.sanitize` gives a dump that is safe to write into an artifact.

There is no ``.env`` file and no YAML here: precedence is init kwargs > environment.

Example::

    settings = Settings()                  # reads APCA_API_KEY_ID, PPLX_API_KEY, ...
    install_redaction(settings)
    if settings.has_keys_for("alpaca"):
        ...
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shared.errors import ConfigError

__all__ = [
    "PROVIDERS",
    "ProviderName",
    "RedactingFilter",
    "Settings",
    "environment_secret_values",
    "install_environment_redaction",
    "install_redaction",
    "redact",
    "uninstall_redaction",
    "MIN_SECRET_CHARS",
    "redactable",
]

ProviderName = Literal["alpaca", "perplexity", "hf_finbert", "hf_llm", "telegram", "polymarket"]
PROVIDERS: tuple[ProviderName, ...] = (
    "alpaca",
    "perplexity",
    "hf_finbert",
    "hf_llm",
    "telegram",
    "polymarket",
)

REDACTED = "[REDACTED]"

_SECRET_FIELDS = (
    "apca_api_key_id",
    "apca_api_secret_key",
    "pplx_api_key",
    "pplx_api_key_2",
    "pplx_api_key_3",
    "hf_token",
    "telegram_bot_token",
    "telegram_chat_id",
)


class Settings(BaseSettings):
    """Every secret, base URL, model id and HTTP timeout, named exactly as its env variable."""

    model_config = SettingsConfigDict(
        case_sensitive=False,
        extra="ignore",  # the environment holds many unrelated variables
        frozen=True,
        env_file=None,
    )

    # Secrets: set only through the environment (GitHub Actions secrets -> env:).
    apca_api_key_id: SecretStr | None = None
    apca_api_secret_key: SecretStr | None = None
    pplx_api_key: SecretStr | None = None
    # More keys for the same provider, tried in order when one is refused or spent.
    pplx_api_key_2: SecretStr | None = None
    pplx_api_key_3: SecretStr | None = None
    hf_token: SecretStr | None = None
    telegram_bot_token: SecretStr | None = None
    telegram_chat_id: SecretStr | None = None

    # Base URLs, each overridable (tests point them at loopback servers).
    apca_api_data_url: str = "https://data.alpaca.markets"
    apca_api_base_url: str = "https://paper-api.alpaca.markets"  # paper, not live, by default
    pplx_base_url: str = "https://api.perplexity.ai"
    tb_finbert_url: str | None = None  # None -> the hf-inference router URL of TB_FINBERT_MODEL
    tb_llm_url: str = "https://router.huggingface.co/v1"
    telegram_api_url: str = "https://api.telegram.org"
    polymarket_gamma_url: str = "https://gamma-api.polymarket.com"
    polymarket_clob_url: str = "https://clob.polymarket.com"

    # Models and provider options.
    tb_finbert_model: str = "ProsusAI/finbert"
    tb_llm_model: str = "Qwen/Qwen2.5-7B-Instruct"
    tb_pplx_model: str = "sonar"
    tb_alpaca_feed: str = "iex"  # free plans get IEX; "sip" needs a paid plan for recent data
    tb_alpaca_adjustment: str = "split"

    # HTTP policy.
    tb_http_connect_timeout_secs: float = Field(default=5.0, gt=0)
    tb_http_read_timeout_secs: float = Field(default=30.0, gt=0)
    tb_pplx_read_timeout_secs: float = Field(default=45.0, gt=0)  # new schemas take 10-30 s
    tb_http_max_retries: int = Field(default=3, ge=0, le=10)
    tb_http_call_budget_secs: float = Field(default=40.0, gt=0)
    tb_http_failure_budget_secs: float = Field(default=45.0, gt=0)
    tb_breaker_fail_max: int = Field(default=3, ge=1)
    tb_breaker_reset_timeout_secs: float = Field(default=60.0, ge=0)
    tb_telegram_max_retry_after_secs: float = Field(default=10.0, ge=0)

    # Bounds (issue 11): a whole-answer deadline per request, a time budget per provider and
    # a deadline per run (the workflows' job timeouts, 20 and 30 min, are the outer bound;
    # the run deadline stays well inside them), a size limit per answer, and caps on news
    # items per answer and on model calls per run. See docs/bounds.md.
    tb_http_response_deadline_secs: float = Field(default=60.0, gt=0)
    tb_http_provider_budget_secs: float = Field(default=300.0, gt=0)
    tb_run_deadline_secs: float = Field(default=600.0, gt=0)
    tb_http_max_response_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    tb_pplx_max_items_per_answer: int = Field(default=100, ge=1)
    tb_model_max_calls_per_run: int = Field(default=400, ge=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # One precedence rule: init kwargs > environment. No .env, no secrets dir.
        return (init_settings, env_settings)

    @property
    def finbert_url(self) -> str:
        """The URL FinBERT is called at (a URL keeps InferenceClient from calling the Hub)."""
        if self.tb_finbert_url:
            return self.tb_finbert_url
        return f"https://router.huggingface.co/hf-inference/models/{self.tb_finbert_model}"

    def has_keys_for(self, provider: str) -> bool:
        """Whether the credentials ``provider`` needs are set (Polymarket reads need none)."""
        required: dict[str, tuple[str, ...]] = {
            "alpaca": ("apca_api_key_id", "apca_api_secret_key"),
            "perplexity": ("pplx_api_key",),
            "hf_finbert": ("hf_token",),
            "hf_llm": ("hf_token",),
            "telegram": ("telegram_bot_token", "telegram_chat_id"),
            "polymarket": (),
        }
        if provider not in required:
            raise ConfigError(f"unknown provider {provider!r}; known: {', '.join(PROVIDERS)}")
        return all(_secret_text(getattr(self, name)) for name in required[provider])

    def keys_for(self, provider: Literal["perplexity"]) -> tuple[str, ...]:
        """The provider's keys in rotation order (``PPLX_API_KEY``, ``_2``, ``_3``), the
        primary first even when empty (so a missing primary is still reported as missing)."""
        names = {"perplexity": ("pplx_api_key", "pplx_api_key_2", "pplx_api_key_3")}[provider]
        primary, *extra = (_secret_text(getattr(self, name)) for name in names)
        return (primary, *(k for k in extra if k))

    def secret_values(self) -> tuple[str, ...]:
        """The raw values of every secret that is set (for redaction; never log them)."""
        values = (_secret_text(getattr(self, name)) for name in _SECRET_FIELDS)
        return tuple(sorted({v for v in values if redactable(v)}, key=len, reverse=True))

    def sanitize(self) -> dict[str, Any]:
        """A plain dump with each secret replaced by ``"[REDACTED]"`` (or ``None`` if unset)."""
        dumped = self.model_dump(mode="python")
        for name in _SECRET_FIELDS:
            dumped[name] = REDACTED if _secret_text(getattr(self, name)) else None
        return dumped


def _secret_text(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


MIN_SECRET_CHARS = 8
"""Values shorter than this are not treated as secrets to scrub: no real credential is that
short, and scrubbing "x" or "test" out of every log line and headline would corrupt them."""


def redactable(secret: str) -> bool:
    """Whether ``secret`` is long enough to be scrubbed (see :data:`MIN_SECRET_CHARS`)."""
    return len(secret) >= MIN_SECRET_CHARS


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every occurrence of every secret in ``text`` with ``[REDACTED]``."""
    for secret in secrets:
        if redactable(secret) and secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Scrub secret values from a record's message, arguments and exception text."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub(record, self.secrets)
        return True


# Scrub in place: render the message once, then drop the args so nothing re-renders them.
def _scrub(record: logging.LogRecord, secrets: tuple[str, ...]) -> None:
    if not secrets:
        return
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string must not break logging
        message = f"{record.msg!r} {record.args!r}"
    record.msg = redact(message, secrets)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text, secrets)
    if record.stack_info:
        record.stack_info = redact(record.stack_info, secrets)


_install_lock = threading.Lock()
_original_factory: Any = None


def install_redaction(settings: Settings) -> RedactingFilter:
    """Scrub ``settings``' secrets from every log record created from now on.

    Installs a log-record factory (so records from every logger are covered, whatever
    handlers are added later) and returns the equivalent filter for handlers that format
    records created elsewhere. Calling it again replaces the secret set.
    """
    return _install(settings.secret_values())


def environment_secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The raw values of every secret set in ``environ`` (default: ``os.environ``), read
    without validating the rest of the settings, longest first (never log them)."""
    env = os.environ if environ is None else environ
    wanted = {name.upper() for name in _SECRET_FIELDS}
    values = {value for name, value in env.items() if name.upper() in wanted}
    return tuple(sorted((v for v in values if redactable(v)), key=len, reverse=True))


def install_environment_redaction(environ: Mapping[str, str] | None = None) -> RedactingFilter:
    """:func:`install_redaction` for the secrets in the environment; the CLI entry point calls
    it before any command runs, so no command can log a secret, live or not, valid settings
    or not."""
    return _install(environment_secret_values(environ))


def _install(secrets: tuple[str, ...]) -> RedactingFilter:
    global _original_factory
    with _install_lock:
        if _original_factory is None:
            _original_factory = logging.getLogRecordFactory()
        base = _original_factory

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record: logging.LogRecord = base(*args, **kwargs)
            _scrub(record, secrets)
            return record

        logging.setLogRecordFactory(factory)
    return RedactingFilter(secrets)


def uninstall_redaction() -> None:
    """Restore the log-record factory that was active before :func:`install_redaction`."""
    global _original_factory
    with _install_lock:
        if _original_factory is not None:
            logging.setLogRecordFactory(_original_factory)
            _original_factory = None
