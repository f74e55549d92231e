"""Keys from an issuer: fetch a JWKS or an OpenID Connect / OAuth discovery document, within SSRF rules.

Infrastructure, not core: this module does network I/O (httpx) and imports no FastAPI.
Every failure is an InputError with segment "issuer" or "jwks_url" and a ``fetch_*`` code.

SSRF rules, applied to the first URL, to every redirect target and to every address a host
name resolves to: only http and https; never link-local or cloud-metadata addresses (in any
IPv6 spelling); and, while the server is not bound to loopback, only hosts in the allowlist.
"""

from __future__ import annotations

import copy
import ipaddress
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

from app import __version__
from app.core.errors import InputError
from app.core.jsonparse import json_kind, parse_json

__all__ = [
    "ALLOWLIST_ENV",
    "CA_BUNDLE_ENV",
    "SHARED_CACHE",
    "Discovery",
    "FetchPolicy",
    "FetchedDocument",
    "FetchedJWKS",
    "IssuerCache",
    "Resolver",
    "discover",
    "fetch_jwks",
    "forbidden_reason",
    "metadata_urls",
    "parse_allowlist",
    "resolve_host",
]

ALLOWLIST_ENV = "JWTLENS_FETCH_ALLOWLIST"
CA_BUNDLE_ENV = "JWTLENS_FETCH_CA_BUNDLE"

#: (host, port) -> the IP addresses to connect to; raises OSError when the name does not resolve
Resolver = Callable[[str, int], Sequence[str]]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_SHOWN = 200  # characters of a URL or remote value quoted in a message
_HEADERS = {
    "Accept": "application/json, application/jwk-set+json;q=0.9",
    # Decompressing is where a small body becomes a large one; ask for none.
    "Accept-Encoding": "identity",
    "User-Agent": f"jwtlens/{__version__}",
}

_LINK_LOCAL = "a link-local address, where cloud metadata services live"
_FORBIDDEN_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (ipaddress.ip_network("169.254.0.0/16"), _LINK_LOCAL),
    (ipaddress.ip_network("fe80::/10"), _LINK_LOCAL),
    (ipaddress.ip_network("fd00:ec2::254/128"), "the AWS instance metadata address"),
    (ipaddress.ip_network("100.100.100.200/32"), "the Alibaba Cloud metadata address"),
    (ipaddress.ip_network("192.0.0.192/32"), "the Oracle Cloud metadata address"),
    (ipaddress.ip_network("168.63.129.16/32"), "the Azure platform (WireServer) address"),
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


# -- policy ---------------------------------------------------------------------------------------


def parse_allowlist(entries: Iterable[str]) -> tuple[tuple[str, int | None], ...]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` entries as (lower-case host, port or None).

    Raises ValueError naming a malformed entry, so a bad setting is refused at startup.
    """
    parsed: list[tuple[str, int | None]] = []
    for entry in entries:
        text = entry.strip().lower()
        if not text:
            continue
        if "/" in text or "@" in text:
            raise ValueError(f"fetch allowlist entry {entry!r}: write host or host:port, not a URL")
        if text.startswith("["):
            host, closed, rest = text[1:].partition("]")
            if not closed or (rest and not rest.startswith(":")):
                raise ValueError(f"fetch allowlist entry {entry!r}: write [IPv6]:port")
            port_text = rest[1:]
        elif text.count(":") == 1:
            host, port_text = text.split(":")
        else:
            host, port_text = text, ""
        port: int | None = None
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ValueError(f"fetch allowlist entry {entry!r}: the port is not a number from 1 to 65535")
            port = int(port_text)
        if not host:
            raise ValueError(f"fetch allowlist entry {entry!r} has no host")
        parsed.append((host.rstrip("."), port))
    return tuple(parsed)


@dataclass(frozen=True)
class FetchPolicy:
    """How far and how long jwtlens may reach out for an issuer's keys."""

    #: the server's own bind address is loopback: then any http(s) host is allowed, bar the forbidden ranges
    bound_to_loopback: bool
    #: "host" or "host:port" entries (host case-insensitive; no port means the scheme's default port)
    allowlist: tuple[str, ...] = ()
    connect_timeout: float = 3.0
    #: for one document, its redirects included
    total_timeout: float = 5.0
    max_bytes: int = 512 * 1024
    max_redirects: int = 3
    #: PEM CA bundle for https; None means the system's trust store
    ca_bundle: str | None = None
    #: seconds a fetched document is reused; 0 turns the cache off
    cache_ttl: float = 300.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowlist", tuple(self.allowlist))
        parse_allowlist(self.allowlist)

    def allows(self, host: str, port: int, scheme: str) -> bool:
        """Whether the allowlist admits ``host:port`` (only consulted when not bound to loopback)."""
        wanted = host.lower().strip("[]").rstrip(".")
        return any(
            entry_host == wanted and (entry_port or _DEFAULT_PORTS[scheme]) == port
            for entry_host, entry_port in parse_allowlist(self.allowlist)
        )


# -- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedDocument:
    """One JSON object fetched over HTTP, as the cache keeps it."""

    url: str  # as requested
    value: dict[str, Any]
    raw_text: str
    fetched_at: float  # wall-clock seconds
    redirects: tuple[str, ...] = ()  # each Location followed, in order


@dataclass(frozen=True)
class FetchedJWKS:
    url: str
    jwks: dict[str, Any]
    raw_text: str
    fetched_at: float
    from_cache: bool
    redirects: tuple[str, ...] = ()

    @property
    def final_url(self) -> str:
        return self.redirects[-1] if self.redirects else self.url


@dataclass(frozen=True)
class Discovery:
    issuer: str
    metadata: dict[str, Any]
    metadata_url: str
    raw_text: str
    jwks: FetchedJWKS
    from_cache: bool = False  # the metadata; the JWKS says so for itself
    redirects: tuple[str, ...] = ()


# -- cache ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CacheEntry:
    document: FetchedDocument
    expires: float


class IssuerCache:
    """Fetched documents by URL, each kept for the TTL it was put with; safe across threads."""

    def __init__(self, *, max_entries: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[str, _CacheEntry] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._clock = clock

    def get(self, url: str) -> FetchedDocument | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                return None
            if entry.expires <= self._clock():
                del self._entries[url]
                return None
            return entry.document

    def put(self, url: str, document: FetchedDocument, ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._entries.pop(url, None)
            while len(self._entries) >= self._max_entries:
                del self._entries[next(iter(self._entries))]  # the oldest put
            self._entries[url] = _CacheEntry(document, self._clock() + ttl)

    def refresh(self, url: str) -> bool:
        """Forget ``url`` so the next fetch goes to the network; True if it was cached."""
        with self._lock:
            return self._entries.pop(url, None) is not None

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


#: the process-wide cache fetch_jwks and discover use unless given another
SHARED_CACHE = IssuerCache()


# -- URL and address rules ------------------------------------------------------------------------


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: mapped, compatible, 6to4, Teredo or NAT64."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if int(address) >> 32 == 0 and int(address) > 0xFFFF:  # ::a.b.c.d, deprecated "compatible" form
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(address: str) -> str | None:
    """Why jwtlens never connects to ``address`` (an IP literal), or None when it may."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return None
    for network, reason in _FORBIDDEN_NETWORKS:
        if ip.version == network.version and ip in network:
            return reason
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            inner_reason = forbidden_reason(str(inner))
            if inner_reason is not None:
                return f"an IPv6 form of {inner}, {inner_reason}"
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _host_port(url: httpx.URL) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{_port(url)}"


def _port(url: httpx.URL) -> int:
    return url.port or _DEFAULT_PORTS[url.scheme]


def _check_url(text: str, policy: FetchPolicy, segment: str, *, via: httpx.URL | None = None) -> httpx.URL:
    """The URL, if the rules that need no DNS allow fetching it; ``via`` is the URL that redirected here."""
    lead = f'Cannot fetch "{_shown(text)}"' if via is None else f'{_shown(str(via))} redirects to "{_shown(text)}"'
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        raise InputError("fetch_url", f"{lead}: it is not a valid URL", segment) from None
    if url.scheme not in _DEFAULT_PORTS:
        why = "only http:// and https:// URLs are fetched" if url.scheme else "it needs to start with https://"
        raise InputError("fetch_scheme", f"{lead}: {why}", segment)
    if via is not None and via.scheme == "https" and url.scheme == "http":
        raise InputError("fetch_scheme", f"{lead}: a redirect from https to plain http is refused", segment)
    if url.userinfo:
        raise InputError("fetch_url", f"{lead}: a user name or password in the URL is refused", segment)
    if not url.host:
        raise InputError("fetch_url", f"{lead}: it has no host", segment)
    reason = forbidden_reason(url.host)
    if reason is not None:
        raise InputError(
            "fetch_forbidden_address",
            f"{lead}: {url.host} is {reason}; jwtlens never fetches from such addresses",
            segment,
        )
    if not policy.bound_to_loopback and not policy.allows(url.host, _port(url), url.scheme):
        where = _host_port(url)
        listed = f"lists {len(policy.allowlist)} other host(s)" if policy.allowlist else "is empty"
        raise InputError(
            "fetch_not_allowed",
            f"{lead}: {where} is not in the fetch allowlist. This server is not bound to loopback, so it only "
            f"fetches from listed hosts, and the list {listed}. To allow it, add {where} to {ALLOWLIST_ENV} "
            "(comma-separated host:port entries) and restart jwtlens",
            segment,
        )
    return url


def resolve_host(host: str, port: int) -> list[str]:
    """The system resolver: every address getaddrinfo gives for a TCP connection, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


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


def _resolve_checked(
    url: httpx.URL, policy: FetchPolicy, resolver: Resolver, deadline: float, segment: str
) -> tuple[str, ...]:
    """The addresses to connect to for ``url``'s host, each checked against the forbidden ranges."""
    host = url.host
    if _is_ip(host):
        return (host,)  # _check_url has checked it
    timeout = min(policy.connect_timeout, deadline - time.monotonic())
    try:
        if timeout <= 0:
            raise TimeoutError
        addresses = tuple(_call_with_timeout(resolver, host, _port(url), timeout))
    except TimeoutError:
        limit = policy.connect_timeout if timeout == policy.connect_timeout else policy.total_timeout
        raise InputError("fetch_timeout", f"Looking up the host {host} took longer than {limit:g} s", segment) from None
    except (OSError, UnicodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError("fetch_connect", f"Cannot resolve the host {host}: {detail}", segment) from None
    if not addresses:
        raise InputError("fetch_connect", f"Cannot resolve the host {host}: it has no address", segment)
    for address in addresses:
        if not _is_ip(address):
            raise InputError("fetch_connect", f"Cannot resolve the host {host}: the resolver gave no IP", segment)
        reason = forbidden_reason(address)
        if reason is not None:
            raise InputError(
                "fetch_forbidden_address",
                f"Cannot fetch from {host}: it resolves to {address}, {reason}; jwtlens never fetches from such "
                "addresses",
                segment,
            )
    return addresses


# -- transport: connect only to the checked addresses ---------------------------------------------
#
# Anti-rebinding: the host name is resolved once, here, and every address checked; the
# connection then goes to one of those checked addresses, so a DNS answer that changes between
# check and connect (DNS rebinding) is never consulted. This lives at the httpcore network-backend
# layer, below HTTP and TLS: httpx still builds the request from the original URL (Host header),
# and httpcore still starts TLS with server_hostname = the original host (SNI and certificate
# verification), so only the socket's destination is pinned. The backend refuses any host it was
# not given checked addresses for, so a code path that skips the check fails closed.


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


class _PinnedBackend(httpcore.NetworkBackend):
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


class _PinnedTransport(httpx.BaseTransport):
    """httpx over an httpcore pool whose network backend connects only to pinned addresses."""

    def __init__(self, backend: _PinnedBackend, tls: ssl.SSLContext) -> None:
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
            response.status, headers=response.headers, stream=_ResponseStream(response), extensions=response.extensions
        )

    def close(self) -> None:
        self._pool.close()


@lru_cache(maxsize=8)
def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_bundle)


# -- fetching one document ------------------------------------------------------------------------


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
def _network_errors(url: httpx.URL, policy: FetchPolicy, deadline: float, segment: str) -> Iterator[None]:
    where = _host_port(url)
    try:
        yield
    except (httpcore.TimeoutException, httpx.TimeoutException) as exc:
        connecting = isinstance(exc, (httpcore.ConnectTimeout, httpx.ConnectTimeout))
        if connecting and time.monotonic() < deadline:
            message = f"Connecting to {where} took longer than {policy.connect_timeout:g} s"
        else:
            message = f"{where} did not send a complete answer within {policy.total_timeout:g} s"
        raise InputError("fetch_timeout", message, segment) from None
    except (httpcore.ConnectError, httpx.ConnectError) as exc:
        tls = _tls_problem(exc)
        if tls is not None:
            raise InputError(
                "fetch_tls",
                f"TLS with {where} failed: {tls}. If it uses a private CA, point {CA_BUNDLE_ENV} at a PEM bundle "
                "holding that CA",
                segment,
            ) from None
        cause = exc.__cause__
        detail = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(exc) or "no answer"
        raise InputError("fetch_connect", f"Cannot connect to {where}: {detail}", segment) from None
    except (httpcore.NetworkError, httpcore.ProtocolError, httpx.TransportError) as exc:
        tls = _tls_problem(exc)
        detail = f"TLS failed: {tls}" if tls else str(exc) or type(exc).__name__
        code = "fetch_tls" if tls else "fetch_connect"
        raise InputError(code, f"The connection to {where} broke: {detail}", segment) from None


def _read_capped(response: httpx.Response, url: httpx.URL, policy: FetchPolicy, segment: str) -> bytes:
    too_large = InputError(
        "fetch_too_large",
        f"The response from {_shown(str(url))} is larger than {policy.max_bytes // 1024} KB; jwtlens stops there",
        segment,
    )
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > policy.max_bytes:
        raise too_large
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise InputError(
            "fetch_not_json",
            f"The response from {_shown(str(url))} is {_shown(encoding)}-encoded though jwtlens asked for no encoding",
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
    client: httpx.Client, url: httpx.URL, policy: FetchPolicy, deadline: float, segment: str
) -> tuple[str | None, bytes, str]:
    """GET ``url`` once: (Location to follow, or None with the body and its content type)."""
    with _network_errors(url, policy, deadline, segment), client.stream("GET", url) as response:
        if response.status_code in _REDIRECT_STATUSES:
            location = response.headers.get("location")
            if not location:
                raise InputError(
                    "fetch_status",
                    f"{_shown(str(url))} answered HTTP {response.status_code} without a Location to follow",
                    segment,
                )
            return location, b"", ""
        if response.status_code != 200:
            raise InputError(
                "fetch_status",
                f"{_shown(str(url))} answered HTTP {response.status_code} {response.reason_phrase}".rstrip(),
                segment,
            )
        return None, _read_capped(response, url, policy, segment), response.headers.get("content-type", "")


def _parse_object(body: bytes, content_type: str, url: str, segment: str) -> tuple[dict[str, Any], str]:
    hint = " (it was sent as text/html: is this the right URL?)" if "html" in content_type.lower() else ""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            "fetch_not_json", f"The response from {_shown(url)} is not UTF-8 text{hint}", segment
        ) from None
    try:
        parsed = parse_json(text, "response")
    except InputError as exc:
        detail = exc.problem.message.removeprefix("The response ")
        raise InputError("fetch_not_json", f"The response from {_shown(url)} {detail}{hint}", segment) from None
    if not isinstance(parsed.value, dict):
        raise InputError(
            "fetch_not_json",
            f"The response from {_shown(url)} is JSON but {json_kind(parsed.value)}, not an object",
            segment,
        )
    return parsed.value, text


def _fetch_document(url_text: str, policy: FetchPolicy, resolver: Resolver, segment: str) -> FetchedDocument:
    deadline = time.monotonic() + policy.total_timeout
    target = _check_url(url_text, policy, segment)
    try:
        tls = _tls_context(policy.ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(
            "fetch_tls", f"The CA bundle {_shown(policy.ca_bundle or '')} cannot be loaded: {exc}", segment
        ) from None
    backend = _PinnedBackend(deadline)
    redirects: list[str] = []
    seen = {str(target)}
    client = httpx.Client(
        transport=_PinnedTransport(backend, tls),
        follow_redirects=False,
        trust_env=False,  # a proxy would resolve the host itself, out of reach of the checks
        timeout=httpx.Timeout(policy.total_timeout, connect=policy.connect_timeout),
        headers=_HEADERS,
    )
    with client:
        while True:
            backend.pins[target.raw_host.decode("ascii").lower()] = _resolve_checked(
                target, policy, resolver, deadline, segment
            )
            location, body, content_type = _get(client, target, policy, deadline, segment)
            if location is None:
                break
            try:
                parsed = httpx.URL(location)
                joined = location if parsed.scheme else str(target.join(parsed))
            except (httpx.InvalidURL, ValueError):
                joined = location
            following = _check_url(joined, policy, segment, via=target)
            if str(following) in seen:
                raise InputError(
                    "fetch_redirects",
                    f"{_shown(str(target))} redirects back to {_shown(str(following))}: a redirect loop",
                    segment,
                )
            redirects.append(str(following))
            if len(redirects) > policy.max_redirects:
                raise InputError(
                    "fetch_redirects",
                    f"{_shown(url_text)} redirects more than {policy.max_redirects} times; jwtlens stops there",
                    segment,
                )
            seen.add(str(following))
            target = following
    value, text = _parse_object(body, content_type, str(target), segment)
    return FetchedDocument(url_text, value, text, time.time(), tuple(redirects))


def _document(
    url: str, policy: FetchPolicy, *, refresh: bool, cache: IssuerCache, resolver: Resolver, segment: str
) -> tuple[FetchedDocument, bool]:
    """(document, whether it came from the cache)."""
    if not refresh:
        cached = cache.get(url)
        if cached is not None:
            _recheck(cached, policy, segment)
            return cached, True
    document = _fetch_document(url, policy, resolver, segment)
    cache.put(url, document, policy.cache_ttl)
    return document, False


def _recheck(document: FetchedDocument, policy: FetchPolicy, segment: str) -> None:
    # The policy may have changed since the fetch; a cached answer obeys the current one (DNS aside).
    previous: httpx.URL | None = None
    for url in (document.url, *document.redirects):
        previous = _check_url(url, policy, segment, via=previous)


# -- public API -----------------------------------------------------------------------------------


def _jwks(
    url: str, policy: FetchPolicy, *, refresh: bool, cache: IssuerCache, resolver: Resolver, segment: str
) -> FetchedJWKS:
    document, from_cache = _document(url, policy, refresh=refresh, cache=cache, resolver=resolver, segment=segment)
    if not isinstance(document.value.get("keys"), list):
        hint = (
            '; it looks like discovery metadata: give its issuer as the issuer, or its "jwks_uri" as the JWKS URL'
            if "jwks_uri" in document.value
            else ""
        )
        raise InputError(
            "fetch_not_jwks",
            f'The document at {_shown(url)} is a JSON object but not a JWK Set: it has no "keys" array{hint}',
            segment,
        )
    # A copy: callers may change what they get without changing what the cache holds.
    jwks = copy.deepcopy(document.value)
    return FetchedJWKS(url, jwks, document.raw_text, document.fetched_at, from_cache, document.redirects)


def fetch_jwks(
    url: str,
    policy: FetchPolicy,
    *,
    refresh: bool = False,
    cache: IssuerCache = SHARED_CACHE,
    resolver: Resolver = resolve_host,
) -> FetchedJWKS:
    """The JWK Set at ``url``, from the cache unless ``refresh``; failures are InputError(segment="jwks_url")."""
    return _jwks(url.strip(), policy, refresh=refresh, cache=cache, resolver=resolver, segment="jwks_url")


def metadata_urls(issuer: str) -> tuple[str, str]:
    """Where an issuer's metadata may be: OpenID Connect style first, then RFC 8414 style.

    For ``https://h/realms/x``: ``https://h/realms/x/.well-known/openid-configuration`` and
    ``https://h/.well-known/oauth-authorization-server/realms/x`` (RFC 8414 §3 puts the
    well-known segment between host and path).
    """
    url = httpx.URL(issuer)
    path = url.path.rstrip("/")
    return (
        str(url.copy_with(path=f"{path}/.well-known/openid-configuration")),
        str(url.copy_with(path=f"/.well-known/oauth-authorization-server{path}")),
    )


def _check_issuer(named: Any, issuer: str, metadata_url: str) -> None:
    if not isinstance(named, str):
        raise InputError(
            "issuer_mismatch",
            f'The metadata at {_shown(metadata_url)} has no "issuer" string to match against {_shown(issuer)}',
            "issuer",
        )
    if named == issuer:
        return
    if named.rstrip("/") == issuer.rstrip("/"):
        detail = "they differ only by a trailing slash, and issuers must match exactly"
    elif named.lower() == issuer.lower():
        detail = "they differ only in letter case, and issuers must match exactly"
    else:
        detail = "issuers must match exactly"
    raise InputError(
        "issuer_mismatch",
        f'The metadata at {_shown(metadata_url)} names the issuer "{_shown(named)}", not "{_shown(issuer)}": '
        f"{detail} (OpenID Connect Discovery §4.3, RFC 8414 §3.3)",
        "issuer",
    )


def discover(
    issuer_url: str,
    policy: FetchPolicy,
    *,
    refresh: bool = False,
    cache: IssuerCache = SHARED_CACHE,
    resolver: Resolver = resolve_host,
) -> Discovery:
    """The issuer's metadata and the JWK Set at its jwks_uri; failures are InputError(segment="issuer")."""
    issuer = issuer_url.strip()
    base = _check_url(issuer, policy, "issuer")
    if base.query or base.fragment:
        raise InputError(
            "fetch_url", f'The issuer "{_shown(issuer)}" has a query or fragment; an issuer URL has neither', "issuer"
        )
    candidates = metadata_urls(issuer)
    found: tuple[str, FetchedDocument, bool] | None = None
    if not refresh:
        # A cached answer from either location counts, so a working second location is not retried behind the first.
        for candidate in candidates:
            cached = cache.get(candidate)
            if cached is not None:
                _recheck(cached, policy, "issuer")
                found = (candidate, cached, True)
                break
    if found is None:
        failures: list[InputError] = []
        for candidate in candidates:
            try:
                document, _ = _document(
                    candidate, policy, refresh=True, cache=cache, resolver=resolver, segment="issuer"
                )
            except InputError as exc:
                if exc.problem.code not in ("fetch_status", "fetch_not_json"):
                    raise
                failures.append(exc)
                continue
            found = (candidate, document, False)
            break
        else:
            reasons = "; ".join(failure.problem.message for failure in failures)
            raise InputError(
                failures[0].problem.code, f"Found no metadata for the issuer {_shown(issuer)}: {reasons}", "issuer"
            )
    metadata_url, document, from_cache = found
    _check_issuer(document.value.get("issuer"), issuer, metadata_url)
    jwks_uri = document.value.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri:
        raise InputError(
            "fetch_no_jwks_uri",
            f'The metadata at {_shown(metadata_url)} has no "jwks_uri", so it publishes no keys to verify with',
            "issuer",
        )
    jwks = _jwks(jwks_uri, policy, refresh=refresh, cache=cache, resolver=resolver, segment="issuer")
    return Discovery(
        issuer,
        copy.deepcopy(document.value),
        metadata_url,
        document.raw_text,
        jwks,
        from_cache,
        redirects=document.redirects,
    )
