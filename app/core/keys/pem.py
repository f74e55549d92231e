"""PEM blocks anywhere in a text (bundles, text around them), each read by what its DER is, not by its label."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace

from ..errors import InputError
from .cache import der_key, openssh_key
from .model import MAX_KEYS, Found, ParsedKey
from .native import public_pem

__all__ = ["read_pem"]

_PEM_WORDS = {
    "spki": "PEM public key (SPKI)",
    "pkcs1-public": "PEM public key (PKCS#1)",
    "pkcs8": "PEM private key (PKCS#8)",
    "pkcs1-private": "PEM private key (PKCS#1, RSA traditional)",
    "sec1": "PEM private key (SEC1, EC traditional)",
    "certificate": "X.509 certificate (its public key)",
}


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
            "(openssl pkey -in key.pem) and use the result",
            "key",
        )
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise _pem_error(label) from None
    if label == "OPENSSH PRIVATE KEY":
        parsed = openssh_key(der)
        return "OpenSSH private key", parsed, public_pem(parsed.key.public_key)
    try:
        read = der_key(der)
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


def read_pem(text: str) -> Found:
    """Every key block of the text; InputError when a block is damaged or none is a key."""
    blocks = _pem_blocks(text)
    parts = [_pem_part(label, headers, body) for label, headers, body in blocks if _is_key_label(label)]
    if not parts:
        label = blocks[0][0] if blocks else ""
        raise InputError(
            "key_pem",
            f"A PEM block labelled '{label[:40]}' is not a key; give a PUBLIC KEY, PRIVATE KEY or CERTIFICATE block",
            "key",
        )
    keys, public = _dedupe(parts)
    secret = any(parsed.private for _, parsed, _ in parts)
    if len(parts) == 1:
        words = parts[0][0]
        return Found("certificate" if words.startswith("X.509") else "pem", words, keys, secret, public)
    return Found("pem", f"PEM bundle: {' + '.join(words for words, _, _ in parts)}", keys, secret, public)
