"""Persistence on a real SQLite file: replay detection across requests and restarts, profiles."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from jwtlens.config import Settings
from jwtlens.core import sign
from jwtlens.store import Profile, Store

from tests.makers import future
from tests.servers import local_client


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


# --- files: private from the start ------------------------------------------------------------------------


def test_the_sqlite_file_is_0600_in_a_0700_directory_jwtlens_creates(tmp_path):
    db = tmp_path / "fresh" / "deeper" / "jwtlens.sqlite3"
    store = Store(db)
    store.save_profile(Profile("p", {"key": "secret"}))
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    with app_client(tmp_path / "via-app" / "db.sqlite3") as client:
        client.post("/api/verify", json={"token": "a.b.c", "policy": {"replay": True}})
        client.put("/api/profiles/x", json={"policy": {}})
    assert stat.S_IMODE((tmp_path / "via-app" / "db.sqlite3").stat().st_mode) == 0o600


def test_an_existing_directory_keeps_its_mode(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    Store(shared / "db.sqlite3").profiles()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755  # not ours to change
    assert stat.S_IMODE((shared / "db.sqlite3").stat().st_mode) == 0o600


# --- caps: how many profiles, how large, how large an import ----------------------------------------------


def limited_client(db, **limits) -> TestClient:
    return local_client(Settings(db_path=db, **limits))


def test_the_number_of_profiles_is_capped_but_replacing_one_is_not(db):
    with limited_client(db, max_profiles=3) as client:
        for name in ("a", "b", "c"):
            assert client.put(f"/api/profiles/{name}", json={"policy": {}}).status_code == 200
        refused = client.put("/api/profiles/d", json={"policy": {}})
        assert refused.status_code == 413 and refused.json()["error"]["code"] == "profile_limit"
        assert "at most 3 profiles" in refused.json()["error"]["message"]
        assert client.put("/api/profiles/a", json={"policy": {"iss": "x"}}).status_code == 200  # a replacement
        assert client.delete("/api/profiles/c").status_code == 200
        assert client.put("/api/profiles/d", json={"policy": {}}).status_code == 200


@pytest.mark.parametrize("size", [2048, 2040])
def test_one_profile_is_capped_by_its_stored_size(db, size):
    with limited_client(db, max_profile_bytes=2048) as client:
        big = {"policy": {"jti_denylist": ["x" * 40] * ((size - 100) // 44)}}  # entries are capped at 4,096
        answer = client.put("/api/profiles/big", json=big)
        stored = len(json.dumps({"policy": big["policy"]}))
        if answer.status_code == 200:
            assert stored <= 2048
        else:
            assert answer.status_code == 413 and answer.json()["error"]["code"] == "profile_too_large"
        huge = client.put("/api/profiles/huge", json={"policy": {"jti_denylist": ["y" * 40] * 125}})
        assert huge.status_code == 413 and "limit is 2,048" in huge.json()["error"]["message"]
        assert "yyyy" not in huge.text


def _export(*profiles: dict) -> dict:
    return {"format": "jwtlens-profiles/1", "profiles": list(profiles)}


def test_an_import_is_all_or_nothing_and_names_the_first_bad_entry(db, rsa_pair, secret):
    with app_client(db) as client:
        client.put("/api/profiles/kept", json={"policy": {"iss": "before"}})
        document = _export(
            {"name": "one", "policy": {"iss": "x"}, "key": rsa_pair.public_pem},
            {"name": "kept", "policy": {"iss": "after"}},
            {"name": "third", "policy": {"rules": [{"claim": "a", "op": "matches", "value": "("}]}, "key": secret},
            {"name": "fourth", "policy": {"leeway": "soon"}},
        )
        answer = client.post("/api/profiles/import", json=document)
        assert answer.status_code == 400
        message = answer.json()["error"]["message"]
        assert message.startswith("Profile 3 ('third')") and "nothing was imported" in message
        assert secret not in answer.text
        names = [p["name"] for p in client.get("/api/profiles").json()["profiles"]]
        assert names == ["kept"]  # "one" was rolled back
        assert client.get("/api/profiles/kept").json()["profile"]["policy"] == {"iss": ["before"]}
        # A wrongly typed field is a named 400/422, never a 500.
        typed = client.post("/api/profiles/import", json=_export({"name": "t", "key": 5}))
        assert typed.status_code == 400 and typed.json()["error"]["message"].startswith("Profile 1 ('t')")
        # The positive control: the same export without the bad entries is imported whole.
        good = client.post("/api/profiles/import", json=_export(*document["profiles"][:2]))
        assert good.json() == {"imported": 2, "names": ["one", "kept"]}


def test_an_import_over_the_profile_cap_keeps_nothing(db):
    with limited_client(db, max_profiles=5) as client:
        client.put("/api/profiles/existing", json={"policy": {}})
        answer = client.post("/api/profiles/import", json=_export(*({"name": f"p{i}"} for i in range(5))))
        assert answer.status_code == 413 and answer.json()["error"]["message"].startswith("Profile 5 ('p4')")
        assert [p["name"] for p in client.get("/api/profiles").json()["profiles"]] == ["existing"]
        too_many = client.post("/api/profiles/import", json=_export(*({"name": f"q{i}"} for i in range(6))))
        assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "import_size"


def test_an_import_file_may_exceed_the_body_limit_up_to_its_own(db):
    padding = "z" * 900_000
    denylist = [padding[:200]] * 1000  # the policy's own caps: 1,000 entries of at most 4,096 characters
    profiles = [{"name": f"p{i}", "policy": {"jti_denylist": denylist}} for i in range(8)]
    document = _export(*profiles)  # ~1.6 MB: over the 1 MB body limit, under the 2 MB import limit
    with app_client(db) as client:
        assert client.post("/api/decode", json={"token": padding * 2}).status_code == 413
        assert client.post("/api/profiles/import", json=document).json()["imported"] == 8
        over = client.post("/api/profiles/import", json=_export(*profiles, *profiles[:3]))
        assert over.status_code == 413 and over.json()["error"]["code"] == "body_too_large"


def test_the_page_import_reports_the_first_bad_entry_and_a_deep_paste(db):
    with app_client(db) as client:
        bad = json.dumps(_export({"name": "ok"}, {"name": "broken", "policy": {"leeway": -1}}))
        html = client.post("/fragments/profile/import", data={"profile_import": bad}).text
        assert "Not imported: Profile 2 (&#39;broken&#39;)" in html or "Not imported: Profile 2 ('broken')" in html
        deep = client.post("/fragments/profile/import", data={"profile_import": "[" * 100_000})
        assert deep.status_code == 200 and "Not imported" in deep.text and "deeper than 64" in deep.text
        assert client.get("/api/profiles").json()["profiles"] == []


def test_policy_secrets_are_stored_only_when_asked_and_never_exported(db):
    policy = {"iss": "https://idp", "oidc": True, "nonce": "n-0S6_WzA2Mj", "access_token": "at-CANARY-1", "code": "c-2"}
    with app_client(db) as client:
        dropped = client.put("/api/profiles/oidc", json={"policy": policy}).json()
        assert dropped["profile"]["policy"] == {"iss": ["https://idp"], "oidc": True}
        kept = client.put("/api/profiles/oidc-kept", json={"policy": policy, "store_secret": True}).json()
        assert kept["profile"]["policy"]["access_token"] == "at-CANARY-1"
        export = client.get("/api/profiles/export").text
    assert "at-CANARY-1" not in export and "n-0S6_WzA2Mj" not in export and "c-2" not in export
    exported = {p["name"]: p for p in json.loads(export)["profiles"]}
    assert "secret members" in exported["oidc-kept"]["note"]
    assert "CANARY" not in db.read_bytes().decode("latin-1").replace("at-CANARY-1", "", 1)  # only the kept one


def test_a_locked_or_unwritable_file_is_a_502_not_a_500(db):
    with app_client(db) as client:
        assert client.put("/api/profiles/a", json={"policy": {}}).status_code == 200
        client.app.state.store.busy_timeout = 0.2
        holder = sqlite3.connect(db)
        holder.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than we wait
        try:
            answer = client.put("/api/profiles/b", json={"policy": {}})
            page = client.post("/fragments/replay/clear", data={"token": ""})
        finally:
            holder.rollback()
            holder.close()
        assert answer.status_code == 502 and answer.json()["error"]["code"] == "store_unavailable"
        assert str(db) in answer.json()["error"]["message"]
        assert page.status_code == 502 and 'id="request-error"' in page.text
        assert client.put("/api/profiles/b", json={"policy": {}}).status_code == 200  # and it recovers
