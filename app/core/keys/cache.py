"""The parsed-key caches, keyed by a key's canonical bytes so that re-wrapped or re-indented text hits.

The expensive part of reading a key is cryptography checking a private key (a quarter of a second for
RSA 4096); the text around it (line breaks, indentation, BOMs) is read again each time, cheaply.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import NamedTuple

from .jwk import read_json_keys
from .model import Found, ParsedKey
from .native import DerKey, read_der
from .ssh import read_openssh_private

__all__ = ["CacheInfo", "cache_info", "der_key", "json_keys", "openssh_key"]


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    currsize: int


@lru_cache(maxsize=128)
def der_key(der: bytes) -> DerKey | None:
    return read_der(der)


@lru_cache(maxsize=64)
def json_keys(canonical: str) -> Found | None:
    """The keys of a JSON document given as compact JSON (one spelling per document)."""
    return read_json_keys(json.loads(canonical))


@lru_cache(maxsize=32)
def openssh_key(body: bytes) -> ParsedKey:
    return read_openssh_private(body)


def cache_info() -> CacheInfo:
    """Hits and misses of the parsed-key caches, summed."""
    infos = [der_key.cache_info(), json_keys.cache_info(), openssh_key.cache_info()]
    return CacheInfo(sum(i.hits for i in infos), sum(i.misses for i in infos), sum(i.currsize for i in infos))
