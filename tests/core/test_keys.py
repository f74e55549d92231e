"""Reading pasted keys: every accepted form, and a precise message for each unreadable one."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509 import CertificateBuilder, Name, NameAttribute, random_serial_number
from cryptography.x509.oid import NameOID
from jwtlens.core import InputError, parse_key
from jwtlens.core.keys import decode_secret


def problem(text: str, encoding: str = "utf8") -> tuple[str, str]:
    with pytest.raises(InputError) as info:
        parse_key(text, encoding)
    assert info.value.problem.segment in ("key", "secret_encoding")
    return info.value.problem.code, info.value.problem.message


@pytest.fixture(scope="module")
def rsa_native():
    return rsa.generate_private_key(65537, 2048)


def test_secret_utf8_keeps_the_text_exactly():
    parsed = parse_key(" s3cret ")
    assert parsed.form == "secret"
    assert parsed.keys[0].key.get_op_key("verify") == b" s3cret "


@pytest.mark.parametrize(
    ("text", "encoding", "raw"),
    [
        ("68656c6c6f", "hex", b"hello"),
        ("68 65 6C 6c 6f", "hex", b"hello"),
        ("aGVsbG8=", "base64", b"hello"),
        ("aGVsbG8", "base64", b"hello"),
        ("-_8", "base64url", b"\xfb\xff"),
        ("+/8=", "base64", b"\xfb\xff"),
    ],
)
def test_secret_encodings(text, encoding, raw):
    assert decode_secret(text, encoding) == raw
    assert parse_key(text, encoding).keys[0].size_bits == len(raw) * 8


@pytest.mark.parametrize(
    ("text", "encoding", "fragment"),
    [
        ("xyz", "hex", "character 1 is not 0-9"),
        ("abc", "hex", "odd number"),
        ("a*b", "base64", "character 2"),
        ("-_8", "base64", "character 1"),
        ("+/8", "base64url", "character 1"),
        ("a", "base64", "length"),
    ],
)
def test_bad_secret_encodings_say_where(text, encoding, fragment):
    code, message = problem(text, encoding)
    assert code == "secret_encoding" and fragment in message


def test_unknown_encoding():
    assert problem("abc", "rot13")[0] == "secret_encoding"


def test_empty_key_and_empty_decoded_secret():
    assert problem("")[0] == "key_empty"
    assert problem("", "hex")[0] == "key_empty"


def test_pem_public_spki_pkcs1_private_and_certificate(rsa_native):
    spki = rsa_native.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pkcs1 = rsa_native.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    private = rsa_native.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    assert parse_key(spki.decode()).label == "PEM public key (SPKI)"
    assert parse_key(pkcs1.decode()).label == "PEM public key (PKCS#1)"
    parsed = parse_key(private.decode())
    assert parsed.keys[0].private and parsed.keys[0].description == "RSA 2048-bit"
    # Thumbprints agree however the key arrived.
    assert parse_key(spki.decode()).keys[0].thumbprint == parsed.keys[0].thumbprint


def test_certificate_gives_its_public_key():
    import datetime

    key = ec.generate_private_key(ec.SECP256R1())
    name = Name([NameAttribute(NameOID.COMMON_NAME, "jwtlens test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, __import__("cryptography.hazmat.primitives.hashes", fromlist=["SHA256"]).SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    parsed = parse_key(pem)
    assert parsed.form == "certificate"
    assert parsed.keys[0].description == "EC P-256" and not parsed.keys[0].private


def test_pem_with_bom_and_crlf_still_reads(rsa_native):
    spki = rsa_native.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    text = "\ufeff" + spki.decode().replace("\n", "\r\n") + "  \r\n"
    assert parse_key(text).keys[0].kty == "RSA"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----", "public key could not be read"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "private key could not be read"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "certificate could not be read"),
        ("-----BEGIN FOO BAR-----\nAAAA\n-----END FOO BAR-----", "is not a key"),
        ("-----BEGIN", "no readable"),
    ],
)
def test_garbage_pem(text, fragment):
    code, message = problem(text)
    assert code == "key_pem" and fragment in message
    assert "AAAA" not in message


def test_encrypted_private_key_is_explained(rsa_native):
    pem = rsa_native.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass"),
    ).decode()
    code, message = problem(pem)
    assert code == "key_encrypted" and "passphrase" in message


def test_dsa_keys_are_not_jose_keys():
    pem = (
        dsa.generate_private_key(2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert problem(pem.decode())[0] == "key_unsupported"


def test_unsupported_ec_curve():
    pem = (
        ec.generate_private_key(ec.SECP224R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    code, message = problem(pem.decode())
    assert code == "key_unsupported" and "secp224r1" in message


def test_openssh_public_key_line(rsa_native):
    line = rsa_native.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    parsed = parse_key(line.decode() + " user@host")
    assert parsed.form == "ssh" and parsed.keys[0].kty == "RSA"
    assert problem("ssh-rsa AAAAnotakey")[0] == "key_ssh"


def test_jwk_and_jwks(rsa_native):
    from joserfc.jwk import RSAKey

    jwk = RSAKey.import_key(rsa_native).as_dict(private=False, kid="k1", use="sig", alg="RS256")
    parsed = parse_key(json.dumps(jwk))
    assert parsed.form == "jwk"
    key = parsed.keys[0]
    assert (key.kid, key.jwk_use, key.jwk_alg) == ("k1", "sig", "RS256")
    jwks = parse_key(json.dumps({"keys": [jwk, {"kty": "oct", "k": "c2VjcmV0", "kid": "k2"}]}))
    assert jwks.form == "jwks" and [k.kid for k in jwks.keys] == ["k1", "k2"]
    assert [k.index for k in jwks.keys] == [0, 1]


@pytest.mark.parametrize(
    ("value", "code", "fragment"),
    [
        ({"kty": "RSA"}, "jwk_invalid", "'n' is required"),
        ({"n": "AQAB"}, "jwk_invalid", "no 'kty'"),
        ({"kty": "XYZ"}, "jwk_invalid", "kty 'XYZ'"),
        ({"kty": "EC", "crv": "P-256", "x": "!!", "y": "!!"}, "jwk_invalid", "could not be imported"),
        ({"keys": "nope"}, "jwks_invalid", "not an array"),
        ({"keys": []}, "jwks_invalid", "no keys"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}, {"kty": "RSA"}]}, "jwk_invalid", "Key 2 of the JWKS"),
        ({"keys": [{"kty": "oct", "k": "AA"}] * 101}, "jwks_invalid", "limit is 100"),
        ({"keys": [1]}, "jwk_invalid", "Key 1 of the JWKS is not a JSON object"),
    ],
)
def test_bad_jwk(value, code, fragment):
    got_code, message = problem(json.dumps(value))
    assert got_code == code and fragment in message


def test_key_that_is_broken_json():
    code, message = problem('{"kty": "RSA",')
    assert code == "bad_json" and "line 1" in message


def test_size_cap():
    with pytest.raises(InputError) as info:
        parse_key("x" * 5000, max_size=4096)
    assert info.value.problem.code == "key_too_large" and info.value.problem.too_large


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN PUBLIC KEY-----",
        "\ufeff-----BEGIN CERTIFICATE-----",
        "ssh-ed25519 AAAAC3Nza",
        '{"kty": "RSA", "n": "x", "e": "AQAB"}',
        "  ecdsa-sha2-nistp256 AAAA",
    ],
)
def test_damaged_key_material_is_an_error_not_a_secret(text):
    with pytest.raises(InputError):
        parse_key(text)


def test_plain_secret_is_a_secret():
    assert parse_key("my-secret").form == "secret"
