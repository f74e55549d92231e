"""Example tokens with their keys, one per algorithm, for the 'Load example' button."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from functools import cache

from joserfc.jwk import ECKey, Key, OKPKey, RSAKey

from .algorithms import SUPPORTED, spec_for
from .keytools import generate_key
from .sign import sign

__all__ = ["Example", "make_example"]


@dataclass(frozen=True)
class Example:
    alg: str
    token: str
    #: what to paste to verify: the secret, or the public key as PEM
    verify_key: str
    #: what to paste to sign: the secret, or the private key as PEM
    signing_key: str


@cache
def _key_pair(alg: str) -> tuple[str, str]:
    """(verify text, signing text), made once per process: examples never share keys with anyone."""
    spec = spec_for(alg)
    assert spec is not None
    if spec.kty == "oct":
        secret = secrets.token_urlsafe(spec.hash_bytes)
        return secret, secret
    if spec.kty == "AKP":  # ML-DSA: PEM from cryptography (joserfc has no AKP key class)
        made = generate_key("AKP", alg=alg)
        assert made.public_pem is not None and made.private_pem is not None
        return made.public_pem, made.private_pem
    key: Key
    if spec.kty == "RSA":
        key = RSAKey.generate_key(2048)
    elif spec.kty == "EC":
        key = ECKey.generate_key(spec.curves[0])
    else:
        key = OKPKey.generate_key("Ed448" if spec.curves[0] == "Ed448" else "Ed25519")
    return key.as_pem(private=False).decode(), key.as_pem(private=True).decode()


def make_example(alg: str, now: float | None = None) -> Example:
    if alg not in SUPPORTED:
        alg = "HS256"
    verify_key, signing_key = _key_pair(alg)
    issued = int(time.time() if now is None else now)
    header = {"alg": alg, "typ": "JWT", "kid": f"example-{alg.lower()}"}
    payload = {
        "iss": "https://issuer.example",
        "sub": "user-1234",
        "aud": "jwtlens-demo",
        "name": "Ada Lovelace",
        "iat": issued,
        "exp": issued + 3600,
    }
    token = sign(header, payload, signing_key).token
    return Example(alg, token, verify_key, signing_key)
