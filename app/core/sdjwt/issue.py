"""Issuing an SD-JWT (RFC 9901 §4.2): chosen top-level claims become disclosures, the rest stay plain."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ..b64 import b64url_encode
from ..errors import InputError
from ..keys import DEFAULT_MAX_KEY
from ..sign import SignResult, compact_json, sign
from .parse import digest_of

__all__ = ["IssuedSdJwt", "issue_sd_jwt"]

#: claims that must stay plain for the SD-JWT to be usable at all (RFC 9901 §9.7, and the ones this tool checks)
_ALWAYS_PLAIN = frozenset({"iss", "exp", "nbf", "cnf", "vct", "status", "_sd", "_sd_alg", "..."})
_MAX_DECOYS = 64


@dataclass(frozen=True)
class IssuedSdJwt:
    #: the SD-JWT with every disclosure, ending in '~' (a holder presents a subset of them)
    token: str
    disclosures: tuple[str, ...]
    signed: SignResult


def _b64(text: str) -> str:
    return b64url_encode(text.encode())


def issue_sd_jwt(
    header: dict[str, Any],
    payload: dict[str, Any],
    key_text: str | None,
    disclose: Collection[str],
    *,
    decoys: int = 0,
    secret_encoding: str = "utf8",
    max_key: int = DEFAULT_MAX_KEY,
) -> IssuedSdJwt:
    """Sign ``payload`` with the ``disclose`` claims moved into disclosures; InputError naming what cannot be done."""
    missing = [name for name in disclose if name not in payload]
    if missing:
        raise InputError("sd_claim_missing", f"No claim {missing[0][:32]!r} in the payload to disclose", "disclose")
    reserved = sorted(_ALWAYS_PLAIN.intersection(disclose))
    if reserved:
        raise InputError("sd_claim_reserved", f"{reserved[0]!r} must stay a plain claim", "disclose")
    if not 0 <= decoys <= _MAX_DECOYS:
        raise InputError("sd_decoys", f"decoys must be between 0 and {_MAX_DECOYS}", "decoys")
    texts = [_b64(compact_json([secrets.token_urlsafe(16), name, payload[name]])) for name in disclose]
    digests = [digest_of(t, "sha-256") for t in texts]
    digests += [digest_of(secrets.token_urlsafe(16), "sha-256") for _ in range(decoys)]
    plain = {k: v for k, v in payload.items() if k not in set(disclose)}
    # Sorted digests hide which position a claim had (RFC 9901 §4.2.4.1).
    body = {**plain, "_sd": sorted(digests), "_sd_alg": "sha-256"}
    signed = sign(
        {"typ": "dc+sd-jwt" if "vct" in payload else "example+sd-jwt", **header},
        body,
        key_text,
        secret_encoding=secret_encoding,
        max_key=max_key,
    )
    return IssuedSdJwt("~".join([signed.token, *texts, ""]), tuple(texts), signed)
