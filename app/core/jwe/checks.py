"""Everything that refuses a JWE or a key before any decryption: structure, allowlists, p2c, key fit."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

from joserfc.errors import JoseError

from ..algorithms import SUPPORTED as JWS_ALGORITHMS
from ..b64 import decode_segment
from ..errors import InputError
from ..keys import ParsedKey
from .algorithms import (
    JWE_ALGORITHMS,
    JWE_ENCRYPTIONS,
    KEY_OPS,
    Registry,
    alg_family,
    cek_bytes,
    enc_model,
    tag_bytes,
    wrap_bits,
)
from .parse import SEGMENT_NAMES, DecodedJWE

__all__ = ["Failure", "FailureCode", "check_alg", "check_enc", "check_p2c", "check_p2s", "mismatch", "prepare"]

FailureCode = Literal[
    "invalid",  # the token's structure or header is wrong: no key would help
    "refused",  # a limit or the allowlist: alg, enc, p2c
    "no_key",
    "no_usable_key",
    "key_failed",  # the content key could not be recovered with the key given
    "tag_mismatch",
    "padding_invalid",
    "inflate_failed",
    "forbidden",  # what RFC 7518 forbids: a short PBES2 salt, an RSA key under 2048 bits (allow_weak_keys overrides)
]


class Failure(Exception):
    def __init__(self, code: FailureCode, message: str):
        super().__init__(message)
        self.code: FailureCode = code
        self.message = message


def _suggest(name: str, known: tuple[str, ...]) -> str:
    hint = next((k for k in known if k.lower() == name.lower()), None)
    return f"; names are case-sensitive: did you mean {hint}?" if hint else ""


def check_alg(alg: object, allowed_algs: Collection[str]) -> None:
    """Raise Failure (invalid or refused) unless alg names a key-management algorithm jwtlens may use."""
    if alg is None:
        raise Failure("invalid", "The header has no alg, so there is no key-management algorithm to decrypt with")
    if not isinstance(alg, str):
        raise Failure("invalid", "The header's alg is not a string")
    if alg.lower() == "none":
        raise Failure("invalid", f"alg '{alg}' does not exist for JWE: an encrypted token always names a key algorithm")
    if alg in JWS_ALGORITHMS:
        raise Failure("invalid", f"alg {alg} is a signature algorithm (JWS), not a JWE key-management algorithm")
    if alg not in JWE_ALGORITHMS:
        raise Failure("invalid", f"Unsupported JWE algorithm '{alg[:32]}'{_suggest(alg, JWE_ALGORITHMS)}")
    if alg not in allowed_algs:
        raise Failure("refused", f"{alg} is not in the allowed algorithms ({', '.join(allowed_algs) or 'none'})")


def check_enc(enc: object, allowed_encs: Collection[str]) -> None:
    """Raise Failure (invalid or refused) unless enc names a content encryption jwtlens may use."""
    if enc is None:
        raise Failure("invalid", "The header has no enc, so there is no content encryption to decrypt with")
    if not isinstance(enc, str):
        raise Failure("invalid", "The header's enc is not a string")
    if enc not in JWE_ENCRYPTIONS:
        raise Failure("invalid", f"Unsupported content encryption '{enc[:32]}'{_suggest(enc, JWE_ENCRYPTIONS)}")
    if enc not in allowed_encs:
        raise Failure("refused", f"{enc} is not in the allowed encryptions ({', '.join(allowed_encs) or 'none'})")


def _check_structure(token: DecodedJWE, allowed_algs: Collection[str], allowed_encs: Collection[str]) -> None:
    """Everything that can be refused before a key is read; raises Failure."""
    header = token.header
    check_alg(header.get("alg"), allowed_algs)
    check_enc(header.get("enc"), allowed_encs)
    alg, enc = header["alg"], header["enc"]
    if "zip" in header and header["zip"] != "DEF":
        raise Failure("invalid", "zip must be 'DEF' (DEFLATE), the only registered compression")
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
            raise Failure("invalid", "crit must be a non-empty array of header names (RFC 7516 §4.1.13)")
        raise Failure(
            "invalid",
            f"crit lists {', '.join(repr(c[:32]) for c in crit[:5])}, which jwtlens does not understand; "
            "RFC 7516 requires rejecting the token",
        )
    for segment, name in zip(token.segments, SEGMENT_NAMES, strict=True):
        if not segment.canonical:
            raise Failure("invalid", f"The {name} is not canonical base64url ({segment.noncanonical_reason})")
    family = alg_family(alg)
    direct = alg in ("dir", "ECDH-ES")
    if direct and token.encrypted_key:
        raise Failure(
            "invalid",
            f"{alg} uses no encrypted key, but the encrypted_key segment holds {len(token.encrypted_key)} bytes",
        )
    if not direct and not token.encrypted_key:
        raise Failure("invalid", f"The encrypted_key segment is empty, but {alg} carries the wrapped content key there")
    if family in ("aeskw", "pbes2") or (family == "ecdh" and not direct):
        want = cek_bytes(enc) + 8
        if len(token.encrypted_key) != want:
            raise Failure(
                "invalid",
                f"The encrypted key is {len(token.encrypted_key)} bytes; {alg} wrapping an {enc} content key "
                f"gives {want}",
            )
    elif family == "gcmkw" and len(token.encrypted_key) != cek_bytes(enc):
        raise Failure(
            "invalid",
            f"The encrypted key is {len(token.encrypted_key)} bytes; {alg} encrypting an {enc} content key "
            f"gives {cek_bytes(enc)}",
        )
    iv_bytes = enc_model(enc).iv_size // 8
    if len(token.iv) != iv_bytes:
        raise Failure("invalid", f"The iv is {len(token.iv)} bytes; {enc} uses {iv_bytes}")
    if len(token.tag) != tag_bytes(enc):
        raise Failure(
            "invalid",
            f"The tag is {len(token.tag)} bytes; {enc}'s is {tag_bytes(enc)} (a truncated or extended tag is "
            "never accepted)",
        )
    if "CBC" in enc and (not token.ciphertext or len(token.ciphertext) % 16):
        raise Failure(
            "invalid", f"The ciphertext is {len(token.ciphertext)} bytes; {enc} produces whole 16-byte blocks"
        )
    if family == "ecdh" and not (isinstance(header.get("epk"), dict) and isinstance(header["epk"].get("kty"), str)):
        raise Failure("invalid", f"{alg} needs the header's epk (ephemeral public key) as a JWK object")


def prepare(token: DecodedJWE, allowed_algs: Collection[str], allowed_encs: Collection[str], max_p2c: int) -> Registry:
    """Every check that needs no key, in order (p2c before any derivation); the registry to decrypt with."""
    _check_structure(token, allowed_algs, allowed_encs)
    alg, enc = token.header["alg"], token.header["enc"]
    if alg_family(alg) == "pbes2":
        check_p2c(token.header.get("p2c"), max_p2c)
        check_p2s(token.header.get("p2s"))
    registry = Registry((alg, enc), max_p2c)
    try:
        registry.check_header(dict(token.header), True)
    except JoseError as exc:
        raise Failure("invalid", f"The header is not valid: {exc.description}") from None
    return registry


def check_p2c(p2c: object, max_p2c: int) -> None:
    """The PBES2 iteration count, refused before any key derivation when above the ceiling."""
    if isinstance(p2c, bool) or not isinstance(p2c, int):
        raise Failure("invalid", "PBES2 needs p2c (the iteration count) as a whole number")
    if p2c < 1:
        raise Failure("invalid", f"p2c is {p2c:,}; the PBES2 iteration count must be at least 1")
    if p2c > max_p2c:
        raise Failure(
            "refused",
            f"p2c is {p2c:,}; jwtlens refuses more than {max_p2c:,} PBKDF2 iterations: a huge count makes every "
            "attempt to decrypt cost minutes (a denial of service)",
        )


def check_p2s(p2s: object) -> None:
    """The PBES2 salt input, when given as a string, must be canonical base64url: one spelling, one salt."""
    if not isinstance(p2s, str):
        return  # absent or not a string: the header registry names it
    try:
        salt = decode_segment(p2s, "p2s")
    except InputError as exc:
        raise Failure("invalid", exc.problem.message) from None
    if not salt.canonical:
        # joserfc's lenient decoder may read other bytes than ours: refuse rather than guess which salt
        raise Failure("invalid", f"The p2s is not canonical base64url ({salt.noncanonical_reason})")


def mismatch(
    alg: str,
    enc: str,
    header: dict[str, Any],
    parsed: ParsedKey,
    operation: Literal["decrypt", "encrypt"],
    encrypted_key: bytes = b"",
) -> str | None:
    """Why this key cannot ``operation`` with alg/enc, or None if it can be tried."""
    family = alg_family(alg)
    if family == "rsa" and parsed.kty != "RSA":
        return f"{alg} needs an RSA key; this is {parsed.description}"
    if family == "ecdh":
        if not (parsed.kty == "EC" or (parsed.kty == "OKP" and parsed.curve in ("X25519", "X448"))):
            return f"{alg} needs an EC key (P-256, P-384, P-521) or an X25519 or X448 key; this is {parsed.description}"
        epk = header.get("epk")
        if operation == "decrypt" and isinstance(epk, dict) and epk.get("crv") != parsed.curve:
            return f"the header's ephemeral key (epk) is on {str(epk.get('crv'))[:16]}, this key on {parsed.curve}"
    if family in ("aeskw", "gcmkw", "dir", "pbes2"):
        if parsed.kty != "oct":
            what = "a password (the secret text)" if family == "pbes2" else "a secret key"
            return f"{alg} needs {what}; this is {parsed.description}"
        size = parsed.size_bits // 8
        need = cek_bytes(enc) if family == "dir" else None if family == "pbes2" else wrap_bits(alg) // 8
        if need is not None and size != need:
            purpose = f"{enc} content key" if family == "dir" else "key-wrapping key"
            return f"{alg} needs a {need * 8}-bit {purpose} ({need} bytes); this secret is {size} bytes"
    if operation == "decrypt" and parsed.kty != "oct" and not parsed.private:
        return f"this is a public key ({parsed.description}); decrypting needs the private key"
    if family == "rsa":
        bits = parsed.size_bits
        if operation == "decrypt" and len(encrypted_key) != (bits + 7) // 8:
            return (
                f"the encrypted key is {len(encrypted_key)} bytes, but this RSA key is {bits}-bit "
                "(it was encrypted for another key)"
            )
    if parsed.jwk_use is not None and parsed.jwk_use != "enc":
        return f"the key's use is '{parsed.jwk_use}', not 'enc'"
    # a dir key's alg may name the content encryption it is the key for (RFC 7520 §5.6: alg "A128GCM")
    if parsed.jwk_alg is not None and parsed.jwk_alg != alg and not (alg == "dir" and parsed.jwk_alg == enc):
        return f"the key is for alg '{parsed.jwk_alg}', not {alg}"
    op = KEY_OPS.get((family, operation))
    key_ops = parsed.key.get("key_ops")
    if op is not None and isinstance(key_ops, list) and op not in key_ops:
        return f"the key's key_ops ({', '.join(map(str, key_ops))[:60]}) do not include '{op}'"
    return None
