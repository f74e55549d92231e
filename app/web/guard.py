"""What keeps a shared instance safe: Host allowlist, same-origin POSTs, the access token, a quiet log.

A pure ASGI middleware, so it also guards error responses and static files, and runs before
any handler reads a body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections import OrderedDict
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import printable_path

__all__ = ["COOKIE_NAME", "AccessGuard", "FailureThrottle", "host_allowed", "safe_redirect_path"]

COOKIE_NAME = "jwtlens_access"
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_OPEN_PATHS = ("/healthz", "/static/")
#: the identity provider's redirect back (a GET, or a form_post POST from its origin: the one cross-site POST
#: let through) and the sign-in result; their handlers answer only for a pending sign-in (state + flow cookie)
_CALLBACK_PATH = "/callback"
_SIGN_IN_PATHS = frozenset({_CALLBACK_PATH, "/oauth/result"})
access_log = logging.getLogger("jwtlens.access")
# RFC 3986 path characters, without '%' (no encoded '/', '\\' or '.') and without '\\', controls or spaces.
_CLEAN_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@/-]*")
_MAX_REDIRECT_PATH = 2048


def safe_redirect_path(path: str) -> str:
    """``path`` if it is a plain path on this server, else ``/``: the login redirect can never leave it."""
    if len(path) > _MAX_REDIRECT_PATH or not _CLEAN_PATH.fullmatch(path) or "//" in path:
        return "/"
    if any(part in (".", "..") for part in path.split("/")):
        return "/"
    return path


class FailureThrottle:
    """Wrong access tokens per client: ``limit`` in ``window`` seconds, then 429 until the window passes.

    Bounded memory: at most ``max_clients`` addresses are tracked, the least recently failing dropped first.
    """

    def __init__(self, limit: int = 10, window: float = 60.0, max_clients: int = 4096) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def _recent(self, client: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(client, ()) if now - t < self.window]
        if times:
            self._failures[client] = times
        else:
            self._failures.pop(client, None)
        return times

    def retry_after(self, client: str, now: float | None = None) -> int:
        """Seconds until ``client`` may try again; 0 when it may now."""
        moment = time.monotonic() if now is None else now
        times = self._recent(client, moment)
        if len(times) < self.limit:
            return 0
        return max(1, int(times[-self.limit] + self.window - moment + 0.999))

    def failed(self, client: str, now: float | None = None) -> None:
        moment = time.monotonic() if now is None else now
        times = self._recent(client, moment)
        self._failures[client] = [*times[-(self.limit - 1) :], moment] if self.limit > 1 else [moment]
        self._failures.move_to_end(client)
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)


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
    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: frozenset[str],
        access_token: str | None,
        throttle: FailureThrottle | None = None,
    ) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.access_token = access_token
        self.cookie = _cookie_value(access_token) if access_token else None
        self.throttle = throttle or FailureThrottle()

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

    def _offered(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[str, str] | None:
        """The token this request offers and how: ('query', t) on a GET login link, ('bearer', t), or None."""
        if scope["method"] == "GET":
            pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            offered = [value for name, value in pairs if name == "access_token"]
            if offered:
                return "query", offered[0]
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            return "bearer", authorization[7:].strip()
        return None

    def _has_session(self, headers: dict[bytes, bytes]) -> bool:
        assert self.cookie is not None
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
        except CookieError:  # a malformed Cookie header is simply no session
            return False
        morsel = cookie.get(COOKIE_NAME)
        return morsel is not None and hmac.compare_digest(morsel.value.encode(), self.cookie.encode())

    async def _login(self, scope: Scope, send: Send) -> None:
        """``GET /path?access_token=...``: set the session cookie, redirect to the same clean path without it."""
        assert self.cookie is not None
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        rest = urlencode([(n, v) for n, v in pairs if n != "access_token"])
        location = safe_redirect_path(scope.get("path", "/")) + (f"?{rest}" if rest else "")
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
            path = printable_path(scope.get("path", ""))
            access_log.info('"%s %s" %s %.1fms', scope["method"], path, status_seen or 500, elapsed)

    async def _refuse_stranger(self, send: Send) -> None:
        await self._answer(
            send,
            401,
            "access_token_required",
            "This jwtlens instance needs its access token: open the link printed when it started, "
            "or send 'Authorization: Bearer <token>'",
            ((b"www-authenticate", b'Bearer realm="jwtlens"'),),
        )

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
        path = scope.get("path", "")
        if scope["method"] in _UNSAFE_METHODS and path != _CALLBACK_PATH and self._cross_site(headers):
            await self._answer(send, 403, "cross_site", "Cross-site requests are refused")
            return
        if self.access_token is not None and not path.startswith(_OPEN_PATHS) and path not in _SIGN_IN_PATHS:
            offered = self._offered(scope, headers)
            if offered is None:
                if not self._has_session(headers):
                    await self._refuse_stranger(send)
                    return
            else:
                client = (scope.get("client") or ("unknown", 0))[0]
                wait = self.throttle.retry_after(client)
                if wait:
                    await self._answer(
                        send,
                        429,
                        "too_many_attempts",
                        f"Too many wrong access tokens from this address; try again in {wait} s",
                        ((b"retry-after", str(wait).encode()),),
                    )
                    return
                how, token = offered
                if not hmac.compare_digest(token.encode(), self.access_token.encode()):
                    self.throttle.failed(client)
                    await self._refuse_stranger(send)
                    return
                if how == "query":
                    await self._login(scope, send)
                    return
        await self.app(scope, receive, send)
