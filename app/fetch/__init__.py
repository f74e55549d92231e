"""Keys from an issuer: a JWKS or an OpenID Connect / OAuth discovery document, fetched within SSRF rules.

Infrastructure, not core: network I/O (httpx, httpcore) and no FastAPI. Every failure is an InputError
with segment "issuer" or "jwks_url" and a ``fetch_*`` code: a FetchRefused (400) when the rules refuse a
URL, an UpstreamFailed (502) when the other server fails. Messages never show a URL's query or user info.
"""

from .cache import SHARED_CACHE, IssuerCache
from .discovery import Discovery, FetchedJWKS, discover, fetch_jwks, metadata_urls
from .errors import FetchRefused, UpstreamFailed
from .exchange import Exchanged, exchange
from .policy import ALLOWLIST_ENV, FetchPolicy, parse_allowlist
from .rules import forbidden_reason
from .transport import CA_BUNDLE_ENV, FetchedDocument, Resolver, resolve_host

__all__ = [
    "ALLOWLIST_ENV",
    "CA_BUNDLE_ENV",
    "SHARED_CACHE",
    "Discovery",
    "Exchanged",
    "FetchPolicy",
    "FetchRefused",
    "FetchedDocument",
    "FetchedJWKS",
    "IssuerCache",
    "Resolver",
    "UpstreamFailed",
    "discover",
    "exchange",
    "fetch_jwks",
    "forbidden_reason",
    "metadata_urls",
    "parse_allowlist",
    "resolve_host",
]
