"""What a pasted key turned out to be: the result types, the kinds and encodings a user can choose, the bounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, get_args

from joserfc.jwk import Key

__all__ = [
    "DEFAULT_MAX_KEY",
    "KEY_KINDS",
    "KEY_KIND_LABELS",
    "MAX_KEYS",
    "MAX_RSA_BITS",
    "SECRET_ENCODINGS",
    "Found",
    "KeyInput",
    "KeyKind",
    "ParsedKey",
    "SecretEncoding",
]

SecretEncoding = Literal["utf8", "base64", "base64url", "hex"]
SECRET_ENCODINGS: tuple[str, ...] = get_args(SecretEncoding)
#: what the user says the key is; "auto" lets jwtlens decide, an explicit choice never overrides what it reads
KeyKind = Literal["auto", "secret", "public"]
KEY_KINDS: tuple[str, ...] = get_args(KeyKind)
#: how each kind reads in a form
KEY_KIND_LABELS: dict[str, str] = dict(
    zip(KEY_KINDS, ("auto: read what it is", "an HMAC secret", "a public key"), strict=True)
)
DEFAULT_MAX_KEY = 256 * 1024
#: keys in one text: JWKS members, PEM blocks, authorized_keys lines, x5c certificates
MAX_KEYS = 100
#: larger RSA keys are refused before cryptography checks them (a 16384-bit private key costs seconds)
MAX_RSA_BITS = 8192


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
    index: int = 0  # position in a JWKS or bundle
    #: what RFC 7518 / 8037 forbid about this key itself, found when reading it (see keyrules)
    violations: tuple[str, ...] = ()

    @cached_property
    def rsa_exponent(self) -> int | None:
        """An RSA key's public exponent e, read once (cryptography rebuilds its numbers on every call)."""
        numbers = getattr(self.key.public_key, "public_numbers", None) if self.kty == "RSA" else None
        return int(numbers().e) if numbers is not None else None

    @property
    def what(self) -> str:
        """ "an RSA 2048-bit public key", "an HMAC secret (32 bytes)"."""
        if self.kty == "oct":
            return f"an HMAC {self.description}"
        return f"an {self.description} {'private' if self.private else 'public'} key"


@dataclass(frozen=True)
class KeyInput:
    """What the pasted text turned out to be."""

    #: "secret", "pem", "der", "certificate", "ssh", "jwk", "jwks"
    form: str
    #: words for the UI naming the form precisely, e.g. "bare base64 DER SPKI public key"
    label: str
    keys: tuple[ParsedKey, ...]
    #: the text holds something secret: an HMAC secret, an oct JWK, or a private part anywhere in it
    is_secret: bool = False
    #: the kind the user chose; "auto" when they left it to jwtlens
    requested: KeyKind = "auto"
    _public_text: str | None = field(default=None, repr=False)
    #: an HMAC secret's encoding as the user chose it (utf8, base64...); None for key material
    secret_encoding: str | None = None

    @property
    def is_set(self) -> bool:
        return self.form == "jwks"

    @property
    def is_material(self) -> bool:
        """Asymmetric key material (whatever its spelling), as opposed to an HMAC secret."""
        return any(k.kty != "oct" for k in self.keys)

    @property
    def has_secret_key(self) -> bool:
        """An HMAC key is among the keys (an HMAC algorithm can use it)."""
        return any(k.kty == "oct" for k in self.keys)

    @property
    def kind_conflict(self) -> str | None:
        """What the user's choice of "HMAC secret" ran into, or None when it fits."""
        if self.requested != "secret" or not self.is_material:
            return None
        first = next(k for k in self.keys if k.kty != "oct")
        return f"you chose HMAC secret, but this is {first.what} ({self.label})"

    def public_text(self) -> str | None:
        """The public keys only, re-serialised (JWK/JWKS JSON or PEM); None for a secret."""
        return self._public_text

    def pick(self, kid: object) -> ParsedKey | None:
        """The one key to sign or encrypt with: the only key, or the only one whose kid is ``kid``."""
        if len(self.keys) == 1:
            return self.keys[0]
        matches = [k for k in self.keys if kid is not None and k.kid == kid]
        return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True)
class Found:
    """Key material found in a text, before the user's choice of kind is applied (internal)."""

    form: str
    label: str
    keys: tuple[ParsedKey, ...]
    #: a private part or an HMAC secret is somewhere in the text
    secret: bool
    #: the public keys re-serialised, None when there are none
    public: str | None
