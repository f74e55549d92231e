"""/api/verify and /api/sign with JSON serializations and detached content, over the real app."""

from __future__ import annotations

import json

import pytest
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from tests.paths import VECTORS

if not VECTORS.exists():
    pytest.skip("test vectors not found next to the repository", allow_module_level=True)
RFC = json.loads((VECTORS / "rfc-examples" / "jose-json-detached-thumbprint-mldsa.json").read_text("utf-8"))
A6 = RFC["rfc7515"]["A6_general"]
RSA = {**RFC["rfc7515"]["A2_public"], "kid": "2010-12-29"}
EC = {**RFC["rfc7515"]["A3_public"], "kid": "e9bc097a-ce51-4036-9562-d2ade882db0d"}
POLICY = {"now": 1_300_000_000}


@pytest.mark.parametrize("form", ["text", "object"])
def test_verify_general_json_lists_every_signature(client, form: str):
    token = A6 if form == "text" else json.loads(A6)
    body = client.post(
        "/api/verify", json={"token": token, "key": json.dumps({"keys": [RSA, EC]}), "policy": POLICY}
    ).json()
    assert body["type"] == "JWS" and body["serialization"] == "general"
    assert body["verdict"]["status"] == 200 and body["verified"]
    assert [s["index"] for s in body["signatures"]] == [0, 1]
    assert [s["valid"] for s in body["signatures"]] == [True, True]
    assert body["signatures"][0]["protected"] == {"alg": "RS256"}
    assert body["signatures"][0]["header"] == {"kid": "2010-12-29"}
    assert body["signatures"][1]["key"]["kid"] == EC["kid"]
    assert body["verified_signatures"] == [0, 1]
    assert any(f["code"] == "unprotected_header" for f in body["findings"])


def test_verify_general_with_one_key_names_the_signature_that_verified(client):
    body = client.post("/api/verify", json={"token": A6, "key": json.dumps(EC), "policy": POLICY}).json()
    assert body["verdict"]["status"] == 200
    assert [s["status"] for s in body["signatures"]] == ["invalid", "verified"]
    assert body["signatures"][0]["key"] is None
    assert "index 1" in body["verdict"]["reason"]


def test_verify_general_with_no_matching_key_is_401(client, rsa_pair):
    body = client.post("/api/verify", json={"token": A6, "key": rsa_pair.public_pem, "policy": POLICY}).json()
    assert body["verdict"]["status"] == 401 and not body["verified"]
    assert not any(s["valid"] for s in body["signatures"])


def test_compact_answer_has_no_json_members(client):
    compact = RFC["rfc7797"]["s4_1_compact"]
    body = client.post("/api/verify", json={"token": compact, "key": json.dumps(RFC["rfc7797"]["key"])}).json()
    assert body["signature"]["valid"]
    assert "signatures" not in body and "serialization" not in body


def test_verify_detached_payload_rfc7797(client):
    case = RFC["rfc7797"]
    request = {"token": case["s4_2_detached"], "key": json.dumps(case["key"])}
    with_content = client.post("/api/verify", json={**request, "payload": case["payload"]}).json()
    assert with_content["signature"]["valid"]
    without = client.post("/api/verify", json=request).json()
    assert not without["signature"]["valid"]
    wrong = client.post("/api/verify", json={**request, "payload": "$.03"}).json()
    assert not wrong["signature"]["valid"]


def test_malformed_json_serialization_is_a_400_without_echo(client):
    secret_sig = "c2VjcmV0LXNpZ25hdHVyZS1ieXRlcw"
    value = {"payload": "e30", "signatures": [{"signature": secret_sig}]}
    response = client.post("/api/verify", json={"token": value, "key": "x" * 32})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "header_missing"
    assert secret_sig not in response.text


@pytest.mark.parametrize("serialization", ["flattened", "general"])
def test_sign_json_serializations_verify_in_jwcrypto_and_here(client, serialization: str, rsa_pair, ec_pair):
    keys = [rsa_pair.private_pem] if serialization == "flattened" else [rsa_pair.private_pem, ec_pair.private_pem]
    headers = [{"alg": "RS256", "kid": "r"}, {"alg": "ES256", "kid": "e"}][: len(keys)]
    response = client.post(
        "/api/sign",
        json={"header": headers, "payload": {"sub": "alice"}, "key": keys, "serialization": serialization},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["serialization"] == serialization and len(body["signatures"]) == len(keys)
    value = json.loads(body["token"])
    assert ("signatures" in value) == (serialization == "general")
    for pair, header in zip((rsa_pair, ec_pair), headers, strict=False):
        checker = jc_jws.JWS()
        checker.deserialize(body["token"])
        checker.verify(jc_jwk.JWK.from_pem(pair.public_pem.encode()), alg=header["alg"])
        assert json.loads(checker.payload) == {"sub": "alice"}
    public = {"keys": [{**json.loads(rsa_pair.public_jwk), "kid": "r"}, {**json.loads(ec_pair.public_jwk), "kid": "e"}]}
    verified = client.post("/api/verify", json={"token": body["token"], "key": json.dumps(public)}).json()
    assert verified["verified_signatures"] == list(range(len(keys)))


def test_sign_compact_stays_compact_and_refuses_lists(client):
    plain = client.post("/api/sign", json={"header": {"alg": "HS256"}, "payload": {}, "key": "k" * 32}).json()
    assert plain["token"].count(".") == 2 and "serialization" not in plain
    listed = client.post("/api/sign", json={"header": {"alg": "HS256"}, "payload": {}, "key": ["k" * 32]})
    assert listed.status_code == 400 and listed.json()["error"]["code"] == "compact_one_signature"


def test_sign_detached_general_verifies_with_the_content(client):
    made = client.post(
        "/api/sign",
        json={
            "header": {"alg": "HS256", "b64": False, "crit": ["b64"]},
            "payload": "$.02 and dots.",
            "key": ["k" * 32],
            "serialization": "general",
            "detached": True,
        },
    ).json()
    assert "payload" not in json.loads(made["token"])
    request = {"token": made["token"], "key": "k" * 32}
    assert client.post("/api/verify", json={**request, "payload": "$.02 and dots."}).json()["verified_signatures"] == [
        0
    ]
    assert client.post("/api/verify", json=request).json()["verified_signatures"] == []
