"""Huge integers, times outside the calendar and deep JSON: a clear 400 or a named finding, never a 500.

Python's int-string limit raises ValueError past 4300 digits, float() raises OverflowError past ~1e308,
and datetime stops at year 9999: each is met in a header, a payload claim, a policy "now" or a paste.
"""

from __future__ import annotations

import base64
import json

import pytest
from jwtlens.core.jsonparse import MAX_INT_DIGITS

from tests.makers import b64url

SECRET = "numbers-secret-0123456789abcdefghijkl"


def signed(payload_text: str, header_text: str = '{"alg":"HS256"}') -> str:
    """A token with exactly this payload text, HMAC-signed (json.dumps cannot spell 10**5000)."""
    import hashlib
    import hmac

    signing_input = f"{b64url(header_text)}.{b64url(payload_text)}"
    mac = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


TOO_MANY_DIGITS = [MAX_INT_DIGITS + 1, 5000, 20_000]


@pytest.mark.parametrize("digits", TOO_MANY_DIGITS)
@pytest.mark.parametrize("sign", ["", "-"])
@pytest.mark.parametrize("where", ["payload", "header"])
def test_an_integer_past_4300_digits_is_a_named_400(client, digits, sign, where):
    number = sign + "9" * digits
    token = (
        signed('{"sub":"a"}', f'{{"alg":"HS256","n":{number}}}') if where == "header" else signed(f'{{"exp":{number}}}')
    )
    for path, body in (("/api/decode", {"token": token}), ("/api/verify", {"token": token, "key": SECRET})):
        answer = client.post(path, json=body)
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert error["code"] == "json_number_too_long" and error["segment"] == where
        assert f"{digits:,} digits" in error["message"] and "999999" not in error["message"]
    page = client.post("/fragments/token", data={"token": token, "key": SECRET, "mode": "verify"})
    assert page.status_code == 200 and f"{digits:,} digits" in page.text


def test_4300_digits_are_still_read(client):
    token = signed('{"sub":"a","n":' + "7" * MAX_INT_DIGITS + "}")
    answer = client.post("/api/verify", json={"token": token, "key": SECRET})
    assert answer.status_code == 200 and answer.json()["signature"]["valid"] is True


OUT_OF_RANGE = ["1e300", "-1e20", "1e308", "-1e308", "1" + "0" * 400, "-" + "9" * 4000, "253402300800", "1e999"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_times_outside_the_calendar_never_break_the_claims_table_or_timeline(client, value, claim):
    token = signed(f'{{"sub":"a","{claim}":{value}}}')
    decoded = client.post("/api/decode", json={"token": token})
    assert decoded.status_code == 200, decoded.text
    verified = client.post("/api/verify", json={"token": token, "key": SECRET, "policy": {"leeway": 5}})
    assert verified.status_code == 200 and verified.json()["signature"]["valid"] is True
    body = verified.json()
    (check,) = [c for c in body["claims"] if c["name"] == claim]
    assert check["status"] in ("pass", "warn", "fail", "skip") and check["message"]
    if "e999" in value or len(value) > 300:
        # Fail closed: a time no float can hold is no NumericDate, so the token is not verified.
        assert body["verified"] is False and check["status"] == "fail"
    page = client.post("/fragments/token", data={"token": token, "key": SECRET, "mode": "verify"})
    assert page.status_code == 200 and "Traceback" not in page.text


@pytest.mark.parametrize("now", [1e300, -1e300, 1e20, 253402300800])
def test_a_policy_now_outside_the_calendar_is_a_400_or_an_answer(client, now):
    token = signed('{"sub":"a","exp":1800000000,"iat":1700000000}')
    answer = client.post("/api/verify", json={"token": token, "key": SECRET, "policy": {"now": now}})
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:
        assert answer.json()["error"]["segment"] == "policy"
    page = client.post(
        "/fragments/settings", data={"token": token, "key": SECRET, "mode": "verify", "policy_now": str(now)}
    )
    assert page.status_code == 200


def test_a_policy_now_with_thousands_of_digits_is_a_400(client):
    token = signed('{"sub":"a"}')
    raw = '{"token": "' + token + '", "key": "' + SECRET + '", "policy": {"now": ' + "9" * 5000 + "}}"
    answer = client.post("/api/verify", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code in (400, 422) and set(answer.json()["error"]) == {"code", "message", "segment"}
    page = client.post("/fragments/settings", data={"token": token, "key": SECRET, "policy_now": "9" * 5000})
    assert page.status_code == 200


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 20_000 + "1" + "}" * 20_000, '[{"x":[' * 5000])
def test_a_deeply_nested_paste_is_a_named_400_and_a_page_message(client, text):
    for path, body in (("/api/decode", {"token": text}), ("/api/verify", {"token": text, "key": SECRET})):
        answer = client.post(path, json=body)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "json_too_deep"
    page = client.post("/fragments/token", data={"token": text, "mode": "verify"})
    assert page.status_code == 200 and "deeper than 64 levels" in page.text


@pytest.mark.parametrize("segment", ["header", "payload"])
def test_deep_json_inside_a_token_is_a_named_400(client, segment):
    deep = "[" * 5000 + "]" * 5000
    token = signed('{"sub":"a"}', deep) if segment == "header" else signed(deep)
    answer = client.post("/api/decode", json={"token": token})
    assert answer.status_code == 400 and answer.json()["error"] == {
        "code": "json_too_deep",
        "message": f"The {segment} nests JSON deeper than 64 levels; jwtlens refuses it",
        "segment": segment,
    }


def test_huge_numbers_in_a_pasted_json_document_do_not_hide_the_token(client):
    token = signed('{"sub":"a"}')
    paste = '{"expires_in": ' + "9" * 10_000 + ', "access_token": "' + token + '"}'
    answer = client.post("/api/verify", json={"token": paste, "key": SECRET})
    assert answer.status_code == 200 and answer.json()["verified"] is True
    assert json.loads(answer.text)["signature"]["valid"] is True


@pytest.mark.parametrize("value", [1.7e308, -1.7e308, 1e300, -1e20, 253402300800.0, -62135596801.0, 0.0])
@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_the_timeline_draws_any_finite_time_on_the_axis(value, claim):
    import math

    from jwtlens.web.view import build_timeline

    payload = {"iat": 1_700_000_000, "exp": 1_800_000_000, claim: value}
    timeline = build_timeline(payload, now=1_750_000_000, leeway=30)
    assert timeline is not None
    positions = [m.x for m in timeline.markers] + list(timeline.valid) + [x for band in timeline.bands for x in band]
    assert all(math.isfinite(x) and -1 <= x <= 1001 for x in positions), positions
    (marker,) = [m for m in timeline.markers if m.name == claim]
    in_range = -62135596800 <= value <= 253402300799
    assert ("out of the calendar's range" in marker.label) is not in_range


def test_the_page_renders_a_far_future_exp_without_nan(client):
    token = signed('{"sub":"a","iat":1700000000,"exp":1.7e308}')
    page = client.post("/fragments/token", data={"token": token, "key": SECRET, "mode": "verify"})
    assert page.status_code == 200 and '="nan' not in page.text.lower() and "nan%" not in page.text.lower()
    assert "out of the calendar" in page.text
