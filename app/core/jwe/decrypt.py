"""Decrypting a compact JWE one stage at a time (content key, then content), so a failure names its stage."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from joserfc.errors import DecodeError, JoseError
from joserfc.jwa import (
    JWEAlgModel,
    JWEDirectEncryption,
    JWEEncModel,
    JWEKeyAgreement,
    JWEKeyEncryption,
    JWEKeyWrapping,
)
from joserfc.jwe import CompactEncryption, Recipient
from joserfc.jwk import Key

from ..attempts import KeyAttempt, KeyUsed, candidates
from ..findings import Finding, key_findings, sort_findings
from ..keyrules import forbidden_use
from ..keys import DEFAULT_MAX_KEY, KeyInput, parse_key
from ..tokens import DEFAULT_MAX_TOKEN
from .algorithms import DEFAULT_MAX_P2C, JWE_ALGORITHMS, JWE_ENCRYPTIONS, Registry, alg_family
from .checks import Failure, FailureCode, mismatch, prepare
from .parse import DecodedJWE, decode_jwe, short_salt
from .plaintext import DEFAULT_MAX_INFLATED, inflate, open_plaintext

__all__ = ["DecryptAttempt", "DecryptResult", "decrypt_decoded", "decrypt_jwe"]

#: one key's outcome: decrypted, failed or skipped (the type JWS verification shares)
DecryptAttempt = KeyAttempt


@dataclass(frozen=True)
class DecryptResult:
    """The outcome of decrypting; ``ok`` is False with a ``message`` when it could not be done."""

    ok: bool
    message: str
    token: DecodedJWE
    findings: tuple[Finding, ...]
    #: None when ok; otherwise what kind of failure
    failure: FailureCode | None = None
    #: the plaintext as text, or its base64url when it is not UTF-8 (see plaintext_is_base64url)
    plaintext: str | None = None
    plaintext_is_base64url: bool = False
    #: length of the plaintext in bytes (after inflating, for zip: DEF)
    plaintext_bytes: int = 0
    #: the plaintext as a JSON object (claims), when it is one
    payload: dict[str, Any] | None = None
    #: the plaintext is itself a compact JWS (a nested JWT): pass nested_token to verify()
    nested: bool = False
    nested_token: str | None = None
    #: "jws" or "jwe" when the plaintext is a compact token
    nested_kind: Literal["jws", "jwe"] | None = None
    key: KeyUsed | None = None
    attempts: tuple[DecryptAttempt, ...] = ()
    key_input: KeyInput | None = None
    #: what RFC 7518 forbids (a short salt, a small RSA key) that allow_weak_keys let through: testing only
    allowed_weak: tuple[str, ...] = ()

    @property
    def header(self) -> dict[str, Any]:
        return self.token.header


def _key_stage_message(alg: str, detail: str = "") -> str:
    family = alg_family(alg)
    if family == "rsa":
        text = f"the key does not fit {alg} (another key pair, or the encrypted key was changed)"
    elif family == "pbes2":
        text = (
            f"the password does not unwrap the content key ({alg}): wrong password, or p2s, p2c or the encrypted "
            "key was changed"
        )
    elif family == "gcmkw":
        text = (
            f"the key does not unwrap the content key ({alg}): the key-wrap tag does not match "
            "(wrong key, or the encrypted key or the header's iv/tag was changed)"
        )
    elif family == "ecdh":
        text = (
            f"the agreed key does not unwrap the content key ({alg}): wrong private key, or epk or the encrypted "
            "key was changed"
        )
    else:
        text = f"the key does not unwrap the content key ({alg}): wrong key, or the encrypted key was changed"
    return f"Decryption failed: {text}{detail}"


def _check_epk(token: DecodedJWE, key: Key) -> None:
    """The ephemeral key must be a valid public key on the recipient's curve; refused otherwise."""
    epk = token.header["epk"]
    try:
        type(key).import_key(epk)
    except (JoseError, ValueError, TypeError, KeyError, UnsupportedAlgorithm):
        raise Failure(
            "invalid",
            f"The header's epk is not a valid {str(epk.get('crv'))[:16]} public key (a point off the curve is "
            "refused: invalid-curve attack)",
        ) from None


def _content_key(alg: JWEAlgModel, enc: JWEEncModel, recipient: Recipient[Any], tag: bytes) -> bytes:
    """The CEK (RFC 7516 §5.2 steps 8-11), through joserfc's public algorithm models only."""
    if isinstance(alg, JWEKeyAgreement):
        if alg.direct_mode:  # ECDH-ES: the agreed key is the CEK
            return alg.decrypt_agreed_upon_key(enc, recipient)
        if alg.tag_aware:
            agreed = alg.decrypt_agreed_upon_key_with_tag(enc, recipient, tag)
        else:
            agreed = alg.decrypt_agreed_upon_key(enc, recipient)
        return alg.unwrap_cek_with_auk(recipient.encrypted_key or b"", agreed)
    if isinstance(alg, JWEDirectEncryption):
        return alg.compute_cek(enc.cek_size, recipient)
    assert isinstance(alg, (JWEKeyWrapping, JWEKeyEncryption)), type(alg).__name__
    return alg.decrypt_cek(recipient)


def _decrypt_with(token: DecodedJWE, key: Key, registry: Registry) -> bytes:
    """The (possibly still compressed) plaintext, or Failure naming the stage that failed."""
    alg, enc = token.header["alg"], token.header["enc"]
    obj = CompactEncryption(dict(token.header))
    recipient: Recipient[Key] = Recipient(obj)
    recipient.encrypted_key = token.encrypted_key
    recipient.recipient_key = key
    obj.recipient = recipient
    alg_model = registry.get_alg(alg)
    enc_model = registry.get_enc(enc)
    if alg_family(alg) == "ecdh":
        _check_epk(token, key)
    try:
        cek = _content_key(alg_model, enc_model, recipient, token.tag)
    except (JoseError, ValueError, TypeError, AssertionError, InvalidTag, UnsupportedAlgorithm):
        raise Failure("key_failed", _key_stage_message(alg)) from None
    if len(cek) * 8 != enc_model.cek_size:
        detail = f" (the recovered content key is {len(cek) * 8} bits; {enc} needs {enc_model.cek_size})"
        raise Failure("key_failed", _key_stage_message(alg, detail))
    aad = token.additional_data  # RFC 7516 §5.2 step 14: the encoded protected header (and JSON's aad)
    try:
        return enc_model.decrypt(token.ciphertext, token.tag, cek, token.iv, aad)
    except DecodeError:
        raise Failure(
            "tag_mismatch", "Decryption failed: the authentication tag does not match (wrong key, or tampered)"
        ) from None
    except ValueError:  # PKCS#7 unpadding, after the tag matched
        raise Failure(
            "padding_invalid",
            "Decryption failed: the tag matches but the padding inside the ciphertext is invalid "
            "(the sender's encryption is broken)",
        ) from None


def _result(
    token: DecodedJWE,
    findings: list[Finding],
    failure: Failure | None,
    **extra: Any,
) -> DecryptResult:
    if failure is not None:
        return DecryptResult(False, failure.message, token, sort_findings(findings), failure.code, **extra)
    return DecryptResult(True, extra.pop("message"), token, sort_findings(findings), **extra)


def decrypt_jwe(
    text: str,
    key_text: str | None,
    *,
    secret_encoding: str = "utf8",
    max_size: int = DEFAULT_MAX_TOKEN,
    max_key: int = DEFAULT_MAX_KEY,
    max_p2c: int = DEFAULT_MAX_P2C,
    max_inflated: int = DEFAULT_MAX_INFLATED,
    algorithms: Collection[str] | None = None,
    encryptions: Collection[str] | None = None,
    allow_weak_keys: bool = False,
) -> DecryptResult:
    """Decrypt a compact JWE; a failure to decrypt is ``ok=False``, InputError only for unreadable input.

    ``algorithms`` and ``encryptions`` are allowlists (default: all of JWE_ALGORITHMS and JWE_ENCRYPTIONS).
    For PBES2 the key is the password, as typed (or as decoded with ``secret_encoding``). What RFC 7518 forbids
    (a PBES2 salt under 8 octets, an RSA key under 2048 bits) is not decrypted unless ``allow_weak_keys``
    (testing only).
    """
    token = decode_jwe(text, max_size=max_size)
    key_input = None if key_text is None else parse_key(key_text, secret_encoding, max_size=max_key)
    return decrypt_decoded(
        token,
        key_input,
        max_p2c=max_p2c,
        max_inflated=max_inflated,
        algorithms=algorithms,
        encryptions=encryptions,
        allow_weak_keys=allow_weak_keys,
    )


def decrypt_decoded(
    token: DecodedJWE,
    key_input: KeyInput | None,
    *,
    max_p2c: int = DEFAULT_MAX_P2C,
    max_inflated: int = DEFAULT_MAX_INFLATED,
    algorithms: Collection[str] | None = None,
    encryptions: Collection[str] | None = None,
    allow_weak_keys: bool = False,
) -> DecryptResult:
    """decrypt_jwe's work on a token already taken apart (one recipient of a JSON serialization too)."""
    findings = list(token.findings)
    allowed_algs = tuple(a for a in (algorithms or JWE_ALGORITHMS) if a in JWE_ALGORITHMS)
    allowed_encs = tuple(e for e in (encryptions or JWE_ENCRYPTIONS) if e in JWE_ENCRYPTIONS)
    try:
        registry = prepare(token, allowed_algs, allowed_encs, max_p2c)
    except Failure as failure:
        return _result(token, findings, failure)
    weak_salt = short_salt(token.header) if alg_family(token.header["alg"]) == "pbes2" else None
    if weak_salt is not None and not allow_weak_keys:  # no key would make it allowed
        return _result(token, findings, Failure("forbidden", f"Not decrypted: {weak_salt}"))
    if key_input is None:
        return _result(
            token,
            findings,
            Failure("no_key", "No key given: decrypting needs the private key, the secret or (PBES2) the password"),
        )
    # "sign": the key is used with its private half, so "private key pasted to verify" does not apply
    findings += key_findings(key_input, None, "sign")
    alg, enc = token.header["alg"], token.header["enc"]
    chosen, attempts = candidates(key_input, token.kid)
    if not chosen:
        kids = ", ".join(repr(k.kid) for k in key_input.keys if k.kid) or "none"
        return _result(
            token,
            findings,
            Failure("no_usable_key", f"No key in the JWKS has kid '{token.kid}' (kids present: {kids})"),
            attempts=tuple(attempts),
            key_input=key_input,
        )
    last: Failure | None = None
    forbidden: str | None = None
    for parsed in chosen:
        reason = mismatch(alg, enc, token.header, parsed, "decrypt", token.encrypted_key)
        if reason is not None:
            attempts.append(DecryptAttempt(parsed.index, parsed.kid, parsed.description, "skipped", reason))
            continue
        weak_key = forbidden_use(parsed, alg)
        if weak_key is not None and not allow_weak_keys:
            attempts.append(
                DecryptAttempt(parsed.index, parsed.kid, parsed.description, "skipped", f"not decrypted: {weak_key}")
            )
            forbidden = forbidden or weak_key
            continue
        try:
            data = _decrypt_with(token, parsed.key, registry)
        except Failure as failure:
            if failure.code == "invalid":  # about the token, not the key: no other key will do better
                return _result(token, findings, failure, attempts=tuple(attempts), key_input=key_input)
            attempts.append(DecryptAttempt(parsed.index, parsed.kid, parsed.description, "failed", failure.message))
            last = failure
            continue
        attempts.append(DecryptAttempt(parsed.index, parsed.kid, parsed.description, "decrypted", "decrypted"))
        used = KeyUsed(parsed.kid, parsed.thumbprint, key_input.label, parsed.description)
        allowed = tuple(weak for weak in (weak_salt, weak_key) if weak is not None)
        extra: dict[str, Any] = {
            "key": used,
            "attempts": tuple(attempts),
            "key_input": key_input,
            "allowed_weak": allowed,
        }
        try:
            if token.zip == "DEF":
                data, inflate_findings = inflate(data, max_inflated)
                findings += inflate_findings
        except Failure as failure:
            return _result(token, findings, failure, **extra)
        fields, plaintext_findings = open_plaintext(token, data)
        findings += plaintext_findings
        which = f" (kid '{parsed.kid}')" if key_input.is_set and parsed.kid else ""
        message = f"Decrypted with the {key_input.label}{which}: {parsed.description}"
        if allowed:
            message += f" (allowed as weak, by allow_weak_keys: {'; '.join(allowed)})"
        return _result(token, findings, None, message=message, **extra, **fields)
    if forbidden is not None:  # the key that may have fitted is one the RFC forbids: say that, not "wrong key"
        last = Failure("forbidden", f"Not decrypted: {forbidden}")
    elif last is None:
        reasons = "; ".join(dict.fromkeys(a.reason for a in attempts if a.outcome == "skipped"))
        last = Failure("no_usable_key", f"Decryption failed: no usable key: {reasons}")
    elif sum(a.outcome == "failed" for a in attempts) > 1:
        last = Failure(last.code, f"Decryption failed with every key given; the last: {last.message}")
    return _result(token, findings, last, attempts=tuple(attempts), key_input=key_input)
