"""Decoding a compact JWS without a key: structure, header, payload, signature."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Literal

from .b64 import Segment, decode_segment
from .errors import InputError
from .extract import Extracted, extract_token
from .jsonparse import Duplicate, ParsedJSON, json_kind, parse_json

__all__ = [
    "DEFAULT_MAX_TOKEN",
    "DecodedToken",
    "TokenKind",
    "decode_token",
    "extract_sized",
    "header_object",
    "segment_count_problem",
    "token_kind",
]

DEFAULT_MAX_TOKEN = 256 * 1024
#: pasted text (a HAR file, a log line) may be larger than the token it holds, up to this many times
_PASTE_FACTOR = 16
#: header segments up to this many characters are cached (typical ones are under 300)
_CACHED_HEADER = 1024


TokenKind = Literal["JWS", "JWE"]


def token_kind(text: str, *, max_size: int = DEFAULT_MAX_TOKEN) -> TokenKind:
    """JWE for five dot-separated parts, JWS otherwise (decode_token names what is wrong with those)."""
    found = extract_sized(text, max_size, "JWT")
    return "JWE" if found.token.count(".") == 4 else "JWS"


@dataclass(frozen=True)
class DecodedToken:
    """A compact JWS taken apart; nothing here has been verified."""

    text: str
    header: dict[str, Any]
    header_text: str
    #: the claims object, or None when the payload is not a JSON object
    payload: dict[str, Any] | None
    payload_text: str
    payload_bytes: bytes
    signature: bytes
    segments: tuple[Segment, Segment, Segment]
    #: RFC 7797 unencoded payload (``"b64": false``)
    b64: bool = True
    #: where in the pasted text the token was found, e.g. "the Authorization header" (None: it was the text)
    source: str | None = None
    #: it came from a URL's query string
    in_query: bool = False
    duplicates: tuple[tuple[str, Duplicate], ...] = ()
    nonfinite: tuple[tuple[str, str], ...] = ()
    payload_is_utf8: bool = True
    payload_json_kind: str | None = None  # "array", "string"... when JSON but not an object
    replaced_surrogates: tuple[str, ...] = field(default=())

    @cached_property
    def signing_input(self) -> bytes:
        header_seg, payload_seg, _ = self.segments
        return f"{header_seg.text}.{payload_seg.text}".encode()

    @property
    def alg(self) -> str | None:
        alg = self.header.get("alg")
        return alg if isinstance(alg, str) else None


def _text(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            "not_utf8", f"The {where} is not UTF-8 text (byte {exc.start + 1} is invalid)", where
        ) from None


def extract_sized(text: str, max_size: int, kind: str) -> Extracted:
    """The token found in ``text`` (JWS or JWE), within the size limits, or InputError."""
    if len(text) > max_size * _PASTE_FACTOR:
        raise InputError(
            "token_too_large",
            f"The text is {len(text):,} characters; the limit is {max_size * _PASTE_FACTOR:,}",
            "token",
            too_large=True,
        )
    found = extract_token(text)
    if len(found.token) > max_size:
        raise InputError(
            "token_too_large",
            f"The token is {len(found.token):,} characters; the limit is {max_size:,}",
            "token",
            too_large=True,
        )
    if not found.token:
        raise InputError("token_empty", f"No token given: expected a {kind}", "token")
    return found


def segment_count_problem(parts: list[str], kind: str, expected: int) -> InputError:
    count = len(parts)
    return InputError(
        "token_segments",
        f"A {kind} has {('three', 'five')[expected == 5]} segments separated by {expected - 1} dots; this token has "
        f"{count} segment{'s' if count != 1 else ''} ({count - 1} dot{'s' if count != 2 else ''})",
        "token",
    )


def header_object(part: str) -> tuple[Segment, str, ParsedJSON]:
    """The protected header segment decoded and parsed; InputError unless it is a JSON object.

    An issuer's tokens share a few headers, so short ones are read once and cached; each caller gets its
    own top-level dict (nested values are shared: read them, do not change them).
    """
    if len(part) > _CACHED_HEADER:
        return _read_header(part)
    segment, text, parsed = _cached_header(part)
    own = ParsedJSON(dict(parsed.value), parsed.duplicates, parsed.nonfinite, parsed.replaced_surrogates)
    return segment, text, own


def _read_header(part: str) -> tuple[Segment, str, ParsedJSON]:
    if not part:
        raise InputError("header_empty", "The header segment is empty", "header")
    segment = decode_segment(part, "header")
    text = _text(segment.raw, "header")
    parsed = parse_json(text, "header")
    if not isinstance(parsed.value, dict):
        raise InputError(
            "header_not_object", f"The header is JSON but not an object (it is {json_kind(parsed.value)})", "header"
        )
    return segment, text, parsed


_cached_header = lru_cache(maxsize=256)(_read_header)


def decode_token(text: str, *, max_size: int = DEFAULT_MAX_TOKEN) -> DecodedToken:
    """Take a compact JWS apart, or raise InputError saying what is wrong and where."""
    found = extract_sized(text, max_size, "JWT (three base64url parts separated by dots)")
    token = found.token
    parts = token.split(".")
    if len(parts) == 5:
        raise InputError(
            "token_is_jwe",
            "This is an encrypted token (JWE, five segments): decode it with decode_jwe, decrypt it with a key",
            "token",
        )
    if len(parts) != 3:
        raise segment_count_problem(parts, "JWS", 3)
    header_part, payload_part, signature_part = parts
    header_seg, header_text, parsed_header = header_object(header_part)
    header: dict[str, Any] = parsed_header.value
    duplicates = [("header", d) for d in parsed_header.duplicates]
    nonfinite = [("header", n) for n in parsed_header.nonfinite]
    replaced = ["header"] if parsed_header.replaced_surrogates else []

    b64 = header.get("b64") is not False
    # RFC 7797: an unencoded payload travels as it is; only '.' would break the compact form.
    payload_seg = decode_segment(payload_part, "payload") if b64 else Segment(payload_part, payload_part.encode(), True)
    signature_seg = decode_segment(signature_part, "signature")

    payload_bytes = payload_seg.raw
    payload: dict[str, Any] | None = None
    payload_kind: str | None = None
    try:
        payload_text = payload_bytes.decode("utf-8")
        payload_is_utf8 = True
    except UnicodeDecodeError:
        payload_text = payload_bytes.decode("utf-8", "replace")
        payload_is_utf8 = False
    if payload_is_utf8 and payload_text.lstrip()[:1] in ("{", "["):
        parsed_payload = parse_json(payload_text, "payload")
        duplicates += [("payload", d) for d in parsed_payload.duplicates]
        nonfinite += [("payload", n) for n in parsed_payload.nonfinite]
        if parsed_payload.replaced_surrogates:
            replaced.append("payload")
        if isinstance(parsed_payload.value, dict):
            payload = parsed_payload.value
        else:
            payload_kind = json_kind(parsed_payload.value)

    return DecodedToken(
        text=token,
        header=header,
        header_text=header_text,
        payload=payload,
        payload_text=payload_text,
        payload_bytes=payload_bytes,
        signature=signature_seg.raw,
        segments=(header_seg, payload_seg, signature_seg),
        b64=b64,
        source=found.source,
        in_query=found.in_query,
        duplicates=tuple(duplicates),
        nonfinite=tuple(nonfinite),
        payload_is_utf8=payload_is_utf8,
        payload_json_kind=payload_kind,
        replaced_surrogates=tuple(replaced),
    )
