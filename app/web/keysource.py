"""Keys from an issuer or a JWKS URL, fetched on the user's request only, never from the token's own iss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..core import InputError
from ..fetch import Discovery, FetchPolicy, IssuerCache, discover, fetch_jwks

__all__ = ["KeySource", "fetch_keys", "fetch_policy"]


@dataclass(frozen=True)
class KeySource:
    """Where the verify key came from, with the raw documents the user may want to see."""

    kind: str  # "issuer" or "jwks_url"
    url: str
    jwks_url: str
    jwks_text: str
    fetched_at: float
    from_cache: bool
    redirects: tuple[str, ...] = ()
    metadata_url: str | None = None
    metadata_text: str | None = None

    @property
    def label(self) -> str:
        how = f" (discovered from {self.url})" if self.kind == "issuer" else ""
        return f"JWKS from {self.jwks_url}{how}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "jwks_url": self.jwks_url,
            "metadata_url": self.metadata_url,
            "fetched_at": self.fetched_at,
            "from_cache": self.from_cache,
            "redirects": list(self.redirects),
        }


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        bound_to_loopback=settings.loopback,
        allowlist=tuple(settings.fetch_allowlist),
        total_timeout=settings.fetch_timeout,
        connect_timeout=min(3.0, settings.fetch_timeout),
        max_bytes=settings.fetch_max_bytes,
        ca_bundle=settings.fetch_ca_bundle,
        cache_ttl=settings.fetch_cache_ttl,
    )


def fetch_keys(
    settings: Settings,
    cache: IssuerCache,
    *,
    issuer: str | None = None,
    jwks_url: str | None = None,
    refresh: bool = False,
) -> KeySource:
    """Discover the issuer's JWKS, or fetch a JWKS URL; InputError otherwise (app.fetch decides 400 or 502)."""
    policy = fetch_policy(settings)
    if issuer:
        return issuer_source(discover(issuer.strip(), policy, refresh=refresh, cache=cache))
    if jwks_url:
        jwks = fetch_jwks(jwks_url.strip(), policy, refresh=refresh, cache=cache)
        return KeySource(
            "jwks_url", jwks.url, jwks.final_url, jwks.raw_text, jwks.fetched_at, jwks.from_cache, jwks.redirects
        )
    raise InputError("key_missing", "Give an issuer URL or a JWKS URL to fetch keys from", "issuer")


def issuer_source(found: Discovery) -> KeySource:
    """The keys of a discovered issuer: its JWKS, and where both documents came from."""
    jwks = found.jwks
    return KeySource(
        "issuer",
        found.issuer,
        jwks.final_url,
        jwks.raw_text,
        jwks.fetched_at,
        jwks.from_cache and found.from_cache,
        found.redirects + jwks.redirects,
        found.metadata_url,
        found.raw_text,
    )
