"""Verifying a token: signature, claims, findings and a gateway's verdict, as one result."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from .algorithms import SUPPORTED, AlgSpec, implementation, spec_for, suggest
from .attempts import KeyAttempt, KeyUsed, candidates
from .claims import ClaimCheck, ClaimInfo, describe_claims
from .findings import DEFAULT_LONG_LIFETIME, Finding, key_findings, sort_findings, token_findings
from .keyrules import forbidden_use, key_mismatch
from .keys import DEFAULT_MAX_KEY, KeyInput, ParsedKey, parse_key
from .policy import InvalidPolicy, Policy, ReplayGuard, check_claims
from .signature_hints import encoding_finding, length_finding
from .timefmt import as_numeric_date, iso
from .tokens import DEFAULT_MAX_TOKEN, DecodedToken, decode_token

__all__ = [
    "UNDERSTOOD_CRIT",
    "KeyAttempt",
    "KeyUsed",
    "SignatureCheck",
    "Verdict",
    "VerifyResult",
    "check_signature",
    "claims_verdict",
    "verdict_for",
    "verify",
    "verify_token",
]

SignatureStatus = Literal["verified", "invalid", "unsigned", "no_key", "refused", "weak_key"]
_SUPPORTED_SET = frozenset(SUPPORTED)
#: how long a jti without exp is remembered
NO_EXP_TTL = 24 * 3600
#: extension header names jwtlens processes, so they may appear in crit (RFC 7515 §4.1.11)
UNDERSTOOD_CRIT = frozenset({"b64"})


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool
    status: SignatureStatus
    alg: str | None
    kid: str | None
    message: str
    key: KeyUsed | None = None
    attempts: tuple[KeyAttempt, ...] = ()
    #: the RFC rule a weak key broke, when "allow weak keys" let it verify anyway
    weak_allowed: str | None = None
    #: the user's key the signature matched (verified or weak_key); never shown, so a secret stays out of reprs
    verifier: ParsedKey | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Verdict:
    """What an API gateway would answer: 200, 401 (authentication) or 403 (authorization).

    ``status`` is None when the policy itself is invalid: no answer can be trusted, so nothing passes.
    """

    status: Literal[200, 401, 403] | None
    reason: str

    @property
    def outcome(self) -> str:
        """accepted, unauthenticated, forbidden or policy_invalid: the verdict in one word."""
        return {200: "accepted", 401: "unauthenticated", 403: "forbidden", None: "policy_invalid"}[self.status]

    @property
    def label(self) -> str:
        return "policy invalid" if self.status is None else str(self.status)


@dataclass(frozen=True)
class VerifyResult:
    token: DecodedToken
    signature: SignatureCheck
    claims: tuple[ClaimCheck, ...]
    findings: tuple[Finding, ...]
    verdict: Verdict
    key_input: KeyInput | None = None
    #: the moment the claims were checked against
    now: float = 0.0
    #: the policy applied, or why it could not be (then the verdict is "policy invalid")
    policy: Policy | InvalidPolicy = field(default_factory=Policy)

    @property
    def verified(self) -> bool:
        return self.verdict.status == 200

    @cached_property
    def claim_infos(self) -> tuple[ClaimInfo, ...]:
        """The claims as the page shows them; computed only when rendered (the API does not need them)."""
        return describe_claims(self.token.payload, self.now)


def _fail(token: DecodedToken, status: SignatureStatus, message: str, **extra: object) -> SignatureCheck:
    return SignatureCheck(False, status, token.alg, _kid(token), message, **extra)  # type: ignore[arg-type]


def _kid(token: DecodedToken) -> str | None:
    kid = token.header.get("kid")
    return kid if isinstance(kid, str) else None


def _structure_problem(token: DecodedToken, allowed: Collection[str]) -> SignatureCheck | None:
    """Reasons to refuse the token before any key is touched."""
    header = token.header
    alg = header.get("alg")
    if alg is None:
        return _fail(token, "invalid", "The header has no alg, so there is no algorithm to verify with")
    if not isinstance(alg, str):
        return _fail(token, "invalid", "The header's alg is not a string")
    if alg.lower() == "none":
        return _fail(
            token, "unsigned", f"Unsigned token (alg: {alg}): there is no signature to check, so it is never verified"
        )
    if alg not in SUPPORTED:
        hint = suggest(alg)
        extra = f"; algorithm names are case-sensitive: did you mean {hint}?" if hint else ""
        return _fail(token, "invalid", f"Unsupported algorithm '{alg[:32]}'{extra}")
    if alg not in allowed:
        return _fail(token, "refused", f"{alg} is not in the allowed algorithms ({', '.join(allowed) or 'none'})")
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
            return _fail(token, "invalid", "crit must be a non-empty array of header names (RFC 7515 §4.1.11)")
        if len(set(crit)) != len(crit):
            return _fail(token, "invalid", "crit names the same header twice; a strict verifier rejects it")
        unknown = [c for c in crit if c not in UNDERSTOOD_CRIT]
        if unknown:
            return _fail(
                token,
                "invalid",
                f"crit lists {', '.join(repr(c[:32]) for c in unknown[:5])}, which jwtlens does not understand; "
                "RFC 7515 requires rejecting the token",
            )
        missing = [c for c in crit if c not in header]
        if missing:
            return _fail(
                token, "invalid", f"crit names {', '.join(repr(c) for c in missing[:5])}, absent from the header"
            )
    if not token.b64:
        crit = header.get("crit")
        if not (isinstance(crit, list) and "b64" in crit):
            return _fail(token, "invalid", "b64: false must be listed in crit (RFC 7797 §6)")
    header_seg, payload_seg, signature_seg = token.segments
    if not (header_seg.canonical and payload_seg.canonical and signature_seg.canonical):
        for segment, name in zip(token.segments, ("header", "payload", "signature"), strict=True):
            if not segment.canonical:
                return _fail(token, "invalid", f"The {name} is not canonical base64url ({segment.noncanonical_reason})")
    if not token.signature:
        return _fail(token, "invalid", f"Invalid signature: the signature is empty, but alg is {alg}")
    return None


def _secret_of(parsed: ParsedKey | None) -> bytes | None:
    """The secret that made the signature, when an HMAC secret did (so the weak-secret list is a lookup)."""
    return parsed.key.raw_value if parsed is not None and isinstance(parsed.key, OctKey) else None


def _key_confusion(spec: AlgSpec, key_input: KeyInput) -> bool:
    """An HMAC alg met key material that is no secret (PEM, certificate, SSH key, non-oct JWK, bare DER...)."""
    return spec.kty == "oct" and not key_input.has_secret_key


def check_signature(
    token: DecodedToken, key_input: KeyInput | None, allowed: Collection[str], *, allow_weak_keys: bool = False
) -> SignatureCheck:
    problem = _structure_problem(token, allowed)
    if problem is not None:
        return problem
    alg = token.header["alg"]
    spec = spec_for(alg)
    assert spec is not None
    if key_input is None:
        return _fail(token, "no_key", "No key given: the signature needs the secret or the public key to be checked")
    if _key_confusion(spec, key_input):
        return _fail(
            token,
            "refused",
            f"Refused: key confusion. {alg} is HMAC, but the key is {key_input.label}"
            + (f" ({key_input.kind_conflict})" if key_input.kind_conflict else "")
            + ". Using public key material as an HMAC secret is the RS→HS key-confusion attack; "
            "a safe verifier never does it",
        )
    chosen, attempts = candidates(key_input, _kid(token))
    if not chosen:
        kids = ", ".join(repr(k.kid) for k in key_input.keys if k.kid) or "none"
        return _fail(
            token,
            "invalid",
            f"No key in the JWKS has kid '{_kid(token)}' (kids present: {kids})",
            attempts=tuple(attempts),
        )
    implementation_ = implementation(alg)
    signing_input = token.signing_input
    for parsed in chosen:
        reason = key_mismatch(spec, parsed)
        if reason is not None:
            attempts.append(KeyAttempt(parsed.index, parsed.kid, parsed.description, "skipped", reason))
            continue
        try:
            ok = implementation_.verify(signing_input, token.signature, parsed.key)
        except (ValueError, TypeError, JoseError):
            ok = False
        if ok:
            used = KeyUsed(parsed.kid, parsed.thumbprint, key_input.label, parsed.description, parsed.curve)
            which = f" (kid '{parsed.kid}')" if key_input.is_set and parsed.kid else ""
            forbidden = forbidden_use(parsed, alg)
            if forbidden is not None and not allow_weak_keys:
                attempts.append(KeyAttempt(parsed.index, parsed.kid, parsed.description, "weak_key", forbidden))
                return SignatureCheck(
                    False,
                    "weak_key",
                    alg,
                    _kid(token),
                    f"Not verified: the signature matches the {key_input.label}{which}, but {forbidden}",
                    used,
                    tuple(attempts),
                    verifier=parsed,
                )
            attempts.append(KeyAttempt(parsed.index, parsed.kid, parsed.description, "verified", "signature matches"))
            allowed_weak = f" (allowed although {forbidden}: testing only)" if forbidden is not None else ""
            return SignatureCheck(
                True,
                "verified",
                alg,
                _kid(token),
                f"Signature verified with the {key_input.label}{which}: {parsed.description}{allowed_weak}",
                used,
                tuple(attempts),
                forbidden,
                parsed,
            )
        attempts.append(
            KeyAttempt(parsed.index, parsed.kid, parsed.description, "bad_signature", "signature does not match")
        )
    tried = [a for a in attempts if a.outcome == "bad_signature"]
    if not tried:
        reasons = "; ".join(dict.fromkeys(a.reason for a in attempts))
        return _fail(token, "invalid", f"Invalid signature: no usable key: {reasons}", attempts=tuple(attempts))
    what = "key" if len(tried) == 1 else f"{len(tried)} keys"
    return _fail(
        token,
        "invalid",
        f"Invalid signature: it does not match the {what} given "
        "(the token was changed after signing, or signed with another key)",
        attempts=tuple(attempts),
    )


def verdict_for(signature: SignatureCheck, claims: tuple[ClaimCheck, ...], policy: Policy | InvalidPolicy) -> Verdict:
    """401 when authentication fails (structure, signature, standard claims), 403 when a rule does."""
    if isinstance(policy, InvalidPolicy):
        return Verdict(None, f"policy invalid: {policy.message}")
    if not signature.valid:
        return Verdict(401, f"signature: {signature.message}")
    weak = ", with a weak key allowed for testing only" if signature.weak_allowed is not None else ""
    return claims_verdict(claims, f"signature and every claim check passed{weak}")


def claims_verdict(claims: tuple[ClaimCheck, ...], passed: str) -> Verdict:
    """Once the sender is authenticated: 401 for a failed standard claim, 403 for a failed rule, else 200."""
    for check in claims:
        if check.status == "fail" and not check.rule:
            return Verdict(401, f"claim {check.name}: {check.message}")
    for check in claims:
        if check.status == "fail":
            return Verdict(403, f"rule {check.name}: {check.message}")
    return Verdict(200, passed)


def _keep_until(payload: dict[str, Any], policy: Policy) -> float:
    """A recorded jti is kept while the token could still be accepted: until exp plus the leeway."""
    exp = as_numeric_date(payload.get("exp"))
    server_now = time.time()
    if exp is None:
        return server_now + NO_EXP_TTL
    return max(exp + policy.leeway_seconds, server_now + 60)


def _record_jti(
    token: DecodedToken, claims: tuple[ClaimCheck, ...], policy: Policy, replay: ReplayGuard
) -> tuple[ClaimCheck, ...]:
    """Record a verified token's jti atomically; when another request recorded it first, this one is the replay."""
    payload = token.payload or {}
    jti, issuer = payload.get("jti"), payload.get("iss")
    if not isinstance(jti, str):
        return claims
    seen = replay.record(issuer if isinstance(issuer, str) else "", jti, _keep_until(payload, policy))
    if seen is None:
        return claims
    replayed = ClaimCheck("jti", "fail", f"replay: this jti was already verified at {iso(seen)}")
    return tuple(replayed if c.name == "jti" and not c.rule else c for c in claims)


def verify(
    text: str,
    key_text: str | None,
    *,
    secret_encoding: str = "utf8",
    key_kind: str = "auto",
    max_token: int = DEFAULT_MAX_TOKEN,
    max_key: int = DEFAULT_MAX_KEY,
    **options: Any,
) -> VerifyResult:
    """Verify ``text`` with ``key_text``; InputError only for input that cannot be read at all.

    ``options`` are verify_token's. ``None`` means no key given; "" is an empty secret, refused.
    """
    token = decode_token(text, max_size=max_token)
    key_input = None if key_text is None else parse_key(key_text, secret_encoding, key_kind, max_size=max_key)
    return verify_token(token, key_input, **options)


def verify_token(
    token: DecodedToken,
    key_input: KeyInput | None,
    *,
    algorithms: Collection[str] | None = None,
    policy: Policy | InvalidPolicy | None = None,
    replay: ReplayGuard | None = None,
    record_jti: bool = False,
    allow_weak_keys: bool = False,
    long_lifetime: float = DEFAULT_LONG_LIFETIME,
) -> VerifyResult:
    """Signature, claims, findings and verdict of a decoded token with a parsed key.

    An invalid policy still shows the signature and the claims (checked as if no policy were set),
    but the verdict is "policy invalid". ``record_jti`` records a verified token's jti in ``replay``.
    """
    policy = policy or Policy()
    applied = policy if isinstance(policy, Policy) else Policy()
    now = time.time() if applied.now is None else applied.now
    allowed = SUPPORTED if algorithms is None else tuple(a for a in algorithms if a in _SUPPORTED_SET)
    signature = check_signature(token, key_input, allowed, allow_weak_keys=allow_weak_keys)
    findings = token_findings(token, now, long_lifetime, signed_with=_secret_of(signature.verifier))
    if key_input is not None:
        findings += key_findings(key_input, token.alg, "verify")
    if not signature.valid:
        hints = (length_finding(token, key_input), encoding_finding(token, key_input))
        findings += [hint for hint in hints if hint is not None]
    # Refused because an HMAC alg met key material (parsed as what it is, whatever its spelling).
    spec = spec_for(token.alg) if token.alg is not None and token.alg in allowed else None
    hmac_refused = signature.status == "refused" and spec is not None and spec.kty == "oct"
    if hmac_refused and key_input is not None and not key_input.has_secret_key:
        conflict = key_input.kind_conflict
        findings.append(
            Finding(
                "key_confusion",
                "danger",
                "Public key material was offered as an HMAC secret (RS→HS key confusion)"
                + (f": {conflict}" if conflict else ""),
                "Pin the algorithm on the server; never let the token's alg choose how a key is used",
                "key",
            )
        )
    curve = signature.key.curve if signature.key is not None else None
    claims = check_claims(token.payload, applied, now, token.header, key_curve=curve, replay=replay)
    verdict = verdict_for(signature, claims, policy)
    if record_jti and replay is not None and applied.replay and verdict.status == 200:
        claims = _record_jti(token, claims, applied, replay)
        verdict = verdict_for(signature, claims, policy)
    return VerifyResult(
        token=token,
        signature=signature,
        claims=claims,
        now=now,
        findings=sort_findings(findings),
        verdict=verdict,
        key_input=key_input,
        policy=policy,
    )
