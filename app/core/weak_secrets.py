"""HMAC secrets that appear in tutorials, examples and default configurations.

jwtlens's own list, bundled and offline: a token signed with one of these can be forged by
anyone who has read the same tutorial. Checked against every HS* token, within a time bound; when the
user's own secret made the signature, looking that secret up in the list answers instead.
"""

from __future__ import annotations

import hmac
import time
from functools import lru_cache

__all__ = ["WEAK_SECRETS", "find_weak_secret", "listed_secret"]

WEAK_SECRETS: tuple[str, ...] = (
    # documentation and playground examples
    "your-256-bit-secret",
    "your-384-bit-secret",
    "your-512-bit-secret",
    "a-string-secret-at-least-256-bits-long",
    "a-string-secret-at-least-384-bits-long",
    "a-string-secret-at-least-512-bits-long",
    "secret",
    "Secret",
    "SECRET",
    "secretkey",
    "secret-key",
    "secret_key",
    "SecretKey",
    "SECRET_KEY",
    "mysecret",
    "my-secret",
    "my_secret",
    "mysecretkey",
    "my-secret-key",
    "my_secret_key",
    "mySecretKey",
    "supersecret",
    "super-secret",
    "super_secret",
    "supersecretkey",
    "super-secret-key",
    "topsecret",
    "top-secret",
    "secret123",
    "secret1234",
    "s3cr3t",
    "s3cret",
    "shhhhh",
    "shhhhhared-secret",
    "keyboard cat",
    "jwt",
    "JWT",
    "jwtsecret",
    "jwt-secret",
    "jwt_secret",
    "JWT_SECRET",
    "jwtSecret",
    "jwt-secret-key",
    "jwt_secret_key",
    "jwtkey",
    "jwt-key",
    "your_jwt_secret",
    "your-jwt-secret",
    "your_secret_key",
    "your-secret-key",
    "YOUR_SECRET_KEY",
    "yoursecret",
    "your-secret",
    "change-me",
    "changeme",
    "changeit",
    "change_this",
    "change-this-secret",
    "changethis",
    "CHANGEME",
    "replace-me",
    "replace_me",
    "todo",
    "TODO",
    "default",
    "defaultsecret",
    "default-secret",
    "example",
    "example-secret",
    "example_key",
    "sample",
    "demo",
    "test",
    "test123",
    "testing",
    "testsecret",
    "test-secret",
    "test_secret",
    "dev",
    "development",
    "devsecret",
    "dev-secret",
    "local",
    "localhost",
    "key",
    "Key",
    "KEY",
    "private",
    "privatekey",
    "private-key",
    "token",
    "tokensecret",
    "token-secret",
    "auth",
    "authsecret",
    "auth-secret",
    "hmac",
    "hmacsecret",
    "hs256",
    "HS256",
    "signing-key",
    "signingkey",
    "sign",
    "api",
    "apikey",
    "api-key",
    "api_secret",
    "app",
    "appsecret",
    "app-secret",
    "app_secret",
    "application",
    "server",
    "backend",
    "session",
    "sessionsecret",
    "session-secret",
    "cookie",
    "cookie-secret",
    "express",
    "django-insecure",
    "flask",
    "laravel",
    "rails",
    "spring",
    "node",
    "nodejs",
    # passwords that end up as secrets
    "password",
    "Password",
    "password1",
    "password123",
    "Passw0rd",
    "P@ssw0rd",
    "passw0rd",
    "pass",
    "admin",
    "admin123",
    "administrator",
    "root",
    "toor",
    "qwerty",
    "qwerty123",
    "letmein",
    "welcome",
    "hunter2",
    "monkey",
    "dragon",
    "master",
    "abc123",
    "abcdef",
    "abcd1234",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "0123456789",
    "111111",
    "000000",
    "0",
    "1",
    "a",
    "x",
    "null",
    "None",
    "undefined",
    "true",
    "false",
    "",
    " ",
    "\n",
    # long-looking strings copied from well-known tutorials
    "0123456789abcdef0123456789abcdef",
    "00000000000000000000000000000000",
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "thisisasecret",
    "this-is-a-secret",
    "this_is_a_secret",
    "thisismysecret",
    "this-is-my-secret",
    "ThisIsMySecret",
    "thisisaverylongsecretkeythatnobodywillguess",
    "mysupersecretkey",
    "my-super-secret-key",
    "my_super_secret_key",
    "mysupersecretpassword",
    "notasecret",
    "not-a-secret",
    "insecure",
    "unsafe",
    "verysecret",
    "very-secret",
    "very_secret_key",
    "gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr9C",
)

#: the scan stops after this long, so it can never become the slow part of a request
SCAN_BUDGET_SECONDS = 0.05
#: alg -> (hash name, MAC length)
_DIGESTS = {"HS256": ("sha256", 32), "HS384": ("sha384", 48), "HS512": ("sha512", 64)}
_ENCODED = tuple(secret.encode() for secret in WEAK_SECRETS)
_BY_BYTES = {raw: secret for raw, secret in zip(_ENCODED, WEAK_SECRETS, strict=True)}


def listed_secret(secret: bytes) -> str | None:
    """The list's entry for exactly these secret bytes, if it has one (a set lookup, no HMAC)."""
    return _BY_BYTES.get(secret)


@lru_cache(maxsize=512)
def find_weak_secret(signing_input: bytes, signature: bytes, alg: str) -> str | None:
    """The well-known secret that produced ``signature``, if any (tried in a bounded time).

    A brute-force comparison, not JOSE processing: one-shot ``hmac.digest`` is ten times faster
    than building a key object per candidate, and the empty secret (which joserfc refuses) counts.
    Cached, as every keystroke in the key box re-checks the same token.
    """
    digest, size = _DIGESTS.get(alg, ("", -1))
    if len(signature) != size:
        return None
    return _scan(signing_input, signature, digest)


def _scan(signing_input: bytes, signature: bytes, digest: str) -> str | None:
    started = time.perf_counter()
    for index, raw in enumerate(_ENCODED):
        if hmac.compare_digest(hmac.digest(raw, signing_input, digest), signature):
            return WEAK_SECRETS[index]
        if index % 32 == 31 and time.perf_counter() - started > SCAN_BUDGET_SECONDS:
            return None
    return None
