"""OpenSSH keys: authorized_keys lines (options in front), certificates, RFC 4716 blocks, bare blobs, private keys."""

from __future__ import annotations

import base64
import binascii
import string
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    SSHCertificate,
    load_ssh_private_key,
    load_ssh_public_identity,
)

from ..errors import InputError
from .model import MAX_KEYS, Found, ParsedKey
from .native import checked_rsa, parsed_from_native, public_pem

__all__ = ["read_openssh_private", "read_rfc4716", "read_ssh_blob", "read_ssh_lines"]

_CERT = "-cert-v01@openssh.com"
#: key type names OpenSSH writes; used only to tell a damaged key from text that is no key at all
_KEY_TYPES = frozenset(
    {
        "ssh-rsa",
        "ssh-dss",
        "ssh-ed25519",
        "ssh-ed448",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
#: the shortest base64 key blob (an Ed25519 key is 68 characters); shorter fields are not tried
_MIN_BLOB = 40
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/=")
_RFC4716_BEGIN = "---- BEGIN SSH2 PUBLIC KEY ----"
_RFC4716_END = "---- END SSH2 PUBLIC KEY ----"


def _known(name: str) -> bool:
    return name.removesuffix(_CERT) in _KEY_TYPES


def _ssh_error(message: str) -> InputError:
    return InputError("key_ssh", message, "key")


def _fields(line: str, limit: int = 3) -> list[str]:
    """The first ``limit`` fields of an authorized_keys line; a double-quoted option keeps its spaces."""
    fields: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in line:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            if current:
                fields.append("".join(current))
                current = []
                if len(fields) == limit:
                    return fields
            continue
        current.append(ch)
    if current:
        fields.append("".join(current))
    return fields


def _identity(key_type: str, blob: str) -> tuple[Any, bool]:
    """The public key and whether it came from a certificate; ValueError or UnsupportedAlgorithm otherwise."""
    loaded = load_ssh_public_identity(f"{key_type} {blob}".encode("utf-8", "surrogatepass"))
    if isinstance(loaded, SSHCertificate):
        return loaded.public_key(), True
    return loaded, False


def _damaged(key_type: str, blob: str) -> bool:
    """A known key type before what starts like a blob (its type name's length: "AAAA"): a damaged key."""
    return _known(key_type) and blob.startswith("AAAA") and _BASE64.issuperset(blob)


def _line_key(line: str, number: int) -> tuple[Any, bool, bool] | None:
    """(native key, from a certificate, had options) for one line, None if the line is not an OpenSSH key."""
    fields = _fields(line)
    for start in (0, 1):  # authorized_keys options, when present, are the first field
        if len(fields) < start + 2:
            break
        if len(fields[start + 1]) < _MIN_BLOB and not _damaged(fields[start], fields[start + 1]):
            continue
        try:
            native, cert = _identity(fields[start], fields[start + 1])
        except (ValueError, UnsupportedAlgorithm):
            if _damaged(fields[start], fields[start + 1]):
                raise _ssh_error(f"The OpenSSH public key on line {number} could not be read") from None
            continue
        return native, cert, start == 1
    if 1 <= len(fields) <= 2 and _known(fields[-1]):
        raise _ssh_error(f"The OpenSSH public key on line {number} has no base64 key after its type")
    return None


def _found(natives: list[Any], label: str) -> Found:
    keys = tuple(parsed_from_native(n, index=i) for i, n in enumerate(natives))
    return Found("ssh", label, keys, False, "".join(public_pem(n) for n in natives))


def read_ssh_lines(text: str) -> Found | None:
    """OpenSSH public key lines (an authorized_keys file); None when no line is one."""
    natives: list[Any] = []
    others: list[int] = []
    cert = options = False
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        read = _line_key(line, number)
        if read is None:
            others.append(number)
            continue
        natives.append(read[0])
        cert, options = cert or read[1], options or read[2]
        if len(natives) > MAX_KEYS:
            raise _ssh_error(f"The text holds more than {MAX_KEYS} OpenSSH keys")
    if not natives:
        return None
    if others:
        raise _ssh_error(f"Line {others[0]} is not an OpenSSH public key, but other lines are")
    if len(natives) > 1:
        return _found(natives, f"authorized_keys lines ({len(natives)} keys)")
    if cert:
        return _found(natives, "OpenSSH certificate (its public key)")
    return _found(natives, "OpenSSH public key" + (" (authorized_keys line with options)" if options else ""))


def read_ssh_blob(blob: bytes) -> tuple[Any, bool] | None:
    """The key in an SSH wire-format blob (the base64 part of a key line), None if ``blob`` is not one."""
    if len(blob) < 8:
        return None
    size = int.from_bytes(blob[:4], "big")
    name = blob[4 : 4 + size]
    if not 1 <= size <= 64 or len(name) != size or not name.isascii() or not name.decode().isprintable():
        return None
    try:
        return _identity(name.decode(), base64.b64encode(blob).decode())
    except (ValueError, UnsupportedAlgorithm):
        if _known(name.decode()):
            raise _ssh_error(f"The {name.decode()} key blob could not be read: it is damaged or truncated") from None
        return None


def read_rfc4716(text: str) -> Found | None:
    """RFC 4716 '---- BEGIN SSH2 PUBLIC KEY ----' blocks (headers and continuation lines skipped)."""
    natives: list[Any] = []
    position = text.find(_RFC4716_BEGIN)
    while position >= 0:
        end = text.find(_RFC4716_END, position)
        if end < 0:
            raise _ssh_error(f"The SSH2 public key block has no '{_RFC4716_END}' line")
        body: list[str] = []
        continuing = False
        for raw in text[position + len(_RFC4716_BEGIN) : end].split("\n"):
            line = raw.strip()
            if continuing or ":" in line:  # a header, or the rest of one (RFC 4716 §3.3)
                continuing = line.endswith("\\")
                continue
            body.append(line)
        try:
            blob = base64.b64decode("".join(body), validate=True)
        except (binascii.Error, ValueError):
            blob = b""
        read = read_ssh_blob(blob)
        if read is None:
            raise _ssh_error("The SSH2 public key block could not be read: its base64 body is damaged")
        natives.append(read[0])
        if len(natives) > MAX_KEYS:
            raise _ssh_error(f"The text holds more than {MAX_KEYS} SSH2 public key blocks")
        position = text.find(_RFC4716_BEGIN, end)
    if not natives:
        return None
    count = "" if len(natives) == 1 else f" ({len(natives)} keys)"
    return _found(natives, f"RFC 4716 SSH2 public key{count}")


def read_openssh_private(body: bytes) -> ParsedKey:
    """An OPENSSH PRIVATE KEY block's decoded body."""
    encoded = base64.b64encode(body).decode()
    wrapped = "\n".join(encoded[i : i + 70] for i in range(0, len(encoded), 70))
    pem = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{wrapped}\n-----END OPENSSH PRIVATE KEY-----\n".encode()
    try:
        native: Any = load_ssh_private_key(pem, None, unsafe_skip_rsa_key_validation=True)
        if isinstance(native, rsa.RSAPrivateKey):
            native = checked_rsa(native)
    except TypeError:
        raise InputError(
            "key_encrypted",
            "The OpenSSH private key is encrypted with a passphrase; decrypt it first "
            "(ssh-keygen -p -N '' -f key) and use the result",
            "key",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(
            "key_pem", "The OpenSSH private key could not be read: its base64 body or its structure is damaged", "key"
        ) from None
    return parsed_from_native(native)
