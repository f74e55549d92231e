"""Reading the key a user pasted: HMAC secret, PEM, certificate, OpenSSH line, JWK or JWKS.

The format is recognised from the text alone; whether the key fits the token's
algorithm is decided by the verifier and the signer, which know the algorithm.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
    load_pem_public_key,
    load_ssh_private_key,
    load_ssh_public_key,
)
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, OctKey, OKPKey, RSAKey

from .errors import InputError
from .jsonparse import parse_json

__all__ = [
    "DEFAULT_MAX_KEY",
    "SECRET_ENCODINGS",
    "KeyInput",
    "ParsedKey",
    "SecretEncoding",
    "decode_secret",
    "looks_like_key_material",
    "parse_key",
]

SecretEncoding = Literal["utf8", "base64", "base64url", "hex"]
SECRET_ENCODINGS: tuple[str, ...] = ("utf8", "base64", "base64url", "hex")
DEFAULT_MAX_KEY = 256 * 1024
MAX_JWKS_KEYS = 100

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_SSH_PUBLIC = re.compile(r"\A(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp\d+|sk-\S+)\s")
_EC_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521", "secp256k1": "secp256k1"}
_KTY_CLASSES: dict[str, type[Key]] = {"oct": OctKey, "RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}


@dataclass(frozen=True)
class ParsedKey:
    """One usable key, with what the user should see about it."""

    key: Key
    kty: str
    #: "RSA 2048-bit", "EC P-256", "OKP Ed25519", "secret (32 bytes)"
    description: str
    private: bool
    kid: str | None
    thumbprint: str
    #: the JWK's own "alg" and "use", when it came as a JWK
    jwk_alg: str | None = None
    jwk_use: str | None = None
    curve: str | None = None
    size_bits: int = 0
    index: int = 0  # position in a JWKS
    #: what RFC 7518 / 8037 forbid about this key itself, found when reading it (see keyrules)
    violations: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyInput:
    """What the pasted text turned out to be."""

    #: "secret", "pem", "certificate", "ssh", "jwk", "jwks"
    form: str
    #: words for the UI, e.g. "PEM public key (SPKI)"
    label: str
    keys: tuple[ParsedKey, ...]

    @property
    def is_set(self) -> bool:
        return self.form == "jwks"

    def pick(self, kid: object) -> ParsedKey | None:
        """The one key to sign or encrypt with: the only key, or the only one whose kid is ``kid``."""
        if len(self.keys) == 1:
            return self.keys[0]
        matches = [k for k in self.keys if kid is not None and k.kid == kid]
        return matches[0] if len(matches) == 1 else None


def decode_secret(text: str, encoding: str) -> bytes:
    """Turn the secret text into bytes according to its encoding."""
    if encoding == "utf8":
        return text.encode("utf-8", "surrogatepass")
    compact = "".join(text.split())
    if encoding == "hex":
        bad = next((i for i, ch in enumerate(compact) if ch not in string.hexdigits), None)
        if bad is not None:
            raise InputError("secret_encoding", f"The secret is not hex: character {bad + 1} is not 0-9 or a-f", "key")
        if len(compact) % 2:
            raise InputError("secret_encoding", "The secret is not hex: it has an odd number of digits", "key")
        return bytes.fromhex(compact)
    if encoding in ("base64", "base64url"):
        alphabet = string.ascii_letters + string.digits + ("+/" if encoding == "base64" else "-_")
        core = compact.rstrip("=")
        bad = next((i for i, ch in enumerate(core) if ch not in alphabet), None)
        if bad is not None:
            raise InputError(
                "secret_encoding",
                f"The secret is not {encoding}: character {bad + 1} is outside its alphabet",
                "key",
            )
        if len(core) % 4 == 1:
            raise InputError("secret_encoding", f"The secret is not {encoding}: its length is impossible", "key")
        padded = core + "=" * (-len(core) % 4)
        try:
            if encoding == "base64":
                return base64.b64decode(padded, validate=True)
            return base64.urlsafe_b64decode(padded)
        except (binascii.Error, ValueError):
            raise InputError("secret_encoding", f"The secret is not valid {encoding}", "key") from None
    raise InputError(
        "secret_encoding",
        f"Unknown secret encoding; use one of {', '.join(SECRET_ENCODINGS)}",
        "secret_encoding",
    )


def _clean(text: str) -> str:
    return text.replace("\ufeff", "").replace("\r\n", "\n").strip()


def looks_like_key_material(text: str) -> str | None:
    """Name the kind of public-key material ``text`` is, or None if it looks like a plain secret."""
    cleaned = _clean(text)
    if "-----BEGIN" in cleaned:
        return "a PEM block"
    if _SSH_PUBLIC.match(cleaned + " "):
        return "an OpenSSH public key"
    if cleaned.startswith("{") and '"kty"' in cleaned:
        return "a JWK"
    return None


def _describe_native(native: Any) -> tuple[Key, str, str, int, str | None]:
    """Wrap a cryptography key in joserfc's class; return key, kty, description, bits, curve."""
    if isinstance(native, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        bits = native.key_size
        return RSAKey(native, native), "RSA", f"RSA {bits}-bit", bits, None
    if isinstance(native, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        curve = _EC_CURVES.get(native.curve.name)
        if curve is None:
            raise InputError(
                "key_unsupported",
                f"The EC key uses curve {native.curve.name}, which JOSE does not use "
                "(P-256, P-384, P-521 or secp256k1)",
                "key",
            )
        return ECKey(native, native), "EC", f"EC {curve}", native.curve.key_size, curve
    okp = (
        ((ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey), "Ed25519"),
        ((ed448.Ed448PrivateKey, ed448.Ed448PublicKey), "Ed448"),
        ((x25519.X25519PrivateKey, x25519.X25519PublicKey), "X25519"),
        ((x448.X448PrivateKey, x448.X448PublicKey), "X448"),
    )
    for classes, curve in okp:
        if isinstance(native, classes):
            return OKPKey(native, native), "OKP", f"OKP {curve}", 0, curve
    raise InputError(
        "key_unsupported",
        f"This {type(native).__name__.replace('_', '')} key type is not used by JOSE",
        "key",
    )


def _parsed(key: Key, kty: str, description: str, bits: int, curve: str | None, **extra: Any) -> ParsedKey:
    try:
        thumb = key.thumbprint()
    except (JoseError, ValueError, KeyError):
        thumb = ""
    return ParsedKey(
        key=key,
        kty=kty,
        description=description,
        private=bool(key.is_private) if kty != "oct" else True,
        kid=extra.pop("kid", None),
        thumbprint=thumb,
        curve=curve,
        size_bits=bits,
        **extra,
    )


def _from_native(native: Any) -> ParsedKey:
    key, kty, description, bits, curve = _describe_native(native)
    return _parsed(key, kty, description, bits, curve)


def _parse_pem(text: str) -> KeyInput:
    match = _PEM_BLOCK.search(text)
    label = match.group(1) if match else ""
    data = text.encode("utf-8", "surrogatepass")
    try:
        if label == "CERTIFICATE":
            cert = x509.load_pem_x509_certificate(data)
            return KeyInput("certificate", "X.509 certificate (its public key)", (_from_native(cert.public_key()),))
        if label in ("PUBLIC KEY", "RSA PUBLIC KEY"):
            kind = "PKCS#1" if label.startswith("RSA") else "SPKI"
            return KeyInput("pem", f"PEM public key ({kind})", (_from_native(load_pem_public_key(data)),))
        if label == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in text:
            raise InputError(
                "key_encrypted",
                "The private key is encrypted with a passphrase; decrypt it first "
                "(openssl pkey -in key.pem) and paste the result",
                "key",
            )
        if label == "OPENSSH PRIVATE KEY":
            return KeyInput("pem", "OpenSSH private key", (_from_native(load_ssh_private_key(data, None)),))
        if label.endswith("PRIVATE KEY"):
            kind = "PKCS#8" if label == "PRIVATE KEY" else f"{label.split()[0]} (traditional)"
            return KeyInput("pem", f"PEM private key ({kind})", (_from_native(load_pem_private_key(data, None)),))
    except InputError:
        raise
    except TypeError:
        raise InputError(
            "key_encrypted",
            "The private key is encrypted with a passphrase; decrypt it first and paste the result",
            "key",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        what = {
            "CERTIFICATE": "certificate",
            "PUBLIC KEY": "public key",
            "RSA PUBLIC KEY": "RSA public key",
        }.get(label, "private key" if label.endswith("PRIVATE KEY") else "key")
        raise InputError(
            "key_pem",
            f"The PEM {what} could not be read: its base64 body or its structure is damaged "
            "(check that the whole block, BEGIN to END, was copied)",
            "key",
        ) from None
    if not label:
        raise InputError("key_pem", "The PEM block has no readable '-----BEGIN ...-----' line", "key")
    raise InputError(
        "key_pem",
        f"A PEM block labelled '{label[:40]}' is not a key; paste a PUBLIC KEY, PRIVATE KEY or CERTIFICATE block",
        "key",
    )


def _import_jwk(data: Any, where: str, index: int = 0) -> ParsedKey:
    if not isinstance(data, dict):
        raise InputError("jwk_invalid", f"{where} is not a JSON object", "key")
    kty = data.get("kty")
    if not isinstance(kty, str) or not kty:
        raise InputError("jwk_invalid", f"{where} has no 'kty' (key type)", "key")
    cls = _KTY_CLASSES.get(kty)
    if cls is None:
        raise InputError("jwk_invalid", f"{where} has kty '{kty[:20]}'; known types are oct, RSA, EC and OKP", "key")
    try:
        # joserfc's import_key without its warnings: weak keys become findings instead.
        cls.validate_dict_key(data)
        native = cls.binding.import_from_dict(data)
        key = cls(native, data)  # type: ignore[arg-type]  # the binding returns the class's native type
    except (JoseError, ValueError, TypeError, KeyError, binascii.Error, UnsupportedAlgorithm) as exc:
        # joserfc's and cryptography's messages name the problem ("Point is not on the curve
        # specified"), never the key's bytes; long or empty ones are replaced by ours.
        detail = exc.description if isinstance(exc, JoseError) else str(exc) if isinstance(exc, ValueError) else ""
        quotes_input = ("'" in detail and not isinstance(exc, JoseError)) or '"' in detail
        if not detail or len(detail) >= 120 or quotes_input:
            detail = "a member is missing or not valid base64url"
        raise InputError("jwk_invalid", f"{where} ({kty}) could not be imported: {detail}", "key") from None
    kid = data.get("kid") if isinstance(data.get("kid"), str) else None
    extra: dict[str, Any] = {
        "kid": kid,
        "jwk_alg": data.get("alg") if isinstance(data.get("alg"), str) else None,
        "jwk_use": data.get("use") if isinstance(data.get("use"), str) else None,
        "index": index,
    }
    if kty == "oct":
        size = len(native)
        if not size:
            raise InputError("key_empty", f"{where} is an empty HMAC key; an empty key is never accepted", "key")
        return _parsed(key, "oct", f"secret ({size} bytes)", size * 8, None, **extra)
    _, _, description, bits, curve = _describe_native(native)
    return _parsed(key, kty, description, bits, curve, **extra)


def _parse_json_key(text: str) -> KeyInput:
    parsed = parse_json(text, "key")
    value = parsed.value
    if isinstance(value, dict) and "keys" in value:
        members = value["keys"]
        if not isinstance(members, list):
            raise InputError("jwks_invalid", "The JWKS 'keys' member is not an array", "key")
        if not members:
            raise InputError("jwks_invalid", "The JWKS holds no keys", "key")
        if len(members) > MAX_JWKS_KEYS:
            raise InputError("jwks_invalid", f"The JWKS holds {len(members)} keys; the limit is {MAX_JWKS_KEYS}", "key")
        keys = tuple(_import_jwk(m, f"Key {i + 1} of the JWKS", i) for i, m in enumerate(members))
        return KeyInput("jwks", f"JWKS ({len(keys)} key{'s' if len(keys) != 1 else ''})", keys)
    return KeyInput("jwk", "JWK", (_import_jwk(value, "The JWK"),))


def parse_key(text: str, secret_encoding: str = "utf8", *, max_size: int = DEFAULT_MAX_KEY) -> KeyInput:
    """Recognise and load the key text; raise InputError for text that cannot be read.

    Cached: every keystroke re-verifies with the same key, and loading a large RSA private key
    (cryptography checks it) costs a quarter of a second.
    """
    return _parse_key_cached(text, secret_encoding, max_size)


@lru_cache(maxsize=64)
def _parse_key_cached(text: str, secret_encoding: str, max_size: int) -> KeyInput:
    if len(text) > max_size:
        raise InputError(
            "key_too_large", f"The key is {len(text):,} characters; the limit is {max_size:,}", "key", too_large=True
        )
    cleaned = _clean(text)
    if not cleaned and secret_encoding == "utf8" and text:
        cleaned = text  # a secret made only of spaces is still a secret (a weak one)
    if not cleaned:
        raise InputError("key_empty", "The key is empty", "key")
    if cleaned.startswith("{"):
        return _parse_json_key(cleaned)
    if "-----BEGIN" in cleaned:
        return _parse_pem(cleaned)
    if _SSH_PUBLIC.match(cleaned + " "):
        try:
            native = load_ssh_public_key(cleaned.encode("utf-8", "surrogatepass"))
        except (ValueError, UnsupportedAlgorithm):
            raise InputError("key_ssh", "The OpenSSH public key line could not be read", "key") from None
        return KeyInput("ssh", "OpenSSH public key", (_from_native(native),))
    # A secret is used exactly as typed (utf8) or as decoded; surrounding whitespace counts for utf8.
    raw = decode_secret(text if secret_encoding == "utf8" else cleaned, secret_encoding)
    if not raw:
        raise InputError("key_empty", "The secret is empty; an empty HMAC key is never accepted", "key")
    key = OctKey(raw, raw)
    label = "HMAC secret" + ("" if secret_encoding == "utf8" else f" ({secret_encoding})")
    return KeyInput("secret", label, (_parsed(key, "oct", f"secret ({len(raw)} bytes)", len(raw) * 8, None),))
