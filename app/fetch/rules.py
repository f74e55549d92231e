"""The SSRF rules: which URLs and addresses jwtlens may fetch from.

Applied to the first URL, to every redirect target and to every address a host name resolves to:
only http and https; no user info; never link-local or cloud-metadata addresses (in any IPv6
spelling); and, while the server is not bound to loopback, only hosts in the allowlist.
A URL the rules refuse is a FetchRefused (400), whoever wrote it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import httpx

from .errors import FetchRefused, shown_url
from .policy import ALLOWLIST_ENV, DEFAULT_PORTS, FetchPolicy

__all__ = ["check_addresses", "check_url", "forbidden_reason", "host_port"]

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


def host_port(url: httpx.URL) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.port or DEFAULT_PORTS[url.scheme]}"


def check_url(text: str, policy: FetchPolicy, segment: str, *, via: httpx.URL | None = None) -> httpx.URL:
    """The URL, if the rules that need no DNS allow fetching it; ``via`` is the URL that redirected here."""
    lead = f'Cannot fetch "{shown_url(text)}"' if via is None else f'{shown_url(via)} redirects to "{shown_url(text)}"'
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        raise FetchRefused("fetch_url", f"{lead}: it is not a valid URL", segment) from None
    if url.scheme not in DEFAULT_PORTS:
        why = "only http:// and https:// URLs are fetched" if url.scheme else "it needs to start with https://"
        raise FetchRefused("fetch_scheme", f"{lead}: {why}", segment)
    if via is not None and via.scheme == "https" and url.scheme == "http":
        raise FetchRefused("fetch_scheme", f"{lead}: a redirect from https to plain http is refused", segment)
    if url.userinfo:
        raise FetchRefused("fetch_url", f"{lead}: a user name or password in the URL is refused", segment)
    if not url.host:
        raise FetchRefused("fetch_url", f"{lead}: it has no host", segment)
    reason = forbidden_reason(url.host)
    if reason is not None:
        never = "jwtlens never fetches from such addresses"
        raise FetchRefused("fetch_forbidden_address", f"{lead}: {url.host} is {reason}; {never}", segment)
    if not policy.bound_to_loopback and not policy.allows(url.host, url.port or DEFAULT_PORTS[url.scheme], url.scheme):
        where = host_port(url)
        listed = f"lists {len(policy.allowlist)} other host(s)" if policy.allowlist else "is empty"
        raise FetchRefused(
            "fetch_not_allowed",
            f"{lead}: {where} is not in the fetch allowlist. This server is not bound to loopback, so it only "
            f"fetches from listed hosts, and the list {listed}. To allow it, add {where} to {ALLOWLIST_ENV} "
            "(comma-separated host:port entries) and restart jwtlens",
            segment,
        )
    return url


def check_addresses(host: str, addresses: Sequence[str], segment: str) -> None:
    """Every address ``host`` resolved to must be outside the forbidden ranges (one bad answer refuses all)."""
    for address in addresses:
        reason = forbidden_reason(address)
        if reason is not None:
            raise FetchRefused(
                "fetch_forbidden_address",
                f"Cannot fetch from {host}: it resolves to {address}, {reason}; jwtlens never fetches from such "
                "addresses",
                segment,
            )
