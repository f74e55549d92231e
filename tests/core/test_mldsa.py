"""ML-DSA (kty AKP, RFC 9964): the RFC's examples, cryptography as the oracle, key forms, generation, the API."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import mldsa
from jwtlens.cli import main
from jwtlens.core import InputError, parse_key, sign, verify
from jwtlens.core.keytools import OCT_SIZES, convert_key, generate_key

from tests.makers import b64url
from tests.paths import VECTORS

if not VECTORS.exists():
    pytest.skip("test vectors not found next to the repository", allow_module_level=True)
EXAMPLES = json.loads((VECTORS / "rfc-examples" / "jose-json-detached-thumbprint-mldsa.json").read_text("utf-8"))[
    "rfc9964"
]
ALGS = ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"]
PUBLIC = {"ML-DSA-44": mldsa.MLDSA44PublicKey, "ML-DSA-65": mldsa.MLDSA65PublicKey, "ML-DSA-87": mldsa.MLDSA87PublicKey}


def public_jwk(alg: str) -> dict[str, Any]:
    return {"kty": "AKP", "alg": alg, "pub": b64url(bytes.fromhex(EXAMPLES[alg]["raw_public_key"]))}


def private_jwk(alg: str) -> dict[str, Any]:
    return {**public_jwk(alg), "priv": b64url(bytes.fromhex(EXAMPLES[alg]["seed"]))}


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("form", ["public JWK", "private JWK (seed)", "JWKS with kid", "public PEM"])
def test_rfc9964_examples_verify_in_every_key_form(alg: str, form: str):
    if form == "public JWK":
        key = json.dumps(public_jwk(alg))
    elif form == "private JWK (seed)":
        key = json.dumps(private_jwk(alg))
    elif form == "JWKS with kid":
        key = json.dumps({"keys": [{**public_jwk(alg), "kid": EXAMPLES[alg]["kid"]}]})
    else:
        key = convert_key(json.dumps(public_jwk(alg)), to="pem").output
    result = verify(EXAMPLES[alg]["jws"], key)
    assert result.signature.status == "verified", result.signature.message
    assert result.token.alg == alg


@pytest.mark.parametrize("alg", ALGS)
def test_rfc9964_kid_is_the_thumbprint_and_the_seed_gives_the_public_key(alg: str):
    parsed = parse_key(json.dumps(private_jwk(alg))).keys[0]
    assert parsed.thumbprint == EXAMPLES[alg]["kid"] and parsed.private and parsed.kty == "AKP"
    public = parse_key(json.dumps(public_jwk(alg))).keys[0]
    assert public.thumbprint == EXAMPLES[alg]["kid"] and not public.private


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("segment", [0, 1, 2])
def test_rfc9964_changed_token_never_verifies(alg: str, segment: int):
    parts = EXAMPLES[alg]["jws"].split(".")
    text = base64.urlsafe_b64decode(parts[segment] + "=" * (-len(parts[segment]) % 4))
    changed = bytearray(text)
    changed[len(changed) // 2] ^= 0x01
    if segment == 0:  # keep the header JSON readable: change the kid's value instead
        header = json.loads(text)
        header["kid"] = header["kid"][:-1] + ("A" if header["kid"][-1] != "A" else "B")
        changed = bytearray(json.dumps(header).encode())
    parts[segment] = b64url(bytes(changed))
    result = verify(".".join(parts), json.dumps(public_jwk(alg)))
    assert not result.signature.valid and not result.verified


def test_parameter_set_must_match_the_token():
    result = verify(EXAMPLES["ML-DSA-65"]["jws"], json.dumps(public_jwk("ML-DSA-44")))
    assert not result.signature.valid and "ML-DSA-44" in result.signature.message


@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES256", "EdDSA"])
def test_an_akp_key_never_verifies_another_family(alg: str):
    token = sign({"alg": "HS256"}, {"sub": "x"}, "s" * 32).token
    token = EXAMPLES["ML-DSA-44"]["jws"] if alg != "HS256" else token
    header = b64url(json.dumps({"alg": alg}).encode())
    forged = ".".join([header, *token.split(".")[1:]])
    assert not verify(forged, json.dumps(public_jwk("ML-DSA-44"))).signature.valid


@pytest.mark.parametrize("alg", ALGS)
def test_generated_keys_sign_and_cryptography_verifies(alg: str):
    made = generate_key("AKP", alg=alg)
    assert made.kid == made.thumbprint and made.private_jwk["alg"] == alg
    assert "priv" not in (made.public_jwk or {}) and made.public_pem is not None
    token = sign({"alg": alg}, {"sub": "pq"}, json.dumps(made.private_jwk)).token
    header, payload, signature = token.split(".")
    oracle = PUBLIC[alg].from_public_bytes(base64.urlsafe_b64decode(made.public_jwk["pub"] + "==="))  # type: ignore[index]
    oracle.verify(base64.urlsafe_b64decode(signature + "==="), f"{header}.{payload}".encode())
    for key in (json.dumps(made.public_jwk), made.public_pem, made.private_pem):
        assert verify(token, key).signature.valid
    back = convert_key(made.private_pem or "", to="jwk")
    assert back.keys[0].jwk == made.private_jwk and back.keys[0].thumbprint == made.thumbprint


def test_signing_with_the_private_seed_matches_cryptography():
    seed = bytes.fromhex(EXAMPLES["ML-DSA-87"]["seed"])
    token = sign({"alg": "ML-DSA-87"}, "content", json.dumps(private_jwk("ML-DSA-87"))).token
    header, payload, signature = token.split(".")
    native = mldsa.MLDSA87PrivateKey.from_seed_bytes(seed).public_key()
    native.verify(base64.urlsafe_b64decode(signature + "==="), f"{header}.{payload}".encode())


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"alg": "ML-DSA-99"}, "names its parameter set"),
        ({"pub": b64url(b"x" * 10)}, "public keys are 1312"),
        ({"priv": b64url(b"x" * 31)}, "an ML-DSA seed is 32"),
        ({"priv": b64url(b"\x01" * 32)}, "not the public key of its priv"),
        ({"pub": 5}, "pub must be a base64url string"),
    ],
)
def test_bad_akp_jwk_is_a_precise_error(change: dict[str, Any], words: str):
    jwk = {**(private_jwk("ML-DSA-44") if "priv" in change else public_jwk("ML-DSA-44")), **change}
    with pytest.raises(InputError) as caught:
        parse_key(json.dumps(jwk))
    assert words in caught.value.problem.message
    assert str(jwk["pub"])[:40] not in caught.value.problem.message or jwk["pub"] == 5  # the key is never echoed


def test_akp_private_jwk_is_secret_and_public_text_drops_priv():
    parsed = parse_key(json.dumps(private_jwk("ML-DSA-44")))
    assert parsed.is_secret
    assert "priv" not in json.loads(parsed.public_text() or "{}")


@pytest.mark.parametrize("bits", [128, 192, 256, 384, 512])
def test_secrets_of_every_offered_size(bits: int):
    assert bits in OCT_SIZES
    made = generate_key("oct", size=bits)
    raw = base64.urlsafe_b64decode(made.private_jwk["k"] + "===")
    assert len(raw) * 8 == bits


def test_keygen_refuses_alg_outside_akp_and_unknown_sets():
    with pytest.raises(InputError):
        generate_key("AKP", alg="ML-DSA-1")
    with pytest.raises(InputError):
        generate_key("EC", alg="ML-DSA-44")
    with pytest.raises(InputError):
        generate_key("AKP", crv="P-256")


def test_api_generate_sign_verify_and_cli_keygen(client, capsys):
    made = client.post("/api/keys/generate", json={"kty": "AKP", "alg": "ML-DSA-44"}).json()
    assert made["kty"] == "AKP" and made["thumbprints"]["sha-256"]["thumbprint"] == made["kid"]
    signed = client.post(
        "/api/sign",
        json={"header": {"alg": "ML-DSA-44"}, "payload": {"sub": "pq"}, "key": json.dumps(made["private_jwk"])},
    ).json()
    checked = client.post("/api/verify", json={"token": signed["token"], "key": made["public_pem"]}).json()
    assert checked["signature"]["status"] == "verified"
    assert main(["keygen", "--kty", "AKP", "--alg", "ML-DSA-87", "--format", "jwk"]) == 0
    out = capsys.readouterr().out
    assert '"ML-DSA-87"' in out and '"priv"' in out
