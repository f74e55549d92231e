"""JWE JSON serialization (RFC 7516 §7.2): several recipients, a shared unprotected header, ``aad``.

Each recipient becomes a DecodedJWE of its own (the three headers merged, its encrypted key), so the compact
decryption runs unchanged; the first recipient a key decrypts is named.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jwe
from joserfc.errors import JoseError

from ..b64 import Segment, decode_segment
from ..errors import InputError
from ..findings import Finding, sort_findings
from ..jsonparse import json_kind
from ..keys import DEFAULT_MAX_KEY, KeyInput, parse_key
from ..tokens import header_object
from .algorithms import DEFAULT_MAX_P2C, Registry
from .decrypt import DecryptResult, decrypt_decoded
from .encrypt import encrypt_jwe, pick_for_encrypt
from .parse import DecodedJWE, examined

__all__ = ["JWEJSON", "MAX_RECIPIENTS", "RecipientsResult", "decode_jwe_json", "decrypt_jwe_json", "encrypt_jwe_json"]

#: recipients tried per token: each may cost a key derivation (PBES2 is bounded separately)
MAX_RECIPIENTS = 16
_SECURITY_MEMBERS = ("alg", "enc", "zip", "kid", "jku", "jwk", "x5u", "x5c", "epk", "p2c", "p2s", "cty")


@dataclass(frozen=True)
class JWEJSON:
    serialization: Literal["flattened", "general"]
    protected: dict[str, Any]
    #: the shared unprotected header (``unprotected``): NOT integrity-protected
    unprotected: dict[str, Any]
    #: per recipient: its own unprotected header and the token as the decryptor sees it
    headers: tuple[dict[str, Any], ...]
    recipients: tuple[DecodedJWE, ...]
    aad: str | None
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class RecipientsResult:
    jwe: JWEJSON
    #: one result per recipient tried, in order (the search stops at the first that decrypts)
    results: tuple[DecryptResult, ...]
    #: the index of the recipient whose key decrypted, or None
    index: int | None

    @property
    def decrypted(self) -> DecryptResult:
        return self.results[self.index] if self.index is not None else self.results[-1]


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError("header_not_object", f"The {where} must be a JSON object (it is {json_kind(value)})", where)
    return value


def _segment(value: Any, name: str, *, optional: bool = False) -> Segment:
    if value is None and optional:
        return Segment("", b"", True)
    if not isinstance(value, str):
        raise InputError("member_not_string", f"The JWE's {name} must be a base64url string", name)
    return decode_segment(value, name)


def decode_jwe_json(value: dict[str, Any]) -> JWEJSON:
    """Take a JWE JSON serialization apart, or raise InputError naming the member at fault."""
    general = "recipients" in value
    if general and ("header" in value or "encrypted_key" in value):
        raise InputError(
            "mixed_serialization", "The JWE has both 'recipients' and top-level recipient members", "token"
        )
    entries = value["recipients"] if general else [value]
    if not isinstance(entries, list) or not entries:
        raise InputError("recipients_empty", "'recipients' must be a non-empty array", "token")
    if len(entries) > MAX_RECIPIENTS:
        raise InputError("too_many_recipients", f"{len(entries)} recipients; at most {MAX_RECIPIENTS}", "token")
    protected_text = value.get("protected")
    if protected_text is not None:
        if not isinstance(protected_text, str):
            raise InputError("member_not_string", "The JWE's protected header must be a base64url string", "header")
        header_seg, _, parsed = header_object(protected_text)
        protected: dict[str, Any] = parsed.value
    else:
        header_seg, protected = Segment("", b"", True), {}
    shared = _object(value.get("unprotected", {}), "unprotected")
    aad = value.get("aad")
    if aad is not None:
        _segment(aad, "aad")
    iv, ciphertext, tag = (_segment(value.get(n), n, optional=n != "ciphertext") for n in ("iv", "ciphertext", "tag"))
    headers, recipients, findings = [], [], []
    for index, entry in enumerate(entries):
        where = f"recipients[{index}]"
        entry = _object(entry, where)
        own = _object(entry.get("header", {}), f"{where}.header")
        overlap = (protected.keys() & shared.keys()) | (protected.keys() & own.keys()) | (shared.keys() & own.keys())
        if overlap:
            names = ", ".join(sorted(n[:32] for n in overlap)[:5])
            raise InputError(
                "header_overlap", f"{where}: {names} set in two headers; RFC 7516 §7.2.1 forbids it", where
            )
        header = {**protected, **shared, **own}
        encrypted_key = _segment(entry.get("encrypted_key"), "encrypted_key", optional=True)
        decoded = DecodedJWE(
            text="",
            header=header,
            header_text=json.dumps(header),
            segments=(header_seg, encrypted_key, iv, ciphertext, tag),
            alg=header.get("alg") if isinstance(header.get("alg"), str) else None,
            enc=header.get("enc") if isinstance(header.get("enc"), str) else None,
            zip=header.get("zip") if isinstance(header.get("zip"), str) else None,
            kid=header.get("kid") if isinstance(header.get("kid"), str) else None,
            cty=header.get("cty") if isinstance(header.get("cty"), str) else None,
            aad=aad,
        )
        headers.append(own)
        recipients.append(examined(decoded))
        exposed = [n for n in _SECURITY_MEMBERS if n in own or n in shared]
        if exposed:
            findings.append(
                Finding(
                    "unprotected_header",
                    "info",
                    f"Recipient {index}: {', '.join(exposed)} outside the protected header; they are not "
                    "authenticated by the tag (usual for alg and kid per recipient, risky for enc or zip)",
                    "Put enc, zip and cty in the protected header",
                    where,
                )
            )
    return JWEJSON(
        "general" if general else "flattened",
        protected,
        shared,
        tuple(headers),
        tuple(recipients),
        aad,
        sort_findings(findings),
    )


def decrypt_jwe_json(
    token: JWEJSON,
    key_input: KeyInput | None,
    *,
    algorithms: Collection[str] | None = None,
    encryptions: Collection[str] | None = None,
    allow_weak_keys: bool = False,
) -> RecipientsResult:
    """Try the keys on each recipient in turn; stop at the first that decrypts."""
    results = []
    for index, recipient in enumerate(token.recipients):
        result = decrypt_decoded(
            recipient, key_input, algorithms=algorithms, encryptions=encryptions, allow_weak_keys=allow_weak_keys
        )
        results.append(result)
        if result.ok:
            return RecipientsResult(token, tuple(results), index)
    return RecipientsResult(token, tuple(results), None)


def encrypt_jwe_json(
    protected: dict[str, Any],
    plaintext: str | bytes,
    recipients: Sequence[tuple[dict[str, Any], str]],
    serialization: Literal["flattened", "general"],
    *,
    unprotected: dict[str, Any] | None = None,
    aad: bytes | None = None,
    secret_encoding: str = "utf8",
    max_key: int = DEFAULT_MAX_KEY,
) -> str:
    """One content key wrapped for each (header, key) recipient; flattened takes exactly one."""
    if not recipients or (serialization == "flattened" and len(recipients) != 1):
        raise InputError("recipients_count", "flattened takes one recipient, general one or more", "recipients")
    if len(recipients) > MAX_RECIPIENTS:
        raise InputError("too_many_recipients", f"at most {MAX_RECIPIENTS} recipients", "recipients")
    data = plaintext.encode("utf-8", "surrogatepass") if isinstance(plaintext, str) else plaintext
    cls = jwe.GeneralJSONEncryption if serialization == "general" else jwe.FlattenedJSONEncryption
    obj = cls(dict(protected), data, dict(unprotected) if unprotected else None, aad)
    algs = set()
    for index, (header, key_text) in enumerate(recipients):
        merged = {**protected, **(unprotected or {}), **header}
        try:  # the compact checks (alg, enc, key fit, weak keys) on this recipient's merged header
            encrypt_jwe(merged, b"", key_text, secret_encoding=secret_encoding, max_key=max_key)
        except InputError as exc:
            raise InputError(
                exc.problem.code, f"Recipient {index}: {exc.problem.message}", exc.problem.segment
            ) from None
        parsed = pick_for_encrypt(parse_key(key_text, secret_encoding, max_size=max_key), merged)
        obj.add_recipient(dict(header) or None, parsed.key)
        algs.add(merged["alg"])
    registry = Registry((*algs, protected.get("enc") or (unprotected or {}).get("enc", ""), "DEF"), DEFAULT_MAX_P2C)
    try:
        return json.dumps(jwe.encrypt_json(obj, None, registry=registry), separators=(",", ":"))
    except (JoseError, ValueError, TypeError) as exc:
        detail = exc.description if isinstance(exc, JoseError) else type(exc).__name__
        raise InputError("encrypt_failed", f"Encryption failed: {detail}", "header") from None
