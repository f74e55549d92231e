"""Client credentials, refresh, introspection and userinfo through the JSON API, against a real provider."""

from __future__ import annotations

import json
import logging

import jwt as pyjwt
import pytest
from fastapi.testclient import TestClient

from tests.oauth.flows import finish
from tests.oauth.provider import Provider
from tests.web.answers import answer

RESOURCE = "urn:jwtlens:test-api"


def client_credentials(client: TestClient, provider: Provider, **more: object) -> dict:
    body = {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "grant_type": "client_credentials",
        **more,
    }
    response = client.post("/api/oauth/token", json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_client_credentials_jwt_access_token_is_verified(app_client: TestClient, provider: Provider) -> None:
    answer = client_credentials(app_client, provider, scope="api:read", extra={"resource": RESOURCE})
    assert answer["endpoint"] == "token" and answer["status"] == 200 and answer["error"] is None
    assert json.loads(answer["raw"]) == answer["response"]
    access = answer["tokens"]["access_token"]
    assert access["type"] == "JWS" and access["verified"] is True
    assert access["header"]["typ"] == "at+jwt"
    # The same verify result /api/verify gives for the same token and JWKS.
    token = answer["response"]["access_token"]
    direct = app_client.post("/api/verify", json={"token": token, "issuer": provider.issuer}).json()
    assert direct["verified"] is True and direct["signature"] == access["signature"]
    # PyJWT, an independent library with its own JWKS fetch, agrees.
    key = pyjwt.PyJWKClient(f"{provider.issuer}/jwks").get_signing_key_from_jwt(token).key
    claims = pyjwt.decode(token, key, algorithms=["RS256"], audience=RESOURCE)
    assert claims["client_id"] == provider.client_id


def test_client_credentials_opaque_token_is_said_to_be_opaque(app_client: TestClient, provider: Provider) -> None:
    answer = client_credentials(app_client, provider)
    assert answer["response"]["access_token"]
    assert answer["tokens"] == {"access_token": None}


@pytest.mark.parametrize("secret", ["wrong-secret", "", None])
def test_a_wrong_client_secret_is_the_providers_refusal(
    app_client: TestClient, provider: Provider, secret: str | None
) -> None:
    answer = client_credentials(app_client, provider, client_secret=secret)
    assert answer["status"] in (400, 401)
    assert answer["error"]["error"] == "invalid_client"
    assert answer["tokens"] == {}  # nothing verified out of a refusal


def test_introspection_of_opaque_jwt_and_garbage(app_client: TestClient, provider: Provider) -> None:
    opaque = client_credentials(app_client, provider)["response"]["access_token"]
    jwt_token = client_credentials(app_client, provider, extra={"resource": RESOURCE})["response"]["access_token"]
    base = {"issuer": provider.issuer, "client_id": provider.client_id, "client_secret": provider.client_secret}
    answer = app_client.post("/api/oauth/introspect", json={**base, "token": opaque}).json()
    assert answer["endpoint"] == "introspection" and answer["response"]["active"] is True
    assert answer["response"]["client_id"] == provider.client_id
    assert answer["tokens"] == {"access_token": None}
    # oidc-provider refuses to introspect its JWT access tokens: that refusal is shown, and the JWT verified here.
    answer = app_client.post("/api/oauth/introspect", json={**base, "token": jwt_token}).json()
    assert answer["status"] == 400 and answer["error"]["error"] == "unsupported_token_type"
    assert "cannot be introspected" in answer["error"]["error_description"]
    assert answer["tokens"]["access_token"]["verified"] is True
    gone = app_client.post("/api/oauth/introspect", json={**base, "token": "not-a-token-it-issued"}).json()
    assert gone["response"] == {"active": False} and gone["tokens"] == {"access_token": None}


def test_code_flow_tokens_then_userinfo_and_refresh(app_client: TestClient, provider: Provider) -> None:
    tokens = finish(app_client, provider, scope="openid email offline_access")["oauth"]["response"]
    info = app_client.post(
        "/api/oauth/userinfo", json={"issuer": provider.issuer, "access_token": tokens["access_token"]}
    ).json()
    assert info["endpoint"] == "userinfo" and info["status"] == 200
    assert info["response"]["sub"] == "alice" and info["response"]["email"] == "alice@example.test"
    refreshed = client_credentials(
        app_client, provider, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed["error"] is None
    id_result = refreshed["tokens"]["id_token"]
    assert id_result["verified"] is True
    checks = {c["name"]: c["status"] for c in id_result["claims"]}
    assert checks["aud"] == "pass" and checks["iss"] == "pass" and checks["at_hash"] == "pass"
    assert refreshed["response"]["access_token"] != tokens["access_token"]


def test_userinfo_with_a_bad_token_is_the_providers_refusal(app_client: TestClient, provider: Provider) -> None:
    answer = app_client.post("/api/oauth/userinfo", json={"issuer": provider.issuer, "access_token": "nope"}).json()
    assert answer["status"] == 401 and answer["error"]["error"] in ("invalid_token", "http_401")


def test_refresh_grant_needs_a_refresh_token(app_client: TestClient, provider: Provider) -> None:
    body = {"issuer": provider.issuer, "client_id": "x", "grant_type": "refresh_token"}
    response = app_client.post("/api/oauth/token", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["segment"] == "refresh_token"


@pytest.mark.parametrize(
    ("issuer", "status", "code"),
    [
        ("http://169.254.169.254/latest", 400, "fetch_forbidden"),
        ("ftp://127.0.0.1/x", 400, "fetch_scheme"),
        ("http://127.0.0.1:9/", 502, "fetch_connect"),
    ],
)
def test_fetch_rules_apply_to_the_provider(app_client: TestClient, issuer: str, status: int, code: str) -> None:
    body = {"issuer": issuer, "client_id": "x", "client_secret": "y", "grant_type": "client_credentials"}
    response = app_client.post("/api/oauth/token", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"].startswith(code.split("_")[0])
    assert response.json()["error"]["segment"] == "issuer"


def test_canary_secret_in_no_log_line(
    app_client: TestClient, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    finish(app_client, provider, scope="openid offline_access")
    client_credentials(app_client, provider, extra={"resource": RESOURCE})
    client_credentials(app_client, provider, client_secret=provider.client_secret + "x")
    app_client.post(
        "/oauth/start",
        data={"issuer": "http://169.254.169.254/", "client_id": "c", "client_secret": provider.client_secret},
    )
    lines = [record.getMessage() for record in caplog.records] + provider.output
    assert any("/oauth/start" in line or "/callback" in line for line in lines)  # the log was captured at all
    assert not [line for line in lines if provider.client_secret in line]


def test_answers_pass_through_their_declared_model_unchanged(
    app_client: TestClient,
    provider: Provider,
    handed: list[object],
) -> None:
    base = {"issuer": provider.issuer, "client_id": provider.client_id, "client_secret": provider.client_secret}
    for extra in ({}, {"resource": RESOURCE}):
        body = {**base, "grant_type": "client_credentials", "extra": extra}
        got = answer(app_client, handed, "POST", "/api/oauth/token", body)
        token = got["response"]["access_token"]
        answer(app_client, handed, "POST", "/api/oauth/introspect", {**base, "token": token})
    answer(
        app_client,
        handed,
        "POST",
        "/api/oauth/token",
        {**base, "client_secret": "no", "grant_type": "client_credentials"},
    )
    answer(app_client, handed, "POST", "/api/oauth/userinfo", {"issuer": provider.issuer, "access_token": "x"})
