"""Private RSA keys are checked for consistency in microseconds, never by OpenSSL's seconds-long GIL-holding check."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey
from jwtlens.core import InputError, sign, verify
from jwtlens.core.keys import parse_key

from tests.makers import b64url_uint

MEMBERS = ("n", "e", "d", "p", "q", "dp", "dq", "qi")


def _int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


@pytest.fixture(scope="module")
def big() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 8192)  # the largest size jwtlens reads


def _forms(key: rsa.RSAPrivateKey) -> dict[str, str]:
    def pem(fmt: serialization.PrivateFormat) -> str:
        return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()

    return {
        "pkcs8": pem(serialization.PrivateFormat.PKCS8),
        "pkcs1": pem(serialization.PrivateFormat.TraditionalOpenSSL),
        "openssh": pem(serialization.PrivateFormat.OpenSSH),
        "jwk": json.dumps(RSAKey(key, key).as_dict(private=True)),
    }


@pytest.mark.parametrize("form", ["pkcs8", "pkcs1", "openssh", "jwk"])
def test_an_8192_bit_private_key_loads_without_the_slow_check(big, form):
    text = _forms(big)[form]
    started = time.perf_counter()
    parsed = parse_key(text + "\n")  # a new text: no cache can answer
    elapsed = time.perf_counter() - started
    assert parsed.keys[0].description == "RSA 8192-bit" and parsed.keys[0].private
    assert elapsed < 2.0  # generous: OpenSSL's own check takes 5 to 14 s here; this takes milliseconds


@pytest.mark.parametrize("member", MEMBERS)
def test_a_private_jwk_whose_members_disagree_is_refused(member):
    key = rsa.generate_private_key(65537, 2048)
    data = RSAKey(key, key).as_dict(private=True)
    data[member] = b64url_uint(_int(data[member]) + 2)
    with pytest.raises(InputError) as info:
        parse_key(json.dumps(data))
    assert info.value.problem.segment == "key" and data[member] not in info.value.problem.message


def test_the_checked_key_still_signs_and_verifies(big):
    token = sign({"alg": "RS256"}, {"sub": "a"}, _forms(big)["pkcs8"]).token
    public = big.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert verify(token, public.decode()).signature.valid
