"""The JSON shapes of core results; the templates render the same objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from app.core import DecodeResult, InvalidPolicy, Policy, SignResult, Verdict, VerifyResult
from app.core.claims import ClaimCheck, ClaimInfo
from app.core.compare import Comparison
from app.core.findings import Finding
from app.core.inspect import Inspection
from app.core.jsonparse import json_safe
from app.core.jwe import DecodedJWE, DecryptResult
from app.core.keytools import ConvertedKey, GeneratedKey
from app.core.tokens import DecodedToken

__all__ = ["FetchedKeys", "ProviderReply", "decode_json", "inspection_json", "oauth_json", "sign_json", "verify_json"]


class FetchedKeys(Protocol):
    """Keys fetched from an issuer or a JWKS URL: app.web.keysource.KeySource, which present cannot import."""

    @property
    def label(self) -> str: ...

    def as_dict(self) -> dict[str, Any]: ...


class ProviderReply(Protocol):
    """An identity provider's answer: app.oauth.ProviderAnswer, which present does not import."""

    def as_dict(self) -> dict[str, Any]: ...


def _claim_info(info: ClaimInfo) -> dict[str, Any]:
    data: dict[str, Any] = {"name": info.name, "value": json_safe(info.value), "description": info.description}
    if info.time is not None:
        data["time"] = {"epoch": info.time.epoch, "iso": info.time.iso, "relative": info.time.relative}
    return data


def _claim_check(check: ClaimCheck) -> dict[str, Any]:
    return {"name": check.name, "status": check.status, "message": check.message}


def _findings(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    return [f.as_dict() for f in findings]


def _token_parts(token: DecodedToken) -> dict[str, Any]:
    return {
        "header": json_safe(token.header),
        "payload": json_safe(token.payload) if token.payload is not None else None,
        "payload_text": token.payload_text,
        "signature": token.segments[2].text,
    }


def decode_json(result: DecodeResult) -> dict[str, Any]:
    return {
        **_token_parts(result.token),
        "claims": [_claim_info(c) for c in result.claims],
        "findings": _findings(result.findings),
    }


def inspection_json(result: Inspection, key_source: FetchedKeys | None = None) -> dict[str, Any]:
    """The one answer for any token: a JWS's verify_json; for a JWE its header, decryption and nested token.

    ``key_source``: the verify key was fetched, so the answer says from where (and the JWS's key names it).
    """
    origin = {} if key_source is None else {"key_source": key_source.as_dict()}
    if result.kind == "JWS" and result.signed is not None:
        label = None if key_source is None else key_source.label
        return {"type": "JWS", **verify_json(result.signed, key_label=label), **origin}
    data: dict[str, Any] = {"type": "JWE"}
    if result.jwe is not None:
        data["jwe"] = jwe_header_json(result.jwe)
    if result.decrypted is not None:
        data.update(decrypt_json(result.decrypted))
    if result.signed is not None:
        data["nested"] = {"token": result.signed.token.text, **verify_json(result.signed)}
    elif result.decrypted is not None and result.decrypted.payload is not None:
        data["claims"] = [_claim_check(c) for c in result.jwe_claims]
    data.update(
        verified=result.verified,
        verdict=_verdict_json(result.verdict, result.policy),
        findings=_findings(result.findings),
        **origin,
    )
    return data


def verify_json(result: VerifyResult, key_label: str | None = None) -> dict[str, Any]:
    """``key_label`` names where the key came from when the core only saw its text (a fetched JWKS)."""
    sig = result.signature
    key = None
    if sig.key is not None:
        source = sig.key.source if key_label is None else key_label
        key = {"kid": sig.key.kid, "thumbprint": sig.key.thumbprint, "source": source}
    return {
        "verified": result.verified,
        "signature": {
            "valid": sig.valid,
            "status": sig.status,
            "alg": sig.alg,
            "kid": sig.kid,
            "message": sig.message,
            "key": key,
            "attempts": [
                {"index": a.index, "kid": a.kid, "key": a.description, "outcome": a.outcome, "reason": a.reason}
                for a in sig.attempts
            ],
        },
        "claims": [_claim_check(c) for c in result.claims],
        "findings": _findings(result.findings),
        "verdict": _verdict_json(result.verdict, result.policy),
        "header": json_safe(result.token.header),
        "payload": json_safe(result.token.payload) if result.token.payload is not None else None,
    }


def _verdict_json(verdict: Verdict, policy: Policy | InvalidPolicy) -> dict[str, Any]:
    data: dict[str, Any] = {"status": verdict.status, "outcome": verdict.outcome, "reason": verdict.reason}
    if isinstance(policy, InvalidPolicy):
        data["policy_problems"] = [{"field": p.field, "message": p.message} for p in policy.problems]
    return data


def sign_json(result: SignResult) -> dict[str, Any]:
    key = None
    if result.key is not None:
        key = {"kid": result.key.kid, "thumbprint": result.key.thumbprint, "description": result.key.description}
    return {"token": result.token, "alg": result.alg, "key": key, "findings": _findings(result.findings)}


def compare_json(result: Comparison) -> dict[str, Any]:
    return {
        "differences": [
            {
                "part": d.part,
                "name": d.name,
                "change": d.change,
                "first": json_safe(d.first),
                "second": json_safe(d.second),
            }
            for d in result.differences
        ],
        "lifetimes": [{"seconds": lt.seconds, "text": lt.text} for lt in result.lifetimes],
    }


def jwe_header_json(token: DecodedJWE) -> dict[str, Any]:
    return {
        "type": "JWE",
        "header": json_safe(token.header),
        "alg": token.alg,
        "enc": token.enc,
        "zip": token.zip,
        "kid": token.kid,
        "findings": [f.as_dict() for f in token.findings],
    }


def decrypt_json(result: DecryptResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ok": result.ok,
        "message": result.message,
        "header": json_safe(result.header),
        "plaintext": result.plaintext,
        "plaintext_is_base64url": result.plaintext_is_base64url,
        "findings": [f.as_dict() for f in result.findings],
        "attempts": [
            {"index": a.index, "kid": a.kid, "key": a.description, "outcome": a.outcome, "reason": a.reason}
            for a in result.attempts
        ],
    }
    if result.payload is not None:
        data["payload"] = json_safe(result.payload)
    return data


def generated_json(key: GeneratedKey) -> dict[str, Any]:
    data = {
        "kty": key.kty,
        "description": key.description,
        "kid": key.kid,
        "private_pem": key.private_pem,
        "public_pem": key.public_pem,
        "private_jwk": key.private_jwk,
        "public_jwk": key.public_jwk,
        "jwks": key.jwks,
        "thumbprint": key.thumbprint,
    }
    return {name: value for name, value in data.items() if value is not None}


def converted_json(result: ConvertedKey) -> dict[str, Any]:
    return {
        "form": result.form,
        "to": result.to,
        "output": result.output,
        "jwks": result.jwks,
        "keys": [
            {"kty": k.kty, "description": k.description, "kid": k.kid, "thumbprint": k.thumbprint, "private": k.private}
            for k in result.keys
        ],
    }


def oauth_json(
    answer: ProviderReply, tokens: Mapping[str, Inspection | None], key_source: FetchedKeys | None = None
) -> dict[str, Any]:
    """A provider's answer, raw, with each JWT in it verified as /api/verify answers (None: an opaque token)."""
    verified = {
        name: None if result is None else inspection_json(result, key_source=key_source)
        for name, result in tokens.items()
    }
    return {**answer.as_dict(), "tokens": verified}
