"""OpenID Connect token hashes (at_hash, c_hash): the hash follows the algorithm and, for EdDSA, the key."""

from __future__ import annotations

import base64
import hashlib

__all__ = ["oidc_hash"]


def oidc_hash(value: str, alg: str, curve: str | None = None) -> str | None:
    """base64url of the left half of the hash of the exact bytes of ``value`` (OIDC Core §3.1.3.6).

    The hash is the one the JWS algorithm uses; EdDSA's depends on the curve of the key that verified
    the token (OpenID's token hash algorithms: Ed25519 SHA-512, Ed448 SHAKE256 with 114 bytes).
    None when it cannot be known (an unknown alg, or EdDSA without a verifying key).
    """
    data = value.encode("utf-8", "surrogatepass")
    if alg in ("EdDSA", "Ed25519", "Ed448"):
        curve = alg if alg != "EdDSA" else curve
        if curve == "Ed25519":
            digest = hashlib.sha512(data).digest()
        elif curve == "Ed448":
            digest = hashlib.shake_256(data).digest(114)
        else:
            return None
    elif (alg[-3:] == "256" and alg[:2] in ("HS", "RS", "PS", "ES")) or alg == "ES256K":
        digest = hashlib.sha256(data).digest()
    elif alg[-3:] == "384" and alg[:2] in ("HS", "RS", "PS", "ES"):
        digest = hashlib.sha384(data).digest()
    elif alg[-3:] == "512" and alg[:2] in ("HS", "RS", "PS", "ES"):
        digest = hashlib.sha512(data).digest()
    else:
        return None
    half = digest[: len(digest) // 2]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()
