"""The JSON API: the same core results as the fragments, as JSON."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StrictFloat, StrictInt, StrictStr, WithJsonSchema
from starlette.concurrency import run_in_threadpool

from ..config import Settings
from ..core import InputError, InvalidPolicy, Policy, decode, parse_policy, sign
from ..core.compare import compare_tokens
from ..core.dpop import DpopRequest
from ..core.inspect import KeyText, inspect, token_kind
from ..core.jsonparse import json_safe
from ..core.jwe import decode_jwe
from ..core.jws_json import Serialization
from ..core.keys import KeyKind, SecretEncoding
from ..core.sdjwt import issue_sd_jwt
from ..core.sign import SETTABLE_TIMES, read_times, stamp_times
from ..core.sign_json import sign_serialized
from ..core.timefmt import TIME_SPELLINGS
from ..present import (
    compare_json,
    decode_json,
    inspection_json,
    issued_sd_jwt_json,
    jwe_header_json,
    serialized_json,
    sign_json,
)
from ..store import ReplayLog, Store
from . import answers
from .deps import SettingsDep, StoreDep
from .keysource import KeySource, fetch_keys
from .limits import off_loop

router = APIRouter(prefix="/api", tags=["api"])


class ErrorDetail(BaseModel):
    code: str = Field(description="Short, stable error code, e.g. bad_base64url")
    message: str = Field(description="What is wrong, in words; never quotes the token or key")
    segment: str | None = Field(None, description="Where: header, payload, signature, token, key...")


class ErrorBody(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed token, key or request"},
    413: {"model": ErrorBody, "description": "Token, key or body over the size limit"},
    422: {"model": ErrorBody, "description": "The request body does not have the documented shape"},
}


class DecodeRequest(BaseModel):
    token: str = Field(description="A compact JWS; surrounding whitespace and 'Bearer ' are tolerated")


#: the policy as the API takes it: any JSON object, documented by the one policy schema and validated by the
#: core, so an invalid field is the verdict "policy invalid" (never a 422 here, never a 200 there)
PolicyJSON = Annotated[
    dict[str, Any] | None,
    WithJsonSchema({**Policy.model_json_schema(), "description": "The validation policy (see the schema)"}),
]


class DpopFields(BaseModel):
    proof: str = Field(description="The DPoP header's value: a compact JWS with typ dpop+jwt")
    htm: str = Field(description="The request's HTTP method, e.g. GET")
    htu: str = Field(description="The request's URL (query and fragment are ignored)")
    access_token: str | None = Field(None, description="The access token sent with it (default: the token verified)")
    nonce: str | None = Field(None, description="The DPoP-Nonce the server asked for, if it did")


class VerifyRequest(BaseModel):
    token: str | dict[str, Any] = Field(
        description="A compact JWS or JWE, or a JSON serialization (RFC 7515/7516 §7.2) as text or as an object"
    )
    payload: str | None = Field(None, description="The detached content (RFC 7515 App. F, RFC 7797) as UTF-8 text")
    key: str | None = Field(None, description="HMAC secret, PEM (SPKI, PKCS#1, certificate), JWK or JWKS")
    secret_encoding: SecretEncoding = "utf8"
    key_kind: KeyKind = Field(
        "auto",
        description="auto, secret (an HMAC secret) or public (a public key); never overrides a confusion refusal",
    )
    algorithms: list[str] | None = Field(None, description="Allowed algorithms; default: every supported one")
    allow_weak_keys: bool = Field(
        False, description="Testing only: accept keys RFC 7518 forbids (RSA under 2048 bits, short HMAC secrets)"
    )
    policy: PolicyJSON = None
    profile: str | None = Field(None, description="A saved profile whose policy, key and algorithms fill the gaps")
    issuer: str | None = Field(None, description="Instead of key: discover this issuer's JWKS (OIDC / RFC 8414)")
    jwks_url: str | None = Field(None, description="Instead of key: fetch this JWKS URL")
    refresh_keys: bool = Field(False, description="Fetch again instead of using the cached documents")
    inner_key: str | None = Field(None, description="A JWE holding a signed token: the key for the inner token")
    inner_secret_encoding: SecretEncoding = "utf8"
    holder_key: str | None = Field(None, description="SD-JWT: the holder's public key for the KB-JWT (else cnf.jwk)")
    kb_aud: str | None = Field(None, description="SD-JWT: the aud the Key Binding JWT must have (requires one)")
    kb_nonce: str | None = Field(None, description="SD-JWT: the nonce the Key Binding JWT must have (requires one)")
    dpop: DpopFields | None = Field(None, description="A DPoP proof (RFC 9449) and the request it came with")
    trust_anchors: str | None = Field(
        None, description="CA certificates (PEM) that a token's x5c chain must validate to"
    )
    use_x5c: bool = Field(
        False, description="Verify with the x5c leaf key, only when its chain validates to a trust anchor given"
    )


def replay_for(policy: Policy | InvalidPolicy, store: Store) -> ReplayLog | None:
    """The store's replay log when the policy asks for the replay check."""
    return ReplayLog(store) if isinstance(policy, Policy) and policy.replay else None


class CompareRequest(BaseModel):
    first: str = Field(description="A compact JWS")
    second: str = Field(description="Another compact JWS to compare with the first")


#: a time as a JSON string or number, never a boolean read as 1 or 0
TimeValue = StrictStr | StrictInt | StrictFloat


class SignRequest(BaseModel):
    header: dict[str, Any] | list[dict[str, Any]] = Field(
        description="The protected header; for general, a list with one header per key (or one header for all)"
    )
    payload: dict[str, Any] | str
    key: str | list[str] | None = Field(
        None, description="HMAC secret, private PEM or private JWK; for general, a list: one signature per key"
    )
    secret_encoding: SecretEncoding = "utf8"
    allow_none: bool = Field(False, description="Allow alg 'none' (an unsigned token), on purpose only")
    disclose: list[str] | None = Field(
        None, description="Issue an SD-JWT: these top-level claims become selectively disclosable (RFC 9901)"
    )
    decoys: int = Field(0, description="SD-JWT: this many decoy digests hide how many claims are disclosable")
    serialization: Serialization = Field(
        "compact", description="compact (dots), flattened or general JSON (RFC 7515 §7.2); token is then JSON text"
    )
    detached: bool = Field(False, description="JSON serializations: leave the payload out (RFC 7515 App. F)")
    exp: TimeValue | None = Field(None, description=f"Set exp: {TIME_SPELLINGS}")
    nbf: TimeValue | None = Field(None, description=f"Set nbf: {TIME_SPELLINGS}")
    iat: TimeValue | None = Field(
        None, description=f"Set iat: {TIME_SPELLINGS} (not added unless given; the CLI adds now)"
    )
    kid: str | None = Field(None, description="Set the protected header's kid (every header's, for general JSON)")


@router.post(
    "/decode",
    response_model=answers.DecodeAnswer,
    response_model_exclude_unset=True,
    responses=ERROR_RESPONSES,
    summary="Decode a token without a key",
)
def api_decode(body: DecodeRequest, settings: SettingsDep) -> dict[str, Any]:
    if token_kind(body.token, max_size=settings.max_token_bytes) == "JWE":
        # Only a JWE's protected header can be read without the key (POST /api/verify with the key for the rest).
        return jwe_header_json(decode_jwe(body.token, max_size=settings.max_token_bytes))
    result = decode(body.token, max_token=settings.max_token_bytes, long_lifetime=settings.long_lifetime_seconds)
    return {"type": "JWS", **decode_json(result)}


@router.post(
    "/verify",
    response_model=answers.InspectionAnswer,
    response_model_exclude_unset=True,
    responses=ERROR_RESPONSES,
    summary="Verify signature and claims; a failing token is still a 200",
)
async def api_verify(body: VerifyRequest, request: Request) -> Response:
    # The API's hot path: no per-request dependencies to solve, one hand-off to the worker pool. Fetching an
    # issuer's keys waits on the network, so it waits in Starlette's I/O pool, never in the few CPU workers.
    state = request.app.state
    source = None
    if body.key is None and (body.issuer or body.jwks_url):
        source = await run_in_threadpool(
            fetch_keys,
            state.settings,
            state.issuer_cache,
            issuer=body.issuer,
            jwks_url=body.jwks_url,
            refresh=body.refresh_keys,
        )
    return await off_loop(request, verify_answer, body, state.settings, state.store, source)


def verify_answer(body: VerifyRequest, settings: Settings, store: Store, source: KeySource | None) -> Response:
    """The /api/verify answer, computed in a worker thread (profile read, token inspected, answer encoded)."""
    key, encoding, algorithms, policy_data = body.key, body.secret_encoding, body.algorithms, body.policy
    if source is not None:
        key = source.jwks_text
    if body.profile is not None:
        saved = store.profile(body.profile)
        if saved is None:
            raise InputError("profile_unknown", "No saved profile has that name", "profile", missing=True)
        key = key if key is not None else saved.data.get("key")
        encoding = encoding if "secret_encoding" in body.model_fields_set else saved.data.get("secret_encoding", "utf8")
        algorithms = algorithms if algorithms is not None else saved.data.get("algorithms")
        if policy_data is None:
            policy_data = saved.data.get("policy") or {}
    policy = parse_policy(policy_data)
    result = inspect(
        body.token if isinstance(body.token, str) else json.dumps(body.token),
        KeyText(key, encoding, body.key_kind) if key is not None else None,
        inner_key=KeyText(body.inner_key, body.inner_secret_encoding) if body.inner_key is not None else None,
        algorithms=algorithms,
        policy=policy,
        replay=replay_for(policy, store),
        record_jti=True,
        allow_weak_keys=body.allow_weak_keys,
        max_token=settings.max_token_bytes,
        max_key=settings.max_key_bytes,
        long_lifetime=settings.long_lifetime_seconds,
        holder_key=KeyText(body.holder_key, key_kind="public") if body.holder_key is not None else None,
        kb_aud=body.kb_aud,
        kb_nonce=body.kb_nonce,
        dpop=DpopRequest(**body.dpop.model_dump()) if body.dpop is not None else None,
        payload=None if body.payload is None else body.payload.encode("utf-8", "surrogatepass"),
        trust_anchors=body.trust_anchors,
        use_x5c=body.use_x5c,
    )
    if result.key_problem is not None:
        raise InputError.of(result.key_problem)
    return json_answer(inspection_json(result, key_source=source))


def json_answer(data: dict[str, Any]) -> Response:
    """The answer as built, sent without FastAPI validating it against its model again.

    The hot path of API clients: re-validating the nested answer cost as much as verifying an HS256 token.
    The declared response_model still documents it, and tests/web/answers.py holds every answer to it.
    """
    try:
        body = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a non-finite number the presenter let through: spelled as a string, never a 500
        body = json.dumps(json_safe(data), ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode("utf-8", "surrogatepass"), media_type="application/json")


@router.post("/replay/clear", response_model=answers.ReplayClearedAnswer, summary="Forget every recorded jti")
def api_replay_clear(store: StoreDep) -> dict[str, int]:
    return {"cleared": store.clear_replay()}


@router.post(
    "/sign",
    response_model=answers.SignAnswer,
    response_model_exclude_unset=True,
    responses=ERROR_RESPONSES,
    summary="Sign a header and payload: compact, JSON serializations, or an SD-JWT with 'disclose'",
)
def api_sign(body: SignRequest, settings: SettingsDep) -> dict[str, Any]:
    times = read_times({name: getattr(body, name) for name in SETTABLE_TIMES})
    if times or body.kid is not None:
        kid = {} if body.kid is None else {"kid": body.kid}
        headers = [{**h, **kid} for h in body.header] if isinstance(body.header, list) else {**body.header, **kid}
        body = body.model_copy(update={"payload": stamp_times(body.payload, times, add_iat=False), "header": headers})
    if body.disclose is not None:
        if not isinstance(body.payload, dict):
            raise InputError("sd_payload", "An SD-JWT's payload must be a JSON object", "payload")
        if isinstance(body.header, list) or isinstance(body.key, list):
            raise InputError("sd_one_signature", "An SD-JWT has one issuer signature: give one header and key", "key")
        issued = issue_sd_jwt(
            body.header,
            body.payload,
            body.key,
            body.disclose,
            decoys=body.decoys,
            secret_encoding=body.secret_encoding,
            max_key=settings.max_key_bytes,
        )
        return issued_sd_jwt_json(issued)
    if body.serialization != "compact":
        keys = body.key if isinstance(body.key, list) else [body.key]
        headers = body.header if isinstance(body.header, list) else [body.header] * len(keys)
        serialized = sign_serialized(
            headers,
            body.payload,
            keys,
            body.serialization,
            secret_encoding=body.secret_encoding,
            detached=body.detached,
            max_key=settings.max_key_bytes,
        )
        return serialized_json(serialized)
    if isinstance(body.header, list) or isinstance(body.key, list):
        raise InputError(
            "compact_one_signature", "A compact token holds one signature: give one header and one key", "key"
        )
    result = sign(
        body.header,
        body.payload,
        body.key,
        secret_encoding=body.secret_encoding,
        allow_none=body.allow_none,
        max_key=settings.max_key_bytes,
    )
    return sign_json(result)


@router.post(
    "/compare",
    response_model=answers.ComparisonAnswer,
    responses=ERROR_RESPONSES,
    summary="Compare two tokens' headers, claims and lifetimes",
)
def api_compare(body: CompareRequest, settings: SettingsDep) -> dict[str, Any]:
    return compare_json(compare_tokens(body.first, body.second, max_token=settings.max_token_bytes))
