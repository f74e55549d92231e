"""Real tokens from an identity provider: the authorization code flow with PKCE, its callback and its result.

The browser holds only an opaque flow id (an HttpOnly SameSite=Lax cookie); the PKCE verifier, state,
nonce and client secret stay in this server, each flow single use and gone within minutes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..config import Settings
from ..core import ALGORITHMS, InputError, Problem
from ..core.inspect import Inspection
from ..fetch import IssuerCache
from ..oauth import (
    FlowStore,
    PendingFlow,
    ProviderAnswer,
    ProviderError,
    ProviderInfo,
    authorization_url,
    id_token_policy,
    provider_info,
    request_token,
    verify_tokens,
)
from ..present import oauth_json
from .deps import IssuerCacheDep, SettingsDep
from .forms import Form, read_form
from .grants import extra_from_form, provider_limits
from .keysource import fetch_policy, issuer_source
from .limits import off_loop
from .policyform import fields_from_policy
from .render import render, templates
from .view import Env, Options, view_with_options

__all__ = ["FLOW_COOKIE", "router"]

router = APIRouter()
FLOW_COOKIE = "jwtlens_oauth"
#: what the provider may send back to /callback (anything else is ignored, never echoed)
_CALLBACK_PARAMS = ("state", "code", "error", "error_description", "error_uri", "iss")
_STORE_LOCK = threading.Lock()


def _flows(request: Request) -> FlowStore:
    state = request.app.state
    with _STORE_LOCK:
        if getattr(state, "oauth_flows", None) is None:
            state.oauth_flows = FlowStore()
    flows: FlowStore = state.oauth_flows
    return flows


def redirect_uri(request: Request) -> str:
    """The redirect URI to register with the provider: this server's origin + /callback."""
    return str(request.base_url).rstrip("/") + "/callback"


def _failed(
    request: Request, problem: Problem | None, status: int | None = None, provider: ProviderError | None = None
) -> HTMLResponse:
    context = {"problem": problem, "provider_error": provider}
    return templates.TemplateResponse(
        request, "oauth_callback.html", context, status_code=status or (problem.status if problem else 400)
    )


def _start(form: Form, settings: Settings, cache: IssuerCache, callback: str) -> tuple[PendingFlow, str]:
    issuer, client_id = form.get("issuer").strip(), form.get("client_id").strip()
    if not client_id:
        raise InputError("oauth_client_id", "Give the client ID registered with the provider", "client_id")
    max_age_text = form.get("max_age").strip()
    if max_age_text and not max_age_text.isdigit():
        raise InputError("oauth_max_age", "max_age is a whole number of seconds", "max_age")
    mode = form.get("response_mode") or "query"
    if mode not in ("query", "form_post"):
        raise InputError("oauth_response_mode", "The response mode is query or form_post", "response_mode")
    extra = extra_from_form(form)
    info = provider_info(issuer, fetch_policy(settings), cache)
    flow = PendingFlow(
        issuer=info.issuer,
        client_id=client_id,
        client_secret=form.get("client_secret") or None,
        redirect_uri=callback,
        scope=form.get("scope").strip() or "openid",
        response_mode=mode,
        max_age=int(max_age_text) if max_age_text else None,
    )
    return flow, authorization_url(info, flow, extra)


@router.post("/oauth/start", response_class=HTMLResponse, include_in_schema=False)
async def start_sign_in(request: Request, settings: SettingsDep, cache: IssuerCacheDep) -> HTMLResponse:
    """Start sign-in: a flow kept here, its id in a cookie, and the browser sent on to the provider.

    A navigation by htmx (HX-Redirect), not a redirect of the post: the page's CSP (form-action 'self')
    would stop a form's redirect at the provider's origin.
    """
    form = await read_form(request)
    try:
        flow, url = await off_loop(request, _start, form, settings, cache, redirect_uri(request))
    except InputError as exc:
        return templates.TemplateResponse(request, "_oauth_result.html", {"problem": exc.problem})
    flows = _flows(request)
    flow_id = flows.start(flow)
    response = templates.TemplateResponse(
        request, "_oauth_result.html", {"authorization_url": url}, headers={"HX-Redirect": url}
    )
    response.set_cookie(
        FLOW_COOKIE,
        flow_id,
        max_age=int(flows.ttl),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@dataclass(frozen=True)
class _SignIn:
    """A completed sign-in, kept for its browser until the flow expires."""

    answer: ProviderAnswer
    info: ProviderInfo
    flow: PendingFlow
    policy: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, Inspection | None] = field(default_factory=dict)


def _finish(flow: PendingFlow, params: dict[str, str], settings: Settings, cache: IssuerCache) -> _SignIn:
    """Exchange the code for tokens (the verifier proves it is us) and verify what came back."""
    info = provider_info(flow.issuer, fetch_policy(settings), cache)
    grant = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.verifier,
    }
    answer = request_token(
        info, fetch_policy(settings), client_id=flow.client_id, client_secret=flow.client_secret, grant=grant
    )
    if answer.error is not None or answer.value is None:
        return _SignIn(answer, info, flow)
    policy = id_token_policy(
        info.issuer, flow.client_id, answer.value, nonce=flow.nonce, code=params["code"], max_age=flow.max_age
    )
    return _SignIn(
        answer, info, flow, policy, verify_tokens(answer.value, info, policy, limits=provider_limits(settings))
    )


@router.api_route("/callback", methods=["GET", "POST"], response_class=HTMLResponse, include_in_schema=False)
async def callback(request: Request, settings: SettingsDep, cache: IssuerCacheDep) -> Response:
    """The provider's redirect back: state checked, the code exchanged, then a clean URL for the result."""
    flows, flow_id = _flows(request), request.cookies.get(FLOW_COOKIE)
    if request.method == "POST":
        # response_mode=form_post: a POST from the provider's origin, which may carry no Lax cookie. It is
        # accepted only for a pending state, parked, and picked up by a GET that does carry the cookie.
        form = await read_form(request)
        params = {name: form.get(name) for name in _CALLBACK_PARAMS if form.has(name)}
        if not flows.park(params.get("state", ""), params):
            problem = InputError(
                "oauth_state_unknown",
                "This callback names no pending sign-in (a wrong, expired or already used state): refused",
                "state",
            ).problem
            return _failed(request, problem, 403)
        return RedirectResponse("/callback", status_code=303)
    params = {name: request.query_params[name] for name in _CALLBACK_PARAMS if name in request.query_params}
    if not params:
        params = flows.parked(flow_id) or {}
    try:
        flow = flows.take(flow_id, params.get("state"))
    except InputError as exc:
        return _failed(request, exc.problem, 400)
    if "error" in params:
        return _failed(request, None, 400, ProviderError.of(params))
    if params.get("iss") not in (None, flow.issuer):
        problem = InputError(
            "oauth_issuer_mismatch",
            "The callback's iss is not the issuer this sign-in went to (a mix-up attack, RFC 9207): refused",
            "iss",
        ).problem
        return _failed(request, problem, 400)
    if not params.get("code"):
        return _failed(request, InputError("oauth_no_code", "The callback carries no code", "code").problem, 400)
    try:
        result = await off_loop(request, _finish, flow, params, settings, cache)
    except InputError as exc:
        return _failed(request, exc.problem)
    if result.answer.error is not None:
        return _failed(request, None, 400, result.answer.error)
    flows.keep_result(flow_id or "", result)
    # Redirect to a URL without the code or state, so neither stays in the address bar or history.
    return RedirectResponse("/oauth/result", status_code=303)


@router.get("/oauth/result", response_class=HTMLResponse, include_in_schema=False)
async def sign_in_result(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The debugger with the ID token loaded, the issuer's JWKS as its key and the OIDC policy filled in."""
    result = _flows(request).result(request.cookies.get(FLOW_COOKIE))
    if not isinstance(result, _SignIn):
        problem = InputError(
            "oauth_no_result", "No sign-in result for this browser: it expired or was never completed", "state"
        ).problem
        return _failed(request, problem, 404)
    answer, info = result.answer, result.info
    store = request.app.state.store
    id_token = (answer.value or {}).get("id_token")
    options = Options(key=info.jwks_text, policy_fields=fields_from_policy(result.policy))
    view = await off_loop(
        request, view_with_options, id_token if isinstance(id_token, str) else "", options, Env(settings, store)
    )
    context = {
        "view": view,
        "algorithms": ALGORITHMS,
        "profiles": [p.name for p in await off_loop(request, store.profiles)],
        "oauth": oauth_json(answer, result.tokens, issuer_source(info.discovery)),
        "oauth_flow": result.flow,
    }
    return await render(request, "index.html", context)  # the ID token in three panes, rendered off the loop
