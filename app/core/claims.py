"""Registered claims: what each means, how it reads, and the per-claim checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .timefmt import TimeInfo, as_numeric_date, describe_time, duration, iso

__all__ = [
    "CLAIM_DESCRIPTIONS",
    "TIME_CLAIMS",
    "ClaimCheck",
    "ClaimInfo",
    "Policy",
    "check_claims",
    "describe_claims",
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
    "cnf": "Confirmation: the key the token is bound to (proof of possession)",
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
_REGISTERED = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")


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


@dataclass(frozen=True)
class Policy:
    """What a server would check besides the signature."""

    leeway: float = 0
    now: float | None = None
    required: tuple[str, ...] = field(default=())


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


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "NaN" if value != value else "an infinite number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else "null"


def _now_text(now: float, leeway: float) -> str:
    extra = f", leeway {duration(leeway)}" if leeway else ""
    return f"now {iso(now)}{extra}"


def _check_time(name: str, value: Any, now: float, leeway: float) -> ClaimCheck:
    ts = as_numeric_date(value)
    if ts is None:
        return ClaimCheck(
            name, "fail", f"{name} must be a number of seconds since 1970 (NumericDate); it is {_kind(value)}"
        )
    context = f"({name} {iso(ts)}, {_now_text(now, leeway)})"
    if name == "exp":
        # RFC 7519 §4.1.4: rejected "on or after" exp.
        if now >= ts + leeway:
            return ClaimCheck(name, "fail", f"expired {duration(now - ts)} ago {context}")
        if now >= ts:
            return ClaimCheck(name, "warn", f"expired {duration(now - ts)} ago, accepted within the leeway {context}")
        return ClaimCheck(name, "pass", f"expires in {duration(ts - now)} {context}")
    if name == "nbf":
        if now + leeway < ts:
            return ClaimCheck(name, "fail", f"not valid yet: becomes valid in {duration(ts - now)} {context}")
        if now < ts:
            return ClaimCheck(name, "warn", f"valid in {duration(ts - now)}, accepted now within the leeway {context}")
        return ClaimCheck(name, "pass", f"valid since {duration(now - ts)} ago {context}")
    # iat
    if now + leeway < ts:
        return ClaimCheck(name, "fail", f"issued in the future: {duration(ts - now)} from now {context}")
    if now < ts:
        return ClaimCheck(name, "warn", f"issued {duration(ts - now)} in the future, within the leeway {context}")
    return ClaimCheck(name, "pass", f"issued {duration(now - ts)} ago {context}")


def check_claims(payload: dict[str, Any] | None, policy: Policy, now: float) -> tuple[ClaimCheck, ...]:
    """Every check's result, failures and passes alike (never stopping at the first)."""
    if payload is None:
        return (ClaimCheck("payload", "fail", "The payload is not a JSON object, so it holds no claims"),)
    checks: list[ClaimCheck] = []
    for name in policy.required:
        if name not in payload:
            checks.append(ClaimCheck(name, "fail", f"required claim {name} is missing"))
    for name in _REGISTERED:
        if name not in payload:
            continue
        value = payload[name]
        if name in ("exp", "nbf", "iat"):
            checks.append(_check_time(name, value, now, policy.leeway))
        else:
            checks.append(ClaimCheck(name, "skip", f"present; not checked (no expected {name} in the policy)"))
    return tuple(checks)
