"""The validation policy (one schema) and the claim checks that apply it."""

from .check import REGEX_BUDGET, ReplayGuard, check_claims
from .model import (
    POLICY_FIELDS,
    InvalidPolicy,
    Policy,
    PolicyField,
    PolicyProblem,
    Rule,
    RuleOp,
    parse_policy,
    parse_time,
    rule_from_text,
)
from .oidc import oidc_hash

__all__ = [
    "POLICY_FIELDS",
    "REGEX_BUDGET",
    "InvalidPolicy",
    "Policy",
    "PolicyField",
    "PolicyProblem",
    "ReplayGuard",
    "Rule",
    "RuleOp",
    "check_claims",
    "oidc_hash",
    "parse_policy",
    "parse_time",
    "rule_from_text",
]
