"""The tokens a provider returned, each verified as ``/api/verify`` would: with the issuer's JWKS, and the
ID token under the OpenID Connect policy its sign-in implies (iss, aud, nonce, at_hash, c_hash, auth_time)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from ..core import parse_policy
from ..core.errors import InputError
from ..core.inspect import Inspection, KeyText, inspect
from ..core.tokens import decode_token
from .client import ProviderInfo

__all__ = ["TOKEN_NAMES", "id_token_policy", "verify_tokens"]

#: the members of a token response that may be JWTs, in the order they are shown
TOKEN_NAMES = ("id_token", "access_token", "refresh_token")


def id_token_policy(
    issuer: str,
    client_id: str,
    response: Mapping[str, Any],
    *,
    nonce: str | None = None,
    code: str | None = None,
    max_age: int | None = None,
) -> dict[str, Any]:
    """The core policy (its JSON form) the ID token in a token ``response`` must meet.

    at_hash and c_hash are optional in a token-endpoint ID token (OIDC Core §3.1.3.6, §3.3.2.11): each is
    checked against the access token or the code whenever the ID token carries it.
    """
    policy: dict[str, Any] = {"iss": [issuer], "aud": [client_id], "oidc": True}
    id_token, access_token = response.get("id_token"), response.get("access_token")
    hashes: set[str] = set()
    if isinstance(id_token, str):
        with suppress(InputError):  # not a JWT: its inspection says so
            hashes = set(decode_token(id_token).payload or {}) & {"at_hash", "c_hash"}
    if "at_hash" in hashes and isinstance(access_token, str):
        policy["access_token"] = access_token
    if "c_hash" in hashes and code:
        policy["code"] = code
    if nonce:
        policy["nonce"] = nonce
    if max_age is not None:
        policy["max_age"] = max_age
    return policy


def verify_tokens(
    response: Mapping[str, Any],
    info: ProviderInfo,
    id_policy: Mapping[str, Any],
    *,
    limits: Mapping[str, Any],
) -> dict[str, Inspection | None]:
    """Each token in ``response`` by name: its inspection, or None when it is not a JWT (an opaque token)."""
    verified: dict[str, Inspection | None] = {}
    for name in TOKEN_NAMES:
        text = response.get(name)
        if not isinstance(text, str) or not text:
            continue
        policy = parse_policy(dict(id_policy) if name == "id_token" else {})
        try:
            verified[name] = inspect(text, KeyText(info.jwks_text), policy=policy, **limits)
        except InputError:
            verified[name] = None  # not a JWT: opaque to everyone but the provider (introspection says more)
    return verified
