"""The weak-secret scan runs only when it can tell something new.

When the key given made the signature, the finding is a lookup of that key in the list; the full scan
(an HMAC per listed secret) runs only with no key or a wrong one. The findings stay what the keyless
scan says, which is the oracle here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

import jwtlens.core.weak_secrets as weak_secrets
import pytest
from jwtlens.core import decode, verify
from jwtlens.core.policy import Policy

from tests.makers import b64url

_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
_LENGTHS = {"HS256": 32, "HS384": 48, "HS512": 64}


def _token(secret: bytes, alg: str = "HS256") -> str:
    """A new token each call (a fresh jti), so no cache has seen it."""
    claims = {"sub": "u", "jti": secrets.token_hex(8), "exp": 4_000_000_000}
    unsigned = f"{b64url(json.dumps({'alg': alg}).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{unsigned}.{b64url(hmac.new(secret, unsigned.encode(), _HASHES[alg]).digest())}"


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The signing inputs the full scan ran over."""
    seen: list[bytes] = []
    scan = weak_secrets._scan

    def counted(signing_input: bytes, signature: bytes, digest: str) -> str | None:
        seen.append(signing_input)
        return scan(signing_input, signature, digest)

    monkeypatch.setattr(weak_secrets, "_scan", counted)
    return seen


def _weak(findings: object) -> list[str]:
    return [f.message for f in findings if f.code == "weak_secret"]  # type: ignore[attr-defined]


def _spellings(secret: bytes) -> list[tuple[str, str]]:
    """The same secret bytes in every spelling the key box takes."""
    found = [
        ("hex", secret.hex()),
        ("hex", secret.hex().upper()),
        ("base64", base64.b64encode(secret).decode()),
        ("base64url", b64url(secret)),
    ]
    return found + ([("utf8", secret.decode())] if secret.isascii() else [])


@pytest.mark.parametrize("alg", list(_HASHES))
@pytest.mark.parametrize("printable", [True, False])
def test_the_right_secret_needs_no_scan(scans, alg, printable):
    size = _LENGTHS[alg]
    secret = secrets.token_hex(size).encode() if printable else secrets.token_bytes(size)
    for encoding, text in _spellings(secret):
        result = verify(_token(secret, alg), text, secret_encoding=encoding)
        assert result.verified, (encoding, result.verdict)
        assert _weak(result.findings) == []
    assert scans == []


@pytest.mark.parametrize("alg", list(_HASHES))
@pytest.mark.parametrize("weak", ["your-256-bit-secret", "secret", "a-string-secret-at-least-512-bits-long", "1"])
def test_a_weak_verifying_secret_is_still_named_without_a_scan(scans, alg, weak):
    token = _token(weak.encode(), alg)
    keyless = _weak(decode(token).findings)  # the full scan: the oracle
    assert len(keyless) == 1 and repr(weak) in keyless[0]
    weak_secrets.find_weak_secret.cache_clear()  # so a scan would show, not hide behind the cache
    scans.clear()
    for allow in (False, True):
        for encoding, text in [("utf8", weak), ("hex", weak.encode().hex()), ("base64", b64url(weak.encode()))]:
            result = verify(token, text, secret_encoding=encoding, allow_weak_keys=allow)
            assert _weak(result.findings) == keyless, (allow, encoding)
            # short listed secrets are refused as RFC 7518 weak keys unless allowed; never verified silently
            assert result.verified == (allow or len(weak) >= _LENGTHS[alg])
    assert scans == []


def test_a_weak_secret_in_a_jwks_is_looked_up(scans):
    weak = "your-512-bit-secret"
    token = _token(weak.encode(), "HS512")
    other = {"kty": "oct", "k": b64url(secrets.token_bytes(64)), "kid": "other"}
    mine = {"kty": "oct", "k": b64url(weak.encode()), "kid": "mine"}
    result = verify(token, json.dumps({"keys": [other, mine]}), allow_weak_keys=True)
    assert result.verified and len(_weak(result.findings)) == 1
    assert scans == []


@pytest.mark.parametrize("weak", ["secret", "your-256-bit-secret"])
def test_a_wrong_key_still_scans_and_names_the_weak_secret(scans, weak, secret):
    token = _token(weak.encode())
    result = verify(token, secret)
    assert not result.verified and len(_weak(result.findings)) == 1 and repr(weak) in _weak(result.findings)[0]
    assert len(scans) == 1


def test_no_key_scans_once_per_new_token(scans, secret):
    strong = _token(secret.encode())
    for _ in range(3):  # the keystroke case: the same token again hits the cache
        result = verify(strong, None, policy=Policy())
        assert not result.verified and _weak(result.findings) == []
    assert len(scans) == 1
    assert _weak(verify(_token(b"changeme"), None).findings) and len(scans) == 2


def test_a_public_key_for_an_hs_token_scans(scans, rsa_pair):
    result = verify(_token(b"changeme"), rsa_pair.public_pem)
    assert not result.verified and len(_weak(result.findings)) == 1
    assert len(scans) == 1
