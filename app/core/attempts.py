"""What became of each key the user gave: shared by JWS verification and JWE decryption."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .keys import KeyInput, ParsedKey

__all__ = ["KeyAttempt", "KeyUsed", "Outcome", "candidates"]

#: verified / bad_signature for a signature, decrypted / failed for a JWE, skipped for either;
#: weak_key: it matched, but the RFCs forbid the key
Outcome = Literal["verified", "bad_signature", "decrypted", "failed", "skipped", "weak_key"]


@dataclass(frozen=True)
class KeyUsed:
    """The key that verified or decrypted, and where it came from."""

    kid: str | None
    thumbprint: str
    source: str
    description: str
    #: EC / OKP curve: EdDSA's at_hash follows it
    curve: str | None = None


@dataclass(frozen=True)
class KeyAttempt:
    """Why one key of the user's did or did not verify or decrypt."""

    index: int
    kid: str | None
    description: str
    outcome: Outcome
    reason: str


def candidates(key_input: KeyInput, kid: str | None) -> tuple[list[ParsedKey], list[KeyAttempt]]:
    """The keys to try: in a JWKS, those whose kid is the token's (a kid only ever selects, by exact match)."""
    if key_input.is_set and kid is not None:
        chosen = [k for k in key_input.keys if k.kid == kid]
        skipped = [
            KeyAttempt(k.index, k.kid, k.description, "skipped", f"kid '{k.kid}' is not the token's '{kid}'")
            for k in key_input.keys
            if k.kid != kid
        ]
        return chosen, skipped
    return list(key_input.keys), []
