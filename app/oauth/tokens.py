"""The tokens a provider returned, each verified as ``/api/verify`` would: with the issuer's JWKS, and the
ID token under the OpenID Connect policy its sign-in implies (iss, aud, nonce, at_hash, c_hash, auth_time)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.core import parse_policy
from app.core.errors import InputError
from app.core.inspect import Inspection, KeyText, inspect

from .client import ProviderInfo

__all__ = ["TOKEN_NAMES", "id_token_policy", "verify_tokens"]

#: the members of a token response that may be JWTs, in the order they are shown
TOKEN_NAMES = ("id_token", "access_token", "refresh_token")


def id_token_policy(
    issuer: str,
    client_id: str,
    *,
    access_token: str | None = None,
    nonce: str | None = None,
    code: str | None = None,
    max_age: int | None = None,
) -> dict[str, Any]:
    """The core policy (its JSON form) an ID token from this sign-in must meet."""
    policy: dict[str, Any] = {"iss": [issuer], "aud": [client_id], "oidc": True}
    for name, value in (("nonce", nonce), ("access_token", access_token), ("code", code), ("max_age", max_age)):
        if value is not None and value != "":
            policy[name] = value
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
