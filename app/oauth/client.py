"""Talking to the provider: discovery, the authorization URL, the token, introspection and userinfo endpoints.

Every request goes through ``app.fetch`` (the SSRF rules, pinned addresses, deadline, size cap, CA
bundle). The provider's own refusals (``error``, ``error_description``, ``error_uri``) are values, not
exceptions; a provider that cannot be reached or misbehaves is an UpstreamFailed (502).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from ..core.errors import InputError
from ..fetch import Discovery, FetchPolicy, IssuerCache, discover, exchange
from ..fetch.errors import shown, shown_url
from .pending import PendingFlow, pkce_challenge

__all__ = [
    "EXTRA_FIELDS",
    "ProviderAnswer",
    "ProviderError",
    "ProviderInfo",
    "authorization_url",
    "check_extra",
    "introspect",
    "provider_info",
    "request_token",
    "userinfo",
]

#: the page's named extra parameters (free key=value pairs may add others)
EXTRA_FIELDS = ("audience", "resource", "prompt", "acr_values")
#: parameters jwtlens sets itself: an extra parameter may not replace them
_RESERVED = frozenset(
    {
        "client_id",
        "client_secret",
        "redirect_uri",
        "response_type",
        "response_mode",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "code_verifier",
        "code",
        "grant_type",
        "scope",
        "refresh_token",
        "max_age",
        "token",
    }
)
_MAX_EXTRA = 20


@dataclass(frozen=True)
class ProviderInfo:
    """An issuer's discovered metadata and the JWK Set its tokens are verified with."""

    issuer: str
    metadata: dict[str, Any]
    jwks_text: str
    jwks_url: str
    #: the discovery as app.fetch made it (where each document came from, cached or not)
    discovery: Discovery

    def endpoint(self, name: str) -> str:
        url = self.metadata.get(name)
        if not isinstance(url, str) or not url:
            raise InputError(
                "oauth_no_endpoint",
                f'The issuer {shown_url(self.issuer)} publishes no "{name}" in its metadata',
                "issuer",
            )
        return url


@dataclass(frozen=True)
class ProviderError:
    """The provider's refusal, as RFC 6749 §5.2 / §4.1.2.1 spell it."""

    error: str
    description: str | None = None
    uri: str | None = None

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> ProviderError:
        def text(name: str) -> str | None:
            value = params.get(name)
            return shown(value) if isinstance(value, str) and value else None

        return cls(text("error") or "unknown_error", text("error_description"), text("error_uri"))

    def as_dict(self) -> dict[str, str | None]:
        return {"error": self.error, "error_description": self.description, "error_uri": self.uri}


@dataclass(frozen=True)
class ProviderAnswer:
    """One endpoint's answer: HTTP status, the raw body, its JSON object, and the refusal when it refused."""

    endpoint: str
    status: int
    raw: str
    value: dict[str, Any] | None
    error: ProviderError | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "status": self.status,
            "raw": self.raw,
            "response": self.value,
            "error": None if self.error is None else self.error.as_dict(),
        }


def provider_info(issuer: str, policy: FetchPolicy, cache: IssuerCache, *, refresh: bool = False) -> ProviderInfo:
    found = discover(issuer, policy, refresh=refresh, cache=cache)
    return ProviderInfo(found.issuer, found.metadata, found.jwks.raw_text, found.jwks.final_url, found)


def check_extra(extra: Mapping[str, str]) -> dict[str, str]:
    """Extra request parameters, refusing any that would replace one jwtlens sets itself."""
    if len(extra) > _MAX_EXTRA:
        raise InputError("oauth_extra", f"There are {len(extra)} extra parameters; the limit is {_MAX_EXTRA}", "extra")
    checked: dict[str, str] = {}
    for name, value in extra.items():
        if not isinstance(name, str) or not isinstance(value, str) or not name.strip():
            raise InputError("oauth_extra", "Each extra parameter needs a name and a text value", "extra")
        if name.strip() in _RESERVED:
            raise InputError(
                "oauth_extra",
                f'The extra parameter "{shown(name.strip())}" is one jwtlens sets itself; use its own field',
                "extra",
            )
        if value.strip():
            checked[name.strip()] = value.strip()
    return checked


def authorization_url(info: ProviderInfo, flow: PendingFlow, extra: Mapping[str, str]) -> str:
    params = {
        **extra,
        "response_type": "code",
        "client_id": flow.client_id,
        "redirect_uri": flow.redirect_uri,
        "scope": flow.scope,
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": pkce_challenge(flow.verifier),
        "code_challenge_method": "S256",
    }
    if flow.response_mode != "query":
        params["response_mode"] = flow.response_mode
    if flow.max_age is not None:
        params["max_age"] = str(flow.max_age)
    base = info.endpoint("authorization_endpoint")
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params, quote_via=quote)}"


def _client_auth(client_id: str, client_secret: str | None, form: dict[str, str]) -> dict[str, str]:
    """client_secret_basic for a confidential client (RFC 6749 §2.3.1); a public client names itself."""
    if not client_secret:
        form["client_id"] = client_id
        return {}
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}


def _answer(
    endpoint: str, url: str, policy: FetchPolicy, form: dict[str, str] | None, headers: dict[str, str]
) -> ProviderAnswer:
    got = exchange(url, policy, segment=endpoint, form=form, headers=headers)
    error: ProviderError | None = None
    if got.status >= 400:
        error = ProviderError.of(got.value or {"error": f"http_{got.status}"})
        if got.value is None or "error" not in got.value:
            error = ProviderError(f"http_{got.status}", f"{shown_url(url)} answered HTTP {got.status}")
    elif endpoint != "userinfo" and got.value is None:
        raise InputError(
            "fetch_not_json",
            f"The {endpoint} endpoint at {shown_url(url)} did not answer a JSON object",
            endpoint,
            upstream=True,
        )
    return ProviderAnswer(endpoint, got.status, got.text, got.value, error)


def request_token(
    info: ProviderInfo,
    policy: FetchPolicy,
    *,
    client_id: str,
    client_secret: str | None,
    grant: dict[str, str],
) -> ProviderAnswer:
    """POST a grant (its grant_type and parameters) to the token endpoint."""
    form = dict(grant)
    headers = _client_auth(client_id, client_secret, form)
    return _answer("token", info.endpoint("token_endpoint"), policy, form, headers)


def introspect(
    info: ProviderInfo, policy: FetchPolicy, *, client_id: str, client_secret: str | None, token: str
) -> ProviderAnswer:
    """RFC 7662: what the provider says of a token (active, scope, client, expiry...)."""
    form = {"token": token}
    headers = _client_auth(client_id, client_secret, form)
    return _answer("introspection", info.endpoint("introspection_endpoint"), policy, form, headers)


def userinfo(info: ProviderInfo, policy: FetchPolicy, *, access_token: str) -> ProviderAnswer:
    """OIDC Core §5.3: the claims about the user the access token grants."""
    headers = {"Authorization": f"Bearer {access_token}"}
    return _answer("userinfo", info.endpoint("userinfo_endpoint"), policy, None, headers)
