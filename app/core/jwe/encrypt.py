"""Making a compact JWE with the recipient's public key, a shared secret or (PBES2) a password."""

from __future__ import annotations

from typing import Any

from joserfc import jwe
from joserfc.errors import JoseError

from ..errors import InputError
from ..keyrules import forbidden_use
from ..keys import DEFAULT_MAX_KEY, KeyInput, ParsedKey, parse_key
from .algorithms import DEFAULT_MAX_P2C, JWE_ALGORITHMS, JWE_ENCRYPTIONS, Registry, alg_family
from .checks import Failure, check_alg, check_enc, check_p2c, check_p2s, mismatch
from .parse import short_salt

__all__ = ["encrypt_jwe", "pick_for_encrypt"]


def pick_for_encrypt(key_input: KeyInput, header: dict[str, Any]) -> ParsedKey:
    kid = header.get("kid")
    picked = key_input.pick(kid)
    if picked is not None:
        return picked
    # Without a kid, a set with exactly one key that fits alg and enc is unambiguous too.
    fitting = [k for k in key_input.keys if mismatch(header["alg"], header["enc"], header, k, "encrypt") is None]
    if kid is None and len(fitting) == 1:
        return fitting[0]
    raise InputError(
        "key_ambiguous", "The JWKS holds several keys that could be used; set the header's kid to the one to use", "key"
    )


def _check_pbes2(header: dict[str, Any], max_p2c: int, allow_weak_keys: bool) -> None:
    """A given p2c within the ceiling; a given p2s canonical and, unless allowed as weak, 8 octets or more."""
    try:
        if "p2c" in header:
            check_p2c(header["p2c"], max_p2c)
    except Failure as failure:
        raise InputError("p2c_invalid", failure.message, "header") from None
    try:
        check_p2s(header.get("p2s"))
    except Failure as failure:
        raise InputError("p2s_invalid", f"Cannot encrypt: {failure.message}", "header") from None
    salt = short_salt(header)
    if salt is not None and not allow_weak_keys:
        raise InputError("p2s_forbidden", f"Cannot encrypt: {salt}", "header")


def encrypt_jwe(
    header: dict[str, Any],
    plaintext: str | bytes,
    key_text: str | None,
    *,
    secret_encoding: str = "utf8",
    max_key: int = DEFAULT_MAX_KEY,
    max_p2c: int = DEFAULT_MAX_P2C,
    allow_weak_keys: bool = False,
) -> str:
    """Encrypt to a compact JWE with the recipient's public key, a shared secret or (PBES2) a password.

    joserfc adds what the algorithm needs to the header: epk (ECDH-ES), p2s and p2c (PBES2), iv and tag (GCMKW).
    What RFC 7518 forbids (a given p2s under 8 octets, an RSA key under 2048 bits) is refused unless
    ``allow_weak_keys`` (testing only).
    """
    if not isinstance(header, dict):
        raise InputError("header_not_object", "The header must be a JSON object", "header")
    for name, check, known in (("alg", check_alg, JWE_ALGORITHMS), ("enc", check_enc, JWE_ENCRYPTIONS)):
        try:
            check(header.get(name), known)
        except Failure as failure:
            code = f"{name}_missing" if name not in header else f"{name}_unsupported"
            raise InputError(code, f"Cannot encrypt: {failure.message}", "header") from None
    alg, enc = header["alg"], header["enc"]
    if "zip" in header and header["zip"] != "DEF":
        raise InputError("zip_unsupported", "zip must be 'DEF' (DEFLATE), the only registered compression", "header")
    if "crit" in header:
        raise InputError("crit_unsupported", "jwtlens understands no JWE extension, so it writes no crit", "header")
    if alg_family(alg) == "pbes2":
        _check_pbes2(header, max_p2c, allow_weak_keys)
    if key_text is None or not key_text:
        raise InputError(
            "key_missing", "Encrypting needs a key: a public key, a shared secret or (PBES2) a password", "key"
        )
    key_input = parse_key(key_text, secret_encoding, max_size=max_key)
    parsed = pick_for_encrypt(key_input, header)
    reason = mismatch(alg, enc, header, parsed, "encrypt")
    if reason is not None:
        raise InputError("key_mismatch", f"Cannot encrypt: {reason}", "key")
    weak = forbidden_use(parsed, alg)
    if weak is not None and not allow_weak_keys:
        raise InputError("key_forbidden", f"Cannot encrypt: {weak}", "key")
    data = plaintext.encode("utf-8", "surrogatepass") if isinstance(plaintext, str) else plaintext
    registry = Registry((alg, enc, "DEF"), max_p2c, allow_weak_keys=allow_weak_keys and weak is not None)
    try:
        return jwe.encrypt_compact(dict(header), data, parsed.key, registry=registry)
    except (JoseError, ValueError, TypeError) as exc:
        detail = exc.description if isinstance(exc, JoseError) else type(exc).__name__
        raise InputError("encrypt_failed", f"Encryption failed: {detail}", "header") from None
