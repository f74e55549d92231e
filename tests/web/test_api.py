"""The JSON API in-process: shapes, statuses, and every class of bad input."""

from __future__ import annotations

import base64
import json
import secrets
import time

import pytest
from jwtlens.config import Settings
from jwtlens.core import SUPPORTED, sign
from jwtlens.core.sign import SETTABLE_TIMES

from tests.makers import b64url, future, hs_by_hand
from tests.servers import local_client

CANARY = "CANARY-s3cr3t-7f3a"


def hs_token(secret: str, **claims) -> str:
    return sign({"alg": "HS256", "typ": "JWT"}, {"sub": "ada", "exp": future(), **claims}, secret).token


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "segment"}
    return body["error"]


def test_decode_shape(client, secret):
    token = hs_token(secret, iat=1_800_000_000)
    body = client.post("/api/decode", json={"token": f"Bearer {token}"}).json()
    assert body["header"] == {"alg": "HS256", "typ": "JWT"}
    assert body["payload"]["sub"] == "ada"
    assert body["payload_text"].startswith('{"sub":"ada"')
    assert body["signature"] == token.split(".")[2]
    claims = {c["name"]: c for c in body["claims"]}
    assert claims["iat"]["time"]["iso"] == "2027-01-15T08:00:00Z"
    assert claims["exp"]["time"]["relative"].startswith("expires in")
    assert "time" not in claims["sub"]
    assert {f["code"] for f in body["findings"]} >= {"token_source"}
    assert all(set(f) >= {"code", "severity", "message"} for f in body["findings"])


def test_decode_non_json_payload_is_null(client):
    token = f"{b64url(json.dumps({'alg': 'HS256'}))}.{b64url('hello')}.c2ln"
    body = client.post("/api/decode", json={"token": token}).json()
    assert body["payload"] is None and body["payload_text"] == "hello"


def test_decode_non_finite_numbers_are_sent_as_strings(client):
    payload = b64url('{"exp": NaN, "n": 1e400}')
    token = f"{b64url(json.dumps({'alg': 'HS256'}))}.{payload}.c2ln"
    body = client.post("/api/decode", json={"token": token}).json()
    assert body["payload"] == {"exp": "NaN", "n": "Infinity"}


@pytest.mark.parametrize(
    ("token", "code", "segment"),
    [
        ("abc", "token_segments", "token"),
        ("a.b.c.d", "token_segments", "token"),
        ("!!.e30.c2ln", "bad_base64url", "header"),
        (f"{b64url('{')}.e30.c2ln", "bad_json", "header"),
        (f"{b64url('[]')}.e30.c2ln", "header_not_object", "header"),
        (f"{b64url('{}')}.{b64url('{x')}.c2ln", "bad_json", "payload"),
        (f"{b64url('{}')}.e30.c2l*", "bad_base64url", "signature"),
        ("", "token_empty", "token"),
    ],
)
def test_malformed_tokens_are_400_naming_the_segment(client, token, code, segment):
    for path, extra in (("/api/decode", {}), ("/api/verify", {"key": "k"})):
        err = error_of(client.post(path, json={"token": token, **extra}), 400)
        assert (err["code"], err["segment"]) == (code, segment)


def test_verify_shape_when_verified(client, secret):
    token = hs_token(secret)
    body = client.post("/api/verify", json={"token": token, "key": secret}).json()
    assert body["verified"] is True
    sig = body["signature"]
    assert sig["valid"] and sig["alg"] == "HS256" and sig["kid"] is None
    assert sig["message"].startswith("Signature verified")
    assert set(sig["key"]) == {"kid", "thumbprint", "source"} and sig["key"]["source"] == "HMAC secret"
    assert body["verdict"] == {"status": 200, "outcome": "accepted", "reason": "signature and every claim check passed"}
    assert {c["name"]: c["status"] for c in body["claims"]} == {"sub": "skip", "exp": "pass"}


def test_failed_verification_is_still_200(client, secret):
    body = client.post("/api/verify", json={"token": hs_token(secret), "key": "wrong"}).json()
    assert body["verified"] is False and body["signature"]["valid"] is False
    assert body["signature"]["message"].startswith("Invalid signature")
    assert body["verdict"]["status"] == 401


def test_expired_is_not_verified_and_policy_now_and_leeway_apply(client, secret):
    token = hs_token(secret, exp=1_800_000_000)
    body = client.post("/api/verify", json={"token": token, "key": secret, "policy": {"now": 1_800_000_010}}).json()
    assert body["verified"] is False and body["verdict"]["reason"].startswith("claim exp: expired 10 s ago")
    body = client.post(
        "/api/verify", json={"token": token, "key": secret, "policy": {"now": 1_800_000_010, "leeway": 30}}
    ).json()
    assert body["verified"] is True
    assert next(c for c in body["claims"] if c["name"] == "exp")["status"] == "warn"


def test_verify_with_jwks_names_the_kid(client, ec_pair):
    jwk = {**json.loads(ec_pair.public_jwk), "kid": "primary"}
    token = sign({"alg": "ES256", "kid": "primary"}, {"exp": future()}, ec_pair.private_pem).token
    body = client.post("/api/verify", json={"token": token, "key": json.dumps({"keys": [jwk]})}).json()
    assert body["verified"] and body["signature"]["key"]["kid"] == "primary"
    assert body["signature"]["key"]["source"] == "JWKS (1 key)"


def test_verify_algorithms_allowlist(client, secret):
    body = client.post("/api/verify", json={"token": hs_token(secret), "key": secret, "algorithms": ["ES256"]}).json()
    assert body["verified"] is False and body["signature"]["status"] == "refused"


def test_secret_encodings(client):
    raw = bytes(range(32))
    token = sign({"alg": "HS256"}, {"exp": future()}, raw.hex(), secret_encoding="hex").token
    for encoding, text in (("hex", raw.hex()), ("base64url", b64url(raw))):
        body = client.post("/api/verify", json={"token": token, "key": text, "secret_encoding": encoding}).json()
        assert body["verified"], encoding


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "key_pem"),
        ('{"kty": "RSA"}', "jwk_invalid"),
        ('{"keys": []}', "jwks_invalid"),
        ("{not json", "bad_json"),
    ],
)
def test_unreadable_keys_are_400(client, secret, key, code):
    err = error_of(client.post("/api/verify", json={"token": hs_token(secret), "key": key}), 400)
    assert err["code"] == code and err["segment"] == "key"


def test_bad_secret_encoding_value_is_422_without_echo(client, secret):
    response = client.post("/api/verify", json={"token": hs_token(secret), "key": CANARY, "secret_encoding": "rot13"})
    err = error_of(response, 422)
    assert "secret_encoding" in err["message"]
    assert CANARY not in response.text and secret not in response.text


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("{", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"key": "x"}', "token is required"),
        ('{"token": 5}', "token"),
    ],
)
def test_malformed_request_bodies_are_422(client, body, fragment):
    response = client.post("/api/verify", content=body, headers={"content-type": "application/json"})
    err = error_of(response, 422)
    assert fragment in err["message"]


def test_422_never_echoes_the_input(client):
    response = client.post("/api/sign", json={"header": CANARY, "payload": {}, "key": CANARY})
    assert response.status_code == 422 and CANARY not in response.text


def test_sign_then_verify(client, rsa_pair):
    body = client.post(
        "/api/sign", json={"header": {"alg": "RS256", "kid": "k"}, "payload": {"sub": "x"}, "key": rsa_pair.private_pem}
    ).json()
    token = body["token"]
    assert body["alg"] == "RS256" and body["key"]["description"] == "RSA 2048-bit"
    verified = client.post("/api/verify", json={"token": token, "key": rsa_pair.public_pem}).json()
    assert verified["signature"]["valid"]


def test_sign_string_payload(client, secret):
    token = client.post("/api/sign", json={"header": {"alg": "HS256"}, "payload": "plain", "key": secret}).json()
    assert client.post("/api/decode", json={"token": token["token"]}).json()["payload_text"] == "plain"


@pytest.mark.parametrize(
    ("request_body", "code", "segment"),
    [
        ({"header": {"alg": "RS256"}, "payload": {}, "key": "PUBLIC"}, "key_not_private", "key"),
        ({"header": {"alg": "none"}, "payload": {}}, "alg_none_refused", "header"),
        ({"header": {"typ": "JWT"}, "payload": {}, "key": "k"}, "alg_missing", "header"),
        ({"header": {"alg": "HS257"}, "payload": {}, "key": "k"}, "alg_unsupported", "header"),
        ({"header": {"alg": "HS256"}, "payload": {}}, "key_missing", "key"),
        ({"header": {"alg": "ES256"}, "payload": {}, "key": "a-secret"}, "key_mismatch", "key"),
    ],
)
def test_sign_refusals(client, rsa_pair, request_body, code, segment):
    if request_body.get("key") == "PUBLIC":
        request_body = {**request_body, "key": rsa_pair.public_pem}
    err = error_of(client.post("/api/sign", json=request_body), 400)
    assert (err["code"], err["segment"]) == (code, segment)


def test_sign_none_only_on_opt_in(client):
    body = client.post("/api/sign", json={"header": {"alg": "none"}, "payload": {"a": 1}, "allow_none": True}).json()
    assert body["token"].endswith(".")
    verified = client.post("/api/verify", json={"token": body["token"], "key": "anything"}).json()
    assert verified["verified"] is False and verified["signature"]["status"] == "unsigned"


@pytest.mark.parametrize("alg", SUPPORTED)
def test_every_algorithm_signs_and_verifies_over_the_api(client, alg):
    from jwtlens.core.examples import make_example

    example = make_example(alg)
    body = client.post("/api/verify", json={"token": example.token, "key": example.verify_key}).json()
    assert body["verified"], body["signature"]["message"]
    resigned = client.post(
        "/api/sign", json={"header": {"alg": alg}, "payload": {"n": 1}, "key": example.signing_key}
    ).json()["token"]
    again = client.post("/api/verify", json={"token": resigned, "key": example.verify_key}).json()
    assert again["signature"]["valid"]


def test_size_caps_answer_413(settings):

    small = Settings(max_token_bytes=2048, max_key_bytes=2048, max_body_bytes=8192)
    with local_client(small) as client:
        err = error_of(client.post("/api/decode", json={"token": "a" * 3000}), 413)
        assert err["code"] == "token_too_large"
        err = error_of(client.post("/api/verify", json={"token": "e30.e30.c2ln", "key": "k" * 3000}), 413)
        assert err["code"] == "key_too_large"
        err = error_of(client.post("/api/decode", json={"token": "a" * 10_000}), 413)
        assert err["code"] == "body_too_large"


def test_error_bodies_never_contain_token_or_key_bytes(client, secret):
    token = hs_token(secret, note=CANARY)
    broken = token.replace(".", "*", 1) + "." + "x"
    responses = [
        client.post("/api/decode", json={"token": broken}),
        client.post("/api/verify", json={"token": token, "key": f"-----BEGIN PUBLIC KEY-----\n{CANARY}\n-----END"}),
        client.post("/api/verify", json={"token": token, "key": CANARY, "secret_encoding": "hex"}),
        client.post("/api/verify", json={"token": token, "key": '{"kty":"oct","k":"' + CANARY + '!"}'}),
    ]
    for response in responses:
        assert response.status_code >= 400
        assert CANARY not in response.text and token[:30] not in response.text


def test_openapi_lists_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/decode", "/api/verify", "/api/sign"} <= set(paths)
    assert not any(p.startswith("/fragments") for p in paths)


def test_security_headers_on_success_and_errors(client):
    for response in (client.get("/"), client.post("/api/decode", json={"token": "x"}), client.get("/missing")):
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_unknown_route_is_a_json_404(client):
    err = error_of(client.get("/nope"), 404)
    assert err["code"] == "http_404"


def test_get_on_api_is_405(client):
    assert client.get("/api/verify").status_code == 405


def test_an_empty_algorithm_list_allows_none(client, secret):
    body = client.post("/api/verify", json={"token": hs_token(secret), "key": secret, "algorithms": []}).json()
    assert body["verified"] is False and body["signature"]["status"] == "refused"


def test_the_api_carries_the_signature_hints_and_the_weak_secret_warning(client, secret):
    token = hs_token(secret)
    cut = token[: token.rindex(".") + 1] + b64url(base64.urlsafe_b64decode(token.split(".")[2] + "==")[:-2])
    short = client.post("/api/verify", json={"token": cut, "key": secret}).json()
    assert [f["segment"] for f in short["findings"] if f["code"] == "signature_length"] == ["signature"]
    raw = secrets.token_bytes(32)

    by_raw = hs_by_hand({"alg": "HS256"}, {"sub": "x"}, raw)
    hinted = client.post("/api/verify", json={"token": by_raw, "key": base64.b64encode(raw).decode()}).json()
    assert hinted["verified"] is False
    assert any(f["code"] == "secret_encoding" and "base64" in f["message"] for f in hinted["findings"])
    made = client.post("/api/sign", json={"header": {"alg": "HS256"}, "payload": {}, "key": "secret"}).json()
    assert {"secret_too_short", "weak_secret"} <= {f["code"] for f in made["findings"]}


def test_an_answer_with_a_non_finite_number_is_spelled_not_a_500():
    from jwtlens.web.api import json_answer

    sent = json.loads(json_answer({"a": float("nan"), "b": [float("inf")], "c": "é"}).body)
    assert sent == {"a": "NaN", "b": ["Infinity"], "c": "é"}


def test_a_verify_answer_carries_non_finite_claims_as_text(client, secret):
    token = hs_by_hand({"alg": "HS256"}, '{"n": NaN, "big": 1e400}', secret.encode())
    body = client.post("/api/verify", json={"token": token, "key": secret})
    assert body.status_code == 200 and body.json()["payload"] == {"n": "NaN", "big": "Infinity"}


def _claims_of(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


@pytest.mark.parametrize(
    ("given", "offset"),
    [
        ("+1h", 3600),
        ("-30m", -1800),
        ("now", 0),
        ("+2d", 172800),
        (1_900_000_000, None),
        ("2030-01-01T00:00:00Z", None),
    ],
)
@pytest.mark.parametrize("claim", SETTABLE_TIMES)
def test_sign_sets_each_time_claim_from_each_form(client, secret, claim, given, offset):
    before = time.time()
    body = client.post(
        "/api/sign", json={"header": {"alg": "HS256"}, "payload": {"sub": "x"}, "key": secret, claim: given}
    ).json()
    value = _claims_of(body["token"])[claim]
    assert isinstance(value, int)
    if offset is None:
        assert value == (1_900_000_000 if given == 1_900_000_000 else 1_893_456_000)
    else:
        assert before + offset - 1 <= value <= time.time() + offset + 1
    # the CLI reads the same spellings with the same parser; the API adds iat only when asked
    assert ("iat" in _claims_of(body["token"])) == (claim == "iat")


def test_sign_sets_kid_in_every_header_and_times_in_an_sd_jwt(client, secret):
    compact = client.post(
        "/api/sign", json={"header": {"alg": "HS256", "kid": "old"}, "payload": {}, "key": secret, "kid": "new"}
    ).json()
    assert json.loads(base64.urlsafe_b64decode(compact["token"].split(".")[0] + "=="))["kid"] == "new"
    general = client.post(
        "/api/sign",
        json={
            "header": [{"alg": "HS256"}, {"alg": "HS512"}],
            "payload": {"sub": "x"},
            "key": [secret, secret * 2],
            "serialization": "general",
            "kid": "k1",
            "exp": "+1h",
        },
    ).json()
    document = json.loads(general["token"])
    assert [json.loads(base64.urlsafe_b64decode(s["protected"] + "=="))["kid"] for s in document["signatures"]] == [
        "k1",
        "k1",
    ]
    assert "exp" in json.loads(base64.urlsafe_b64decode(document["payload"] + "=="))
    sd = client.post(
        "/api/sign",
        json={
            "header": {"alg": "HS256"},
            "payload": {"sub": "x", "email": "a@b"},
            "key": secret,
            "disclose": ["email"],
            "exp": "+5m",
        },
    ).json()
    assert "exp" in _claims_of(sd["token"].split("~")[0])


@pytest.mark.parametrize("bad", ["tomorrow", "2026-01-01T00:00:00", "+1y", "", "NaN", "-1y", 1e300, True])
@pytest.mark.parametrize("claim", SETTABLE_TIMES)
def test_sign_refuses_a_time_it_cannot_read_naming_the_claim(client, secret, claim, bad):
    response = client.post("/api/sign", json={"header": {"alg": "HS256"}, "payload": {}, "key": secret, claim: bad})
    if bad is True:  # a boolean is no time (never read as 1970-01-01T00:00:01Z): the body's shape is wrong
        assert error_of(response, 422)["code"] == "request_invalid"
        return
    err = error_of(response, 400)
    assert (err["code"], err["segment"]) == ("time_invalid", claim) and claim in err["message"]


def test_sign_refuses_a_time_on_a_payload_without_claims(client, secret):
    err = error_of(
        client.post("/api/sign", json={"header": {"alg": "HS256"}, "payload": "text", "key": secret, "exp": "+1h"}), 400
    )
    assert err["code"] == "payload_not_object"
