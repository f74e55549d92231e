"""x5c certificate chains (RFC 7515 §4.1.6, RFC 7517 §4.7): each certificate shown, x5t checked, the chain validated.

The chain is validated only against trust anchors the user gives, with cryptography's X.509 path
validation; jwtlens's own checks run first so that a failure names its reason (expired, wrong issuer...).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import verification
from cryptography.x509.oid import ExtensionOID

from .b64 import b64url_encode
from .errors import InputError
from .timefmt import iso

__all__ = ["MAX_CHAIN", "CertificateInfo", "ChainCheck", "check_jwk_x5c", "check_x5c", "read_anchors"]

#: certificates in one x5c or one anchor bundle
MAX_CHAIN = 10
_BEGIN = "-----BEGIN CERTIFICATE-----"
_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


@dataclass(frozen=True)
class CertificateInfo:
    index: int
    subject: str
    issuer: str
    not_before: str
    not_after: str
    san: tuple[str, ...]
    key_usage: tuple[str, ...]
    #: "CA, path length 0", "not a CA", or None when the extension is absent
    basic_constraints: str | None
    sha256: str


@dataclass(frozen=True)
class ChainCheck:
    certificates: tuple[CertificateInfo, ...]
    #: "match", "mismatch" or None (absent) for x5t (SHA-1) and x5t#S256 against the leaf
    x5t: str | None
    x5t_s256: str | None
    #: True: validated to a given anchor; False: it does not; None: no anchor given, so not validated
    valid: bool | None
    reason: str
    #: the leaf certificate's public key as PEM, for a caller that may use it (only when ``valid``)
    leaf_public_pem: str | None = None
    #: a JWK's x5c: whether the leaf's key is the JWK's own key (RFC 7517 §4.7); None for a token header
    key_matches: bool | None = None


def _der_list(value: Any) -> list[bytes]:
    if not isinstance(value, list) or not value:
        raise InputError("x5c_invalid", "x5c must be a non-empty array of base64 DER certificates", "x5c")
    if len(value) > MAX_CHAIN:
        raise InputError("x5c_invalid", f"x5c holds {len(value)} certificates; at most {MAX_CHAIN}", "x5c")
    ders = []
    for index, member in enumerate(value):
        try:  # RFC 7515 §4.1.6: standard base64 (not base64url), DER
            ders.append(base64.b64decode(member, validate=True) if isinstance(member, str) else b"")
        except (binascii.Error, ValueError):
            ders.append(b"")
        if not ders[-1]:
            raise InputError("x5c_invalid", f"x5c[{index}] is not standard base64 (RFC 7515 §4.1.6)", "x5c")
    return ders


def _load(ders: list[bytes]) -> list[x509.Certificate]:
    certs = []
    for index, der in enumerate(ders):
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError:
            raise InputError("x5c_invalid", f"x5c[{index}] is not a DER X.509 certificate", "x5c") from None
    return certs


def read_anchors(text: str) -> list[x509.Certificate]:
    """One or more PEM CA certificates; InputError naming the one that cannot be read."""
    if _BEGIN not in text:
        raise InputError(
            "anchor_invalid", "Trust anchors must be PEM certificates (-----BEGIN CERTIFICATE-----)", "trust_anchors"
        )
    try:
        anchors = x509.load_pem_x509_certificates(text.encode())
    except ValueError:
        raise InputError(
            "anchor_invalid", "A trust anchor is not a readable PEM certificate", "trust_anchors"
        ) from None
    if len(anchors) > MAX_CHAIN:
        raise InputError("anchor_invalid", f"{len(anchors)} trust anchors; at most {MAX_CHAIN}", "trust_anchors")
    return anchors


def _ext(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> Any:
    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def _info(index: int, cert: x509.Certificate) -> CertificateInfo:
    san = _ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    names = tuple(str(v.value) for v in san) if san is not None else ()
    usage = _ext(cert, ExtensionOID.KEY_USAGE)
    usages: tuple[str, ...] = ()
    if usage is not None:
        usages = tuple(u for u in _USAGES if getattr(usage, u))
    constraints = _ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    described = None
    if constraints is not None:
        described = (
            "not a CA"
            if not constraints.ca
            else "CA" + (f", path length {constraints.path_length}" if constraints.path_length is not None else "")
        )
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return CertificateInfo(
        index,
        cert.subject.rfc4514_string(),
        cert.issuer.rfc4514_string(),
        iso(cert.not_valid_before_utc.timestamp()),
        iso(cert.not_valid_after_utc.timestamp()),
        names,
        usages,
        described,
        ":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
    )


def _thumb(given: Any, der: bytes, digest: str) -> str | None:
    if given is None:
        return None
    return "match" if given == b64url_encode(hashlib.new(digest, der).digest()) else "mismatch"


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    constraints = _ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    return constraints is not None and constraints.ca


def _precise(certs: list[x509.Certificate], anchors: list[x509.Certificate], now: datetime.datetime) -> str | None:
    """The first reason, in words, that the chain cannot validate; None when these checks pass."""
    for index, cert in enumerate(certs):
        if now > cert.not_valid_after_utc:
            return f"certificate {index} expired at {iso(cert.not_valid_after_utc.timestamp())}"
        if now < cert.not_valid_before_utc:
            return f"certificate {index} is not yet valid (from {iso(cert.not_valid_before_utc.timestamp())})"
    for index, (cert, issuer) in enumerate(pairwise(certs)):
        if cert.issuer != issuer.subject:
            return (
                f"certificate {index}'s issuer is not the subject of certificate {index + 1} (issuer/subject mismatch)"
            )
        if not _signed_by(cert, issuer):
            return f"certificate {index}'s signature does not verify with certificate {index + 1}'s key (bad signature)"
        if not _is_ca(issuer):
            return f"certificate {index + 1} signs certificate {index} but has no CA flag (basic constraints)"
        constraints = _ext(issuer, ExtensionOID.BASIC_CONSTRAINTS)
        if constraints.path_length is not None and index > constraints.path_length:
            return f"the path is too long: certificate {index + 1} allows {constraints.path_length} CA(s) below it"
    last = certs[-1]
    if any(
        last.public_bytes(serialization.Encoding.DER) == a.public_bytes(serialization.Encoding.DER) for a in anchors
    ):
        return None
    issuers = [a for a in anchors if a.subject == last.issuer]
    if not issuers:
        return "no trust anchor given is the issuer of the last certificate (issuer/subject mismatch)"
    if not any(_signed_by(last, a) for a in issuers):
        return "the last certificate's signature does not verify with the trust anchor's key (bad signature)"
    if not any(_is_ca(a) for a in issuers):
        return "the trust anchor has no CA flag (basic constraints)"
    return None


def _validate(certs: list[x509.Certificate], anchors: list[x509.Certificate], now: datetime.datetime) -> str | None:
    reason = _precise(certs, anchors, now)
    if reason is not None:
        return reason
    try:
        verifier = (
            verification.PolicyBuilder()
            .store(verification.Store(anchors))
            .time(now)
            .max_chain_depth(MAX_CHAIN)
            .extension_policies(
                ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
                ee_policy=verification.ExtensionPolicy.permit_all(),
            )
            .build_client_verifier()
        )
        verifier.verify(certs[0], certs[1:])
    except verification.VerificationError as exc:
        return f"path validation failed: {str(exc)[:200]}"
    return None


def check_x5c(
    members: Mapping[str, Any], anchors_pem: str | None = None, *, now: float | None = None
) -> ChainCheck | None:
    """The chain of a JOSE header or JWK carrying x5c; None when it has none."""
    if "x5c" not in members:
        return None
    ders = _der_list(members["x5c"])
    certs = _load(ders)
    infos = tuple(_info(i, c) for i, c in enumerate(certs))
    x5t = _thumb(members.get("x5t"), ders[0], "sha1")
    x5t_s256 = _thumb(members.get("x5t#S256"), ders[0], "sha256")
    if anchors_pem is None or not anchors_pem.strip():
        return ChainCheck(
            infos,
            x5t,
            x5t_s256,
            None,
            "not validated: no trust anchor (CA certificate) given",
        )
    moment = datetime.datetime.now(datetime.UTC) if now is None else datetime.datetime.fromtimestamp(now, datetime.UTC)
    reason = _validate(certs, read_anchors(anchors_pem), moment)
    if reason is None and "mismatch" in (x5t, x5t_s256):
        reason = "x5t or x5t#S256 does not match the leaf certificate"
    if reason is not None:
        return ChainCheck(infos, x5t, x5t_s256, False, f"not trusted: {reason}")
    leaf = (
        certs[0].public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return ChainCheck(infos, x5t, x5t_s256, True, "validated to a given trust anchor", leaf.decode("ascii"))


def _spki(public_key: Any) -> bytes:
    data: bytes = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return data


def check_jwk_x5c(
    members: Mapping[str, Any], public_key: Any, anchors_pem: str | None = None, *, now: float | None = None
) -> ChainCheck | None:
    """A JWK's x5c: the chain as for a token, and whether its leaf holds ``public_key`` (RFC 7517 §4.7)."""
    chain = check_x5c(members, anchors_pem, now=now)
    if chain is None:
        return None
    leaf = x509.load_der_x509_certificate(_der_list(members["x5c"])[0])
    matches = _spki(leaf.public_key()) == _spki(public_key)
    if not matches:
        reason = "not trusted: the first certificate's key is not the JWK's key (RFC 7517 §4.7)"
        return ChainCheck(chain.certificates, chain.x5t, chain.x5t_s256, False, reason, None, False)
    return ChainCheck(
        chain.certificates, chain.x5t, chain.x5t_s256, chain.valid, chain.reason, chain.leaf_public_pem, True
    )
