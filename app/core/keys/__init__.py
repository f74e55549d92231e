"""Reading the key a user pasted, classified by what it is: HMAC secret, or key material in any spelling.

A thin facade: model.py (the results, kinds, encodings, bounds), reader.py (parse_key: which form), pem.py, native.py
(DER and cryptography's keys), jwk.py (JWK, JWKS, x5c), ssh.py (OpenSSH, RFC 4716), secret.py (encodings),
cache.py (parsed keys by their canonical bytes).
"""

from __future__ import annotations

from .cache import CacheInfo, cache_info
from .model import (
    DEFAULT_MAX_KEY,
    KEY_KIND_LABELS,
    KEY_KINDS,
    MAX_KEYS,
    MAX_RSA_BITS,
    SECRET_ENCODINGS,
    KeyInput,
    KeyKind,
    ParsedKey,
    SecretEncoding,
)
from .reader import parse_key
from .secret import decode_secret

__all__ = [
    "DEFAULT_MAX_KEY",
    "KEY_KINDS",
    "KEY_KIND_LABELS",
    "MAX_KEYS",
    "MAX_RSA_BITS",
    "SECRET_ENCODINGS",
    "CacheInfo",
    "KeyInput",
    "KeyKind",
    "ParsedKey",
    "SecretEncoding",
    "cache_info",
    "decode_secret",
    "parse_key",
]
