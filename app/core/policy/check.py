"""A server's checks besides the signature: every claim's result, never stopping at the first.

joserfc's ``JWTClaimsRegistry.validate`` raises on the first failing claim; a debugger must
show them all, so the checks live here, one method per claim, each returning a ClaimCheck.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import regex

from ..claims import ClaimCheck
from ..jsonparse import json_kind
from ..timefmt import as_numeric_date, duration, iso
from .model import Policy, Rule, RuleOp
from .oidc import oidc_hash

__all__ = ["REGEX_BUDGET", "ReplayGuard", "check_claims", "show"]

#: all ``matches`` rules of one request share this much regex time; a pattern past it fails
REGEX_BUDGET = 0.1
_MAX_SHOWN = 80
_REGISTERED = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")
_MAX_MATCHED = 10_000
_MISSING = object()


class ReplayGuard:
    """Remembers verified ``jti`` values (over SQLite in ``app.store``); expiry runs on the server's clock."""

    def first_seen(self, issuer: str, jti: str) -> float | None:  # pragma: no cover - interface
        raise NotImplementedError

    def record(self, issuer: str, jti: str, keep_until: float) -> float | None:  # pragma: no cover - interface
        """Record atomically; None when this call recorded it, else when it was first seen."""
        raise NotImplementedError


def show(value: Any) -> str:
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
    def __init__(
        self,
        header: Mapping[str, Any],
        payload: Mapping[str, Any],
        policy: Policy,
        now: float,
        key_curve: str | None,
        replay: ReplayGuard | None,
    ) -> None:
        self.header, self.payload, self.policy, self.now = header, payload, policy, now
        self.leeway = policy.leeway_seconds
        self.key_curve, self.replay = key_curve, replay
        self.regex_left = REGEX_BUDGET
        leeway = f", leeway {duration(self.leeway)}" if self.leeway else ""
        #: the end every time claim's context shares: built once, not once per claim
        self.now_context = f", now {iso(now)}{leeway})"

    def context(self, name: str, ts: float) -> str:
        return f"({name} {iso(ts)}{self.now_context}"

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
            return ClaimCheck("iss", "pass", f"issuer {show(value)} is accepted")
        expected = " or ".join(show(a) for a in accepted[:5])
        return ClaimCheck("iss", "fail", f"issuer {show(value)} is not accepted (expected {expected}, exact match)")

    def aud(self, value: Any) -> ClaimCheck:
        accepted = self.policy.aud
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return ClaimCheck("aud", "fail", f"aud must be a string or an array of strings; it is {json_kind(value)}")
        if not accepted:
            return ClaimCheck("aud", "skip", "present; not checked (no accepted audience in the policy)")
        matched = [v for v in values if v in accepted]
        if matched:
            return ClaimCheck("aud", "pass", f"audience {show(matched[0])} is accepted")
        expected = " or ".join(show(a) for a in accepted[:5])
        return ClaimCheck("aud", "fail", f"no accepted audience in aud {show(value)} (expected {expected})")

    def sub(self, value: Any) -> ClaimCheck:
        if self.policy.sub is None:
            return ClaimCheck("sub", "skip", "present; not checked (no expected subject in the policy)")
        if isinstance(value, str) and value == self.policy.sub:
            return ClaimCheck("sub", "pass", "subject matches")
        return ClaimCheck("sub", "fail", f"subject {show(value)} is not {show(self.policy.sub)}")

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
        if self.policy.replay:
            if self.replay is None:
                return ClaimCheck(
                    "jti", "fail", "the replay check needs the server's replay log, and none is kept here"
                )
            issuer = self.payload.get("iss")
            seen = self.replay.first_seen(issuer if isinstance(issuer, str) else "", value)
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
                rows.append(ClaimCheck("azp", "fail", f"azp {show(azp)} is not an accepted client"))
            else:
                rows.append(ClaimCheck("azp", "pass" if policy.aud else "skip", f"authorized party {show(azp)}"))
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
        expected = oidc_hash(source, alg if isinstance(alg, str) else "", self.key_curve)
        if expected is None:
            why = " without a verifying key (its curve picks the hash)" if alg == "EdDSA" else ""
            return ClaimCheck(claim, "fail", f"cannot compute {claim} for alg {show(alg)}{why}")
        if value == expected:
            return ClaimCheck(claim, "pass", f"{claim} matches the {what}")
        return ClaimCheck(claim, "fail", f"{claim} does not match the {what} (expected {expected})")

    # -- custom rules ---------------------------------------------------------

    def rule(self, rule: Rule) -> ClaimCheck:
        value = _lookup(self.payload, rule.claim)
        label = rule.label

        def result(ok: bool, good: str, bad: str) -> ClaimCheck:
            return ClaimCheck(label, "pass" if ok else "fail", good if ok else bad, rule=True)

        if rule.op is RuleOp.present:
            return result(value is not _MISSING, f"{rule.claim} is present", f"{rule.claim} is missing")
        if rule.op is RuleOp.absent:
            return result(value is _MISSING, f"{rule.claim} is absent", f"{rule.claim} is present but must not be")
        if value is _MISSING:
            return ClaimCheck(label, "fail", f"{rule.claim} is missing", rule=True)
        shown = show(value)
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
            return result(ok, f"{rule.claim} contains {show(rule.value)}", f"{rule.claim} {shown} lacks it")
        if rule.op == "matches":
            if not isinstance(value, str):
                return ClaimCheck(label, "fail", f"{rule.claim} is {json_kind(value)}, not a string", rule=True)
            if len(value) > _MAX_MATCHED:
                return ClaimCheck(label, "fail", f"{rule.claim} is over {_MAX_MATCHED:,} characters", rule=True)
            started = time.perf_counter()
            try:
                found = regex.fullmatch(rule.value, value, timeout=max(self.regex_left, 0.001)) is not None
            except TimeoutError:
                self.regex_left = 0
                return ClaimCheck(
                    label,
                    "fail",
                    f"the patterns of this policy took over {REGEX_BUDGET * 1000:.0f} ms together: refused",
                    rule=True,
                )
            finally:
                self.regex_left -= time.perf_counter() - started
            return result(found, f"{rule.claim} matches", f"{rule.claim} {shown} does not match the whole pattern")
        number = as_numeric_date(value)
        if number is None:
            return ClaimCheck(label, "fail", f"{rule.claim} is {json_kind(value)}, not a number", rule=True)
        limit = float(rule.value)
        ok = number >= limit if rule.op == "gte" else number <= limit
        sign = "≥" if rule.op == "gte" else "≤"
        return result(ok, f"{rule.claim} {shown} {sign} {show(rule.value)}", f"{rule.claim} is {shown}")


def _normal_typ(value: str) -> str:
    # RFC 7515 §4.1.9: media types compare case-insensitively and "application/" may be omitted.
    lowered = value.strip().lower()
    return lowered.removeprefix("application/")


def _required(policy: Policy) -> frozenset[str]:
    """The claims that must be present: the listed ones, and those an expected value implies (as servers do)."""
    implied = [name for name, expected in (("iss", policy.iss), ("aud", policy.aud), ("sub", policy.sub)) if expected]
    if policy.max_age is not None and not policy.oidc:
        implied.append("iat")
    return frozenset((*policy.required, *implied))


def check_claims(
    payload: Mapping[str, Any] | None,
    policy: Policy,
    now: float,
    header: Mapping[str, Any] | None = None,
    *,
    key_curve: str | None = None,
    replay: ReplayGuard | None = None,
) -> tuple[ClaimCheck, ...]:
    """Every check's result, failures and passes alike (never stopping at the first).

    ``key_curve`` is the curve of the key that verified the token (EdDSA's at_hash depends on it).
    """
    rows: list[ClaimCheck] = []
    header = header or {}
    if policy.typ is not None:
        typ = header.get("typ")
        if not isinstance(typ, str):
            rows.append(ClaimCheck("typ", "fail", f"the header has no typ; expected {show(policy.typ)}"))
        elif _normal_typ(typ) == _normal_typ(policy.typ):
            rows.append(ClaimCheck("typ", "pass", f"header typ {show(typ)} as expected"))
        else:
            rows.append(ClaimCheck("typ", "fail", f"header typ {show(typ)} is not {show(policy.typ)}"))
    if payload is None:
        rows.append(ClaimCheck("payload", "fail", "The payload is not a JSON object, so it holds no claims"))
        return tuple(rows)
    checker = _Checker(header, payload, policy, now, key_curve, replay)
    required = _required(policy)
    for name in _REGISTERED:
        if name in payload:
            check: Callable[[Any], ClaimCheck] = getattr(checker, name)
            rows.append(check(payload[name]))
        elif name == "jti" and policy.replay:
            rows.append(ClaimCheck("jti", "fail", "jti is missing: with the replay check on, such a token is refused"))
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
