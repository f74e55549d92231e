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
from typing import NamedTuple

from joserfc.jwk import OctKey

from ..errors import InputError
from ..jsonparse import parse_json
from .jwk import read_json_keys
from .model import DEFAULT_MAX_KEY, KEY_KINDS, MAX_KEYS, SECRET_ENCODINGS, Found, KeyInput, ParsedKey
from .native import DerKey, parsed_from_native, parsed_key, public_pem, read_der
from .secret import decode_secret
from .ssh import read_openssh_private, read_rfc4716, read_ssh_blob, read_ssh_lines

__all__ = ["CacheInfo", "cache_info", "parse_key"]

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
_PEM_WORDS = {
    "spki": "PEM public key (SPKI)",
    "pkcs1-public": "PEM public key (PKCS#1)",
    "pkcs8": "PEM private key (PKCS#8)",
    "pkcs1-private": "PEM private key (PKCS#1, RSA traditional)",
    "sec1": "PEM private key (SEC1, EC traditional)",
    "certificate": "X.509 certificate (its public key)",
}


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    currsize: int


# The expensive part of reading a key (cryptography checking an RSA private key costs a quarter of a
# second at 4096 bits) is cached by the key's canonical bytes, so re-wrapped or re-indented text hits.
@lru_cache(maxsize=128)
def _der(der: bytes) -> DerKey | None:
    return read_der(der)


@lru_cache(maxsize=64)
def _json(canonical: str) -> Found | None:
    return read_json_keys(json.loads(canonical))


@lru_cache(maxsize=32)
def _openssh(body: bytes) -> ParsedKey:
    return read_openssh_private(body)


def cache_info() -> CacheInfo:
    """Hits and misses of the parsed-key caches, summed."""
    infos = [_der.cache_info(), _json.cache_info(), _openssh.cache_info()]
    return CacheInfo(sum(i.hits for i in infos), sum(i.misses for i in infos), sum(i.currsize for i in infos))


def _pem_error(label: str) -> InputError:
    what = {"CERTIFICATE": "certificate", "PUBLIC KEY": "public key", "RSA PUBLIC KEY": "RSA public key"}.get(
        label, "private key" if label.endswith("PRIVATE KEY") else "key"
    )
    return InputError(
        "key_pem",
        f"The PEM {what} could not be read: its base64 body or its structure is damaged "
        "(check that the whole block, BEGIN to END, was copied)",
        "key",
    )


def _pem_blocks(text: str) -> list[tuple[str, list[str], str]]:
    """(label, header lines, base64 body) of every PEM block, in one pass over the text."""
    blocks: list[tuple[str, list[str], str]] = []
    position = text.find("-----BEGIN")
    while position >= 0:
        label_end = text.find("-----", position + 10)
        label = text[position + 10 : label_end].strip() if label_end >= 0 else ""
        if not label or len(label) > 64 or not all(c.isupper() or c.isdigit() or c in " #" for c in label):
            raise InputError("key_pem", "The PEM block has no readable '-----BEGIN ...-----' line", "key")
        end_marker = f"-----END {label}-----"
        end = text.find(end_marker, label_end + 5)
        if end < 0:
            raise InputError("key_pem", f"The PEM block '{label}' has no '{end_marker}' line", "key")
        lines = [line.strip() for line in text[label_end + 5 : end].split("\n")]
        headers = [line for line in lines if ":" in line]
        blocks.append((label, headers, "".join(line for line in lines if ":" not in line)))
        if len(blocks) > MAX_KEYS:
            raise InputError("key_pem", f"The text holds more than {MAX_KEYS} PEM blocks", "key")
        position = text.find("-----BEGIN", end + len(end_marker))
    return blocks


def _is_key_label(label: str) -> bool:
    return label.endswith(("PRIVATE KEY", "PUBLIC KEY")) or label in ("CERTIFICATE", "X509 CERTIFICATE")


def _pem_part(label: str, headers: list[str], body: str) -> tuple[str, ParsedKey, str]:
    """(words for the label, the key, its public form as PEM) of one key block."""
    if label == "ENCRYPTED PRIVATE KEY" or any(h.startswith("Proc-Type") and "ENCRYPTED" in h for h in headers):
        raise InputError(
            "key_encrypted",
            "The private key is encrypted with a passphrase; decrypt it first "
            "(openssl pkey -in key.pem) and paste the result",
            "key",
        )
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise _pem_error(label) from None
    if label == "OPENSSH PRIVATE KEY":
        parsed = _openssh(der)
        return "OpenSSH private key", parsed, public_pem(parsed.key.public_key)
    try:
        read = _der(der)
    except InputError as exc:
        if exc.problem.code == "key_der":
            raise _pem_error(label) from None
        raise
    if read is None:
        raise _pem_error(label)
    return _PEM_WORDS[read.shape], read.parsed, read.public_pem


def _dedupe(parts: list[tuple[str, ParsedKey, str]]) -> tuple[tuple[ParsedKey, ...], str]:
    """One key per thumbprint (a private key stands for its certificate), and the public PEMs, one each."""
    keys: dict[str, ParsedKey] = {}
    publics: dict[str, str] = {}
    for _, parsed, pem in parts:
        known = keys.get(parsed.thumbprint)
        if known is None or (parsed.private and not known.private):
            keys[parsed.thumbprint] = parsed
        if parsed.thumbprint not in publics or "CERTIFICATE" in pem:
            publics[parsed.thumbprint] = pem
    ordered = tuple(replace(k, index=i) for i, k in enumerate(keys.values()))
    return ordered, "".join(publics.values())


def _pem(text: str) -> Found:
    blocks = _pem_blocks(text)
    parts = [_pem_part(label, headers, body) for label, headers, body in blocks if _is_key_label(label)]
    if not parts:
        label = blocks[0][0] if blocks else ""
        raise InputError(
            "key_pem",
            f"A PEM block labelled '{label[:40]}' is not a key; paste a PUBLIC KEY, PRIVATE KEY or CERTIFICATE block",
            "key",
        )
    keys, public = _dedupe(parts)
    secret = any(parsed.private for _, parsed, _ in parts)
    if len(parts) == 1:
        words = parts[0][0]
        return Found("certificate" if words.startswith("X.509") else "pem", words, keys, secret, public)
    return Found("pem", f"PEM bundle: {' + '.join(words for words, _, _ in parts)}", keys, secret, public)


def _from_bytes(raw: bytes, spelling: str, depth: int) -> Found | None:
    read = _der(raw)
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
    return _json(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


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
        return _pem(text.replace("\\n", "\n"))
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
    return KeyInput("secret", label, (parsed,), is_secret=True)


def _public_half(parsed: ParsedKey) -> ParsedKey:
    if not parsed.private:
        return parsed
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
    return KeyInput(found.form, found.label, keys, found.secret, key_kind, found.public)  # type: ignore[arg-type]
