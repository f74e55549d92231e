"""One entry for any token: a compact JWS, a JWE, or a JWE holding a signed token, judged as one result.

The page, the JSON API and the CLI all render an Inspection, so they cannot disagree about a token.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .claims import ClaimCheck
from .dpop import DpopRequest, DpopResult, check_dpop, record_proof
from .errors import InputError, Problem
from .findings import DEFAULT_LONG_LIFETIME, Finding, sort_findings
from .jwe import DecodedJWE, DecryptResult, decode_jwe, decrypt_jwe
from .jwe.jsonser import RecipientsResult, decode_jwe_json, decrypt_jwe_json
from .jws_json import Serialization, attach_payload, decode_jws_json, read_jose_json
from .keys import DEFAULT_MAX_KEY, KeyInput, parse_key
from .policy import InvalidPolicy, Policy, ReplayGuard, check_claims
from .sdjwt import KeyBindingExpectation, SdJwt, split_sd_jwt, verify_sd_jwt
from .signatures import SignaturesResult, verify_jws_json
from .tokens import DEFAULT_MAX_TOKEN, TokenKind, decode_token, token_kind
from .verify import Verdict, VerifyResult, claims_verdict, verify_token
from .x5c import ChainCheck, check_x5c

__all__ = ["Inspection", "KeyText", "TokenKind", "inspect", "token_kind"]

#: JWE key management where the sender had to hold the same secret: decrypting authenticates the sender
_SYMMETRIC_PREFIXES = ("dir", "A128", "A192", "A256", "PBES2")


@dataclass(frozen=True)
class KeyText:
    """A key as the user gave it: the text and how to read a secret in it."""

    text: str
    secret_encoding: str = "utf8"
    #: auto, secret or public: what the user says the key is (never overrides a confusion refusal)
    key_kind: str = "auto"


@dataclass(frozen=True)
class Inspection:
    kind: TokenKind
    verdict: Verdict
    policy: Policy | InvalidPolicy
    #: the signed token: the JWS itself, or the one nested in a decrypted JWE
    signed: VerifyResult | None = None
    jwe: DecodedJWE | None = None
    decrypted: DecryptResult | None = None
    #: claim checks of a decrypted JWE whose plaintext is a claims set (no nested signature)
    jwe_claims: tuple[ClaimCheck, ...] = ()
    #: a key that could not be read: shown beside the keyless result (the API answers 400 with it)
    key_problem: Problem | None = None
    now: float = field(default=0.0)
    serialization: Serialization = "compact"
    #: a JWS JSON serialization: every signature and how it fared (``signed`` is the one that decided)
    signatures: SignaturesResult | None = None
    #: a JWE JSON serialization: each recipient tried, and which one the key decrypted
    recipients: RecipientsResult | None = None
    #: the signed token's x5c chain, when its header carries one
    x5c: ChainCheck | None = None
    #: an SD-JWT's disclosures, reconstructed claims and key binding (``signed`` is its issuer-signed JWT)
    sd_jwt: SdJwt | None = None
    #: the DPoP proof that came with the token, checked against the request the user describes
    dpop: DpopResult | None = None

    @property
    def verified(self) -> bool:
        return self.verdict.status == 200

    @property
    def findings(self) -> tuple[Finding, ...]:
        found = list(self.signed.findings) if self.signed else []
        if self.decrypted is not None:
            found += self.decrypted.findings
        elif self.jwe is not None:
            found += self.jwe.findings
        if self.recipients is not None:
            found += self.recipients.jwe.findings
        if self.sd_jwt is not None:
            found += self.sd_jwt.findings
        return sort_findings(found)


def _chain(header: dict[str, Any], anchors: str | None, now: float) -> ChainCheck | None:
    """The header's x5c chain; an unreadable chain is a chain that does not validate (the anchors' own errors rise)."""
    try:
        return check_x5c(header, anchors, now=now)
    except InputError as exc:
        if exc.problem.segment != "x5c":
            raise
        return ChainCheck((), None, None, False, f"not trusted: {exc.problem.message}")


def _parse(key: KeyText | None, max_key: int) -> KeyInput | None:
    return None if key is None else parse_key(key.text, key.secret_encoding, key.key_kind, max_size=max_key)


def _jwe_verdict(
    decrypted: DecryptResult | None, claims: tuple[ClaimCheck, ...], policy: Policy | InvalidPolicy
) -> Verdict:
    if isinstance(policy, InvalidPolicy):
        return Verdict(None, f"policy invalid: {policy.message}")
    if decrypted is None:
        return Verdict(401, "encrypted: no key was given to decrypt it")
    if not decrypted.ok:
        return Verdict(401, f"not decrypted: {decrypted.message}")
    alg = decrypted.token.alg or ""
    if not alg.startswith(_SYMMETRIC_PREFIXES):
        return Verdict(
            401, f"decrypted but not signed: with {alg}, anyone holding the public key could have made this token"
        )
    if decrypted.payload is None:
        return Verdict(401, "decrypted, but the plaintext is not a claims set or a signed token")
    return claims_verdict(claims, "decrypted with the shared key, and every claim check passed")


def inspect(
    text: str,
    key: KeyText | None,
    *,
    inner_key: KeyText | None = None,
    algorithms: Collection[str] | None = None,
    policy: Policy | InvalidPolicy | None = None,
    replay: ReplayGuard | None = None,
    record_jti: bool = False,
    allow_weak_keys: bool = False,
    max_token: int = DEFAULT_MAX_TOKEN,
    max_key: int = DEFAULT_MAX_KEY,
    long_lifetime: float = DEFAULT_LONG_LIFETIME,
    payload: bytes | None = None,
    trust_anchors: str | None = None,
    use_x5c: bool = False,
    holder_key: KeyText | None = None,
    kb_aud: str | None = None,
    kb_nonce: str | None = None,
    dpop: DpopRequest | None = None,
) -> Inspection:
    """Decode, decrypt and verify ``text``; InputError only for a token that cannot be read at all.

    A key that cannot be read is reported as ``key_problem`` beside the keyless result. A JWE's nested
    signed token is verified with ``inner_key`` (its own text and encoding), else with ``key``.
    ``payload`` is a JWS's detached content (RFC 7515 App. F, RFC 7797). A compact JWS's x5c chain is
    validated against ``trust_anchors`` (PEM); its leaf key verifies only with ``use_x5c`` and a valid chain.
    """
    policy = policy or Policy()
    options = {
        "algorithms": algorithms,
        "policy": policy,
        "replay": replay,
        "record_jti": record_jti,
        "allow_weak_keys": allow_weak_keys,
        "long_lifetime": long_lifetime,
    }
    applied = policy if isinstance(policy, Policy) else Policy()
    now = time.time() if applied.now is None else applied.now
    jose_json = read_jose_json(text, max_token)
    if jose_json is not None and "ciphertext" not in jose_json:
        jws = decode_jws_json(jose_json, payload)
        problem = None
        try:
            key_input = _parse(key, max_key)
        except InputError as exc:
            key_input, problem = None, exc.problem
        checked = verify_jws_json(jws, key_input, **options)  # type: ignore[arg-type]
        signed = checked.signed
        return Inspection(
            "JWS",
            signed.verdict,
            policy,
            signed=signed,
            key_problem=problem,
            now=signed.now,
            serialization=jws.serialization,
            signatures=checked,
        )
    parts = split_sd_jwt(text, max_size=max_token) if jose_json is None else None
    if parts is not None:
        try:
            expect = KeyBindingExpectation(kb_aud, kb_nonce, _parse(holder_key, max_key))
        except InputError as exc:
            raise InputError(
                exc.problem.code, f"Holder key: {exc.problem.message}", "holder_key", too_large=exc.problem.too_large
            ) from None
        problem = None
        try:
            key_input = _parse(key, max_key)
        except InputError as exc:
            key_input, problem = None, exc.problem
        proof = _proof(dpop, None, applied, options, now, max_token)
        record = record_jti and (proof is None or proof.valid)
        signed, sd = verify_sd_jwt(
            parts,
            key_input,
            expect,
            max_token=max_token,
            now=now,
            **{**options, "record_jti": record},  # type: ignore[arg-type]
        )
        result = Inspection("JWS", signed.verdict, policy, signed=signed, key_problem=problem, now=now, sd_jwt=sd)
        return _with_proof(result, proof, applied, options)
    if jose_json is None and token_kind(text, max_size=max_token) == "JWS":
        token = decode_token(text, max_size=max_token)
        if payload is not None:
            token = attach_payload(token, payload)
        problem = None
        try:
            key_input = _parse(key, max_key)
        except InputError as exc:
            key_input, problem = None, exc.problem
        chain = _chain(token.header, trust_anchors, now)
        if use_x5c and chain is not None and chain.leaf_public_pem is not None:
            # asked for, and validated to an anchor the user gave: only then is the embedded key trusted
            key_input, problem = parse_key(chain.leaf_public_pem, max_size=max_key), None
        proof = _proof(dpop, token.text, applied, options, now, max_token)
        record = record_jti and (proof is None or proof.valid)
        signed = verify_token(token, key_input, **{**options, "record_jti": record})  # type: ignore[arg-type]
        result = Inspection(
            "JWS", signed.verdict, policy, signed=signed, key_problem=problem, now=signed.now, x5c=chain
        )
        return _with_proof(result, proof, applied, options)

    multi = decode_jwe_json(jose_json) if jose_json is not None else None
    jwe = multi.recipients[0] if multi is not None else decode_jwe(text, max_size=max_token)
    extra: dict[str, Any] = {} if multi is None else {"serialization": multi.serialization}
    if key is None:
        if multi is not None:
            extra["recipients"] = decrypt_jwe_json(multi, None, allow_weak_keys=allow_weak_keys)
        return Inspection("JWE", _jwe_verdict(None, (), policy), policy, jwe=jwe, now=now, **extra)
    try:
        if multi is None:
            decrypted = decrypt_jwe(
                text,
                key.text,
                secret_encoding=key.secret_encoding,
                max_size=max_token,
                max_key=max_key,
                allow_weak_keys=allow_weak_keys,
            )
        else:
            recipients = decrypt_jwe_json(multi, _parse(key, max_key), allow_weak_keys=allow_weak_keys)
            decrypted, jwe, extra["recipients"] = recipients.decrypted, recipients.decrypted.token, recipients
    except InputError as exc:
        if exc.problem.segment not in ("key", "secret_encoding"):
            raise
        return Inspection(
            "JWE", _jwe_verdict(None, (), policy), policy, jwe=jwe, key_problem=exc.problem, now=now, **extra
        )
    if decrypted.ok and decrypted.nested_kind == "jws" and decrypted.nested_token is not None:
        nested = decode_token(decrypted.nested_token, max_size=max_token)
        problem = None
        try:
            key_input = _parse(inner_key or key, max_key)
        except InputError as exc:
            key_input, problem = None, exc.problem
        signed = verify_token(nested, key_input, **options)  # type: ignore[arg-type]
        return Inspection(
            "JWE",
            signed.verdict,
            policy,
            signed=signed,
            jwe=jwe,
            decrypted=decrypted,
            key_problem=problem,
            now=now,
            **extra,
        )
    claims: tuple[ClaimCheck, ...] = ()
    if decrypted.ok and decrypted.payload is not None:
        claims = check_claims(decrypted.payload, applied, now, decrypted.header, replay=replay)
    verdict = _jwe_verdict(decrypted, claims, policy)
    return Inspection("JWE", verdict, policy, jwe=jwe, decrypted=decrypted, jwe_claims=claims, now=now, **extra)


def _proof(
    request: DpopRequest | None,
    access_token: str | None,
    policy: Policy,
    options: Mapping[str, Any],
    now: float,
    max_token: int,
) -> DpopResult | None:
    """The DPoP proof checked before the token, so a failing proof records no jti."""
    if request is None:
        return None
    if request.access_token is None and access_token is not None and access_token != request.proof.strip():
        request = replace(request, access_token=access_token)  # the token being verified is the one presented
    try:
        return check_dpop(
            request,
            now=now,
            leeway=policy.leeway_seconds,
            algorithms=options["algorithms"],
            replay=options["replay"] if policy.replay else None,
            max_token=max_token,
        )
    except InputError as exc:
        raise InputError(
            exc.problem.code, f"DPoP proof: {exc.problem.message}", "dpop.proof", too_large=exc.problem.too_large
        ) from None


def _with_proof(
    result: Inspection, checked: DpopResult | None, policy: Policy, options: Mapping[str, Any]
) -> Inspection:
    """A failing proof turns an accepted token into a 401; an accepted pair records the proof's jti."""
    if checked is None:
        return result
    replay = options["replay"]
    if options["record_jti"] and policy.replay and replay is not None and result.verified:
        checked = record_proof(checked, replay, result.now)
    verdict = result.verdict
    if verdict.status == 200 and not checked.valid:
        failed = next(c for c in checked.checks if c.status == "fail")
        verdict = Verdict(401, f"dpop {failed.name}: {failed.message}")
    return replace(result, verdict=verdict, dpop=checked)
