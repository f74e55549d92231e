"""The validation policy: one schema, with its bounds and messages.

Everything else derives from it: the API's ``policy`` (and its OpenAPI schema), the page's form
fields, the CLI's flags, saved profiles and their import. Adding a field means editing this model
and the checker, nothing else. Validation never raises to a caller: ``parse_policy`` returns the
policy or every problem, each naming its field, so the verdict can fail closed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import regex
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ..timefmt import number_of as _number
from ..timefmt import parse_time

__all__ = [
    "MAX_RULES",
    "POLICY_FIELDS",
    "InvalidPolicy",
    "Policy",
    "PolicyField",
    "PolicyProblem",
    "Rule",
    "RuleOp",
    "parse_policy",
    "parse_time",
    "rule_from_text",
]

MAX_RULES = 50
MAX_PATTERN = 1000
MAX_LIST = 1000
MAX_TEXT = 4096
#: ten years: a longer leeway or age means the check is meant to be off, so it is refused as a mistake
MAX_SECONDS = 10 * 365 * 86400


class RuleOp(StrEnum):
    """What a custom rule checks of its claim."""

    equals = "equals"
    one_of = "one_of"
    contains = "contains"
    matches = "matches"  # a full match of the whole value
    present = "present"
    absent = "absent"
    gte = "gte"
    lte = "lte"


def _bad(message: str) -> PydanticCustomError:
    return PydanticCustomError("policy", message)


def _seconds(what: str) -> Any:
    def check(value: Any) -> float | None:
        if value is None or value == "":
            return None
        number = _number(value)
        if number is None or not 0 <= number <= MAX_SECONDS:
            raise _bad(f"{what} must be a number of seconds from 0 to {MAX_SECONDS:,} (10 years)")
        return number

    return BeforeValidator(check)


def _moment(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise _bad(str(exc)) from None


def _strings(what: str, *, one: bool = False) -> Any:
    def check(value: Any) -> Any:
        if value is None or value == "":
            return None if one else ()
        if one:
            if not isinstance(value, str):
                raise _bad(f"{what} must be a string")
            if len(value) > MAX_TEXT:
                raise _bad(f"{what} is longer than {MAX_TEXT:,} characters")
            return value
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
            raise _bad(f"{what} must be a string or an array of strings")
        if len(items) > MAX_LIST or any(len(v) > MAX_TEXT for v in items):
            raise _bad(f"{what} holds more than {MAX_LIST:,} entries or an entry over {MAX_TEXT:,} characters")
        return tuple(v for v in items if v)

    return BeforeValidator(check)


def _flag(what: str) -> Any:
    def check(value: Any) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            raise _bad(f"{what} must be true or false")
        return value

    return BeforeValidator(check)


class Rule(BaseModel):
    """A custom claim rule: ``claim`` is a dotted path (``realm_access.roles``); a failure is a 403."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim: str = Field(description="Claim name or dotted path into nested claims, e.g. realm_access.roles")
    op: RuleOp = Field(description="equals, one_of, contains, matches (whole value), present, absent, gte, lte")
    value: Any = Field(None, description="What the claim is compared with (not for present / absent)")

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise _bad("a rule must be an object {claim, op, value}")
        claim, op, value = data.get("claim"), data.get("op"), data.get("value")
        if not isinstance(claim, str) or not claim.strip() or len(claim) > 200:
            raise _bad("'claim' must be a claim name or dotted path (at most 200 characters)")
        if op not in RuleOp.__members__:
            raise _bad(f"op must be one of {', '.join(RuleOp)}")
        if op == "one_of" and not isinstance(value, list):
            raise _bad("one_of needs an array of accepted values")
        if op in ("gte", "lte") and _number(value) is None:
            raise _bad(f"{op} needs a number")
        if op in ("gte", "lte") and isinstance(value, str):
            value = _number(value)
        if op == "matches":
            if not isinstance(value, str) or len(value) > MAX_PATTERN:
                raise _bad(f"matches needs a regular expression (at most {MAX_PATTERN} characters)")
            try:
                regex.compile(value)
            except regex.error as exc:
                raise _bad(f"the pattern is not a valid regular expression ({str(exc)[:80]})") from None
        return {**data, "claim": claim.strip(), "value": value}

    @property
    def label(self) -> str:
        from .check import show  # the checker owns how values read

        if self.op in (RuleOp.present, RuleOp.absent):
            return f"{self.claim} {self.op}"
        return f"{self.claim} {self.op} {show(self.value)}"


def rule_from_text(line: str) -> dict[str, Any]:
    """A rule as typed on one line, ``claim op value`` (the page, the CLI); validated by the schema.

    The value is JSON when it reads as JSON (5, true, ["a"]), else the text; one_of splits on commas.
    """
    parts = line.split(None, 2)
    claim, op = (parts[0] if parts else ""), (parts[1] if len(parts) > 1 else None)
    rest = parts[2] if len(parts) == 3 else None
    value: Any = rest
    if rest is not None:
        try:
            value = json.loads(rest)
        except ValueError:
            value = [v.strip() for v in rest.split(",")] if op == "one_of" else rest
    return {"claim": claim, "op": op, "value": value}


def _rules(value: Any) -> Any:
    if value is None or value == "":
        return ()
    if not isinstance(value, (list, tuple)):
        raise _bad("rules must be an array of {claim, op, value}")
    if len(value) > MAX_RULES:
        raise _bad(f"there are {len(value)} rules; the limit is {MAX_RULES}")
    return value


def _meta(label: str, form: str, help_: str = "", *, secret: bool = False, flag: str | None = None) -> dict[str, Any]:
    """How a field reads in the page form and on the command line (derived there, never repeated)."""
    return {"label": label, "form": form, "help": help_, "secret": secret, "flag": flag}


class Policy(BaseModel):
    """What a server would check besides the signature. Empty fields are not checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    iss: Annotated[tuple[str, ...], _strings("Accepted issuers")] = Field(
        (),
        description="Accepted issuer(s), exact match",
        json_schema_extra=_meta("Accepted issuers", "lines", "one per line, exact match"),
    )
    aud: Annotated[tuple[str, ...], _strings("Accepted audiences")] = Field(
        (),
        description="Accepted audience(s); the token's aud must hold one",
        json_schema_extra=_meta("Accepted audiences", "lines", "one per line"),
    )
    sub: Annotated[str | None, _strings("Subject", one=True)] = Field(
        None, description="Expected subject, exact match", json_schema_extra=_meta("Subject", "text")
    )
    typ: Annotated[str | None, _strings("Header typ", one=True)] = Field(
        None, description="Expected header typ, e.g. JWT or at+jwt", json_schema_extra=_meta("Header typ", "text")
    )
    required: Annotated[tuple[str, ...], _strings("Required claims")] = Field(
        (),
        description="Claims that must be present (dotted paths allowed)",
        json_schema_extra=_meta("Required claims", "words", "space or comma separated"),
    )
    leeway: Annotated[float | None, _seconds("Leeway")] = Field(
        None,
        description="Seconds of clock skew allowed for exp, nbf and iat (0 to 10 years)",
        json_schema_extra=_meta("Leeway", "number", "seconds"),
    )
    now: Annotated[float | None, BeforeValidator(_moment)] = Field(
        None,
        description="Check as if it were this time: epoch seconds, ISO 8601 with a zone, or relative (-1h)",
        json_schema_extra=_meta("Check as of", "time", "ISO time or epoch; empty: now"),
    )
    max_age: Annotated[float | None, _seconds("Max age")] = Field(
        None,
        description="Reject when now - iat exceeds this (seconds)",
        json_schema_extra=_meta("Max age", "number", "now − iat, seconds"),
    )
    max_lifetime: Annotated[float | None, _seconds("Max lifetime")] = Field(
        None,
        description="Reject when exp - iat exceeds this (seconds)",
        json_schema_extra=_meta("Max lifetime", "number", "exp − iat, seconds"),
    )
    jti_denylist: Annotated[tuple[str, ...], _strings("Revoked jti")] = Field(
        (), description="Revoked token ids", json_schema_extra=_meta("Revoked jti", "lines", "one per line")
    )
    rules: Annotated[tuple[Rule, ...], BeforeValidator(_rules)] = Field(
        (),
        description="Custom claim rules; a failure is a 403",
        json_schema_extra=_meta("Rules", "rules", f"one per line: claim op value; ops: {', '.join(RuleOp)}"),
    )
    replay: Annotated[bool, _flag("Replay check")] = Field(
        False,
        description="Record each verified jti; the same jti again is a replay, and a token without jti fails",
        json_schema_extra=_meta("Replay check: flag a jti already recorded", "flag"),
    )
    oidc: Annotated[bool, _flag("OpenID Connect")] = Field(
        False,
        description="Check as an OpenID Connect ID token (nonce, azp, auth_time, at_hash, c_hash)",
        json_schema_extra=_meta("OpenID Connect ID token (nonce, azp, auth_time, at_hash, c_hash)", "flag"),
    )
    nonce: Annotated[str | None, _strings("Expected nonce", one=True)] = Field(
        None,
        description="OIDC: the nonce the client sent",
        json_schema_extra=_meta("Expected nonce", "text", secret=True),
    )
    access_token: Annotated[str | None, _strings("Access token", one=True)] = Field(
        None,
        description="OIDC: the access token to check at_hash against",
        json_schema_extra=_meta("Access token", "text", "for at_hash", secret=True),
    )
    code: Annotated[str | None, _strings("Authorization code", one=True)] = Field(
        None,
        description="OIDC: the authorization code to check c_hash against",
        json_schema_extra=_meta("Authorization code", "text", "for c_hash", secret=True),
    )

    @property
    def leeway_seconds(self) -> float:
        return self.leeway or 0.0

    def public_dict(self) -> dict[str, Any]:
        """The policy as JSON without its secret members (nonce, access token, code), for storage and export."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        return {name: value for name, value in data.items() if not POLICY_FIELDS[name].secret}


@dataclass(frozen=True)
class PolicyField:
    """One policy field as the page and the CLI present it."""

    name: str
    label: str
    form: str  # lines, words, text, number, time, flag, rules
    help: str
    description: str
    secret: bool

    @property
    def form_name(self) -> str:
        return f"policy_{self.name}"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _fields() -> dict[str, PolicyField]:
    fields = {}
    for name, info in Policy.model_fields.items():
        extra = info.json_schema_extra
        assert isinstance(extra, dict)
        fields[name] = PolicyField(
            name,
            str(extra["label"]),
            str(extra["form"]),
            str(extra["help"]),
            info.description or "",
            bool(extra["secret"]),
        )
    return fields


POLICY_FIELDS: dict[str, PolicyField] = _fields()


@dataclass(frozen=True)
class PolicyProblem:
    """One invalid field: its name (``leeway``, ``rules``) and what is wrong, in words."""

    field: str
    message: str


@dataclass(frozen=True)
class InvalidPolicy:
    """A policy that cannot be applied: the verdict is "policy invalid", never 200."""

    problems: tuple[PolicyProblem, ...]

    @property
    def message(self) -> str:
        return "; ".join(f"{p.field}: {p.message}" for p in self.problems)


def _problem(error: Any) -> PolicyProblem:
    loc = [str(part) for part in error.get("loc", ())]
    name = loc[0] if loc else "policy"
    message = error.get("msg", "is not valid")
    if name == "rules" and len(loc) > 1 and loc[1].isdigit():
        message = f"rule {int(loc[1]) + 1}: {message}"
    if error.get("type") == "extra_forbidden":
        message = f"'{name[:40]}' is not a policy field (known: {', '.join(Policy.model_fields)})"
    elif error.get("type") != "policy" and name in POLICY_FIELDS:
        message = f"{POLICY_FIELDS[name].label}: {message}"
    return PolicyProblem(name[:40], message)


def parse_policy(data: Mapping[str, Any] | Policy | None) -> Policy | InvalidPolicy:
    """The policy from its JSON form (API, profile, CLI, page form), or every reason it is invalid."""
    if data is None:
        return Policy()
    if isinstance(data, Policy):
        return data
    if not isinstance(data, Mapping):
        return InvalidPolicy((PolicyProblem("policy", "the policy must be a JSON object"),))
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        return InvalidPolicy(tuple(_problem(e) for e in exc.errors(include_url=False, include_input=False)))
