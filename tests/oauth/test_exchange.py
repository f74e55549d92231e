"""jwtlens.fetch.exchange: a POST to an OAuth endpoint under the fetch rules, against a real HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from jwtlens.core.errors import InputError
from jwtlens.fetch import FetchPolicy, exchange

SECRET = "canary-exchange-secret-91c2"


class _Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, dict[str, str], str]]

    def _send(self, status: int, body: bytes, content_type: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):  # jwtlens stops reading past its cap
            self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        self.server.seen.append((self.command, self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        self.path = self.path.split("?", 1)[0]
        if self.path == "/token":
            self._send(200, json.dumps({"access_token": "at", "token_type": "Bearer"}).encode())
        elif self.path == "/refuse":
            self._send(400, b'{"error":"invalid_grant","error_description":"code expired"}')
        elif self.path in ("/307", "/302"):
            self._send(int(self.path[1:]), b"", Location="/token")
        elif self.path == "/500":
            self._send(500, b"oops")
        elif self.path == "/big":
            self._send(200, b'{"a":"' + b"x" * 600_000 + b'"}')
        elif self.path == "/html":
            self._send(200, b"<html>login</html>", "text/html")
        else:
            self._send(404, b"{}")

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[Any]]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd.seen  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


POLICY = FetchPolicy(bound_to_loopback=True, total_timeout=5)


def test_post_form_and_headers_arrive(server: tuple[str, list[Any]]) -> None:
    origin, seen = server
    got = exchange(f"{origin}/token", POLICY, segment="token", form={"grant_type": "x y"}, headers={"X-A": "1"})
    assert got.status == 200 and got.value == {"access_token": "at", "token_type": "Bearer"}
    method, path, headers, body = seen[-1]
    assert (method, path, body) == ("POST", "/token", "grant_type=x+y")
    assert headers["X-A"] == "1" and headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_a_4xx_is_the_providers_answer(server: tuple[str, list[Any]]) -> None:
    origin, _ = server
    got = exchange(f"{origin}/refuse", POLICY, segment="token", form={})
    assert got.status == 400 and got.value == {"error": "invalid_grant", "error_description": "code expired"}


@pytest.mark.parametrize("status", ["307", "302"])
def test_redirects_are_refused_not_followed(server: tuple[str, list[Any]], status: str) -> None:
    origin, seen = server
    before = len(seen)
    with pytest.raises(InputError) as caught:
        exchange(f"{origin}/{status}", POLICY, segment="token", form={"client_secret": SECRET})
    assert caught.value.problem.code == "fetch_redirects" and caught.value.problem.upstream
    assert len(seen) == before + 1  # the Location was never requested, so the secret went nowhere else
    assert SECRET not in caught.value.problem.message


@pytest.mark.parametrize(("path", "code"), [("/500", "fetch_status"), ("/big", "fetch_too_large")])
def test_upstream_failures(server: tuple[str, list[Any]], path: str, code: str) -> None:
    origin, _ = server
    with pytest.raises(InputError) as caught:
        exchange(f"{origin}{path}?client_secret={SECRET}", POLICY, segment="token", form={"s": SECRET})
    problem = caught.value.problem
    assert problem.code == code and problem.status == 502 and problem.segment == "token"
    assert SECRET not in problem.message  # a URL's query is never shown


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/token",
        "http://[::ffff:169.254.169.254]/token",
        "file:///etc/passwd",
        "http://u:p@127.0.0.1/",
    ],
)
def test_ssrf_rules_refuse_before_connecting(url: str) -> None:
    with pytest.raises(InputError) as caught:
        exchange(url, POLICY, segment="token", form={})
    assert caught.value.problem.status == 400


def test_not_loopback_needs_the_allowlist(server: tuple[str, list[Any]]) -> None:
    origin, _ = server
    shared = FetchPolicy(bound_to_loopback=False)
    with pytest.raises(InputError) as caught:
        exchange(f"{origin}/token", shared, segment="token", form={})
    assert caught.value.problem.status == 400
    port = origin.rsplit(":", 1)[1]
    allowed = FetchPolicy(bound_to_loopback=False, allowlist=(f"127.0.0.1:{port}",))
    assert exchange(f"{origin}/token", allowed, segment="token", form={}).status == 200


def test_a_body_that_is_not_json_is_returned_as_text(server: tuple[str, list[Any]]) -> None:
    # Userinfo may answer application/jwt; the endpoint's client decides whether text is acceptable.
    origin, _ = server
    got = exchange(f"{origin}/html", POLICY, segment="userinfo")
    assert got.value is None and got.text == "<html>login</html>" and got.content_type == "text/html"
