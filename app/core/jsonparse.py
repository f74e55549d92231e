"""JSON parsing that keeps what a lenient parser would hide.

Python's ``json`` lets duplicate keys silently overwrite (last wins), accepts
``NaN``/``Infinity`` and turns ``1e400`` into ``inf``, recurses once per
nesting level, raises a bare ValueError past 4300 digits of an integer, and
lets lone surrogates through. Each of these is noted here so the findings
engine can explain it; deep nesting and huge integers are refused up front.
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from .errors import InputError

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "Duplicate", "ParsedJSON", "json_safe", "nesting_depth", "parse_json"]

MAX_DEPTH = 64
#: Python's own int-string limit (sys.get_int_max_str_digits); past it json raises a bare ValueError
MAX_INT_DIGITS = 4300
# Possessive, and an unclosed string runs to the end: one pass, whatever the quotes and backslashes.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SHOWN = 120


@dataclass(frozen=True)
class Duplicate:
    """A key that appears more than once in one JSON object."""

    key: str
    values: tuple[str, ...]  # each value as compact JSON, shortened for display
    top_level: bool


@dataclass(frozen=True)
class ParsedJSON:
    value: Any
    duplicates: tuple[Duplicate, ...] = ()
    #: spellings of non-finite numbers met (NaN, Infinity, 1e400...)
    nonfinite: tuple[str, ...] = ()
    replaced_surrogates: bool = False


def _shorten(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def nesting_depth(text: str) -> int:
    """How deeply ``text`` nests arrays and objects, brackets inside strings aside; linear in its length."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, map(ord, brackets))), default=0)


def _too_deep(text: str, where: str, max_depth: int) -> InputError | None:
    # Counting brackets is cheap; only texts that could be too deep are scanned.
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        return InputError(
            "json_too_deep", f"The {where} nests JSON deeper than {max_depth} levels; jwtlens refuses it", where
        )
    return None


def _fix_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_fix_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_fix_surrogates(k): _fix_surrogates(v) for k, v in value.items()}
    return value


class _Reading(threading.local):
    """What the decoder's hooks note while one text is parsed (per thread: the server parses in a pool)."""

    def __init__(self) -> None:
        self.calls = 0
        self.found: list[tuple[int, str, tuple[str, ...]]] = []  # (hook call number, key, values)
        self.nonfinite: list[str] = []


_READING = _Reading()


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    reading = _READING
    reading.calls += 1
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: dict[str, list[str]] = {}
        for key, value in pairs:
            seen.setdefault(key, []).append(_shorten(value))
        reading.found.extend((reading.calls, k, tuple(v)) for k, v in seen.items() if len(v) > 1)
    return result


def _on_constant(name: str) -> float:
    _READING.nonfinite.append(name)
    return float(name)


def _on_float(spelling: str) -> float:
    number = float(spelling)
    if not math.isfinite(number):
        _READING.nonfinite.append(spelling)
    return number


# Built once: a decoder costs more to make than a token's JSON costs to read. Integers are read by the C
# scanner itself (a hook per integer would cost more than the parse); past Python's digit limit it raises.
_DECODER = json.JSONDecoder(object_pairs_hook=_pairs_hook, parse_constant=_on_constant, parse_float=_on_float)
_DIGITS = re.compile(r"-?[0-9]++")


def _longest_integer(text: str) -> int:
    return max((len(m.group().lstrip("-")) for m in _DIGITS.finditer(text)), default=0)


def parse_json(text: str, where: str, *, max_depth: int = MAX_DEPTH) -> ParsedJSON:
    """Parse ``text``; raise InputError naming ``where`` and the position on failure."""
    too_deep = _too_deep(text, where, max_depth)
    if too_deep is not None:
        raise too_deep
    reading = _READING
    reading.calls, reading.found, reading.nonfinite = 0, [], []
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            "bad_json",
            f"The {where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            where,
        ) from None
    except ValueError:  # an integer past Python's digit limit (the only other ValueError json raises)
        digits = _longest_integer(text)
        raise InputError(
            "json_number_too_long",
            f"The {where} holds an integer of {digits:,} digits; jwtlens reads at most {MAX_INT_DIGITS:,}",
            where,
        ) from None
    except RecursionError:  # pragma: no cover - the depth check above refuses these first
        raise InputError("json_too_deep", f"The {where} nests JSON too deeply", where) from None
    top_call = reading.calls if isinstance(value, dict) else -1
    duplicates = tuple(Duplicate(key, values, call == top_call) for call, key, values in reading.found)
    nonfinite = tuple(reading.nonfinite)
    replaced = False
    if _SURROGATE_ESCAPE.search(text):
        fixed = _fix_surrogates(value)
        replaced = fixed != value
        value = fixed
    return ParsedJSON(value, duplicates, nonfinite, replaced)


def json_safe(value: Any) -> Any:
    """Return ``value`` with non-finite floats spelled as strings, so it can be sent as JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    return value


def json_kind(value: Any) -> str:
    """What a JSON value is, in words: "a string", "an array", "NaN"..."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "an infinite number"
    if isinstance(value, int) and value.bit_length() > 1024:
        return "a number too large for any date"  # past a float's range
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else "null"
