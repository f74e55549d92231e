"""Key generation and conversion, cross-checked with jwcrypto: every generated key signs or encrypts for real."""

from __future__ import annotations

import base64
import datetime
import json
from functools import cache
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from jwcrypto import jwe as cjwe
from jwcrypto import jwk as cjwk
from jwcrypto import jws as cjws
from jwtlens.core import InputError, parse_key, sign, verify
from jwtlens.core.jwe import decrypt_jwe, encrypt_jwe
from jwtlens.core.keytools import GeneratedKey, convert_key, generate_key

#: (kty, size, crv): every key generate_key offers
CASES = [
    ("RSA", 2048, None),
    ("RSA", 3072, None),
    ("RSA", 4096, None),
    ("EC", None, "P-256"),
    ("EC", None, "P-384"),
    ("EC", None, "P-521"),
    ("EC", None, "secp256k1"),
    ("OKP", None, "Ed25519"),
    ("OKP", None, "Ed448"),
    ("OKP", None, "X25519"),
    ("OKP", None, "X448"),
    ("oct", 256, None),
    ("oct", 384, None),
    ("oct", 512, None),
]
#: a signing algorithm for each signing key
SIGNING_ALG = {
    ("RSA", 2048, None): "RS256",
    ("RSA", 3072, None): "PS384",
    ("RSA", 4096, None): "PS512",
    ("EC", None, "P-256"): "ES256",
    ("EC", None, "P-384"): "ES384",
    ("EC", None, "P-521"): "ES512",
    ("EC", None, "secp256k1"): "ES256K",
    ("OKP", None, "Ed25519"): "Ed25519",
    ("OKP", None, "Ed448"): "EdDSA",
    ("oct", 256, None): "HS256",
    ("oct", 384, None): "HS384",
    ("oct", 512, None): "HS512",
}
#: (key, alg, enc) for the JWE round trips, each run in both directions (jwtlens <-> jwcrypto)
ENCRYPTION_CASES = [
    (("OKP", None, "X25519"), "ECDH-ES", "A256GCM"),
    (("OKP", None, "X448"), "ECDH-ES+A256KW", "A128CBC-HS256"),
    (("RSA", 2048, None), "RSA-OAEP-256", "A256GCM"),
    (("RSA", 3072, None), "RSA-OAEP", "A128CBC-HS256"),
    (("EC", None, "P-256"), "ECDH-ES+A128KW", "A128GCM"),
    (("EC", None, "P-521"), "ECDH-ES", "A256CBC-HS512"),
    (("oct", 256, None), "A256KW", "A256GCM"),
    (("oct", 256, None), "A128CBC-HS256", "A128CBC-HS256"),  # dir: a 256-bit key is an A128CBC-HS256 CEK
    (("oct", 512, None), "A256CBC-HS512", "A256CBC-HS512"),
]
PAYLOAD = {"sub": "keytools", "n": 1}


def _case_id(case: tuple[str, int | None, str | None]) -> str:
    kty, size, crv = case
    return f"{kty}-{size or crv}"


@cache
def generated(case: tuple[str, int | None, str | None]) -> GeneratedKey:
    """One key per case for the whole module: RSA 4096 is generated once."""
    kty, size, crv = case
    return generate_key(kty, size, crv)


def _jwcrypto_public(key: GeneratedKey) -> cjwk.JWK:
    """jwcrypto reads our PEM (so both forms get checked); it cannot read an X448 PEM, so X448 goes as a JWK."""
    if key.kty == "oct":
        return cjwk.JWK.from_json(json.dumps(key.private_jwk))
    if key.description == "OKP X448":
        return cjwk.JWK.from_json(json.dumps(key.public_jwk))
    assert key.public_pem is not None
    return cjwk.JWK.from_pem(key.public_pem.encode())


def _jwcrypto_private(key: GeneratedKey) -> cjwk.JWK:
    if key.kty == "oct" or key.description == "OKP X448":
        return cjwk.JWK.from_json(json.dumps(key.private_jwk))
    assert key.private_pem is not None
    return cjwk.JWK.from_pem(key.private_pem.encode())


# ---------------------------------------------------------------------------------------------------------------
# generate_key
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_generated_key_forms_agree(case):
    key = generated(case)
    kty, size, crv = case
    assert key.kty == kty
    assert key.kid == key.thumbprint == key.private_jwk["kid"]
    assert "alg" not in key.private_jwk and "use" not in key.private_jwk
    # jwcrypto computes the same RFC 7638 thumbprint from our JWK
    assert cjwk.JWK.from_json(json.dumps(key.private_jwk)).thumbprint() == key.thumbprint
    if kty == "oct":
        assert key.private_pem is None and key.public_pem is None
        assert key.public_jwk is None and key.jwks == {"keys": []}
        assert len(base64.urlsafe_b64decode(key.private_jwk["k"] + "==")) * 8 == size
        assert key.description == f"secret ({size // 8} bytes)"
        return
    assert key.public_jwk is not None
    assert key.jwks == {"keys": [key.public_jwk]}
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key.public_jwk)
    assert "d" in key.private_jwk
    assert key.private_pem is not None and key.private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert key.public_pem is not None and key.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    # the PEMs are the same key as the JWKs
    from_private_pem = parse_key(key.private_pem).keys[0]
    from_public_pem = parse_key(key.public_pem).keys[0]
    assert from_private_pem.private and not from_public_pem.private
    assert from_private_pem.thumbprint == from_public_pem.thumbprint == key.thumbprint
    assert key.description == from_public_pem.description == (f"RSA {size}-bit" if kty == "RSA" else f"{kty} {crv}")


def test_generate_defaults_and_explicit_kid():
    assert generate_key("EC").description == "EC P-256"
    assert generate_key("OKP").description == "OKP Ed25519"
    assert generate_key("oct").description == "secret (32 bytes)"
    key = generate_key("OKP", crv="Ed25519", kid="signing-2026")
    assert key.public_jwk is not None
    assert key.kid == key.private_jwk["kid"] == key.public_jwk["kid"] == "signing-2026"
    assert key.thumbprint != "signing-2026"


def test_two_generated_keys_differ():
    assert generate_key("oct").private_jwk["k"] != generate_key("oct").private_jwk["k"]
    assert generate_key("OKP").thumbprint != generate_key("OKP").thumbprint


@pytest.mark.parametrize(
    ("kwargs", "segment", "fragment"),
    [
        ({"kty": "DSA"}, "kty", "choose RSA, EC, OKP, oct or AKP"),
        ({"kty": "rsa"}, "kty", "did you mean RSA?"),
        ({"kty": "RSA", "size": 1024}, "size", "2048, 3072 or 4096 bits"),
        ({"kty": "RSA", "size": 2047}, "size", "2048, 3072 or 4096 bits"),
        ({"kty": "RSA", "crv": "P-256"}, "crv", "RSA keys have no curve"),
        ({"kty": "EC", "crv": "P-192"}, "crv", "P-256, P-384, P-521 or secp256k1"),
        ({"kty": "EC", "crv": "Ed25519"}, "crv", "P-256, P-384, P-521 or secp256k1"),
        ({"kty": "EC", "size": 256}, "size", "EC keys take a curve (crv), not a size"),
        ({"kty": "OKP", "crv": "P-256"}, "crv", "Ed25519, Ed448, X25519 or X448"),
        ({"kty": "oct", "size": 100}, "size", "128, 192, 256, 384 or 512 bits"),
        ({"kty": "oct", "crv": "P-256"}, "crv", "oct keys have no curve"),
        ({"kty": "oct", "kid": " "}, "kid", "kid must be a non-empty string"),
    ],
)
def test_generate_refuses_with_a_precise_message(kwargs, segment, fragment):
    with pytest.raises(InputError) as info:
        generate_key(**kwargs)
    assert info.value.problem.code == "keygen_invalid"
    assert info.value.problem.segment == segment
    assert fragment in info.value.problem.message


# ---------------------------------------------------------------------------------------------------------------
# generated keys in use: JWS through jwtlens and jwcrypto
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(SIGNING_ALG), ids=_case_id)
def test_generated_signing_key_signs_and_verifies(case):
    key = generated(case)
    alg = SIGNING_ALG[case]
    private_text = key.private_pem or json.dumps(key.private_jwk)
    token = sign({"alg": alg, "kid": key.kid}, PAYLOAD, private_text).token
    # jwtlens verifies with every public form it was given
    public_forms = [json.dumps(key.private_jwk)] if key.kty == "oct" else [key.public_pem, json.dumps(key.jwks)]
    for public_text in public_forms:
        result = verify(token, public_text)
        assert result.signature.valid, result.signature.message
    # an independent library agrees
    checked = cjws.JWS()
    checked.deserialize(token)
    checked.allowed_algs = [alg]
    checked.verify(_jwcrypto_public(key), alg=alg)
    assert json.loads(checked.payload) == PAYLOAD
    # and a token jwcrypto signs with the generated private key verifies in jwtlens
    theirs = cjws.JWS(json.dumps(PAYLOAD).encode())
    theirs.allowed_algs = [alg]
    theirs.add_signature(_jwcrypto_private(key), alg=alg, protected=json.dumps({"alg": alg}))
    assert verify(theirs.serialize(compact=True), public_forms[0]).signature.valid


def test_key_agreement_key_cannot_sign():
    key = generated(("OKP", None, "X25519"))
    assert key.private_pem is not None
    with pytest.raises(InputError) as info:
        sign({"alg": "EdDSA"}, PAYLOAD, key.private_pem)
    assert info.value.problem.code == "key_mismatch"


# ---------------------------------------------------------------------------------------------------------------
# generated keys in use: JWE through jwtlens and jwcrypto, both directions
# ---------------------------------------------------------------------------------------------------------------


def _enc_params() -> list[Any]:
    return [
        pytest.param(case, alg if case[0] != "oct" or alg.endswith("KW") else "dir", enc, id=f"{_case_id(case)}-{enc}")
        for case, alg, enc in ENCRYPTION_CASES
    ]


@pytest.mark.parametrize(("case", "alg", "enc"), _enc_params())
def test_jwtlens_encrypts_and_jwcrypto_decrypts(case, alg, enc):
    key = generated(case)
    public_text = json.dumps(key.public_jwk or key.private_jwk)
    token = encrypt_jwe({"alg": alg, "enc": enc, "kid": key.kid}, "for jwcrypto", public_text)
    theirs = cjwe.JWE()
    theirs.allowed_algs = [alg, enc]
    theirs.deserialize(token, key=_jwcrypto_private(key))
    assert theirs.payload == b"for jwcrypto"
    # and it decrypts in jwtlens too, from the private PEM (or the secret's JWK)
    result = decrypt_jwe(token, key.private_pem or json.dumps(key.private_jwk))
    assert result.ok, result.message
    assert result.plaintext == "for jwcrypto"


@pytest.mark.parametrize(("case", "alg", "enc"), _enc_params())
def test_jwcrypto_encrypts_and_jwtlens_decrypts(case, alg, enc):
    key = generated(case)
    theirs = cjwe.JWE(b'{"from":"jwcrypto"}', protected=json.dumps({"alg": alg, "enc": enc}))
    theirs.allowed_algs = [alg, enc]
    theirs.add_recipient(_jwcrypto_public(key))
    result = decrypt_jwe(theirs.serialize(compact=True), key.private_pem or json.dumps(key.private_jwk))
    assert result.ok, result.message
    assert result.payload == {"from": "jwcrypto"}
    assert result.key is not None and result.key.thumbprint == key.thumbprint


# ---------------------------------------------------------------------------------------------------------------
# convert_key
# ---------------------------------------------------------------------------------------------------------------

ASYMMETRIC = [c for c in CASES if c[0] != "oct"]


@pytest.mark.parametrize("case", ASYMMETRIC, ids=_case_id)
def test_pem_to_jwk_to_pem_round_trips(case):
    key = generated(case)
    assert key.private_pem is not None and key.public_pem is not None
    as_jwk = convert_key(key.private_pem, to="jwk")
    (entry,) = as_jwk.keys
    assert entry.private and entry.jwk is not None and "d" in entry.jwk
    assert as_jwk.thumbprint == key.thumbprint
    assert entry.jwk["kid"] == key.thumbprint  # a PEM has no kid: the thumbprint stands in
    assert as_jwk.jwks == {"keys": [key.public_jwk]}
    back = convert_key(as_jwk.output, to="pem")
    assert back.output == key.private_pem  # PKCS#8 again, byte for byte
    assert back.thumbprint == key.thumbprint
    public = convert_key(as_jwk.output, to="pem", private=False)
    assert public.output == key.public_pem and not public.keys[0].private
    public_jwk = convert_key(key.private_pem, to="jwk", private=False)
    assert json.loads(public_jwk.output) == key.public_jwk


def test_public_key_cannot_become_private():
    key = generated(("EC", None, "P-256"))
    assert key.public_pem is not None
    for to in ("jwk", "pem"):
        with pytest.raises(InputError) as info:
            convert_key(key.public_pem, to=to, private=True)
        assert info.value.problem.code == "convert_not_private"
        assert "a private key cannot be made from it" in info.value.problem.message
    # without asking for private, a public key converts as a public key
    assert convert_key(key.public_pem, to="jwk").keys[0].private is False


def test_secrets_have_no_pem_and_no_public_half():
    with pytest.raises(InputError) as info:
        convert_key("a-shared-secret-of-some-length!!", to="pem")
    assert info.value.problem.code == "convert_no_pem"
    assert "HMAC secrets have no PEM form" in info.value.problem.message
    with pytest.raises(InputError) as info:
        convert_key("a-shared-secret-of-some-length!!", to="jwk", private=False)
    assert info.value.problem.code == "convert_no_public"


def test_secret_text_becomes_an_oct_jwk():
    converted = convert_key("68656c6c6f2d776f726c64", to="jwk", secret_encoding="hex")
    jwk = json.loads(converted.output)
    assert jwk["kty"] == "oct" and base64.urlsafe_b64decode(jwk["k"] + "==") == b"hello-world"
    assert converted.jwks == {"keys": []}  # a secret is never listed as a public key
    assert cjwk.JWK.from_json(converted.output).thumbprint() == converted.thumbprint


def test_jwks_converts_every_key():
    ec = generated(("EC", None, "P-384"))
    okp = generated(("OKP", None, "Ed25519"))
    jwks = json.dumps({"keys": [{**ec.private_jwk, "kid": "ec-1", "use": "sig"}, okp.public_jwk]})
    as_jwk = convert_key(jwks, to="jwk", private=False)
    assert [k.kid for k in as_jwk.keys] == ["ec-1", okp.kid]
    listed = json.loads(as_jwk.output)["keys"]
    assert len(listed) == 2 and all("d" not in k for k in listed)
    assert listed[0]["use"] == "sig"  # the JWK's own members are kept
    as_pem = convert_key(jwks, to="pem")
    assert as_pem.output.count("-----BEGIN PRIVATE KEY-----") == 1  # the EC key was private
    assert as_pem.output.count("-----BEGIN PUBLIC KEY-----") == 1  # the Ed25519 one public
    assert [k.thumbprint for k in as_pem.keys] == [ec.thumbprint, okp.thumbprint]
    with pytest.raises(InputError) as info:
        convert_key(jwks, to="jwk", private=True)
    assert info.value.problem.message.startswith("Key 2 of the JWKS is a public key")


def test_jwks_with_a_secret_cannot_become_pem():
    okp = generated(("OKP", None, "Ed448"))
    jwks = json.dumps({"keys": [okp.public_jwk, generated(("oct", 256, None)).private_jwk]})
    with pytest.raises(InputError) as info:
        convert_key(jwks, to="pem")
    assert info.value.problem.code == "convert_no_pem"
    assert info.value.problem.message.startswith("Key 2 of the JWKS is an HMAC secret")
    assert convert_key(jwks, to="jwk").jwks == {"keys": [okp.public_jwk]}


def test_public_conversion_keeps_only_public_key_ops():
    rsa = generated(("RSA", 2048, None))
    jwk = {**rsa.private_jwk, "key_ops": ["sign", "verify"], "alg": "PS256"}
    public = json.loads(convert_key(json.dumps(jwk), to="jwk", private=False).output)
    assert public["key_ops"] == ["verify"] and public["alg"] == "PS256"
    only_private_ops = {**rsa.private_jwk, "key_ops": ["decrypt"], "use": "enc"}
    assert "key_ops" not in json.loads(convert_key(json.dumps(only_private_ops), to="jwk", private=False).output)


def test_certificate_and_openssh_inputs():
    rsa = generated(("RSA", 2048, None))
    assert rsa.private_pem is not None
    private = serialization.load_pem_private_key(rsa.private_pem.encode(), None)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwtlens")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2026, 1, 1))
        .not_valid_after(datetime.datetime(2027, 1, 1))
        .sign(private, hashes.SHA256())
    )
    from_cert = convert_key(cert.public_bytes(serialization.Encoding.PEM).decode(), to="jwk")
    assert from_cert.form == "certificate" and from_cert.thumbprint == rsa.thumbprint
    assert json.loads(from_cert.output) == rsa.public_jwk
    ed = generated(("OKP", None, "Ed25519"))
    assert ed.public_pem is not None
    ssh_line = (
        serialization.load_pem_public_key(ed.public_pem.encode())
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    from_ssh = convert_key(ssh_line + " me@host", to="pem")
    assert from_ssh.form == "ssh" and from_ssh.output == ed.public_pem


@pytest.mark.parametrize(
    ("text", "to", "code"),
    [
        ("", "jwk", "key_empty"),
        ('{"kty": "RSA", "n": "AQAB"}', "pem", "jwk_invalid"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "jwk", "key_pem"),
        ("secret", "der", "convert_invalid"),
    ],
)
def test_convert_refuses_unreadable_input(text, to, code):
    with pytest.raises(InputError) as info:
        convert_key(text, to=to)
    assert info.value.problem.code == code
