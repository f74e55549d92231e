"""RSA-OAEP-384 and RSA-OAEP-512, round-tripped against jwcrypto in both directions.

jwcrypto 1.6 does not register them either, so the test teaches it the two names with its own RSA-OAEP
machinery (cryptography's OAEP with SHA-384 / SHA-512): jwcrypto frames and parses the JWE, not joserfc.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from jwcrypto import jwa as cjwa
from jwcrypto import jwe as cjwe
from jwcrypto import jwk as cjwk
from jwtlens.core import InputError
from jwtlens.core.jwe import JWE_ALGORITHMS, decode_jwe, decrypt_jwe, encrypt_jwe
from jwtlens.core.keytools import generate_key

HASHES = {"RSA-OAEP-384": hashes.SHA384, "RSA-OAEP-512": hashes.SHA512}
ENCS = ("A128GCM", "A256GCM", "A128CBC-HS256", "A256CBC-HS512")


@pytest.fixture(scope="module")
def oracle() -> Iterator[list[str]]:
    """jwcrypto with the two algorithms registered for this module only; yields the algs it may use."""
    added = {}
    for name, hash_type in HASHES.items():

        def init(self: object, hash_type: type[hashes.HashAlgorithm] = hash_type) -> None:
            cjwa._RSA.__init__(self, padding.OAEP(padding.MGF1(hash_type()), hash_type(), None))

        added[name] = type(
            name.replace("-", "_"), (cjwa._RsaOaep256,), {"name": name, "description": name, "__init__": init}
        )
    with pytest.MonkeyPatch.context() as patch:
        for name, cls in added.items():
            patch.setitem(cjwa.JWA.algorithms_registry, name, cls)
        yield [*HASHES, *ENCS]


@pytest.fixture(scope="module")
def rsa_key():
    return generate_key("RSA", 3072, kid="oaep")


def _header(token: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


def test_both_are_offered() -> None:
    assert {"RSA-OAEP-384", "RSA-OAEP-512"} <= set(JWE_ALGORITHMS)


@pytest.mark.parametrize("enc", ENCS)
@pytest.mark.parametrize("alg", list(HASHES))
def test_jwtlens_to_jwcrypto(alg: str, enc: str, oracle: list[str], rsa_key) -> None:
    token = encrypt_jwe({"alg": alg, "enc": enc, "kid": "oaep"}, f"to jwcrypto {alg} {enc}", rsa_key.public_pem)
    assert _header(token)["alg"] == alg
    reader = cjwe.JWE(algs=oracle)
    reader.deserialize(token, cjwk.JWK(**rsa_key.private_jwk))
    assert reader.payload == f"to jwcrypto {alg} {enc}".encode()


@pytest.mark.parametrize("enc", ENCS)
@pytest.mark.parametrize("alg", list(HASHES))
def test_jwcrypto_to_jwtlens(alg: str, enc: str, oracle: list[str], rsa_key) -> None:
    writer = cjwe.JWE(f"from jwcrypto {alg}".encode(), json.dumps({"alg": alg, "enc": enc}), algs=oracle)
    writer.add_recipient(cjwk.JWK(**rsa_key.public_jwk))
    token = writer.serialize(compact=True)
    assert decode_jwe(token).alg == alg and not any(f.code == "jwe_alg_unknown" for f in decode_jwe(token).findings)
    for key in (rsa_key.private_pem, json.dumps(rsa_key.private_jwk)):
        result = decrypt_jwe(token, key)
        assert result.ok and result.plaintext == f"from jwcrypto {alg}", result.message


def test_the_hash_is_part_of_the_algorithm(oracle: list[str], rsa_key) -> None:
    token = encrypt_jwe({"alg": "RSA-OAEP-384", "enc": "A128GCM"}, "x", rsa_key.public_pem)
    parts = token.split(".")
    for other in ("RSA-OAEP-256", "RSA-OAEP-512"):
        relabelled = json.dumps({"alg": other, "enc": "A128GCM"}).encode()
        forged = ".".join([base64.urlsafe_b64encode(relabelled).rstrip(b"=").decode(), *parts[1:]])
        result = decrypt_jwe(forged, rsa_key.private_pem)
        assert not result.ok and result.failure == "key_failed", result.message
    assert decrypt_jwe(token, rsa_key.private_pem).ok


@pytest.mark.parametrize("alg", list(HASHES))
def test_a_small_key_is_refused_as_for_the_other_oaeps(alg: str) -> None:
    small = rsa.generate_private_key(65537, 1536)  # OAEP with SHA-512 cannot fit a CEK in 1024 bits
    private = small.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    public = small.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(InputError) as caught:
        encrypt_jwe({"alg": alg, "enc": "A128GCM"}, "x", public)
    assert caught.value.problem.code == "key_forbidden" and "RFC 7518 §4.3" in caught.value.problem.message
    token = encrypt_jwe({"alg": alg, "enc": "A128GCM"}, "x", public, allow_weak_keys=True)
    refused = decrypt_jwe(token, private)
    assert refused.failure == "forbidden" and "1536 bits" in refused.message
    assert decrypt_jwe(token, private, allow_weak_keys=True).plaintext == "x"
