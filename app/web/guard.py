"""What keeps a shared instance safe: Host allowlist, same-origin POSTs, the access token, a quiet log.

A pure ASGI middleware, so it also guards error responses and static files, and runs before
any handler reads a body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["COOKIE_NAME", "AccessGuard", "host_allowed"]

COOKIE_NAME = "jwtlens_access"
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_OPEN_PATHS = ("/healthz", "/static/")
access_log = logging.getLogger("jwtlens.access")


def _host_name(value: str) -> str:
    """'[::1]:8000' -> '::1', 'Example.org:80' -> 'example.org'."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def host_allowed(host_header: str, extra: frozenset[str]) -> bool:
    name = _host_name(host_header)
    return name in _LOCAL_HOSTS or name in extra or (name.startswith("127.") and name.replace(".", "").isdigit())


def _cookie_value(token: str) -> str:
    # The cookie carries a derivative, so a leaked cookie is not the token printed at start.
    return hmac.new(token.encode(), b"jwtlens-session", hashlib.sha256).hexdigest()


class AccessGuard:
    def __init__(self, app: ASGIApp, *, allowed_hosts: frozenset[str], access_token: str | None) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.access_token = access_token
        self.cookie = _cookie_value(access_token) if access_token else None

    async def _answer(
        self, send: Send, status: int, code: str, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()
    ) -> None:
        body = json.dumps({"error": {"code": code, "message": message, "segment": None}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _cross_site(self, headers: dict[bytes, bytes]) -> bool:
        if headers.get(b"sec-fetch-site", b"").decode("latin-1").lower() == "cross-site":
            return True
        origin = headers.get(b"origin")
        if origin is None:
            return False
        text = origin.decode("latin-1").strip()
        if text == "null":
            return True
        parts = urlsplit(text)
        host = headers.get(b"host", b"").decode("latin-1").lower()
        return parts.netloc.lower() != host

    def _authenticated(self, headers: dict[bytes, bytes]) -> bool:
        assert self.access_token is not None and self.cookie is not None
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer ") and hmac.compare_digest(
            authorization[7:].strip().encode(), self.access_token.encode()
        ):
            return True
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
        except CookieError:  # a malformed Cookie header is simply no session
            return False
        morsel = cookie.get(COOKIE_NAME)
        return morsel is not None and hmac.compare_digest(morsel.value.encode(), self.cookie.encode())

    async def _login(self, scope: Scope, send: Send) -> bool:
        """``GET /?access_token=...``: set the session cookie and redirect to the same URL without it."""
        assert self.access_token is not None and self.cookie is not None
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        offered = [value for name, value in pairs if name == "access_token"]
        if scope["method"] != "GET" or not offered:
            return False
        if not hmac.compare_digest(offered[0].encode(), self.access_token.encode()):
            return False
        rest = urlencode([(n, v) for n, v in pairs if n != "access_token"])
        # One leading slash: "//host" would make the redirect leave this server.
        location = "/" + scope.get("path", "/").lstrip("/") + (f"?{rest}" if rest else "")
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{COOKIE_NAME}={self.cookie}; Path=/; HttpOnly; SameSite=Strict{secure}"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode()),
                    (b"set-cookie", cookie.encode()),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_seen = 0

        async def logged_send(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = message["status"]
            await send(message)

        try:
            await self._guarded(scope, receive, logged_send)
        finally:
            # Method, path and status only: query strings and bodies can hold tokens and keys.
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info('"%s %s" %s %.1fms', scope["method"], scope.get("path", ""), status_seen, elapsed)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        if not host_allowed(headers.get(b"host", b"").decode("latin-1"), self.allowed_hosts):
            await self._answer(
                send,
                400,
                "host_not_allowed",
                "This Host is not one jwtlens answers to (DNS rebinding guard); add it to JWTLENS_ALLOWED_HOSTS",
            )
            return
        if scope["method"] in _UNSAFE_METHODS and self._cross_site(headers):
            await self._answer(send, 403, "cross_site", "Cross-site requests are refused")
            return
        path = scope.get("path", "")
        if self.access_token is not None and not path.startswith(_OPEN_PATHS):
            if await self._login(scope, send):
                return
            if not self._authenticated(headers):
                await self._answer(
                    send,
                    401,
                    "access_token_required",
                    "This jwtlens instance needs its access token: open the link printed when it started, "
                    "or send 'Authorization: Bearer <token>'",
                    ((b"www-authenticate", b'Bearer realm="jwtlens"'),),
                )
                return
        await self.app(scope, receive, send)
