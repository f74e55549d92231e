"""The JWS algorithms jwtlens verifies and signs, and what key each needs."""

from __future__ import annotations

from dataclasses import dataclass

from joserfc.jwa import JWSAlgModel
from joserfc.jws import JWSRegistry  # importing joserfc.jws registers ES256K and the EdDSA variants

from .akp import AKP_ALGS, MLDSAAlgorithm

__all__ = ["ALGORITHMS", "SUPPORTED", "AlgSpec", "implementation", "spec_for"]


@dataclass(frozen=True)
class AlgSpec:
    name: str
    kty: str  # "oct", "RSA", "EC", "OKP", "AKP"
    description: str
    #: HMAC: bytes of hash output (RFC 7518 §3.2 minimum secret size); EC/OKP: allowed curves
    hash_bytes: int = 0
    curves: tuple[str, ...] = ()


ALGORITHMS: tuple[AlgSpec, ...] = (
    AlgSpec("HS256", "oct", "HMAC using SHA-256", hash_bytes=32),
    AlgSpec("HS384", "oct", "HMAC using SHA-384", hash_bytes=48),
    AlgSpec("HS512", "oct", "HMAC using SHA-512", hash_bytes=64),
    AlgSpec("RS256", "RSA", "RSASSA-PKCS1-v1_5 using SHA-256"),
    AlgSpec("RS384", "RSA", "RSASSA-PKCS1-v1_5 using SHA-384"),
    AlgSpec("RS512", "RSA", "RSASSA-PKCS1-v1_5 using SHA-512"),
    AlgSpec("PS256", "RSA", "RSASSA-PSS using SHA-256"),
    AlgSpec("PS384", "RSA", "RSASSA-PSS using SHA-384"),
    AlgSpec("PS512", "RSA", "RSASSA-PSS using SHA-512"),
    AlgSpec("ES256", "EC", "ECDSA using P-256 and SHA-256", curves=("P-256",)),
    AlgSpec("ES384", "EC", "ECDSA using P-384 and SHA-384", curves=("P-384",)),
    AlgSpec("ES512", "EC", "ECDSA using P-521 and SHA-512", curves=("P-521",)),
    AlgSpec("ES256K", "EC", "ECDSA using secp256k1 and SHA-256", curves=("secp256k1",)),
    AlgSpec("EdDSA", "OKP", "EdDSA (Ed25519 or Ed448)", curves=("Ed25519", "Ed448")),
    AlgSpec("Ed25519", "OKP", "EdDSA using Ed25519 (RFC 9864)", curves=("Ed25519",)),
    AlgSpec("Ed448", "OKP", "EdDSA using Ed448 (RFC 9864)", curves=("Ed448",)),
    AlgSpec("ML-DSA-44", "AKP", "ML-DSA-44 (FIPS 204, RFC 9964)"),
    AlgSpec("ML-DSA-65", "AKP", "ML-DSA-65 (FIPS 204, RFC 9964)"),
    AlgSpec("ML-DSA-87", "AKP", "ML-DSA-87 (FIPS 204, RFC 9964)"),
)
SUPPORTED: tuple[str, ...] = tuple(a.name for a in ALGORITHMS)
_BY_NAME = {a.name: a for a in ALGORITHMS}
#: joserfc 1.8 has no ML-DSA: jwtlens's own models (app/core/keys/akp.py)
_OWN: dict[str, JWSAlgModel] = {name: MLDSAAlgorithm(name) for name in AKP_ALGS}


def spec_for(name: str) -> AlgSpec | None:
    return _BY_NAME.get(name)


def implementation(name: str) -> JWSAlgModel:
    """joserfc's implementation, taken from its registry without its allowlist or warnings."""
    return _OWN.get(name) or JWSRegistry.algorithms[name]


def suggest(name: str) -> str | None:
    """A supported name that differs from ``name`` only in case, e.g. 'hs256' -> 'HS256'."""
    for known in SUPPORTED:
        if known.lower() == name.lower():
            return known
    return None
