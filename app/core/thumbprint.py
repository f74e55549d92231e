"""RFC 7638 JWK thumbprints with SHA-256, SHA-384 and SHA-512, and RFC 9278 thumbprint URIs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from .b64 import b64url_encode
from .errors import InputError

__all__ = ["HASHES", "REQUIRED_MEMBERS", "jwk_thumbprint", "thumbprints"]

#: the members a thumbprint covers, per kty (RFC 7638 §3.2; AKP from the JOSE ML-DSA specification)
REQUIRED_MEMBERS: dict[str, tuple[str, ...]] = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "oct": ("k", "kty"),
    "AKP": ("alg", "kty", "pub"),
}
#: RFC 9278 hash names (the IANA "Named Information Hash Algorithm" names)
HASHES: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-384": hashlib.sha384,
    "sha-512": hashlib.sha512,
}
_URN = "urn:ietf:params:oauth:jwk-thumbprint"


def _canonical(jwk: Mapping[str, Any]) -> bytes:
    kty = jwk.get("kty")
    members = REQUIRED_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None:
        raise InputError("thumbprint_kty", f"No thumbprint is defined for kty {str(kty)[:16]!r}", "key")
    missing = [m for m in members if not isinstance(jwk.get(m), str)]
    if missing:
        raise InputError(
            "thumbprint_member", f"A {kty} JWK needs {', '.join(missing)} as strings for its thumbprint", "key"
        )
    # RFC 7638 §3: required members only, lexicographic order, no whitespace
    return json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), ensure_ascii=False).encode()


def jwk_thumbprint(jwk: Mapping[str, Any], hash_name: str = "sha-256") -> str:
    if hash_name not in HASHES:
        raise InputError("thumbprint_hash", f"Thumbprint hash must be {', '.join(HASHES)}", "hash")
    return b64url_encode(HASHES[hash_name](_canonical(jwk)).digest())


def thumbprints(jwk: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Every supported hash: ``{"sha-256": {"thumbprint": ..., "uri": ...}, ...}`` (the URI is RFC 9278's)."""
    canonical = _canonical(jwk)
    found = {}
    for name, digest in HASHES.items():
        value = b64url_encode(digest(canonical).digest())
        found[name] = {"thumbprint": value, "uri": f"{_URN}:{name}:{value}"}
    return found
