"""Registered claims: what each means and how it reads; ClaimCheck is one check's result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .timefmt import TimeInfo, as_numeric_date, describe_time

__all__ = [
    "CLAIM_DESCRIPTIONS",
    "TIME_CLAIMS",
    "ClaimCheck",
    "ClaimInfo",
    "describe_claims",
    "fresh_iat",
]

Status = Literal["pass", "fail", "warn", "skip"]

CLAIM_DESCRIPTIONS: dict[str, str] = {
    # RFC 7519 §4.1
    "iss": "Issuer: who created and signed the token",
    "sub": "Subject: whom the token is about",
    "aud": "Audience: who the token is meant for",
    "exp": "Expiration time: not accepted on or after this moment",
    "nbf": "Not before: not accepted before this moment",
    "iat": "Issued at: when the token was created",
    "jti": "JWT ID: a unique identifier, used against replay",
    # OpenID Connect Core §2, §5.1 and RFC 8693 / RFC 9068
    "auth_time": "Authentication time: when the user last logged in",
    "nonce": "Nonce: ties an ID token to the client's request, against replay",
    "acr": "Authentication context class reference: how strong the login was",
    "amr": "Authentication methods references: how the user logged in",
    "azp": "Authorized party: the client the ID token was issued to",
    "at_hash": "Access token hash: binds the ID token to an access token",
    "c_hash": "Code hash: binds the ID token to an authorization code",
    "sid": "Session ID: the login session at the identity provider",
    "scope": "Scope: the permissions granted (space-separated)",
    "scp": "Scopes: the permissions granted",
    "client_id": "Client ID: the OAuth client that asked for the token",
    "cnf": "Confirmation: the key the token is bound to (proof of possession); in an SD-JWT, the holder's key",
    # RFC 9901 and SD-JWT VC
    "vct": "Verifiable credential type: what kind of credential this SD-JWT VC is",
    "status": "Status: where to look up whether the credential was revoked or suspended (a status list entry)",
    "_sd": "Digests of selectively disclosable claims (SD-JWT)",
    "_sd_alg": "Hash algorithm of the SD-JWT disclosure digests",
    "act": "Actor: who acts on behalf of the subject (delegation)",
    "may_act": "May act: who is allowed to act for the subject",
    "name": "Full name of the user",
    "given_name": "Given (first) name",
    "family_name": "Family (last) name",
    "preferred_username": "Username the user prefers",
    "email": "Email address",
    "email_verified": "Whether the email address was verified",
    "phone_number": "Phone number",
    "locale": "The user's locale",
    "roles": "Roles granted to the subject",
    "groups": "Groups the subject belongs to",
    "updated_at": "When the user's profile was last updated",
}
TIME_CLAIMS = ("exp", "nbf", "iat", "auth_time", "updated_at")


@dataclass(frozen=True)
class ClaimInfo:
    """One claim as the decoded view shows it."""

    name: str
    value: Any
    description: str
    time: TimeInfo | None = None


@dataclass(frozen=True)
class ClaimCheck:
    """One line of the verdict on the claims: a registered claim or a rule."""

    name: str
    status: Status
    message: str
    #: a custom rule (authorization: a failure means 403) rather than a standard claim (401)
    rule: bool = False


def describe_claims(payload: dict[str, Any] | None, now: float) -> tuple[ClaimInfo, ...]:
    if not payload:
        return ()
    infos = []
    for name, value in payload.items():
        description = CLAIM_DESCRIPTIONS.get(name, "Private claim (not registered)")
        time = None
        if name in TIME_CLAIMS:
            ts = as_numeric_date(value)
            if ts is not None:
                time = describe_time(name, ts, now)
        infos.append(ClaimInfo(name, value, description, time))
    return tuple(infos)


def fresh_iat(payload: Mapping[str, Any], now: float, leeway: float, max_age: float, what: str) -> ClaimCheck:
    """A short-lived proof's iat (a DPoP proof, a KB-JWT): numeric, not ahead of now, at most ``max_age`` old."""
    iat = as_numeric_date(payload.get("iat"))
    if iat is None:
        return ClaimCheck("iat", "fail", f"the {what} has no numeric iat")
    if iat > now + leeway:
        return ClaimCheck("iat", "fail", f"iat is {iat - now:.0f} s in the future (leeway {leeway:.0f} s)")
    if iat < now - max_age - leeway:
        return ClaimCheck("iat", "fail", f"iat is {now - iat:.0f} s old; a {what} is accepted for {max_age:.0f} s")
    return ClaimCheck("iat", "pass", "issued within the accepted window")
