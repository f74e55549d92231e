"""The Key Binding JWT (RFC 9901 §4.3, §7.3): the holder proves it holds the key the issuer bound."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ..claims import ClaimCheck, fresh_iat
from ..errors import InputError
from ..keys import KeyInput, parse_key
from ..tokens import decode_token
from ..verify import check_signature
from .parse import HASHES, SdJwtParts, digest_of

__all__ = ["KB_MAX_AGE", "KeyBinding", "KeyBindingExpectation", "check_key_binding"]

#: a KB-JWT older than this (plus the leeway) is stale: it proves possession now, not once
KB_MAX_AGE = 300


@dataclass(frozen=True)
class KeyBindingExpectation:
    """What the verifier expects of the holder; any of them makes the key binding required."""

    aud: str | None = None
    nonce: str | None = None
    #: the holder's public key, when the user gives it instead of trusting cnf.jwk alone
    holder_key: KeyInput | None = None

    @property
    def required(self) -> bool:
        return self.aud is not None or self.nonce is not None or self.holder_key is not None


@dataclass(frozen=True)
class KeyBinding:
    present: bool
    required: bool
    checks: tuple[ClaimCheck, ...]
    header: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None

    @property
    def valid(self) -> bool:
        return self.present and all(c.status != "fail" for c in self.checks)

    @property
    def ok(self) -> bool:
        """Nothing to hold against the SD-JWT: a valid KB-JWT, or none when none is required."""
        return self.valid or (not self.present and not self.required)


def _cnf_key(claims: dict[str, Any] | None) -> KeyInput | ClaimCheck:
    cnf = claims.get("cnf") if claims else None
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict):
        return ClaimCheck("cnf", "fail", "the issuer-signed JWT has no cnf.jwk, so no holder key is bound")
    try:
        key = parse_key(json.dumps(jwk), key_kind="public")
    except InputError as exc:
        return ClaimCheck("cnf", "fail", f"cnf.jwk is not a usable key: {exc.problem.message}")
    if key.is_secret:
        return ClaimCheck("cnf", "fail", "cnf.jwk holds a private or secret part; a holder key must be public")
    return key


def _holder(claims: dict[str, Any] | None, given: KeyInput | None) -> tuple[KeyInput | None, ClaimCheck]:
    bound = _cnf_key(claims)
    if given is None:
        if isinstance(bound, ClaimCheck):
            return None, bound
        return bound, ClaimCheck("cnf", "pass", f"holder key from cnf.jwk: {bound.keys[0].description}")
    if isinstance(bound, KeyInput) and {k.thumbprint for k in bound.keys}.isdisjoint(k.thumbprint for k in given.keys):
        return None, ClaimCheck("cnf", "fail", "the holder key given is not the key in cnf.jwk")
    return given, ClaimCheck("cnf", "pass", "holder key as given" + (" (the cnf.jwk key)" if bound else ""))


def _expect(payload: dict[str, Any], name: str, expected: str | None) -> ClaimCheck:
    value = payload.get(name)
    if value is None:
        return ClaimCheck(name, "fail", f"the KB-JWT has no {name}")
    if expected is None:
        return ClaimCheck(name, "warn", f"present; not compared (give kb_{name} to check it)")
    if value == expected:
        return ClaimCheck(name, "pass", f"{name} is as expected")
    return ClaimCheck(name, "fail", f"{name} is not the expected value")


def check_key_binding(
    parts: SdJwtParts,
    claims: dict[str, Any] | None,
    sd_alg: str | None,
    expect: KeyBindingExpectation,
    allowed: Collection[str],
    now: float,
    leeway: float,
) -> KeyBinding:
    """Every KB-JWT rule as a row; with no KB-JWT, one row saying whether one was required."""
    if parts.kb_jwt is None:
        if expect.required:
            row = ClaimCheck("kb_jwt", "fail", "no Key Binding JWT, but kb_aud, kb_nonce or holder_key asks for one")
        else:
            row = ClaimCheck("kb_jwt", "skip", "no Key Binding JWT; none required")
        return KeyBinding(False, expect.required, (row,))
    try:
        token = decode_token(parts.kb_jwt)
    except InputError as exc:
        return KeyBinding(True, expect.required, (ClaimCheck("kb_jwt", "fail", f"unreadable: {exc.problem.message}"),))
    rows: list[ClaimCheck] = []
    typ = token.header.get("typ")
    if isinstance(typ, str) and typ.lower() == "kb+jwt":
        rows.append(ClaimCheck("typ", "pass", "typ is kb+jwt"))
    else:
        rows.append(ClaimCheck("typ", "fail", "a KB-JWT's typ must be kb+jwt"))
    key, key_row = _holder(claims, expect.holder_key)
    rows.append(key_row)
    signature = check_signature(token, key, [a for a in allowed if not a.startswith("HS")])
    rows.append(ClaimCheck("signature", "pass" if signature.valid else "fail", signature.message))
    payload = token.payload or {}
    if sd_alg not in HASHES or not parts.presented.isascii():
        rows.append(ClaimCheck("sd_hash", "fail", "no sd_hash can be computed: no usable _sd_alg, or non-ASCII text"))
    elif payload.get("sd_hash") == digest_of(parts.presented, sd_alg):
        rows.append(ClaimCheck("sd_hash", "pass", f"{sd_alg} of the presented SD-JWT matches"))
    else:
        rows.append(ClaimCheck("sd_hash", "fail", "sd_hash does not match the presented SD-JWT (changed, or reused)"))
    rows += [
        _expect(payload, "aud", expect.aud),
        _expect(payload, "nonce", expect.nonce),
        fresh_iat(payload, now, leeway, KB_MAX_AGE, "KB-JWT"),
    ]
    return KeyBinding(True, expect.required, tuple(rows), token.header, token.payload)
