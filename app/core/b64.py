"""Strict base64url (RFC 7515 §2, no padding) that notices non-canonical input."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from .errors import InputError

__all__ = ["Segment", "b64url_encode", "decode_segment"]

_URLSAFE = re.compile(r"[A-Za-z0-9_-]*")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE = {ch: i for i, ch in enumerate(_ALPHABET)}
#: bytes.translate: several times faster than str.translate with a mapping
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
#: characters in the last group -> the low bits of its last character that encode nothing
_SPARE_BITS = {0: 0, 2: 0b1111, 3: 0b11}
_LENIENT = re.compile(r"[A-Za-z0-9_\-+/]*=*")


@dataclass(frozen=True)
class Segment:
    """One dot-separated part of a compact token, decoded."""

    text: str
    raw: bytes
    canonical: bool
    #: why the text is not the canonical base64url of ``raw`` (None when it is)
    noncanonical_reason: str | None = None


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_segment(text: str, name: str) -> Segment:
    """Decode one segment; accept padding and '+' '/' but mark them non-canonical.

    Anything else (other characters, an impossible length) is an InputError
    naming the segment and the position of the first bad character.
    """
    urlsafe = _URLSAFE.fullmatch(text) is not None
    if not urlsafe:
        if _LENIENT.fullmatch(text) is None:
            pos = next(
                (i for i, ch in enumerate(text) if not (ch.isascii() and (ch.isalnum() or ch in "-_+/="))), len(text)
            )
            if pos == len(text):  # every character is allowed, so an '=' stands before the end
                raise InputError("bad_base64url", f"The {name} is not base64url: '=' padding in the middle", name)
            raise InputError(
                "bad_base64url",
                f"The {name} is not base64url: character {pos + 1} is not allowed (only A-Z, a-z, 0-9, '-' and '_')",
                name,
            )
        if "=" in text.rstrip("="):
            raise InputError("bad_base64url", f"The {name} is not base64url: '=' padding in the middle", name)
    # The usual case, plain base64url, skips the rewriting that padding and '+' '/' need.
    core = text if urlsafe else text.rstrip("=")
    if len(core) % 4 == 1:
        raise InputError(
            "bad_base64url",
            f"The {name} is not base64url: its length ({len(core)} characters) cannot encode whole bytes"
            + ("; the token looks truncated" if name == "signature" else ""),
            name,
        )
    normal = core if urlsafe else core.replace("+", "-").replace("/", "_")
    try:
        encoded = (normal + "=" * (-len(normal) % 4)).encode("ascii")
        raw = binascii.a2b_base64(encoded.translate(_TO_STANDARD), strict_mode=True)
    except (binascii.Error, ValueError):
        raise InputError("bad_base64url", f"The {name} is not valid base64url", name) from None
    # Canonical: no padding, no '+' '/', and the spare low bits of the last character are zero.
    spare = _SPARE_BITS[len(core) % 4]
    padded, standard = len(core) != len(text), normal != core
    if not padded and not standard and not (spare and _VALUE[core[-1]] & spare):
        return Segment(text, raw, True)
    if padded:
        reason = "it carries '=' padding, which base64url in JWS forbids"
    elif standard:
        reason = "it uses '+' or '/' from standard base64 instead of '-' and '_'"
    else:
        reason = "its last character carries extra bits: another spelling of the same bytes"
    return Segment(text, raw, False, reason)
