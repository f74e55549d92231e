"""jwtlens's domain core: decode, verify and sign over joserfc. No web framework here.

The names below are imported on first use: ``import app.core.tokens`` runs this file, and should not
pay for the policy model, the key parsers and signing when it needs none of them.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .algorithms import ALGORITHMS, SUPPORTED
    from .claims import ClaimCheck, ClaimInfo
    from .decoding import DecodeResult, decode
    from .errors import InputError, Problem
    from .findings import Finding
    from .keys import SECRET_ENCODINGS, KeyInput, ParsedKey, parse_key
    from .policy import POLICY_FIELDS, InvalidPolicy, Policy, PolicyProblem, ReplayGuard, Rule, RuleOp, parse_policy
    from .sign import SignResult, sign
    from .tokens import DecodedToken, decode_token
    from .verify import SignatureCheck, Verdict, VerifyResult, verify

__all__ = [
    "ALGORITHMS",
    "POLICY_FIELDS",
    "SECRET_ENCODINGS",
    "SUPPORTED",
    "ClaimCheck",
    "ClaimInfo",
    "DecodeResult",
    "DecodedToken",
    "Finding",
    "InputError",
    "InvalidPolicy",
    "KeyInput",
    "ParsedKey",
    "Policy",
    "PolicyProblem",
    "Problem",
    "ReplayGuard",
    "Rule",
    "RuleOp",
    "SignResult",
    "SignatureCheck",
    "Verdict",
    "VerifyResult",
    "decode",
    "decode_token",
    "parse_key",
    "parse_policy",
    "sign",
    "verify",
]

#: the submodule defining each public name
_HOMES = {
    "ALGORITHMS": "algorithms",
    "SUPPORTED": "algorithms",
    "ClaimCheck": "claims",
    "ClaimInfo": "claims",
    "InputError": "errors",
    "Problem": "errors",
    "Finding": "findings",
    "SECRET_ENCODINGS": "keys",
    "KeyInput": "keys",
    "ParsedKey": "keys",
    "parse_key": "keys",
    "POLICY_FIELDS": "policy",
    "InvalidPolicy": "policy",
    "Policy": "policy",
    "PolicyProblem": "policy",
    "ReplayGuard": "policy",
    "Rule": "policy",
    "RuleOp": "policy",
    "parse_policy": "policy",
    "SignResult": "sign",
    "sign": "sign",
    "DecodedToken": "tokens",
    "decode_token": "tokens",
    "DecodeResult": "decoding",
    "SignatureCheck": "verify",
    "Verdict": "verify",
    "VerifyResult": "verify",
    "decode": "decoding",
    "verify": "verify",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value  # later lookups are plain attributes
    return value


class _Core(ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the submodules sign and verify binds them here; app.core.sign stays the function.
        if isinstance(value, ModuleType) and _HOMES.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Core
