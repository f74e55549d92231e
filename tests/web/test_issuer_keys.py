"""Keys from an identity provider, end to end through the API and the page, against a real HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from joserfc.jwk import RSAKey
from jwtlens.config import Settings
from jwtlens.core import sign

from tests.idp_stub import IdPStub, running_stub
from tests.makers import future
from tests.servers import local_client
from tests.web.pages import textarea


@pytest.fixture
def idp() -> Iterator[IdPStub]:
    with running_stub() as stub:
        yield stub


@pytest.fixture(scope="module")
def signing_keys() -> dict[str, RSAKey]:
    return {kid: RSAKey.generate_key(2048, parameters={"kid": kid}) for kid in ("k1", "k2")}


def serve_issuer(idp: IdPStub, keys: dict[str, RSAKey], kids: list[str]) -> str:
    issuer = idp.url("/realms/dev")
    idp.json(
        "/realms/dev/.well-known/openid-configuration",
        {"issuer": issuer, "jwks_uri": idp.url("/realms/dev/certs")},
    )
    idp.json("/realms/dev/certs", lambda: {"keys": [keys[k].as_dict(private=False) for k in kids]})
    return issuer


def token_by(keys: dict[str, RSAKey], kid: str) -> str:
    return sign(
        {"alg": "RS256", "kid": kid}, {"sub": "a", "exp": future()}, keys[kid].as_pem(private=True).decode()
    ).token


def test_verify_with_an_issuer_names_where_the_key_came_from(tmp_path, idp, signing_keys):
    issuer = serve_issuer(idp, signing_keys, ["k1"])
    with local_client(Settings(db_path=tmp_path / "db")) as client:
        body = client.post("/api/verify", json={"token": token_by(signing_keys, "k1"), "issuer": issuer}).json()
        assert body["verified"] is True
        assert body["signature"]["key"]["kid"] == "k1"
        assert body["signature"]["key"]["source"] == f"JWKS from {issuer}/certs (discovered from {issuer})"
        assert body["key_source"]["metadata_url"] == f"{issuer}/.well-known/openid-configuration"
        again = client.post("/api/verify", json={"token": token_by(signing_keys, "k1"), "jwks_url": f"{issuer}/certs"})
        assert again.json()["key_source"]["kind"] == "jwks_url"


def test_rotation_shows_after_a_refresh(tmp_path, idp, signing_keys):
    kids = ["k1"]
    serve_issuer(idp, signing_keys, kids)
    url = idp.url("/realms/dev/certs")
    with local_client(Settings(db_path=tmp_path / "db")) as client:
        first = client.post("/api/verify", json={"token": token_by(signing_keys, "k1"), "jwks_url": url}).json()
        assert first["verified"] is True
        kids[:] = ["k2"]  # the provider rotates its key
        rotated = token_by(signing_keys, "k2")
        cached = client.post("/api/verify", json={"token": rotated, "jwks_url": url}).json()
        assert cached["verified"] is False and cached["key_source"]["from_cache"] is True
        refreshed = client.post("/api/verify", json={"token": rotated, "jwks_url": url, "refresh_keys": True}).json()
        assert refreshed["verified"] is True and refreshed["key_source"]["from_cache"] is False


def test_wrong_issuer_and_upstream_failures_are_precise(tmp_path, idp):
    idp.json("/.well-known/openid-configuration", {"issuer": "https://elsewhere.example", "jwks_uri": "x"})
    idp.json("/down/certs", {"error": "boom"}, status=500)
    with local_client(Settings(db_path=tmp_path / "db")) as client:
        token = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"
        mismatch = client.post("/api/verify", json={"token": token, "issuer": idp.url("")})
        assert mismatch.status_code == 502 and mismatch.json()["error"]["code"] == "issuer_mismatch"
        down = client.post("/api/verify", json={"token": token, "jwks_url": idp.url("/down/certs")})
        assert down.status_code == 502 and "500" in down.json()["error"]["message"]
        metadata = client.post("/api/verify", json={"token": token, "jwks_url": "http://169.254.169.254/latest"})
        assert metadata.status_code == 400 and metadata.json()["error"]["code"] == "fetch_forbidden_address"
        scheme = client.post("/api/verify", json={"token": token, "jwks_url": "file:///etc/passwd"})
        assert scheme.status_code == 400 and scheme.json()["error"]["code"] == "fetch_scheme"


def test_a_shared_instance_fetches_only_allowlisted_hosts(tmp_path, idp, signing_keys):
    serve_issuer(idp, signing_keys, ["k1"])
    url = idp.url("/realms/dev/certs")
    port = url.split(":")[2].split("/")[0]
    token = token_by(signing_keys, "k1")
    lan = Settings(host="0.0.0.0", no_auth=True, db_path=tmp_path / "db")
    with local_client(lan) as client:
        refused = client.post("/api/verify", json={"token": token, "jwks_url": url})
        assert refused.status_code == 400 and "JWTLENS_FETCH_ALLOWLIST" in refused.json()["error"]["message"]
    allowed = Settings(host="0.0.0.0", no_auth=True, db_path=tmp_path / "db", fetch_allowlist=[f"127.0.0.1:{port}"])
    with local_client(allowed) as client:
        assert client.post("/api/verify", json={"token": token, "jwks_url": url}).json()["verified"] is True


def test_the_page_fetches_keys_on_request_and_shows_the_documents(tmp_path, idp, signing_keys):
    issuer = serve_issuer(idp, signing_keys, ["k1", "k2"])
    token = token_by(signing_keys, "k2")
    with local_client(Settings(db_path=tmp_path / "db")) as client:
        html = client.post(
            "/fragments/fetch-keys", data={"token": token, "issuer_url": issuer, "issuer_kind": "issuer"}
        ).text
        assert "Fetched the JWKS from" in html and "Discovery document" in html
        assert "Signature verified" in html and "JWKS (2 keys)" in html
        assert [k["kid"] for k in json.loads(textarea(html, "key"))["keys"]] == ["k1", "k2"]
        failed = client.post(
            "/fragments/fetch-keys", data={"token": token, "issuer_url": "ftp://x", "issuer_kind": "jwks_url"}
        ).text
        assert 'id="issuer-error"' in failed


def test_the_token_never_makes_jwtlens_fetch(tmp_path, idp, signing_keys):
    issuer = serve_issuer(idp, signing_keys, ["k1"])
    jku_token = sign(
        {"alg": "RS256", "kid": "k1", "jku": f"{issuer}/certs", "x5u": f"{issuer}/cert.pem"},
        {"iss": issuer, "exp": future()},
        signing_keys["k1"].as_pem(private=True).decode(),
    ).token
    with local_client(Settings(db_path=tmp_path / "db")) as client:
        client.post("/api/decode", json={"token": jku_token})
        client.post("/api/verify", json={"token": jku_token})
        client.post("/fragments/token", data={"token": jku_token})
    assert idp.seen == []


def test_a_slow_key_fetch_waits_outside_the_cpu_workers(tmp_path, idp, signing_keys):
    # one CPU worker: were the fetch waiting in it, the ordinary verify below would wait for the IdP too
    idp.slow("/slow/certs", 1.5, {"keys": [signing_keys["k1"].as_dict(private=False)]})
    secret = "a-strong-secret-for-this-test-0123456789"
    ordinary = sign({"alg": "HS256"}, {"sub": "a", "exp": future()}, secret).token
    with local_client(Settings(db_path=tmp_path / "db", cpu_workers=1)) as client:
        slow: dict[str, object] = {}

        def fetching() -> None:
            slow["body"] = client.post(
                "/api/verify", json={"token": token_by(signing_keys, "k1"), "jwks_url": idp.url("/slow/certs")}
            ).json()

        worker = threading.Thread(target=fetching)
        worker.start()
        deadline = time.monotonic() + 5
        while idp.hits("/slow/certs") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert idp.hits("/slow/certs") == 1  # the fetch is under way
        started = time.monotonic()
        answer = client.post("/api/verify", json={"token": ordinary, "key": secret}).json()
        waited = time.monotonic() - started
        fetch_still_running = worker.is_alive()
        worker.join(10)
    assert answer["verified"] is True
    assert fetch_still_running, f"the ordinary verify waited {waited:.2f} s, until the slow fetch was done"
    assert slow["body"]["verified"] is True  # type: ignore[index]
