"""What reading a key may cost and what the RFCs forbid in it: size bounds, RSA size, cache, JWK violations."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x25519
from joserfc.jwk import ECKey, OKPKey
from jwtlens.core import InputError, parse_key
from jwtlens.core.keys import MAX_RSA_BITS, cache_info
from jwtlens.core.keytools import convert_key

from tests.keyforms import b64, material, pem, wrapped
from tests.makers import b64url

#: generous: refusing takes milliseconds; cryptography's check of a 16384-bit private key takes seconds
_QUICK = 2.0


def _problem(text: str, **kwargs) -> tuple[str, str]:
    with pytest.raises(InputError) as info:
        parse_key(text, **kwargs)
    return info.value.problem.code, info.value.problem.message


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- DER by hand, so a 16384-bit key is built from its primes without cryptography checking it ----------------


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _length(len(value)) + value


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _big_rsa() -> dict[str, object]:
    lines = [line for line in Path(__file__).with_name("rsa16384_primes.txt").read_text().split("\n") if line]
    p, q = (int(line, 16) for line in lines if not line.startswith("#"))
    e, n = 65537, p * q
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = [0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p)]
    pkcs1 = _tlv(0x30, b"".join(_int(v) for v in numbers))
    rsa_oid = _tlv(0x30, _tlv(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    pkcs8 = _tlv(0x30, _int(0) + rsa_oid + _tlv(0x04, pkcs1))
    spki = (
        rsa.RSAPublicNumbers(e, n)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    names = ("n", "e", "d", "p", "q", "dp", "dq", "qi")
    values = (n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))
    jwk = {
        "kty": "RSA",
        **{k: b64url(v.to_bytes((v.bit_length() + 7) // 8, "big")) for k, v in zip(names, values, strict=True)},
    }
    return {"n": n, "pkcs1": pkcs1, "pkcs8": pkcs8, "spki": spki, "jwk": jwk}


@pytest.fixture(scope="module")
def big_rsa() -> dict[str, object]:
    return _big_rsa()


def test_the_test_key_really_is_16384_bits(big_rsa):
    assert big_rsa["n"].bit_length() == 16384  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "spelling",
    ["pem_pkcs1", "pem_pkcs8", "bare_base64_pkcs8", "hex_pkcs1", "jwk_private", "jwk_public", "pem_spki", "jwks"],
)
def test_rsa_over_the_bound_is_refused_quickly(big_rsa, spelling):
    jwk = big_rsa["jwk"]
    public_jwk = {k: jwk[k] for k in ("kty", "n", "e")}  # type: ignore[index]
    text = {
        "pem_pkcs1": lambda: pem("RSA PRIVATE KEY", big_rsa["pkcs1"]),
        "pem_pkcs8": lambda: pem("PRIVATE KEY", big_rsa["pkcs8"]),
        "bare_base64_pkcs8": lambda: b64(big_rsa["pkcs8"]),
        "hex_pkcs1": lambda: big_rsa["pkcs1"].hex(),  # type: ignore[union-attr]
        "jwk_private": lambda: json.dumps(jwk),
        "jwk_public": lambda: json.dumps(public_jwk),
        "pem_spki": lambda: pem("PUBLIC KEY", big_rsa["spki"]),
        "jwks": lambda: json.dumps({"keys": [public_jwk]}),
    }[spelling]()
    started = time.perf_counter()
    with pytest.raises(InputError) as info:
        parse_key(text)
    elapsed = time.perf_counter() - started
    problem = info.value.problem
    assert problem.code == "rsa_too_large" and problem.status == 413
    assert "16384" in problem.message and f"{MAX_RSA_BITS}" in problem.message
    assert elapsed < _QUICK


@pytest.mark.parametrize(("bits", "accepted"), [(MAX_RSA_BITS, True), (MAX_RSA_BITS + 1, False), (4096, True)])
def test_the_rsa_bound_is_exact(bits, accepted):
    modulus = (1 << (bits - 1)) | 1  # public keys are not checked for primes; the size is what counts here
    text = pem(
        "PUBLIC KEY",
        rsa.RSAPublicNumbers(65537, modulus)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
    )
    if accepted:
        assert parse_key(text).keys[0].size_bits == bits
    else:
        assert _problem(text)[0] == "rsa_too_large"


@pytest.mark.parametrize("extra", [1, 1000])
def test_the_size_limit_comes_before_anything_else(big_rsa, extra):
    text = pem("RSA PRIVATE KEY", big_rsa["pkcs1"])
    code, message = _problem(text, max_size=len(text) - extra)
    assert code == "key_too_large" and f"{len(text):,}" in message
    assert parse_key("x" * 64, max_size=64).form == "secret"


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN A-----\n" * 12_000,
        "-----BEGIN PUBLIC KEY-----\n" + "A" * 200_000,
        '"' * 200_000,
        "'" * 100_000 + "x" + "'" * 100_000,
        "[" * 50 + "]" * 50 + " " * 200_000,
        "a b\n" * 60_000,
        'from="' + "x " * 100_000,
        "ssh-rsa " + "A" * 200_000,
        "30" * 100_000,
        "MII" + "A" * 200_000,
        "---- BEGIN SSH2 PUBLIC KEY ----\n" * 8000,
        "{" * 10_000,
    ],
    ids=lambda t: repr(t[:16]),
)
def test_hostile_text_is_answered_quickly(text):
    started = time.perf_counter()
    try:
        parse_key(text)
    except InputError as exc:
        assert exc.problem.segment == "key"
    assert time.perf_counter() - started < _QUICK


# -- the parsed-key cache: formatting variants of one key are one entry ---------------------------------------


def _variants(family: str) -> list[str]:
    m = material(family)
    spki = m.der("pkcs8")
    body = pem("PRIVATE KEY", spki)
    return [
        body,
        pem("PRIVATE KEY", spki, 76),
        body.replace("\n", "\r\n"),
        body.replace("\n", "   \n"),
        "\ufeff" + body + "\n\n",
        "key.pem:\n" + body + "(generated for tests)\n",
        b64(spki),
        wrapped(b64(spki), 70),
        spki.hex(),
    ]


@pytest.mark.parametrize("family", ["rsa", "ec", "ed"])
def test_formatting_variants_hit_one_cache_entry(family):
    variants = _variants(family)
    first = parse_key(variants[0])
    before = cache_info()
    for text in variants[1:]:
        assert parse_key(text).keys[0].thumbprint == first.keys[0].thumbprint
    after = cache_info()
    # No variant loaded the key again (a text seen before may even stop at the exact-text cache).
    assert after.misses == before.misses and after.hits > before.hits


def test_reindented_json_hits_the_same_entry():
    jwks = {"keys": [material("rsa").jwk(private=True, kid="a"), material("ec").jwk(kid="b")]}
    parse_key(json.dumps(jwks))
    before = cache_info()
    for text in (
        json.dumps(jwks, indent=4),
        json.dumps(jwks, indent="\t").replace("\n", "\r\n"),
        " " + json.dumps(jwks),
    ):
        assert [k.kid for k in parse_key(text).keys] == ["a", "b"]
    assert cache_info().misses == before.misses


def test_a_utf8_secret_keeps_its_spaces():
    assert parse_key(" s3cret ").keys[0].key.get_op_key("verify") == b" s3cret "
    assert parse_key("s3cret").keys[0].key.get_op_key("verify") == b"s3cret"
    assert parse_key("s3cret\r\n").keys[0].key.get_op_key("verify") == b"s3cret\r\n"


# -- RFC 7518 §6.2 and RFC 8037 §2: what a JWK must not be ----------------------------------------------------

_EC = [(ec.SECP256R1(), "P-256", 32), (ec.SECP384R1(), "P-384", 48), (ec.SECP521R1(), "P-521", 66)]
_SECTIONS = {"x": "§6.2.1.2", "y": "§6.2.1.3", "d": "§6.2.2.1"}


@pytest.mark.parametrize(("curve", "crv", "size"), _EC, ids=[c[1] for c in _EC])
@pytest.mark.parametrize("member", ["x", "y", "d"])
@pytest.mark.parametrize("change", ["leading zero added", "leading zero dropped"])
def test_ec_coordinates_of_the_wrong_length(curve, crv, size, member, change):
    for _ in range(5000):  # a leading zero byte to drop comes once in 256 keys (every other key for P-521)
        native = ec.generate_private_key(curve)
        jwk = dict(ECKey.import_key(native).as_dict(private=True))
        raw = _unb64url(jwk[member])
        if change == "leading zero added" or raw[0] == 0:
            break
    raw = b"\x00" + raw if change == "leading zero added" else raw[1:]
    assert len(raw) != size
    jwk[member] = b64url(raw)
    parsed = parse_key(json.dumps(jwk)).keys[0]
    expected = f"is {len(raw)} bytes; RFC 7518 {_SECTIONS[member]} requires exactly {size} bytes for {crv}"
    assert any(expected in v for v in parsed.violations)
    # The thumbprint is the key's, as its PEM form gives it.
    spki = native.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert parsed.thumbprint == parse_key(spki.decode()).keys[0].thumbprint


@pytest.mark.parametrize(("curve", "crv", "size"), _EC[:1], ids=["P-256"])
def test_ec_jwk_of_the_right_length_has_no_violation(curve, crv, size):
    jwk = ECKey.import_key(ec.generate_private_key(curve)).as_dict(private=True)
    assert all(len(_unb64url(jwk[m])) == size for m in "xyd")
    assert parse_key(json.dumps(jwk)).keys[0].violations == ()


_OKP = [
    (ed25519.Ed25519PrivateKey, "Ed25519", 32),
    (ed448.Ed448PrivateKey, "Ed448", 57),
    (x25519.X25519PrivateKey, "X25519", 32),
]


def _okp(cls) -> dict[str, str]:
    return dict(OKPKey.import_key(cls.generate()).as_dict(private=True))


@pytest.mark.parametrize(("cls", "crv", "size"), _OKP, ids=[o[1] for o in _OKP])
@pytest.mark.parametrize("delta", [-1, 1])
def test_okp_public_x_or_d_of_the_wrong_length_cannot_be_read(cls, crv, size, delta):
    jwk = _okp(cls)
    for member, value in (("x", {"kty": "OKP", "crv": crv, "x": jwk["x"]}), ("d", dict(jwk))):
        raw = _unb64url(value[member])
        value[member] = b64url(raw[:delta] if delta < 0 else raw + b"\x00")
        code, message = _problem(json.dumps(value))
        assert code == "jwk_invalid" and "RFC 8037 §2" in message and f"requires {size} bytes for {crv}" in message


@pytest.mark.parametrize(("cls", "crv", "size"), _OKP, ids=[o[1] for o in _OKP])
def test_okp_private_jwk_whose_x_is_not_ds(cls, crv, size):
    jwk, other = _okp(cls), _okp(cls)
    truth = parse_key(json.dumps(jwk)).keys[0]
    assert truth.violations == ()
    wrong = {**jwk, "x": other["x"]}
    parsed = parse_key(json.dumps(wrong))
    key = parsed.keys[0]
    assert any("x is not the public key of its d (RFC 8037 §2)" in v for v in key.violations)
    # Thumbprint, public form and conversions describe the key d gives, never the pasted x.
    assert key.thumbprint == truth.thumbprint
    assert json.loads(parsed.public_text() or "{}")["x"] == jwk["x"]
    converted = convert_key(json.dumps(wrong), to="jwk", private=False)
    assert converted.keys[0].jwk["x"] == jwk["x"] and converted.thumbprint == truth.thumbprint  # type: ignore[index]
    assert converted.keys[0].kid == truth.thumbprint


@pytest.mark.parametrize(("cls", "crv", "size"), _OKP, ids=[o[1] for o in _OKP])
def test_okp_private_jwk_with_a_short_x_is_a_violation(cls, crv, size):
    jwk = _okp(cls)
    wrong = {**jwk, "x": b64url(_unb64url(jwk["x"])[:-1])}
    key = parse_key(json.dumps(wrong)).keys[0]
    assert any(f"x is {size - 1} bytes; RFC 8037 §2 requires {size} bytes" in v for v in key.violations)
    assert key.thumbprint == parse_key(json.dumps(jwk)).keys[0].thumbprint
