"""Persistence on a real SQLite file: replay detection across requests and restarts, profiles."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.core import sign
from app.store import Profile, Store
from tests.conftest import future, local_client


@pytest.fixture
def db(tmp_path):
    return tmp_path / "data" / "jwtlens.sqlite3"


def app_client(db) -> TestClient:
    return local_client(Settings(db_path=db))


def replay_request(token: str, secret: str, **policy) -> dict:
    return {"token": token, "key": secret, "policy": {"replay": True, **policy}}


def test_replay_detected_across_requests_and_a_restart(db, secret):
    token = sign({"alg": "HS256"}, {"jti": "id-1", "iss": "https://idp", "exp": future()}, secret).token
    with app_client(db) as client:
        first = client.post("/api/verify", json=replay_request(token, secret)).json()
        assert first["verified"] is True
        jti = next(c for c in first["claims"] if c["name"] == "jti")
        assert jti["status"] == "pass" and "first use" in jti["message"]
        second = client.post("/api/verify", json=replay_request(token, secret)).json()
        assert second["verified"] is False
        assert second["verdict"]["reason"].startswith("claim jti: replay: this jti was already verified at")
    assert db.exists()
    with app_client(db) as restarted:
        again = restarted.post("/api/verify", json=replay_request(token, secret)).json()
        assert again["verified"] is False and "replay" in again["verdict"]["reason"]
        assert restarted.post("/api/replay/clear").json() == {"cleared": 1}
        assert restarted.post("/api/verify", json=replay_request(token, secret)).json()["verified"] is True


def test_failed_tokens_are_not_recorded(db, secret):
    token = sign({"alg": "HS256"}, {"jti": "id-2", "exp": future()}, secret).token
    with app_client(db) as client:
        assert client.post("/api/verify", json=replay_request(token, "wrong")).json()["verified"] is False
        assert client.post("/api/verify", json=replay_request(token, secret)).json()["verified"] is True


def test_same_jti_from_another_issuer_is_not_a_replay(db, secret):
    with app_client(db) as client:
        for issuer in ("https://a", "https://b"):
            token = sign({"alg": "HS256"}, {"jti": "same", "iss": issuer, "exp": future()}, secret).token
            assert client.post("/api/verify", json=replay_request(token, secret)).json()["verified"] is True


def test_entries_expire_on_the_server_clock_only(db):
    store = Store(db)
    now = time.time()
    assert store.record("iss", "old", now - 1) is None  # already past: purged by the next write
    assert store.record("iss", "live", now + 100) is None
    assert store.record("iss", "again", now + 100) is None
    assert store.record("iss", "again", now + 100) is not None  # the second record of one jti loses
    assert store.first_seen("iss", "old") is None
    with sqlite3.connect(db) as raw:
        assert {row[0] for row in raw.execute("SELECT jti FROM seen_jti")} == {"live", "again"}
    assert store.first_seen("iss", "live") is not None
    assert store.replay_count() == 2


def test_a_client_chosen_now_never_deletes_entries(db, secret):
    token = sign({"alg": "HS256"}, {"jti": "kept", "exp": future()}, secret).token
    with app_client(db) as client:
        assert client.post("/api/verify", json=replay_request(token, secret)).json()["verified"] is True
        # "check as of" a year ahead: the token is expired then, but the entry must survive
        later = client.post("/api/verify", json=replay_request(token, secret, now=time.time() + 365 * 86400)).json()
        assert later["verified"] is False
        again = client.post("/api/verify", json=replay_request(token, secret)).json()
        assert again["verified"] is False and "replay" in again["verdict"]["reason"]


def test_a_jti_is_kept_until_exp_plus_the_leeway(db, secret):
    exp = future(60)
    token = sign({"alg": "HS256"}, {"jti": "lee", "exp": exp}, secret).token
    with app_client(db) as client:
        assert client.post("/api/verify", json=replay_request(token, secret, leeway=3600)).json()["verified"]
    with sqlite3.connect(db) as raw:
        (expires,) = raw.execute("SELECT expires FROM seen_jti WHERE jti = 'lee'").fetchone()
    assert expires == exp + 3600


def test_replay_on_refuses_a_token_without_jti(db, secret):
    token = sign({"alg": "HS256"}, {"exp": future()}, secret).token
    with app_client(db) as client:
        body = client.post("/api/verify", json=replay_request(token, secret)).json()
    assert body["verified"] is False and body["verdict"]["reason"].startswith("claim jti: jti is missing")


def test_concurrent_verifies_of_one_jti_let_exactly_one_pass(db, secret):
    token = sign({"alg": "HS256"}, {"jti": "race", "exp": future()}, secret).token
    barrier = threading.Barrier(8)
    with app_client(db) as client:

        def attempt(_: int) -> bool:
            barrier.wait()
            return bool(client.post("/api/verify", json=replay_request(token, secret)).json()["verified"])

        for _round in range(3):
            Store(db).clear_replay()
            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(attempt, range(8)))
            assert results.count(True) == 1


def test_profiles_round_trip_on_disk(db):
    store = Store(db)
    store.save_profile(Profile("Keycloak dev", {"policy": {"iss": ["https://kc"]}, "key": None}))
    reopened = Store(db)
    (profile,) = reopened.profiles()
    assert profile.name == "Keycloak dev" and profile.data["policy"] == {"iss": ["https://kc"]}
    assert reopened.delete_profile("Keycloak dev") and not reopened.profiles()


def test_profile_api_keeps_public_keys_and_drops_secrets_unless_asked(db, secret, rsa_pair):
    with app_client(db) as client:
        body = {"policy": {"iss": "https://idp", "leeway": 30}, "key": rsa_pair.public_pem}
        saved = client.put("/api/profiles/rsa", json=body).json()
        assert saved["profile"]["key"] == rsa_pair.public_pem and saved["note"] is None
        dropped = client.put("/api/profiles/hmac", json={"policy": {}, "key": secret}).json()
        assert dropped["profile"]["key"] is None and "not stored" in dropped["note"]
        kept = client.put("/api/profiles/hmac2", json={"key": secret, "store_secret": True}).json()
        assert kept["profile"]["key"] == secret and str(db) in kept["note"]
        private = client.put("/api/profiles/priv", json={"key": rsa_pair.private_pem}).json()
        assert private["profile"]["key"] is None
        names = [p["name"] for p in client.get("/api/profiles").json()["profiles"]]
        assert names == ["hmac", "hmac2", "priv", "rsa"]
        assert client.get("/api/profiles/rsa").json()["profile"]["policy"] == {"iss": ["https://idp"], "leeway": 30.0}
        assert client.get("/api/profiles/nope").status_code == 404
        assert client.delete("/api/profiles/priv").json() == {"deleted": True}
        assert client.delete("/api/profiles/priv").status_code == 404


def test_verify_with_a_profile(db, rsa_pair):
    token = sign({"alg": "RS256"}, {"iss": "https://other", "exp": future()}, rsa_pair.private_pem).token
    with app_client(db) as client:
        client.put("/api/profiles/p", json={"policy": {"iss": "https://idp"}, "key": rsa_pair.public_pem})
        body = client.post("/api/verify", json={"token": token, "profile": "p"}).json()
        assert body["signature"]["valid"] and body["verdict"]["status"] == 401
        assert body["verdict"]["reason"].startswith("claim iss")
        missing = client.post("/api/verify", json={"token": token, "profile": "none-such"})
        assert missing.status_code == 404


def test_export_and_import(db, tmp_path, rsa_pair):
    with app_client(db) as client:
        client.put("/api/profiles/a", json={"policy": {"aud": ["api"]}, "key": rsa_pair.public_pem})
        exported = client.get("/api/profiles/export")
        assert "attachment" in exported.headers["content-disposition"]
        document = exported.json()
    other_db = tmp_path / "other.sqlite3"
    with app_client(other_db) as other:
        result = other.post("/api/profiles/import", json=document).json()
        assert result == {"imported": 1, "names": ["a"]}
        assert other.get("/api/profiles/a").json()["profile"]["key"] == rsa_pair.public_pem
        bad = other.post("/api/profiles/import", json={"format": "x", "profiles": []})
        assert bad.status_code == 400 and "Not a jwtlens profile export" in bad.json()["error"]["message"]
        bad_rule = other.put(
            "/api/profiles/r", json={"policy": {"rules": [{"claim": "a", "op": "matches", "value": "("}]}}
        )
        assert bad_rule.status_code == 400
    assert json.dumps(document)  # shareable as plain JSON
