"""Cross-checks against two independent JOSE libraries, PyJWT and jwcrypto.

Tokens they sign must verify in jwtlens; tokens jwtlens signs must verify in them, with the same claims back.
Keys are made with ``cryptography``, once per module.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwcrypto import jwk as cjwk
from jwcrypto import jws as cjws
from jwcrypto import jwt as cjwt
from jwt.algorithms import get_default_algorithms
from jwtlens.core import InputError, sign, verify

from tests.makers import b64url

#: (algorithm, key kind). RFC 9864's fully specified Ed25519 / Ed448 names are jwcrypto-only (PyJWT lacks them).
ALG_CASES = [
    ("HS256", "hmac"),
    ("HS384", "hmac"),
    ("HS512", "hmac"),
    ("RS256", "rsa"),
    ("RS384", "rsa"),
    ("RS512", "rsa"),
    ("PS256", "rsa"),
    ("PS384", "rsa"),
    ("PS512", "rsa"),
    ("ES256", "p256"),
    ("ES384", "p384"),
    ("ES512", "p521"),
    ("ES256K", "secp256k1"),
    ("EdDSA", "ed25519"),
    ("EdDSA", "ed448"),
    ("Ed25519", "ed25519"),
    ("Ed448", "ed448"),
]
PYJWT_ALGS = frozenset(get_default_algorithms())
JWCRYPTO_ALGS = frozenset(cjws.default_allowed_algs)

#: A 64-character ASCII secret: long enough for HS512 (RFC 7518 §3.2), so PyJWT's InsecureKeyLengthWarning stays off.
HMAC_TEXT = "jwtlens-crosslib-" + hashlib.sha256(b"jwtlens crosslib").hexdigest()[:47]
#: Raw secret bytes for the encoded-secret tests: not UTF-8 (0xfb), and starting with bytes that base64 spells
#: '++//' and base64url '--__', so both alphabets are exercised. 67 bytes, so base64 needs '==' padding.
HMAC_RAW = b"\xfb\xef\xff" + hashlib.sha512(b"jwtlens crosslib").digest()


@dataclass(frozen=True)
class Keys:
    kind: str
    private: Any  # a cryptography private key, or the secret bytes for HMAC
    private_text: str  # PEM (PKCS#8), or the secret as text
    public_text: str  # PEM (SPKI), or the secret as text

    @property
    def public(self) -> Any:
        return self.private if isinstance(self.private, bytes) else self.private.public_key()


def _keys(kind: str, private: Any) -> Keys:
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return Keys(kind, private, private_pem, public_pem)


def _generate(secret: str) -> dict[str, Keys]:
    return {
        "hmac": Keys("hmac", secret.encode(), secret, secret),
        "rsa": _keys("rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "p256": _keys("p256", ec.generate_private_key(ec.SECP256R1())),
        "p384": _keys("p384", ec.generate_private_key(ec.SECP384R1())),
        "p521": _keys("p521", ec.generate_private_key(ec.SECP521R1())),
        "secp256k1": _keys("secp256k1", ec.generate_private_key(ec.SECP256K1())),
        "ed25519": _keys("ed25519", ed25519.Ed25519PrivateKey.generate()),
        "ed448": _keys("ed448", ed448.Ed448PrivateKey.generate()),
    }


@pytest.fixture(scope="module")
def keys() -> dict[str, Keys]:
    return _generate(HMAC_TEXT)


@pytest.fixture(scope="module")
def strangers() -> dict[str, Keys]:
    """A second, unrelated key of each kind."""
    return _generate(HMAC_TEXT[::-1])


def claims() -> dict[str, Any]:
    now = int(time.time())
    return {"iss": "crosslib", "sub": "zoë 🔑", "iat": now, "exp": now + 3600, "roles": ["a", "b"], "n": 1.5}


# --- the other libraries, behind one interface ------------------------------------------------------------------


def _jwcrypto_key(keys: Keys, *, private: bool) -> cjwk.JWK:
    if keys.kind == "hmac":
        return cjwk.JWK(kty="oct", k=b64url(keys.private))
    return cjwk.JWK.from_pem((keys.private_text if private else keys.public_text).encode())


def pyjwt_sign(alg: str, keys: Keys, payload: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    return pyjwt.encode(payload, keys.private, algorithm=alg, headers=header)


def pyjwt_verify(alg: str, keys: Keys, token: str) -> dict[str, Any]:
    return pyjwt.decode(token, keys.public, algorithms=[alg])


def jwcrypto_sign(alg: str, keys: Keys, payload: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    token = cjwt.JWT(header={"alg": alg, **(header or {})}, claims=payload)
    token.make_signed_token(_jwcrypto_key(keys, private=True))
    return token.serialize()


def jwcrypto_verify(alg: str, keys: Keys, token: str) -> dict[str, Any]:
    checked = cjwt.JWT(jwt=token, key=_jwcrypto_key(keys, private=False), algs=[alg], expected_type="JWS")
    return json.loads(checked.claims)


SIGNERS: dict[str, Callable[..., str]] = {"pyjwt": pyjwt_sign, "jwcrypto": jwcrypto_sign}
VERIFIERS: dict[str, Callable[[str, Keys, str], dict[str, Any]]] = {
    "pyjwt": pyjwt_verify,
    "jwcrypto": jwcrypto_verify,
}
SUPPORTS = {"pyjwt": PYJWT_ALGS, "jwcrypto": JWCRYPTO_ALGS}


def _lib_params() -> list[Any]:
    return [
        pytest.param(lib, alg, kind, id=f"{lib}-{alg}" + (f"-{kind}" if alg == "EdDSA" else ""))
        for alg, kind in ALG_CASES
        for lib in ("pyjwt", "jwcrypto")
        if alg in SUPPORTS[lib]
    ]


LIB_PARAMS = _lib_params()


def test_every_algorithm_has_an_oracle():
    # Each algorithm is checked against at least one library, and PyJWT covers all it claims to.
    covered = {(p.values[1], p.values[2]) for p in LIB_PARAMS}
    assert covered == set(ALG_CASES)
    assert {alg for alg, _ in ALG_CASES} - {"Ed25519", "Ed448"} <= PYJWT_ALGS


def _assert_verified(token: str, key_text: str, alg: str, expected: dict[str, Any], **kwargs: Any) -> None:
    result = verify(token, key_text, **kwargs)
    assert result.signature.valid, result.signature.message
    assert result.signature.status == "verified"
    assert result.signature.alg == alg
    assert result.verified, result.verdict.reason
    assert result.token.payload == expected
    # A clean token from a mainstream library draws no danger finding (e.g. no "non-canonical base64url").
    assert not [f.code for f in result.findings if f.severity == "danger"]


# --- they sign, jwtlens verifies; jwtlens signs, they verify ----------------------------------------------------


@pytest.mark.parametrize(("lib", "alg", "kind"), LIB_PARAMS)
def test_other_library_signs_jwtlens_verifies(keys: dict[str, Keys], lib: str, alg: str, kind: str):
    payload = claims()
    token = SIGNERS[lib](alg, keys[kind], payload)
    _assert_verified(token, keys[kind].public_text, alg, payload)


@pytest.mark.parametrize(("lib", "alg", "kind"), LIB_PARAMS)
def test_jwtlens_signs_other_library_verifies(keys: dict[str, Keys], lib: str, alg: str, kind: str):
    payload = claims()
    token = sign({"alg": alg, "typ": "JWT"}, payload, keys[kind].private_text).token
    assert VERIFIERS[lib](alg, keys[kind], token) == payload


@pytest.mark.parametrize(("lib", "alg", "kind"), LIB_PARAMS)
def test_other_library_rejects_jwtlens_token_under_another_key(
    keys: dict[str, Keys], strangers: dict[str, Keys], lib: str, alg: str, kind: str
):
    # The check above must be able to fail: the same token against another key of the same type is refused.
    token = sign({"alg": alg}, claims(), keys[kind].private_text).token
    with pytest.raises((pyjwt.InvalidSignatureError, cjws.InvalidJWSSignature)):
        VERIFIERS[lib](alg, strangers[kind], token)
    assert not verify(token, strangers[kind].public_text).signature.valid


# --- JWK and JWKS forms, from jwcrypto ----------------------------------------------------------------------------

#: One algorithm per key type (kty and curve).
JWK_CASES = [
    ("RS256", "rsa"),
    ("ES256", "p256"),
    ("ES384", "p384"),
    ("ES512", "p521"),
    ("ES256K", "secp256k1"),
    ("EdDSA", "ed25519"),
    ("EdDSA", "ed448"),
    ("HS256", "hmac"),
]


def _public_jwk(keys: Keys) -> str:
    key = _jwcrypto_key(keys, private=True)
    # An oct key has no public half: the secret itself is what verifies.
    return key.export() if keys.kind == "hmac" else key.export_public()


@pytest.mark.parametrize(("alg", "kind"), JWK_CASES, ids=[f"{k}-{a}" for a, k in JWK_CASES])
def test_jwk_from_jwcrypto_verifies(keys: dict[str, Keys], alg: str, kind: str):
    payload = claims()
    token = jwcrypto_sign(alg, keys[kind], payload)
    public_jwk = _public_jwk(keys[kind])
    assert '"d"' not in public_jwk or kind == "hmac"
    _assert_verified(token, public_jwk, alg, payload)


@pytest.mark.parametrize(("alg", "kind"), JWK_CASES, ids=[f"{k}-{a}" for a, k in JWK_CASES])
def test_jwtlens_signs_with_private_jwk_from_jwcrypto(keys: dict[str, Keys], alg: str, kind: str):
    payload = claims()
    private_jwk = _jwcrypto_key(keys[kind], private=True).export()
    token = sign({"alg": alg}, payload, private_jwk).token
    assert jwcrypto_verify(alg, keys[kind], token) == payload


@pytest.mark.parametrize(("alg", "kind"), JWK_CASES, ids=[f"{k}-{a}" for a, k in JWK_CASES])
def test_jwks_picks_the_key_by_kid(keys: dict[str, Keys], alg: str, kind: str):
    decoy_kind = "ed25519" if kind != "ed25519" else "p256"
    own = json.loads(_public_jwk(keys[kind])) | {"kid": "own"}
    decoy = json.loads(_public_jwk(keys[decoy_kind])) | {"kid": "decoy"}
    payload = claims()
    token = pyjwt_sign(alg, keys[kind], payload, header={"kid": "own"})
    jwks = json.dumps({"keys": [decoy, own]})
    _assert_verified(token, jwks, alg, payload)
    assert verify(token, jwks).signature.key.kid == "own"
    # With the kid pointing at the decoy, nothing verifies.
    forged = pyjwt_sign(alg, keys[kind], payload, header={"kid": "decoy"})
    assert not verify(forged, jwks).signature.valid


# --- a changed character in any segment -------------------------------------------------------------------------

TAMPER_ALGS = [
    ("HS256", "hmac"),
    ("RS256", "rsa"),
    ("PS256", "rsa"),
    ("ES256", "p256"),
    ("ES512", "p521"),
    ("ES256K", "secp256k1"),
    ("EdDSA", "ed25519"),
    ("EdDSA", "ed448"),
]


def _change(token: str, segment: int, where: str) -> str:
    parts = token.split(".")
    text = parts[segment]
    i = len(text) // 2 if where == "middle" else len(text) - 1
    parts[segment] = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]
    return ".".join(parts)


@pytest.mark.parametrize("where", ["middle", "last"])
@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
@pytest.mark.parametrize(("alg", "kind"), TAMPER_ALGS, ids=[f"{a}-{k}" for a, k in TAMPER_ALGS])
def test_changed_character_is_never_valid(keys: dict[str, Keys], alg: str, kind: str, segment: int, where: str):
    token = pyjwt_sign(alg, keys[kind], claims())
    key_text = keys[kind].public_text
    assert verify(token, key_text).signature.valid  # the untouched token does verify
    changed = _change(token, segment, where)
    assert changed != token
    try:
        result = verify(changed, key_text)
    except InputError as exc:
        assert exc.problem.segment in ("header", "payload", "signature")  # unreadable: never valid either
        return
    assert not result.signature.valid
    assert not result.verified


# --- HMAC secrets given encoded ---------------------------------------------------------------------------------

ENCODED_SECRETS = {
    "hex": HMAC_RAW.hex(),
    "base64": base64.b64encode(HMAC_RAW).decode(),
    "base64url": b64url(HMAC_RAW),
}


def test_encoded_secrets_exercise_their_alphabets():
    with pytest.raises(UnicodeDecodeError):
        HMAC_RAW.decode("utf-8")
    assert ENCODED_SECRETS["base64"].startswith("++//") and ENCODED_SECRETS["base64"].endswith("==")
    assert ENCODED_SECRETS["base64url"].startswith("--__") and "=" not in ENCODED_SECRETS["base64url"]


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
@pytest.mark.parametrize("encoding", list(ENCODED_SECRETS))
def test_encoded_secret_verifies_pyjwt_token(alg: str, encoding: str):
    payload = claims()
    token = pyjwt.encode(payload, HMAC_RAW, algorithm=alg)
    _assert_verified(token, ENCODED_SECRETS[encoding], alg, payload, secret_encoding=encoding)
    # Read as UTF-8 text instead, the same characters are another key.
    assert not verify(token, ENCODED_SECRETS[encoding]).signature.valid


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
@pytest.mark.parametrize("encoding", list(ENCODED_SECRETS))
def test_jwtlens_signs_with_encoded_secret(alg: str, encoding: str):
    payload = claims()
    token = sign({"alg": alg}, payload, ENCODED_SECRETS[encoding], secret_encoding=encoding).token
    assert pyjwt.decode(token, HMAC_RAW, algorithms=[alg]) == payload


def test_utf8_secret_matches_pyjwt_bytes():
    # The default encoding: the secret's UTF-8 bytes, non-ASCII included.
    secret = "pässwörd-" + HMAC_TEXT
    payload = claims()
    token = pyjwt.encode(payload, secret.encode("utf-8"), algorithm="HS256")
    _assert_verified(token, secret, "HS256", payload)
