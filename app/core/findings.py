"""Findings: what is risky about a token or key, in plain words, with what to do."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from joserfc.jwk import OctKey

from .algorithms import spec_for
from .b64 import Segment
from .jsonparse import Duplicate, json_kind
from .timefmt import as_numeric_date, duration
from .tokens import DecodedToken
from .weak_secrets import find_weak_secret, listed_secret

if TYPE_CHECKING:  # decoding alone never reads a key, so it does not import the key parsers
    from .keys import KeyInput

__all__ = ["Finding", "Severity", "key_findings", "sort_findings", "token_findings"]

Severity = Literal["danger", "warning", "info"]
_ORDER = {"danger": 0, "warning": 1, "info": 2}
_EMBEDDED_KEYS = {
    "jwk": "carries its own public key (jwk)",
    "x5c": "carries its own certificate chain (x5c)",
    "jku": "points at a key set URL (jku)",
    "x5u": "points at a certificate URL (x5u)",
}
_PRIVATE_JWK = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_SUSPICIOUS_KID = re.compile(r"\.\.|[/\\'\";|&$`<>\x00-\x1f]|--|\bOR\b|\bUNION\b", re.IGNORECASE)
#: header names registered by RFC 7515/7516/7519: they never belong in crit (RFC 7515 §4.1.11)
_REGISTERED_HEADERS = frozenset(
    {
        "alg",
        "jku",
        "jwk",
        "kid",
        "x5u",
        "x5c",
        "x5t",
        "x5t#S256",
        "typ",
        "cty",
        "crit",
        "enc",
        "zip",
        "epk",
        "apu",
        "apv",
        "iv",
        "tag",
        "p2s",
        "p2c",
    }
)
_NUMERIC_CLAIMS = ("exp", "nbf", "iat", "auth_time", "updated_at")
#: a token living longer than this is a hygiene warning (seconds)
DEFAULT_LONG_LIFETIME = 24 * 3600


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    hint: str = ""
    segment: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "segment": self.segment,
        }


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    unique = list(dict.fromkeys(findings))
    return tuple(sorted(unique, key=lambda f: _ORDER[f.severity]))


def token_findings(
    token: DecodedToken,
    now: float | None = None,
    long_lifetime: float = DEFAULT_LONG_LIFETIME,
    *,
    signed_with: bytes | None = None,
) -> list[Finding]:
    """What is risky about the token itself, whatever key it is checked with.

    ``signed_with``, the secret the caller found to have made the signature, only spares work:
    whether it is well known is then a lookup in the list rather than a scan of it.
    """
    found: list[Finding] = []
    header = token.header
    alg = header.get("alg")
    if "alg" not in header:
        found.append(
            Finding("alg_missing", "danger", "The header has no alg", "A JWS must name its algorithm", "header")
        )
    elif not isinstance(alg, str):
        found.append(Finding("alg_invalid", "danger", "The header's alg is not a string", "", "header"))
    elif alg.lower() == "none":
        found.append(
            Finding(
                "alg_none",
                "danger",
                f"alg is '{alg}': the token is unsigned and anyone can forge it",
                "Servers must reject unsigned tokens; never allow 'none' in the algorithm list",
                "header",
            )
        )
    elif alg in ("HS256", "HS384", "HS512") and token.signature:
        weak = (
            listed_secret(signed_with)
            if signed_with is not None
            else find_weak_secret(token.signing_input, token.signature, alg)
        )
        if weak is not None:
            found.append(_weak_secret_finding(weak, "The token is signed with a well-known secret", "signature"))
    if isinstance(alg, str) and alg.lower() != "none" and alg and not token.signature:
        found.append(
            Finding(
                "signature_empty",
                "danger",
                f"alg is {alg} but the signature is empty (stripped signature)",
                "A verifier must reject it; a library that accepts it is vulnerable",
                "signature",
            )
        )
    kid = header.get("kid")
    if isinstance(kid, str) and _SUSPICIOUS_KID.search(kid):
        found.append(
            Finding(
                "kid_suspicious",
                "warning",
                "The kid holds path, quote, SQL or shell characters",
                "If a server uses kid in a file path, query or command, this is an injection attempt",
                "header",
            )
        )
    for where, spelling in token.nonfinite:
        found.append(
            Finding(
                "nonfinite_number",
                "warning",
                f"The {where} holds {spelling}, which is not a JSON number",
                "Strict JSON parsers reject it; lenient ones turn it into NaN or infinity",
                where,
            )
        )
    for where in token.replaced_surrogates:
        found.append(
            Finding(
                "lone_surrogate",
                "warning",
                f"The {where} holds a lone UTF-16 surrogate escape, shown here as \ufffd",
                "It is not valid Unicode; parsers treat it differently",
                where,
            )
        )
    if not token.b64:
        crit = header.get("crit")
        found.append(
            Finding(
                "b64_false",
                "info" if isinstance(crit, list) and "b64" in crit else "danger",
                "Unencoded payload (RFC 7797, b64: false)"
                + (
                    ""
                    if isinstance(crit, list) and "b64" in crit
                    else " without 'b64' in crit, which RFC 7797 requires"
                ),
                "Most JWT libraries do not support it",
                "payload",
            )
        )
    if token.payload is None:
        if token.payload_json_kind:
            message = f"The payload is JSON but {token.payload_json_kind}, not a claims object"
        elif not token.payload_is_utf8:
            message = "The payload is binary, not text"
        elif not token.payload_bytes:
            message = "The payload is empty (detached content?)"
        else:
            message = "The payload is not JSON, so it holds no claims"
        found.append(Finding("payload_not_claims", "info", message, "", "payload"))
    elif "exp" not in token.payload:
        found.append(
            Finding(
                "exp_missing",
                "warning",
                "No exp: the token never expires",
                "Give tokens a short lifetime so a stolen one stops working",
                "payload",
            )
        )
    found += envelope_findings(
        header,
        token.duplicates,
        zip(token.segments, ("header", "payload", "signature"), strict=True),
        token.source,
        token.in_query,
        "verifier",
    )
    found += _crit_findings(header)
    found += _signature_shape_findings(token)
    if token.payload is not None:
        found += _claim_findings(token.payload, now, long_lifetime)
    return found


def _weak_secret_finding(secret: str, what: str, segment: str) -> Finding:
    shown = repr(secret) if secret.strip() else "the empty secret" if not secret else "a whitespace secret"
    return Finding(
        "weak_secret",
        "danger",
        f"{what}: {shown}. Anyone can forge tokens for it",
        "Replace the secret with at least 32 random bytes and revoke tokens signed with it",
        segment,
    )


def _dpop_typ(header: Mapping[str, object]) -> bool:
    # A DPoP proof's header jwk is its intended verification key (RFC 9449 §4.2), not an embedded-key attack.
    typ = header.get("typ")
    return isinstance(typ, str) and typ.lower() == "dpop+jwt"


def envelope_findings(
    header: Mapping[str, object],
    duplicates: Iterable[tuple[str, Duplicate]],
    segments: Iterable[tuple[Segment, str]],
    source: str | None,
    in_query: bool,
    party: str,
) -> list[Finding]:
    """What JWS and JWE share: keys carried by the header, duplicate names, base64url spelling, origin."""
    found = [
        Finding(
            f"embedded_{name}",
            "warning",
            f"The header {what}; jwtlens never trusts or fetches it",
            f"A {party} must take keys from its own configuration, never from the token",
            "header",
        )
        for name, what in _EMBEDDED_KEYS.items()
        if name in header and not (name == "jwk" and _dpop_typ(header))
    ]
    if _dpop_typ(header) and isinstance(header.get("jwk"), dict) and _PRIVATE_JWK.intersection(header["jwk"]):  # type: ignore[arg-type]
        found.append(
            Finding(
                "dpop_private_key",
                "danger",
                "The DPoP proof's header jwk holds a private key: anyone who saw the proof can now make proofs",
                "Put only the public key in the proof header; replace the leaked key pair",
                "header",
            )
        )
    found += [
        Finding(
            "duplicate_key",
            "danger",
            f"The {where} has '{dup.key}' {len(dup.values)} times ({' then '.join(dup.values)}); "
            "parsers disagree on which one wins",
            "Reject tokens with duplicate names (RFC 7515 §5.2 allows refusing them)",
            where,
        )
        for where, dup in duplicates
    ]
    found += [
        Finding(
            "noncanonical_base64",
            "danger",
            f"The {name} is not canonical base64url: {segment.noncanonical_reason}",
            f"A strict {party} rejects it; jwtlens never accepts it",
            name,
        )
        for segment, name in segments
        if not segment.canonical
    ]
    if source:
        found.append(Finding("token_source", "info", f"Found the token in {source}", "", "token"))
    if in_query:
        found.append(
            Finding(
                "token_in_url",
                "warning",
                "The token came from a URL's query string, which ends up in server logs, browser history "
                "and Referer headers",
                "Send tokens in the Authorization header, or in a URL fragment for browser redirects",
                "token",
            )
        )
    return found


def _crit_findings(header: dict[str, object]) -> list[Finding]:
    if "crit" not in header:
        return []
    crit = header["crit"]
    what = "crit must be a non-empty array of extension header names (RFC 7515 §4.1.11)"
    if not isinstance(crit, list) or not crit:
        return [Finding("crit_invalid", "danger", f"{what}; this one is {crit!r:.40}", "Reject the token", "header")]
    found = []
    names = [c for c in crit if isinstance(c, str)]
    registered = sorted({c for c in names if c in _REGISTERED_HEADERS})
    if registered:
        found.append(
            Finding(
                "crit_registered",
                "warning",
                f"crit lists registered header names ({', '.join(registered)}), which it must not",
                "Only extensions belong in crit; a strict verifier rejects this token",
                "header",
            )
        )
    if len(set(names)) != len(names) or len(names) != len(crit):
        found.append(
            Finding("crit_malformed", "warning", "crit repeats a name or holds a non-string", "Reject it", "header")
        )
    return found


def _signature_shape_findings(token: DecodedToken) -> list[Finding]:
    alg = token.alg or ""
    sig = token.signature
    if alg.startswith("ES") and sig and not any(sig):
        return [
            Finding(
                "ecdsa_zero_signature",
                "danger",
                "The ECDSA signature is all zeros (r = s = 0): the 'psychic signature' attack (CVE-2022-21449)",
                "A correct verifier rejects r or s = 0; update any Java runtime older than 17.0.3",
                "signature",
            )
        ]
    if alg.startswith("ES") and sig[:1] == b"\x30":
        return [
            Finding(
                "ecdsa_der_signature",
                "warning",
                "The ECDSA signature looks DER-encoded; JWS requires the raw r || s form (RFC 7518 §3.4)",
                "Convert the signature to raw r || s when signing",
                "signature",
            )
        ]
    return []


def _claim_findings(payload: dict[str, object], now: float | None, long_lifetime: float) -> list[Finding]:
    found = []
    for name in _NUMERIC_CLAIMS:
        if name in payload and as_numeric_date(payload[name]) is None:
            kind = json_kind(payload[name])
            found.append(
                Finding(
                    "claim_not_numeric",
                    "warning",
                    f"{name} is not a number of seconds ({kind}); libraries disagree on how to read it",
                    "Write times as NumericDate: seconds since 1970 as a JSON number",
                    "payload",
                )
            )
    exp, iat = as_numeric_date(payload.get("exp")), as_numeric_date(payload.get("iat"))
    if exp is not None and iat is not None and exp - iat > long_lifetime:
        found.append(
            Finding(
                "long_lifetime",
                "warning",
                f"The token lives {duration(exp - iat)} (exp − iat), longer than {duration(long_lifetime)}",
                "Prefer short-lived tokens with refresh; a stolen long-lived token stays useful",
                "payload",
            )
        )
    if now is not None and iat is not None and iat > now + 60:
        found.append(
            Finding(
                "iat_future",
                "warning",
                f"iat is {duration(iat - now)} in the future: a clock is wrong, or the token was forged",
                "Check the issuer's clock",
                "payload",
            )
        )
    if "aud" not in payload:
        found.append(
            Finding(
                "aud_missing",
                "info",
                "No aud: any service that trusts this issuer would accept the token",
                "Give tokens an audience and have each service check it",
                "payload",
            )
        )
    return found


def key_findings(key_input: KeyInput, alg: str | None, purpose: Literal["verify", "sign"]) -> list[Finding]:
    found: list[Finding] = []
    spec = spec_for(alg) if alg else None
    kinds = {parsed.kty == "oct" for parsed in key_input.keys}
    if key_input.is_set and kinds == {True, False}:
        found.append(
            Finding(
                "jwks_mixed",
                "warning",
                "The JWKS mixes HMAC secrets with public keys: a verifier that picks keys by kid alone "
                "can be tricked into HMAC with a key meant for RSA or EC",
                "Keep symmetric and asymmetric keys in separate sets, and pin each key's alg",
                "key",
            )
        )
    for parsed in key_input.keys:
        if parsed.kty == "oct" and spec is not None and spec.hash_bytes:
            size = parsed.size_bits // 8
            if size < spec.hash_bytes:
                found.append(
                    Finding(
                        "secret_too_short",
                        "warning",
                        f"The secret is {size} bytes; {alg} needs at least {spec.hash_bytes} (RFC 7518 §3.2)",
                        "Use a random secret as long as the hash output",
                        "key",
                    )
                )
        listed = listed_secret(parsed.key.raw_value) if purpose == "sign" and isinstance(parsed.key, OctKey) else None
        if listed is not None:
            found.append(_weak_secret_finding(listed, "The secret is a well-known one", "key"))
        if parsed.kty == "RSA" and parsed.size_bits and parsed.size_bits < 2048:
            found.append(
                Finding(
                    "rsa_key_small",
                    "warning",
                    f"The RSA key is {parsed.size_bits} bits; 2048 is the minimum (NIST SP 800-131A)",
                    "Generate a 2048-bit or larger key",
                    "key",
                )
            )
        exponent = parsed.rsa_exponent
        if exponent is not None and exponent < 65537:
            found.append(
                Finding(
                    "rsa_small_exponent",
                    "warning",
                    f"The RSA public exponent is {exponent}; 65537 is the norm",
                    "Small exponents make padding mistakes exploitable; generate keys with e = 65537",
                    "key",
                )
            )
        if purpose == "verify" and parsed.private and parsed.kty != "oct":
            found.append(
                Finding(
                    "private_key_for_verify",
                    "info",
                    "A private key was given to verify; only its public half is needed and used",
                    "Share and use public keys for verification",
                    "key",
                )
            )
    return found
