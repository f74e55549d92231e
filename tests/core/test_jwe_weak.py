"""What RFC 7518 forbids in JWE is refused, not only reported: a PBES2 salt under 8 octets (§4.8.1.1) and an RSA
key under 2048 bits (§4.2, §4.3). ``allow_weak_keys`` (testing only) lets it through and the result says so.

jwcrypto is the outside oracle: it refuses to make short-salt tokens, and makes and reads the small-key ones.
"""

from __future__ import annotations

import base64
import json
from functools import cache

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwe as cjwe
from jwcrypto import jwk as cjwk
from jwtlens.core import InputError
from jwtlens.core.jwe import DecryptResult, decrypt_jwe, encrypt_jwe

from tests.makers import b64url

PBES2 = ("PBES2-HS256+A128KW", "PBES2-HS384+A192KW", "PBES2-HS512+A256KW")
RSA_ALGS = {"RSA-OAEP": "§4.3", "RSA-OAEP-256": "§4.3", "RSA1_5": "§4.2"}
PASSWORD = "correct horse battery staple"


def _header(token: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


def _refused(result: DecryptResult, section: str) -> None:
    assert not result.ok and result.failure == "forbidden", result.message
    assert result.message.startswith("Not decrypted: ") and f"RFC 7518 {section}" in result.message
    assert result.plaintext is None and result.payload is None and result.allowed_weak == ()


def _allowed(result: DecryptResult, section: str, plaintext: str) -> None:
    assert result.ok and result.plaintext == plaintext, result.message
    assert len(result.allowed_weak) == 1 and f"RFC 7518 {section}" in result.allowed_weak[0]
    assert "allowed as weak" in result.message


# -- PBES2 salt ------------------------------------------------------------------------------------


def _salted(alg: str, salt: bytes, **options: bool) -> str:
    header = {"alg": alg, "enc": "A128GCM", "p2c": 1000, "p2s": b64url(salt)}
    return encrypt_jwe(header, "hello", PASSWORD, **options)


@pytest.mark.parametrize("alg", PBES2)
@pytest.mark.parametrize("length", [0, 1, 4, 7])
def test_a_short_salt_is_refused_both_ways(alg: str, length: int) -> None:
    salt = bytes(range(1, length + 1))
    with pytest.raises(InputError) as caught:
        _salted(alg, salt)
    problem = caught.value.problem
    assert (problem.code, problem.segment) == ("p2s_forbidden", "header")
    assert f"{length} octets" in problem.message and "RFC 7518 §4.8.1.1" in problem.message
    token = _salted(alg, salt, allow_weak_keys=True)
    assert _header(token)["p2s"] == b64url(salt)  # the salt given is the salt used
    refused = decrypt_jwe(token, PASSWORD)
    _refused(refused, "§4.8.1.1")
    assert "pbes2_short_salt" in {f.code for f in refused.findings}
    assert not decrypt_jwe(token, "a wrong password").ok  # refused before any derivation, whatever the key
    _allowed(decrypt_jwe(token, PASSWORD, allow_weak_keys=True), "§4.8.1.1", "hello")
    oracle = cjwe.JWE.from_jose_token(token)  # what allow_weak_keys made is a real JWE
    oracle.decrypt(cjwk.JWK.from_password(PASSWORD))
    assert oracle.payload == b"hello"
    made = cjwe.JWE(
        b"hello", json.dumps({k: v for k, v in _header(token).items() if k in ("alg", "enc", "p2s", "p2c")})
    )
    with pytest.raises(ValueError, match="Salt"):  # and the oracle refuses to make one
        made.add_recipient(cjwk.JWK.from_password(PASSWORD))


@pytest.mark.parametrize("alg", PBES2)
@pytest.mark.parametrize("length", [8, 9, 16, 64])
def test_a_salt_of_8_octets_or_more_decrypts(alg: str, length: int) -> None:
    token = _salted(alg, bytes(range(length)))
    result = decrypt_jwe(token, PASSWORD)
    assert result.ok and result.plaintext == "hello" and result.allowed_weak == ()
    assert "allowed as weak" not in result.message
    oracle = cjwe.JWE.from_jose_token(token)
    oracle.decrypt(cjwk.JWK.from_password(PASSWORD))
    assert oracle.payload == b"hello"


def test_an_unspecified_salt_is_joserfcs_own_and_long_enough() -> None:
    token = encrypt_jwe({"alg": PBES2[0], "enc": "A128GCM", "p2c": 1000}, "hello", PASSWORD)
    assert len(base64.urlsafe_b64decode(str(_header(token)["p2s"]) + "==")) >= 8
    assert decrypt_jwe(token, PASSWORD).ok


@pytest.mark.parametrize(
    ("spelling", "fragment"),
    [
        (b64url(b"1234567") + "=", "padding"),  # 7 octets in another spelling
        ("AQID+/8", "'+' or '/'"),
        ("AQIDBAUGBx", "extra bits"),  # 7 octets whose last character carries spare bits
        ("AQID!AUGBw", "not allowed"),
        ("A", "cannot encode whole bytes"),
    ],
)
def test_a_salt_spelled_another_way_is_refused_not_reread(spelling: str, fragment: str) -> None:
    weak = _salted(PBES2[0], b"1234567", allow_weak_keys=True)
    header = {**_header(weak), "p2s": spelling}
    parts = weak.split(".")
    token = ".".join([b64url(json.dumps(header).encode()), *parts[1:]])
    for options in ({}, {"allow_weak_keys": True}):
        result = decrypt_jwe(token, PASSWORD, **options)
        assert not result.ok and result.failure == "invalid" and fragment in result.message, result.message
    with pytest.raises(InputError) as caught:
        encrypt_jwe({"alg": PBES2[0], "enc": "A128GCM", "p2s": spelling}, "x", PASSWORD, allow_weak_keys=True)
    assert caught.value.problem.code == "p2s_invalid" and fragment in caught.value.problem.message


# -- RSA key size ----------------------------------------------------------------------------------


@cache
def _rsa(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, bits)


def _pem(bits: int, *, private: bool) -> str:
    key = _rsa(bits)
    if private:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _jwk(bits: int, *, private: bool) -> str:
    return cjwk.JWK.from_pem(_pem(bits, private=True).encode()).export(private_key=private)


def _oracle_token(bits: int, alg: str) -> str:
    token = cjwe.JWE(b"hello", json.dumps({"alg": alg, "enc": "A128GCM"}), algs=[alg, "A128GCM"])
    token.add_recipient(cjwk.JWK.from_pem(_pem(bits, private=False).encode()))
    return token.serialize(compact=True)


@pytest.mark.parametrize("alg", list(RSA_ALGS))
@pytest.mark.parametrize("bits", [1024, 1536, 2040])
def test_a_small_rsa_key_is_refused_both_ways(alg: str, bits: int) -> None:
    section = RSA_ALGS[alg]
    for public in (_pem(bits, private=False), _jwk(bits, private=False)):
        with pytest.raises(InputError) as caught:
            encrypt_jwe({"alg": alg, "enc": "A128GCM"}, "hello", public)
        problem = caught.value.problem
        assert (problem.code, problem.segment) == ("key_forbidden", "key")
        assert f"{bits} bits" in problem.message and f"RFC 7518 {section}" in problem.message
    ours = encrypt_jwe({"alg": alg, "enc": "A128GCM"}, "hello", _pem(bits, private=False), allow_weak_keys=True)
    for token in (ours, _oracle_token(bits, alg)):
        for private in (_pem(bits, private=True), _jwk(bits, private=True)):
            refused = decrypt_jwe(token, private)
            _refused(refused, section)
            assert [a.outcome for a in refused.attempts] == ["skipped"]
            _allowed(decrypt_jwe(token, private, allow_weak_keys=True), section, "hello")
    oracle = cjwe.JWE(algs=[alg, "A128GCM"])
    oracle.deserialize(ours, cjwk.JWK.from_pem(_pem(bits, private=True).encode()))
    assert oracle.payload == b"hello"  # what allow_weak_keys made is a real JWE


@pytest.mark.parametrize("alg", list(RSA_ALGS))
def test_a_2048_bit_key_needs_no_allowance(alg: str) -> None:
    token = encrypt_jwe({"alg": alg, "enc": "A128GCM"}, "hello", _jwk(2048, private=False))
    result = decrypt_jwe(token, _pem(2048, private=True))
    assert result.ok and result.plaintext == "hello" and result.allowed_weak == ()
    assert decrypt_jwe(_oracle_token(2048, alg), _jwk(2048, private=True)).ok


def test_a_jwks_with_a_small_key_beside_the_right_one() -> None:
    small = json.loads(_jwk(1024, private=True)) | {"kid": "small"}
    strong = json.loads(_jwk(2048, private=True)) | {"kid": "strong"}
    jwks = json.dumps({"keys": [small, strong]})
    for_strong = encrypt_jwe({"alg": "RSA-OAEP", "enc": "A128GCM", "kid": "strong"}, "hello", jwks)
    assert decrypt_jwe(for_strong, jwks).ok
    for_small = encrypt_jwe({"alg": "RSA-OAEP", "enc": "A128GCM", "kid": "small"}, "hello", jwks, allow_weak_keys=True)
    _refused(decrypt_jwe(for_small, jwks), "§4.3")
    without_kid = _oracle_token(1024, "RSA-OAEP")  # no kid: every key is tried, the small one is refused
    result = decrypt_jwe(without_kid, jwks)
    _refused(result, "§4.3")
    assert {a.kid: a.outcome for a in result.attempts} == {"small": "skipped", "strong": "skipped"}
