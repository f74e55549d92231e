"""The one place tests make tokens, keys and times from: every test module imports these instead of its own copy."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

NOW = 1_800_000_000  # a fixed "now" for claim checks: 2027-01-15T08:00:00Z


def future(seconds: int = 3600) -> int:
    """An epoch ``seconds`` from the real clock's now (negative for the past)."""
    return int(time.time()) + seconds


def b64url(data: bytes | str) -> str:
    """Unpadded base64url (RFC 7515 §2) of bytes, or of a string's UTF-8."""
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_uint(number: int) -> str:
    """A JWK integer member: the big-endian octets of ``number``, base64url (RFC 7518 §2, Base64urlUInt)."""
    return b64url(number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big"))


def compact(header: dict[str, Any], payload: dict[str, Any] | bytes, signature: bytes = b"") -> str:
    """A compact JWS spelled by hand (no signing): for malformed and forged tokens."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return f"{b64url(json.dumps(header))}.{b64url(body)}.{b64url(signature)}"


def hs_by_hand(header: dict[str, Any] | str, payload: dict[str, Any] | str, key: bytes, alg: str = "HS256") -> str:
    """An HMAC-signed compact JWS built byte by byte: header and payload exactly as given (even invalid JSON)."""
    head = header if isinstance(header, str) else json.dumps(header)
    body = payload if isinstance(payload, str) else json.dumps(payload)
    unsigned = f"{b64url(head)}.{b64url(body)}"
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return f"{unsigned}.{b64url(hmac.new(key, unsigned.encode(), digest).digest())}"


@dataclass(frozen=True)
class KeyPair:
    alg: str
    private_pem: str
    public_pem: str
    public_jwk: str


def pair_of(alg: str, key: RSAKey | ECKey | OKPKey) -> KeyPair:
    return KeyPair(
        alg,
        key.as_pem(private=True).decode(),
        key.as_pem(private=False).decode(),
        json.dumps(key.as_dict(private=False)),
    )


# Keys are made once per run and shared (generating RSA keys is the slow part of many tests); ``which`` names
# another, distinct key of the same kind, for "signed by someone else" cases.


@cache
def rsa_key(bits: int = 2048, which: int = 0) -> RSAKey:
    return RSAKey.generate_key(bits)


@cache
def ec_key(curve: str = "P-256", which: int = 0) -> ECKey:
    return ECKey.generate_key(curve)


@cache
def okp_key(curve: str = "Ed25519", which: int = 0) -> OKPKey:
    return OKPKey.generate_key(curve)


def new_secret() -> str:
    """A fresh 256-bit HMAC secret as 43 url-safe characters."""
    return str(OctKey.generate_key(256).as_dict(private=True)["k"])
