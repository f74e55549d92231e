"""parse_key: what a pasted text is, decided by reading it: key material in any spelling, or an HMAC secret.

Every form is tried with a real parser (cryptography's loaders, our JSON parser), in this order:
JSON (JWK, JWKS, bare arrays, x5c, a JSON string holding any form), PEM blocks anywhere in the text,
RFC 4716 blocks, OpenSSH lines, then the text decoded as hex, base64 or base64url (DER, an SSH blob,
or text holding any form again). Only text in which none of them finds a key is an HMAC secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import string
from dataclasses import replace
from functools import lru_cache
from typing import cast

from joserfc.jwk import OctKey

from ..errors import InputError
from ..jsonparse import parse_json
from .cache import der_key, json_keys
from .model import DEFAULT_MAX_KEY, KEY_KINDS, SECRET_ENCODINGS, Found, KeyInput, KeyKind, ParsedKey
from .native import parsed_from_native, parsed_key, public_pem
from .pem import read_pem
from .secret import decode_secret
from .ssh import read_rfc4716, read_ssh_blob, read_ssh_lines

__all__ = ["parse_key"]

#: characters that wrap a pasted key invisibly (RFC 8259 allows none of them, editors add them)
_WRAPPING = " \t\n\r\v\f\ufeff\u200b\u200c\u200d\u2060"
#: how many wrappings are undone: a JSON string, quotes, a base64 or hex encoding
_DEPTH = 2
_HEX = frozenset(string.hexdigits)
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/-_")
_BARE_WORDS = {
    "spki": "SPKI public key",
    "pkcs1-public": "PKCS#1 public key",
    "pkcs8": "PKCS#8 private key",
    "pkcs1-private": "PKCS#1 RSA private key",
    "sec1": "SEC1 EC private key",
    "certificate": "X.509 certificate (its public key)",
}


def _from_bytes(raw: bytes, spelling: str, depth: int) -> Found | None:
    read = der_key(raw)
    if read is not None:
        form = "certificate" if read.shape == "certificate" else "der"
        label = f"bare {spelling} DER {_BARE_WORDS[read.shape]}"
        return Found(form, label, (read.parsed,), read.parsed.private, read.public_pem)
    blob = read_ssh_blob(raw)
    if blob is not None:
        native, cert = blob
        label = f"bare OpenSSH {'certificate' if cert else 'key'} blob ({spelling})"
        return Found("ssh", label, (parsed_from_native(native),), False, public_pem(native))
    if depth <= 0:
        return None
    try:
        inner_text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    inner = _find(inner_text, depth, nested=True)
    return replace(inner, label=f"{inner.label}, {spelling}-encoded") if inner is not None else None


def _decoded(text: str, depth: int) -> Found | None:
    """Key material the text holds once decoded from hex, base64 or base64url."""
    compact = "".join(text.split())
    if not compact:
        return None
    if len(compact) % 2 == 0 and _HEX.issuperset(compact):
        found = _from_bytes(bytes.fromhex(compact), "hex", depth)
        if found is not None:
            return found
    core = compact.rstrip("=")
    if len(core) % 4 == 1 or not _BASE64.issuperset(core):
        return None
    url, standard = any(c in "-_" for c in core), any(c in "+/" for c in core)
    if url and standard:
        return None
    padded = core.translate(str.maketrans("-_", "+/")) + "=" * (-len(core) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _from_bytes(raw, "base64url" if url else "base64", depth)


def _from_json(text: str, depth: int, nested: bool) -> Found | None:
    try:
        value = parse_json(text, "key").value
    except InputError:
        if text[0] == "{" and not nested:
            raise  # a pasted object that does not parse is a damaged JWK, never a secret
        return _unquoted(text, depth)
    if isinstance(value, str):
        inner = _find(value, depth - 1, nested=True) if depth > 0 else None
        return replace(inner, label=f"{inner.label} in a JSON string") if inner is not None else None
    if nested and isinstance(value, dict) and "kty" not in value and "keys" not in value:
        return None  # decoded or unwrapped text that happens to be JSON, but no key
    return json_keys(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def _unquoted(text: str, depth: int) -> Found | None:
    if depth <= 0 or len(text) < 2 or text[0] != text[-1] or text[0] not in "\"'`":
        return None
    return _find(text[1:-1], depth - 1, nested=True)


def _find(text: str, depth: int = _DEPTH, nested: bool = False) -> Found | None:
    """The key material ``text`` is, or None when it holds none (it is then a secret).

    ``nested``: the text was unwrapped or decoded, so JSON that is no key is not an error.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip(_WRAPPING)
    if not text:
        return None
    if text[0] in '{["':
        return _from_json(text, depth, nested)
    if text[0] in "'`":
        return _unquoted(text, depth)
    if "-----BEGIN" in text:
        # PEM from an environment variable or a JSON config keeps its line breaks as "\n"
        return read_pem(text.replace("\\n", "\n"))
    found = read_rfc4716(text) or read_ssh_lines(text)
    if found is None and depth > 0:
        found = _decoded(text, depth - 1)
    return found


def _secret(text: str, encoding: str) -> KeyInput:
    # A secret is used exactly as typed (utf8) or as decoded; surrounding whitespace counts for utf8.
    source = text if encoding == "utf8" else text.strip(_WRAPPING)
    raw = decode_secret(source, encoding)
    if not raw:
        raise InputError("key_empty", "The secret is empty; an empty HMAC key is never accepted", "key")
    key = OctKey(raw, raw)
    label = "HMAC secret" + ("" if encoding == "utf8" else f" ({encoding})")
    parsed = parsed_key(key, "oct", f"secret ({len(raw)} bytes)", len(raw) * 8, None)
    return KeyInput("secret", label, (parsed,), is_secret=True, secret_encoding=encoding)


def _public_half(parsed: ParsedKey) -> ParsedKey:
    if not parsed.private:
        return parsed
    # joserfc types the native key of each class loosely, hence the ignore.
    key = type(parsed.key)(parsed.key.public_key, parsed.key.as_dict(private=False))  # type: ignore[arg-type]
    return replace(parsed, key=key, private=False)


def parse_key(
    text: str,
    secret_encoding: str = "utf8",
    key_kind: str = "auto",
    *,
    max_size: int = DEFAULT_MAX_KEY,
) -> KeyInput:
    """Read the key text; raise InputError for text that cannot be read.

    ``key_kind`` "public" insists on asymmetric key material (a private key gives its public half);
    "secret" is recorded, but key material still reads as key material, so confusion is refused.
    """
    if len(text) > max_size:
        raise InputError(
            "key_too_large", f"The key is {len(text):,} characters; the limit is {max_size:,}", "key", too_large=True
        )
    if secret_encoding not in SECRET_ENCODINGS:
        raise InputError(
            "secret_encoding",
            f"Unknown secret encoding; use one of {', '.join(SECRET_ENCODINGS)}",
            "secret_encoding",
        )
    if key_kind not in KEY_KINDS:
        raise InputError("key_kind", f"Unknown key kind; use one of {', '.join(KEY_KINDS)}", "key_kind")
    if not text:
        raise InputError("key_empty", "The key is empty", "key")
    return _parse_exact(text, secret_encoding, key_kind)


# Every keystroke re-verifies with the very same key text: that repeat costs a dictionary lookup.
@lru_cache(maxsize=64)
def _parse_exact(text: str, secret_encoding: str, key_kind: str) -> KeyInput:
    found = _find(text)
    if found is None:
        if key_kind == "public":
            raise InputError(
                "key_kind",
                "You chose 'public key' but this reads as an HMAC secret: no PEM block, certificate, "
                "OpenSSH key, JWK or DER key was found in it",
                "key",
            )
        return _secret(text, secret_encoding)
    keys = found.keys
    if key_kind == "public":
        secret = next((k for k in keys if k.kty == "oct"), None)
        if secret is not None:
            where = f"key {secret.index + 1} of the {found.label}" if len(keys) > 1 else f"this {found.label}"
            raise InputError("key_kind", f"You chose 'public key' but {where} is an HMAC secret", "key")
        keys = tuple(_public_half(k) for k in keys)
    return KeyInput(found.form, found.label, keys, found.secret, cast(KeyKind, key_kind), found.public)
