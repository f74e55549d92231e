"""An issuer's keys: OpenID Connect / RFC 8414 discovery, the exact issuer check, and the JWK Set."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import httpx

from ..core.errors import InputError
from .cache import SHARED_CACHE, IssuerCache, cached_document, recheck
from .errors import FetchRefused, UpstreamFailed, shown, shown_url
from .policy import FetchPolicy
from .rules import check_url
from .transport import FetchedDocument, Resolver, resolve_host

__all__ = ["Discovery", "FetchedJWKS", "discover", "fetch_jwks", "metadata_urls"]

#: failures at the first metadata location that send discovery on to the second
_TRY_NEXT = frozenset({"fetch_status", "fetch_not_json"})


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


def _jwks(
    url: str, policy: FetchPolicy, *, refresh: bool, cache: IssuerCache, resolver: Resolver, segment: str
) -> FetchedJWKS:
    document, from_cache = cached_document(
        url, policy, refresh=refresh, cache=cache, resolver=resolver, segment=segment
    )
    if not isinstance(document.value.get("keys"), list):
        hint = (
            '; it looks like discovery metadata: give its issuer as the issuer, or its "jwks_uri" as the JWKS URL'
            if "jwks_uri" in document.value
            else ""
        )
        raise UpstreamFailed(
            "fetch_not_jwks",
            f'The document at {shown_url(url)} is a JSON object but not a JWK Set: it has no "keys" array{hint}',
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
    where = shown_url(metadata_url)
    if not isinstance(named, str):
        raise UpstreamFailed(
            "issuer_mismatch",
            f'The metadata at {where} has no "issuer" string to match against {shown(issuer)}',
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
    raise UpstreamFailed(
        "issuer_mismatch",
        f'The metadata at {where} names the issuer "{shown(named)}", not "{shown(issuer)}": '
        f"{detail} (OpenID Connect Discovery §4.3, RFC 8414 §3.3)",
        "issuer",
    )


def _metadata(
    issuer: str, policy: FetchPolicy, *, refresh: bool, cache: IssuerCache, resolver: Resolver
) -> tuple[str, FetchedDocument, bool]:
    """(where the metadata was found, the document, whether from the cache), trying both locations."""
    candidates = metadata_urls(issuer)
    if not refresh:
        # A cached answer from either location counts, so a working second location is not retried behind the first.
        for candidate in candidates:
            cached = cache.get(candidate)
            if cached is not None:
                recheck(cached, policy, "issuer")
                return candidate, cached, True
    failures: list[InputError] = []
    for candidate in candidates:
        try:
            document, _ = cached_document(
                candidate, policy, refresh=True, cache=cache, resolver=resolver, segment="issuer"
            )
        except UpstreamFailed as exc:
            if exc.problem.code not in _TRY_NEXT:
                raise
            failures.append(exc)
            continue
        return candidate, document, False
    reasons = "; ".join(failure.problem.message for failure in failures)
    raise UpstreamFailed(
        failures[0].problem.code, f"Found no metadata for the issuer {shown_url(issuer)}: {reasons}", "issuer"
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
    base = check_url(issuer, policy, "issuer")
    if base.query or base.fragment:
        raise FetchRefused(
            "fetch_url",
            f'The issuer "{shown_url(issuer)}" has a query or fragment; an issuer URL has neither',
            "issuer",
        )
    metadata_url, document, from_cache = _metadata(issuer, policy, refresh=refresh, cache=cache, resolver=resolver)
    _check_issuer(document.value.get("issuer"), issuer, metadata_url)
    jwks_uri = document.value.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri:
        raise UpstreamFailed(
            "fetch_no_jwks_uri",
            f'The metadata at {shown_url(metadata_url)} has no "jwks_uri", so it publishes no keys to verify with',
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
