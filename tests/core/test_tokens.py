"""Decoding without a key: structure, base64url, JSON, and every malformed shape."""

from __future__ import annotations

import json
import time

import pytest
from jwtlens.core import InputError, decode, decode_token
from jwtlens.core.b64 import decode_segment
from jwtlens.core.jsonparse import parse_json
from jwtlens.core.timefmt import duration

from tests.makers import b64url


def token(header: dict | str, payload: dict | str, signature: str = "c2ln") -> str:
    h = header if isinstance(header, str) else json.dumps(header)
    p = payload if isinstance(payload, str) else json.dumps(payload)
    return f"{b64url(h)}.{b64url(p)}.{signature}"


GOOD = token({"alg": "HS256", "typ": "JWT"}, {"sub": "ada", "exp": 1_800_000_000})


def problem(text: str, **kwargs) -> tuple[str, str, str | None]:
    with pytest.raises(InputError) as info:
        decode_token(text, **kwargs)
    p = info.value.problem
    return p.code, p.message, p.segment


def test_decodes_header_payload_and_signature():
    t = decode_token(GOOD)
    assert t.header == {"alg": "HS256", "typ": "JWT"}
    assert t.payload == {"sub": "ada", "exp": 1_800_000_000}
    assert t.signature == b"sig"
    assert t.alg == "HS256"
    assert t.signing_input == ".".join(GOOD.split(".")[:2]).encode()


@pytest.mark.parametrize("size", [40, 1024, 1025, 5000])
def test_a_header_read_again_is_the_callers_own(size):
    # short headers are cached across tokens; one caller changing its dict must not change the next token's
    header = {"alg": "HS256", "kid": "k" * max(size - 40, 1)}
    text = token(header, {"sub": "ada"})
    first = decode_token(text)
    first.header["alg"] = "none"
    first.header["added"] = True
    again = decode_token(text)
    assert again.header == header
    assert again.header_text == json.dumps(header)
    bad = token(json.dumps(header)[:-1], {"sub": "ada"})  # the same header broken: an error every time, never cached
    assert problem(bad)[0] == problem(bad)[0] == "bad_json"


@pytest.mark.parametrize(
    "wrapped", [f"  {GOOD}\n", f"Bearer {GOOD}", f"bearer   {GOOD}", f"Authorization: Bearer {GOOD}"]
)
def test_tolerates_whitespace_and_bearer_prefix(wrapped):
    assert decode_token(wrapped).text == GOOD


def test_says_where_it_found_the_token():
    assert decode_token(f"Bearer {GOOD}").source == "the 'Bearer' prefix"
    assert decode_token(GOOD).source is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("abc", "this token has 1 segment (0 dots)"),
        ("a.b", "this token has 2 segments (1 dot)"),
        ("a.b.c.d", "this token has 4 segments (3 dots)"),
    ],
)
def test_wrong_number_of_dots(text, fragment):
    code, message, segment = problem(text)
    assert code == "token_segments" and segment == "token"
    assert fragment in message


def test_five_segments_is_recognised_as_jwe():
    code, message, _ = problem("a.b.c.d.e")
    assert code == "token_is_jwe" and "JWE" in message


def test_empty_token():
    assert problem("   ")[0] == "token_empty"


def test_bad_base64url_names_segment_and_position():
    header, payload, sig = GOOD.split(".")
    code, message, segment = problem(f"{header}.{payload[:5]}*{payload[6:]}.{sig}")
    assert (code, segment) == ("bad_base64url", "payload")
    assert "character 6" in message


@pytest.mark.parametrize("segment", ["=eyJ", "ey=J", "e==yJ"])
def test_padding_in_the_middle_is_named(segment):
    code, message, where = problem(f"{segment}.e30.c2ln")
    assert (code, where) == ("bad_base64url", "header") and "padding in the middle" in message


def test_impossible_base64_length():
    code, message, segment = problem(f"{GOOD.split('.')[0]}.A.sig")
    assert (code, segment) == ("bad_base64url", "payload") and "length" in message


def test_invalid_header_json_gives_position():
    code, message, segment = problem(token('{"alg": "HS256",}', {"a": 1}))
    assert (code, segment) == ("bad_json", "header")
    assert "line 1, column 17" in message


def test_header_must_be_an_object():
    code, message, segment = problem(token("[1, 2]", {"a": 1}))
    assert (code, segment) == ("header_not_object", "header") and "an array" in message


def test_header_not_utf8():
    bad_header = b64url(b"\xff\xfe")
    code, _, segment = problem(f"{bad_header}.{b64url('{}')}.sig")
    assert (code, segment) == ("not_utf8", "header")


def test_payload_broken_json_is_an_error_with_position():
    code, message, segment = problem(token({"alg": "HS256"}, '{"sub": }'))
    assert (code, segment) == ("bad_json", "payload") and "column 9" in message


@pytest.mark.parametrize(("payload", "kind"), [('"text"', None), ("[1]", "an array"), ("plain words", None)])
def test_payload_that_is_not_an_object_decodes_with_null_claims(payload, kind):
    t = decode_token(token({"alg": "HS256"}, payload))
    assert t.payload is None
    assert t.payload_text == payload
    assert t.payload_json_kind == kind


def test_binary_payload():
    binary = b64url(b"\x00\xff")
    t = decode_token(f"{b64url(json.dumps({'alg': 'HS256'}))}.{binary}.sig")
    assert t.payload is None and not t.payload_is_utf8


def test_error_text_never_contains_the_token():
    secretish = "SUPERSECRETVALUE"
    bad = token({"alg": "HS256", "x": secretish}, {"a": 1}).replace(".", "!", 1)
    with pytest.raises(InputError) as info:
        decode_token(bad + "." + "x")
    assert secretish not in info.value.problem.message
    assert b64url(json.dumps({"alg": "HS256", "x": secretish}))[:20] not in info.value.problem.message


def test_size_cap():
    code, message, segment = problem("a" * 2000, max_size=1000)
    assert segment == "token"
    assert code == "token_too_large" and "2,000" in message and "1,000" in message


def test_duplicate_keys_are_kept_for_findings():
    t = decode_token(token('{"alg":"HS256","alg":"none"}', '{"sub":"a","sub":"b"}'))
    assert t.header["alg"] == "none"  # last wins, like joserfc and Python
    found = {(where, d.key, d.values) for where, d in t.duplicates}
    assert ("header", "alg", ('"HS256"', '"none"')) in found
    assert ("payload", "sub", ('"a"', '"b"')) in found


def test_nested_duplicates_are_not_marked_top_level():
    parsed = parse_json('{"a": {"b": 1, "b": 2}, "c": 1, "c": 2}', "payload")
    marks = {d.key: d.top_level for d in parsed.duplicates}
    assert marks == {"b": False, "c": True}


@pytest.mark.parametrize("spelling", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_noticed(spelling):
    t = decode_token(token({"alg": "HS256"}, f'{{"exp": {spelling}}}'))
    assert ("payload", spelling) in t.nonfinite


def test_deep_nesting_is_refused_quickly():
    started = time.perf_counter()
    deep = token({"alg": "HS256"}, "[" * 100_000 + "]" * 100_000)
    code, _, segment = problem(deep, max_size=len(deep))
    assert (code, segment) == ("json_too_deep", "payload")
    # Not a timing assertion on the machine's speed: a generous bound against runaway recursion.
    assert time.perf_counter() - started < 5


def test_brackets_inside_strings_do_not_count_as_depth():
    parse_json(json.dumps({"s": "[" * 500}), "payload")


def test_lone_surrogate_is_replaced():
    parsed = parse_json('{"a": "x\\ud800y"}', "payload")
    assert parsed.value == {"a": "x\ufffdy"} and parsed.replaced_surrogates


@pytest.mark.parametrize(
    ("text", "reason"),
    [("YWJj=", "padding"), ("a+8", "'+' or '/'"), ("YWJk", None), ("YWJ", "last character")],
)
def test_noncanonical_base64url_is_marked(text, reason):
    seg = decode_segment(text, "payload")
    if reason is None:
        assert seg.canonical
    else:
        assert not seg.canonical and reason in (seg.noncanonical_reason or "")


def test_b64_false_payload_is_taken_as_is():
    header = b64url(json.dumps({"alg": "HS256", "b64": False, "crit": ["b64"]}))
    t = decode_token(f"{header}.$.02.sig".replace(".02", ""))
    assert t.payload_text == "$" and not t.b64


def test_decode_lists_claims_with_human_times():
    result = decode(GOOD, now=1_800_000_000 - 240)
    exp = next(c for c in result.claims if c.name == "exp")
    assert exp.time is not None
    assert exp.time.iso == "2027-01-15T08:00:00Z"
    assert exp.time.relative == "expires in 4 min"
    assert "Expiration" in exp.description
    sub = next(c for c in result.claims if c.name == "sub")
    assert sub.time is None and sub.description.startswith("Subject")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (59, "59 s"),
        (192, "3 min 12 s"),
        (240, "4 min"),
        (7200, "2 h"),
        (90061, "1 day 1 h"),
        (-192, "3 min 12 s"),
    ],
)
def test_duration(seconds, text):
    assert duration(seconds) == text
