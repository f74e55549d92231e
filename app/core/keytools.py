"""Making keys and changing their form: PEM to JWK and back, a JWKS of public keys, RFC 7638 thumbprints."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x448, x25519
from joserfc.jwk import ECKey, Key, OctKey, OKPKey, RSAKey

from .akp import AKP_ALGS, AKPKey, generate_akp
from .errors import InputError
from .keys import DEFAULT_MAX_KEY, ParsedKey, parse_key
from .thumbprint import thumbprints
from .x5c import ChainCheck, check_jwk_x5c

__all__ = [
    "EC_CURVES",
    "KTYS",
    "OCT_SIZES",
    "OKP_CURVES",
    "RSA_SIZES",
    "ConvertedKey",
    "GeneratedKey",
    "KeyConversion",
    "convert_key",
    "generate_key",
]

KTYS: tuple[str, ...] = ("RSA", "EC", "OKP", "oct", "AKP")
RSA_SIZES: tuple[int, ...] = (2048, 3072, 4096)
EC_CURVES: tuple[str, ...] = ("P-256", "P-384", "P-521", "secp256k1")
OKP_CURVES: tuple[str, ...] = ("Ed25519", "Ed448", "X25519", "X448")
#: HMAC / AES secrets, in bits (128 and 192 for A128KW, A192KW and dir with the AES content encryptions)
OCT_SIZES: tuple[int, ...] = (128, 192, 256, 384, 512)
_DEFAULTS: dict[str, int | str] = {"RSA": 2048, "EC": "P-256", "OKP": "Ed25519", "oct": 256, "AKP": "ML-DSA-65"}
_EC_CLASSES: dict[str, type[ec.EllipticCurve]] = {
    "P-256": ec.SECP256R1,
    "P-384": ec.SECP384R1,
    "P-521": ec.SECP521R1,
    "secp256k1": ec.SECP256K1,
}
_OKP_CLASSES: dict[str, Any] = {
    "Ed25519": ed25519.Ed25519PrivateKey,
    "Ed448": ed448.Ed448PrivateKey,
    "X25519": x25519.X25519PrivateKey,
    "X448": x448.X448PrivateKey,
}
#: key_ops a public key can keep (RFC 7517 §4.3); the others need the private key
_PUBLIC_OPS = ("verify", "encrypt", "wrapKey")


@dataclass(frozen=True)
class GeneratedKey:
    """A new key in every form a user may need; PEM fields are None for an HMAC secret."""

    kty: str
    #: "RSA 2048-bit", "EC P-256", "OKP Ed25519", "secret (32 bytes)"
    description: str
    kid: str
    #: RFC 7638 JWK thumbprint (SHA-256, base64url)
    thumbprint: str
    private_jwk: dict[str, Any]
    #: None for a secret: it has no public half, and must never be shown as something to share
    public_jwk: dict[str, Any] | None
    #: public keys only: ``{"keys": [public_jwk]}``; empty for a secret
    jwks: dict[str, Any]
    private_pem: str | None
    public_pem: str | None
    #: RFC 7638 thumbprints by hash (sha-256, sha-384, sha-512), each with its RFC 9278 URI
    thumbprints: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyConversion:
    """One key, converted."""

    kty: str
    description: str
    kid: str | None
    thumbprint: str
    #: the output holds private key material
    private: bool
    jwk: dict[str, Any] | None = None
    pem: str | None = None
    thumbprints: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the JWK's x5c chain, when it carries one
    x5c: ChainCheck | None = None


@dataclass(frozen=True)
class ConvertedKey:
    """What ``convert_key`` made: one entry per input key (a JWKS gives several)."""

    #: what the input was, from parse_key: "pem", "jwk", "jwks", "certificate", "ssh", "secret"
    form: str
    label: str
    to: Literal["jwk", "pem"]
    keys: tuple[KeyConversion, ...]
    #: the public keys as a JWKS (HMAC secrets are left out)
    jwks: dict[str, Any]
    #: ready to copy: one JWK (a JWKS when the input was one) as JSON, or the PEM blocks one after another
    output: str

    @property
    def thumbprint(self) -> str:
        return self.keys[0].thumbprint


def _keygen_error(message: str, segment: str) -> InputError:
    return InputError("keygen_invalid", message, segment)


def _choices(values: tuple[object, ...]) -> str:
    words = [str(v) for v in values]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _check_request(kty: str, size: int | None, crv: str | None, alg: str | None = None) -> int | str:
    """The size (RSA, oct) or curve (EC, OKP) asked for, or an InputError naming the allowed values."""
    if kty not in KTYS:
        hint = next((k for k in KTYS if k.lower() == str(kty).lower()), None)
        extra = f"; key types are case-sensitive: did you mean {hint}?" if hint else ""
        raise _keygen_error(f"Unknown key type '{str(kty)[:20]}': choose {_choices(KTYS)}{extra}", "kty")
    if kty == "AKP":  # an ML-DSA key is one parameter set, named by alg
        if size is not None or crv is not None:
            raise _keygen_error("AKP keys take alg (ML-DSA-44, ML-DSA-65 or ML-DSA-87), not a size or curve", "alg")
        chosen_alg = _DEFAULTS["AKP"] if alg is None else alg
        if chosen_alg not in AKP_ALGS:
            raise _keygen_error(f"AKP alg must be {_choices(AKP_ALGS)}; '{str(alg)[:20]}' is not offered", "alg")
        return chosen_alg
    if alg is not None:
        raise _keygen_error(f"alg chooses an AKP (ML-DSA) parameter set; {kty} keys take no alg here", "alg")
    if kty in ("RSA", "oct"):
        if crv is not None:
            raise _keygen_error(f"{kty} keys have no curve; give a size instead", "crv")
        allowed_sizes = RSA_SIZES if kty == "RSA" else OCT_SIZES
        chosen = _DEFAULTS[kty] if size is None else size
        if isinstance(chosen, bool) or chosen not in allowed_sizes:
            raise _keygen_error(
                f"{kty} key size must be {_choices(allowed_sizes)} bits; {str(size)[:12]} is not offered", "size"
            )
        return chosen
    if size is not None:
        raise _keygen_error(f"{kty} keys take a curve (crv), not a size", "size")
    curves = EC_CURVES if kty == "EC" else OKP_CURVES
    chosen_curve = _DEFAULTS[kty] if crv is None else crv
    if chosen_curve not in curves:
        raise _keygen_error(f"{kty} curve must be {_choices(curves)}; '{str(crv)[:20]}' is not offered", "crv")
    return chosen_curve


def _native_pems(native: Any) -> tuple[str, str]:
    return _private_pem(native), _public_pem(native.public_key())


def _private_pem(native_private: Any) -> str:
    data: bytes = native_private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return data.decode("ascii")


def _public_pem(native_public: Any) -> str:
    data: bytes = native_public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data.decode("ascii")


def _ordered(jwk: dict[str, Any], kid: str | None) -> dict[str, Any]:
    """kty first, then kid, then the rest as joserfc wrote them."""
    ordered: dict[str, Any] = {"kty": jwk["kty"]}
    if kid is not None:
        ordered["kid"] = kid
    ordered.update((k, v) for k, v in jwk.items() if k not in ("kty", "kid"))
    return ordered


def generate_key(
    kty: str, size: int | None = None, crv: str | None = None, kid: str | None = None, alg: str | None = None
) -> GeneratedKey:
    """Make a new key; ``kid`` defaults to its RFC 7638 thumbprint. No ``use`` is set; ``alg`` only for AKP."""
    choice = _check_request(kty, size, crv, alg)
    if kid is not None and (not isinstance(kid, str) or not kid.strip()):
        raise _keygen_error("kid must be a non-empty string (leave it out to use the thumbprint)", "kid")
    key: Key
    private_pem: str | None = None
    public_pem: str | None = None
    if kty == "oct":
        assert isinstance(choice, int)
        raw = secrets.token_bytes(choice // 8)
        key, description = OctKey(raw, raw), f"secret ({choice // 8} bytes)"
    elif kty == "RSA":
        assert isinstance(choice, int)
        native_rsa = rsa.generate_private_key(65537, choice)
        key, description = RSAKey(native_rsa, native_rsa), f"RSA {choice}-bit"
        private_pem, public_pem = _native_pems(native_rsa)
    elif kty == "AKP":
        native_akp = generate_akp(str(choice))
        key, description = AKPKey(native_akp, native_akp), f"AKP {choice}"  # type: ignore[assignment]
        private_pem, public_pem = _native_pems(native_akp)
    elif kty == "EC":
        native_ec = ec.generate_private_key(_EC_CLASSES[str(choice)]())
        key, description = ECKey(native_ec, native_ec), f"EC {choice}"
        private_pem, public_pem = _native_pems(native_ec)
    else:
        native_okp = _OKP_CLASSES[str(choice)].generate()
        key, description = OKPKey(native_okp, native_okp), f"OKP {choice}"
        private_pem, public_pem = _native_pems(native_okp)
    thumbprint = key.thumbprint()
    kid = kid if kid is not None else thumbprint
    private_jwk = _ordered(dict(key.as_dict(private=True)), kid)
    public_jwk = _ordered(dict(key.as_dict(private=False)), kid) if kty != "oct" else None
    return GeneratedKey(
        kty=kty,
        description=description,
        kid=kid,
        thumbprint=thumbprint,
        private_jwk=private_jwk,
        public_jwk=public_jwk,
        jwks={"keys": [public_jwk] if public_jwk is not None else []},
        private_pem=private_pem,
        public_pem=public_pem,
        thumbprints=thumbprints(private_jwk),
    )


def _public_jwk(key: Key, kid: str) -> dict[str, Any]:
    """The public JWK; a JWK's own members (use, alg...) stay, key_ops only those a public key can do."""
    jwk = _ordered(dict(key.as_dict(private=False)), kid)
    ops = jwk.get("key_ops")
    if isinstance(ops, list):
        kept = [op for op in ops if op in _PUBLIC_OPS]
        if kept:
            jwk["key_ops"] = kept
        else:
            del jwk["key_ops"]
    return jwk


def _where(parsed: ParsedKey, count: int) -> str:
    return f"Key {parsed.index + 1} of the JWKS" if count > 1 else "The key"


def _convert_one(
    parsed: ParsedKey, to: Literal["jwk", "pem"], private: bool | None, count: int, anchors: str | None = None
) -> tuple[KeyConversion, dict[str, Any] | None]:
    """The converted key, and its public JWK for the JWKS (None for a secret)."""
    where = _where(parsed, count)
    if parsed.kty == "oct":
        if to == "pem":
            raise InputError(
                "convert_no_pem",
                f"{where} is an HMAC secret ({parsed.description}): HMAC secrets have no PEM form; convert it to a JWK",
                "key",
            )
        if private is False:
            raise InputError(
                "convert_no_public",
                f"{where} is an HMAC secret: it has no public half, so there is no public JWK to give",
                "key",
            )
    elif private and not parsed.private:
        raise InputError(
            "convert_not_private",
            f"{where} is a public key ({parsed.description}): a private key cannot be made from it",
            "key",
        )
    out_private = parsed.private if private is None else private
    kid = parsed.kid if parsed.kid is not None else parsed.thumbprint
    public_jwk = None if parsed.kty == "oct" else _public_jwk(parsed.key, kid)
    members = dict(parsed.key.as_dict(private=False))
    prints = thumbprints(members)
    chain = check_jwk_x5c(members, parsed.key.public_key, anchors) if parsed.kty != "oct" else None
    if to == "pem":
        pem = _private_pem(parsed.key.private_key) if out_private else _public_pem(parsed.key.public_key)
        conversion = KeyConversion(
            parsed.kty, parsed.description, kid, parsed.thumbprint, out_private, pem=pem, thumbprints=prints, x5c=chain
        )
        return conversion, public_jwk
    if out_private:
        jwk = _ordered(dict(parsed.key.as_dict(private=True)), kid)
    else:
        assert public_jwk is not None
        jwk = public_jwk
    conversion = KeyConversion(
        parsed.kty, parsed.description, kid, parsed.thumbprint, out_private, jwk=jwk, thumbprints=prints, x5c=chain
    )
    return conversion, public_jwk


def convert_key(
    text: str,
    *,
    to: Literal["jwk", "pem"],
    private: bool | None = None,
    secret_encoding: str = "utf8",
    max_key: int = DEFAULT_MAX_KEY,
    trust_anchors: str | None = None,
) -> ConvertedKey:
    """Read any key ``parse_key`` reads and write it as a JWK or PEM (SPKI public, PKCS#8 private).

    ``private``: None keeps each key as it is, False gives the public half, True insists on the private key.
    A JWK without a kid gets its thumbprint as kid. A JWKS converts every key. A JWK's x5c chain is
    described, checked against the JWK's key, and validated against ``trust_anchors`` (PEM) when given.
    """
    if to not in ("jwk", "pem"):
        raise InputError("convert_invalid", f"Convert to 'jwk' or 'pem', not '{str(to)[:12]}'", "to")
    key_input = parse_key(text, secret_encoding, max_size=max_key)
    count = len(key_input.keys)
    converted = [_convert_one(parsed, to, private, count, trust_anchors) for parsed in key_input.keys]
    keys = tuple(c for c, _ in converted)
    jwks = {"keys": [public for _, public in converted if public is not None]}
    if to == "pem":
        output = "".join(k.pem or "" for k in keys)
    elif key_input.is_set:
        output = json.dumps({"keys": [k.jwk for k in keys]}, indent=2)
    else:
        output = json.dumps(keys[0].jwk, indent=2)
    return ConvertedKey(key_input.form, key_input.label, to, keys, jwks, output)
