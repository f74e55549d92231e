"""Producing a JWS in JSON serialization (RFC 7515 §7.2): flattened, or general with several signatures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .errors import InputError
from .keys import DEFAULT_MAX_KEY
from .sign import SignResult, sign

__all__ = ["MAX_SIGNERS", "SerializedJWS", "sign_serialized"]

#: signatures in one general serialization: each costs a key parse and a signature
MAX_SIGNERS = 16


@dataclass(frozen=True)
class SerializedJWS:
    token: str
    serialization: Literal["flattened", "general"]
    signatures: tuple[SignResult, ...]


def _parts(result: SignResult) -> tuple[str, str, str]:
    """protected, payload, signature of a compact token whose b64: false payload may hold dots."""
    header, _, rest = result.token.partition(".")
    payload, _, signature = rest.rpartition(".")
    return header, payload, signature


def sign_serialized(
    headers: Sequence[dict[str, Any]],
    payload: dict[str, Any] | str,
    keys: Sequence[str | None],
    serialization: Literal["flattened", "general"],
    *,
    secret_encoding: str = "utf8",
    detached: bool = False,
    max_key: int = DEFAULT_MAX_KEY,
) -> SerializedJWS:
    """One signature per (header, key) pair; flattened takes exactly one. ``detached`` leaves the payload out."""
    if len(headers) != len(keys):
        raise InputError(
            "signers_mismatch", f"{len(headers)} headers for {len(keys)} keys: give one header per key", "key"
        )
    if not keys:
        raise InputError("key_missing", "Signing needs at least one key", "key")
    if serialization == "flattened" and len(keys) != 1:
        raise InputError(
            "flattened_one_signature",
            f"The flattened serialization holds one signature ({len(keys)} keys given); use general",
            "key",
        )
    if len(keys) > MAX_SIGNERS:
        raise InputError("too_many_signers", f"{len(keys)} keys; at most {MAX_SIGNERS} signatures", "key")
    results, entries, payload_segs = [], [], set()
    for index, (header, key) in enumerate(zip(headers, keys, strict=True)):
        if isinstance(header.get("alg"), str) and header["alg"].lower() == "none":
            raise InputError("alg_none_refused", f"Signature {index}: alg none has no place among signatures", "header")
        try:
            result = sign(header, payload, key, secret_encoding=secret_encoding, max_key=max_key, compact=False)
        except InputError as exc:
            raise InputError(
                exc.problem.code, f"Signature {index}: {exc.problem.message}", exc.problem.segment
            ) from None
        protected, payload_seg, signature = _parts(result)
        results.append(result)
        payload_segs.add(payload_seg)
        entries.append({"protected": protected, "signature": signature})
    if len(payload_segs) != 1:
        raise InputError(
            "b64_differs", "Every signature must agree on b64 (RFC 7797 §3): one payload is signed", "header"
        )
    body: dict[str, Any] = {} if detached else {"payload": payload_segs.pop()}
    body |= entries[0] if serialization == "flattened" else {"signatures": entries}
    token = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return SerializedJWS(token, serialization, tuple(results))
