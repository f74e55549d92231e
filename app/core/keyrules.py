"""What the JOSE RFCs forbid about a key, whatever the signature says.

A forbidden key never yields a verified token (verdict 401 with the RFC's reason) unless the
caller passes ``allow_weak_keys`` (testing only); findings may still say more about it.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["MIN_RSA_BITS", "forbidden_use"]

#: RFC 7518 §3.3, §3.5, §4.2, §4.3: "A key of size 2048 bits or larger MUST be used"
MIN_RSA_BITS = 2048
#: HMAC: RFC 7518 §3.2, "a key of the same size as the hash output ... or larger MUST be used"
_HMAC_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}


class _KeyFacts(Protocol):
    kty: str
    size_bits: int
    #: RFC violations found when the key was read (coordinate lengths, an OKP x that is not d's)
    violations: tuple[str, ...]


def _rsa_section(alg: str) -> str | None:
    if alg.startswith("RS"):
        return "§3.3"
    if alg.startswith("PS"):
        return "§3.5"
    if alg == "RSA1_5":
        return "§4.2"
    if alg.startswith("RSA-OAEP"):
        return "§4.3"
    return None


def forbidden_use(key: _KeyFacts, alg: str) -> str | None:
    """Why the RFCs forbid using ``key`` with ``alg`` (one sentence naming the section), or None."""
    if key.violations:
        return key.violations[0]
    section = _rsa_section(alg)
    if section is not None and key.kty == "RSA" and 0 < key.size_bits < MIN_RSA_BITS:
        return f"the RSA key is {key.size_bits} bits; RFC 7518 {section} requires {MIN_RSA_BITS} bits or more for {alg}"
    need = _HMAC_BYTES.get(alg)
    if need is not None and key.kty == "oct" and key.size_bits // 8 < need:
        return (
            f"the HMAC key is {key.size_bits // 8} bytes; RFC 7518 §3.2 requires at least {need} bytes "
            f"(the hash output) for {alg}"
        )
    return None
