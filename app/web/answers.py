"""The JSON API's answers as pydantic models, so /openapi.json documents every 200 (shapes from app/present.py).

A member that is only sometimes there is ``X | None = None``; the routes answering with one declare
``response_model_exclude_unset``, so an absent member stays absent instead of turning into null.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from app.core.attempts import Outcome
from app.core.claims import Status
from app.core.compare import Change
from app.core.findings import Severity
from app.core.verify import SignatureStatus

__all__ = [
    "ComparisonAnswer",
    "ConvertedKeyAnswer",
    "DecodeAnswer",
    "DecodedJWS",
    "DeletedAnswer",
    "EncryptAnswer",
    "GeneratedKeyAnswer",
    "Health",
    "ImportAnswer",
    "InspectionAnswer",
    "JWEAnswer",
    "JWEHeader",
    "JWSAnswer",
    "OAuthAnswer",
    "ProfileAnswer",
    "ProfileExport",
    "ProfileListAnswer",
    "ReplayClearedAnswer",
    "SavedProfileAnswer",
    "SignAnswer",
]

#: free-form JSON: a header, a claims set, a JWK or JWKS
JSONObject = dict[str, Any]


class Finding(BaseModel):
    code: str
    severity: Severity
    message: str
    hint: str
    segment: str | None


class TimeInfo(BaseModel):
    epoch: float
    iso: str
    relative: str


class ClaimInfo(BaseModel):
    name: str
    value: Any = Field(description="The claim's JSON value as the token carries it")
    description: str
    time: TimeInfo | None = Field(None, description="Only for a numeric date (exp, nbf, iat, auth_time...)")


class ClaimCheck(BaseModel):
    name: str
    status: Status
    message: str


class KeyAttempt(BaseModel):
    index: int
    kid: str | None
    key: str = Field(description="The key in words, e.g. 'RSA 2048-bit'; never the key itself")
    outcome: Outcome
    reason: str


class PolicyProblem(BaseModel):
    field: str
    message: str


class Verdict(BaseModel):
    status: Literal[200, 401, 403] | None = Field(description="What an API gateway would answer; null: policy invalid")
    outcome: Literal["accepted", "unauthenticated", "forbidden", "policy_invalid"]
    reason: str
    policy_problems: list[PolicyProblem] | None = Field(None, description="Only when the policy is invalid")


class KeyUsed(BaseModel):
    kid: str | None
    thumbprint: str = Field(description="RFC 7638 JWK thumbprint")
    source: str = Field(description="Where the key came from, e.g. the pasted JWKS or the fetched JWKS URL")


class SignatureCheck(BaseModel):
    valid: bool
    status: SignatureStatus
    alg: str | None
    kid: str | None
    message: str
    key: KeyUsed | None = Field(description="The key that verified; null when none did")
    attempts: list[KeyAttempt]


class KeyOrigin(BaseModel):
    """Where fetched verification keys came from (only with "issuer" or "jwks_url")."""

    kind: Literal["issuer", "jwks_url"]
    url: str
    jwks_url: str
    metadata_url: str | None
    fetched_at: float
    from_cache: bool
    redirects: list[str]


class _Signed(BaseModel):
    verified: bool = Field(description="True only when the signature and every claim check pass")
    signature: SignatureCheck
    claims: list[ClaimCheck]
    findings: list[Finding]
    verdict: Verdict
    header: JSONObject
    payload: JSONObject | None = Field(description="The claims; null when the payload is not a JSON object")


class JWSAnswer(_Signed):
    type: Literal["JWS"]
    key_source: KeyOrigin | None = None


class NestedJWS(_Signed):
    """The signed token inside a decrypted JWE, verified with the inner key."""

    token: str


class JWEHeader(BaseModel):
    """A JWE's protected header, read without the key."""

    type: Literal["JWE"]
    header: JSONObject
    alg: str | None
    enc: str | None
    zip: str | None
    kid: str | None
    findings: list[Finding]


class JWEAnswer(BaseModel):
    """A JWE: its header; with a key, the decryption (ok ... attempts) and a nested token or claim checks."""

    type: Literal["JWE"]
    jwe: JWEHeader | None = None
    ok: bool | None = Field(None, description="Decrypted; absent when no key was given")
    message: str | None = None
    header: JSONObject | None = None
    plaintext: str | None = Field(None, description="UTF-8 text, or base64url when plaintext_is_base64url")
    plaintext_is_base64url: bool | None = None
    attempts: list[KeyAttempt] | None = None
    payload: JSONObject | None = Field(None, description="The plaintext as a claims set, when it is one")
    nested: NestedJWS | None = None
    claims: list[ClaimCheck] | None = Field(None, description="Claim checks of a decrypted claims set")
    verified: bool
    verdict: Verdict
    findings: list[Finding]
    key_source: KeyOrigin | None = None


InspectionAnswer = Annotated[JWSAnswer | JWEAnswer, Field(discriminator="type")]


class DecodedJWS(BaseModel):
    type: Literal["JWS"]
    header: JSONObject
    payload: JSONObject | None
    payload_text: str
    signature: str = Field(description="The signature segment, base64url")
    claims: list[ClaimInfo]
    findings: list[Finding]


DecodeAnswer = Annotated[DecodedJWS | JWEHeader, Field(discriminator="type")]


class SigningKey(BaseModel):
    kid: str | None
    thumbprint: str
    description: str


class SignAnswer(BaseModel):
    token: str
    alg: str
    key: SigningKey | None = Field(description="null for alg none")
    findings: list[Finding]


class EncryptAnswer(BaseModel):
    token: str = Field(description="The compact JWE")


class Difference(BaseModel):
    part: Literal["header", "payload"]
    name: str
    change: Change
    first: Any
    second: Any


class Lifetime(BaseModel):
    seconds: float | None
    text: str


class ComparisonAnswer(BaseModel):
    differences: list[Difference]
    lifetimes: list[Lifetime] = Field(description="The first token's, then the second's")


class GeneratedKeyAnswer(BaseModel):
    kty: str
    description: str
    kid: str
    thumbprint: str
    private_jwk: JSONObject
    public_jwk: JSONObject | None = Field(None, description="Absent for a secret (oct)")
    jwks: JSONObject
    private_pem: str | None = Field(None, description="Absent for a secret (oct)")
    public_pem: str | None = Field(None, description="Absent for a secret (oct)")


class KeySummary(BaseModel):
    kty: str
    description: str
    kid: str | None
    thumbprint: str
    private: bool


class ConvertedKeyAnswer(BaseModel):
    form: str = Field(description="What the input was: secret, pem, certificate, ssh, jwk or jwks")
    to: Literal["jwk", "pem"]
    output: str
    jwks: JSONObject
    keys: list[KeySummary]


class ReplayClearedAnswer(BaseModel):
    cleared: int


class ProfileData(BaseModel):
    policy: JSONObject = Field(description="The validation policy's non-default members")
    key: str | None
    secret_encoding: str
    algorithms: list[str] | None
    secret_stored: bool


class ProfileAnswer(BaseModel):
    name: str
    profile: ProfileData
    updated: float


class SavedProfileAnswer(ProfileAnswer):
    note: str | None = Field(description="Where a secret was written, or that it was not kept")


class ProfileListAnswer(BaseModel):
    profiles: list[ProfileAnswer]


class ExportedProfile(ProfileData):
    name: str
    note: str | None = Field(None, description="What was left out of the export (a secret key, policy secrets)")


class ProfileExport(BaseModel):
    format: str
    profiles: list[ExportedProfile]


class ImportAnswer(BaseModel):
    imported: int
    names: list[str]


class DeletedAnswer(BaseModel):
    deleted: bool


class ShareableAnswer(BaseModel):
    shareable: bool = Field(description="True only for a key with no secret or private part anywhere")
    key: str | None = Field(description="The key re-serialised with its public members only, for the link")
    reason: str


class Health(BaseModel):
    status: Literal["ok"]


class ProviderRefusal(BaseModel):
    error: str = Field(description="The provider's error code, e.g. invalid_grant")
    error_description: str | None = None
    error_uri: str | None = None


class OAuthAnswer(BaseModel):
    """An identity provider's answer (token, introspection, userinfo), raw, with each JWT in it verified."""

    endpoint: Literal["token", "introspection", "userinfo"]
    status: int = Field(description="The provider's HTTP status")
    raw: str = Field(description="The provider's response body as it came")
    response: JSONObject | None = Field(None, description="The body as a JSON object, when it is one")
    error: ProviderRefusal | None = Field(None, description="The provider refused: error, error_description, error_uri")
    tokens: dict[str, InspectionAnswer | None] = Field(
        description="id_token, access_token, refresh_token: the /api/verify answer for a JWT, null for an opaque token"
    )
