"""A compact JWE taken apart without a key (joserfc has no unverified parse), and what its header tells."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..b64 import Segment, decode_segment
from ..errors import InputError
from ..findings import Finding, envelope_findings, sort_findings
from ..jsonparse import Duplicate
from ..tokens import DEFAULT_MAX_TOKEN, extract_sized, header_object, segment_count_problem
from .algorithms import JWE_ALGORITHMS, JWE_ENCRYPTIONS

__all__ = ["MIN_P2S_OCTETS", "SEGMENT_NAMES", "DecodedJWE", "decode_jwe", "examined", "short_salt"]

SEGMENT_NAMES = ("header", "encrypted_key", "iv", "ciphertext", "tag")
#: RFC 7518 §4.8.1.1: "A Salt Input value containing 8 or more octets MUST be used"
MIN_P2S_OCTETS = 8


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
    #: JSON serialization only: the ``aad`` member as sent (base64url), authenticated with the header
    aad: str | None = None

    @property
    def additional_data(self) -> bytes:
        """RFC 7516 §5.1 step 14: the encoded protected header, then '.' and the aad member when there is one."""
        protected = self.segments[0].text.encode("ascii")
        return protected if self.aad is None else protected + b"." + self.aad.encode("ascii")

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
        *(decode_segment(part, name) for part, name in zip(parts[1:], SEGMENT_NAMES[1:], strict=True)),
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
    return examined(decoded)


def examined(token: DecodedJWE) -> DecodedJWE:
    """``token`` with the findings its (merged) header calls for."""
    return replace(token, findings=sort_findings(_header_findings(token)))


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
        zip(token.segments, SEGMENT_NAMES, strict=True),
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
    reason = short_salt(header)
    if reason is not None:
        found.append(Finding("pbes2_short_salt", "warning", reason, "", "header"))
    return found


def short_salt(header: dict[str, Any]) -> str | None:
    """Why the header's PBES2 salt input is forbidden (under 8 octets), or None (absent or unreadable: not this)."""
    p2s = header.get("p2s")
    if not isinstance(p2s, str):
        return None
    try:
        salt = decode_segment(p2s, "p2s").raw
    except InputError:
        return None
    if len(salt) >= MIN_P2S_OCTETS:
        return None
    return f"the PBES2 salt input (p2s) is {len(salt)} octets; RFC 7518 §4.8.1.1 requires {MIN_P2S_OCTETS} or more"
