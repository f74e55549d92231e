"""What became of each key the user gave: shared by JWS verification and JWE decryption."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["KeyAttempt", "KeyUsed", "Outcome"]

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
