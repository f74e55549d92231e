"""Every spelling of a key a user may paste, made from real keys: the table the key tests run over."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import SSHCertificateBuilder, SSHCertificateType
from cryptography.x509.oid import NameOID
from joserfc.jwk import ECKey, OKPKey, RSAKey

_DER = serialization.Encoding.DER
_PEM = serialization.Encoding.PEM
_NONE = serialization.NoEncryption()


@dataclass(frozen=True)
class Material:
    """One real key pair and what is made from it."""

    family: str  # "rsa", "ec", "ed"
    alg: str  # what the genuine token is signed with
    private: Any  # a cryptography private key
    cert_der: bytes
    ca_cert_der: bytes

    @property
    def public(self) -> Any:
        return self.private.public_key()

    def der(self, what: str) -> bytes:
        formats = {
            "spki": lambda: self.public.public_bytes(_DER, serialization.PublicFormat.SubjectPublicKeyInfo),
            "pkcs1-public": lambda: self.public.public_bytes(_DER, serialization.PublicFormat.PKCS1),
            "pkcs8": lambda: self.private.private_bytes(_DER, serialization.PrivateFormat.PKCS8, _NONE),
            "traditional": lambda: self.private.private_bytes(
                _DER, serialization.PrivateFormat.TraditionalOpenSSL, _NONE
            ),
            "certificate": lambda: self.cert_der,
        }
        return formats[what]()

    def jwk(self, private: bool = False, kid: str | None = None) -> dict[str, Any]:
        cls = {"rsa": RSAKey, "ec": ECKey, "ed": OKPKey}[self.family]
        data = dict(cls.import_key(self.private).as_dict(private=private))
        return {**data, "kid": kid} if kid else data

    def openssh(self) -> str:
        return self.public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()

    def openssh_private(self) -> str:
        return self.private.private_bytes(_PEM, serialization.PrivateFormat.OpenSSH, _NONE).decode()

    def ssh_certificate(self) -> str:
        ca = ed25519.Ed25519PrivateKey.generate()
        cert = (
            SSHCertificateBuilder()
            .public_key(self.public)
            .serial(7)
            .type(SSHCertificateType.USER)
            .key_id(b"jwtlens-test")
            .valid_principals([b"dev"])
            .valid_after(0)
            .valid_before(int(time.time()) + 86400)
            .sign(ca)
        )
        return cert.public_bytes().decode()


def _certificate(subject_key: Any, issuer_key: Any, subject: str, issuer: str) -> bytes:
    now = datetime.datetime.now(datetime.UTC)
    digest = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(issuer_key, digest)
    )
    return cert.public_bytes(_DER)


@cache
def material(family: str) -> Material:
    """Made once per test session (RSA key generation is the slow part)."""
    private: Any = {
        "rsa": lambda: rsa.generate_private_key(65537, 2048),
        "ec": lambda: ec.generate_private_key(ec.SECP256R1()),
        "ed": ed25519.Ed25519PrivateKey.generate,
    }[family]()
    ca = ec.generate_private_key(ec.SECP256R1())
    alg = {"rsa": "RS256", "ec": "ES256", "ed": "EdDSA"}[family]
    leaf = _certificate(private, ca, "jwtlens leaf", "jwtlens test CA")
    return Material(family, alg, private, leaf, _certificate(ca, ca, "jwtlens test CA", "jwtlens test CA"))


# -- spellings --------------------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def wrapped(text: str, width: int = 64) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def pem(label: str, der: bytes, width: int = 64) -> str:
    return f"-----BEGIN {label}-----\n{wrapped(b64(der), width)}\n-----END {label}-----\n"


def rfc4716(m: Material) -> str:
    blob = m.openssh().split()[1]
    return (
        "---- BEGIN SSH2 PUBLIC KEY ----\n"
        'Comment: "jwtlens test key, converted from OpenSSH"\n'
        "x-command: /usr/local/bin/check-in \\\n"
        "    --verbose\n"
        f"{wrapped(blob, 70)}\n"
        "---- END SSH2 PUBLIC KEY ----\n"
    )


# -- the table ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    name: str
    family: str
    build: Callable[[Material], str]
    label: str
    form: str
    encoding: str = "utf8"
    #: the text holds a private part
    secret: bool = False
    #: the genuine token's kid (a JWKS with several keys picks by it)
    kid: str | None = None

    def text(self) -> str:
        return self.build(material(self.family))


def _spki_pem(m: Material) -> str:
    return pem("PUBLIC KEY", m.der("spki"))


def _jwk(m: Material) -> str:
    return json.dumps(m.jwk())


def _other_jwks(m: Material) -> str:
    others = [material("ec").jwk(kid="other-ec"), material("ed").jwk(kid="other-ed")]
    return json.dumps([*others, m.jwk(kid="the-key")])


_SPKI = "PEM public key (SPKI)"
_CERT = "X.509 certificate (its public key)"
_PKCS8 = "PEM private key (PKCS#8)"
_RSA_TRADITIONAL = "PEM private key (PKCS#1, RSA traditional)"

FORMS: tuple[Form, ...] = (
    # PEM blocks, alone, in bundles, with text around them, re-wrapped
    Form("pem_spki", "rsa", _spki_pem, _SPKI, "pem"),
    Form(
        "pem_pkcs1_public",
        "rsa",
        lambda m: pem("RSA PUBLIC KEY", m.der("pkcs1-public")),
        "PEM public key (PKCS#1)",
        "pem",
    ),
    Form("pem_pkcs8_private", "rsa", lambda m: pem("PRIVATE KEY", m.der("pkcs8")), _PKCS8, "pem", secret=True),
    Form(
        "pem_pkcs1_private",
        "rsa",
        lambda m: pem("RSA PRIVATE KEY", m.der("traditional")),
        _RSA_TRADITIONAL,
        "pem",
        secret=True,
    ),
    Form("pem_certificate", "rsa", lambda m: pem("CERTIFICATE", m.cert_der), _CERT, "certificate"),
    Form(
        "pem_certificate_with_text_around",
        "rsa",
        lambda m: (
            "Certificate:\n    Data:\n        Version: 3 (0x2)\n" + pem("CERTIFICATE", m.cert_der) + "subject=CN=leaf\n"
        ),
        _CERT,
        "certificate",
    ),
    Form(
        "pem_bundle_certificate_and_private_key",
        "rsa",
        lambda m: pem("CERTIFICATE", m.cert_der) + pem("PRIVATE KEY", m.der("pkcs8")),
        f"PEM bundle: {_CERT} + {_PKCS8}",
        "pem",
        secret=True,
    ),
    Form(
        "pem_bundle_public_and_private_blocks",
        "rsa",
        lambda m: _spki_pem(m) + "\n" + pem("RSA PRIVATE KEY", m.der("traditional")),
        f"PEM bundle: {_SPKI} + {_RSA_TRADITIONAL}",
        "pem",
        secret=True,
    ),
    Form("pem_one_line", "rsa", lambda m: _spki_pem(m).replace("\n", ""), _SPKI, "pem"),
    Form("pem_rewrapped_76", "rsa", lambda m: pem("PUBLIC KEY", m.der("spki"), 76), _SPKI, "pem"),
    Form(
        "pem_bom_crlf_trailing_spaces", "rsa", lambda m: "\ufeff" + _spki_pem(m).replace("\n", "  \r\n"), _SPKI, "pem"
    ),
    # bare DER, as Keycloak and others show it
    Form("bare_base64_spki", "rsa", lambda m: b64(m.der("spki")), "bare base64 DER SPKI public key", "der"),
    Form(
        "bare_base64_spki_lines",
        "rsa",
        lambda m: wrapped(b64(m.der("spki")), 76),
        "bare base64 DER SPKI public key",
        "der",
    ),
    Form("bare_base64url_spki", "rsa", lambda m: b64url(m.der("spki")), "bare base64url DER SPKI public key", "der"),
    Form(
        "bare_base64_pkcs1_public",
        "rsa",
        lambda m: b64(m.der("pkcs1-public")),
        "bare base64 DER PKCS#1 public key",
        "der",
    ),
    Form(
        "bare_base64_pkcs1_private",
        "rsa",
        lambda m: b64(m.der("traditional")),
        "bare base64 DER PKCS#1 RSA private key",
        "der",
        secret=True,
    ),
    Form(
        "bare_base64_pkcs8",
        "rsa",
        lambda m: b64(m.der("pkcs8")),
        "bare base64 DER PKCS#8 private key",
        "der",
        secret=True,
    ),
    Form("bare_base64_certificate", "rsa", lambda m: b64(m.cert_der), f"bare base64 DER {_CERT}", "certificate"),
    Form("hex_spki_as_hex", "rsa", lambda m: m.der("spki").hex(), "bare hex DER SPKI public key", "der", "hex"),
    Form("hex_spki_as_utf8", "rsa", lambda m: m.der("spki").hex(), "bare hex DER SPKI public key", "der"),
    Form(
        "x5c_array",
        "rsa",
        lambda m: json.dumps([b64(m.cert_der), b64(m.ca_cert_der)]),
        "x5c certificate chain (JSON array, 2 certificates)",
        "certificate",
    ),
    # OpenSSH and RFC 4716
    Form("openssh_line", "rsa", lambda m: m.openssh() + " dev@laptop", "OpenSSH public key", "ssh"),
    Form(
        "openssh_restrict",
        "rsa",
        lambda m: "restrict " + m.openssh(),
        "OpenSSH public key (authorized_keys line with options)",
        "ssh",
    ),
    Form(
        "openssh_options_quoted",
        "rsa",
        lambda m: 'from="10.0.0.1",command="echo a b",no-pty ' + m.openssh() + " deploy key",
        "OpenSSH public key (authorized_keys line with options)",
        "ssh",
    ),
    Form(
        "openssh_certificate",
        "rsa",
        lambda m: m.ssh_certificate() + " dev",
        "OpenSSH certificate (its public key)",
        "ssh",
    ),
    Form("rfc4716", "rsa", rfc4716, "RFC 4716 SSH2 public key", "ssh"),
    Form("ssh_blob", "rsa", lambda m: m.openssh().split()[1], "bare OpenSSH key blob (base64)", "ssh"),
    Form("openssh_private", "rsa", lambda m: m.openssh_private(), "OpenSSH private key", "pem", secret=True),
    # JWK and JWKS in any wrapping
    Form("jwk_public", "rsa", _jwk, "JWK (public)", "jwk"),
    Form("jwk_private", "rsa", lambda m: json.dumps(m.jwk(private=True)), "JWK (private)", "jwk", secret=True),
    Form("jwks_object", "rsa", lambda m: json.dumps({"keys": [m.jwk(kid="k1")]}), "JWKS (1 key)", "jwks", kid="k1"),
    Form("jwks_bare_array", "rsa", _other_jwks, "JWKS (bare JSON array, 3 keys)", "jwks", kid="the-key"),
    Form(
        "jwks_one_private_member",
        "rsa",
        lambda m: json.dumps({"keys": [material("ec").jwk(kid="e"), m.jwk(private=True, kid="r")]}),
        "JWKS (2 keys)",
        "jwks",
        secret=True,
        kid="r",
    ),
    Form("jwk_in_json_string", "rsa", lambda m: json.dumps(_jwk(m)), "JWK (public) in a JSON string", "jwk"),
    Form(
        "jwk_invisible_and_quotes",
        "rsa",
        lambda m: "\ufeff\u200b '" + _jwk(m) + "'\u200d\u2060 \n",
        "JWK (public)",
        "jwk",
    ),
    Form("jwk_reindented", "rsa", lambda m: json.dumps(m.jwk(), indent=4), "JWK (public)", "jwk"),
    Form(
        "pem_with_escaped_newlines",
        "rsa",
        lambda m: _spki_pem(m).replace("\n", "\\n"),
        _SPKI,
        "pem",
    ),
    Form("pem_in_json_string", "rsa", lambda m: json.dumps(_spki_pem(m)), f"{_SPKI} in a JSON string", "pem"),
    # key material under a secret encoding: the decoded bytes are classified too
    Form(
        "base64_of_pem_as_base64",
        "rsa",
        lambda m: b64(_spki_pem(m).encode()),
        f"{_SPKI}, base64-encoded",
        "pem",
        "base64",
    ),
    Form("base64_of_pem_as_utf8", "rsa", lambda m: b64(_spki_pem(m).encode()), f"{_SPKI}, base64-encoded", "pem"),
    Form(
        "base64_of_der_as_base64",
        "rsa",
        lambda m: b64(m.der("spki")),
        "bare base64 DER SPKI public key",
        "der",
        "base64",
    ),
    Form(
        "base64url_of_der_as_base64url",
        "rsa",
        lambda m: b64url(m.der("spki")),
        "bare base64url DER SPKI public key",
        "der",
        "base64url",
    ),
    Form(
        "base64_of_jwk_as_base64",
        "rsa",
        lambda m: b64(_jwk(m).encode()),
        "JWK (public), base64-encoded",
        "jwk",
        "base64",
    ),
    Form(
        "base64url_of_pkcs8_as_base64url",
        "rsa",
        lambda m: b64url(m.der("pkcs8")),
        "bare base64url DER PKCS#8 private key",
        "der",
        "base64url",
        secret=True,
    ),
    # the text itself is key material, whatever encoding was chosen for a secret
    Form("pem_spki_as_base64", "rsa", _spki_pem, _SPKI, "pem", "base64"),
    Form("jwk_as_hex", "rsa", _jwk, "JWK (public)", "jwk", "hex"),
    Form("openssh_line_as_base64url", "rsa", lambda m: m.openssh(), "OpenSSH public key", "ssh", "base64url"),
    Form(
        "hex_of_pkcs8_as_hex",
        "rsa",
        lambda m: m.der("pkcs8").hex(),
        "bare hex DER PKCS#8 private key",
        "der",
        "hex",
        True,
    ),
    Form("hex_of_pem_as_hex", "rsa", lambda m: _spki_pem(m).encode().hex(), f"{_SPKI}, hex-encoded", "pem", "hex"),
    # EC P-256
    Form("ec_pem_spki", "ec", _spki_pem, _SPKI, "pem"),
    Form(
        "ec_pem_sec1_private",
        "ec",
        lambda m: pem("EC PRIVATE KEY", m.der("traditional")),
        "PEM private key (SEC1, EC traditional)",
        "pem",
        secret=True,
    ),
    Form("ec_bare_base64_spki", "ec", lambda m: b64(m.der("spki")), "bare base64 DER SPKI public key", "der"),
    Form(
        "ec_bare_base64_sec1",
        "ec",
        lambda m: b64(m.der("traditional")),
        "bare base64 DER SEC1 EC private key",
        "der",
        secret=True,
    ),
    Form("ec_bare_certificate", "ec", lambda m: b64(m.cert_der), f"bare base64 DER {_CERT}", "certificate"),
    Form("ec_jwk", "ec", _jwk, "JWK (public)", "jwk"),
    Form("ec_openssh_line", "ec", lambda m: m.openssh(), "OpenSSH public key", "ssh"),
    Form("ec_openssh_certificate", "ec", lambda m: m.ssh_certificate(), "OpenSSH certificate (its public key)", "ssh"),
    # Ed25519
    Form("ed_pem_spki", "ed", _spki_pem, _SPKI, "pem"),
    Form("ed_pem_pkcs8", "ed", lambda m: pem("PRIVATE KEY", m.der("pkcs8")), _PKCS8, "pem", secret=True),
    Form("ed_bare_base64_spki", "ed", lambda m: b64(m.der("spki")), "bare base64 DER SPKI public key", "der"),
    Form("ed_pem_certificate", "ed", lambda m: pem("CERTIFICATE", m.cert_der), _CERT, "certificate"),
    Form("ed_openssh_line", "ed", lambda m: m.openssh() + " me@host", "OpenSSH public key", "ssh"),
    Form("ed_openssh_certificate", "ed", lambda m: m.ssh_certificate(), "OpenSSH certificate (its public key)", "ssh"),
    Form("ed_openssh_private", "ed", lambda m: m.openssh_private(), "OpenSSH private key", "pem", secret=True),
    Form("ed_rfc4716", "ed", rfc4716, "RFC 4716 SSH2 public key", "ssh"),
    Form("ed_jwk_private", "ed", lambda m: json.dumps(m.jwk(private=True)), "JWK (private)", "jwk", secret=True),
    Form(
        "ed_authorized_keys_two_lines",
        "ed",
        lambda m: f"# deploy keys\n{material('ec').openssh()} ci\nrestrict {m.openssh()} me\n",
        "authorized_keys lines (2 keys)",
        "ssh",
    ),
)


# -- tokens ------------------------------------------------------------------------------------------------------


def hs256_token(secret: bytes, claims: dict[str, Any] | None = None) -> str:
    """The RS→HS attack: an HS256 token whose HMAC key is the bytes a naive verifier would use."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims or {"sub": "attacker", "exp": int(time.time()) + 3600}).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def genuine_token(m: Material, kid: str | None = None) -> str:
    """Signed with the real private key by PyJWT, an independent library."""
    headers = {"kid": kid} if kid else None
    return jwt.encode({"sub": "alice", "exp": int(time.time()) + 3600}, m.private, algorithm=m.alg, headers=headers)
