"""Loopback stand-ins for all five services of a live run, wired only through env variables.

:class:`LiveServices` starts one :class:`LoopbackServer` per service (Alpaca data + trading,
Perplexity, Hugging Face (FinBERT and the LLM), Telegram, Polymarket gamma + CLOB) that answer
in the documented shapes of ``tests/fixtures/*``: Alpaca bars are generated for the requested
window (hourly, up to the last closed hour), Perplexity lists three headlines about the
requested symbols published in the last hours, FinBERT and the LLM judge by keyword.

A fault replaces the healthy answers of one or more targets (``alpaca``, ``perplexity``,
``hf_finbert``, ``hf_llm``, ``telegram``, ``polymarket``)::

    with LiveServices(faults={"perplexity": "http_500"}) as services:
        env = services.env(tmp_path / "cache")
        ...  # tb run --live with env

``down`` points the target's URL at a closed port (connection refused).
"""

from __future__ import annotations

import json
import math
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.helpers.loopback import LoopbackServer, RecordedRequest, Reply
from tests.helpers.provider_contract import load_fixture

__all__ = [
    "EXTRA_FAULTS",
    "FAULTS",
    "HEALTHY_HEADLINES",
    "SECRETS",
    "TARGETS",
    "LiveServices",
    "closed_port_url",
    "fast_http_env",
]

TARGETS = ("alpaca", "perplexity", "hf_finbert", "hf_llm", "telegram", "polymarket")
FAULTS = ("down", "http_500", "http_429", "garbage", "wrong_shape", "empty", "slow", "http_401")
# Not failures of the run: a 500 then the healthy answer (one retry recovers), answers that
# echo the credentials they received (errors, or valid shapes with them in the text), and
# Perplexity news with invalid items among the valid ones.
EXTRA_FAULTS = ("flaky_500", "echo_error", "echo_content", "mixed_items")

SECRETS = {
    "APCA_API_KEY_ID": "AK-test",
    "APCA_API_SECRET_KEY": "SK-test",
    "PPLX_API_KEY": "pplx-test",
    "HF_TOKEN": "hf_test",
    "TELEGRAM_BOT_TOKEN": "1000:test-token",
    "TELEGRAM_CHAT_ID": "-1001234567890",
}

HEALTHY_HEADLINES = (
    ("{name} rallies as ETF inflows hit a record", 2),
    ("{name} surges after a major exchange expands support", 5),
    ("{name} slides as regulators weigh a crackdown", 9),
)

_FINBERT_PATH = "/models/ProsusAI/finbert"
_LLM_PATH = "/v1/chat/completions"
_NAMES = {"BTC-USD": "Bitcoin", "ETH-USD": "Ether"}


def fast_http_env() -> dict[str, str]:
    """Short timeouts, no retries, a quick breaker: a faulty service costs a fraction of a
    second, not the production minutes."""
    return {
        "TB_NOTIFY": "always",  # every run sends its digest (config/notify.yaml: triggers only)
        "TB_HTTP_CONNECT_TIMEOUT_SECS": "0.5",
        "TB_HTTP_READ_TIMEOUT_SECS": "0.3",
        "TB_PPLX_READ_TIMEOUT_SECS": "0.3",
        "TB_HTTP_MAX_RETRIES": "0",
        "TB_BREAKER_FAIL_MAX": "2",
        "TB_TELEGRAM_MAX_RETRY_AFTER_SECS": "1",
    }


def closed_port_url() -> str:
    """A loopback URL on which nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_time(value: str | None) -> datetime:
    assert value is not None, "bars request without start/end"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _bars(request: RecordedRequest) -> Reply:
    # Hourly bars for every requested symbol in [start, end), never beyond the last closed hour.
    start = _parse_time(request.param("start"))
    end = _parse_time(request.param("end"))
    last_closed = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    first = start.replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    template = load_fixture("alpaca", "crypto_bars")["bars"]["BTC/USD"][0]
    out: dict[str, list[dict[str, Any]]] = {}
    for symbol in (request.param("symbols") or "").split(","):
        rows = []
        t = first
        while t + timedelta(hours=1) <= min(end, last_closed):
            k = int(t.timestamp() // 3600)
            mid = 60000.0 * math.exp(0.01 * math.sin(k / 7.0) + 0.004 * math.sin(k / 2.3))
            close = mid * (1 + 0.001 * math.sin(k * 1.7))
            rows.append({**template, "t": _iso(t), "o": round(mid, 2), "c": round(close, 2),
                         "h": round(max(mid, close) * 1.002, 2),
                         "l": round(min(mid, close) * 0.998, 2),
                         "v": round(2.0 + math.sin(k / 3.0), 6), "vw": round(mid, 2)})
            t += timedelta(hours=1)
        out[symbol] = rows
    return Reply(json={"bars": out, "next_page_token": None})


def _news(request: RecordedRequest) -> Reply:
    body = request.json()
    schema = body["response_format"]["json_schema"]["schema"]
    symbols = schema["properties"]["items"]["items"]["properties"]["symbols"]["items"]["enum"]
    now = datetime.now(UTC)
    items = [
        {
            "headline": text.format(name=_NAMES.get(symbol, symbol)),
            "source": source,
            "url": f"https://news.example/{symbol.lower()}/{hours}",
            "published_at": _iso(now - timedelta(hours=hours, minutes=7)),
            "symbols": [symbol],
            "summary": "A loopback headline.",
        }
        for symbol in symbols
        for (text, hours), source in zip(HEALTHY_HEADLINES, ("Reuters", "CoinDesk", "Bloomberg"),
                                         strict=True)
    ]
    completion = load_fixture("perplexity", "chat_completions")
    completion["choices"][0]["message"]["content"] = json.dumps({"items": items})
    completion["citations"] = [item["url"] for item in items]
    return Reply(json=completion)


def _bullish(text: str) -> bool:
    return any(word in text.lower() for word in ("rall", "surge", "rising"))


def _finbert(request: RecordedRequest) -> Reply:
    text = str(request.json().get("inputs", ""))
    positive, negative = (0.91, 0.03) if _bullish(text) else (0.04, 0.88)
    return Reply(json=[[{"label": "positive", "score": positive},
                        {"label": "negative", "score": negative},
                        {"label": "neutral", "score": round(1 - positive - negative, 4)}]])


def _llm(request: RecordedRequest) -> Reply:
    text = request.json()["messages"][-1]["content"]
    verdict = {"polarity": "positive" if _bullish(text) else "negative", "confidence": 0.8}
    completion = load_fixture("hf", "chat_completion")
    completion["choices"][0]["message"]["content"] = json.dumps(verdict)
    return Reply(json=completion)


_EMPTY: dict[str, Any] = {
    "alpaca": {"bars": {}, "next_page_token": None},
    "perplexity": load_fixture("perplexity", "chat_completions_empty"),
    "hf_finbert": [],
    "hf_llm": {**load_fixture("hf", "chat_completion"), "choices": []},
    "telegram": {"ok": True, "result": None},
    "polymarket": {"events": [], "tags": [], "profiles": []},
}


def _echo(request: RecordedRequest) -> str:
    # What a careless server might send back: the path, body and headers it received.
    seen = [request.path, request.body.decode("utf-8", "replace")]
    seen += [value for name, value in request.headers.items() if name != "host"]
    return " | ".join(seen)


def _echo_error(request: RecordedRequest) -> Reply:
    kinds = (
        Reply(status=401, json={"error": f"bad credentials: {_echo(request)}"}),
        Reply(status=500, json={"error": f"internal: {_echo(request)}"}),
        Reply(body=f"<html>{_echo(request)}</html>"),
        Reply(status=400, json={"ok": False, "description": _echo(request)}),
    )
    return kinds[len(request.body) % len(kinds)]


def _echo_content(target: str, healthy: Callable[[RecordedRequest], Reply] | Reply,
                  ) -> Callable[[RecordedRequest], Reply]:
    # A valid answer whose free text carries the credentials (a headline, a model's content).
    def reply(request: RecordedRequest) -> Reply:
        echoed = _echo(request)
        if target == "perplexity":
            base = _news(request).json
            content = json.loads(base["choices"][0]["message"]["content"])
            for item in content["items"]:
                item["headline"] = f"{item['headline']} {echoed}"[:900]
                item["summary"] = echoed[:3000]
            base["choices"][0]["message"]["content"] = json.dumps(content)
            return Reply(json=base)
        if target == "hf_llm":
            completion = load_fixture("hf", "chat_completion")
            completion["choices"][0]["message"]["content"] = echoed
            return Reply(json=completion)
        if target == "alpaca":
            return Reply(json={"bars": {}, "next_page_token": None, "note": echoed})
        return healthy(request) if callable(healthy) else healthy

    return reply


def _mixed_items(request: RecordedRequest) -> Reply:
    # The healthy items plus one of each kind the client must reject (never guess).
    completion = _news(request).json
    content = json.loads(completion["choices"][0]["message"]["content"])
    good = content["items"][0]
    content["items"] += [
        {key: value for key, value in good.items() if key != "headline"},
        {**good, "headline": "Ether climbs", "published_at": "March 4, 2024"},
        {**good, "headline": "Naive time", "published_at": "2024-03-04T09:00:00"},
        {**good, "headline": "From the future", "published_at": "2999-01-01T00:00:00Z"},
        {**good, "headline": "Tesla recalls cars", "symbols": ["TSLA"]},
    ]
    completion["choices"][0]["message"]["content"] = json.dumps(content)
    return Reply(json=completion)


def _fault_reply(fault: str, target: str) -> Reply:
    replies = {
        "http_500": Reply(status=500, json={"error": "internal server error"}),
        "http_429": Reply(status=429, headers={"Retry-After": "3600"},
                          json={"error": "rate limited", "parameters": {"retry_after": 3600}}),
        "garbage": Reply(body="<html><body>502 Bad Gateway</body></html>",
                         headers={"Content-Type": "text/html"}),
        "wrong_shape": Reply(json={"data": [1, 2, 3], "status": "fine"}),
        "empty": Reply(json=_EMPTY[target]),
        "slow": Reply(delay_secs=3.0, json={"late": True}),
        "http_401": Reply(status=401, json={"error": "unauthorized"}),
    }
    return replies[fault]


class LiveServices:
    """The five services on loopback; ``faults`` maps a target to a fault in :data:`FAULTS`."""

    def __init__(self, faults: dict[str, str] | None = None) -> None:
        self.faults = dict(faults or {})
        unknown = (set(self.faults) - set(TARGETS)) | (
            set(self.faults.values()) - {*FAULTS, *EXTRA_FAULTS})
        if unknown:
            raise ValueError(f"unknown targets or faults: {sorted(unknown)}")
        self.servers = {name: LoopbackServer() for name in
                        ("alpaca", "perplexity", "hf", "telegram", "polymarket")}
        self._dead = closed_port_url()
        self._route("alpaca", "GET", "/v1beta3/crypto/us/bars", _bars, "alpaca")
        self._route("alpaca", "GET", "/v2/stocks/bars", _bars, "alpaca")
        self._route("alpaca", "GET", "/v2/clock", Reply(json=load_fixture("alpaca", "clock")),
                    "alpaca")
        self._route("perplexity", "POST", "/chat/completions", _news, "perplexity")
        self._route("hf", "POST", _FINBERT_PATH, _finbert, "hf_finbert")
        self._route("hf", "POST", _LLM_PATH, _llm, "hf_llm")
        self._route("telegram", "POST", "/bot*",
                    Reply(json=load_fixture("telegram", "send_message")), "telegram")
        self._route("polymarket", "GET", "/public-search",
                    Reply(json=load_fixture("polymarket", "public_search")), "polymarket")
        self._route("polymarket", "GET", "/book",
                    Reply(json=load_fixture("polymarket", "book")), "polymarket")

    def _route(self, server: str, method: str, path: str,
               healthy: Reply | Callable[[RecordedRequest], Reply], target: str) -> None:
        fault = self.faults.get(target)
        if fault is None or fault == "down":
            self.servers[server].route(method, path, healthy)
        elif fault == "flaky_500":
            self.servers[server].route(method, path, Reply(status=500), healthy)
        elif fault == "echo_error":
            self.servers[server].route(method, path, _echo_error)
        elif fault == "mixed_items":
            self.servers[server].route(method, path, _mixed_items)
        elif fault == "echo_content":
            self.servers[server].route(method, path, _echo_content(target, healthy))
        else:
            self.servers[server].route(method, path, _fault_reply(fault, target))

    def _url(self, server: str, target: str, suffix: str = "") -> str:
        if self.faults.get(target) == "down":
            return self._dead + suffix
        return self.servers[server].url + suffix

    def env(self, cache_dir: Path, *, secrets: dict[str, str] | None = None) -> dict[str, str]:
        """Every key, every base URL pointed here, fast HTTP settings, a private cache."""
        return {
            **(SECRETS if secrets is None else secrets),
            **fast_http_env(),
            "APCA_API_DATA_URL": self._url("alpaca", "alpaca"),
            "APCA_API_BASE_URL": self._url("alpaca", "alpaca"),
            "PPLX_BASE_URL": self._url("perplexity", "perplexity"),
            "TB_FINBERT_URL": self._url("hf", "hf_finbert", _FINBERT_PATH),
            "TB_LLM_URL": self._url("hf", "hf_llm", "/v1"),
            "TELEGRAM_API_URL": self._url("telegram", "telegram"),
            "POLYMARKET_GAMMA_URL": self._url("polymarket", "polymarket"),
            "POLYMARKET_CLOB_URL": self._url("polymarket", "polymarket"),
            "TB_CACHE_DIR": str(cache_dir),
        }

    def requests_to(self, server: str) -> int:
        return len(self.servers[server].requests)

    def start(self) -> LiveServices:
        for server in self.servers.values():
            server.start()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> LiveServices:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
