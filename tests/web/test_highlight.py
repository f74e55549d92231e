"""The editors' coloured layers: the text unchanged, claims found by structure, marks on their lines."""

from __future__ import annotations

import json
import re
import time
from html import unescape

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jwtlens.web.highlight import HIGHLIGHT_LIMIT, LineMark, claim_lines, error_position, json_layer, token_layer

_TAG = re.compile(r"<[^>]*>")


def shown(markup: str) -> str:
    """What a browser shows of the layer: the text without tags (marks are empty elements)."""
    return unescape(_TAG.sub("", str(markup)))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values, st.sampled_from([None, 0, 2, 4]), st.booleans())
def test_the_layer_holds_exactly_the_text_of_any_json_in_any_layout(value, indent, ascii_only) -> None:
    text = json.dumps({"v": value, "w": 1}, indent=indent, ensure_ascii=ascii_only)
    marks = (LineMark(0, "pass", "v", "ok"),)
    assert shown(json_layer(text, marks)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_the_layer_holds_exactly_any_text_even_broken_json(text) -> None:
    assert shown(json_layer(text, (LineMark(0, "fail", "x", "<b>&"),), (0, 0))) == text


def test_markup_in_the_text_or_a_message_is_escaped() -> None:
    text = '{"<img src=x onerror=alert(1)>": "</span><script>x</script>"}'
    layer = str(json_layer(text, (LineMark(0, "fail", "a", '"><script>'),)))
    assert "<script>" not in layer and "<img" not in layer
    assert shown(layer) == text


@pytest.mark.parametrize("indent", [None, 0, 1, 2, "\t"])
@pytest.mark.parametrize("order", [("sub", "exp", "nested"), ("nested", "exp", "sub")])
def test_claim_lines_follow_structure_not_layout(indent, order) -> None:
    claims = {"sub": "a", "exp": 1, "nested": {"exp": "inner", "sub": ["x", {"deep": 1}]}}
    text = json.dumps({name: claims[name] for name in order}, indent=indent)
    lines = claim_lines(text)
    assert set(lines) == set(claims)
    for name, number in lines.items():
        assert f'"{name}"' in text.split("\n")[number]
    # names inside nested objects are not claims; the outer line of "nested" is
    assert text.split("\n")[lines["exp"]].count('"exp"') >= 1


def test_claim_lines_read_escaped_names_and_keep_the_first_of_a_duplicate() -> None:
    text = '{\n  "s\\u0075b": 1,\n  "exp": 2,\n  "exp": 3\n}'
    assert claim_lines(text) == {"sub": 1, "exp": 2}


@pytest.mark.parametrize(
    ("bad", "line", "column"),
    [('{"a": }', 0, 6), ('{\n  "a": 1,,\n}', 1, 9), ('{\n\n  "a": tru\n}', 2, 7)],
)
def test_a_json_error_is_drawn_at_its_line_and_column(bad, line, column) -> None:
    try:
        json.loads(bad)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    at = error_position(message)
    assert at == (line, column)
    layer = str(json_layer(bad, (LineMark(line, "error", "json", message),), at))
    before_marker = shown(layer.split('<span class="j-err-at">')[0])
    lines = before_marker.split("\n")
    assert (len(lines) - 1, len(lines[-1])) == (line, column)
    assert shown(layer) == bad


def test_marks_on_one_line_show_the_worst_and_list_every_message() -> None:
    marks = (LineMark(1, "pass", "exp", "fine"), LineMark(1, "fail", "exp rule", "too late"))
    layer = str(json_layer('{\n "exp": 1\n}', marks))
    assert layer.count('class="mark') == 1 and "mark-fail" in layer
    assert "fine" in layer and "too late" in layer


def test_past_the_highlight_limit_marks_and_errors_keep_their_lines() -> None:
    text = json.dumps({"arr": list(range(HIGHLIGHT_LIMIT // 2)), "late": True}, indent=2)
    late = claim_lines(text)["late"]
    layer = str(json_layer(text, (LineMark(late, "warn", "late", "w"),), (late, 2)))
    assert shown(layer) == text
    lines = layer.split("\n")
    assert "mark-warn" in lines[late] and 'class="j-err-at"' in lines[late]
    assert 'class="j-num"' not in lines[late - 1]  # drawn plain past the limit


@pytest.mark.parametrize("size", [20_000, 200_000])
def test_work_is_linear_in_the_text(size) -> None:
    def cost(n: int) -> float:
        text = json.dumps({"a": [1] * n, "b": ["x"] * n, "c": "y" * n}, indent=2)
        started = time.perf_counter()
        claim_lines(text)
        json_layer(text, (LineMark(0, "pass", "a", "ok"),))
        return time.perf_counter() - started

    small, large = cost(size // 10), cost(size)
    assert large < max(small, 0.002) * 10 * 5  # ten times the input: well under fifty times the time


SECRET = "s" * 32


def _token() -> str:
    return jwt.encode({"sub": "x" * 60, "exp": 2_000_000_000}, SECRET, "HS256")


@pytest.mark.parametrize(
    "wrap",
    [
        lambda t: t,
        lambda t: f'"{t}"',
        lambda t: f"Bearer {t}",
        lambda t: f"token={t}",
        lambda t: "\n".join(t[i : i + 17] for i in range(0, len(t), 17)),
        lambda t: t.replace(".", ". \n"),
        lambda t: f"  'jwt={t[:30]}\r\n   {t[30:]}'  ",
    ],
)
def test_the_token_layer_colours_each_part_where_it_stands(wrap) -> None:
    token = _token()
    text = wrap(token)
    layer = str(token_layer(text, token.split("."), ("header", "payload", "signature")))
    assert shown(layer) == text
    parts = re.findall(r'<span class="tok-(\w+)">(.*?)</span>', layer, re.DOTALL)
    assert [name for name, _ in parts] == ["header", "payload", "signature"]
    assert ["".join(unescape(body).split()).strip("\"'") for _, body in parts] == token.split(".")


def test_text_without_the_token_is_shown_plain_and_escaped() -> None:
    layer = str(token_layer("<b>not a token</b>", ("eyJa", "eyJb", "c"), ("header", "payload", "signature")))
    assert layer == "&lt;b&gt;not a token&lt;/b&gt;"
