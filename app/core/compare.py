"""Two tokens side by side: what their headers and claims add, remove and change, and their lifetimes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .errors import InputError
from .timefmt import as_numeric_date, duration
from .tokens import DecodedToken, decode_token

__all__ = ["Comparison", "Difference", "compare_tokens"]

Change = Literal["added", "removed", "changed", "same"]
_MISSING: Any = object()


@dataclass(frozen=True)
class Difference:
    part: Literal["header", "payload"]
    name: str
    change: Change
    first: Any = None
    second: Any = None


@dataclass(frozen=True)
class Lifetime:
    seconds: float | None
    text: str


@dataclass(frozen=True)
class Comparison:
    first: DecodedToken
    second: DecodedToken
    differences: tuple[Difference, ...]
    lifetimes: tuple[Lifetime, Lifetime]

    @property
    def changed(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.change != "same")


def _lifetime(token: DecodedToken) -> Lifetime:
    payload = token.payload or {}
    exp, iat = as_numeric_date(payload.get("exp")), as_numeric_date(payload.get("iat", payload.get("nbf")))
    if exp is None:
        return Lifetime(None, "never expires (no exp)")
    if iat is None:
        return Lifetime(None, "unknown (no iat or nbf)")
    return Lifetime(exp - iat, duration(exp - iat))


def _diff(part: Literal["header", "payload"], a: dict[str, Any], b: dict[str, Any]) -> list[Difference]:
    rows = []
    for name in list(a) + [n for n in b if n not in a]:
        first, second = a.get(name, _MISSING), b.get(name, _MISSING)
        if first is _MISSING:
            rows.append(Difference(part, name, "added", None, second))
        elif second is _MISSING:
            rows.append(Difference(part, name, "removed", first, None))
        else:
            same = first == second and type(first) is type(second)
            rows.append(Difference(part, name, "same" if same else "changed", first, second))
    return rows


def _decode(text: str, which: str, max_token: int) -> DecodedToken:
    try:
        return decode_token(text, max_size=max_token)
    except InputError as exc:
        problem = exc.problem
        raise InputError(
            problem.code, f"The {which} token: {problem.message}", which, too_large=problem.too_large
        ) from None


def compare_tokens(first_text: str, second_text: str, *, max_token: int) -> Comparison:
    """Both tokens decoded (InputError names which one is malformed) and compared name by name."""
    first = _decode(first_text, "first", max_token)
    second = _decode(second_text, "second", max_token)
    rows = _diff("header", first.header, second.header) + _diff("payload", first.payload or {}, second.payload or {})
    return Comparison(first, second, tuple(rows), (_lifetime(first), _lifetime(second)))
