"""Finding a token in pasted text: every wrapper still works, and 1 MB of adversarial text stays linear."""

from __future__ import annotations

import json
import random
import re
import time

import pytest
from jwtlens.core import InputError, sign
from jwtlens.core.extract import TIDIED, extract_token, find_token, is_token, unwrap
from jwtlens.core.jsonparse import MAX_DEPTH, nesting_depth

SECRET = "extract-secret-0123456789abcdefghijkl"
JWS = sign({"alg": "HS256", "typ": "JWT"}, {"sub": "alice", "n": 1}, SECRET).token
#: 1 MB: the size of the largest request body
MEGABYTE = 1_000_000
#: ~0.2 s measured on a loaded 2-core machine; the old backtracking scan took hours on several of these
BOUND_SECONDS = 3.0


def _jwe_shaped() -> str:
    head, payload, sig = JWS.split(".")
    return f"{head}.{payload}.{sig}.{payload}.{sig}"


@pytest.mark.parametrize(
    ("text", "source"),
    [
        (JWS, None),
        (f"  {JWS}\n", None),
        (f"\ufeff{JWS}", None),
        (f"Bearer {JWS}", "the 'Bearer' prefix"),
        (f"Authorization: Bearer {JWS}", "the Authorization header"),
        (f"authorization:{JWS}", "the Authorization header"),
        (f"Cookie: session={JWS}; theme=dark", "a Cookie"),
        (f"Set-Cookie: id={JWS}; HttpOnly", "a Set-Cookie"),
        (f"curl -H 'Authorization: Bearer {JWS}' https://api.example/x", "a curl command"),
        (f'curl "https://api.example/cb?id_token={JWS}"', "a curl command (its URL's query)"),
        (f"https://app.example/cb?state=1&id_token={JWS}", "the URL's query (id_token)"),
        (f"https://app.example/cb#access_token={JWS}&x=1", "the URL's fragment (access_token)"),
        (json.dumps({"access_token": JWS, "expires_in": 3600}), "the JSON (access_token)"),
        (json.dumps({"data": [{"deep": {"value": JWS}}]}), "the JSON (data.0.deep.value)"),
        ('{"n": ' + "9" * 5000 + f', "id_token": "{JWS}"}}', "the JSON (id_token)"),
        (f"2026-01-01 INFO user=alice token={JWS} status=200", "the text around it"),
        (f'[auth] got "{JWS}", retrying', "the text around it"),
        (f"key={JWS} ok", "the text around it"),
        (
            json.dumps(
                {"log": {"entries": [{"request": {"headers": [{"name": "Authorization", "value": f"Bearer {JWS}"}]}}]}}
            ),
            "a HAR request's Authorization header",
        ),
    ],
)
def test_every_wrapper_still_yields_the_token(text, source):
    found = extract_token(text)
    assert found.token == JWS and found.source == source


def test_five_part_tokens_and_padding_are_found_whole():
    jwe = _jwe_shaped()
    assert extract_token(f"Authorization: Bearer {jwe}").token == jwe
    assert find_token(f"x {JWS}== y") == f"{JWS}=="
    assert is_token(JWS) and is_token(jwe)
    assert not is_token(JWS + ".x") and not is_token("eyJ.a") and not is_token("ey.a.b")


def test_a_query_token_is_marked_as_leaked_by_the_url():
    assert extract_token(f"https://a.example/?t={JWS}").in_query is True
    assert extract_token(f"https://a.example/#t={JWS}").in_query is False
    assert extract_token(f"curl https://a.example/?t={JWS}").in_query is True
    assert extract_token(f"curl -H 'Authorization: Bearer {JWS}' https://a.example/?q=1").in_query is False


def test_two_tokens_in_free_text_are_not_guessed_between():
    assert extract_token(f"old {JWS} new {_jwe_shaped()}").source is None


def _sloppy(token: str) -> dict[str, str]:
    """Each way a copied token arrives with extra characters, one class per entry."""
    parts = token.split(".")
    return {
        "double quotes": f'"{token}"',
        "single quotes": f"'{token}'",
        "quotes and outer spaces": f'  "{token}"\n',
        "line breaks at the dots": ".\n".join(parts),
        "CRLF inside parts": "\r\n".join(token[i : i + 30] for i in range(0, len(token), 30)),
        "tabs and spaces inside parts": token[:12] + " \t " + token[12:40] + "  " + token[40:],
        "token=": f"token={token}",
        "jwt= with spaces": f"JWT = {token}",
        "id_token:": f"id_token: {token}",
        "access_token= quoted and wrapped": f'"access_token={token[:25]}\n{token[25:]}"',
    }


@pytest.mark.parametrize("case", list(_sloppy("a.b.c")))
@pytest.mark.parametrize("token", [JWS, _jwe_shaped()], ids=["JWS", "JWE"])
def test_a_sloppy_paste_yields_its_one_token_and_says_it_was_tidied(case, token):
    found = extract_token(_sloppy(token)[case])
    assert found.token == token
    assert found.source in (TIDIED, "the text around it")  # in a line of text or tidied: either way, named


@pytest.mark.parametrize(
    "text",
    [
        f"{JWS} {JWS}",  # two tokens side by side never merge
        f"{JWS}\n{_jwe_shaped()}",
        f'"{JWS}" "{JWS}"',
        "token=not-a-token",
        '"eyJ.a"',
        f"password={JWS[:20]}",  # a name that is not a token's, a cut token
        "",
        "   ",
    ],
)
def test_what_is_not_one_token_once_tidied_is_left_as_it_is(text):
    assert unwrap(text) is None
    assert extract_token(text).source != TIDIED


ADVERSARIAL = {
    "Authorization + ey*": "Authorization: " + "ey" * (MEGABYTE // 2),
    "Bearer + eyJ. runs": "Bearer x " + "eyJ." * (MEGABYTE // 4),
    "log line of ey.": "log " + "ey." * (MEGABYTE // 3),
    "log line of eyJ+.": "log " + "eyJ+." * (MEGABYTE // 5),
    "a.a.a.": "a." * (MEGABYTE // 2),
    "a.a.a. in free text": "x " + "a." * (MEGABYTE // 2),
    "eyJ= chains": "x " + "eyJ=" * (MEGABYTE // 4) + " y",
    "nested quotes": '{"a": "' + '\\"' * (MEGABYTE // 2) + '"}',
    "unclosed escaped quotes": '["' + '\\"' * (MEGABYTE // 2),
    "JSON with many keys": json.dumps({f"k{i}": "ey.a.b" for i in range(MEGABYTE // 14)}),
    "curl with http:// repeated": "curl " + "http://?" * (MEGABYTE // 8),
    "URL with many pairs": "https://x.example/?" + "a=ey.b&" * (MEGABYTE // 7),
    "HAR of dotted URLs": json.dumps(
        {"log": {"entries": [{"request": {"headers": [], "url": "http://x/?a=" + "ey." * 300}}] * 1000}}
    ),
    "JSON integer of a million digits": '{"a": ' + "9" * (MEGABYTE - 10) + "}",
}


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_a_megabyte_of_adversarial_text_is_handled_in_bounded_time(name):
    text = ADVERSARIAL[name]
    started = time.perf_counter()
    found = extract_token(text)
    elapsed = time.perf_counter() - started
    assert elapsed < BOUND_SECONDS, f"{name}: {elapsed:.2f} s"
    assert found.source is None or len(found.token) < len(text)


@pytest.mark.parametrize("opener", ["[", '{"a":', '[{"b":'])
def test_deep_json_is_refused_with_a_message_not_a_recursion_error(opener):
    text = opener * (MEGABYTE // len(opener))
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        extract_token(text)
    assert time.perf_counter() - started < BOUND_SECONDS
    assert caught.value.problem.code == "json_too_deep" and caught.value.problem.segment == "token"
    assert str(MAX_DEPTH) in caught.value.problem.message


def test_json_just_within_the_depth_limit_is_read():
    nested = {"access_token": JWS}
    for _ in range(MAX_DEPTH - 1):
        nested = {"x": nested}
    assert extract_token(json.dumps(nested)).token == JWS


def test_brackets_in_a_log_line_do_not_hide_a_token():
    assert extract_token("[" * 100 + f" token={JWS} " + "]").token == JWS


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "{{{{"]', 1),  # brackets inside strings do not count
        ('["\\"[[[["]', 1),  # nor after an escaped quote
        ("[[[[", 4),
        ('"[[[', 0),  # an unclosed string runs to the end
        ("no json", 0),
    ],
)
def test_nesting_depth(text, depth):
    assert nesting_depth(text) == depth


def _first_token_by_segments(text: str) -> str | None:
    """The rule written the plain way, one segment at a time: the oracle for the single-regex scan.

    In each run of token characters, a token starts at the first "ey" after the last '+', '/' or '=' of a
    segment (padding '=' at its end aside) that has a character after it, and takes that segment and the next
    two (or four, when there are that many) segments.
    """
    for run in re.findall(r"[A-Za-z0-9_\-+/=.]+", text):
        segments = run.split(".")
        for index, segment in enumerate(segments):
            if len(segments) - index < 3:
                break
            body = segment.rstrip("=")
            cut = max(body.rfind("+"), body.rfind("/"), body.rfind("=")) + 1
            start = segment.find("ey", cut)
            if start >= 0 and len(segment) - start >= 3:
                count = 5 if len(segments) - index >= 5 else 3
                return ".".join(segments[index : index + count])[start:]
    return None


@pytest.mark.parametrize("alphabet", ["ey.+/=abJ0-_", "ey.=+", "eyJ.abc=+/", "ey.", 'eyJhbG.=+/ "\n:,'])
def test_the_token_found_is_the_one_the_rule_names(alphabet):
    rng = random.Random(alphabet)
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert find_token(text) == _first_token_by_segments(text), repr(text)
