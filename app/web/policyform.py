"""The Verify pane's policy fields <-> the policy's JSON form (the API's ``policy``)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from app.core import InputError

from .forms import Form

__all__ = ["FIELDS", "fields_from_policy", "policy_from_form"]

#: form field -> policy key, and how the text is read
FIELDS: dict[str, tuple[str, str]] = {
    "policy_iss": ("iss", "lines"),
    "policy_aud": ("aud", "lines"),
    "policy_sub": ("sub", "text"),
    "policy_typ": ("typ", "text"),
    "policy_required": ("required", "words"),
    "policy_leeway": ("leeway", "number"),
    "policy_now": ("now", "time"),
    "policy_max_age": ("max_age", "number"),
    "policy_max_lifetime": ("max_lifetime", "number"),
    "policy_jti_denylist": ("jti_denylist", "lines"),
    "policy_rules": ("rules", "rules"),
    "policy_replay": ("replay", "flag"),
    "policy_oidc": ("oidc", "flag"),
    "policy_nonce": ("nonce", "text"),
    "policy_access_token": ("access_token", "text"),
    "policy_code": ("code", "text"),
}
_LABELS = {
    "leeway": "Leeway",
    "now": "Check as of",
    "max_age": "Max age",
    "max_lifetime": "Max lifetime",
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _number(text: str, key: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError("policy_invalid", f"{_LABELS[key]} must be a number of seconds", "policy") from None


def _time(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise InputError(
            "policy_invalid", "Check as of must be epoch seconds or an ISO time such as 2026-11-29T09:00:00Z", "policy"
        ) from None
    if moment.tzinfo is None:
        raise InputError("policy_invalid", "Check as of needs a time zone, e.g. a trailing Z for UTC", "policy")
    return moment.timestamp()


def _rule(line: str, number: int) -> dict[str, Any]:
    parts = line.split(None, 2)
    if len(parts) < 2:
        raise InputError("rule_invalid", f"rule {number}: write 'claim op value', e.g. roles contains admin", "policy")
    claim, op = parts[0], parts[1]
    rest = parts[2] if len(parts) == 3 else None
    value: Any = rest
    if rest is not None:
        try:
            value = json.loads(rest)
        except ValueError:
            value = [v.strip() for v in rest.split(",")] if op == "one_of" else rest
    return {"claim": claim, "op": op, "value": value}


def policy_from_form(form: Form) -> dict[str, Any]:
    """The policy dict from the form; InputError when a field cannot be read."""
    policy: dict[str, Any] = {}
    for field, (key, kind) in FIELDS.items():
        text = form.get(field).strip()
        if kind == "flag":
            if form.get(field) == "on":
                policy[key] = True
            continue
        if not text:
            continue
        if kind == "lines":
            policy[key] = _lines(text)
        elif kind == "words":
            policy[key] = [w for w in re.split(r"[\s,]+", text) if w]
        elif kind == "number":
            policy[key] = _number(text, key)
        elif kind == "time":
            policy[key] = _time(text)
        elif kind == "rules":
            policy[key] = [_rule(line, i + 1) for i, line in enumerate(_lines(text))]
        else:
            policy[key] = text
    return policy


def _show(value: Any) -> str:
    """A rule value as typed: a plain word stays bare unless it would read back as JSON (5, true)."""
    if isinstance(value, str) and value and not any(c.isspace() for c in value):
        try:
            json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False)


def fields_from_policy(policy: dict[str, Any]) -> dict[str, str]:
    """Form values for a saved policy (a profile being loaded)."""
    fields: dict[str, str] = {}
    for field, (key, kind) in FIELDS.items():
        value = policy.get(key)
        if value is None or value is False:
            continue
        if kind == "flag":
            fields[field] = "on"
        elif kind in ("lines", "words"):
            items = [value] if isinstance(value, str) else value
            fields[field] = ("\n" if kind == "lines" else " ").join(str(v) for v in items)
        elif kind == "rules":
            fields[field] = "\n".join(
                f"{r['claim']} {r['op']}" + ("" if r.get("value") is None else f" {_show(r['value'])}") for r in value
            )
        elif kind in ("number", "time"):
            fields[field] = f"{value:g}" if isinstance(value, float) else str(value)
        else:
            fields[field] = str(value)
    return fields
