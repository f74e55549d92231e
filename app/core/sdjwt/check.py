"""Verifying an SD-JWT: the issuer's signature, the disclosures, the key binding and the policy, as one verdict."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from ..algorithms import SUPPORTED
from ..claims import ClaimCheck
from ..findings import DEFAULT_LONG_LIFETIME, Finding
from ..keys import KeyInput
from ..policy import InvalidPolicy, Policy, ReplayGuard
from ..tokens import DEFAULT_MAX_TOKEN, DecodedToken, decode_token
from ..verify import Verdict, VerifyResult, verify_token
from .keybinding import KeyBinding, KeyBindingExpectation, check_key_binding
from .parse import SdJwtParts
from .reconstruct import Reconstruction, reconstruct

__all__ = ["SdJwt", "verify_sd_jwt"]

_VC_TYPES = ("dc+sd-jwt", "vc+sd-jwt")


@dataclass(frozen=True)
class SdJwt:
    parts: SdJwtParts
    #: the issuer-signed JWT as signed (``_sd`` arrays and all)
    token: DecodedToken
    reconstruction: Reconstruction
    key_binding: KeyBinding
    checks: tuple[ClaimCheck, ...]
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks) and self.key_binding.ok

    @property
    def vct(self) -> str | None:
        claims = self.reconstruction.claims or {}
        vct = claims.get("vct")
        return vct if isinstance(vct, str) else None

    @property
    def claim_rows(self) -> list[tuple[str, Any, bool]]:
        """Each reconstructed top-level claim with whether it was selectively disclosed."""
        claims = self.reconstruction.claims or {}
        return [(name, value, name in self.reconstruction.disclosed_names) for name, value in claims.items()]


def _vc(token: DecodedToken, claims: dict[str, Any] | None) -> tuple[list[ClaimCheck], list[Finding]]:
    typ = token.header.get("typ")
    if not isinstance(typ, str) or typ.lower().removeprefix("application/") not in _VC_TYPES:
        return [], []
    findings = []
    if typ.lower().endswith("vc+sd-jwt"):
        findings.append(
            Finding(
                "sd_jwt_vc_old_typ",
                "warning",
                "typ vc+sd-jwt is the older SD-JWT VC media type",
                "Issue dc+sd-jwt; verifiers may accept both while wallets move over",
                "header",
            )
        )
    vct = (claims or {}).get("vct")
    if isinstance(vct, str) and vct:
        return [ClaimCheck("vct", "pass", "an SD-JWT VC names its type (vct)")], findings
    return [ClaimCheck("vct", "fail", "an SD-JWT VC must have a vct string claim")], findings


def _verdict(signed: VerifyResult, sd: SdJwt) -> Verdict:
    if signed.verdict.status is None or not signed.signature.valid:
        return signed.verdict
    for check in sd.checks:
        if check.status == "fail":
            return Verdict(401, f"sd-jwt {check.name}: {check.message}")
    for check in sd.key_binding.checks:
        if check.status == "fail" and not sd.key_binding.ok:
            return Verdict(401, f"key binding {check.name}: {check.message}")
    if signed.verdict.status == 200:
        return Verdict(200, "signature, disclosures, key binding and every claim check passed")
    return signed.verdict


def verify_sd_jwt(
    parts: SdJwtParts,
    key_input: KeyInput | None,
    expect: KeyBindingExpectation | None = None,
    *,
    algorithms: Collection[str] | None = None,
    policy: Policy | InvalidPolicy | None = None,
    replay: ReplayGuard | None = None,
    record_jti: bool = False,
    allow_weak_keys: bool = False,
    long_lifetime: float = DEFAULT_LONG_LIFETIME,
    max_token: int = DEFAULT_MAX_TOKEN,
    now: float,
) -> tuple[VerifyResult, SdJwt]:
    """The issuer-signed JWT through verify_token, its claims reconstructed first; InputError if it is unreadable."""
    token = decode_token(parts.issuer_jwt, max_size=max_token)
    rebuilt = reconstruct(token.payload, parts.disclosures)
    applied = policy if isinstance(policy, Policy) else Policy()
    allowed = SUPPORTED if algorithms is None else tuple(algorithms)
    kb = check_key_binding(
        parts, rebuilt.claims, rebuilt.alg, expect or KeyBindingExpectation(), allowed, now, applied.leeway_seconds
    )
    vc_checks, findings = _vc(token, rebuilt.claims)
    sd = SdJwt(parts, token, rebuilt, kb, rebuilt.checks + tuple(vc_checks), tuple(findings))
    shown = token if rebuilt.claims is None else replace(token, payload=rebuilt.claims)
    signed = verify_token(
        shown,
        key_input,
        algorithms=algorithms,
        policy=policy,
        replay=replay,
        record_jti=record_jti and sd.ok,
        allow_weak_keys=allow_weak_keys,
        long_lifetime=long_lifetime,
    )
    return replace(signed, token=token, verdict=_verdict(signed, sd)), sd
