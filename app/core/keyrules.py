"""Which key fits a JWS algorithm, and what the JOSE RFCs forbid about a key whatever the signature says.

A forbidden key never yields a verified token (verdict 401 with the RFC's reason) unless the
caller passes ``allow_weak_keys`` (testing only); findings may still say more about it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

from joserfc.errors import (
    InvalidKeyCurveError,
    InvalidKeyTypeError,
    JoseError,
    UnsupportedKeyAlgorithmError,
    UnsupportedKeyOperationError,
    UnsupportedKeyUseError,
)

from .algorithms import AlgSpec, implementation

if TYPE_CHECKING:
    from .keys import ParsedKey

__all__ = ["MIN_RSA_BITS", "forbidden_use", "key_mismatch"]

#: RFC 7518 §3.3, §3.5, §4.2, §4.3: "A key of size 2048 bits or larger MUST be used"
MIN_RSA_BITS = 2048
#: HMAC: RFC 7518 §3.2, "a key of the same size as the hash output ... or larger MUST be used"
_HMAC_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}


class _KeyFacts(Protocol):
    # read-only, so a frozen ParsedKey fits
    @property
    def kty(self) -> str: ...
    @property
    def size_bits(self) -> int: ...
    @property
    def violations(self) -> tuple[str, ...]:
        """RFC violations found when the key was read (coordinate lengths, an OKP x that is not d's)."""


def _rsa_section(alg: str) -> str | None:
    if alg == "RSA1_5":  # before "RS": the JWE names start with it too
        return "§4.2"
    if alg.startswith("RSA-OAEP"):
        return "§4.3"
    if alg.startswith("RS"):
        return "§3.3"
    if alg.startswith("PS"):
        return "§3.5"
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


def key_mismatch(spec: AlgSpec, parsed: ParsedKey, operation: Literal["verify", "sign"] = "verify") -> str | None:
    """Why this key cannot ``operation`` with this JWS algorithm (type, curve, key_ops, use, alg), or None."""
    if parsed.kty != spec.kty:
        need = {
            "oct": "an HMAC secret",
            "RSA": "an RSA key",
            "EC": "an EC key",
            "OKP": "an Ed25519 or Ed448 key",
            "AKP": "an ML-DSA (AKP) key",
        }
        return f"{spec.name} needs {need[spec.kty]}; this is {parsed.description}"
    if spec.curves and parsed.curve not in spec.curves:
        return f"{spec.name} needs curve {' or '.join(spec.curves)}; this key is {parsed.curve}"
    key_ops = parsed.key.get("key_ops")
    if isinstance(key_ops, list) and operation not in key_ops:
        return f"the key's key_ops ({', '.join(map(str, key_ops))[:60]}) do not include '{operation}'"
    try:
        implementation(spec.name).check_key(parsed.key)
    except UnsupportedKeyUseError:
        return f"the key's use is '{parsed.jwk_use}', not 'sig'"
    except UnsupportedKeyAlgorithmError:
        return f"the key is for alg '{parsed.jwk_alg}', not {spec.name}"
    except (InvalidKeyTypeError, InvalidKeyCurveError, UnsupportedKeyOperationError, JoseError) as exc:
        return exc.description or "the key does not fit the algorithm"
    return None
