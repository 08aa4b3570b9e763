"""A scripted HTTP server on 127.0.0.1 for tests that need real sockets.

Each route (method + path) answers from a script of :class:`Reply` objects, in order, the
last one repeating. A reply can set status, headers, body, a delay before answering, or
``drop=True`` to reset the connection without answering. Every request is recorded.

Example::

    with LoopbackServer() as server:
        server.route("GET", "/v2/clock", Reply(status=503), Reply(json={"is_open": True}))
        client = AlpacaMarketData(trading_url=server.url, ...)
        client.clock()
        assert [r.path for r in server.requests] == ["/v2/clock", "/v2/clock"]

A path ending in ``*`` matches by prefix (``"/bot*"``). A reply may also be a callable
``(RecordedRequest) -> Reply`` for answers that depend on the request (pagination).
Unrouted requests get a 404 with ``{"error": "no route"}``.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["LoopbackServer", "RecordedRequest", "Reply"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``json`` (if given) is serialised as the body."""

    status: int = 200
    json: Any = None
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_secs: float = 0.0
    drop: bool = False

    def payload(self) -> bytes:
        if self.json is not None:
            return json.dumps(self.json).encode("utf-8")
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class RecordedRequest:
    """What the server received; ``headers`` keys are lower-case."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Script = Reply | Callable[[RecordedRequest], Reply]


class _QuietServer(ThreadingHTTPServer):
    # Clients that time out or are reset on purpose are expected: no tracebacks on stderr.
    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class LoopbackServer:
    """A threaded HTTP/1.1 server on ``127.0.0.1:<free port>``; use as a context manager."""

    def __init__(self, *, default_delay_secs: float = 0.0) -> None:
        self.default_delay_secs = default_delay_secs
        self.requests: list[RecordedRequest] = []
        self._routes: dict[tuple[str, str], list[Script]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, method: str, path: str, *replies: Script) -> LoopbackServer:
        """Answer ``method path`` with ``replies`` in order (the last repeats)."""
        if not replies:
            raise ValueError("route needs at least one reply")
        with self._lock:
            self._routes[(method.upper(), path)] = list(replies)
        return self

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            script = self._routes.get((request.method, request.path))
            if script is None:
                for (method, path), candidate in self._routes.items():
                    if (
                        method == request.method
                        and path.endswith("*")
                        and request.path.startswith(path[:-1])
                    ):
                        script = candidate
                        break
            if script is None:
                return Reply(status=404, json={"error": "no route"})
            step = script.pop(0) if len(script) > 1 else script[0]
        return step(request) if callable(step) else step

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # keep test output clean

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = RecordedRequest(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = server._next_reply(request)
                delay = reply.delay_secs or server.default_delay_secs
                if delay and server._stopping.wait(delay):
                    return
                if reply.drop:
                    # SO_LINGER 0: close with RST, so the client sees a connection reset.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                    self.connection.close()
                    return
                payload = reply.payload()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                try:
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (timeout test)

            do_GET = _handle
            do_POST = _handle
            do_PUT = _handle
            do_DELETE = _handle

        return Handler
