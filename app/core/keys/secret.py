"""HMAC secrets: the text turned into bytes by the encoding the user chose."""

from __future__ import annotations

import base64
import binascii
import string

from ..errors import InputError
from .model import SECRET_ENCODINGS

__all__ = ["decode_secret"]


def decode_secret(text: str, encoding: str) -> bytes:
    """Turn the secret text into bytes according to its encoding."""
    if encoding == "utf8":
        return text.encode("utf-8", "surrogatepass")
    compact = "".join(text.split())
    if encoding == "hex":
        bad = next((i for i, ch in enumerate(compact) if ch not in string.hexdigits), None)
        if bad is not None:
            raise InputError("secret_encoding", f"The secret is not hex: character {bad + 1} is not 0-9 or a-f", "key")
        if len(compact) % 2:
            raise InputError("secret_encoding", "The secret is not hex: it has an odd number of digits", "key")
        return bytes.fromhex(compact)
    if encoding in ("base64", "base64url"):
        alphabet = string.ascii_letters + string.digits + ("+/" if encoding == "base64" else "-_")
        core = compact.rstrip("=")
        bad = next((i for i, ch in enumerate(core) if ch not in alphabet), None)
        if bad is not None:
            raise InputError(
                "secret_encoding",
                f"The secret is not {encoding}: character {bad + 1} is outside its alphabet",
                "key",
            )
        if len(core) % 4 == 1:
            raise InputError("secret_encoding", f"The secret is not {encoding}: its length is impossible", "key")
        padded = core + "=" * (-len(core) % 4)
        try:
            if encoding == "base64":
                return base64.b64decode(padded, validate=True)
            return base64.urlsafe_b64decode(padded)
        except (binascii.Error, ValueError):
            raise InputError("secret_encoding", f"The secret is not valid {encoding}", "key") from None
    raise InputError(
        "secret_encoding",
        f"Unknown secret encoding; use one of {', '.join(SECRET_ENCODINGS)}",
        "secret_encoding",
    )
