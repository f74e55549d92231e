"""JWE compact tokens: taken apart without a key, decrypted with one, and made (encrypt).

joserfc has no unverified JWE parse, so ``decode_jwe`` is ours. Decryption runs joserfc's algorithm models
one stage at a time (content key, then content) so a failure can say which stage failed; jwtlens applies its
own limits first: a PBES2 iteration ceiling checked before any key derivation, and DEFLATE inflated here with
a hard cap instead of joserfc's fixed 250 KB.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Literal

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from joserfc import jwe
from joserfc._rfc7516.message import decrypt_recipient
from joserfc.errors import DecodeError, JoseError
from joserfc.jwa import JWEAlgModel, JWEEncModel
from joserfc.jwe import CompactEncryption, JWERegistry, Recipient
from joserfc.jwk import Key
from joserfc.registry import Header, HeaderParameter, check_registry_header

from .algorithms import SUPPORTED as JWS_ALGORITHMS
from .b64 import Segment, b64url_encode, decode_segment
from .errors import InputError
from .findings import Finding, envelope_findings, key_findings, sort_findings
from .jsonparse import Duplicate, parse_json
from .keys import DEFAULT_MAX_KEY, KeyInput, ParsedKey, parse_key
from .tokens import DEFAULT_MAX_TOKEN, decode_token, extract_sized, header_object, segment_count_problem
from .verify import KeyUsed

__all__ = [
    "DEFAULT_MAX_INFLATED",
    "DEFAULT_MAX_P2C",
    "JWE_ALGORITHMS",
    "JWE_ENCRYPTIONS",
    "DecodedJWE",
    "DecryptAttempt",
    "DecryptResult",
    "decode_jwe",
    "decrypt_jwe",
    "encrypt_jwe",
]

#: key-management algorithms (RFC 7518 §4)
JWE_ALGORITHMS: tuple[str, ...] = (
    "RSA-OAEP",
    "RSA-OAEP-256",
    "RSA1_5",
    "A128KW",
    "A192KW",
    "A256KW",
    "A128GCMKW",
    "A192GCMKW",
    "A256GCMKW",
    "dir",
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A192KW",
    "ECDH-ES+A256KW",
    "PBES2-HS256+A128KW",
    "PBES2-HS384+A192KW",
    "PBES2-HS512+A256KW",
)
#: content-encryption algorithms (RFC 7518 §5)
JWE_ENCRYPTIONS: tuple[str, ...] = (
    "A128CBC-HS256",
    "A192CBC-HS384",
    "A256CBC-HS512",
    "A128GCM",
    "A192GCM",
    "A256GCM",
)
#: PBKDF2 iterations jwtlens will run; more is refused before any derivation (a huge p2c is a denial of service)
DEFAULT_MAX_P2C = 310_000
#: bytes a zip: DEF plaintext may inflate to
DEFAULT_MAX_INFLATED = 1_048_576

Family = Literal["rsa", "aeskw", "gcmkw", "dir", "ecdh", "pbes2"]
FailureCode = Literal[
    "invalid",  # the token's structure or header is wrong: no key would help
    "refused",  # a limit or the allowlist: alg, enc, p2c
    "no_key",
    "no_usable_key",
    "key_failed",  # the content key could not be recovered with the key given
    "tag_mismatch",
    "padding_invalid",
    "inflate_failed",
]

_SEGMENT_NAMES = ("header", "encrypted_key", "iv", "ciphertext", "tag")
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_COMPACT_JWE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){4}")
#: joserfc's get_op_key checks these key_ops; asking first gives a clear reason instead of a failed stage
_KEY_OPS: dict[tuple[Family, str], str] = {
    ("rsa", "decrypt"): "decrypt",
    ("rsa", "encrypt"): "encrypt",
    ("aeskw", "decrypt"): "unwrapKey",
    ("aeskw", "encrypt"): "wrapKey",
    ("gcmkw", "decrypt"): "unwrapKey",
    ("gcmkw", "encrypt"): "wrapKey",
    ("pbes2", "decrypt"): "deriveKey",
    ("pbes2", "encrypt"): "deriveKey",
    ("ecdh", "encrypt"): "deriveKey",
}


def _family(alg: str) -> Family:
    if alg.startswith("RSA"):
        return "rsa"
    if alg.startswith("ECDH-ES"):
        return "ecdh"
    if alg.startswith("PBES2"):
        return "pbes2"
    if alg == "dir":
        return "dir"
    return "gcmkw" if alg.endswith("GCMKW") else "aeskw"


def _wrap_bits(alg: str) -> int:
    """The AES key size of a wrapping alg: A128KW -> 128, ECDH-ES+A256KW -> 256, PBES2-HS384+A192KW -> 192."""
    match = re.search(r"A(128|192|256)(?:GCM)?KW$", alg)
    assert match is not None, alg
    return int(match.group(1))


def _enc_model(enc: str) -> JWEEncModel:
    return JWERegistry.algorithms["enc"][enc]


def _cek_bytes(enc: str) -> int:
    return _enc_model(enc).cek_size // 8


def _tag_bytes(enc: str) -> int:
    return 16 if enc.endswith("GCM") else _cek_bytes(enc) // 2


class _Registry(JWERegistry):
    """joserfc's registry with jwtlens's rules.

    No SecurityWarning: RSA1_5 and a low p2c become findings. jwtlens's own p2c ceiling replaces joserfc's
    fixed 300,000. Header names joserfc does not know are allowed (a debugger shows them); crit is checked
    by jwtlens before this registry is used.
    """

    def __init__(self, allowed: Collection[str], max_p2c: int):
        super().__init__(algorithms=list(allowed), strict_check_header=False)
        self.max_p2c = max_p2c

    def get_alg(self, name: str) -> JWEAlgModel:
        if name not in self.algorithms["alg"] or name not in (self.allowed or ()):
            return super().get_alg(name)  # raises UnsupportedAlgorithmError
        return self.algorithms["alg"][name]

    def _check_p2c(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("must be a positive integer")
        if value > self.max_p2c:
            raise ValueError(f"must be at most {self.max_p2c:,}")

    def check_header(self, header: Header, check_more: bool = False) -> None:
        check_registry_header(self.header_registry, header)
        more = dict(self.get_alg(header["alg"]).more_header_registry)
        if "p2c" in more:
            more["p2c"] = HeaderParameter("PBES2 Count", self._check_p2c, True)
        check_registry_header(more, header, check_more)


@dataclass(frozen=True)
class DecodedJWE:
    """A compact JWE taken apart without a key: only the protected header can be read."""

    text: str
    header: dict[str, Any]
    header_text: str
    #: header, encrypted_key, iv, ciphertext, tag
    segments: tuple[Segment, Segment, Segment, Segment, Segment]
    alg: str | None
    enc: str | None
    zip: str | None
    kid: str | None
    cty: str | None
    source: str | None = None
    in_query: bool = False
    duplicates: tuple[Duplicate, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def encrypted_key(self) -> bytes:
        return self.segments[1].raw

    @property
    def iv(self) -> bytes:
        return self.segments[2].raw

    @property
    def ciphertext(self) -> bytes:
        return self.segments[3].raw

    @property
    def tag(self) -> bytes:
        return self.segments[4].raw


@dataclass(frozen=True)
class DecryptAttempt:
    """Why one key of the user's did or did not decrypt."""

    index: int
    kid: str | None
    description: str
    outcome: Literal["decrypted", "failed", "skipped"]
    reason: str


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

    @property
    def header(self) -> dict[str, Any]:
        return self.token.header


class _Failure(Exception):
    def __init__(self, code: FailureCode, message: str):
        super().__init__(message)
        self.code: FailureCode = code
        self.message = message


# --------------------------------------------------------------------------------------------------------------
# decode: no key
# --------------------------------------------------------------------------------------------------------------


def _str_member(header: dict[str, Any], name: str) -> str | None:
    value = header.get(name)
    return value if isinstance(value, str) else None


def decode_jwe(text: str, *, max_size: int = DEFAULT_MAX_TOKEN) -> DecodedJWE:
    """Take a compact JWE apart, or raise InputError saying what is wrong and where."""
    found = extract_sized(text, max_size, "JWE (five base64url parts separated by dots)")
    token = found.token
    parts = token.split(".")
    if len(parts) == 3:
        raise InputError(
            "token_is_jws", "This is a signed token (JWS, three segments), not an encrypted one (JWE)", "token"
        )
    if len(parts) != 5:
        raise segment_count_problem(parts, "JWE", 5)
    header_segment, header_text, parsed = header_object(parts[0])
    segments = (
        header_segment,
        *(decode_segment(part, name) for part, name in zip(parts[1:], _SEGMENT_NAMES[1:], strict=True)),
    )
    header: dict[str, Any] = parsed.value
    decoded = DecodedJWE(
        text=token,
        header=header,
        header_text=header_text,
        segments=segments,  # type: ignore[arg-type]  # five, checked above
        alg=_str_member(header, "alg"),
        enc=_str_member(header, "enc"),
        zip=_str_member(header, "zip"),
        kid=_str_member(header, "kid"),
        cty=_str_member(header, "cty"),
        source=found.source,
        in_query=found.in_query,
        duplicates=parsed.duplicates,
    )
    return replace(decoded, findings=sort_findings(_header_findings(decoded)))


def _header_findings(token: DecodedJWE) -> list[Finding]:
    """What is risky or notable about a JWE, before any key is used."""
    found: list[Finding] = []
    header, alg, enc = token.header, token.alg, token.enc
    if alg is None:
        found.append(Finding("alg_missing", "danger", "The header has no alg (string)", "A JWE must name it", "header"))
    elif alg not in JWE_ALGORITHMS:
        found.append(Finding("jwe_alg_unknown", "danger", f"alg '{alg[:32]}' is not a JWE algorithm", "", "header"))
    if enc is None:
        found.append(Finding("enc_missing", "danger", "The header has no enc (string)", "A JWE must name it", "header"))
    elif enc not in JWE_ENCRYPTIONS:
        found.append(Finding("jwe_enc_unknown", "danger", f"enc '{enc[:32]}' is not a JWE encryption", "", "header"))
    if alg == "RSA1_5":
        found.append(
            Finding(
                "rsa1_5",
                "warning",
                "alg RSA1_5 (RSAES-PKCS1-v1_5) is deprecated: a server that reveals whether decryption failed is "
                "a Bleichenbacher padding oracle, letting an attacker recover content keys",
                "Use RSA-OAEP-256 or ECDH-ES; a server that must accept RSA1_5 has to follow RFC 7516 §11.5 "
                "(continue with a random content key on failure)",
                "header",
            )
        )
    elif alg == "dir":
        found.append(
            Finding(
                "jwe_dir",
                "info",
                "alg dir: the shared key is the content key itself, so every token reuses it (no per-token key)",
                "Fine between two parties sharing a key; rotate it, and never reuse it for another enc",
                "header",
            )
        )
    elif alg is not None and alg.startswith("ECDH-ES"):
        found.append(
            Finding(
                "ecdh_es_epk",
                "info",
                "ECDH-ES: the content key is agreed with the header's ephemeral public key (epk)",
                "A recipient must check that epk is a valid point on its own curve (invalid-curve attacks)",
                "header",
            )
        )
    elif alg is not None and alg.startswith("PBES2"):
        found += _pbes2_findings(header)
    if "zip" in header:
        if token.zip == "DEF":
            found.append(
                Finding(
                    "jwe_zip",
                    "info",
                    "The plaintext was compressed (zip: DEF) before encryption: the ciphertext's length then shows "
                    "how compressible it is, which can leak secrets mixed with attacker-chosen text (CRIME/BREACH)",
                    "Leave zip out when the plaintext mixes secrets with data others influence",
                    "header",
                )
            )
        else:
            found.append(
                Finding("jwe_zip_unknown", "danger", "zip is not 'DEF', the only registered value", "", "header")
            )
    if token.cty is not None and token.cty.upper() in ("JWT", "APPLICATION/JWT"):
        found.append(
            Finding(
                "nested_jwt",
                "info",
                f"cty '{token.cty}': the plaintext is itself a JWT (nested); its signature is checked separately",
                "Decrypt, then verify the inner token",
                "header",
            )
        )
    found += envelope_findings(
        header,
        (("header", dup) for dup in token.duplicates),
        zip(token.segments, _SEGMENT_NAMES, strict=True),
        token.source,
        token.in_query,
        "recipient",
    )
    return found


def _pbes2_findings(header: dict[str, Any]) -> list[Finding]:
    p2c = header.get("p2c")
    if isinstance(p2c, bool) or not isinstance(p2c, int):
        return []  # the structure check says so
    found = [
        Finding(
            "pbes2",
            "info",
            f"Password-based encryption (PBES2): the key is derived from a password with {p2c:,} PBKDF2 iterations",
            "Passwords are guessable offline from any token; prefer a random key",
            "header",
        )
    ]
    if p2c < 1000:
        found.append(
            Finding(
                "pbes2_low_count",
                "warning",
                f"p2c is {p2c:,}; RFC 7518 §4.8.1.2 recommends at least 1,000 iterations",
                "A low count makes guessing the password cheap",
                "header",
            )
        )
    p2s = header.get("p2s")
    if isinstance(p2s, str):
        try:
            salt = decode_segment(p2s, "p2s").raw
        except InputError:
            salt = None
        if salt is not None and len(salt) < 8:
            found.append(
                Finding(
                    "pbes2_short_salt",
                    "warning",
                    f"p2s (salt input) is {len(salt)} bytes; RFC 7518 §4.8.1.1 requires 8 or more",
                    "",
                    "header",
                )
            )
    return found


# --------------------------------------------------------------------------------------------------------------
# decrypt
# --------------------------------------------------------------------------------------------------------------


def _suggest(name: str, known: tuple[str, ...]) -> str:
    hint = next((k for k in known if k.lower() == name.lower()), None)
    return f"; names are case-sensitive: did you mean {hint}?" if hint else ""


def _check_alg(alg: object, allowed_algs: Collection[str]) -> None:
    """Raise _Failure (invalid or refused) unless alg names a key-management algorithm jwtlens may use."""
    if alg is None:
        raise _Failure("invalid", "The header has no alg, so there is no key-management algorithm to decrypt with")
    if not isinstance(alg, str):
        raise _Failure("invalid", "The header's alg is not a string")
    if alg.lower() == "none":
        raise _Failure(
            "invalid", f"alg '{alg}' does not exist for JWE: an encrypted token always names a key algorithm"
        )
    if alg in JWS_ALGORITHMS:
        raise _Failure("invalid", f"alg {alg} is a signature algorithm (JWS), not a JWE key-management algorithm")
    if alg not in JWE_ALGORITHMS:
        raise _Failure("invalid", f"Unsupported JWE algorithm '{alg[:32]}'{_suggest(alg, JWE_ALGORITHMS)}")
    if alg not in allowed_algs:
        raise _Failure("refused", f"{alg} is not in the allowed algorithms ({', '.join(allowed_algs) or 'none'})")


def _check_enc(enc: object, allowed_encs: Collection[str]) -> None:
    """Raise _Failure (invalid or refused) unless enc names a content encryption jwtlens may use."""
    if enc is None:
        raise _Failure("invalid", "The header has no enc, so there is no content encryption to decrypt with")
    if not isinstance(enc, str):
        raise _Failure("invalid", "The header's enc is not a string")
    if enc not in JWE_ENCRYPTIONS:
        raise _Failure("invalid", f"Unsupported content encryption '{enc[:32]}'{_suggest(enc, JWE_ENCRYPTIONS)}")
    if enc not in allowed_encs:
        raise _Failure("refused", f"{enc} is not in the allowed encryptions ({', '.join(allowed_encs) or 'none'})")


def _check_structure(token: DecodedJWE, allowed_algs: Collection[str], allowed_encs: Collection[str]) -> None:
    """Everything that can be refused before a key is read; raises _Failure."""
    header = token.header
    _check_alg(header.get("alg"), allowed_algs)
    _check_enc(header.get("enc"), allowed_encs)
    alg, enc = header["alg"], header["enc"]
    if "zip" in header and header["zip"] != "DEF":
        raise _Failure("invalid", "zip must be 'DEF' (DEFLATE), the only registered compression")
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
            raise _Failure("invalid", "crit must be a non-empty array of header names (RFC 7516 §4.1.13)")
        raise _Failure(
            "invalid",
            f"crit lists {', '.join(repr(c[:32]) for c in crit[:5])}, which jwtlens does not understand; "
            "RFC 7516 requires rejecting the token",
        )
    for segment, name in zip(token.segments, _SEGMENT_NAMES, strict=True):
        if not segment.canonical:
            raise _Failure("invalid", f"The {name} is not canonical base64url ({segment.noncanonical_reason})")
    family = _family(alg)
    direct = alg in ("dir", "ECDH-ES")
    if direct and token.encrypted_key:
        raise _Failure(
            "invalid",
            f"{alg} uses no encrypted key, but the encrypted_key segment holds {len(token.encrypted_key)} bytes",
        )
    if not direct and not token.encrypted_key:
        raise _Failure(
            "invalid", f"The encrypted_key segment is empty, but {alg} carries the wrapped content key there"
        )
    if family in ("aeskw", "pbes2") or (family == "ecdh" and not direct):
        want = _cek_bytes(enc) + 8
        if len(token.encrypted_key) != want:
            raise _Failure(
                "invalid",
                f"The encrypted key is {len(token.encrypted_key)} bytes; {alg} wrapping an {enc} content key "
                f"gives {want}",
            )
    elif family == "gcmkw" and len(token.encrypted_key) != _cek_bytes(enc):
        raise _Failure(
            "invalid",
            f"The encrypted key is {len(token.encrypted_key)} bytes; {alg} encrypting an {enc} content key "
            f"gives {_cek_bytes(enc)}",
        )
    iv_bytes = _enc_model(enc).iv_size // 8
    if len(token.iv) != iv_bytes:
        raise _Failure("invalid", f"The iv is {len(token.iv)} bytes; {enc} uses {iv_bytes}")
    if len(token.tag) != _tag_bytes(enc):
        raise _Failure(
            "invalid",
            f"The tag is {len(token.tag)} bytes; {enc}'s is {_tag_bytes(enc)} (a truncated or extended tag is "
            "never accepted)",
        )
    if "CBC" in enc and (not token.ciphertext or len(token.ciphertext) % 16):
        raise _Failure(
            "invalid", f"The ciphertext is {len(token.ciphertext)} bytes; {enc} produces whole 16-byte blocks"
        )
    if family == "ecdh" and not (isinstance(header.get("epk"), dict) and isinstance(header["epk"].get("kty"), str)):
        raise _Failure("invalid", f"{alg} needs the header's epk (ephemeral public key) as a JWK object")


def _prepare(
    token: DecodedJWE, allowed_algs: Collection[str], allowed_encs: Collection[str], max_p2c: int
) -> _Registry:
    """Every check that needs no key, in order (p2c before any derivation); the registry to decrypt with."""
    _check_structure(token, allowed_algs, allowed_encs)
    alg, enc = token.header["alg"], token.header["enc"]
    if _family(alg) == "pbes2":
        _check_p2c(token.header.get("p2c"), max_p2c)
    registry = _Registry((alg, enc), max_p2c)
    try:
        registry.check_header(dict(token.header), True)
    except JoseError as exc:
        raise _Failure("invalid", f"The header is not valid: {exc.description}") from None
    return registry


def _check_p2c(p2c: object, max_p2c: int) -> None:
    """The PBES2 iteration count, refused before any key derivation when above the ceiling."""
    if isinstance(p2c, bool) or not isinstance(p2c, int):
        raise _Failure("invalid", "PBES2 needs p2c (the iteration count) as a whole number")
    if p2c < 1:
        raise _Failure("invalid", f"p2c is {p2c:,}; the PBES2 iteration count must be at least 1")
    if p2c > max_p2c:
        raise _Failure(
            "refused",
            f"p2c is {p2c:,}; jwtlens refuses more than {max_p2c:,} PBKDF2 iterations: a huge count makes every "
            "attempt to decrypt cost minutes (a denial of service)",
        )


def _mismatch(
    alg: str,
    enc: str,
    header: dict[str, Any],
    parsed: ParsedKey,
    operation: Literal["decrypt", "encrypt"],
    encrypted_key: bytes = b"",
) -> str | None:
    """Why this key cannot ``operation`` with alg/enc, or None if it can be tried."""
    family = _family(alg)
    if family == "rsa" and parsed.kty != "RSA":
        return f"{alg} needs an RSA key; this is {parsed.description}"
    if family == "ecdh":
        if not (parsed.kty == "EC" or (parsed.kty == "OKP" and parsed.curve in ("X25519", "X448"))):
            return f"{alg} needs an EC key (P-256, P-384, P-521) or an X25519 or X448 key; this is {parsed.description}"
        epk = header.get("epk")
        if operation == "decrypt" and isinstance(epk, dict) and epk.get("crv") != parsed.curve:
            return f"the header's ephemeral key (epk) is on {str(epk.get('crv'))[:16]}, this key on {parsed.curve}"
    if family in ("aeskw", "gcmkw", "dir", "pbes2"):
        if parsed.kty != "oct":
            what = "a password (the secret text)" if family == "pbes2" else "a secret key"
            return f"{alg} needs {what}; this is {parsed.description}"
        size = parsed.size_bits // 8
        need = _cek_bytes(enc) if family == "dir" else None if family == "pbes2" else _wrap_bits(alg) // 8
        if need is not None and size != need:
            purpose = f"{enc} content key" if family == "dir" else "key-wrapping key"
            return f"{alg} needs a {need * 8}-bit {purpose} ({need} bytes); this secret is {size} bytes"
    if operation == "decrypt" and parsed.kty != "oct" and not parsed.private:
        return f"this is a public key ({parsed.description}); decrypting needs the private key"
    if family == "rsa":
        bits = parsed.size_bits
        if operation == "encrypt" and bits < 2048:
            return f"RSA keys under 2048 bits are refused for encryption (RFC 7518 §4.2); this one is {bits}"
        if operation == "decrypt" and len(encrypted_key) != (bits + 7) // 8:
            return (
                f"the encrypted key is {len(encrypted_key)} bytes, but this RSA key is {bits}-bit "
                "(it was encrypted for another key)"
            )
    if parsed.jwk_use is not None and parsed.jwk_use != "enc":
        return f"the key's use is '{parsed.jwk_use}', not 'enc'"
    # a dir key's alg may name the content encryption it is the key for (RFC 7520 §5.6: alg "A128GCM")
    if parsed.jwk_alg is not None and parsed.jwk_alg != alg and not (alg == "dir" and parsed.jwk_alg == enc):
        return f"the key is for alg '{parsed.jwk_alg}', not {alg}"
    op = _KEY_OPS.get((family, operation))
    key_ops = parsed.key.get("key_ops")
    if op is not None and isinstance(key_ops, list) and op not in key_ops:
        return f"the key's key_ops ({', '.join(map(str, key_ops))[:60]}) do not include '{op}'"
    return None


def _candidates(token: DecodedJWE, key_input: KeyInput) -> tuple[list[ParsedKey], list[DecryptAttempt]]:
    kid = token.kid
    if key_input.is_set and kid is not None:
        chosen = [k for k in key_input.keys if k.kid == kid]
        skipped = [
            DecryptAttempt(k.index, k.kid, k.description, "skipped", f"kid '{k.kid}' is not the token's '{kid}'")
            for k in key_input.keys
            if k.kid != kid
        ]
        return chosen, skipped
    return list(key_input.keys), []


def _key_stage_message(alg: str, detail: str = "") -> str:
    family = _family(alg)
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
        raise _Failure(
            "invalid",
            f"The header's epk is not a valid {str(epk.get('crv'))[:16]} public key (a point off the curve is "
            "refused: invalid-curve attack)",
        ) from None


def _decrypt_with(token: DecodedJWE, key: Key, registry: _Registry) -> bytes:
    """The (possibly still compressed) plaintext, or _Failure naming the stage that failed."""
    alg, enc = token.header["alg"], token.header["enc"]
    obj = CompactEncryption(dict(token.header))
    recipient: Recipient[Key] = Recipient(obj)
    recipient.encrypted_key = token.encrypted_key
    recipient.recipient_key = key
    obj.recipient = recipient
    alg_model = registry.get_alg(alg)
    enc_model = registry.get_enc(enc)
    if _family(alg) == "ecdh":
        _check_epk(token, key)
    try:
        cek = decrypt_recipient(alg_model, enc_model, recipient, token.tag)
    except (JoseError, ValueError, TypeError, AssertionError, InvalidTag, UnsupportedAlgorithm):
        raise _Failure("key_failed", _key_stage_message(alg)) from None
    if len(cek) * 8 != enc_model.cek_size:
        detail = f" (the recovered content key is {len(cek) * 8} bits; {enc} needs {enc_model.cek_size})"
        raise _Failure("key_failed", _key_stage_message(alg, detail))
    aad = token.segments[0].text.encode("ascii")  # RFC 7516 §5.2 step 14: the encoded protected header
    try:
        return enc_model.decrypt(token.ciphertext, token.tag, cek, token.iv, aad)
    except DecodeError:
        raise _Failure(
            "tag_mismatch", "Decryption failed: the authentication tag does not match (wrong key, or tampered)"
        ) from None
    except ValueError:  # PKCS#7 unpadding, after the tag matched
        raise _Failure(
            "padding_invalid",
            "Decryption failed: the tag matches but the padding inside the ciphertext is invalid "
            "(the sender's encryption is broken)",
        ) from None


def _inflate(data: bytes, max_inflated: int) -> tuple[bytes, list[Finding]]:
    """Raw DEFLATE (RFC 1951), stopping one byte past the cap: a bomb is refused without inflating it all."""
    found: list[Finding] = []
    try:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        out = inflater.decompress(data, max_inflated + 1)
    except zlib.error:
        if data[:1] != b"\x78":
            raise _Failure("inflate_failed", "The plaintext is marked zip: DEF but is not DEFLATE data") from None
        try:  # some libraries wrap DEF in a zlib header; joserfc accepts it too
            inflater = zlib.decompressobj(zlib.MAX_WBITS)
            out = inflater.decompress(data, max_inflated + 1)
        except zlib.error:
            raise _Failure("inflate_failed", "The plaintext is marked zip: DEF but is not DEFLATE data") from None
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
        raise _Failure(
            "inflate_failed",
            f"The compressed plaintext inflates to more than {max_inflated:,} bytes; jwtlens stops there "
            "(a DEFLATE bomb, or a limit to raise)",
        )
    if not inflater.eof:
        raise _Failure("inflate_failed", "The compressed plaintext ends before its DEFLATE stream does (truncated)")
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


def _open_plaintext(token: DecodedJWE, data: bytes) -> tuple[dict[str, Any], list[Finding]]:
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


def _result(
    token: DecodedJWE,
    findings: list[Finding],
    failure: _Failure | None,
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
) -> DecryptResult:
    """Decrypt a compact JWE; a failure to decrypt is ``ok=False``, InputError only for unreadable input.

    ``algorithms`` and ``encryptions`` are allowlists (default: every alg and enc listed above). For PBES2 the
    key is the password, as typed (or as decoded with ``secret_encoding``).
    """
    token = decode_jwe(text, max_size=max_size)
    findings = list(token.findings)
    allowed_algs = tuple(a for a in (algorithms or JWE_ALGORITHMS) if a in JWE_ALGORITHMS)
    allowed_encs = tuple(e for e in (encryptions or JWE_ENCRYPTIONS) if e in JWE_ENCRYPTIONS)
    try:
        registry = _prepare(token, allowed_algs, allowed_encs, max_p2c)
    except _Failure as failure:
        return _result(token, findings, failure)
    if key_text is None:
        return _result(
            token,
            findings,
            _Failure("no_key", "No key given: paste the private key, the secret or (PBES2) the password to decrypt"),
        )
    key_input = parse_key(key_text, secret_encoding, max_size=max_key)
    # "sign": the key is used with its private half, so "private key pasted to verify" does not apply
    findings += key_findings(key_input, None, "sign")
    alg, enc = token.header["alg"], token.header["enc"]
    chosen, attempts = _candidates(token, key_input)
    if not chosen:
        kids = ", ".join(repr(k.kid) for k in key_input.keys if k.kid) or "none"
        return _result(
            token,
            findings,
            _Failure("no_usable_key", f"No key in the JWKS has kid '{token.kid}' (kids present: {kids})"),
            attempts=tuple(attempts),
            key_input=key_input,
        )
    last: _Failure | None = None
    for parsed in chosen:
        reason = _mismatch(alg, enc, token.header, parsed, "decrypt", token.encrypted_key)
        if reason is not None:
            attempts.append(DecryptAttempt(parsed.index, parsed.kid, parsed.description, "skipped", reason))
            continue
        try:
            data = _decrypt_with(token, parsed.key, registry)
        except _Failure as failure:
            if failure.code == "invalid":  # about the token, not the key: no other key will do better
                return _result(token, findings, failure, attempts=tuple(attempts), key_input=key_input)
            attempts.append(DecryptAttempt(parsed.index, parsed.kid, parsed.description, "failed", failure.message))
            last = failure
            continue
        attempts.append(DecryptAttempt(parsed.index, parsed.kid, parsed.description, "decrypted", "decrypted"))
        used = KeyUsed(parsed.kid, parsed.thumbprint, key_input.label, parsed.description)
        extra: dict[str, Any] = {"key": used, "attempts": tuple(attempts), "key_input": key_input}
        try:
            if token.zip == "DEF":
                data, inflate_findings = _inflate(data, max_inflated)
                findings += inflate_findings
        except _Failure as failure:
            return _result(token, findings, failure, **extra)
        fields, plaintext_findings = _open_plaintext(token, data)
        findings += plaintext_findings
        which = f" (kid '{parsed.kid}')" if key_input.is_set and parsed.kid else ""
        message = f"Decrypted with the {key_input.label}{which}: {parsed.description}"
        return _result(token, findings, None, message=message, **extra, **fields)
    if last is None:
        reasons = "; ".join(dict.fromkeys(a.reason for a in attempts if a.outcome == "skipped"))
        last = _Failure("no_usable_key", f"Decryption failed: no usable key: {reasons}")
    elif sum(a.outcome == "failed" for a in attempts) > 1:
        last = _Failure(last.code, f"Decryption failed with every key given; the last: {last.message}")
    return _result(token, findings, last, attempts=tuple(attempts), key_input=key_input)


# --------------------------------------------------------------------------------------------------------------
# encrypt
# --------------------------------------------------------------------------------------------------------------


def _pick_for_encrypt(key_input: KeyInput, header: dict[str, Any]) -> ParsedKey:
    kid = header.get("kid")
    picked = key_input.pick(kid)
    if picked is not None:
        return picked
    # Without a kid, a set with exactly one key that fits alg and enc is unambiguous too.
    fitting = [k for k in key_input.keys if _mismatch(header["alg"], header["enc"], header, k, "encrypt") is None]
    if kid is None and len(fitting) == 1:
        return fitting[0]
    raise InputError(
        "key_ambiguous", "The JWKS holds several keys that could be used; set the header's kid to the one to use", "key"
    )


def encrypt_jwe(
    header: dict[str, Any],
    plaintext: str | bytes,
    key_text: str | None,
    *,
    secret_encoding: str = "utf8",
    max_key: int = DEFAULT_MAX_KEY,
    max_p2c: int = DEFAULT_MAX_P2C,
) -> str:
    """Encrypt to a compact JWE with the recipient's public key, a shared secret or (PBES2) a password.

    joserfc adds what the algorithm needs to the header: epk (ECDH-ES), p2s and p2c (PBES2), iv and tag (GCMKW).
    """
    if not isinstance(header, dict):
        raise InputError("header_not_object", "The header must be a JSON object", "header")
    for name, check, known in (("alg", _check_alg, JWE_ALGORITHMS), ("enc", _check_enc, JWE_ENCRYPTIONS)):
        try:
            check(header.get(name), known)
        except _Failure as failure:
            code = f"{name}_missing" if name not in header else f"{name}_unsupported"
            raise InputError(code, f"Cannot encrypt: {failure.message}", "header") from None
    alg, enc = header["alg"], header["enc"]
    if "zip" in header and header["zip"] != "DEF":
        raise InputError("zip_unsupported", "zip must be 'DEF' (DEFLATE), the only registered compression", "header")
    if "crit" in header:
        raise InputError("crit_unsupported", "jwtlens understands no JWE extension, so it writes no crit", "header")
    if _family(alg) == "pbes2" and "p2c" in header:
        try:
            _check_p2c(header["p2c"], max_p2c)
        except _Failure as failure:
            raise InputError("p2c_invalid", failure.message, "header") from None
    if key_text is None or not key_text:
        raise InputError(
            "key_missing", "Encrypting needs a key: a public key, a shared secret or (PBES2) a password", "key"
        )
    key_input = parse_key(key_text, secret_encoding, max_size=max_key)
    parsed = _pick_for_encrypt(key_input, header)
    reason = _mismatch(alg, enc, header, parsed, "encrypt")
    if reason is not None:
        raise InputError("key_mismatch", f"Cannot encrypt: {reason}", "key")
    data = plaintext.encode("utf-8", "surrogatepass") if isinstance(plaintext, str) else plaintext
    registry = _Registry((alg, enc, "DEF"), max_p2c)
    try:
        return jwe.encrypt_compact(dict(header), data, parsed.key, registry=registry)
    except (JoseError, ValueError, TypeError) as exc:
        detail = exc.description if isinstance(exc, JoseError) else type(exc).__name__
        raise InputError("encrypt_failed", f"Encryption failed: {detail}", "header") from None
