"""Taking an SD-JWT apart (RFC 9901 §4): the issuer-signed JWT, its disclosures and an optional KB-JWT."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from ..b64 import b64url_encode, decode_segment
from ..errors import InputError
from ..jsonparse import json_kind, parse_json
from ..tokens import DEFAULT_MAX_TOKEN

__all__ = ["HASHES", "Disclosure", "SdJwtParts", "decode_disclosure", "digest_of", "split_sd_jwt"]

#: IANA "Named Information Hash Algorithm" names an issuer may put in _sd_alg (RFC 9901 §4.1.1)
HASHES = {"sha-256": "sha256", "sha-384": "sha384", "sha-512": "sha512", "sha3-256": "sha3_256", "sha3-512": "sha3_512"}
#: an SD-JWT is pasted alone, without spaces; a bad character in a disclosure is that disclosure's problem
_SHAPE = re.compile(r"[^\s~]+~\S*")
#: how an SD-JWT travels in a request: after an Authorization header's scheme
_SCHEME = re.compile(r"^\s*(?:authorization\s*:\s*)?(?:bearer|dpop)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class SdJwtParts:
    issuer_jwt: str
    disclosures: tuple[str, ...]
    #: the Key Binding JWT, None when the SD-JWT ends with '~'
    kb_jwt: str | None
    #: the bytes sd_hash covers: everything up to and including the last '~'
    presented: str


@dataclass(frozen=True)
class Disclosure:
    """One disclosure as presented; ``problem`` says why it is not well formed (then nothing else is set)."""

    index: int
    text: str
    digest: str
    salt: str | None = None
    #: the claim name; None for an array element
    name: str | None = None
    value: Any = None
    problem: str | None = None

    @property
    def is_element(self) -> bool:
        return self.problem is None and self.name is None


def split_sd_jwt(text: str, *, max_size: int = DEFAULT_MAX_TOKEN) -> SdJwtParts | None:
    """The parts of ``text`` when it is an SD-JWT (a JWS followed by '~'), else None; InputError when too large."""
    stripped = _SCHEME.sub("", text, count=1).strip()
    if "~" not in stripped or _SHAPE.fullmatch(stripped) is None:
        return None
    if stripped.split("~", 1)[0].count(".") != 2:
        return None
    if len(stripped) > max_size:
        raise InputError(
            "token_too_large",
            f"The SD-JWT is {len(stripped):,} characters; the limit is {max_size:,}",
            "token",
            too_large=True,
        )
    parts = stripped.split("~")
    last = parts[-1]
    return SdJwtParts(parts[0], tuple(parts[1:-1]), last or None, stripped[: len(stripped) - len(last)])


def digest_of(text: str, alg: str) -> str:
    """base64url(hash(ASCII text)): a disclosure's digest, or a KB-JWT's sd_hash (RFC 9901 §4.2.3, §4.3.1)."""
    return b64url_encode(hashlib.new(HASHES[alg], text.encode("ascii")).digest())


def decode_disclosure(index: int, text: str, alg: str | None) -> Disclosure:
    """Read one disclosure; a malformed one comes back with ``problem`` set, never an exception."""
    where = f"disclosure {index + 1}"
    digest = digest_of(text, alg) if alg in HASHES and text.isascii() else ""
    try:
        if not text:
            raise InputError("disclosure_empty", f"{where} is empty (two '~' in a row)", where)
        raw = decode_segment(text, where)
        if not raw.canonical:
            raise InputError("disclosure_base64", f"{where} is not canonical base64url", where)
        value = parse_json(raw.raw.decode("utf-8"), where).value
    except InputError as exc:
        return Disclosure(index, text, digest, problem=exc.problem.message)
    except UnicodeDecodeError:
        return Disclosure(index, text, digest, problem=f"{where} is not UTF-8 JSON")
    if not isinstance(value, list) or len(value) not in (2, 3):
        shape = f"an array of {len(value)}" if isinstance(value, list) else json_kind(value)
        return Disclosure(index, text, digest, problem=f"{where} is {shape}, not a JSON array of 2 or 3 elements")
    if not isinstance(value[0], str):
        return Disclosure(index, text, digest, problem=f"{where}: the salt is {json_kind(value[0])}, not a string")
    if len(value) == 2:
        return Disclosure(index, text, digest, value[0], None, value[1])
    if not isinstance(value[1], str):
        return Disclosure(
            index, text, digest, problem=f"{where}: the claim name is {json_kind(value[1])}, not a string"
        )
    return Disclosure(index, text, digest, value[0], value[1], value[2])
