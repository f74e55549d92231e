"""How far and how long jwtlens may reach out: the fetch settings, and the allowlist read from them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ALLOWLIST_ENV", "DEFAULT_PORTS", "FetchPolicy", "parse_allowlist"]

ALLOWLIST_ENV = "JWTLENS_FETCH_ALLOWLIST"
DEFAULT_PORTS = {"http": 80, "https": 443}


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
            entry_host == wanted and (entry_port or DEFAULT_PORTS[scheme]) == port
            for entry_host, entry_port in parse_allowlist(self.allowlist)
        )
