"""The authorization code flow with PKCE against a real OpenID Provider, the browser played by httpx."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import jwt as pyjwt
import pytest
from fastapi.testclient import TestClient
from jwtlens.oauth import FlowStore, pkce_challenge
from jwtlens.web.signin import FLOW_COOKIE

from tests.oauth.conftest import CALLBACK
from tests.oauth.flows import deliver, finish, start
from tests.oauth.provider import Provider, sign_in


def test_pkce_challenge_matches_rfc_7636_appendix_b() -> None:
    assert (
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_start_sends_pkce_state_nonce_and_keeps_them_server_side(app_client: TestClient, provider: Provider) -> None:
    location = start(app_client, provider)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{provider.issuer}/auth?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["client_id"] == [provider.client_id] and query["scope"] == ["openid"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32 and query["state"] != query["nonce"]
    assert provider.client_secret not in location
    cookie = app_client.cookies.get(FLOW_COOKIE)
    assert cookie and cookie not in location  # the cookie is an opaque id, not the state
    flows: FlowStore = app_client.app.state.oauth_flows  # type: ignore[attr-defined]
    flow = flows._entries[cookie].flow
    assert flow is not None
    # The challenge in the URL is the S256 of the verifier only this server holds (hashlib as the oracle).
    digest = hashlib.sha256(flow.verifier.encode()).digest()
    assert query["code_challenge"] == [base64.urlsafe_b64encode(digest).rstrip(b"=").decode()]


def test_set_cookie_is_httponly_lax_and_short_lived(app_client: TestClient, provider: Provider) -> None:
    form = {"issuer": provider.issuer, "client_id": provider.client_id}
    header = app_client.post("/oauth/start", data=form).headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header
    assert "max-age=600" in header


@pytest.mark.parametrize("response_mode", ["query", "form_post"])
def test_code_flow_lands_verified_with_nonce_and_at_hash(
    app_client: TestClient, provider: Provider, response_mode: str
) -> None:
    context = finish(app_client, provider, response_mode=response_mode, scope="openid email offline_access")
    answer = context["oauth"]
    id_result = answer["tokens"]["id_token"]
    assert id_result["verified"] is True, id_result["verdict"]
    checks = {c["name"]: c["status"] for c in id_result["claims"]}
    assert checks["nonce"] == "pass" and checks["at_hash"] == "pass"
    assert checks["iss"] == "pass" and checks["aud"] == "pass"
    # The debugger itself: the ID token loaded, the issuer's JWKS as the key, the OIDC policy in the form.
    view = context["view"]
    assert view.token == answer["response"]["id_token"]
    assert view.inspection.verified
    assert '"keys"' in view.options.key
    assert view.options.field("policy_iss") == provider.issuer
    assert view.options.field("policy_aud") == provider.client_id
    assert view.options.field("policy_oidc") == "on"
    # PyJWT, with the same JWKS fetched on its own, agrees.
    jwks = pyjwt.PyJWKClient(f"{provider.issuer}/jwks")
    id_token = answer["response"]["id_token"]
    claims = pyjwt.decode(
        id_token, jwks.get_signing_key_from_jwt(id_token).key, algorithms=["RS256"], audience=provider.client_id
    )
    assert claims["iss"] == provider.issuer
    # The access and refresh tokens are shown beside it: opaque here, so said to be opaque.
    assert answer["tokens"]["access_token"] is None
    assert "refresh_token" in answer["response"]


def test_public_client_uses_pkce_alone(app_client: TestClient, provider: Provider) -> None:
    context = finish(app_client, provider, client_id=provider.public_client_id, client_secret="")
    assert context["oauth"]["tokens"]["id_token"]["verified"] is True


def test_max_age_checks_auth_time(app_client: TestClient, provider: Provider) -> None:
    context = finish(app_client, provider, max_age="300")
    checks = {c["name"]: c for c in context["oauth"]["tokens"]["id_token"]["claims"]}
    assert checks["auth_time"]["status"] == "pass"
    assert context["view"].options.field("policy_max_age") == "300"


def test_replayed_callback_is_refused(app_client: TestClient, provider: Provider) -> None:
    callback = sign_in(start(app_client, provider), CALLBACK)
    assert deliver(app_client, callback, provider).status_code == 303
    again = deliver(app_client, callback, provider)
    assert again.status_code == 400
    assert "already completed" in again.text
    assert again.context["problem"].code == "oauth_replayed"


@pytest.mark.parametrize("tamper", ["changed", "missing", "empty", "other flow's"])
def test_wrong_state_is_refused_and_burns_the_flow(app_client: TestClient, provider: Provider, tamper: str) -> None:
    other = sign_in(start(app_client, provider), CALLBACK)  # a flow whose state is genuine, then replaced below
    callback = sign_in(start(app_client, provider), CALLBACK)
    parts = urlsplit(callback.url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    wrong = {
        "changed": query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB"),
        "missing": None,
        "empty": "",
        "other flow's": parse_qs(urlsplit(other.url).query)["state"][0],
    }[tamper]
    sent = {k: v for k, v in query.items() if k != "state"} | ({} if wrong is None else {"state": wrong})
    response = app_client.get("/callback", params=sent)
    assert response.status_code == 400
    assert response.context["problem"].code == "oauth_state_mismatch"
    assert "state" in response.text and query["code"] not in response.text
    # Single use: the genuine callback after a forged one is refused too.
    assert deliver(app_client, callback, provider).status_code == 400


def test_callback_in_another_browser_is_refused(app_client: TestClient, provider: Provider) -> None:
    callback = sign_in(start(app_client, provider), CALLBACK)
    app_client.cookies.clear()
    response = deliver(app_client, callback, provider)
    assert response.status_code == 400
    assert response.context["problem"].code == "oauth_no_flow"


def test_expired_flow_is_refused(app_client: TestClient, provider: Provider) -> None:
    now = [1000.0]
    app_client.app.state.oauth_flows = FlowStore(clock=lambda: now[0])  # type: ignore[attr-defined]
    callback = sign_in(start(app_client, provider), CALLBACK)
    now[0] += 601
    response = deliver(app_client, callback, provider)
    assert response.status_code == 400
    assert "expired" in response.context["problem"].message


def test_provider_error_is_shown(app_client: TestClient, provider: Provider) -> None:
    # prompt=none without a session at the provider: it answers login_required to the callback.
    callback = sign_in(start(app_client, provider, prompt="none"), CALLBACK)
    response = deliver(app_client, callback, provider)
    assert response.status_code == 400
    error = response.context["provider_error"]
    assert error.error == "login_required"
    assert error.description and error.description in response.text
    assert 'id="provider-error-code">login_required<' in response.text


def test_nonce_mismatch_fails_the_id_token(app_client: TestClient, provider: Provider) -> None:
    location = start(app_client, provider)
    flows: FlowStore = app_client.app.state.oauth_flows  # type: ignore[attr-defined]
    entry = flows._entries[app_client.cookies[FLOW_COOKIE]]
    assert entry.flow is not None
    entry.flow = replace(entry.flow, nonce="not-the-nonce-the-provider-saw")  # as if the provider mixed it up
    response = deliver(app_client, sign_in(location, CALLBACK), provider)
    assert response.status_code == 303
    context = app_client.get("/oauth/result").context
    id_result = context["oauth"]["tokens"]["id_token"]
    assert id_result["verified"] is False
    nonce = next(c for c in id_result["claims"] if c["name"] == "nonce")
    assert nonce["status"] == "fail" and "differs" in nonce["message"]


@pytest.mark.parametrize("state", ["x" * 43, "", "é" * 43, "\x00", "s" * 5000])
def test_form_post_with_an_unknown_state_is_refused(app_client: TestClient, provider: Provider, state: str) -> None:
    start(app_client, provider)  # a pending flow exists, with another state
    response = app_client.post("/callback", data={"state": state, "code": "abc"}, headers={"Origin": provider.issuer})
    assert response.status_code == 403
    assert response.context["problem"].code == "oauth_state_unknown"
    wrong = app_client.get("/callback", params={"state": state, "code": "abc"})
    assert wrong.status_code == 400 and wrong.context["problem"].code == "oauth_state_mismatch"
    # The one cross-site POST let through is /callback: others are still refused.
    other = app_client.post("/api/decode", json={"token": "a.b.c"}, headers={"Origin": provider.issuer})
    assert other.status_code == 403


def test_result_without_a_flow_is_404(app_client: TestClient) -> None:
    response = app_client.get("/oauth/result")
    assert response.status_code == 404
    assert response.context["problem"].code == "oauth_no_result"


@pytest.mark.parametrize("name", ["state", "nonce", "redirect_uri", "code_challenge", "client_id", " scope "])
def test_extra_parameters_cannot_replace_ours(app_client: TestClient, provider: Provider, name: str) -> None:
    form = {"issuer": provider.issuer, "client_id": provider.client_id, "extra": f"{name}=attacker"}
    response = app_client.post("/oauth/start", data=form)
    assert response.status_code == 200 and "hx-redirect" not in response.headers
    message = response.context["problem"].message
    assert f'"{name.strip()}"' in message and "attacker" not in response.text


def test_extra_parameters_reach_the_provider(app_client: TestClient, provider: Provider) -> None:
    location = start(
        app_client, provider, acr_values="urn:mace:incommon:iap:silver", extra="ui_locales=de\n\nlogin_hint = bob"
    )
    query = parse_qs(urlsplit(location).query)
    assert query["acr_values"] == ["urn:mace:incommon:iap:silver"]
    assert query["ui_locales"] == ["de"] and query["login_hint"] == ["bob"]
