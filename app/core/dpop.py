"""DPoP proofs (RFC 9449 §4.3): the proof's own key signs it, and the request, time, token and nonce must match."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from .algorithms import SUPPORTED
from .b64 import b64url_encode
from .claims import ClaimCheck, fresh_iat
from .errors import InputError
from .keys import KeyInput, parse_key
from .policy import ReplayGuard
from .tokens import DEFAULT_MAX_TOKEN, DecodedToken, decode_token
from .verify import check_signature

__all__ = ["DPOP_MAX_AGE", "DpopRequest", "DpopResult", "ath_of", "check_dpop", "is_dpop", "normal_htu", "record_proof"]

#: a proof older than this (plus the leeway) is refused: proofs are made per request (RFC 9449 §11.1)
DPOP_MAX_AGE = 300
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class DpopRequest:
    """The request the proof came with, as the user describes it."""

    proof: str
    htm: str
    htu: str
    access_token: str | None = None
    #: the nonce the server asked for (DPoP-Nonce), when it asked for one
    nonce: str | None = None


@dataclass(frozen=True)
class DpopResult:
    checks: tuple[ClaimCheck, ...]
    #: RFC 7638 thumbprint of the proof's key, when it has a readable public key
    jkt: str | None
    header: dict[str, Any]
    payload: dict[str, Any] | None

    @property
    def valid(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


def is_dpop(header: dict[str, Any]) -> bool:
    typ = header.get("typ")
    return isinstance(typ, str) and typ.lower() == "dpop+jwt"


def ath_of(access_token: str) -> str:
    return b64url_encode(hashlib.sha256(access_token.encode("ascii", "replace")).digest())


def normal_htu(url: str) -> str | None:
    """The URL as RFC 9449 §4.3 compares it: no query or fragment, scheme/host lowercase, no default port."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    shown_port = "" if port is None or port == _DEFAULT_PORTS[scheme] else f":{port}"
    return f"{scheme}://{host}{shown_port}{parts.path or '/'}"


def _key(token: DecodedToken) -> tuple[KeyInput | None, ClaimCheck]:
    jwk = token.header.get("jwk")
    if not isinstance(jwk, dict):
        return None, ClaimCheck("jwk", "fail", "the proof's header has no jwk object (RFC 9449 §4.2)")
    private = sorted(_PRIVATE_MEMBERS.intersection(jwk))
    if private:
        return None, ClaimCheck("jwk", "fail", f"the header's jwk holds private members ({', '.join(private)})")
    try:
        key = parse_key(json.dumps(jwk), key_kind="public")
    except InputError as exc:
        return None, ClaimCheck("jwk", "fail", f"the header's jwk is not a usable public key: {exc.problem.message}")
    return key, ClaimCheck("jwk", "pass", f"public key in the header: {key.keys[0].description}")


def _request_rows(payload: dict[str, Any], request: DpopRequest) -> list[ClaimCheck]:
    rows = []
    htm = payload.get("htm")
    if htm == request.htm:
        rows.append(ClaimCheck("htm", "pass", f"htm is {request.htm[:16]}"))
    else:
        rows.append(ClaimCheck("htm", "fail", f"htm is not the request's method {request.htm[:16]!r}"))
    htu, expected = payload.get("htu"), normal_htu(request.htu)
    if expected is None:
        rows.append(ClaimCheck("htu", "fail", "the request URL given is not an absolute http(s) URL"))
    elif isinstance(htu, str) and normal_htu(htu) == expected:
        rows.append(ClaimCheck("htu", "pass", "htu is the request URL (without query and fragment)"))
    else:
        rows.append(ClaimCheck("htu", "fail", "htu is not the request URL (compared without query and fragment)"))
    if request.nonce is not None:
        ok = payload.get("nonce") == request.nonce
        rows.append(ClaimCheck("nonce", "pass" if ok else "fail", f"nonce {'is' if ok else 'is not'} the server's"))
    return rows


def _token_rows(payload: dict[str, Any], access_token: str, jkt: str | None, max_token: int) -> list[ClaimCheck]:
    rows = []
    ath = payload.get("ath")
    if ath is None:
        rows.append(ClaimCheck("ath", "fail", "an access token was given but the proof has no ath"))
    elif ath == ath_of(access_token):
        rows.append(ClaimCheck("ath", "pass", "ath is the SHA-256 of the access token"))
    else:
        rows.append(ClaimCheck("ath", "fail", "ath is not the SHA-256 of the access token given"))
    try:
        token = decode_token(access_token, max_size=max_token)
    except InputError:
        return [
            *rows,
            ClaimCheck("cnf.jkt", "skip", "the access token is opaque; its binding is the server's to check"),
        ]
    cnf = (token.payload or {}).get("cnf")
    bound = cnf.get("jkt") if isinstance(cnf, dict) else None
    if not isinstance(bound, str):
        rows.append(ClaimCheck("cnf.jkt", "fail", "the access token has no cnf.jkt: it is not bound to a DPoP key"))
    elif bound == jkt:
        rows.append(ClaimCheck("cnf.jkt", "pass", "the access token is bound to the proof's key"))
    else:
        rows.append(ClaimCheck("cnf.jkt", "fail", "the access token's cnf.jkt is not the proof key's thumbprint"))
    return rows


def check_dpop(
    request: DpopRequest,
    *,
    now: float,
    leeway: float = 0.0,
    algorithms: Collection[str] | None = None,
    replay: ReplayGuard | None = None,
    max_token: int = DEFAULT_MAX_TOKEN,
) -> DpopResult:
    """Every RFC 9449 §4.3 check as a row; InputError only when the proof cannot be read at all."""
    token = decode_token(request.proof, max_size=max_token)
    rows: list[ClaimCheck] = []
    rows.append(
        ClaimCheck("typ", "pass", "typ is dpop+jwt")
        if is_dpop(token.header)
        else ClaimCheck("typ", "fail", "a DPoP proof's typ must be dpop+jwt")
    )
    key, key_row = _key(token)
    rows.append(key_row)
    jkt = key.keys[0].thumbprint if key is not None else None
    # A proof is signed with its own private key: symmetric algorithms make no sense here (RFC 9449 §4.2).
    allowed = [a for a in (SUPPORTED if algorithms is None else algorithms) if not a.startswith("HS")]
    signature = check_signature(token, key, allowed)
    rows.append(ClaimCheck("signature", "pass" if signature.valid else "fail", signature.message))
    payload = token.payload or {}
    rows += _request_rows(payload, request)
    rows.append(fresh_iat(payload, now, leeway, DPOP_MAX_AGE, "proof"))
    jti = payload.get("jti")
    rows.append(
        ClaimCheck("jti", "pass", "present (unique per proof)")
        if isinstance(jti, str) and jti
        else ClaimCheck("jti", "fail", "the proof has no jti string, so replay cannot be detected")
    )
    if request.access_token is not None:
        rows += _token_rows(payload, request.access_token, jkt, max_token)
    if replay is not None and isinstance(jti, str) and jti and jkt is not None:
        seen = replay.first_seen(_scope(jkt), jti)
        rows.append(_REPLAYED if seen is not None else ClaimCheck("replay", "pass", "first use of this jti"))
    return DpopResult(tuple(rows), jkt, token.header, token.payload)


_REPLAYED = ClaimCheck("replay", "fail", "this proof's jti was already used")


def _scope(jkt: str) -> str:
    return f"dpop:{jkt}"  # jti values are unique per key, so the key's thumbprint scopes them


def record_proof(result: DpopResult, replay: ReplayGuard, now: float) -> DpopResult:
    """Record an accepted proof's jti atomically; when another request recorded it first, this one is the replay."""
    jti = (result.payload or {}).get("jti")
    if not result.valid or result.jkt is None or not isinstance(jti, str):
        return result
    seen = replay.record(_scope(result.jkt), jti, now + 2 * DPOP_MAX_AGE)
    row = _REPLAYED if seen is not None else ClaimCheck("replay", "pass", "first use of this jti (recorded)")
    return replace(result, checks=(*(c for c in result.checks if c.name != "replay"), row))
