"""JWE and key tools over the API: decode the header without a key, decrypt, nested JWT, encrypt, keys."""

from __future__ import annotations

import json

from joserfc.jwk import ECKey
from jwtlens.core import sign

from tests.makers import future, rsa_key

HEADER = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT"}


def test_jwe_header_is_decoded_without_a_key(client, rsa_pair):
    jwe = client.post(
        "/api/encrypt", json={"header": HEADER, "plaintext": "secret words", "key": rsa_pair.public_pem}
    ).json()["token"]
    assert jwe.count(".") == 4
    body = client.post("/api/decode", json={"token": jwe}).json()
    assert body["type"] == "JWE" and body["header"] == HEADER and body["enc"] == "A256GCM"
    wrong = client.post("/api/verify", json={"token": jwe, "key": "x"}).json()  # one endpoint for every token
    assert wrong["type"] == "JWE" and wrong["ok"] is False and wrong["verified"] is False
    assert wrong["verdict"]["status"] == 401 and wrong["verdict"]["reason"].startswith("not decrypted")
    right = client.post("/api/verify", json={"token": jwe, "key": rsa_pair.private_pem}).json()
    assert right["plaintext"] == "secret words" and right["verdict"]["status"] == 401
    assert "anyone holding the public key" in right["verdict"]["reason"]  # RSA-OAEP: encrypted, not signed


def test_nested_jwt_is_decrypted_and_its_inner_token_verified(client, rsa_pair, ec_pair):
    inner = sign({"alg": "ES256", "typ": "JWT"}, {"sub": "nested", "exp": future()}, ec_pair.private_pem).token
    jwe = client.post("/api/encrypt", json={"header": HEADER, "plaintext": inner, "key": rsa_pair.public_pem}).json()
    body = client.post(
        "/api/decrypt", json={"token": jwe["token"], "key": rsa_pair.private_pem, "inner_key": ec_pair.public_pem}
    ).json()
    assert body["ok"] is True and body["plaintext"] == inner
    nested = body["nested"]
    assert nested["token"] == inner and nested["verified"] is True and nested["payload"]["sub"] == "nested"
    wrong_inner = client.post(
        "/api/decrypt", json={"token": jwe["token"], "key": rsa_pair.private_pem, "inner_key": rsa_pair.public_pem}
    ).json()
    assert wrong_inner["ok"] is True and wrong_inner["nested"]["verified"] is False


def test_decrypt_json_claims_and_a_wrong_key(client, rsa_pair):
    jwe = client.post(
        "/api/encrypt",
        json={
            "header": {"alg": "RSA-OAEP", "enc": "A128CBC-HS256"},
            "plaintext": '{"sub": "a"}',
            "key": rsa_pair.public_pem,
        },
    ).json()["token"]
    body = client.post("/api/decrypt", json={"token": jwe, "key": rsa_pair.private_pem}).json()
    assert body["payload"] == {"sub": "a"} and "nested" not in body
    other = rsa_key(2048, which=1).as_pem(private=True).decode()
    failed = client.post("/api/decrypt", json={"token": jwe, "key": other}).json()
    assert failed["ok"] is False and failed["message"].startswith("Decryption failed")


def test_password_based_and_direct_keys(client):
    for header, key in (
        ({"alg": "PBES2-HS256+A128KW", "enc": "A128GCM", "p2c": 1000}, "correct horse battery staple"),
        ({"alg": "dir", "enc": "A256GCM"}, json.dumps({"kty": "oct", "k": "A" * 43})),
    ):
        jwe = client.post("/api/encrypt", json={"header": header, "plaintext": "hi", "key": key}).json()["token"]
        assert client.post("/api/decrypt", json={"token": jwe, "key": key}).json()["plaintext"] == "hi"


def test_encrypt_refusals_are_400(client, rsa_pair):
    for header in ({"alg": "none", "enc": "A128GCM"}, {"alg": "RSA-OAEP"}, {"alg": "HS256", "enc": "A128GCM"}):
        response = client.post("/api/encrypt", json={"header": header, "plaintext": "x", "key": rsa_pair.public_pem})
        assert response.status_code == 400, header


def test_generate_every_kind_and_convert(client):
    for request in (
        {"kty": "RSA", "size": 3072},
        {"kty": "EC", "crv": "secp256k1"},
        {"kty": "OKP", "crv": "X448"},
        {"kty": "oct", "size": 512},
    ):
        body = client.post("/api/keys/generate", json=request).json()
        assert body["thumbprint"] and body["private_jwk"]["kty"] == request["kty"]
        assert ("private_pem" in body) == (request["kty"] != "oct")
    ec = client.post("/api/keys/generate", json={"kty": "EC"}).json()
    as_jwk = client.post("/api/keys/convert", json={"key": ec["public_pem"], "to": "jwk"}).json()
    assert json.loads(as_jwk["output"])["crv"] == "P-256" and as_jwk["keys"][0]["thumbprint"] == ec["thumbprint"]
    back = client.post("/api/keys/convert", json={"key": as_jwk["output"], "to": "pem"}).json()
    assert back["output"].strip() == ec["public_pem"].strip()
    refused = client.post("/api/keys/generate", json={"kty": "RSA", "size": 1024})
    assert refused.status_code == 400 and "2048" in refused.json()["error"]["message"]
    assert client.post("/api/keys/generate", json={"kty": "DSA"}).status_code == 422
    secret_pem = client.post("/api/keys/convert", json={"key": "a-secret", "to": "pem"})
    assert secret_pem.status_code == 400 and secret_pem.json()["error"]["code"] == "convert_no_pem"


def test_generated_keys_work_for_jwe_with_an_ecdh_key(client):
    key = ECKey.generate_key("P-384")
    header = {"alg": "ECDH-ES+A192KW", "enc": "A192GCM"}
    jwe = client.post(
        "/api/encrypt", json={"header": header, "plaintext": "ecdh", "key": key.as_pem().decode()}
    ).json()["token"]
    assert client.post("/api/decrypt", json={"token": jwe, "key": key.as_pem(private=True).decode()}).json()["ok"]
