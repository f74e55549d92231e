"""One JSON document over HTTP(S), connecting only to checked addresses, within time and size limits.

Anti-rebinding: the host name is resolved once, here, and every address checked; the connection then
goes to one of those checked addresses, so a DNS answer that changes between check and connect (DNS
rebinding) is never consulted. This lives at the httpcore network-backend layer, below HTTP and TLS:
the request still carries the original URL (Host header), and httpcore still starts TLS with
server_hostname = the original host (SNI and certificate verification), so only the socket's
destination is pinned. The backend refuses any host it was not given checked addresses for, so a code
path that skips the check fails closed. Redirects are followed here, each target re-checked.

Failures of the other side (DNS, connect, TLS, timeouts, status, size, body) are UpstreamFailed (502).
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpcore
import httpx

from .. import __version__
from ..core.errors import InputError
from ..core.jsonparse import json_kind, parse_json
from .errors import UpstreamFailed, shown, shown_url
from .policy import DEFAULT_PORTS, FetchPolicy
from .rules import check_addresses, check_url, host_port

# The pinned transport's parts are public to this package: exchange.py (OAuth POSTs) reuses them.
__all__ = [
    "CA_BUNDLE_ENV",
    "FETCHING",
    "REQUEST_HEADERS",
    "FetchedDocument",
    "PinnedBackend",
    "PinnedTransport",
    "Resolver",
    "fetch_document",
    "network_errors",
    "parse_object",
    "read_capped",
    "resolve_checked",
    "resolve_host",
    "tls_for",
]

CA_BUNDLE_ENV = "JWTLENS_FETCH_CA_BUNDLE"

#: (host, port) -> the IP addresses to connect to; raises OSError when the name does not resolve
Resolver = Callable[[str, int], Sequence[str]]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
REQUEST_HEADERS = {
    "Accept": "application/json, application/jwk-set+json;q=0.9",
    # Decompressing is where a small body becomes a large one; ask for none.
    "Accept-Encoding": "identity",
    "User-Agent": f"jwtlens/{__version__}",
}

#: httpx's and httpcore's loggers: their DEBUG trace holds raw response headers (a Location may carry a secret)
_LIBRARY_LOGGERS = ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy")
FETCHING: contextvars.ContextVar[bool] = contextvars.ContextVar("jwtlens_fetching", default=False)


class _QuietWhileFetching(logging.Filter):
    """Drops the libraries' records made during jwtlens's own fetches; other users of httpx are untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not FETCHING.get()


_QUIET = _QuietWhileFetching()
for _name in _LIBRARY_LOGGERS:
    logging.getLogger(_name).addFilter(_QUIET)


@dataclass(frozen=True)
class FetchedDocument:
    """One JSON object fetched over HTTP, as the cache keeps it."""

    url: str  # as requested
    value: dict[str, Any]
    raw_text: str
    fetched_at: float  # wall-clock seconds
    redirects: tuple[str, ...] = ()  # each Location followed, in order


# -- resolving: once, with a timeout, every answer checked -----------------------------------------


def resolve_host(host: str, port: int) -> list[str]:
    """The system resolver: every address getaddrinfo gives for a TCP connection, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _call_with_timeout(resolver: Resolver, host: str, port: int, timeout: float) -> Sequence[str]:
    # getaddrinfo has no timeout of its own; a daemon thread that outlives us cannot block exit.
    outcome: list[Sequence[str] | Exception] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome.append(resolver(host, port))
        except Exception as exc:
            outcome.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name="jwtlens-resolve", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


def resolve_checked(
    url: httpx.URL, policy: FetchPolicy, resolver: Resolver, deadline: float, segment: str
) -> tuple[str, ...]:
    """The addresses to connect to for ``url``'s host, each checked against the forbidden ranges."""
    host = url.host
    if _is_ip(host):
        return (host,)  # check_url has checked it
    timeout = min(policy.connect_timeout, deadline - time.monotonic())
    try:
        if timeout <= 0:
            raise TimeoutError
        addresses = tuple(_call_with_timeout(resolver, host, url.port or DEFAULT_PORTS[url.scheme], timeout))
    except TimeoutError:
        limit = policy.connect_timeout if timeout == policy.connect_timeout else policy.total_timeout
        raise UpstreamFailed(
            "fetch_timeout", f"Looking up the host {host} took longer than {limit:g} s", segment
        ) from None
    except (OSError, UnicodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UpstreamFailed("fetch_connect", f"Cannot resolve the host {host}: {detail}", segment) from None
    if not addresses:
        raise UpstreamFailed("fetch_connect", f"Cannot resolve the host {host}: it has no address", segment)
    if not all(_is_ip(address) for address in addresses):
        raise UpstreamFailed("fetch_connect", f"Cannot resolve the host {host}: the resolver gave no IP", segment)
    check_addresses(host, addresses, segment)
    return addresses


# -- connecting only to the pinned addresses, within the deadline ----------------------------------


def _remaining(timeout: float | None, deadline: float, expired: type[Exception]) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the total time for this fetch ran out")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """Clamps every socket wait to what remains of the fetch's total time (a slow drip cannot stretch it)."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _remaining(timeout, self._deadline, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _remaining(timeout, self._deadline, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        wait = _remaining(timeout, self._deadline, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, wait), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: float) -> None:
        self.pins: dict[str, tuple[str, ...]] = {}
        self._deadline = deadline
        self._system = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.pins.get(host.lower())
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no checked address")
        failure: Exception = httpcore.ConnectError(f"{host} has no checked address")
        for address in addresses:
            wait = _remaining(timeout, self._deadline, httpcore.ConnectTimeout)
            try:
                stream = self._system.connect_tcp(address, port, wait, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise failure


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.iter_stream()

    def close(self) -> None:
        self._response.close()


class PinnedTransport(httpx.BaseTransport):
    """httpx over an httpcore pool whose network backend connects only to pinned addresses.

    Called directly, not through httpx.Client, whose INFO log line would carry the full URL (query included).
    """

    def __init__(self, backend: PinnedBackend, tls: ssl.SSLContext) -> None:
        self._pool = httpcore.ConnectionPool(ssl_context=tls, network_backend=backend, http1=True, http2=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        url = httpcore.URL(
            scheme=request.url.raw_scheme, host=request.url.raw_host, port=request.url.port, target=request.url.raw_path
        )
        response = self._pool.handle_request(
            httpcore.Request(
                request.method, url, headers=request.headers.raw, content=request.stream, extensions=request.extensions
            )
        )
        return httpx.Response(
            response.status,
            headers=response.headers,
            stream=_ResponseStream(response),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        self._pool.close()


@lru_cache(maxsize=8)
def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_bundle)


# -- one GET, its failures named -------------------------------------------------------------------


def _tls_problem(exc: BaseException) -> str | None:
    cause: BaseException | None = exc
    for _ in range(8):  # a chain is short; a bound keeps a cyclic one from looping
        if cause is None:
            break
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause.verify_message or cause.reason or "the certificate does not verify"
        if isinstance(cause, ssl.SSLError):
            return str(cause.reason or cause)
        cause = cause.__cause__ or cause.__context__
    return None


@contextmanager
def network_errors(url: httpx.URL, policy: FetchPolicy, deadline: float, segment: str) -> Iterator[None]:
    where = host_port(url)
    try:
        yield
    except (httpcore.TimeoutException, httpx.TimeoutException) as exc:
        connecting = isinstance(exc, (httpcore.ConnectTimeout, httpx.ConnectTimeout))
        if connecting and time.monotonic() < deadline:
            message = f"Connecting to {where} took longer than {policy.connect_timeout:g} s"
        else:
            message = f"{where} did not send a complete answer within {policy.total_timeout:g} s"
        raise UpstreamFailed("fetch_timeout", message, segment) from None
    except (httpcore.ConnectError, httpx.ConnectError) as exc:
        tls = _tls_problem(exc)
        if tls is not None:
            raise UpstreamFailed(
                "fetch_tls",
                f"TLS with {where} failed: {tls}. If it uses a private CA, point {CA_BUNDLE_ENV} at a PEM bundle "
                "holding that CA",
                segment,
            ) from None
        cause = exc.__cause__
        detail = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(exc) or "no answer"
        raise UpstreamFailed("fetch_connect", f"Cannot connect to {where}: {detail}", segment) from None
    except (httpcore.NetworkError, httpcore.ProtocolError, httpx.TransportError) as exc:
        tls = _tls_problem(exc)
        detail = f"TLS failed: {tls}" if tls else str(exc) or type(exc).__name__
        code = "fetch_tls" if tls else "fetch_connect"
        raise UpstreamFailed(code, f"The connection to {where} broke: {detail}", segment) from None


def read_capped(response: httpx.Response, url: httpx.URL, policy: FetchPolicy, segment: str) -> bytes:
    too_large = UpstreamFailed(
        "fetch_too_large",
        f"The response from {shown_url(url)} is larger than {policy.max_bytes // 1024} KB; jwtlens stops there",
        segment,
    )
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > policy.max_bytes:
        raise too_large
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise UpstreamFailed(
            "fetch_not_json",
            f"The response from {shown_url(url)} is {shown(encoding)}-encoded though jwtlens asked for no encoding",
            segment,
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > policy.max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _get(
    transport: httpx.BaseTransport, url: httpx.URL, policy: FetchPolicy, deadline: float, segment: str
) -> tuple[str | None, bytes, str]:
    """GET ``url`` once: (Location to follow, or None with the body and its content type)."""
    timeout = httpx.Timeout(policy.total_timeout, connect=policy.connect_timeout)
    request = httpx.Request("GET", url, headers=REQUEST_HEADERS, extensions={"timeout": timeout.as_dict()})
    with network_errors(url, policy, deadline, segment):
        response = transport.handle_request(request)
        try:
            if response.status_code in _REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise UpstreamFailed(
                        "fetch_status",
                        f"{shown_url(url)} answered HTTP {response.status_code} without a Location to follow",
                        segment,
                    )
                return location, b"", ""
            if response.status_code != 200:
                raise UpstreamFailed(
                    "fetch_status",
                    f"{shown_url(url)} answered HTTP {response.status_code} {response.reason_phrase}".rstrip(),
                    segment,
                )
            return None, read_capped(response, url, policy, segment), response.headers.get("content-type", "")
        finally:
            response.close()


def parse_object(body: bytes, content_type: str, url: str, segment: str) -> tuple[dict[str, Any], str]:
    hint = " (it was sent as text/html: is this the right URL?)" if "html" in content_type.lower() else ""
    where = shown_url(url)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UpstreamFailed("fetch_not_json", f"The response from {where} is not UTF-8 text{hint}", segment) from None
    try:
        parsed = parse_json(text, "response")
    except InputError as exc:
        detail = exc.problem.message.removeprefix("The response ")
        raise UpstreamFailed("fetch_not_json", f"The response from {where} {detail}{hint}", segment) from None
    if not isinstance(parsed.value, dict):
        raise UpstreamFailed(
            "fetch_not_json", f"The response from {where} is JSON but {json_kind(parsed.value)}, not an object", segment
        )
    return parsed.value, text


def tls_for(policy: FetchPolicy, segment: str) -> ssl.SSLContext:
    try:
        return _tls_context(policy.ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise UpstreamFailed(
            "fetch_tls", f"The CA bundle {shown(policy.ca_bundle or '')} cannot be loaded: {exc}", segment
        ) from None


def fetch_document(url_text: str, policy: FetchPolicy, resolver: Resolver, segment: str) -> FetchedDocument:
    """GET the JSON object at ``url_text``, following redirects the rules allow; never from a cache."""
    quiet = FETCHING.set(True)
    try:
        return _fetch(url_text, policy, resolver, segment)
    finally:
        FETCHING.reset(quiet)


def _fetch(url_text: str, policy: FetchPolicy, resolver: Resolver, segment: str) -> FetchedDocument:
    deadline = time.monotonic() + policy.total_timeout
    target = check_url(url_text, policy, segment)
    backend = PinnedBackend(deadline)
    redirects: list[str] = []
    seen = {str(target)}
    with PinnedTransport(backend, tls_for(policy, segment)) as transport:
        while True:
            pinned = resolve_checked(target, policy, resolver, deadline, segment)
            backend.pins[target.raw_host.decode("ascii").lower()] = pinned
            location, body, content_type = _get(transport, target, policy, deadline, segment)
            if location is None:
                break
            try:
                parsed = httpx.URL(location)
                joined = location if parsed.scheme else str(target.join(parsed))
            except (httpx.InvalidURL, ValueError):
                joined = location
            following = check_url(joined, policy, segment, via=target)
            if str(following) in seen:
                raise UpstreamFailed(
                    "fetch_redirects",
                    f"{shown_url(target)} redirects back to {shown_url(following)}: a redirect loop",
                    segment,
                )
            redirects.append(str(following))
            if len(redirects) > policy.max_redirects:
                raise UpstreamFailed(
                    "fetch_redirects",
                    f"{shown_url(url_text)} redirects more than {policy.max_redirects} times; jwtlens stops there",
                    segment,
                )
            seen.add(str(following))
            target = following
    value, text = parse_object(body, content_type, str(target), segment)
    return FetchedDocument(url_text, value, text, time.time(), tuple(redirects))
