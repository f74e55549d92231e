"""cryptography's keys as ParsedKeys, and DER read by what its structure is (SPKI, PKCS#1, PKCS#8, SEC1, X.509)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x448, x25519
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey

from ..akp import AKPKey, akp_alg, is_mldsa
from ..errors import InputError
from .model import MAX_RSA_BITS, ParsedKey

__all__ = [
    "DerKey",
    "check_rsa_bits",
    "checked_rsa",
    "describe",
    "parsed_from_native",
    "parsed_key",
    "public_pem",
    "read_der",
]

_EC_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521", "secp256k1": "secp256k1"}
_OKP = (
    ((ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey), "Ed25519"),
    ((ed448.Ed448PrivateKey, ed448.Ed448PublicKey), "Ed448"),
    ((x25519.X25519PrivateKey, x25519.X25519PublicKey), "X25519"),
    ((x448.X448PrivateKey, x448.X448PublicKey), "X448"),
)
#: the tags of the first two members of the outer SEQUENCE -> what the DER can be
_SHAPES: dict[tuple[int, int], tuple[str, ...]] = {
    (0x30, 0x03): ("spki",),  # AlgorithmIdentifier, BIT STRING
    (0x30, 0x30): ("certificate",),  # TBSCertificate, signatureAlgorithm
    (0x02, 0x30): ("pkcs8",),  # version, AlgorithmIdentifier
    (0x02, 0x04): ("sec1",),  # version, OCTET STRING d
    (0x02, 0x02): ("pkcs1-public", "pkcs1-private"),  # n, e  /  version, n
    (0x30, 0x04): ("encrypted",),  # EncryptedPrivateKeyInfo: algorithm, OCTET STRING
}


@dataclass(frozen=True)
class DerKey:
    """One key read from DER: what the structure was, the key, and its public form as PEM."""

    shape: str  # "spki", "pkcs1-public", "pkcs8", "pkcs1-private", "sec1", "certificate"
    parsed: ParsedKey
    #: the certificate itself for a certificate, the SPKI public key otherwise
    public_pem: str


def check_rsa_bits(bits: int) -> None:
    if bits > MAX_RSA_BITS:
        raise InputError(
            "rsa_too_large",
            f"The RSA key is {bits} bits; jwtlens reads RSA keys up to {MAX_RSA_BITS} bits "
            "(checking larger ones takes seconds)",
            "key",
            too_large=True,
        )


def checked_rsa(native: rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    """A private RSA key loaded without OpenSSL's validation, checked for size and consistency instead.

    OpenSSL's check tests p and q for primality and holds the GIL for seconds on large keys, freezing
    every request; n = pq and the agreement of d and the CRT values take microseconds. A key that passes
    this but has a composite factor only makes wrong signatures: verification uses the public half.
    """
    check_rsa_bits(native.key_size)
    numbers = native.private_numbers()
    p, q, d, e, n = numbers.p, numbers.q, numbers.d, numbers.public_numbers.e, numbers.public_numbers.n
    consistent = (
        p > 1
        and q > 1
        and p * q == n
        and (e * d - 1) % (p - 1) == 0
        and (e * d - 1) % (q - 1) == 0
        and numbers.dmp1 == d % (p - 1)
        and numbers.dmq1 == d % (q - 1)
        and (numbers.iqmp * q) % p == 1
    )
    if not consistent:
        raise InputError(
            "key_inconsistent",
            "The RSA private key is inconsistent: its modulus, exponents and CRT values do not agree",
            "key",
        )
    return native


def describe(native: Any) -> tuple[Key, str, str, int, str | None]:
    """Wrap a cryptography key in joserfc's class; return key, kty, description, bits, curve."""
    if isinstance(native, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        bits = native.key_size
        check_rsa_bits(bits)
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
    for classes, curve in _OKP:
        if isinstance(native, classes):
            return OKPKey(native, native), "OKP", f"OKP {curve}", 0, curve
    if is_mldsa(native):
        return AKPKey(native, native), "AKP", f"AKP {akp_alg(native)}", 0, None  # type: ignore[return-value]
    raise InputError(
        "key_unsupported",
        f"This {type(native).__name__.replace('_', '')} key type is not used by JOSE",
        "key",
    )


def parsed_key(key: Key, kty: str, description: str, bits: int, curve: str | None, **extra: Any) -> ParsedKey:
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


def parsed_from_native(native: Any, **extra: Any) -> ParsedKey:
    key, kty, description, bits, curve = describe(native)
    return parsed_key(key, kty, description, bits, curve, **extra)


def public_pem(native_public: Any) -> str:
    data: bytes = native_public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data.decode("ascii")


def _tlv(data: bytes, pos: int) -> tuple[int, int, int] | None:
    """(tag, start of value, end of value) of the DER element at ``pos``, or None if it does not fit."""
    if pos + 2 > len(data):
        return None
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if not 1 <= count <= 4 or pos + count > len(data):
            return None
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    return (tag, pos, pos + length) if pos + length <= len(data) else None


def _shape(der: bytes) -> tuple[str, ...]:
    """What a DER key structure ``der`` can be, from its outer SEQUENCE and first two members."""
    outer = _tlv(der, 0)
    if outer is None or outer[0] != 0x30 or outer[2] != len(der):
        return ()
    first = _tlv(der, outer[1])
    second = _tlv(der, first[2]) if first is not None else None
    if first is None or second is None:
        return ()
    return _SHAPES.get((first[0], second[0]), ())


def _private(der: bytes) -> Any:
    native = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    return checked_rsa(native) if isinstance(native, rsa.RSAPrivateKey) else native


def _load(shape: str, der: bytes) -> tuple[Any, str | None]:
    """The native key, and the certificate's PEM for a certificate."""
    if shape == "certificate":
        cert = x509.load_der_x509_certificate(der)
        return cert.public_key(), cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    if shape in ("spki", "pkcs1-public"):
        return serialization.load_der_public_key(der), None
    return _private(der), None


def read_der(der: bytes) -> DerKey | None:
    """The key ``der`` holds; None when it is not shaped like a key; InputError when it is but cannot be read."""
    shapes = _shape(der)
    if shapes == ("encrypted",):
        raise InputError(
            "key_encrypted",
            "The private key is encrypted with a passphrase; decrypt it first "
            "(openssl pkey -in key.pem) and use the result",
            "key",
        )
    for shape in shapes:
        try:
            native, cert_pem = _load(shape, der)
        except InputError:
            raise
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        parsed = parsed_from_native(native)
        public = native.public_key() if parsed.private else native
        return DerKey(shape, parsed, cert_pem or public_pem(public))
    if shapes:
        raise InputError(
            "key_der",
            "The DER data has the structure of a key or certificate but could not be read: "
            "it is damaged or truncated (check that all of it was copied)",
            "key",
        )
    return None
