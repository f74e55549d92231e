"""JWK, JWKS (also as a bare JSON array) and x5c arrays, with what RFC 7518 §6 and RFC 8037 §2 forbid in them."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, OctKey, OKPKey, RSAKey

from ..akp import AKPKey
from ..errors import InputError
from .model import MAX_KEYS, Found, ParsedKey
from .native import check_rsa_bits, checked_rsa, describe, parsed_key, read_der

__all__ = ["read_json_keys"]

_KTY_CLASSES: dict[str, type[Key]] = {"oct": OctKey, "RSA": RSAKey, "EC": ECKey, "OKP": OKPKey, "AKP": AKPKey}  # type: ignore[dict-item]
#: members that make a JWK secret, whatever its kty says (RFC 7518 §6.3.2, §6.2.2, §6.4; RFC 8037 §2)
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"})
_PUBLIC_OPS = ("verify", "encrypt", "wrapKey")
#: RFC 7518 §6.2.1.2: "the full coordinate", so exactly the curve's size in bytes
_EC_BYTES = {"P-256": 32, "P-384": 48, "P-521": 66, "secp256k1": 32}
_EC_SECTIONS = {"x": "§6.2.1.2", "y": "§6.2.1.3", "d": "§6.2.2.1"}
#: RFC 8037 §2: x is the public key, d the private key, each in the curve's fixed size
_OKP_BYTES = {"Ed25519": 32, "Ed448": 57, "X25519": 32, "X448": 56}


def _b64(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _ec_violations(data: dict[str, Any]) -> list[str]:
    size = _EC_BYTES.get(str(data.get("crv")))
    found = []
    for member, section in _EC_SECTIONS.items():
        raw = _b64(data.get(member))
        if size is not None and raw is not None and len(raw) != size:
            found.append(
                f"the EC JWK's {member} is {len(raw)} bytes; RFC 7518 {section} requires exactly {size} bytes "
                f"for {data['crv']}"
            )
    return found


def _okp_checks(data: dict[str, Any], where: str) -> list[str]:
    """Lengths RFC 8037 §2 fixes: a wrong x of a public key or a wrong d cannot be read; a wrong x beside d can."""
    size = _OKP_BYTES.get(str(data.get("crv")))
    if size is None:
        return []
    found = []
    for member in ("d", "x"):
        raw = _b64(data.get(member))
        if raw is None or len(raw) == size:
            continue
        message = f"the OKP JWK's {member} is {len(raw)} bytes; RFC 8037 §2 requires {size} bytes for {data['crv']}"
        if member == "d" or "d" not in data:
            raise InputError("jwk_invalid", f"{where} could not be imported: {message}", "key")
        found.append(message)
    return found


def _rsa_private(data: dict[str, Any]) -> rsa.RSAPrivateKey | None:
    """A private RSA JWK with every CRT member, checked cheaply (see checked_rsa); None to let joserfc read it."""
    values = [_b64(data.get(m)) for m in ("n", "e", "d", "p", "q", "dp", "dq", "qi")]
    if any(v is None for v in values):
        return None
    n, e, d, p, q, dp, dq, qi = (int.from_bytes(v or b"", "big") for v in values)
    numbers = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, rsa.RSAPublicNumbers(e, n))
    return checked_rsa(numbers.private_key(unsafe_skip_rsa_key_validation=True))


def _import(cls: type[Key], data: dict[str, Any], kty: str, where: str) -> Any:
    try:
        # joserfc's import_key without its warnings: weak keys become findings instead.
        cls.validate_dict_key(data)
        if kty == "RSA" and "d" in data:
            native = _rsa_private(data)
            if native is not None:
                return native
        return cls.binding.import_from_dict(data)
    except (JoseError, ValueError, TypeError, KeyError, binascii.Error, UnsupportedAlgorithm) as exc:
        # joserfc's and cryptography's messages name the problem ("Point is not on the curve
        # specified"), never the key's bytes; long or empty ones are replaced by ours.
        detail = exc.description if isinstance(exc, JoseError) else str(exc) if isinstance(exc, ValueError) else ""
        quotes_input = ("'" in detail and not isinstance(exc, JoseError)) or '"' in detail
        if not detail or len(detail) >= 120 or quotes_input:
            detail = "a member is missing or not valid base64url"
        raise InputError("jwk_invalid", f"{where} ({kty}) could not be imported: {detail}", "key") from None


def _public_jwk(data: dict[str, Any]) -> dict[str, Any]:
    public = {k: v for k, v in data.items() if k not in _PRIVATE_MEMBERS}
    ops = public.get("key_ops")
    if isinstance(ops, list):
        kept = [op for op in ops if op in _PUBLIC_OPS]
        if kept:
            public["key_ops"] = kept
        else:
            del public["key_ops"]
    return public


def import_jwk(data: Any, where: str, index: int = 0) -> tuple[ParsedKey, dict[str, Any] | None]:
    """The key, and its public JWK (None for an oct key)."""
    if not isinstance(data, dict):
        raise InputError("jwk_invalid", f"{where} is not a JSON object", "key")
    kty = data.get("kty")
    if not isinstance(kty, str) or not kty:
        raise InputError("jwk_invalid", f"{where} has no 'kty' (key type)", "key")
    cls = _KTY_CLASSES.get(kty)
    if cls is None:
        raise InputError(
            "jwk_invalid", f"{where} has kty '{kty[:20]}'; known types are oct, RSA, EC, OKP and AKP", "key"
        )
    violations: list[str] = []
    if kty == "RSA":
        modulus = _b64(data.get("n"))
        if modulus is not None:
            check_rsa_bits(int.from_bytes(modulus, "big").bit_length())
    elif kty == "EC":
        violations = _ec_violations(data)
    elif kty == "OKP":
        violations = _okp_checks(data, f"{where} (OKP)")
    native = _import(cls, data, kty, where)
    extra: dict[str, Any] = {
        "kid": data.get("kid") if isinstance(data.get("kid"), str) else None,
        "jwk_alg": data.get("alg") if isinstance(data.get("alg"), str) else None,
        "jwk_use": data.get("use") if isinstance(data.get("use"), str) else None,
        "index": index,
    }
    if kty == "oct":
        size = len(native)
        if not size:
            raise InputError("key_empty", f"{where} is an empty HMAC key; an empty key is never accepted", "key")
        key = cls(native, data)
        return parsed_key(key, "oct", f"secret ({size} bytes)", size * 8, None, **extra), None
    private = "d" in data or (kty == "AKP" and "priv" in data)
    if kty == "OKP" and private:
        given, derived = _b64(data.get("x")), native.public_key().public_bytes_raw()
        if given != derived and not violations:
            violations.append(
                "the OKP JWK's x is not the public key of its d (RFC 8037 §2); jwtlens uses the public key that d gives"
            )
    # The key's own members as the native key spells them: an x that is not d's is replaced, so the
    # thumbprint, the kid made from it and every export describe the key that actually signs.
    canonical = {**data, **cls.binding.convert_raw_key_to_dict(native, private)}
    key = cls(native, canonical)
    _, _, description, bits, curve = describe(native)
    parsed = parsed_key(key, kty, description, bits, curve, violations=tuple(violations), **extra)
    return parsed, _public_jwk(canonical)


def _x5c(members: list[str]) -> Found | None:
    """A JSON array of base64 DER certificates (RFC 7517 §4.7): the first one's key is the key."""
    pems = []
    leaf: ParsedKey | None = None
    for index, member in enumerate(members):
        try:
            der = base64.b64decode("".join(member.split()), validate=True)
        except (binascii.Error, ValueError):
            der = b""
        read = read_der(der) if der else None
        if read is None or read.shape != "certificate":
            if index == 0:
                return None
            raise InputError("x5c_invalid", f"Entry {index + 1} of the x5c array is not a base64 certificate", "key")
        leaf = leaf or read.parsed
        pems.append(read.public_pem)
    assert leaf is not None
    count = f"{len(members)} certificate{'s' if len(members) != 1 else ''}"
    return Found("certificate", f"x5c certificate chain (JSON array, {count})", (leaf,), False, "".join(pems))


def _jwks(members: list[Any], bare: bool) -> Found:
    if not members:
        raise InputError("jwks_invalid", "The JWKS holds no keys", "key")
    if len(members) > MAX_KEYS:
        raise InputError("jwks_invalid", f"The JWKS holds {len(members)} keys; the limit is {MAX_KEYS}", "key")
    imported = [import_jwk(m, f"Key {i + 1} of the JWKS", i) for i, m in enumerate(members)]
    keys = tuple(parsed for parsed, _ in imported)
    publics = [public for _, public in imported if public is not None]
    secret = any(isinstance(m, dict) and _PRIVATE_MEMBERS & m.keys() for m in members)
    count = f"{len(keys)} key{'s' if len(keys) != 1 else ''}"
    label = f"JWKS (bare JSON array, {count})" if bare else f"JWKS ({count})"
    public = json.dumps({"keys": publics}, indent=2) if publics else None
    return Found("jwks", label, keys, secret, public)


def read_json_keys(value: Any) -> Found | None:
    """The keys a parsed JSON value holds; None for JSON that is not shaped like a key (then a secret)."""
    if isinstance(value, dict):
        if "keys" in value:
            if not isinstance(value["keys"], list):
                raise InputError("jwks_invalid", "The JWKS 'keys' member is not an array", "key")
            return _jwks(value["keys"], bare=False)
        parsed, public = import_jwk(value, "The JWK")
        secret = bool(_PRIVATE_MEMBERS & value.keys())
        label = "JWK (HMAC secret)" if parsed.kty == "oct" else f"JWK ({'private' if parsed.private else 'public'})"
        return Found("jwk", label, (parsed,), secret, json.dumps(public, indent=2) if public else None)
    if isinstance(value, list) and value:
        if all(isinstance(m, dict) for m in value):
            return _jwks(value, bare=True)
        if all(isinstance(m, str) for m in value) and len(value) <= MAX_KEYS:
            return _x5c(value)
    return None
