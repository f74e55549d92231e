"""ML-DSA keys (kty "AKP", RFC 9964): ``pub`` the raw public key, ``priv`` the 32-byte seed, ``alg`` fixed.

A joserfc key class of our own (joserfc 1.8 has none), on cryptography's ML-DSA, so the rest of jwtlens
handles it like any other key: thumbprint (alg, kty, pub), PEM export, sign and verify.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import mldsa
from joserfc.errors import UnsupportedKeyAlgorithmError, UnsupportedKeyUseError
from joserfc.jwa import JWSAlgModel

from .b64 import b64url_encode, decode_segment
from .errors import InputError
from .thumbprint import jwk_thumbprint

__all__ = ["AKP_ALGS", "AKPKey", "MLDSAAlgorithm", "akp_alg", "generate_akp", "is_mldsa"]

_PRIVATE: dict[str, Any] = {
    "ML-DSA-44": mldsa.MLDSA44PrivateKey,
    "ML-DSA-65": mldsa.MLDSA65PrivateKey,
    "ML-DSA-87": mldsa.MLDSA87PrivateKey,
}
_PUBLIC: dict[str, Any] = {
    "ML-DSA-44": mldsa.MLDSA44PublicKey,
    "ML-DSA-65": mldsa.MLDSA65PublicKey,
    "ML-DSA-87": mldsa.MLDSA87PublicKey,
}
AKP_ALGS: tuple[str, ...] = tuple(_PRIVATE)
#: FIPS 204 public key sizes: a pub of another length is not an ML-DSA key of that parameter set
_PUBLIC_BYTES = {"ML-DSA-44": 1312, "ML-DSA-65": 1952, "ML-DSA-87": 2592}
_SEED_BYTES = 32
_NATIVE = (*_PRIVATE.values(), *_PUBLIC.values())
_PRIVATE_TYPES = tuple(_PRIVATE.values())


def is_mldsa(native: Any) -> bool:
    return isinstance(native, _NATIVE)


def akp_alg(native: Any) -> str:
    """The parameter set of a cryptography ML-DSA key."""
    for name in AKP_ALGS:
        if isinstance(native, (_PRIVATE[name], _PUBLIC[name])):
            return name
    raise TypeError(type(native).__name__)


def _bytes(value: Any, member: str) -> bytes:
    if not isinstance(value, str):
        raise InputError("jwk_invalid", f"The AKP JWK's {member} must be a base64url string", "key")
    try:
        return decode_segment(value, f"AKP JWK's {member}").raw
    except InputError as exc:
        raise InputError("jwk_invalid", exc.problem.message, "key") from None


def _alg(obj: Any) -> str:
    alg = obj.get("alg")
    if alg not in _PRIVATE:
        raise InputError("jwk_invalid", f"An AKP JWK names its parameter set in alg: {', '.join(AKP_ALGS)}", "key")
    return str(alg)


class _AKPBinding:
    """What jwtlens's JWK reader asks of a key class's binding (joserfc's own bindings are private)."""

    @classmethod
    def import_from_dict(cls, value: Any) -> Any:
        return cls.import_private_key(value) if "priv" in value else cls.import_public_key(value)

    @staticmethod
    def import_private_key(obj: Any) -> Any:
        alg = _alg(obj)
        seed = _bytes(obj["priv"], "priv")
        if len(seed) != _SEED_BYTES:
            raise InputError(
                "jwk_invalid", f"The AKP JWK's priv is {len(seed)} bytes; an ML-DSA seed is {_SEED_BYTES}", "key"
            )
        native = _PRIVATE[alg].from_seed_bytes(seed)
        if "pub" in obj and _bytes(obj["pub"], "pub") != native.public_key().public_bytes_raw():
            raise InputError("jwk_invalid", "The AKP JWK's pub is not the public key of its priv (seed)", "key")
        return native

    @staticmethod
    def import_public_key(obj: Any) -> Any:
        alg = _alg(obj)
        raw = _bytes(obj.get("pub"), "pub")
        if len(raw) != _PUBLIC_BYTES[alg]:
            raise InputError(
                "jwk_invalid",
                f"The AKP JWK's pub is {len(raw)} bytes; {alg} public keys are {_PUBLIC_BYTES[alg]}",
                "key",
            )
        return _PUBLIC[alg].from_public_bytes(raw)

    @staticmethod
    def convert_raw_key_to_dict(native: Any, private: bool) -> dict[str, str]:
        public = native.public_key() if isinstance(native, _PRIVATE_TYPES) else native
        data = {"alg": akp_alg(native), "pub": b64url_encode(public.public_bytes_raw())}
        if private and isinstance(native, _PRIVATE_TYPES):
            data["priv"] = b64url_encode(native.private_bytes_raw())
        return data


class AKPKey:
    """An ML-DSA key as a JWK (kty AKP), with the part of joserfc's key interface jwtlens uses."""

    key_type = "AKP"
    binding = _AKPBinding

    def __init__(self, raw_value: Any, original_value: Any = None) -> None:
        self.raw_value = raw_value
        self._members = dict(original_value) if isinstance(original_value, dict) else {}

    @classmethod
    def validate_dict_key(cls, data: dict[str, Any]) -> None:
        if "pub" not in data and "priv" not in data:
            raise InputError("jwk_invalid", "An AKP JWK needs pub (the public key) or priv (the seed)", "key")

    @property
    def is_private(self) -> bool:
        return isinstance(self.raw_value, _PRIVATE_TYPES)

    @property
    def public_key(self) -> Any:
        return self.raw_value.public_key() if self.is_private else self.raw_value

    @property
    def private_key(self) -> Any:
        return self.raw_value if self.is_private else None

    def as_dict(self, private: bool = False, **params: Any) -> dict[str, Any]:
        own = {k: v for k, v in self._members.items() if k not in ("kty", "alg", "pub", "priv")}
        return {"kty": "AKP", **own, **_AKPBinding.convert_raw_key_to_dict(self.raw_value, private), **params}

    def get(self, name: str, default: Any = None) -> Any:
        return self.as_dict().get(name, default)

    def thumbprint(self) -> str:
        return jwk_thumbprint(self.as_dict())

    def check_use(self, use: str) -> None:
        given = self._members.get("use")
        if given is not None and given != use:
            raise UnsupportedKeyUseError(f"the key's use is {given!r}, not {use!r}")

    def check_alg(self, alg: str) -> None:
        # alg is part of an AKP key: it fixes the parameter set, so a JWS alg must equal it
        if self.get("alg") != alg:
            raise UnsupportedKeyAlgorithmError(f"the key is {self.get('alg')}, not {alg}")


class MLDSAAlgorithm(JWSAlgModel):
    """ML-DSA signatures (RFC 9964), pure mode with an empty context, over the JWS signing input."""

    key_type = "AKP"

    def __init__(self, name: str) -> None:
        self.name = name
        self.description = f"{name} (FIPS 204)"

    def sign(self, msg: bytes, key: Any) -> bytes:
        signature: bytes = key.private_key.sign(msg)
        return signature

    def verify(self, msg: bytes, sig: bytes, key: Any) -> bool:
        try:
            key.public_key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True


def generate_akp(alg: str) -> Any:
    """A new native ML-DSA private key of parameter set ``alg``."""
    return _PRIVATE[alg].generate()
