"""The Verify pane's policy fields <-> the policy's JSON form, derived from the one policy schema.

The form only splits text into the JSON shapes (lines, words, rules); every bound and message comes
from ``app.core.policy``, so the page, the API, the CLI and profiles validate alike.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..core.policy import POLICY_FIELDS, rule_from_text
from .forms import Form

__all__ = ["FORM_FIELDS", "fields_from_policy", "policy_from_form"]

#: form field name -> policy field
FORM_FIELDS = {field.form_name: field for field in POLICY_FIELDS.values()}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def policy_from_form(form: Form) -> dict[str, Any]:
    """The policy's JSON form from the page's fields (validated by the core, not here)."""
    policy: dict[str, Any] = {}
    for name, field in FORM_FIELDS.items():
        text = form.get(name).strip()
        if field.form == "flag":
            if form.get(name) == "on":
                policy[field.name] = True
        elif not text:
            continue
        elif field.form == "lines":
            policy[field.name] = _lines(text)
        elif field.form == "words":
            policy[field.name] = [w for w in re.split(r"[\s,]+", text) if w]
        elif field.form == "rules":
            policy[field.name] = [rule_from_text(line) for line in _lines(text)]
        else:
            policy[field.name] = text
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
    for name, field in FORM_FIELDS.items():
        value = policy.get(field.name)
        if value is None or value is False or value == [] or value == ():
            continue
        if field.form == "flag":
            fields[name] = "on"
        elif field.form in ("lines", "words"):
            items = [value] if isinstance(value, str) else value
            fields[name] = ("\n" if field.form == "lines" else " ").join(str(v) for v in items)
        elif field.form == "rules" and isinstance(value, list):
            fields[name] = "\n".join(
                f"{r.get('claim')} {r.get('op')}" + ("" if r.get("value") is None else f" {_show(r['value'])}")
                for r in value
                if isinstance(r, dict)
            )
        elif isinstance(value, float):
            fields[name] = str(int(value)) if value.is_integer() else repr(value)
        else:
            fields[name] = str(value)
    return fields
