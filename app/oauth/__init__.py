"""Real tokens from an identity provider: the authorization code flow with PKCE, other grants,
introspection and userinfo. Infrastructure like ``app.fetch`` (network I/O, no FastAPI)."""

from .client import (
    EXTRA_FIELDS,
    ProviderAnswer,
    ProviderError,
    ProviderInfo,
    authorization_url,
    check_extra,
    introspect,
    provider_info,
    request_token,
    userinfo,
)
from .pending import FLOW_TTL, FlowStore, PendingFlow, pkce_challenge
from .tokens import TOKEN_NAMES, id_token_policy, verify_tokens

__all__ = [
    "EXTRA_FIELDS",
    "FLOW_TTL",
    "TOKEN_NAMES",
    "FlowStore",
    "PendingFlow",
    "ProviderAnswer",
    "ProviderError",
    "ProviderInfo",
    "authorization_url",
    "check_extra",
    "id_token_policy",
    "introspect",
    "pkce_challenge",
    "provider_info",
    "request_token",
    "userinfo",
    "verify_tokens",
]
