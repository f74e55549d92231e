"""Each thing computed once per request: the token decoded once, its JSON read once, the policy validated
once, a key or JWKS read once, a signature checked once, the weak-secret scan only when it can tell
something new. Calls are counted by code object in every thread (the server works in a pool)."""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import CodeType, FrameType
from typing import Any

import pytest
from joserfc.jwk import RSAKey
from jwtlens.config import Settings
from jwtlens.core import sign, tokens
from jwtlens.core.jsonparse import parse_json
from jwtlens.core.keys import cache as key_cache
from jwtlens.core.keys import reader
from jwtlens.core.keys.jwk import read_json_keys
from jwtlens.core.policy import model as policy_model
from jwtlens.core.tokens import decode_token
from jwtlens.core.verify import check_signature
from jwtlens.core.weak_secrets import _scan

from tests.makers import future, rsa_key
from tests.servers import local_client
from tests.web.pages import form

WATCHED: dict[str, Callable[..., Any]] = {
    "decode_token": decode_token,
    "parse_json": parse_json,
    "read_header": tokens._read_header,
    "parse_policy": policy_model.parse_policy,
    "parse_key": reader.parse_key,
    "read_key_text": reader._parse_exact.__wrapped__,  # what the key cache misses cost
    "read_json_keys": read_json_keys,
    "check_signature": check_signature,
    "weak_secret_scan": _scan,
}


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Calls of the watched functions, in this thread and every thread started meanwhile."""
    names: dict[CodeType, str] = {fn.__code__: name for name, fn in WATCHED.items()}
    counts: Counter[str] = Counter()

    def profiler(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in names:
            counts[names[frame.f_code]] += 1

    threading.setprofile(profiler)
    sys.setprofile(profiler)
    try:
        yield counts
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def cold_caches() -> None:
    reader._parse_exact.cache_clear()
    key_cache.json_keys.cache_clear()
    tokens._cached_header.cache_clear()


SECRET = "computed-once-secret-0123456789abcdef"
POLICY = {"iss": ["https://idp.example"], "aud": ["api"], "leeway": 30}


def _hs(n: int) -> str:
    claims = {"iss": "https://idp.example", "aud": "api", "sub": f"u{n}", "exp": future()}
    return sign({"alg": "HS256", "typ": "JWT"}, claims, SECRET).token


def _api(token: str, key: str, policy: dict[str, Any] = POLICY) -> tuple[dict[str, Any], Counter[str]]:
    with counting() as counts, local_client(Settings()) as client:
        body = client.post("/api/verify", json={"token": token, "key": key, "policy": policy}).json()
    return body, counts


def test_a_verify_request_does_each_step_once_and_no_scan_with_the_right_secret() -> None:
    body, counts = _api(_hs(1), SECRET)
    assert body["verified"] is True
    assert counts["decode_token"] == 1
    assert counts["parse_json"] == 2  # header and payload, nothing re-read
    assert counts["parse_policy"] == 1
    assert counts["parse_key"] == 1 and counts["read_key_text"] <= 1
    assert counts["check_signature"] == 1
    assert counts["weak_secret_scan"] == 0  # the user's own secret verified: a set lookup suffices


def test_a_header_seen_before_is_not_read_again() -> None:
    # an issuer's tokens share their header: the next token's header is the one already read
    body, counts = _api(_hs(11), SECRET)
    assert body["verified"] is True and counts["read_header"] == 1 and counts["parse_json"] == 2
    body, counts = _api(_hs(12), SECRET)
    assert body["verified"] is True and counts["read_header"] == 0 and counts["parse_json"] == 1  # the payload
    other = sign({"alg": "HS256", "typ": "JWT", "kid": "k2"}, {"sub": "x", "exp": future()}, SECRET).token
    body, counts = _api(other, SECRET, {})
    assert body["verified"] is True and counts["read_header"] == 1 and counts["parse_json"] == 2


def test_a_wrong_secret_is_checked_once_and_the_scan_runs_once() -> None:
    body, counts = _api(_hs(2), "another-secret-of-enough-length-0123456789")
    assert body["verified"] is False and body["signature"]["valid"] is False
    assert counts["check_signature"] == 1  # a failed verify is never run again
    assert counts["weak_secret_scan"] == 1


def test_a_jwks_is_read_once_and_each_key_parse_hits_the_cache_after(rsa_pair: Any) -> None:
    public = RSAKey.import_key(rsa_pair.public_pem).as_dict(private=False)
    other = rsa_key(which=1).as_dict(private=False)
    jwks = json.dumps({"keys": [{**public, "kid": "k1"}, {**other, "kid": "k2"}]})
    token = sign({"alg": "RS256", "kid": "k1"}, {"sub": "x", "exp": future()}, rsa_pair.private_pem).token
    body, counts = _api(token, jwks, {})
    assert body["verified"] is True
    assert counts["read_json_keys"] == 1 and counts["read_key_text"] == 1
    again, counts = _api(token, jwks, {})
    assert again["verified"] is True
    assert counts["read_key_text"] == 0 and counts["read_json_keys"] == 0  # the key's text is cached


def test_a_keystroke_fragment_decodes_and_checks_once() -> None:
    with counting() as counts, local_client(Settings()) as client:
        fields = form(token=_hs(3), key=SECRET, policy_iss="https://idp.example", policy_aud="api")
        html = client.post("/fragments/token", data=fields).text
    assert "Signature verified" in html
    assert counts["decode_token"] == 1 and counts["parse_json"] == 2 and counts["read_header"] == 1
    assert counts["parse_policy"] == 1 and counts["check_signature"] == 1
    assert counts["weak_secret_scan"] == 0


def test_the_counter_sees_work_in_server_threads() -> None:
    """Positive control: two requests are counted twice, so the counts above are not blind."""
    with counting() as counts, local_client(Settings()) as client:
        for n in (4, 5):
            client.post("/api/verify", json={"token": _hs(n), "key": SECRET})
    assert counts["decode_token"] == 2 and counts["check_signature"] == 2
