"""A shared instance's guards: Host allowlist, cross-site POSTs, the access token, headers, quiet logs."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from jwtlens.config import Settings
from jwtlens.core import sign
from jwtlens.main import create_app

from tests.makers import future

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

    from jwtlens.web.guard import AccessGuard

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


# --- a configured token is long; wrong ones are throttled; the login redirect stays home ------------------

LAN_TOKEN = "T0ken-for-tests-0123456789-abcdefghij"


@pytest.mark.parametrize("short", ["x", "change-me", "a" * 31])
def test_a_short_configured_token_is_refused_at_start(tmp_path, short):
    from jwtlens.config import settings_problem
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        Settings(host="0.0.0.0", db_path=tmp_path / "db", access_token=short)
    line = settings_problem(caught.value)
    assert line.startswith("JWTLENS_ACCESS_TOKEN: must be at least 32 characters") and short not in line
    assert Settings(host="0.0.0.0", db_path=tmp_path / "db", access_token="a" * 32).access_token is not None


def _lan_client(tmp_path, client_host: str = "198.51.100.7") -> TestClient:
    settings = Settings(
        host="0.0.0.0", db_path=tmp_path / "db", allowed_hosts=["jwtlens.intranet"], access_token=LAN_TOKEN
    )
    return TestClient(
        create_app(settings), base_url="http://jwtlens.intranet", follow_redirects=False, client=(client_host, 5000)
    )


@pytest.mark.parametrize("how", ["bearer", "query"])
def test_wrong_tokens_are_throttled_per_client_then_429_with_retry_after(tmp_path, how):
    def attempt(lan: TestClient, token: str) -> int:
        if how == "bearer":
            return lan.post(
                "/api/decode", json={"token": "a.b"}, headers={"authorization": f"Bearer {token}"}
            ).status_code
        return lan.get(f"/?access_token={token}").status_code

    with _lan_client(tmp_path) as lan:
        assert [attempt(lan, f"guess-{i}") for i in range(10)] == [401] * 10
        response = lan.get("/?access_token=guess-11")
        assert response.status_code == 429 and response.json()["error"]["code"] == "too_many_attempts"
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert "frame-ancestors" in response.headers["content-security-policy"]
        assert attempt(lan, LAN_TOKEN) == 429  # even the right token waits: guessing must not go on
    with _lan_client(tmp_path, client_host="198.51.100.8") as other:  # another address is not punished
        assert other.get(f"/?access_token={LAN_TOKEN}").status_code == 303


def test_a_session_cookie_still_works_while_the_address_is_throttled(tmp_path):
    with _lan_client(tmp_path) as lan:
        assert lan.get(f"/?access_token={LAN_TOKEN}").status_code == 303
        for i in range(12):
            lan.post("/api/decode", json={"token": "a.b"}, headers={"authorization": f"Bearer wrong-{i}"})
        assert lan.get("/").status_code == 200  # the cookie is no guess


def test_the_throttle_forgets_after_its_window_and_bounds_its_memory():
    from jwtlens.web.guard import FailureThrottle

    throttle = FailureThrottle(limit=3, window=60, max_clients=100)
    for i in range(3):
        throttle.failed("a", now=1000 + i)
    assert throttle.retry_after("a", now=1003) == 57  # the oldest of the three leaves the window at 1060
    assert throttle.retry_after("a", now=1061) == 0  # the first failure is older than the window
    for i in range(10_000):
        throttle.failed(f"10.0.{i // 256}.{i % 256}", now=2000)
    assert len(throttle._failures) == 100


# 40+ ways to spell "somewhere else": each must fall back to "/".
OPEN_REDIRECTS = [
    "//evil.example",
    "//evil.example/x",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%252F%252Fevil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/ /evil.example",
    "https://evil.example",
    "http://evil.example",
    "javascript:alert(1)",
    "/javascript:alert(1)//x/..//evil",
    "data:text/html,x",
    "evil.example",
    "",
    "/../evil.example",
    "/./evil.example",
    "/a/../../evil.example",
    "/..",
    "/.",
    "/a//evil.example",
    "/évil",
    "/\u2028evil",
    "/\u3002evil.example",
    "/\uff0f\uff0fevil.example",
    "/%E3%80%82evil",
    '/"onmouseover="x',
    "/<script>",
    "/x?next=//evil",
    "/x#//evil",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("path", OPEN_REDIRECTS)
def test_open_redirect_payloads_fall_back_to_the_root(path):
    from jwtlens.web.guard import safe_redirect_path

    assert safe_redirect_path(path) == "/"


@pytest.mark.parametrize("path", ["/", "/keys", "/a/b-c_d.e~f", "/api/profiles", "/x:y@z", "/a.b/c"])
def test_clean_paths_are_kept(path):
    from jwtlens.web.guard import safe_redirect_path

    assert safe_redirect_path(path) == path


def test_the_login_redirect_uses_the_clean_path_and_keeps_other_parameters(tmp_path):
    with _lan_client(tmp_path) as lan:
        response = lan.get(f"/keys?tab=x&access_token={LAN_TOKEN}")
        assert response.status_code == 303 and response.headers["location"] == "/keys?tab=x"
        response = lan.get(f"//evil.example?access_token={LAN_TOKEN}")
        assert response.status_code == 303 and response.headers["location"] == "/"


# --- logs: paths only, escaped; no URL of the HTTP client ---------------------------------------------


def test_control_characters_in_paths_are_escaped_in_the_access_log(client, caplog):
    caplog.set_level(logging.INFO, logger="jwtlens.access")
    client.get("/x%0A2026-01-01 forged line%0D%1B[31m%22 %5C?access_token=secret-in-query")
    lines = [r.getMessage() for r in caplog.records if r.name == "jwtlens.access"]
    assert lines and all("\n" not in line and "\r" not in line and "\x1b" not in line for line in lines)
    assert any('\\n2026-01-01 forged line\\r\\x1b[31m\\" \\\\' in line for line in lines)
    assert all("secret-in-query" not in line and "?" not in line for line in lines)


def test_http_client_loggers_do_not_log_urls(settings):
    create_app(settings)
    for name in ("httpx", "httpcore"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)


# --- the last resort: a clean 500 with every header -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"), [("/boom", "text/html"), ("/api/boom", "application/json"), ("/fragments/boom", "text/html")]
)
def test_an_unexpected_exception_is_a_clean_500_with_the_security_headers(settings, caplog, path, kind):
    app = create_app(settings)

    @app.get(path)
    def boom() -> None:  # only in this test's app
        raise RuntimeError(f"input {CANARY_SECRET} quoted")

    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as test_client:
        response = test_client.get(path)
    assert response.status_code == 500 and response.headers["content-type"].startswith(kind)
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    assert CANARY_SECRET not in response.text and "Traceback" not in response.text
    assert all(CANARY_SECRET not in r.getMessage() for r in caplog.records)
    assert any("unexpected RuntimeError" in r.getMessage() for r in caplog.records)


def test_a_real_jwks_fetch_logs_no_url_query_or_userinfo(tmp_path, caplog):
    from joserfc.jwk import RSAKey

    from tests.idp_stub import running_stub
    from tests.servers import local_client

    caplog.set_level(logging.DEBUG)
    key = RSAKey.generate_key(2048, parameters={"kid": "k"})
    token = sign({"alg": "RS256", "kid": "k"}, {"sub": "a", "exp": future()}, key.as_pem(private=True).decode()).token
    with running_stub() as idp, local_client(Settings(db_path=tmp_path / "db")) as client:
        idp.json("/certs", {"keys": [key.as_dict(private=False)]})
        url = idp.url(f"/certs?api_key={CANARY_SECRET}")
        body = client.post("/api/verify", json={"token": token, "jwks_url": url}).json()
        assert body["verified"] is True and idp.hits("/certs") == 1  # the fetch really happened
        with_user = url.replace("http://", f"http://user:{CANARY_SECRET}@")
        client.post("/api/verify", json={"token": token, "jwks_url": with_user, "refresh_keys": True})
    lines = [record.getMessage() for record in caplog.records]
    assert lines and all(CANARY_SECRET not in line for line in lines)
    assert not any("api_key=" in line for line in lines)
