"""Random and mutated tokens, keys and JSON through every endpoint: only clean 2xx/4xx answers, in bounded time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwtlens.config import Settings
from jwtlens.core import sign

from tests.makers import b64url, ec_key, rsa_key
from tests.servers import local_client

SECRET = "fuzz-secret-0123456789abcdefghijklmnop"
RSA = rsa_key(2048, which=1)
EC = ec_key("P-256", which=1)
SEEDS = [
    sign({"alg": "HS256", "typ": "JWT"}, {"sub": "a", "exp": 4_000_000_000}, SECRET).token,
    sign({"alg": "RS256", "kid": "r"}, {"sub": "b", "aud": ["x", "y"]}, RSA.as_pem(private=True).decode()).token,
    sign({"alg": "ES256", "b64": False, "crit": ["b64"]}, "raw payload", EC.as_pem(private=True).decode()).token,
]
KEYS = [SECRET, RSA.as_pem().decode(), json.dumps(EC.as_dict()), json.dumps({"keys": [RSA.as_dict(), EC.as_dict()]})]
ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}[]":,\\\n\x00é€😀'
#: a generous ceiling that only a hang or a runaway computation would reach, never a slow machine
BOUND_SECONDS = 5.0


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    with local_client(Settings(db_path=tmp_path_factory.mktemp("fuzz") / "db")) as test_client:
        yield test_client


@st.composite
def mutated(draw, seeds: list[str]) -> str:
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, max(len(text) - 1, 0)))
        action = draw(st.sampled_from(["replace", "insert", "delete", "dot", "truncate"]))
        char = draw(st.sampled_from(ALPHABET))
        if action == "replace":
            text = text[:position] + char + text[position + 1 :]
        elif action == "insert":
            text = text[:position] + char + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + 1 :]
        elif action == "dot":
            text = text[:position] + "." + text[position:]
        else:
            text = text[:position]
    return text


TOKENS = st.one_of(mutated(SEEDS), st.text(alphabet=ALPHABET, max_size=200), st.sampled_from(SEEDS))
KEY_TEXTS = st.one_of(st.none(), mutated(KEYS), st.text(alphabet=ALPHABET, max_size=120), st.sampled_from(KEYS))
JSONISH = st.one_of(
    st.text(alphabet=ALPHABET, max_size=80),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=8,
    ).map(json.dumps),
)


def _check(response, started: float) -> None:
    assert response.status_code < 500, response.text[:500]
    assert time.perf_counter() - started < BOUND_SECONDS
    if response.headers["content-type"].startswith("application/json") and response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "segment"}


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(token=TOKENS, key=KEY_TEXTS, encoding=st.sampled_from(["utf8", "hex", "base64", "base64url"]))
def test_decode_and_verify(client, token, key, encoding):
    started = time.perf_counter()
    _check(client.post("/api/decode", json={"token": token}), started)
    started = time.perf_counter()
    body = {"token": token, "key": key, "secret_encoding": encoding, "policy": {"leeway": 5, "iss": "x"}}
    _check(client.post("/api/verify", json=body), started)


@FUZZ
@given(header=JSONISH, payload=JSONISH, key=KEY_TEXTS, allow_none=st.booleans())
def test_sign(client, header, payload, key, allow_none):
    try:
        header_value = json.loads(header)
        json.dumps(header_value, allow_nan=False)  # what the HTTP client can send
    except ValueError:
        header_value = header
    started = time.perf_counter()
    body = {"header": header_value, "payload": payload, "key": key, "allow_none": allow_none}
    _check(client.post("/api/sign", json=body), started)


@FUZZ
@given(token=TOKENS, key=KEY_TEXTS, header=JSONISH, payload=JSONISH, mode=st.sampled_from(["verify", "sign"]))
def test_fragments(client, token, key, header, payload, mode):
    form = {
        "token": token,
        "key": key or "",
        "sign_key": key or "",
        "header_json": header,
        "payload_json": payload,
        "mode": mode,
        "policy_leeway": "5",
        "policy_rules": "sub equals a",
    }
    for path in ("/fragments/token", "/fragments/edit", "/fragments/settings"):
        started = time.perf_counter()
        response = client.post(path, data=form)
        _check(response, started)
        assert "<html" not in response.text


@FUZZ
@given(raw=st.binary(max_size=300), content_type=st.sampled_from(["application/json", "text/plain", ""]))
def test_raw_bodies(client, raw, content_type):
    for path in ("/api/decode", "/api/verify", "/api/sign", "/fragments/token", "/api/profiles/import"):
        started = time.perf_counter()
        _check(client.post(path, content=raw, headers={"content-type": content_type}), started)


# --- huge integers, out-of-range times and deep JSON: none of them reaches the last resort ------------------


def _signed(header_text: str, payload_text: str) -> str:
    signing_input = f"{b64url(header_text)}.{b64url(payload_text)}"
    mac = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


#: number spellings json.dumps cannot produce: thousands of digits, exponents past a float, past datetime
NUMBERS = st.one_of(
    st.integers(1, 20_000).map(lambda n: "9" * n),
    st.integers(1, 6000).map(lambda n: "-" + "1" * n),
    st.sampled_from(["1e300", "-1e20", "1e308", "1e309", "-1e999", "253402300800", "-62135596801", "0.0000001"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers().map(str),
)
DEEP = st.builds(
    lambda opener, depth, closed: opener * depth + ("1" + "]" * depth if closed and opener == "[" else ""),
    st.sampled_from(["[", '{"a":', '[{"b":']),
    st.integers(60, 3000),
    st.booleans(),
)


@st.composite
def hostile_payloads(draw) -> str:
    claim = draw(st.sampled_from(["exp", "nbf", "iat", "auth_time", "n"]))
    return f'{{"sub":"a","{claim}":{draw(NUMBERS)}}}'


@FUZZ
@given(payload=hostile_payloads(), header_number=st.one_of(st.none(), NUMBERS), now=st.one_of(st.none(), NUMBERS))
def test_huge_numbers_and_times_never_reach_the_last_resort(client, payload, header_number, now):
    header = '{"alg":"HS256"' + (f',"x":{header_number}' if header_number else "") + "}"
    token = _signed(header, payload)
    started = time.perf_counter()
    _check(client.post("/api/decode", json={"token": token}), started)
    policy = '{"leeway": 5, "max_age": 60' + (f', "now": {now}' if now else "") + "}"
    raw = f'{{"token": "{token}", "key": "{SECRET}", "policy": {policy}}}'
    started = time.perf_counter()
    _check(client.post("/api/verify", content=raw, headers={"content-type": "application/json"}), started)
    form = {"token": token, "key": SECRET, "mode": "verify", "policy_now": now or "", "policy_max_age": "60"}
    for path in ("/fragments/token", "/fragments/settings"):
        started = time.perf_counter()
        _check(client.post(path, data=form), started)


@FUZZ
@given(deep=DEEP, where=st.sampled_from(["paste", "header", "payload", "key", "import"]))
def test_deep_json_never_reaches_the_last_resort(client, deep, where):
    started = time.perf_counter()
    if where == "paste":
        _check(client.post("/api/decode", json={"token": deep}), started)
        _check(client.post("/fragments/token", data={"token": deep}), started)
    elif where in ("header", "payload"):
        token = _signed(deep, "{}") if where == "header" else _signed('{"alg":"HS256"}', deep)
        _check(client.post("/api/verify", json={"token": token, "key": SECRET}), started)
    elif where == "key":
        _check(client.post("/api/verify", json={"token": SEEDS[0], "key": deep}), started)
    else:
        _check(client.post("/api/profiles/import", content=deep, headers={"content-type": "application/json"}), started)
        _check(client.post("/fragments/profile/import", data={"profile_import": deep}), started)
