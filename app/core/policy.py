"""A server's checks besides the signature: every claim's result, never stopping at the first.

joserfc's ``JWTClaimsRegistry.validate`` raises on the first failing claim; a debugger must
show them all, so the checks live here, one function per claim, each returning a ClaimCheck.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import regex

from .claims import ClaimCheck
from .errors import InputError
from .jsonparse import json_kind
from .timefmt import as_numeric_date, duration, iso

__all__ = ["RULE_OPS", "Policy", "ReplayGuard", "Rule", "check_claims", "oidc_hash", "parse_rule", "policy_from_dict"]

RuleOp = Literal["equals", "one_of", "contains", "matches", "present", "absent", "gte", "lte"]
RULE_OPS: tuple[str, ...] = ("equals", "one_of", "contains", "matches", "present", "absent", "gte", "lte")
#: a regular expression gets this long per claim before it counts as failed
REGEX_TIMEOUT = 0.05
_MAX_SHOWN = 80
_REGISTERED = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")
_MISSING = object()


@dataclass(frozen=True)
class Rule:
    """A custom claim rule: ``claim`` is a dotted path (``realm_access.roles``)."""

    claim: str
    op: RuleOp
    value: Any = None

    @property
    def label(self) -> str:
        if self.op in ("present", "absent"):
            return f"{self.claim} {self.op}"
        return f"{self.claim} {self.op} {_show(self.value)}"


class ReplayGuard:
    """Remembers verified ``jti`` values; implemented over SQLite in ``app.store``."""

    def first_seen(self, issuer: str, jti: str, now: float) -> float | None:  # pragma: no cover - interface
        raise NotImplementedError

    def record(self, issuer: str, jti: str, exp: float | None, now: float) -> None:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class Policy:
    """What a server would check besides the signature. Empty fields are not checked."""

    iss: tuple[str, ...] = ()
    aud: tuple[str, ...] = ()
    sub: str | None = None
    typ: str | None = None
    required: tuple[str, ...] = ()
    leeway: float = 0
    now: float | None = None
    max_age: float | None = None
    max_lifetime: float | None = None
    jti_denylist: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    # OpenID Connect ID token checks (Core §3.1.3.7)
    oidc: bool = False
    nonce: str | None = None
    access_token: str | None = None
    code: str | None = None
    replay: ReplayGuard | None = field(default=None, compare=False)


def parse_rule(data: Mapping[str, Any], index: int) -> Rule:
    """A rule from JSON; InputError naming the rule when it cannot be applied."""
    where = f"rule {index + 1}"
    claim = data.get("claim")
    op = data.get("op")
    if not isinstance(claim, str) or not claim.strip():
        raise InputError("rule_invalid", f"{where}: 'claim' must be a claim name or dotted path", "policy")
    if op not in RULE_OPS:
        raise InputError("rule_invalid", f"{where}: op must be one of {', '.join(RULE_OPS)}", "policy")
    value = data.get("value")
    if op == "one_of" and not isinstance(value, list):
        raise InputError("rule_invalid", f"{where}: one_of needs an array of accepted values", "policy")
    if op in ("gte", "lte") and as_numeric_date(value) is None:
        raise InputError("rule_invalid", f"{where}: {op} needs a number", "policy")
    if op == "matches":
        if not isinstance(value, str) or len(value) > 1000:
            raise InputError(
                "rule_invalid", f"{where}: matches needs a regular expression (at most 1000 characters)", "policy"
            )
        try:
            regex.compile(value)
        except regex.error as exc:
            raise InputError(
                "rule_invalid", f"{where}: the pattern is not a valid regular expression ({str(exc)[:80]})", "policy"
            ) from None
    return Rule(claim.strip(), op, value)


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = f"'{text}'" if isinstance(value, str) else text
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _lookup(payload: Mapping[str, Any], path: str) -> Any:
    if path in payload:  # a claim whose name itself holds dots, e.g. "https://example.com/roles"
        return payload[path]
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


class _Checker:
    def __init__(self, header: Mapping[str, Any], payload: Mapping[str, Any], policy: Policy, now: float) -> None:
        self.header, self.payload, self.policy, self.now = header, payload, policy, now
        self.leeway = policy.leeway

    def context(self, name: str, ts: float) -> str:
        extra = f", leeway {duration(self.leeway)}" if self.leeway else ""
        return f"({name} {iso(ts)}, now {iso(self.now)}{extra})"

    def numeric(self, name: str, value: Any) -> float | ClaimCheck:
        ts = as_numeric_date(value)
        if ts is None:
            return ClaimCheck(
                name, "fail", f"{name} must be a number of seconds since 1970 (NumericDate); it is {json_kind(value)}"
            )
        return ts

    # -- registered claims --------------------------------------------------

    def iss(self, value: Any) -> ClaimCheck:
        accepted = self.policy.iss
        if not accepted:
            return ClaimCheck("iss", "skip", "present; not checked (no expected issuer in the policy)")
        if not isinstance(value, str):
            return ClaimCheck("iss", "fail", f"iss must be a string; it is {json_kind(value)}")
        if value in accepted:
            return ClaimCheck("iss", "pass", f"issuer {_show(value)} is accepted")
        expected = " or ".join(_show(a) for a in accepted[:5])
        return ClaimCheck("iss", "fail", f"issuer {_show(value)} is not accepted (expected {expected}, exact match)")

    def aud(self, value: Any) -> ClaimCheck:
        accepted = self.policy.aud
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return ClaimCheck("aud", "fail", f"aud must be a string or an array of strings; it is {json_kind(value)}")
        if not accepted:
            return ClaimCheck("aud", "skip", "present; not checked (no accepted audience in the policy)")
        matched = [v for v in values if v in accepted]
        if matched:
            return ClaimCheck("aud", "pass", f"audience {_show(matched[0])} is accepted")
        expected = " or ".join(_show(a) for a in accepted[:5])
        return ClaimCheck("aud", "fail", f"no accepted audience in aud {_show(value)} (expected {expected})")

    def sub(self, value: Any) -> ClaimCheck:
        if self.policy.sub is None:
            return ClaimCheck("sub", "skip", "present; not checked (no expected subject in the policy)")
        if isinstance(value, str) and value == self.policy.sub:
            return ClaimCheck("sub", "pass", "subject matches")
        return ClaimCheck("sub", "fail", f"subject {_show(value)} is not {_show(self.policy.sub)}")

    def exp(self, value: Any) -> ClaimCheck:
        ts = self.numeric("exp", value)
        if isinstance(ts, ClaimCheck):
            return ts
        now, context = self.now, self.context("exp", ts)
        lifetime = ""
        if self.policy.max_lifetime is not None:
            iat = as_numeric_date(self.payload.get("iat"))
            if iat is None:
                return ClaimCheck("exp", "fail", "max_lifetime needs a numeric iat to measure the lifetime from")
            if ts - iat > self.policy.max_lifetime:
                return ClaimCheck(
                    "exp",
                    "fail",
                    f"lifetime {duration(ts - iat)} exceeds the maximum {duration(self.policy.max_lifetime)} {context}",
                )
            lifetime = f", lifetime {duration(ts - iat)}"
        # RFC 7519 §4.1.4: rejected "on or after" exp.
        if now >= ts + self.leeway:
            return ClaimCheck("exp", "fail", f"expired {duration(now - ts)} ago {context}")
        if now >= ts:
            return ClaimCheck("exp", "warn", f"expired {duration(now - ts)} ago, accepted within the leeway {context}")
        return ClaimCheck("exp", "pass", f"expires in {duration(ts - now)}{lifetime} {context}")

    def nbf(self, value: Any) -> ClaimCheck:
        ts = self.numeric("nbf", value)
        if isinstance(ts, ClaimCheck):
            return ts
        now, context = self.now, self.context("nbf", ts)
        if now + self.leeway < ts:
            return ClaimCheck("nbf", "fail", f"not valid yet: becomes valid in {duration(ts - now)} {context}")
        if now < ts:
            return ClaimCheck("nbf", "warn", f"valid in {duration(ts - now)}, accepted now within the leeway {context}")
        return ClaimCheck("nbf", "pass", f"valid since {duration(now - ts)} ago {context}")

    def iat(self, value: Any) -> ClaimCheck:
        ts = self.numeric("iat", value)
        if isinstance(ts, ClaimCheck):
            return ts
        now, context = self.now, self.context("iat", ts)
        if now + self.leeway < ts:
            return ClaimCheck("iat", "fail", f"issued in the future: {duration(ts - now)} from now {context}")
        max_age = self.policy.max_age
        if max_age is not None and now - ts > max_age + self.leeway:
            return ClaimCheck(
                "iat", "fail", f"too old: issued {duration(now - ts)} ago, max_age is {duration(max_age)} {context}"
            )
        if now < ts:
            return ClaimCheck("iat", "warn", f"issued {duration(ts - now)} in the future, within the leeway {context}")
        return ClaimCheck("iat", "pass", f"issued {duration(now - ts)} ago {context}")

    def jti(self, value: Any) -> ClaimCheck:
        if not isinstance(value, str):
            return ClaimCheck("jti", "fail", f"jti must be a string; it is {json_kind(value)}")
        if value in self.policy.jti_denylist:
            return ClaimCheck("jti", "fail", "revoked: this jti is in the deny list")
        guard = self.policy.replay
        if guard is not None:
            issuer = self.payload.get("iss")
            seen = guard.first_seen(issuer if isinstance(issuer, str) else "", value, self.now)
            if seen is not None:
                return ClaimCheck("jti", "fail", f"replay: this jti was already verified at {iso(seen)}")
            return ClaimCheck("jti", "pass", "first use of this jti (recorded against replay once verified)")
        if self.policy.jti_denylist:
            return ClaimCheck("jti", "pass", "not in the deny list")
        return ClaimCheck("jti", "skip", "present; not checked (no deny list or replay check)")

    # -- OpenID Connect -------------------------------------------------------

    def oidc_rows(self) -> list[ClaimCheck]:
        policy, payload, rows = self.policy, self.payload, []
        if policy.nonce is not None:
            nonce = payload.get("nonce", _MISSING)
            if nonce is _MISSING:
                rows.append(ClaimCheck("nonce", "fail", "nonce is missing; the client sent one"))
            elif nonce == policy.nonce:
                rows.append(ClaimCheck("nonce", "pass", "nonce matches the one the client sent"))
            else:
                rows.append(ClaimCheck("nonce", "fail", "nonce differs from the one the client sent"))
        aud = payload.get("aud")
        azp = payload.get("azp", _MISSING)
        if isinstance(aud, list) and len(aud) > 1 and azp is _MISSING:
            rows.append(ClaimCheck("azp", "fail", "azp is missing although the ID token has several audiences"))
        elif azp is not _MISSING:
            if not isinstance(azp, str):
                rows.append(ClaimCheck("azp", "fail", f"azp must be a string; it is {json_kind(azp)}"))
            elif policy.aud and azp not in policy.aud:
                rows.append(ClaimCheck("azp", "fail", f"azp {_show(azp)} is not an accepted client"))
            else:
                rows.append(ClaimCheck("azp", "pass" if policy.aud else "skip", f"authorized party {_show(azp)}"))
        if "auth_time" in payload or policy.max_age is not None:
            rows.append(self.auth_time(payload.get("auth_time", _MISSING)))
        for claim, source, what in (("at_hash", policy.access_token, "access token"), ("c_hash", policy.code, "code")):
            if source is None:
                continue
            rows.append(self.half_hash(claim, payload.get(claim, _MISSING), source, what))
        return rows

    def auth_time(self, value: Any) -> ClaimCheck:
        if value is _MISSING:
            return ClaimCheck("auth_time", "fail", "auth_time is missing; max_age requires it (OIDC Core §3.1.2.1)")
        ts = self.numeric("auth_time", value)
        if isinstance(ts, ClaimCheck):
            return ts
        age = self.now - ts
        max_age = self.policy.max_age
        if max_age is not None and age > max_age + self.leeway:
            return ClaimCheck(
                "auth_time", "fail", f"the login was {duration(age)} ago, more than max_age {duration(max_age)}"
            )
        return ClaimCheck("auth_time", "pass" if max_age is not None else "skip", f"logged in {duration(age)} ago")

    def half_hash(self, claim: str, value: Any, source: str, what: str) -> ClaimCheck:
        if value is _MISSING:
            return ClaimCheck(claim, "fail", f"{claim} is missing, so the ID token is not bound to the {what}")
        alg = self.header.get("alg")
        expected = oidc_hash(source, alg if isinstance(alg, str) else "", self.header.get("crv"))
        if expected is None:
            return ClaimCheck(claim, "fail", f"cannot compute {claim} for alg {_show(alg)}")
        if value == expected:
            return ClaimCheck(claim, "pass", f"{claim} matches the {what}")
        return ClaimCheck(claim, "fail", f"{claim} does not match the {what} (expected {expected})")

    # -- custom rules ---------------------------------------------------------

    def rule(self, rule: Rule) -> ClaimCheck:
        value = _lookup(self.payload, rule.claim)
        label = rule.label

        def result(ok: bool, good: str, bad: str) -> ClaimCheck:
            return ClaimCheck(label, "pass" if ok else "fail", good if ok else bad, rule=True)

        if rule.op == "present":
            return result(value is not _MISSING, f"{rule.claim} is present", f"{rule.claim} is missing")
        if rule.op == "absent":
            return result(value is _MISSING, f"{rule.claim} is absent", f"{rule.claim} is present but must not be")
        if value is _MISSING:
            return ClaimCheck(label, "fail", f"{rule.claim} is missing", rule=True)
        shown = _show(value)
        if rule.op == "equals":
            return result(_same(value, rule.value), f"{rule.claim} is {shown}", f"{rule.claim} is {shown}")
        if rule.op == "one_of":
            ok = any(_same(value, v) for v in rule.value)
            return result(ok, f"{rule.claim} {shown} is accepted", f"{rule.claim} {shown} is not one of them")
        if rule.op == "contains":
            items = value.split() if isinstance(value, str) else value
            if not isinstance(items, list):
                return ClaimCheck(label, "fail", f"{rule.claim} is {json_kind(value)}, not an array", rule=True)
            ok = any(_same(item, rule.value) for item in items)
            return result(ok, f"{rule.claim} contains {_show(rule.value)}", f"{rule.claim} {shown} lacks it")
        if rule.op == "matches":
            if not isinstance(value, str):
                return ClaimCheck(label, "fail", f"{rule.claim} is {json_kind(value)}, not a string", rule=True)
            try:
                found = regex.search(rule.value, value[:10_000], timeout=REGEX_TIMEOUT) is not None
            except TimeoutError:
                return ClaimCheck(
                    label, "fail", f"the pattern took over {REGEX_TIMEOUT * 1000:.0f} ms: refused", rule=True
                )
            return result(found, f"{rule.claim} matches", f"{rule.claim} {shown} does not match")
        number = as_numeric_date(value)
        if number is None:
            return ClaimCheck(label, "fail", f"{rule.claim} is {json_kind(value)}, not a number", rule=True)
        limit = float(rule.value)
        ok = number >= limit if rule.op == "gte" else number <= limit
        sign = "≥" if rule.op == "gte" else "≤"
        return result(ok, f"{rule.claim} {shown} {sign} {_show(rule.value)}", f"{rule.claim} is {shown}")


def _normal_typ(value: str) -> str:
    # RFC 7515 §4.1.9: media types compare case-insensitively and "application/" may be omitted.
    lowered = value.strip().lower()
    return lowered.removeprefix("application/")


def check_claims(
    payload: Mapping[str, Any] | None, policy: Policy, now: float, header: Mapping[str, Any] | None = None
) -> tuple[ClaimCheck, ...]:
    """Every check's result, failures and passes alike (never stopping at the first)."""
    rows: list[ClaimCheck] = []
    header = header or {}
    if policy.typ is not None:
        typ = header.get("typ")
        if not isinstance(typ, str):
            rows.append(ClaimCheck("typ", "fail", f"the header has no typ; expected {_show(policy.typ)}"))
        elif _normal_typ(typ) == _normal_typ(policy.typ):
            rows.append(ClaimCheck("typ", "pass", f"header typ {_show(typ)} as expected"))
        else:
            rows.append(ClaimCheck("typ", "fail", f"header typ {_show(typ)} is not {_show(policy.typ)}"))
    if payload is None:
        rows.append(ClaimCheck("payload", "fail", "The payload is not a JSON object, so it holds no claims"))
        return tuple(rows)
    checker = _Checker(header, payload, policy, now)
    checks: dict[str, Callable[[Any], ClaimCheck]] = {
        "iss": checker.iss,
        "sub": checker.sub,
        "aud": checker.aud,
        "exp": checker.exp,
        "nbf": checker.nbf,
        "iat": checker.iat,
        "jti": checker.jti,
    }
    required = set(policy.required)
    # An expected value implies the claim must be there, as real servers treat it.
    required.update(
        name for name, expected in (("iss", policy.iss), ("aud", policy.aud), ("sub", policy.sub)) if expected
    )
    if policy.max_age is not None and not policy.oidc:
        required.add("iat")
    for name in _REGISTERED:
        if name in payload:
            rows.append(checks[name](payload[name]))
        elif name in required:
            rows.append(ClaimCheck(name, "fail", f"required claim {name} is missing"))
    for name in policy.required:
        if name not in _REGISTERED:
            present = _lookup(payload, name) is not _MISSING
            rows.append(
                ClaimCheck(
                    name, "pass" if present else "fail", "present" if present else f"required claim {name} is missing"
                )
            )
    if policy.oidc:
        rows.extend(checker.oidc_rows())
    rows.extend(checker.rule(rule) for rule in policy.rules)
    return tuple(rows)


def oidc_hash(value: str, alg: str, crv: Any = None) -> str | None:
    """at_hash / c_hash: base64url of the left half of the hash that alg uses (OIDC Core §3.1.3.6)."""
    data = value.encode("ascii", "replace")
    if alg.endswith("256") or alg == "ES256K":
        digest = hashlib.sha256(data).digest()
    elif alg.endswith("384"):
        digest = hashlib.sha384(data).digest()
    elif alg.endswith("512") or alg in ("EdDSA", "Ed25519"):
        digest = hashlib.sha512(data).digest()
    elif alg == "Ed448":
        digest = hashlib.shake_256(data).digest(114)
    else:
        return None
    half = digest[: len(digest) // 2]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


def _strings(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = data.get(name)
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError("policy_invalid", f"policy.{name} must be a string or an array of strings", "policy")
    return tuple(v for v in value if v)


def _number(data: Mapping[str, Any], name: str, *, minimum: float = 0) -> float | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    number = as_numeric_date(value)
    if number is None or number < minimum:
        raise InputError("policy_invalid", f"policy.{name} must be a number of seconds ≥ {minimum:g}", "policy")
    return number


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError("policy_invalid", f"policy.{name} must be a string", "policy")
    return value


def policy_from_dict(data: Mapping[str, Any], replay: ReplayGuard | None = None) -> Policy:
    """A Policy from its JSON form (the API's ``policy``, a saved profile); InputError naming the field."""
    rules = data.get("rules") or []
    if not isinstance(rules, list) or not all(isinstance(r, Mapping) for r in rules):
        raise InputError("policy_invalid", "policy.rules must be an array of {claim, op, value}", "policy")
    if len(rules) > 50:
        raise InputError("policy_invalid", "policy.rules holds more than 50 rules", "policy")
    return Policy(
        iss=_strings(data, "iss"),
        aud=_strings(data, "aud"),
        sub=_text(data, "sub"),
        typ=_text(data, "typ"),
        required=_strings(data, "required"),
        leeway=_number(data, "leeway") or 0,
        now=_number(data, "now", minimum=-62135596800),
        max_age=_number(data, "max_age"),
        max_lifetime=_number(data, "max_lifetime"),
        jti_denylist=_strings(data, "jti_denylist"),
        rules=tuple(parse_rule(rule, i) for i, rule in enumerate(rules)),
        oidc=bool(data.get("oidc", False)),
        nonce=_text(data, "nonce"),
        access_token=_text(data, "access_token"),
        code=_text(data, "code"),
        replay=replay,
    )
