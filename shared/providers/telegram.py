"""Telegram Bot API: ``sendMessage`` with MarkdownV2 and link previews disabled.

Sending is not idempotent (a retried send can post twice), so it is never retried blindly:
a 429 whose ``parameters.retry_after`` is at most ``max_retry_after_secs`` is waited out once;
a connection that was never established is retried once; everything else raises at once.
Notifications never fail a run: the caller catches :class:`~shared.errors.ProviderError`.

The bot token sits in the URL path, so the path is logged and reported as
``/bot<redacted>/sendMessage`` and transport errors are raised without their cause (whose
message would hold the URL).

Example::

    TelegramClient.from_settings(Settings()).send("*Digest* \\\\- nothing new")
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict

from shared.errors import ProviderAuthError, ProviderError, ProviderResponseError
from shared.providers._http import (
    BaseClient,
    HttpPolicy,
    RateLimit,
    TokenBucket,
    parse_retry_after,
)
from shared.settings import Settings

__all__ = ["TELEGRAM_RATE_LIMIT", "SendResult", "TelegramClient"]

# At most 20 messages/minute to one group; bursts of a few are tolerated (Bot FAQ).
TELEGRAM_RATE_LIMIT = RateLimit(requests=20, per_secs=60.0, burst=3)


@dataclass(frozen=True)
class SendResult:
    """The message Telegram created."""

    message_id: int
    chat_id: int
    sent_at: datetime


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Chat(_Wire):
    id: int


class _Message(_Wire):
    message_id: int
    date: int
    chat: _Chat


class _Envelope(_Wire):
    ok: bool
    result: _Message | None = None
    description: str | None = None


class TelegramClient(BaseClient):
    """Sends messages to one chat. Raises ProviderAuthError (bad token), TransientProviderError
    (timeouts, 5xx, 429 beyond the allowed wait), ProviderResponseError (400, bad shape)."""

    def __init__(
        self,
        *,
        bot_token: str,
        chat_id: str,
        base_url: str = "https://api.telegram.org",
        max_retry_after_secs: float = 10.0,
        session: requests.Session | None = None,
        policy: HttpPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        random_fn: Callable[[], float] = random.random,
    ) -> None:
        if not bot_token or not chat_id:
            raise ValueError("TelegramClient needs TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID")
        base_policy = policy or HttpPolicy()
        super().__init__(
            provider="telegram",
            base_url=base_url,
            session=session,
            policy=dataclasses.replace(base_policy, max_retry_after_secs=max_retry_after_secs),
            limiter=TokenBucket(TELEGRAM_RATE_LIMIT, clock=clock, sleep=sleep),
            sleep=sleep,
            random_fn=random_fn,
        )
        self._token = bot_token
        self._chat_id = chat_id
        self._secrets = (bot_token, chat_id)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> TelegramClient:
        """A client from ``settings``; raises ValueError when token or chat id is unset."""
        token = settings.telegram_bot_token
        chat = settings.telegram_chat_id
        return cls(
            bot_token=token.get_secret_value() if token else "",
            chat_id=chat.get_secret_value() if chat else "",
            base_url=settings.telegram_api_url,
            max_retry_after_secs=settings.tb_telegram_max_retry_after_secs,
            policy=kwargs.pop("policy", None) or HttpPolicy.from_settings(settings),
            **kwargs,
        )

    def send(self, text: str, *, parse_mode: str | None = "MarkdownV2") -> SendResult:
        """Post ``text`` (already escaped for ``parse_mode``) to the configured chat."""
        if not text:
            raise ValueError("Telegram messages must not be empty")
        body: dict[str, Any] = {
            "chat_id": self._chat_id,
            "text": text,
            "link_preview_options": {"is_disabled": True},
        }
        if parse_mode:
            body["parse_mode"] = parse_mode
        message = self._call(
            "POST",
            f"/bot{self._token}/sendMessage",
            self._parse,
            json_body=body,
            idempotent=False,
            log_path="/bot<redacted>/sendMessage",
        )
        return SendResult(
            message_id=message.message_id,
            chat_id=message.chat.id,
            sent_at=datetime.fromtimestamp(message.date, tz=UTC),
        )

    def _parse(self, data: Any) -> _Message:
        envelope = self._validate(_Envelope, data, what="sendMessage answer")
        if not envelope.ok or envelope.result is None:
            raise ProviderResponseError(
                f"telegram: sendMessage answered ok=false: {envelope.description or ''}"[:300],
                provider=self.provider,
            )
        return envelope.result

    def _status_error(
        self, response: requests.Response, method: str, log_path: str
    ) -> ProviderError | None:
        error = super()._status_error(response, method, log_path)
        if response.status_code == 404 and error is not None:
            # Telegram answers 404 to a malformed token, 401 to an invalid one.
            return ProviderAuthError(str(error), provider=self.provider, status_code=404)
        return error

    def _retry_after(self, response: requests.Response) -> float | None:
        try:
            parameters = response.json().get("parameters") or {}
            value = parameters.get("retry_after")
        except (ValueError, AttributeError):
            value = None
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
        return parse_retry_after(response.headers.get("Retry-After"))
