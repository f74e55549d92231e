"""The JSON API's answers as pydantic models, so /openapi.json documents every 200 (shapes from app/present.py).

A member that is only sometimes there is ``X | None = None``; the routes answering with one declare
``response_model_exclude_unset``, so an absent member stays absent instead of turning into null.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ..core.attempts import Outcome
from ..core.claims import Status
from ..core.compare import Change
from ..core.findings import Severity
from ..core.sdjwt.reconstruct import RowStatus as DisclosureStatus
from ..core.verify import SignatureStatus

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
JSONValue = Any


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


class Disclosure(BaseModel):
    digest: str
    salt: str | None
    name: str | None = Field(description="The claim name; null for an array element")
    value: JSONValue
    status: DisclosureStatus
    path: str | None = Field(description="Where the digest sits in the payload, e.g. $.address._sd")
    message: str


class KeyBinding(BaseModel):
    present: bool
    required: bool
    valid: bool
    checks: list[ClaimCheck]
    header: JSONObject | None
    payload: JSONObject | None


class SdJwtAnswer(BaseModel):
    """An SD-JWT (RFC 9901): each disclosure, the reconstructed claims, every check and the key binding."""

    disclosures: list[Disclosure]
    claims: JSONObject = Field(description="The claims with the disclosed ones put back")
    disclosed: list[str]
    decoys: int
    vct: str | None
    checks: list[ClaimCheck]
    key_binding: KeyBinding


class DpopAnswer(BaseModel):
    """A DPoP proof (RFC 9449) checked against the request described."""

    valid: bool
    jkt: str | None = Field(description="RFC 7638 thumbprint of the proof's key")
    checks: list[ClaimCheck]


class JSONSignatureAnswer(BaseModel):
    """One signature of a JWS JSON serialization (RFC 7515 §7.2)."""

    index: int
    protected: JSONObject = Field(description="The integrity-protected header")
    header: JSONObject = Field(description="The unprotected header: NOT covered by the signature")
    alg: str | None
    kid: str | None
    valid: bool
    status: SignatureStatus
    message: str
    key: KeyUsed | None = Field(description="The key that verified this signature; null when none did")


class Certificate(BaseModel):
    index: int
    subject: str
    issuer: str
    not_before: str
    not_after: str
    san: list[str]
    key_usage: list[str]
    basic_constraints: str | None
    sha256: str = Field(description="SHA-256 fingerprint of the DER certificate")


class X5CChain(BaseModel):
    certificates: list[Certificate]
    x5t: Literal["match", "mismatch"] | None
    x5t_S256: Literal["match", "mismatch"] | None = Field(alias="x5t#S256")
    valid: bool | None = Field(description="Validated to a given trust anchor; null: no anchor given")
    reason: str


class JWKChain(X5CChain):
    key_matches: bool = Field(description="The first certificate's key is the JWK's key (RFC 7517 §4.7)")


class JWSAnswer(_Signed):
    type: Literal["JWS", "SD-JWT"]
    key_source: KeyOrigin | None = None
    sd_jwt: SdJwtAnswer | None = None
    dpop: DpopAnswer | None = None
    serialization: Literal["flattened", "general"] | None = Field(None, description="Only for a JSON serialization")
    signatures: list[JSONSignatureAnswer] | None = Field(
        None, description="JSON serialization only: every signature; verified when at least one is valid"
    )
    detached: bool | None = Field(None, description="JSON serialization only: the payload was absent from the JSON")
    verified_signatures: list[int] | None = Field(None, description="Indexes of the signatures that verified")
    x5c: X5CChain | None = Field(None, description="Only when the header carries x5c: the chain and its validation")


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


class JWERecipient(BaseModel):
    index: int
    header: JSONObject = Field(description="This recipient's own unprotected header")
    ok: bool
    message: str


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
    serialization: Literal["flattened", "general"] | None = Field(None, description="Only for a JSON serialization")
    recipients: list[JWERecipient] | None = Field(
        None, description="JSON serialization only: each recipient tried, in order, until one decrypted"
    )
    recipient: int | None = Field(None, description="JSON serialization only: the recipient that decrypted (or null)")
    protected: JSONObject | None = Field(None, description="JSON serialization only: the protected header")
    unprotected: JSONObject | None = Field(None, description="JSON serialization only: the shared unprotected header")
    aad: str | None = Field(None, description="JSON serialization only: the additional authenticated data (base64url)")


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


class Signer(BaseModel):
    alg: str
    key: SigningKey | None


class SignAnswer(BaseModel):
    token: str = Field(
        description="The compact token, the JSON serialization as text, or an SD-JWT with its disclosures"
    )
    alg: str
    key: SigningKey | None = Field(description="null for alg none")
    findings: list[Finding]
    serialization: Literal["flattened", "general"] | None = Field(None, description="Only for a JSON serialization")
    signatures: list[Signer] | None = Field(None, description="JSON serialization only: each signature's alg and key")
    disclosures: list[str] | None = Field(None, description="SD-JWT only: each disclosure, base64url-encoded")


class EncryptAnswer(BaseModel):
    token: str = Field(description="The compact JWE, or the JSON serialization as text")


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


class Thumbprint(BaseModel):
    thumbprint: str = Field(description="RFC 7638 JWK thumbprint, base64url")
    uri: str = Field(description="RFC 9278 thumbprint URI, urn:ietf:params:oauth:jwk-thumbprint:<hash>:<thumbprint>")


#: by hash name: sha-256, sha-384, sha-512
Thumbprints = dict[str, Thumbprint]


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
    thumbprints: Thumbprints | None = Field(None, description="RFC 7638 thumbprints by hash, with RFC 9278 URIs")


class KeySummary(BaseModel):
    kty: str
    description: str
    kid: str | None
    thumbprint: str
    private: bool
    thumbprints: Thumbprints = Field(description="RFC 7638 thumbprints by hash, with RFC 9278 URIs")
    x5c: JWKChain | None = Field(None, description="Only for a JWK carrying x5c")


class ConvertedKeyAnswer(BaseModel):
    form: str = Field(description="What the input was: secret, pem, certificate, ssh, jwk or jwks")
    to: Literal["jwk", "pem"]
    output: str
    jwks: JSONObject
    keys: list[KeySummary]
    thumbprints: Thumbprints | None = Field(None, description="Only for a single key: its thumbprints")


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
