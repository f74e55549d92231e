"""The JSON API: the same core results as the fragments, as JSON."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.core import Policy, decode, sign, verify

from .deps import SettingsDep
from .present import decode_json, sign_json, verify_json

router = APIRouter(prefix="/api", tags=["api"])

SecretEncoding = Literal["utf8", "base64", "base64url", "hex"]


class ErrorDetail(BaseModel):
    code: str = Field(description="Short, stable error code, e.g. bad_base64url")
    message: str = Field(description="What is wrong, in words; never quotes the token or key")
    segment: str | None = Field(None, description="Where: header, payload, signature, token, key...")


class ErrorBody(BaseModel):
    error: ErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed token, key or request"},
    413: {"model": ErrorBody, "description": "Token, key or body over the size limit"},
    422: {"model": ErrorBody, "description": "The request body does not have the documented shape"},
}


class DecodeRequest(BaseModel):
    token: str = Field(description="A compact JWS; surrounding whitespace and 'Bearer ' are tolerated")


class PolicyModel(BaseModel):
    leeway: float = Field(0, ge=0, le=10 * 365 * 86400, description="Seconds of clock skew allowed for exp/nbf/iat")
    now: float | None = Field(None, description="Check as if it were this time (epoch seconds)")


class VerifyRequest(BaseModel):
    token: str
    key: str | None = Field(None, description="HMAC secret, PEM (SPKI, PKCS#1, certificate), JWK or JWKS")
    secret_encoding: SecretEncoding = "utf8"
    algorithms: list[str] | None = Field(None, description="Allowed algorithms; default: every supported one")
    policy: PolicyModel | None = None


class SignRequest(BaseModel):
    header: dict[str, Any]
    payload: dict[str, Any] | str
    key: str | None = Field(None, description="HMAC secret, private PEM or private JWK")
    secret_encoding: SecretEncoding = "utf8"
    allow_none: bool = Field(False, description="Allow alg 'none' (an unsigned token), on purpose only")


@router.post("/decode", responses=_ERRORS, summary="Decode a token without a key")
def api_decode(body: DecodeRequest, settings: SettingsDep) -> dict[str, Any]:
    return decode_json(decode(body.token, max_token=settings.max_token_bytes))


@router.post("/verify", responses=_ERRORS, summary="Verify signature and claims; a failing token is still a 200")
def api_verify(body: VerifyRequest, settings: SettingsDep) -> dict[str, Any]:
    policy = Policy(leeway=body.policy.leeway, now=body.policy.now) if body.policy else None
    result = verify(
        body.token,
        body.key,
        secret_encoding=body.secret_encoding,
        algorithms=body.algorithms,
        policy=policy,
        max_token=settings.max_token_bytes,
        max_key=settings.max_key_bytes,
    )
    return verify_json(result)


@router.post("/sign", responses=_ERRORS, summary="Sign a header and payload")
def api_sign(body: SignRequest, settings: SettingsDep) -> dict[str, Any]:
    result = sign(
        body.header,
        body.payload,
        body.key,
        secret_encoding=body.secret_encoding,
        allow_none=body.allow_none,
        max_key=settings.max_key_bytes,
    )
    return sign_json(result)
