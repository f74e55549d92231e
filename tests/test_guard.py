"""A shared instance's guards: Host allowlist, cross-site POSTs, the access token, headers, quiet logs."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.core import sign
from app.main import create_app
from tests.conftest import future

CANARY_SECRET = "CANARY-9d1f-secret-value-0123456789abcdef"


def lan_app(tmp_path, **extra) -> TestClient:
    settings = Settings(host="0.0.0.0", db_path=tmp_path / "db", allowed_hosts=["jwtlens.intranet"], **extra)
    return TestClient(create_app(settings), base_url="http://jwtlens.intranet", follow_redirects=False)


def test_foreign_host_is_400(client):
    for host in ("evil.example", "attacker.com:8000", "127.0.0.1.evil.example", "localhost.evil.example"):
        response = client.get("/", headers={"host": host})
        assert response.status_code == 400 and response.json()["error"]["code"] == "host_not_allowed"


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "127.0.0.2"])
def test_local_hosts_are_allowed(client, host):
    assert client.get("/", headers={"host": host}).status_code == 200


def test_configured_host_is_allowed(tmp_path):
    with lan_app(tmp_path, no_auth=True) as lan:
        assert lan.get("/").status_code == 200
        assert lan.get("/", headers={"host": "other.intranet"}).status_code == 400


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": "http://127.0.0.1:9999"},  # another port is another origin
        {"sec-fetch-site": "cross-site"},
    ],
)
def test_cross_site_posts_are_403(client, headers):
    for path in ("/api/decode", "/fragments/token", "/api/replay/clear"):
        response = client.post(path, json={"token": "x"}, headers=headers)
        assert response.status_code == 403 and response.json()["error"]["code"] == "cross_site"


def test_same_origin_posts_pass(client):
    headers = {"origin": "http://127.0.0.1", "sec-fetch-site": "same-origin"}
    assert client.post("/api/decode", json={"token": "a.b"}, headers=headers).status_code == 400  # reached the API


def test_no_cors_headers(client):
    response = client.options(
        "/api/verify", headers={"origin": "https://evil.example", "access-control-request-method": "POST"}
    )
    assert not any(name.lower().startswith("access-control-") for name in response.headers)
    response = client.post("/api/decode", json={"token": "x"})
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("status_path", [("GET", "/", 200), ("POST", "/api/decode", 400), ("GET", "/missing", 404)])
def test_security_headers_everywhere(client, status_path):
    method, path, status = status_path
    response = client.request(method, path, json={"token": "x"} if method == "POST" else None)
    assert response.status_code == status
    headers = response.headers
    assert headers["content-security-policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    assert headers["referrer-policy"] == "no-referrer" and headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


def test_guard_answers_carry_the_headers_too(client):
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400 and "frame-ancestors 'none'" in response.headers["content-security-policy"]


# --- the access token on a network address ------------------------------------------------------


def test_lan_binding_without_a_token_is_refused(tmp_path):
    with lan_app(tmp_path, access_token="T0ken-for-tests-0123456789-abcdefghij") as lan:
        for method, path in (("GET", "/"), ("POST", "/api/decode"), ("GET", "/api/profiles")):
            response = lan.request(method, path, json={"token": "x"} if method == "POST" else None)
            assert response.status_code == 401 and response.json()["error"]["code"] == "access_token_required"
        assert lan.get("/healthz").status_code == 200  # the container health check needs no token


def test_first_visit_with_the_token_sets_a_strict_cookie_and_cleans_the_url(tmp_path):
    token = "T0ken-for-tests-0123456789-abcdefghij"
    with lan_app(tmp_path, access_token=token) as lan:
        assert lan.get("/?access_token=wrong").status_code == 401
        response = lan.get(f"/?access_token={token}&tab=keys")
        assert response.status_code == 303 and response.headers["location"] == "/?tab=keys"
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and token not in cookie
        assert lan.get("/").status_code == 200  # the cookie now opens the page
        assert lan.post("/api/decode", json={"token": "a.b"}).status_code == 400


def test_api_clients_send_the_token_as_bearer(tmp_path):
    token = "T0ken-for-tests-0123456789-abcdefghij"
    with lan_app(tmp_path, access_token=token) as lan:
        headers = {"authorization": f"Bearer {token}"}
        assert lan.post("/api/decode", json={"token": "a.b"}, headers=headers).status_code == 400
        assert (
            lan.post("/api/decode", json={"token": "a.b"}, headers={"authorization": "Bearer nope"}).status_code == 401
        )


def test_lan_binding_generates_a_token_when_none_is_configured(tmp_path):
    app = create_app(Settings(host="0.0.0.0", db_path=tmp_path / "db"))
    assert isinstance(app.state.access_token, str) and len(app.state.access_token) >= 24
    assert create_app(Settings(host="0.0.0.0", no_auth=True, db_path=tmp_path / "db")).state.access_token is None
    assert create_app(Settings(db_path=tmp_path / "db")).state.access_token is None  # loopback


def test_no_auth_serves_without_a_token(tmp_path):
    with lan_app(tmp_path, no_auth=True) as lan:
        assert lan.get("/").status_code == 200


# --- secrets stay out of logs and error bodies ------------------------------------------------------


def test_canary_secret_appears_in_no_log_line_and_no_error_body(client, caplog, rsa_pair):
    caplog.set_level(logging.DEBUG)
    token = sign({"alg": "HS256"}, {"sub": "a", "exp": future()}, CANARY_SECRET).token
    bodies = []
    requests = [
        ("/api/verify", {"token": token, "key": CANARY_SECRET}),
        ("/api/verify", {"token": token, "key": CANARY_SECRET, "secret_encoding": "hex"}),
        ("/api/verify", {"token": token, "key": "-----BEGIN PUBLIC KEY-----\n" + CANARY_SECRET}),
        ("/api/verify", {"token": token, "key": CANARY_SECRET, "secret_encoding": "nope"}),
        ("/api/verify", {"token": CANARY_SECRET, "key": CANARY_SECRET}),
        ("/api/sign", {"header": {"alg": "RS256"}, "payload": {}, "key": CANARY_SECRET}),
        ("/api/sign", {"header": CANARY_SECRET, "payload": {}, "key": CANARY_SECRET}),
        ("/api/decode", {"token": CANARY_SECRET}),
        ("/api/profiles/x", {"key": CANARY_SECRET}),
    ]
    for path, body in requests:
        method = "PUT" if path.startswith("/api/profiles") else "POST"
        response = client.request(method, path, json=body)
        if response.status_code >= 400:
            bodies.append(response.text)
    for path in ("/fragments/token", "/fragments/settings", "/fragments/edit"):
        client.post(path, data={"token": token, "key": CANARY_SECRET, "sign_key": CANARY_SECRET, "mode": "sign"})
    client.get(f"/?access_token={CANARY_SECRET}")
    assert bodies, "some requests should have failed"
    assert all(CANARY_SECRET not in body for body in bodies)
    # Everything the server side logged (the test's own HTTP client logs the URLs it requests).
    server_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert server_records
    assert all(CANARY_SECRET not in record.getMessage() for record in server_records)
    access = [r.getMessage() for r in caplog.records if r.name == "jwtlens.access"]
    assert any('"POST /api/verify" 200' in line for line in access)
    assert all("?" not in line for line in access)  # paths only, never query strings


def test_login_redirect_never_leaves_the_server():
    import asyncio
    import threading

    from app.web.guard import AccessGuard

    token = "T0ken-for-tests-0123456789-abcdefghij"
    guard = AccessGuard(lambda *_: None, allowed_hosts=frozenset(), access_token=token)  # type: ignore[arg-type]
    sent: list[dict] = []
    scope = {
        "type": "http",
        "method": "GET",
        "path": "//evil.example/x",
        "query_string": f"access_token={token}".encode(),
        "headers": [(b"host", b"localhost")],
    }

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request"}

    # In a thread of its own: after the browser tests, Playwright keeps an event loop on this one.
    worker = threading.Thread(target=asyncio.run, args=(guard(scope, receive, send),))
    worker.start()
    worker.join(timeout=10)
    headers = dict(sent[0]["headers"])
    assert sent[0]["status"] == 303 and headers[b"location"] == b"/"
