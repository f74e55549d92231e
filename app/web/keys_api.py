"""JSON API for JWE and key tools: decrypt, encrypt, generate, convert."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.core import InputError, parse_key, parse_policy
from app.core.inspect import KeyText, inspect, token_kind
from app.core.jwe import encrypt_jwe
from app.core.keytools import convert_key, generate_key
from app.present import converted_json, generated_json, inspection_json

from . import answers
from .api import _ERRORS, PolicyJSON, SecretEncoding
from .deps import SettingsDep

router = APIRouter(prefix="/api", tags=["keys and JWE"])


class DecryptRequest(BaseModel):
    token: str = Field(description="A compact JWE (five segments)")
    key: str | None = Field(None, description="Private key, JWK, JWKS, or the shared secret / password")
    secret_encoding: SecretEncoding = "utf8"
    inner_key: str | None = Field(None, description="Key for a nested signed token (default: key)")
    inner_secret_encoding: SecretEncoding = "utf8"
    policy: PolicyJSON = None
    allow_weak_keys: bool = Field(False, description="Testing only: accept keys RFC 7518 forbids")


class EncryptRequest(BaseModel):
    header: dict[str, Any] = Field(
        description='Protected header with alg and enc, e.g. {"alg": "RSA-OAEP-256", "enc": "A256GCM"}'
    )
    plaintext: str
    key: str = Field(description="Recipient's public key, JWK, or the shared secret / password")
    secret_encoding: SecretEncoding = "utf8"


class GenerateRequest(BaseModel):
    kty: Literal["RSA", "EC", "OKP", "oct"]
    size: int | None = Field(None, description="RSA: 2048, 3072, 4096; oct: 256, 384, 512 (bits)")
    crv: str | None = Field(None, description="EC: P-256, P-384, P-521, secp256k1; OKP: Ed25519, Ed448, X25519, X448")
    kid: str | None = None


class ConvertRequest(BaseModel):
    key: str = Field(description="PEM, certificate, OpenSSH public key, JWK or JWKS")
    to: Literal["jwk", "pem"]
    private: bool | None = Field(None, description="True: insist on the private key; False: the public half only")
    secret_encoding: SecretEncoding = "utf8"


@router.post(
    "/decrypt",
    response_model=answers.JWEAnswer,
    response_model_exclude_unset=True,
    responses=_ERRORS,
    summary="Decrypt a JWE; a nested signed token is verified too",
)
def api_decrypt(body: DecryptRequest, settings: SettingsDep) -> dict[str, Any]:
    if token_kind(body.token, max_size=settings.max_token_bytes) != "JWE":
        raise InputError("not_jwe", "This is not a JWE (five dot-separated parts); verify it with /api/verify", "token")
    inner = KeyText(body.inner_key, body.inner_secret_encoding) if body.inner_key is not None else None
    result = inspect(
        body.token,
        KeyText(body.key, body.secret_encoding) if body.key is not None else None,
        inner_key=inner,
        policy=parse_policy(body.policy),
        allow_weak_keys=body.allow_weak_keys,
        max_token=settings.max_token_bytes,
        max_key=settings.max_key_bytes,
        long_lifetime=settings.long_lifetime_seconds,
    )
    if result.key_problem is not None:
        raise InputError.of(result.key_problem)
    return inspection_json(result)


@router.post(
    "/encrypt",
    response_model=answers.EncryptAnswer,
    responses=_ERRORS,
    summary="Encrypt a plaintext (or a signed token) into a compact JWE",
)
def api_encrypt(body: EncryptRequest, settings: SettingsDep) -> dict[str, str]:
    token = encrypt_jwe(
        body.header, body.plaintext, body.key, secret_encoding=body.secret_encoding, max_key=settings.max_key_bytes
    )
    return {"token": token}


class ShareableRequest(BaseModel):
    key: str = Field(description="The key a share link would carry")
    secret_encoding: SecretEncoding = "utf8"


@router.post(
    "/keys/shareable",
    response_model=answers.ShareableAnswer,
    responses=_ERRORS,
    summary="Whether a key may go into a share link, and the re-serialised public form that would",
)
def api_shareable(body: ShareableRequest, settings: SettingsDep) -> dict[str, Any]:
    # Decided from the parsed key when the link is made: a secret or any private part never goes.
    parsed = parse_key(body.key, body.secret_encoding, max_size=settings.max_key_bytes)
    public = None if parsed.is_secret else parsed.public_text()
    if public is None:
        reason = "only a public key can go into a link, never a secret or a key with a private part"
        return {"shareable": False, "key": None, "reason": reason}
    return {"shareable": True, "key": public, "reason": f"the {parsed.label}, re-serialised with public members only"}


@router.post(
    "/keys/generate",
    response_model=answers.GeneratedKeyAnswer,
    response_model_exclude_unset=True,
    responses=_ERRORS,
    summary="Generate a key in every form: PEM, JWK, JWKS, thumbprint",
)
def api_generate(body: GenerateRequest) -> dict[str, Any]:
    return generated_json(generate_key(body.kty, size=body.size, crv=body.crv, kid=body.kid))


@router.post(
    "/keys/convert",
    response_model=answers.ConvertedKeyAnswer,
    response_model_exclude_unset=True,
    responses=_ERRORS,
    summary="Convert a key between PEM and JWK",
)
def api_convert(body: ConvertRequest, settings: SettingsDep) -> dict[str, Any]:
    result = convert_key(
        body.key, to=body.to, private=body.private, secret_encoding=body.secret_encoding, max_key=settings.max_key_bytes
    )
    return converted_json(result)
