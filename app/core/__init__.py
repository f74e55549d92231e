"""jwtlens's domain core: decode, verify and sign over joserfc. No web framework here."""

from .algorithms import ALGORITHMS, SUPPORTED
from .claims import ClaimCheck, ClaimInfo
from .errors import InputError, Problem
from .findings import Finding
from .keys import SECRET_ENCODINGS, KeyInput, ParsedKey, parse_key
from .policy import POLICY_FIELDS, InvalidPolicy, Policy, PolicyProblem, ReplayGuard, Rule, RuleOp, parse_policy
from .sign import SignResult, sign
from .tokens import DecodedToken, decode_token
from .verify import DecodeResult, SignatureCheck, Verdict, VerifyResult, decode, verify

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
