"""The JSON shapes of core results; the templates render the same objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .core.jsonparse import json_safe

if TYPE_CHECKING:  # only types: `jwtlens decode` must not load the policy model, key readers or JWE code
    from .core.claims import ClaimCheck, ClaimInfo
    from .core.compare import Comparison
    from .core.decoding import DecodeResult
    from .core.dpop import DpopResult
    from .core.findings import Finding
    from .core.inspect import Inspection
    from .core.jwe import DecodedJWE, DecryptResult
    from .core.jwe.jsonser import RecipientsResult
    from .core.keytools import ConvertedKey, GeneratedKey
    from .core.policy import InvalidPolicy, Policy
    from .core.sdjwt import IssuedSdJwt, SdJwt
    from .core.sign import SignResult
    from .core.sign_json import SerializedJWS
    from .core.signatures import SignaturesResult
    from .core.tokens import DecodedToken
    from .core.verify import Verdict, VerifyResult
    from .core.x5c import ChainCheck

__all__ = [
    "FetchedKeys",
    "ProviderReply",
    "decode_json",
    "dpop_json",
    "inspection_json",
    "issued_sd_jwt_json",
    "oauth_json",
    "sd_jwt_json",
    "sign_json",
    "verify_json",
]


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
        answer: dict[str, Any] = {"type": "JWS", **verify_json(result.signed, key_label=label), **origin}
        if result.signatures is not None:
            answer.update(serialization=result.serialization, **signatures_json(result.signatures, label))
        if result.x5c is not None:
            answer["x5c"] = x5c_json(result.x5c)
        if result.sd_jwt is not None:
            answer.update(type="SD-JWT", sd_jwt=sd_jwt_json(result.sd_jwt), findings=_findings(result.findings))
        if result.dpop is not None:
            answer["dpop"] = dpop_json(result.dpop)
        # the verdict and findings of the whole inspection (an SD-JWT's checks, a DPoP proof) over the JWS's own
        answer["verdict"] = _verdict_json(result.verdict, result.policy)
        answer["verified"] = result.verified
        return answer
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
    if result.recipients is not None:
        data.update(serialization=result.serialization, **recipients_json(result.recipients))
    return data


def x5c_json(chain: ChainCheck) -> dict[str, Any]:
    return {
        "certificates": [
            {
                "index": c.index,
                "subject": c.subject,
                "issuer": c.issuer,
                "not_before": c.not_before,
                "not_after": c.not_after,
                "san": list(c.san),
                "key_usage": list(c.key_usage),
                "basic_constraints": c.basic_constraints,
                "sha256": c.sha256,
            }
            for c in chain.certificates
        ],
        "x5t": chain.x5t,
        "x5t#S256": chain.x5t_s256,
        "valid": chain.valid,
        "reason": chain.reason,
    }


def recipients_json(result: RecipientsResult) -> dict[str, Any]:
    """Each recipient of a JWE JSON serialization tried, and the one whose key decrypted (null: none)."""
    shared = result.jwe
    entries = [
        {
            "index": index,
            "header": json_safe(shared.headers[index]),
            "ok": tried.ok,
            "message": tried.message,
        }
        for index, tried in enumerate(result.results)
    ]
    return {
        "recipients": entries,
        "recipient": result.index,
        "protected": json_safe(shared.protected),
        "unprotected": json_safe(shared.unprotected),
        "aad": shared.aad,
    }


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


def signatures_json(result: SignaturesResult, key_label: str | None = None) -> dict[str, Any]:
    """Every signature of a JWS JSON serialization; ``header`` is the unprotected (not signed) header."""
    entries = []
    for entry in result.entries:
        check, key = entry.check, None
        if check.key is not None:
            source = check.key.source if key_label is None else key_label
            key = {"kid": check.key.kid, "thumbprint": check.key.thumbprint, "source": source}
        entries.append(
            {
                "index": entry.signature.index,
                "protected": json_safe(entry.signature.protected),
                "header": json_safe(entry.signature.header),
                "alg": check.alg,
                "kid": check.kid,
                "valid": check.valid,
                "status": check.status,
                "message": check.message,
                "key": key,
            }
        )
    return {
        "signatures": entries,
        "detached": result.jws.detached,
        "verified_signatures": list(result.verified_indexes),
    }


def _verdict_json(verdict: Verdict, policy: Policy | InvalidPolicy) -> dict[str, Any]:
    data: dict[str, Any] = {"status": verdict.status, "outcome": verdict.outcome, "reason": verdict.reason}
    from .core.policy import InvalidPolicy

    if isinstance(policy, InvalidPolicy):
        data["policy_problems"] = [{"field": p.field, "message": p.message} for p in policy.problems]
    return data


def sign_json(result: SignResult) -> dict[str, Any]:
    key = None
    if result.key is not None:
        key = {"kid": result.key.kid, "thumbprint": result.key.thumbprint, "description": result.key.description}
    return {"token": result.token, "alg": result.alg, "key": key, "findings": _findings(result.findings)}


def issued_sd_jwt_json(issued: IssuedSdJwt) -> dict[str, Any]:
    """An SD-JWT as issued: its issuer-signed JWT's answer, the whole SD-JWT as the token, and its disclosures."""
    return {**sign_json(issued.signed), "token": issued.token, "disclosures": list(issued.disclosures)}


def serialized_json(result: SerializedJWS) -> dict[str, Any]:
    """A JWS JSON serialization: the first signer in the compact answer's members, then every signer."""
    signers = [sign_json(r) for r in result.signatures]
    first = signers[0]
    return {
        "token": result.token,
        "alg": first["alg"],
        "key": first["key"],
        "findings": [f for s in signers for f in s["findings"]],
        "serialization": result.serialization,
        "signatures": [{"alg": s["alg"], "key": s["key"]} for s in signers],
    }


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
        "thumbprints": key.thumbprints or None,
    }
    return {name: value for name, value in data.items() if value is not None}


def converted_json(result: ConvertedKey) -> dict[str, Any]:
    keys = [
        {
            "kty": k.kty,
            "description": k.description,
            "kid": k.kid,
            "thumbprint": k.thumbprint,
            "private": k.private,
            "thumbprints": k.thumbprints,
            **({"x5c": {**x5c_json(k.x5c), "key_matches": k.x5c.key_matches}} if k.x5c is not None else {}),
        }
        for k in result.keys
    ]
    data = {"form": result.form, "to": result.to, "output": result.output, "jwks": result.jwks, "keys": keys}
    if len(result.keys) == 1:  # one key: its thumbprints at the top too (a JWKS has one set per key)
        data["thumbprints"] = result.keys[0].thumbprints
    return data


def sd_jwt_json(result: SdJwt) -> dict[str, Any]:
    """Disclosures with where each digest sits, the reconstructed claims, the checks and the key binding."""
    kb = result.key_binding
    return {
        "disclosures": [
            {
                "digest": row.disclosure.digest,
                "salt": row.disclosure.salt,
                "name": row.disclosure.name,
                "value": json_safe(row.disclosure.value),
                "status": row.status,
                "path": row.path,
                "message": row.message,
            }
            for row in result.reconstruction.rows
        ],
        "claims": json_safe(result.reconstruction.claims),
        "disclosed": sorted(result.reconstruction.disclosed_names),
        "decoys": result.reconstruction.decoys,
        "vct": result.vct,
        "checks": [_claim_check(c) for c in result.checks],
        "key_binding": {
            "present": kb.present,
            "required": kb.required,
            "valid": kb.valid,
            "checks": [_claim_check(c) for c in kb.checks],
            "header": json_safe(kb.header),
            "payload": json_safe(kb.payload),
        },
    }


def dpop_json(result: DpopResult) -> dict[str, Any]:
    return {"valid": result.valid, "jkt": result.jkt, "checks": [_claim_check(c) for c in result.checks]}


def oauth_json(
    answer: ProviderReply, tokens: Mapping[str, Inspection | None], key_source: FetchedKeys | None = None
) -> dict[str, Any]:
    """A provider's answer, raw, with each JWT in it verified as /api/verify answers (None: an opaque token)."""
    verified = {
        name: None if result is None else inspection_json(result, key_source=key_source)
        for name, result in tokens.items()
    }
    return {**answer.as_dict(), "tokens": verified}
