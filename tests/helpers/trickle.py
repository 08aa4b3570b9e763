"""A loopback server that answers slowly on purpose: one byte per ``interval_secs``.

Each connection gets ``reply`` (a whole HTTP/1.1 response, status line and headers
included, see :func:`http_reply`), sent byte by byte; with ``headers_at_once`` the status
line and headers go out at once and only the body trickles. A read timeout never fires
against it (every read gets a byte in time), which is the point.

Example::

    with TrickleServer(http_reply(b'{"ok": true}'), interval_secs=0.05) as server:
        client = SomeClient(base_url=server.url, ...)
"""

from __future__ import annotations

import socket
import threading

__all__ = ["TrickleServer", "http_reply"]


def http_reply(body: bytes, *, status: str = "200 OK", content_length: bool = True) -> bytes:
    """A whole HTTP/1.1 response with a JSON content type (without Content-Length, the body
    ends when the server closes the connection)."""
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\n" if content_length else "Connection: close\r\n"
    return (head + "\r\n").encode() + body


class TrickleServer:
    """Serve ``reply`` on 127.0.0.1 to every connection, one byte per ``interval_secs``."""

    def __init__(self, reply: bytes, *, interval_secs: float = 1.0,
                 headers_at_once: bool = False) -> None:
        self.reply = reply
        self.interval_secs = interval_secs
        self.headers_at_once = headers_at_once
        self.connections = 0
        self._stopping = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> TrickleServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._sock.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        split = self.reply.find(b"\r\n\r\n") + 4 if self.headers_at_once else 0
        with conn:
            try:
                conn.recv(65536)
                if split:
                    conn.sendall(self.reply[:split])
                for i in range(split, len(self.reply)):
                    if self._stopping.wait(self.interval_secs):
                        return
                    conn.sendall(self.reply[i:i + 1])
            except OSError:
                return  # the client gave up, as it should
