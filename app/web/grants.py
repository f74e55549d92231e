"""Tokens from an identity provider without a browser: client credentials, refresh, introspection, userinfo.

The JSON API and the page's "Get a token" fragment; the authorization code flow, which needs the browser, is in
signin.py.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ..config import Settings
from ..core import InputError
from ..fetch import IssuerCache
from ..oauth import (
    EXTRA_FIELDS,
    check_extra,
    id_token_policy,
    introspect,
    provider_info,
    request_token,
    userinfo,
    verify_tokens,
)
from ..present import oauth_json
from . import answers
from .deps import IssuerCacheDep, SettingsDep
from .forms import Form, read_form
from .keysource import fetch_policy, issuer_source
from .limits import off_loop
from .render import render

__all__ = ["extra_from_form", "provider_limits", "router"]

router = APIRouter()


def provider_limits(settings: Settings) -> dict[str, Any]:
    """The size limits the provider's tokens are inspected under: this server's, as for a pasted token."""
    return {
        "max_token": settings.max_token_bytes,
        "max_key": settings.max_key_bytes,
        "long_lifetime": settings.long_lifetime_seconds,
    }


# -- the JSON API ----------------------------------------------------------------------------------


class TokenRequest(BaseModel):
    issuer: str = Field(description="The provider's issuer URL (its metadata is discovered)")
    client_id: str
    client_secret: str | None = Field(None, description="A confidential client's secret; sent as HTTP Basic")
    grant_type: Literal["client_credentials", "refresh_token"] = Field(
        description="The authorization code grant needs a browser: use the page's Start sign-in"
    )
    scope: str | None = None
    refresh_token: str | None = Field(None, description="For grant_type refresh_token")
    extra: dict[str, str] | None = Field(None, description="More parameters: audience, resource...")


class IntrospectRequest(BaseModel):
    issuer: str
    client_id: str
    client_secret: str | None = None
    token: str = Field(description="An access or refresh token, opaque or JWT")


class UserinfoRequest(BaseModel):
    issuer: str
    access_token: str


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A malformed request, or a URL the fetch rules refuse"},
    502: {"description": "The provider cannot be reached or misbehaved"},
}


def _grant(body: TokenRequest) -> dict[str, str]:
    grant = {**check_extra(body.extra or {}), "grant_type": body.grant_type}
    if body.scope:
        grant["scope"] = body.scope
    if body.grant_type == "refresh_token":
        if not body.refresh_token:
            raise InputError("oauth_refresh_token", "The refresh_token grant needs a refresh_token", "refresh_token")
        grant["refresh_token"] = body.refresh_token
    return grant


def token_answer(body: TokenRequest, settings: Settings, cache: IssuerCache) -> dict[str, Any]:
    info = provider_info(body.issuer, fetch_policy(settings), cache)
    answer = request_token(
        info, fetch_policy(settings), client_id=body.client_id, client_secret=body.client_secret, grant=_grant(body)
    )
    tokens = {}
    if answer.error is None and answer.value is not None:
        policy = id_token_policy(info.issuer, body.client_id, answer.value)
        tokens = verify_tokens(answer.value, info, policy, limits=provider_limits(settings))
    return oauth_json(answer, tokens, issuer_source(info.discovery))


def introspect_answer(body: IntrospectRequest, settings: Settings, cache: IssuerCache) -> dict[str, Any]:
    policy = fetch_policy(settings)
    info = provider_info(body.issuer, policy, cache)
    answer = introspect(info, policy, client_id=body.client_id, client_secret=body.client_secret, token=body.token)
    tokens = verify_tokens({"access_token": body.token}, info, {}, limits=provider_limits(settings))
    return oauth_json(answer, tokens, issuer_source(info.discovery))


def userinfo_answer(body: UserinfoRequest, settings: Settings, cache: IssuerCache) -> dict[str, Any]:
    policy = fetch_policy(settings)
    info = provider_info(body.issuer, policy, cache)
    answer = userinfo(info, policy, access_token=body.access_token)
    tokens = verify_tokens({"access_token": body.access_token}, info, {}, limits=provider_limits(settings))
    return oauth_json(answer, tokens, issuer_source(info.discovery))


@router.post(
    "/api/oauth/token",
    response_model=answers.OAuthAnswer,
    response_model_exclude_unset=True,
    responses=_ERRORS,
    tags=["oauth"],
)
def api_token(body: TokenRequest, settings: SettingsDep, cache: IssuerCacheDep) -> dict[str, Any]:
    """Client credentials or refresh token grant; the provider's answer with its JWTs verified."""
    return token_answer(body, settings, cache)


@router.post(
    "/api/oauth/introspect",
    response_model=answers.OAuthAnswer,
    response_model_exclude_unset=True,
    responses=_ERRORS,
    tags=["oauth"],
)
def api_introspect(body: IntrospectRequest, settings: SettingsDep, cache: IssuerCacheDep) -> dict[str, Any]:
    """RFC 7662 introspection of a token; the token itself verified too when it is a JWT."""
    return introspect_answer(body, settings, cache)


@router.post(
    "/api/oauth/userinfo",
    response_model=answers.OAuthAnswer,
    response_model_exclude_unset=True,
    responses=_ERRORS,
    tags=["oauth"],
)
def api_userinfo(body: UserinfoRequest, settings: SettingsDep, cache: IssuerCacheDep) -> dict[str, Any]:
    """OpenID Connect userinfo for an access token; the token verified too when it is a JWT."""
    return userinfo_answer(body, settings, cache)


# -- the page: a fragment for the grants that need no browser ----------------------------------------


def extra_from_form(form: Form) -> dict[str, str]:
    extra = {name: form.get(name) for name in EXTRA_FIELDS if form.get(name).strip()}
    for number, line in enumerate(form.get("extra").splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise InputError("oauth_extra", f"Extra parameters line {number}: write name=value", "extra")
        extra[name.strip()] = value.strip()
    return check_extra(extra)


def _fragment_answer(form: Form, settings: Settings, cache: IssuerCache) -> dict[str, Any]:
    issuer, client_id, secret = form.get("issuer").strip(), form.get("client_id").strip(), form.get("client_secret")
    flow = form.get("flow")
    if flow not in ("client_credentials", "refresh_token", "introspect", "userinfo"):
        raise InputError("oauth_flow", "The authorization code flow needs the browser: press Start sign-in", "flow")
    if flow in ("introspect", "userinfo"):
        token = form.get("subject_token").strip()
        if not token:
            raise InputError("oauth_token_missing", "Paste the token to ask the provider about", "subject_token")
        if flow == "introspect":
            return introspect_answer(
                IntrospectRequest(issuer=issuer, client_id=client_id, client_secret=secret or None, token=token),
                settings,
                cache,
            )
        return userinfo_answer(UserinfoRequest(issuer=issuer, access_token=token), settings, cache)
    grant_type: Literal["client_credentials", "refresh_token"] = (
        "refresh_token" if flow == "refresh_token" else "client_credentials"
    )
    body = TokenRequest(
        issuer=issuer,
        client_id=client_id,
        client_secret=secret or None,
        grant_type=grant_type,
        scope=form.get("scope").strip() or None,
        refresh_token=form.get("subject_token").strip() or None,
        extra=extra_from_form(form),
    )
    return token_answer(body, settings, cache)


@router.post("/fragments/oauth", response_class=HTMLResponse, include_in_schema=False)
async def oauth_fragment(request: Request, settings: SettingsDep, cache: IssuerCacheDep) -> HTMLResponse:
    form = await read_form(request)
    try:
        result = await off_loop(request, _fragment_answer, form, settings, cache)
    except InputError as exc:
        return await render(request, "_oauth_result.html", {"problem": exc.problem})
    return await render(request, "_oauth_result.html", {"answer": result})  # tokens can be large
