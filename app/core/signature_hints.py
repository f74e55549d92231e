"""Two hints about a signature that did not verify: it has the wrong length for its algorithm (the token
was probably cut when copied), or the secret verifies once base64-decoded (the encoding was left at UTF-8).

Both are findings of the core, so the page, the API and the CLI say the same thing.
"""

from __future__ import annotations

import hmac
import re

from joserfc.jwk import OctKey

from .errors import InputError
from .findings import Finding
from .keys import KeyInput
from .keys.secret import decode_secret
from .tokens import DecodedToken

__all__ = ["SIGNATURE_BYTES", "encoding_finding", "length_finding"]

#: alg -> the byte lengths its signatures have (RFC 7518 §3.2 and §3.4, RFC 8037, RFC 9964)
SIGNATURE_BYTES: dict[str, tuple[int, ...]] = {
    "HS256": (32,),
    "HS384": (48,),
    "HS512": (64,),
    "ES256": (64,),
    "ES256K": (64,),
    "ES384": (96,),
    "ES512": (132,),
    "EdDSA": (64, 114),
    "Ed25519": (64,),
    "Ed448": (114,),
    "ML-DSA-44": (2420,),
    "ML-DSA-65": (3309,),
    "ML-DSA-87": (4627,),
}
#: RSA signatures are as long as the modulus: without the key, any of the usual sizes is plausible
_RSA_BYTES = (128, 256, 384, 512)
_DIGESTS = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
# Text that base64 or base64url could have produced (the hint is only worth an HMAC for such text).
_BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")


def _expected(alg: str, key_input: KeyInput | None) -> tuple[int, ...]:
    keys = key_input.keys if key_input else ()
    if alg[:2] in ("RS", "PS"):
        return tuple(s for s in (k.size_bits // 8 for k in keys if k.kty == "RSA") if s)
    if alg == "EdDSA":  # the key's curve decides: Ed25519 or Ed448
        by_curve = tuple(n for k in keys if k.curve for n in SIGNATURE_BYTES.get(k.curve, ()))
        if by_curve:
            return by_curve
    return SIGNATURE_BYTES.get(alg, ())


def length_finding(token: DecodedToken, key_input: KeyInput | None) -> Finding | None:
    """The signature is shorter or longer than its algorithm (and, for RSA, the key) makes."""
    alg, got = token.alg, len(token.signature)
    if alg is None or not got:
        return None
    expected = _expected(alg, key_input)
    if not expected and alg[:2] in ("RS", "PS") and got < min(_RSA_BYTES):
        expected = _RSA_BYTES  # no key: only shorter than any usual modulus tells
    if not expected or got in expected:
        return None
    want = " or ".join(f"{n:,}" for n in expected)
    if got < min(expected):
        what = "looks truncated"
    elif got > max(expected):
        what = "has bytes after its signature's end"
    else:
        what = "has a signature of the wrong length"
    return Finding(
        "signature_length",
        "warning",
        f"The token {what}: an {alg} signature is {want} bytes, this one is {got:,}",
        "Copy the whole token again, up to its last character",
        "signature",
    )


def encoding_finding(token: DecodedToken, key_input: KeyInput | None) -> Finding | None:
    """An HMAC secret read as UTF-8 that verifies once decoded as base64 or base64url."""
    digest = _DIGESTS.get(token.alg or "")
    if digest is None or key_input is None or key_input.secret_encoding != "utf8":
        return None
    for parsed in key_input.keys:
        if not isinstance(parsed.key, OctKey):
            continue
        text = parsed.key.raw_value.strip()
        if _BASE64_TEXT.fullmatch(text) is None:
            continue
        order = ("base64url", "base64") if re.search(rb"[-_]", text) else ("base64", "base64url")
        for encoding in order:
            try:
                raw = decode_secret(text.decode("ascii"), encoding)
            except InputError:
                continue
            if raw and hmac.compare_digest(hmac.digest(raw, token.signing_input, digest), token.signature):
                return Finding(
                    "secret_encoding",
                    "warning",
                    f"The secret verifies when read as {encoding}, not as UTF-8 text",
                    f"Set the secret encoding to {encoding} if that is how the secret is stored",
                    "key",
                )
    return None
