"""The plaintext after decryption: DEFLATE inflated under a hard cap, then read as text, JSON or a nested token."""

from __future__ import annotations

import re
import zlib
from typing import Any, Literal

from ..b64 import b64url_encode
from ..errors import InputError
from ..findings import Finding
from ..jsonparse import parse_json
from ..tokens import decode_token
from .checks import Failure
from .parse import DecodedJWE, decode_jwe

__all__ = ["DEFAULT_MAX_INFLATED", "inflate", "open_plaintext"]

#: bytes a zip: DEF plaintext may inflate to
DEFAULT_MAX_INFLATED = 1_048_576


_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_COMPACT_JWE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){4}")


def inflate(data: bytes, max_inflated: int) -> tuple[bytes, list[Finding]]:
    """Raw DEFLATE (RFC 1951), stopping one byte past the cap: a bomb is refused without inflating it all."""
    found: list[Finding] = []
    try:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        out = inflater.decompress(data, max_inflated + 1)
    except zlib.error:
        if data[:1] != b"\x78":
            raise Failure("inflate_failed", "The plaintext is marked zip: DEF but is not DEFLATE data") from None
        try:  # some libraries wrap DEF in a zlib header; joserfc accepts it too
            inflater = zlib.decompressobj(zlib.MAX_WBITS)
            out = inflater.decompress(data, max_inflated + 1)
        except zlib.error:
            raise Failure("inflate_failed", "The plaintext is marked zip: DEF but is not DEFLATE data") from None
        found.append(
            Finding(
                "zip_zlib_wrapped",
                "warning",
                "The DEF plaintext carries a zlib header and checksum; RFC 7516 §4.1.3 specifies raw DEFLATE",
                "Strict recipients refuse it: compress with raw DEFLATE (RFC 1951)",
                "ciphertext",
            )
        )
    if len(out) > max_inflated or inflater.unconsumed_tail:
        raise Failure(
            "inflate_failed",
            f"The compressed plaintext inflates to more than {max_inflated:,} bytes; jwtlens stops there "
            "(a DEFLATE bomb, or a limit to raise)",
        )
    if not inflater.eof:
        raise Failure("inflate_failed", "The compressed plaintext ends before its DEFLATE stream does (truncated)")
    if inflater.unused_data:
        found.append(
            Finding(
                "zip_trailing_data",
                "warning",
                f"{len(inflater.unused_data)} bytes follow the end of the DEFLATE stream and were ignored",
                "",
                "ciphertext",
            )
        )
    return out, found


def open_plaintext(token: DecodedJWE, data: bytes) -> tuple[dict[str, Any], list[Finding]]:
    """DecryptResult fields describing the plaintext, and findings about it."""
    found: list[Finding] = []
    fields: dict[str, Any] = {"plaintext_bytes": len(data)}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        fields.update(plaintext=b64url_encode(data), plaintext_is_base64url=True)
        found.append(
            Finding("plaintext_binary", "info", "The plaintext is binary, shown as base64url", "", "ciphertext")
        )
        return fields, found
    fields["plaintext"] = text
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            value = parse_json(stripped, "plaintext").value
        except InputError as exc:
            found.append(Finding("plaintext_not_json", "info", exc.problem.message, "", "ciphertext"))
        else:
            if isinstance(value, dict):
                fields["payload"] = value
    kind: Literal["jws", "jwe"] | None = None
    if _COMPACT_JWS.fullmatch(stripped):
        try:
            decode_token(stripped)
            kind = "jws"
        except InputError:
            kind = None
    elif _COMPACT_JWE.fullmatch(stripped):
        try:
            decode_jwe(stripped)
            kind = "jwe"
        except InputError:
            kind = None
    says_jwt = token.cty is not None and token.cty.upper() in ("JWT", "APPLICATION/JWT")
    if kind is not None:
        fields.update(nested=kind == "jws", nested_token=stripped, nested_kind=kind)
        if not says_jwt:
            found.append(
                Finding(
                    "nested_without_cty",
                    "info",
                    f"The plaintext is a compact {kind.upper()}, but the header has no cty 'JWT'",
                    "RFC 7519 §5.2: a nested JWT should say so with cty 'JWT'",
                    "header",
                )
            )
    elif says_jwt:
        found.append(
            Finding(
                "cty_not_token",
                "warning",
                "cty says the plaintext is a JWT, but it is not a compact token",
                "",
                "header",
            )
        )
    return fields, found
