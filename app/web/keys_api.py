"""JSON API for JWE and key tools: decrypt, encrypt, generate, convert."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ..core import InputError, parse_key, parse_policy
from ..core.inspect import KeyText, inspect, token_kind
from ..core.jwe import encrypt_jwe
from ..core.jwe.jsonser import encrypt_jwe_json
from ..core.jws_json import Serialization, read_jose_json
from ..core.keys import SecretEncoding
from ..core.keytools import convert_key, generate_key
from ..present import converted_json, generated_json, inspection_json
from . import answers
from .api import ERROR_RESPONSES, PolicyJSON
from .deps import SettingsDep

router = APIRouter(prefix="/api", tags=["keys and JWE"])


class DecryptRequest(BaseModel):
    token: str | dict[str, Any] = Field(
        description="A compact JWE (five segments), or a JSON serialization (RFC 7516 §7.2) as text or object"
    )
    key: str | None = Field(None, description="Private key, JWK, JWKS, or the shared secret / password")
    secret_encoding: SecretEncoding = "utf8"
    inner_key: str | None = Field(None, description="Key for a nested signed token (default: key)")
    inner_secret_encoding: SecretEncoding = "utf8"
    policy: PolicyJSON = None
    allow_weak_keys: bool = Field(False, description="Testing only: accept keys RFC 7518 forbids")


class EncryptRecipient(BaseModel):
    header: dict[str, Any] = Field(default_factory=dict, description="This recipient's unprotected header (alg, kid)")
    key: str = Field(description="This recipient's public key, JWK, or shared secret / password")


class EncryptRequest(BaseModel):
    header: dict[str, Any] = Field(
        description='Protected header with alg and enc, e.g. {"alg": "RSA-OAEP-256", "enc": "A256GCM"}'
    )
    plaintext: str
    key: str | None = Field(None, description="Recipient's public key, JWK, or the shared secret / password")
    secret_encoding: SecretEncoding = "utf8"
    serialization: Serialization = Field("compact", description="compact, or JSON: flattened or general (RFC 7516)")
    recipients: list[EncryptRecipient] | None = Field(
        None, description="JSON only: one entry per recipient (instead of key); flattened takes one"
    )
    unprotected: dict[str, Any] | None = Field(None, description="JSON only: the shared unprotected header")
    aad: str | None = Field(None, description="JSON only: additional authenticated data, UTF-8 text")


class GenerateRequest(BaseModel):
    kty: Literal["RSA", "EC", "OKP", "oct", "AKP"]
    size: int | None = Field(None, description="RSA: 2048, 3072, 4096; oct: 128, 192, 256, 384, 512 (bits)")
    crv: str | None = Field(None, description="EC: P-256, P-384, P-521, secp256k1; OKP: Ed25519, Ed448, X25519, X448")
    kid: str | None = None
    alg: str | None = Field(None, description="AKP only: ML-DSA-44, ML-DSA-65 (default) or ML-DSA-87")


class ConvertRequest(BaseModel):
    key: str = Field(description="PEM, certificate, OpenSSH public key, JWK or JWKS")
    to: Literal["jwk", "pem"]
    private: bool | None = Field(None, description="True: insist on the private key; False: the public half only")
    secret_encoding: SecretEncoding = "utf8"
    trust_anchors: str | None = Field(None, description="CA certificates (PEM) a JWK's x5c chain must validate to")


@router.post(
    "/decrypt",
    response_model=answers.JWEAnswer,
    response_model_exclude_unset=True,
    responses=ERROR_RESPONSES,
    summary="Decrypt a JWE; a nested signed token is verified too",
)
def api_decrypt(body: DecryptRequest, settings: SettingsDep) -> dict[str, Any]:
    text = body.token if isinstance(body.token, str) else json.dumps(body.token)
    as_json = read_jose_json(text, settings.max_token_bytes)
    if as_json is not None and "ciphertext" not in as_json:
        raise InputError(
            "not_jwe", "This is a JWS in JSON serialization, not a JWE: verify it with /api/verify", "token"
        )
    if as_json is None and token_kind(text, max_size=settings.max_token_bytes) != "JWE":
        raise InputError("not_jwe", "This is not a JWE (five dot-separated parts); verify it with /api/verify", "token")
    inner = KeyText(body.inner_key, body.inner_secret_encoding) if body.inner_key is not None else None
    result = inspect(
        text,
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
    responses=ERROR_RESPONSES,
    summary="Encrypt a plaintext (or a signed token) into a compact JWE",
)
def api_encrypt(body: EncryptRequest, settings: SettingsDep) -> dict[str, str]:
    if body.serialization != "compact":
        given = body.recipients or [EncryptRecipient(key=body.key or "")]
        recipients = [(r.header, r.key) for r in given]
        made = encrypt_jwe_json(
            body.header,
            body.plaintext,
            recipients,
            body.serialization,
            unprotected=body.unprotected,
            aad=None if body.aad is None else body.aad.encode("utf-8", "surrogatepass"),
            secret_encoding=body.secret_encoding,
            max_key=settings.max_key_bytes,
        )
        return {"token": made}
    if body.recipients is not None or body.unprotected is not None or body.aad is not None:
        raise InputError(
            "compact_one_recipient", "recipients, unprotected and aad need serialization flattened or general", "token"
        )
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
    responses=ERROR_RESPONSES,
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
    responses=ERROR_RESPONSES,
    summary="Generate a key in every form: PEM, JWK, JWKS, thumbprint",
)
def api_generate(body: GenerateRequest) -> dict[str, Any]:
    return generated_json(generate_key(body.kty, size=body.size, crv=body.crv, kid=body.kid, alg=body.alg))


@router.post(
    "/keys/convert",
    response_model=answers.ConvertedKeyAnswer,
    response_model_exclude_unset=True,
    responses=ERROR_RESPONSES,
    summary="Convert a key between PEM and JWK",
)
def api_convert(body: ConvertRequest, settings: SettingsDep) -> dict[str, Any]:
    result = convert_key(
        body.key,
        to=body.to,
        private=body.private,
        secret_encoding=body.secret_encoding,
        max_key=settings.max_key_bytes,
        trust_anchors=body.trust_anchors,
    )
    return converted_json(result)
