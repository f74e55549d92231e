"""Checking every signature of a JWS JSON serialization, and the one verdict over them.

The rule: accepted when at least one signature verifies (and the claims pass); the answer names which did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass

from .algorithms import SUPPORTED
from .findings import DEFAULT_LONG_LIFETIME, sort_findings
from .jws_json import JWSJSON, JSONSignature
from .keys import KeyInput
from .policy import InvalidPolicy, Policy, ReplayGuard
from .verify import SignatureCheck, Verdict, VerifyResult, check_signature, verify_token

__all__ = ["SignatureEntry", "SignaturesResult", "verify_jws_json"]


@dataclass(frozen=True)
class SignatureEntry:
    signature: JSONSignature
    check: SignatureCheck


@dataclass(frozen=True)
class SignaturesResult:
    jws: JWSJSON
    entries: tuple[SignatureEntry, ...]
    #: the claims and verdict, as checked through the first signature that verified (else the first one)
    signed: VerifyResult

    @property
    def verified_indexes(self) -> tuple[int, ...]:
        return tuple(e.signature.index for e in self.entries if e.check.valid)


def _check(
    signature: JSONSignature, jws: JWSJSON, key_input: KeyInput | None, allowed: Collection[str], weak: bool
) -> SignatureCheck:
    token = signature.token
    kid = token.header.get("kid")
    kid = kid if isinstance(kid, str) else None
    if signature.problem is not None:
        return SignatureCheck(False, "invalid", token.alg, kid, f"Invalid: {signature.problem}")
    if jws.detached and not jws.attached:
        return SignatureCheck(
            False,
            "invalid",
            token.alg,
            kid,
            "The payload is detached (absent from the JSON): give the detached content to check this signature",
        )
    return check_signature(token, key_input, allowed, allow_weak_keys=weak)


def _verdict(signed: VerifyResult, entries: tuple[SignatureEntry, ...]) -> Verdict:
    total = len(entries)
    valid = [e.signature.index for e in entries if e.check.valid]
    if signed.verdict.status is None:
        return signed.verdict
    if not valid:
        reasons = "; ".join(f"signature {e.signature.index}: {e.check.message}" for e in entries[:5])
        return Verdict(401, f"none of the {total} signatures verified ({reasons})")
    which = ", ".join(str(i) for i in valid)
    return Verdict(
        signed.verdict.status, f"{len(valid)} of {total} signatures verified (index {which}); {signed.verdict.reason}"
    )


def verify_jws_json(
    jws: JWSJSON,
    key_input: KeyInput | None,
    *,
    algorithms: Collection[str] | None = None,
    policy: Policy | InvalidPolicy | None = None,
    replay: ReplayGuard | None = None,
    record_jti: bool = False,
    allow_weak_keys: bool = False,
    long_lifetime: float = DEFAULT_LONG_LIFETIME,
) -> SignaturesResult:
    """Each signature checked against ``key_input``; claims checked once, through a signature that verified."""
    allowed = SUPPORTED if algorithms is None else tuple(a for a in algorithms if a in SUPPORTED)
    entries = tuple(SignatureEntry(s, _check(s, jws, key_input, allowed, allow_weak_keys)) for s in jws.signatures)
    chosen = next((e for e in entries if e.check.valid), entries[0])
    signed = verify_token(
        chosen.signature.token,
        key_input,
        algorithms=algorithms,
        policy=policy,
        replay=replay,
        record_jti=record_jti and chosen.check.valid,
        allow_weak_keys=allow_weak_keys,
        long_lifetime=long_lifetime,
    )
    if not chosen.check.valid:  # e.g. detached content missing: say so rather than "does not match"
        signed = dataclasses.replace(signed, signature=chosen.check)
    findings = sort_findings([*signed.findings, *jws.findings])
    signed = dataclasses.replace(signed, findings=findings, verdict=_verdict(signed, entries))
    return SignaturesResult(jws, entries, signed)
