"""POST /api/verify with an SD-JWT or a DPoP proof: the answer's shape, its verdict, and bad input as 400s."""

from __future__ import annotations

import json

from joserfc.jwk import ECKey
from jwtlens.core.dpop import ath_of

from tests.paths import VECTORS
from tests.sdjwt_tokens import disclosure, dpop_proof, issue, key_binding, signed

VECTORS = json.loads((VECTORS / "rfc-examples" / "sdjwt-dpop.json").read_text())
SD, DPOP = VECTORS["rfc9901"], VECTORS["rfc9449"]
NOW = 1_800_000_000
URL = "https://api.example.com/v1/items"


def _verify(client, **body):
    response = client.post("/api/verify", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_rfc_presentation_answer(client):
    kb = SD["kb"]
    body = _verify(
        client,
        token=SD["presentation"],
        key=json.dumps(SD["issuer_public_jwk"]),
        kb_aud=kb["aud"],
        kb_nonce=kb["nonce"],
        policy={"now": kb["iat"]},
    )
    assert body["type"] == "SD-JWT" and body["verified"] is True and body["verdict"]["status"] == 200
    sd = body["sd_jwt"]
    assert sd["claims"] == SD["processed_presentation_5_2"]
    by_digest = {d["digest"]: d for d in SD["disclosures"]}
    assert sd["disclosures"] and all({"digest", "salt", "name", "value", "status"} <= set(d) for d in sd["disclosures"])
    for row in sd["disclosures"]:
        expected = by_digest[row["digest"]]
        assert (row["salt"], row["name"], row["value"], row["status"]) == (
            expected["salt"],
            expected["name"],
            expected["value"],
            "disclosed",
        )
    assert all(set(c) == {"name", "status", "message"} and c["status"] == "pass" for c in sd["checks"])
    assert sd["key_binding"]["present"] is True and sd["key_binding"]["valid"] is True
    assert body["signature"]["valid"] is True and body["header"]["typ"] == "example+sd-jwt"
    # Same request, another nonce: still a 200 answer, but the verdict is 401 and names the key binding.
    other = _verify(
        client,
        token=SD["presentation"],
        key=json.dumps(SD["issuer_public_jwk"]),
        kb_aud=kb["aud"],
        kb_nonce="other",
        policy={"now": kb["iat"]},
    )
    assert other["verified"] is False and other["verdict"]["status"] == 401
    assert other["sd_jwt"]["key_binding"]["valid"] is False


def test_tampered_disclosure_and_wrong_sd_hash_are_401(client):
    issuer, holder = ECKey.generate_key("P-256"), ECKey.generate_key("P-256")
    key = json.dumps(issuer.as_dict(private=False))
    sd_jwt, texts = issue({"sub": "u"}, {"role": "user"}, issuer, holder=holder)
    good = sd_jwt + key_binding(sd_jwt, holder, aud="a", nonce="n", iat=NOW)
    assert _verify(client, token=good, key=key, kb_aud="a", kb_nonce="n", policy={"now": NOW})["verified"]
    tampered = good.replace(texts[0], disclosure("salt-role", "role", "admin"))
    body = _verify(client, token=tampered, key=key, kb_aud="a", kb_nonce="n", policy={"now": NOW})
    assert body["verdict"]["status"] == 401 and body["sd_jwt"]["disclosures"][0]["status"] == "unreferenced"
    assert {c["name"] for c in body["sd_jwt"]["checks"] if c["status"] == "fail"} == {"digests"}
    # The KB-JWT's sd_hash covered the original disclosures, so it fails too.
    assert {c["name"] for c in body["sd_jwt"]["key_binding"]["checks"] if c["status"] == "fail"} == {"sd_hash"}


def test_bad_holder_key_is_400_naming_it(client):
    response = client.post(
        "/api/verify", json={"token": SD["issuance"], "holder_key": "not a key at all", "kb_aud": "x"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["segment"] == "holder_key" and "not a key at all" not in error["message"]


def test_dpop_answer(client):
    issuer, proof_key = ECKey.generate_key("P-256"), ECKey.generate_key("P-256")
    access = signed({}, {"sub": "u", "exp": NOW + 60, "cnf": {"jkt": proof_key.thumbprint()}}, issuer)
    proof = dpop_proof(proof_key, "GET", URL, NOW, ath=ath_of(access))
    body = _verify(
        client,
        token=access,
        key=json.dumps(issuer.as_dict(private=False)),
        policy={"now": NOW},
        dpop={"proof": proof, "htm": "GET", "htu": URL + "?q=1"},
    )
    assert body["verified"] is True
    assert body["dpop"]["valid"] is True and body["dpop"]["jkt"] == proof_key.thumbprint()
    assert {c["name"]: c["status"] for c in body["dpop"]["checks"]}["cnf.jkt"] == "pass"
    # The RFC's own resource-request proof with its opaque access token.
    rfc = _verify(
        client,
        token=access,
        key=json.dumps(issuer.as_dict(private=False)),
        policy={"now": DPOP["resource_request"]["iat"]},
        dpop={
            "proof": DPOP["resource_proof"],
            "htm": "GET",
            "htu": DPOP["resource_request"]["htu"],
            "access_token": DPOP["access_token"],
        },
    )
    assert rfc["dpop"]["valid"] is True and rfc["dpop"]["jkt"] == DPOP["jkt"]
    wrong = _verify(
        client,
        token=access,
        key=json.dumps(issuer.as_dict(private=False)),
        policy={"now": NOW},
        dpop={"proof": proof, "htm": "GET", "htu": "https://elsewhere.example/v1/items"},
    )
    assert wrong["verified"] is False and wrong["verdict"]["status"] == 401 and wrong["dpop"]["valid"] is False


def test_unreadable_dpop_proof_is_400_without_echo(client):
    response = client.post(
        "/api/verify", json={"token": SD["issuance"], "dpop": {"proof": "eyJzZWNyZXQ.x", "htm": "GET", "htu": URL}}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["segment"] == "dpop.proof" and "eyJzZWNyZXQ" not in error["message"]
    missing = client.post("/api/verify", json={"token": SD["issuance"], "dpop": {"proof": "x"}})
    assert missing.status_code == 422


def test_token_fragment_shows_disclosures_and_dpop(client):
    kb = SD["kb"]
    form = {
        "token": SD["presentation"],
        "key": json.dumps(SD["issuer_public_jwk"]),
        "kb_aud": kb["aud"],
        "kb_nonce": kb["nonce"],
        "policy_now": str(kb["iat"]),
        "dpop_proof": DPOP["resource_proof"],
        "dpop_htm": "GET",
        "dpop_htu": "https://elsewhere.example/",
    }
    html = client.post("/fragments/token", data=form).text
    assert 'id="disclosures"' in html and "<html" not in html
    shown = [row for row in SD["disclosures"] if row["salt"] in html]
    assert len(shown) == 4 and all(row["salt"] in html for row in shown)
    assert html.count('data-status="disclosed"') == 4 and "Key binding (valid)" in html
    assert "selectively disclosed" in html and "always visible" in html
    assert 'id="dpop-status"' in html and "DPoP proof invalid" in html
    assert "Not verified" in html  # the DPoP htu failure turns the verdict into a 401


def test_sign_issues_an_sd_jwt_that_verify_accepts(client):
    issuer = ECKey.generate_key("P-256")
    signed_body = client.post(
        "/api/sign",
        json={
            "header": {"alg": "ES256"},
            "payload": {"iss": "https://i.example", "email": "e@x.example", "exp": NOW + 60},
            "key": json.dumps(issuer.as_dict(private=True)),
            "disclose": ["email"],
            "decoys": 2,
        },
    ).json()
    assert len(signed_body["disclosures"]) == 1 and signed_body["token"].endswith("~")
    body = _verify(
        client, token=signed_body["token"], key=json.dumps(issuer.as_dict(private=False)), policy={"now": NOW}
    )
    assert body["verified"] is True and body["sd_jwt"]["disclosed"] == ["email"] and body["sd_jwt"]["decoys"] == 2
    refused = client.post(
        "/api/sign", json={"header": {"alg": "ES256"}, "payload": "text", "key": "k", "disclose": ["a"]}
    )
    assert refused.status_code == 400 and refused.json()["error"]["segment"] == "payload"
