"""JWS JSON serialization (RFC 7515 §7.2, general and flattened) and detached content (App. F, RFC 7797).

Each signature becomes a DecodedToken of its own (merged header, its signing input), so the compact
verifier checks it unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from .b64 import Segment, b64url_encode, decode_segment
from .errors import InputError
from .findings import Finding
from .jsonparse import json_kind, parse_json
from .tokens import DEFAULT_MAX_TOKEN, DecodedToken, decode_token

__all__ = [
    "JOSE_JSON_MEMBERS",
    "JWSJSON",
    "MAX_SIGNATURES",
    "JSONSignature",
    "Serialization",
    "attach_payload",
    "decode_jws_json",
    "read_jose_json",
]

Serialization = Literal["compact", "flattened", "general"]
#: members that make a JSON object a JWS or JWE in JSON serialization (and not a HAR file or a claims set)
JOSE_JSON_MEMBERS = frozenset({"signatures", "signature", "ciphertext"})
#: header members whose meaning an attacker could change when they sit outside the protection
_SECURITY_MEMBERS = ("alg", "kid", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "enc", "zip")
#: RFC 7515 §4.1.11 and RFC 7797 §6: these are only meaningful integrity-protected
_PROTECTED_ONLY = ("crit", "b64")
#: signatures checked per token: each is tried against every key given, so the work stays bounded
MAX_SIGNATURES = 16
_PLACEHOLDER = "e30"  # "{}": stands in for an absent protected header while the signature is decoded


@dataclass(frozen=True)
class JSONSignature:
    """One entry of ``signatures``: its headers and a compact-like view for the verifier."""

    index: int
    protected: dict[str, Any]
    #: the unprotected header: NOT integrity-protected, anyone on the path could change it
    header: dict[str, Any]
    token: DecodedToken
    #: why this signature cannot be valid whatever the key (checked before any key is touched)
    problem: str | None = None


@dataclass(frozen=True)
class JWSJSON:
    serialization: Literal["flattened", "general"]
    signatures: tuple[JSONSignature, ...]
    #: the payload was absent from the JSON (and the detached content given, when ``attached``)
    detached: bool
    attached: bool
    findings: tuple[Finding, ...] = ()


def read_jose_json(text: str, max_size: int = DEFAULT_MAX_TOKEN) -> dict[str, Any] | None:
    """The JSON object when ``text`` is a JWS or JWE in JSON serialization, else None (a compact token...)."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    if len(stripped) > max_size:
        raise InputError(
            "token_too_large",
            f"The token is {len(stripped):,} characters; the limit is {max_size:,}",
            "token",
            too_large=True,
        )
    try:
        parsed = parse_json(stripped, "token")
    except InputError:
        return None  # not JSON at all: the compact reader names what it finds in it
    if not isinstance(parsed.value, dict) or not JOSE_JSON_MEMBERS & parsed.value.keys():
        return None
    if parsed.duplicates:
        names = ", ".join(sorted({d.key[:32] for d in parsed.duplicates}))
        raise InputError(
            "duplicate_member",
            f"The JSON serialization repeats {names}: readers disagree on which copy counts, so it is refused",
            "token",
        )
    return parsed.value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError("header_not_object", f"The {where} must be a JSON object (it is {json_kind(value)})", where)
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(
            "member_not_string", f"The {where} must be a base64url string (it is {json_kind(value)})", where
        )
    return value


def _with_payload(token: DecodedToken, segment: Segment) -> DecodedToken:
    """``token`` carrying ``segment`` as its payload, read as decode_token reads a payload."""
    encoded = b64url_encode(segment.raw)
    probe = decode_token(f"{_PLACEHOLDER}.{encoded}.", max_size=len(encoded) + 64)
    header_seg, _, signature_seg = token.segments
    return dataclasses.replace(
        token,
        segments=(header_seg, segment, signature_seg),
        payload=probe.payload,
        payload_text=probe.payload_text,
        payload_bytes=probe.payload_bytes,
        payload_is_utf8=probe.payload_is_utf8,
        payload_json_kind=probe.payload_json_kind,
    )


def _content_segment(content: bytes, b64: bool) -> Segment:
    if b64:
        return Segment(b64url_encode(content), content, True)
    try:  # RFC 7797: the content itself is signed, so it must survive as text
        return Segment(content.decode("utf-8"), content, True)
    except UnicodeDecodeError:
        raise InputError(
            "payload_not_utf8", "With b64: false the detached content must be UTF-8 text", "payload"
        ) from None


def attach_payload(token: DecodedToken, content: bytes) -> DecodedToken:
    """A compact token with a detached (empty) payload, given its content (RFC 7515 App. F, RFC 7797)."""
    if token.segments[1].text:
        raise InputError(
            "payload_not_detached",
            "Detached content was given, but the token carries its own payload: give one or the other",
            "payload",
        )
    return _with_payload(token, _content_segment(content, token.b64))


def _problem(protected: dict[str, Any], header: dict[str, Any]) -> str | None:
    shared = sorted(protected.keys() & header.keys())
    if shared:
        return (
            f"{', '.join(repr(n[:32]) for n in shared[:5])} sits in both the protected and the unprotected header; "
            "RFC 7515 §7.2.1 requires them disjoint"
        )
    misplaced = [n for n in _PROTECTED_ONLY if n in header]
    if misplaced:
        return f"{' and '.join(misplaced)} must be in the protected header, not the unprotected one (RFC 7515, 7797)"
    return None


def _unprotected_findings(index: int, header: dict[str, Any]) -> list[Finding]:
    exposed = [n for n in _SECURITY_MEMBERS if n in header]
    if not exposed:
        return []
    verb = "sits" if len(exposed) == 1 else "sit"
    return [
        Finding(
            "unprotected_header",
            "warning",
            f"Signature {index}: {', '.join(exposed)} {verb} in the unprotected header, not covered by the "
            "signature and anyone on the path can change them",
            "Put alg, kid and the key references in the protected header",
            f"signatures[{index}]",
        )
    ]


def _signature(index: int, entry: Any, payload: str | None, content: bytes | None) -> JSONSignature:
    where = f"signatures[{index}]"
    entry = _object(entry, where)
    if "protected" not in entry and "header" not in entry:
        raise InputError("header_missing", f"{where} has neither a protected nor an unprotected header", where)
    protected_text = _string(entry.get("protected", ""), f"{where}.protected")
    header = _object(entry.get("header", {}), f"{where}.header")
    signature = _string(entry.get("signature"), f"{where}.signature")
    try:
        compact = f"{protected_text or _PLACEHOLDER}..{signature}"
        base = decode_token(compact, max_size=len(compact))
    except InputError as exc:
        raise InputError(exc.problem.code, f"{where}: {exc.problem.message}", where) from None
    protected = base.header if protected_text else {}
    token = dataclasses.replace(base, header={**protected, **header}, text="")
    if not protected_text:
        token = dataclasses.replace(token, header_text="", segments=(Segment("", b"", True), *token.segments[1:]))
    b64 = protected.get("b64") is not False
    token = dataclasses.replace(token, b64=b64)
    if payload is not None:
        segment = decode_segment(payload, "payload") if b64 else Segment(payload, payload.encode(), True)
        token = _with_payload(token, segment)
    elif content is not None:
        token = _with_payload(token, _content_segment(content, b64))
    return JSONSignature(index, protected, header, token, _problem(protected, header))


def decode_jws_json(value: dict[str, Any], content: bytes | None = None) -> JWSJSON:
    """Take a JWS JSON serialization apart; ``content`` is the detached payload when the JSON has none."""
    if "signatures" in value and ("signature" in value or "protected" in value or "header" in value):
        raise InputError(
            "mixed_serialization",
            "The JSON has both 'signatures' (general) and a top-level signature (flattened): it is one or the other",
            "token",
        )
    general = "signatures" in value
    entries = value["signatures"] if general else [value]
    if not isinstance(entries, list) or not entries:
        raise InputError("signatures_empty", "'signatures' must be a non-empty array of signature objects", "token")
    if len(entries) > MAX_SIGNATURES:
        raise InputError(
            "too_many_signatures",
            f"The JWS holds {len(entries)} signatures; jwtlens checks at most {MAX_SIGNATURES}",
            "token",
        )
    payload = value.get("payload")
    if payload is not None and not isinstance(payload, str):
        raise InputError("member_not_string", f"The payload must be a string (it is {json_kind(payload)})", "payload")
    if payload is not None and content is not None:
        raise InputError(
            "payload_not_detached",
            "Detached content was given, but the JSON carries its own payload: give one or the other",
            "payload",
        )
    signatures = tuple(_signature(i, entry, payload, content) for i, entry in enumerate(entries))
    findings = [f for s in signatures for f in _unprotected_findings(s.index, s.header)]
    return JWSJSON(
        "general" if general else "flattened",
        signatures,
        detached=payload is None,
        attached=payload is None and content is not None,
        findings=tuple(findings),
    )
