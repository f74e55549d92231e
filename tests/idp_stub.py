"""A real HTTP(S) server on 127.0.0.1 playing an identity provider, for tests that fetch keys.

Routes are plain callables keyed by path; each records what it was asked. Slow routes wait on
an event that ``stop()`` sets, so shutting down never waits for a sleeping handler.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["IdPStub", "Seen", "running_stub"]

Route = Callable[["_Handler"], None]


@dataclass(frozen=True)
class Seen:
    path: str
    host: str | None
    accept_encoding: str | None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()

    def do_GET(self) -> None:
        stub = self.server.stub
        path = self.path.split("?", 1)[0]
        with stub.lock:
            stub.seen.append(Seen(path, self.headers.get("Host"), self.headers.get("Accept-Encoding")))
        route = stub.routes.get(path)
        if route is None:
            self.send_json({"error": "not found"}, status=404)
        else:
            route(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- responders ---------------------------------------------------------------------------

    def send_body(self, body: bytes, *, status: int = 200, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, value: Any, *, status: int = 200) -> None:
        self.send_body(json.dumps(value).encode(), status=status)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    stub: IdPStub

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-body are what some tests are about


class IdPStub:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True, do_handshake_on_connect=False)
        self.scheme = "https" if tls is not None else "http"
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for seen in self.seen if seen.path == path)

    def start(self) -> IdPStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- routes ---------------------------------------------------------------------------------

    def json(self, path: str, value: Any | Callable[[], Any], *, status: int = 200) -> None:
        def route(handler: _Handler) -> None:
            handler.send_json(value() if callable(value) else value, status=status)

        self.routes[path] = route

    def body(self, path: str, body: bytes, *, status: int = 200, content_type: str = "application/json") -> None:
        self.routes[path] = lambda handler: handler.send_body(body, status=status, content_type=content_type)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = lambda handler: handler.redirect(location, status)

    def slow(self, path: str, seconds: float, value: Any) -> None:
        """Answers only after ``seconds`` (or never, once the stub stops)."""

        def route(handler: _Handler) -> None:
            if not self.stopping.wait(seconds):
                handler.send_json(value)

        self.routes[path] = route

    def drip(self, path: str, *, every: float, count: int) -> None:
        """Headers at once, then one byte every ``every`` seconds: each read is quick, the whole is slow."""

        def route(handler: _Handler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            with suppress(OSError):
                handler.wfile.write(b"{")
                handler.wfile.flush()
                for _ in range(count):
                    if self.stopping.wait(every):
                        return
                    handler.wfile.write(b" ")
                    handler.wfile.flush()

        self.routes[path] = route

    def huge(self, path: str, size: int, *, declare_length: bool = False) -> None:
        """A JSON string of ``size`` bytes, streamed in 64 KB chunks (no Content-Length unless asked)."""

        def route(handler: _Handler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            if declare_length:
                handler.send_header("Content-Length", str(size))
            handler.end_headers()
            with suppress(OSError):
                handler.wfile.write(b'"')
                sent = 1
                chunk = b"x" * 65536
                while sent < size - 1 and not self.stopping.is_set():
                    handler.wfile.write(chunk)
                    sent += len(chunk)
                handler.wfile.write(b'"')

        self.routes[path] = route


@contextmanager
def running_stub(tls: ssl.SSLContext | None = None) -> Iterator[IdPStub]:
    stub = IdPStub(tls).start()
    try:
        yield stub
    finally:
        stub.stop()
