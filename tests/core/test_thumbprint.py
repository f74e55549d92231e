"""RFC 7638 thumbprints (SHA-256/384/512) and RFC 9278 URIs: the RFCs' examples, jwcrypto as oracle, every key form."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import hashes
from jwcrypto import jwk as jc_jwk
from jwtlens.core import InputError
from jwtlens.core.keytools import convert_key, generate_key
from jwtlens.core.thumbprint import jwk_thumbprint, thumbprints

from tests.paths import VECTORS

if not VECTORS.exists():
    pytest.skip("test vectors not found next to the repository", allow_module_level=True)
RFC = json.loads((VECTORS / "rfc-examples" / "jose-json-detached-thumbprint-mldsa.json").read_text("utf-8"))
KEY = RFC["rfc7638"]["key"]
JC_HASHES = {"sha-256": hashes.SHA256(), "sha-384": hashes.SHA384(), "sha-512": hashes.SHA512()}


def test_rfc7638_and_rfc9278_examples():
    assert jwk_thumbprint(KEY) == RFC["rfc7638"]["sha256"]
    assert thumbprints(KEY)["sha-256"]["uri"] == RFC["rfc9278"]["uri"]
    assert thumbprints(KEY)["sha-256"] == {"thumbprint": RFC["rfc7638"]["sha256"], "uri": RFC["rfc9278"]["uri"]}


@pytest.mark.parametrize(
    "spelling",
    ["reordered", "extra members", "pretty JSON", "as PEM", "in a JWKS"],
)
def test_same_key_any_spelling_same_thumbprint(spelling: str):
    jwk = dict(KEY)
    if spelling == "reordered":
        jwk = dict(reversed(list(jwk.items())))
    elif spelling == "extra members":
        jwk = {**jwk, "use": "sig", "key_ops": ["verify"], "x5u": "https://example.com"}
    text = json.dumps(jwk, indent=2 if spelling == "pretty JSON" else None)
    if spelling == "as PEM":
        text = convert_key(json.dumps(KEY), to="pem").output
    elif spelling == "in a JWKS":
        text = json.dumps({"keys": [KEY]})
    converted = convert_key(text, to="jwk")
    assert converted.keys[0].thumbprints["sha-256"]["thumbprint"] == RFC["rfc7638"]["sha256"]


@pytest.mark.parametrize(
    ("kty", "opt"), [("RSA", {}), ("EC", {"crv": "P-384"}), ("OKP", {"crv": "Ed25519"}), ("oct", {})]
)
@pytest.mark.parametrize("hash_name", ["sha-256", "sha-384", "sha-512"])
def test_generated_keys_match_jwcrypto(kty: str, opt: dict[str, str], hash_name: str):
    made = generate_key(kty, **opt)  # type: ignore[arg-type]
    oracle = jc_jwk.JWK(**made.private_jwk).thumbprint(JC_HASHES[hash_name])
    assert made.thumbprints[hash_name]["thumbprint"] == oracle
    assert made.thumbprints[hash_name]["uri"].endswith(f":{hash_name}:{oracle}")
    if made.public_pem is not None:  # the PEM form of the same key: the same thumbprints
        assert convert_key(made.public_pem, to="jwk").keys[0].thumbprints == made.thumbprints
    assert made.thumbprints["sha-256"]["thumbprint"] == made.thumbprint


@pytest.mark.parametrize(
    ("jwk", "code"),
    [
        ({"kty": "XYZ"}, "thumbprint_kty"),
        ({"kty": "RSA", "e": "AQAB"}, "thumbprint_member"),
        ({"kty": 5}, "thumbprint_kty"),
    ],
)
def test_unthumbprintable_jwk_is_a_precise_error(jwk: dict[str, object], code: str):
    with pytest.raises(InputError) as caught:
        jwk_thumbprint(jwk)
    assert caught.value.problem.code == code


def test_api_convert_and_generate_carry_thumbprints(client):
    body = client.post("/api/keys/convert", json={"key": json.dumps(KEY), "to": "jwk"}).json()
    assert body["thumbprints"]["sha-256"]["uri"] == RFC["rfc9278"]["uri"]
    assert body["keys"][0]["thumbprints"]["sha-512"]["thumbprint"] == jc_jwk.JWK(**KEY).thumbprint(hashes.SHA512())
    two = client.post("/api/keys/convert", json={"key": json.dumps({"keys": [KEY, KEY | {"kid": "b"}]}), "to": "jwk"})
    assert "thumbprints" not in two.json() and len(two.json()["keys"]) == 2
    made = client.post("/api/keys/generate", json={"kty": "EC"}).json()
    assert set(made["thumbprints"]) == {"sha-256", "sha-384", "sha-512"}
    assert made["thumbprints"]["sha-256"]["thumbprint"] == made["thumbprint"]
