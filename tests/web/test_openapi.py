"""Declared answers: /openapi.json names a model for every 200, and real answers pass through it unchanged.

Tokens come from independent libraries (PyJWT for JWS, jwcrypto for JWE). A spy on FastAPI's response step
records what each handler returned, so a member the model lacks (dropped) or reshapes (1 -> 1.0) fails here.
"""

from __future__ import annotations

import json
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import jwt
import pytest
from fastapi.testclient import TestClient
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk
from jwtlens.config import Settings
from pydantic import BaseModel

from tests.idp_stub import running_stub
from tests.makers import NOW, KeyPair, future
from tests.servers import local_client
from tests.web.answers import answer, json_routes


def spec_200(client: TestClient, path: str) -> dict[str, Any]:
    spec = client.get("/openapi.json").json()
    ops = spec["paths"][path]
    (op,) = ops.values()
    schema: dict[str, Any] = op["responses"]["200"]["content"]["application/json"]["schema"]
    return schema


# -- the schema ---------------------------------------------------------------------------------


def test_every_json_route_declares_a_model():
    routes = json_routes()
    assert len(routes) >= 16  # the API and /healthz: a vanished router would not pass unnoticed
    for route in routes:
        models = _models(route.response_model)
        assert models and all(isinstance(m, type) and issubclass(m, BaseModel) for m in models), route.path


def _models(declared: Any) -> tuple[Any, ...]:
    """A model, or the members of an Annotated union of models (dict[str, str] is neither)."""
    if get_origin(declared) is Annotated:
        declared = get_args(declared)[0]
    return get_args(declared) if get_origin(declared) in (Union, UnionType) else (declared,)


def test_openapi_names_a_model_for_every_200(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    documented = {(method.upper(), path): op for path, ops in spec["paths"].items() for method, op in ops.items()}
    api = {(m, r.path) for r in json_routes() if r.path.startswith("/api/") for m in r.methods}
    assert set(documented) == api  # a route of a router missing from ROUTERS shows up here
    for where, op in documented.items():
        schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        refs = [schema["$ref"]] if "$ref" in schema else [one["$ref"] for one in schema["oneOf"]]
        for ref in refs:
            model = schemas[ref.rsplit("/", 1)[1]]
            assert model["type"] == "object" and model["properties"] and model["required"], where
            assert "additionalProperties" not in model, where  # a named shape, not a bare object


def test_the_schema_tells_sometimes_members_from_always_members(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    jws, jwe, verdict = schemas["JWSAnswer"], schemas["JWEAnswer"], schemas["Verdict"]
    assert {"type", "verified", "verdict", "findings", "signature", "claims", "header", "payload"} <= set(
        jws["required"]
    )
    assert "key_source" not in jws["required"]
    assert set(jwe["required"]) == {"type", "verified", "verdict", "findings"}
    assert {"jwe", "ok", "message", "plaintext", "nested", "claims"} <= set(jwe["properties"])
    assert {"type": "null"} in verdict["properties"]["status"]["anyOf"]  # null: the policy is invalid
    assert "policy_problems" not in verdict["required"]
    verify = spec_200(client, "/api/verify")
    assert verify["discriminator"]["mapping"] == {
        "JWS": "#/components/schemas/JWSAnswer",
        "SD-JWT": "#/components/schemas/JWSAnswer",
        "JWE": "#/components/schemas/JWEAnswer",
    }


# -- tokens by other libraries ------------------------------------------------------------------


def _jws(alg: str, key: str, payload: dict[str, Any] | bytes, **header: Any) -> str:
    if isinstance(payload, bytes):
        return jwt.api_jws.encode(payload, key, algorithm=alg, headers=header or None)
    return jwt.encode(payload, key, algorithm=alg, headers=header or None)


def _jwe(plaintext: bytes, key: jwcrypto_jwk.JWK, **header: str) -> str:
    token = jwcrypto_jwe.JWE(plaintext, protected=json.dumps(header))
    token.add_recipient(key)
    return str(token.serialize(compact=True))


@pytest.fixture(scope="module")
def rsa_jwk() -> jwcrypto_jwk.JWK:
    return jwcrypto_jwk.JWK.generate(kty="RSA", size=2048)


@pytest.fixture(scope="module")
def oct_jwk() -> jwcrypto_jwk.JWK:
    return jwcrypto_jwk.JWK.generate(kty="oct", size=256)


# -- JWS ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pair_name", ["rsa_pair", "ec_pair", "ed_pair"])
def test_a_jws_verified_and_not(client, handed, request, pair_name):
    pair: KeyPair = request.getfixturevalue(pair_name)
    token = _jws(pair.alg, pair.private_pem, {"sub": "ada", "exp": future(), "iat": future(-60)})
    good = answer(client, handed, "POST", "/api/verify", {"token": token, "key": pair.public_jwk})
    assert good["type"] == "JWS" and good["verified"] is True and good["signature"]["key"]["thumbprint"]
    assert "key_source" not in good and "policy_problems" not in good["verdict"]
    other = request.getfixturevalue("rsa_pair" if pair_name != "rsa_pair" else "ec_pair")
    bad = answer(client, handed, "POST", "/api/verify", {"token": token, "key": other.public_pem})
    assert bad["verified"] is False and bad["signature"]["key"] is None and bad["verdict"]["status"] == 401
    keyless = answer(client, handed, "POST", "/api/verify", {"token": token})
    assert keyless["signature"]["status"] == "no_key"


def test_a_jws_whose_payload_is_not_claims(client, handed, secret):
    token = _jws("HS256", secret, b"plain words, not JSON")
    verified = answer(client, handed, "POST", "/api/verify", {"token": token, "key": secret})
    assert verified["payload"] is None
    decoded = answer(client, handed, "POST", "/api/decode", {"token": token})
    assert decoded["payload"] is None and decoded["payload_text"] == "plain words, not JSON"


def test_a_policy_invalid_verdict(client, handed, secret):
    token = _jws("HS256", secret, {"sub": "ada", "exp": future()})
    for policy in ({"leeway": -1}, {"now": "yesterday-ish"}, {"rules": [{"claim": "sub", "op": "nope"}]}):
        body = answer(client, handed, "POST", "/api/verify", {"token": token, "key": secret, "policy": policy})
        verdict = body["verdict"]
        assert verdict["status"] is None and verdict["outcome"] == "policy_invalid" and body["verified"] is False
        assert verdict["policy_problems"] and set(verdict["policy_problems"][0]) == {"field", "message"}


def test_decode_of_a_jws_names_the_times(client, handed, secret):
    token = _jws("HS256", secret, {"sub": "ada", "exp": future(), "iat": NOW, "n": 1, "f": 1.5, "big": 2**70})
    body = answer(client, handed, "POST", "/api/decode", {"token": f"Bearer {token}"})
    claims = {c["name"]: c for c in body["claims"]}
    assert "time" in claims["iat"] and "time" not in claims["sub"]
    assert body["payload"]["big"] == 2**70 and body["payload"]["n"] == 1  # an int stays an int


def test_a_key_fetched_from_an_issuer_is_named_once(tmp_path, handed, rsa_pair):
    with running_stub() as idp, local_client(Settings(db_path=tmp_path / "db")) as client:
        issuer = idp.url("/realms/dev")
        idp.json(
            "/realms/dev/.well-known/openid-configuration", {"issuer": issuer, "jwks_uri": idp.url("/realms/dev/certs")}
        )
        idp.json("/realms/dev/certs", {"keys": [json.loads(rsa_pair.public_jwk)]})
        token = _jws("RS256", rsa_pair.private_pem, {"sub": "ada", "exp": future()})
        body = answer(client, handed, "POST", "/api/verify", {"token": token, "issuer": issuer})
        assert body["verified"] is True and body["key_source"]["kind"] == "issuer"
        assert body["signature"]["key"]["source"] == f"JWKS from {issuer}/certs (discovered from {issuer})"
        by_url = answer(client, handed, "POST", "/api/verify", {"token": token, "jwks_url": f"{issuer}/certs"})
        assert by_url["key_source"]["kind"] == "jwks_url" and by_url["key_source"]["metadata_url"] is None


# -- JWE --------------------------------------------------------------------------------------------


def test_a_jwe_without_with_and_with_the_wrong_key(client, handed, rsa_jwk):
    token = _jwe(b"secret words", rsa_jwk, alg="RSA-OAEP-256", enc="A256GCM")
    private = rsa_jwk.export_to_pem(private_key=True, password=None).decode()
    keyless = answer(client, handed, "POST", "/api/verify", {"token": token})
    assert keyless["type"] == "JWE" and "ok" not in keyless and keyless["jwe"]["enc"] == "A256GCM"
    right = answer(client, handed, "POST", "/api/decrypt", {"token": token, "key": private})
    assert right["ok"] is True and right["plaintext"] == "secret words" and right["plaintext_is_base64url"] is False
    assert "nested" not in right and "claims" not in right and "payload" not in right
    other = jwcrypto_jwk.JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()
    wrong = answer(client, handed, "POST", "/api/decrypt", {"token": token, "key": other})
    assert wrong["ok"] is False and wrong["plaintext"] is None and wrong["attempts"]


def test_a_jwe_of_claims_and_of_bytes(client, handed, oct_jwk):
    claims = json.dumps({"sub": "ada", "exp": future()}).encode()
    token = _jwe(claims, oct_jwk, alg="dir", enc="A256GCM")
    body = answer(client, handed, "POST", "/api/decrypt", {"token": token, "key": oct_jwk.export()})
    assert body["payload"]["sub"] == "ada" and body["claims"] and body["verdict"]["status"] == 200
    binary = _jwe(b"\xff\xfe\x00 not text", oct_jwk, alg="dir", enc="A128CBC-HS256")
    raw = answer(client, handed, "POST", "/api/decrypt", {"token": binary, "key": oct_jwk.export()})
    assert raw["plaintext_is_base64url"] is True and "payload" not in raw


def test_a_nested_jwe(client, handed, rsa_jwk, ec_pair):
    inner = _jws("ES256", ec_pair.private_pem, {"sub": "nested", "exp": future()}, typ="JWT")
    token = _jwe(inner.encode(), rsa_jwk, alg="RSA-OAEP", enc="A128CBC-HS256", cty="JWT")
    private = rsa_jwk.export_to_pem(private_key=True, password=None).decode()
    request = {"token": token, "key": private, "inner_key": ec_pair.public_pem}
    body = answer(client, handed, "POST", "/api/decrypt", request)
    assert body["nested"]["token"] == inner and body["nested"]["verified"] is True and "claims" not in body
    invalid = answer(client, handed, "POST", "/api/verify", {**request, "policy": {"leeway": -1}})
    assert invalid["verdict"]["status"] is None and invalid["verdict"]["policy_problems"]


def test_decode_and_encrypt_of_a_jwe(client, handed, rsa_jwk, rsa_pair):
    token = _jwe(b"x", rsa_jwk, alg="RSA-OAEP-256", enc="A256GCM", kid="k1")
    header = answer(client, handed, "POST", "/api/decode", {"token": token})
    assert header["type"] == "JWE" and header["kid"] == "k1" and header["zip"] is None
    made = answer(
        client,
        handed,
        "POST",
        "/api/encrypt",
        {"header": {"alg": "RSA-OAEP-256", "enc": "A256GCM"}, "plaintext": "hi", "key": rsa_pair.public_pem},
    )
    assert made["token"].count(".") == 4


# -- sign, compare, keys ----------------------------------------------------------------------------


def test_sign_with_a_secret_a_private_key_and_none(client, handed, secret, ec_pair):
    payload = {"sub": "ada", "exp": future()}
    hs = answer(client, handed, "POST", "/api/sign", {"header": {"alg": "HS256"}, "payload": payload, "key": secret})
    assert jwt.decode(hs["token"], secret, algorithms=["HS256"])["sub"] == "ada"
    es = answer(
        client, handed, "POST", "/api/sign", {"header": {"alg": "ES256"}, "payload": "text", "key": ec_pair.private_pem}
    )
    assert es["key"]["thumbprint"] and es["alg"] == "ES256"
    none = answer(
        client, handed, "POST", "/api/sign", {"header": {"alg": "none"}, "payload": payload, "allow_none": True}
    )
    assert none["key"] is None and none["token"].endswith(".")


def test_compare(client, handed, secret):
    first = _jws("HS256", secret, {"sub": "ada", "iat": NOW, "exp": NOW + 3600})
    second = _jws("HS256", secret, {"sub": "bob", "scope": "x"}, kid="2")
    body = answer(client, handed, "POST", "/api/compare", {"first": first, "second": second})
    assert {d["change"] for d in body["differences"]} >= {"changed", "added", "removed"}
    assert body["lifetimes"][0]["seconds"] == 3600 and body["lifetimes"][1]["seconds"] is None


@pytest.mark.parametrize(("kty", "extra"), [("RSA", {"size": 2048}), ("EC", {}), ("OKP", {}), ("oct", {})])
def test_generate(client, handed, kty, extra):
    body = answer(client, handed, "POST", "/api/keys/generate", {"kty": kty, **extra})
    assert body["kty"] == kty and body["thumbprint"]
    assert ("private_pem" in body) is (kty != "oct") and ("public_jwk" in body) is (kty != "oct")


def test_convert_each_way(client, handed, ec_pair, rsa_pair):
    to_jwk = answer(client, handed, "POST", "/api/keys/convert", {"key": ec_pair.public_pem, "to": "jwk"})
    assert to_jwk["form"] == "pem" and to_jwk["keys"][0]["private"] is False
    to_pem = answer(client, handed, "POST", "/api/keys/convert", {"key": rsa_pair.public_jwk, "to": "pem"})
    assert to_pem["output"].startswith("-----BEGIN PUBLIC KEY-----")
    jwks = json.dumps({"keys": [json.loads(ec_pair.public_jwk), json.loads(rsa_pair.public_jwk)]})
    both = answer(client, handed, "POST", "/api/keys/convert", {"key": jwks, "to": "jwk"})
    assert len(both["keys"]) == 2 and both["form"] == "jwks"
    private = answer(
        client, handed, "POST", "/api/keys/convert", {"key": ec_pair.private_pem, "to": "jwk", "private": True}
    )
    assert private["keys"][0]["private"] is True


# -- profiles and the replay log --------------------------------------------------------------------


def test_profiles_and_replay(client, handed, secret, ec_pair):
    policy = {"iss": ["https://idp.example"], "leeway": 30}
    public = {"policy": policy, "key": ec_pair.public_pem, "algorithms": ["ES256"]}
    saved = answer(client, handed, "PUT", "/api/profiles/{name}", public, name="team")
    assert saved["note"] is None and saved["profile"]["key"] == ec_pair.public_pem
    dropped = answer(client, handed, "PUT", "/api/profiles/{name}", {"key": secret}, name="hs")
    assert dropped["profile"]["key"] is None and dropped["note"]
    one = answer(client, handed, "GET", "/api/profiles/{name}", name="team")
    assert one["profile"]["policy"]["leeway"] == 30
    listed = answer(client, handed, "GET", "/api/profiles")
    assert [p["name"] for p in listed["profiles"]] == ["hs", "team"]
    exported = answer(client, handed, "GET", "/api/profiles/export")
    assert [p["name"] for p in exported["profiles"]] == ["hs", "team"]
    imported = answer(client, handed, "POST", "/api/profiles/import", exported)
    assert imported == {"imported": 2, "names": ["hs", "team"]}
    assert answer(client, handed, "DELETE", "/api/profiles/{name}", name="hs") == {"deleted": True}
    token = _jws("HS256", secret, {"sub": "ada", "exp": future(), "iss": "i", "jti": "once"})
    answer(client, handed, "POST", "/api/verify", {"token": token, "key": secret, "policy": {"replay": True}})
    assert answer(client, handed, "POST", "/api/replay/clear") == {"cleared": 1}


def test_healthz(client, handed):
    assert answer(client, handed, "GET", "/healthz") == {"status": "ok"}
