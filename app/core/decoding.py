"""Decoding a token without a key: its parts, its claims as they read, and what is risky about it.

Kept apart from verification so that ``jwtlens decode`` loads neither the policy model nor the key readers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .claims import ClaimInfo, describe_claims
from .findings import DEFAULT_LONG_LIFETIME, Finding, sort_findings, token_findings
from .tokens import DEFAULT_MAX_TOKEN, DecodedToken, decode_token

__all__ = ["DecodeResult", "decode"]


@dataclass(frozen=True)
class DecodeResult:
    token: DecodedToken
    claims: tuple[ClaimInfo, ...]
    findings: tuple[Finding, ...]


def decode(
    text: str,
    *,
    now: float | None = None,
    max_token: int = DEFAULT_MAX_TOKEN,
    long_lifetime: float = DEFAULT_LONG_LIFETIME,
) -> DecodeResult:
    token = decode_token(text, max_size=max_token)
    moment = time.time() if now is None else now
    findings = token_findings(token, moment, long_lifetime)
    return DecodeResult(token, describe_claims(token.payload, moment), sort_findings(findings))
