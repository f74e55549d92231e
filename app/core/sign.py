"""Signing (re-signing) a token with the user's key."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError

from .algorithms import SUPPORTED, implementation, spec_for, suggest
from .b64 import b64url_encode
from .errors import InputError
from .findings import Finding, key_findings, sort_findings
from .keyrules import key_mismatch
from .keys import DEFAULT_MAX_KEY, KeyInput, ParsedKey, parse_key
from .timefmt import parse_time

__all__ = [
    "SETTABLE_TIMES",
    "SignResult",
    "compact_json",
    "encode_unsigned",
    "read_times",
    "sign",
    "stamp_times",
]


@dataclass(frozen=True)
class SignResult:
    token: str
    alg: str
    key: ParsedKey | None
    key_input: KeyInput | None
    findings: tuple[Finding, ...]


def compact_json(value: Any) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise InputError("bad_json", "NaN and Infinity cannot be written as JSON", "payload") from None


def _payload_bytes(payload: dict[str, Any] | str, b64: bool, compact: bool = True) -> bytes:
    text = compact_json(payload) if isinstance(payload, dict) else payload
    data = text.encode("utf-8", "surrogatepass")
    if not b64 and compact and b"." in data:
        raise InputError("payload_dot", "With b64: false the payload cannot contain '.' in compact form", "payload")
    return data


#: the claims a signer may set from a time (claims.TIME_CLAIMS are those shown as times, a wider set)
SETTABLE_TIMES = ("exp", "nbf", "iat")


def read_times(values: Mapping[str, object], *, named: Callable[[str], str] = str) -> dict[str, float]:
    """The given times (None: not given) read by the one time parser; InputError naming the one that is not.

    ``named`` spells a claim as the caller's user wrote it (the CLI's ``--exp``, the API's ``exp``).
    """
    times: dict[str, float] = {}
    for name, value in values.items():
        if value is None:
            continue
        try:
            times[name] = parse_time(value, named(name))
        except ValueError as exc:
            raise InputError("time_invalid", str(exc), name) from None
    return times


def stamp_times(
    payload: dict[str, Any] | str, times: Mapping[str, float], *, add_iat: bool = True, now: float | None = None
) -> dict[str, Any] | str:
    """The payload with ``times`` set (exp, nbf, iat as whole seconds, RFC 7519 NumericDate).

    ``add_iat``: iat is set to now unless the payload or ``times`` already give one. A payload that is not
    a JSON object holds no claims: setting a time on it is an InputError, adding iat is skipped.
    """
    if isinstance(payload, str):
        if times:
            raise InputError(
                "payload_not_object", f"{', '.join(times)} can only be set in a JSON object payload", "payload"
            )
        return payload
    stamped = dict(payload)
    if add_iat and "iat" not in stamped and "iat" not in times:
        stamped["iat"] = int(time.time() if now is None else now)
    for name, moment in times.items():
        stamped[name] = round(moment)
    return stamped


def encode_unsigned(header: dict[str, Any], payload: dict[str, Any] | str, signature: str = "") -> str:
    """Header and payload re-encoded, with ``signature`` (base64url) kept as it is: never a valid token."""
    b64 = header.get("b64") is not False
    data = _payload_bytes(payload, b64)
    payload_seg = b64url_encode(data) if b64 else data.decode("utf-8", "surrogatepass")
    return f"{b64url_encode(compact_json(header).encode())}.{payload_seg}.{signature}"


def _pick(key_input: KeyInput, header: dict[str, Any]) -> ParsedKey:
    picked = key_input.pick(header.get("kid"))
    if picked is not None:
        return picked
    raise InputError(
        "key_ambiguous",
        "The JWKS holds several keys; set the header's kid to the one to sign with",
        "key",
    )


def sign(
    header: dict[str, Any],
    payload: dict[str, Any] | str,
    key_text: str | None,
    *,
    secret_encoding: str = "utf8",
    allow_none: bool = False,
    max_key: int = DEFAULT_MAX_KEY,
    compact: bool = True,
) -> SignResult:
    """Sign; raise InputError when it cannot be done, saying why.

    ``compact=False``: the token is only split into its parts for a JSON serialization, so a b64: false
    payload may hold '.'.
    """
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise InputError("alg_missing", "The header needs an alg to sign with", "header")
    if alg.lower() == "none":
        if not allow_none:
            raise InputError(
                "alg_none_refused",
                "Signing with alg 'none' makes an unsigned token; allow unsigned tokens explicitly to do it on purpose",
                "header",
            )
        return SignResult(encode_unsigned(header, payload), alg, None, None, ())
    if alg not in SUPPORTED:
        hint = suggest(alg)
        extra = f"; did you mean {hint}?" if hint else ""
        raise InputError("alg_unsupported", f"Cannot sign with unknown algorithm '{alg[:32]}'{extra}", "header")
    if key_text is None or not key_text:
        raise InputError("key_missing", "Signing needs a key: a secret, a private PEM key or a private JWK", "key")
    key_input = parse_key(key_text, secret_encoding, max_size=max_key)
    parsed = _pick(key_input, header)
    spec = spec_for(alg)
    assert spec is not None
    reason = key_mismatch(spec, parsed, "sign")
    if reason is not None:
        raise InputError("key_mismatch", f"The signing key does not fit: {reason}", "key")
    if not parsed.private:
        raise InputError(
            "key_not_private",
            f"The signing key is a public key ({parsed.description}); signing needs its private key",
            "key",
        )
    b64 = header.get("b64") is not False
    data = _payload_bytes(payload, b64, compact)
    header_seg = b64url_encode(compact_json(header).encode())
    payload_seg = b64url_encode(data) if b64 else data.decode("utf-8", "surrogatepass")
    signing_input = f"{header_seg}.{payload_seg}".encode()
    try:
        signature = implementation(alg).sign(signing_input, parsed.key)
    except (JoseError, ValueError, TypeError) as exc:  # pragma: no cover - the checks above should prevent it
        raise InputError("sign_failed", f"Signing failed: {type(exc).__name__}", "key") from None
    token = f"{header_seg}.{payload_seg}.{b64url_encode(signature)}"
    return SignResult(token, alg, parsed, key_input, sort_findings(key_findings(key_input, alg, "sign")))
