"""The two sides a fetch can fail on, decided where the error is raised, and URLs as messages show them."""

from __future__ import annotations

import re

from ..core.errors import InputError

__all__ = ["FetchRefused", "UpstreamFailed", "shown", "shown_url"]

_SHOWN = 200  # characters of a URL or remote value quoted in a message
_USERINFO = re.compile(r"[^/\\?#]*@")


class FetchRefused(InputError):
    """jwtlens refuses to fetch a URL (given, discovered or redirected to) under its rules: a 400."""

    def __init__(self, code: str, message: str, segment: str) -> None:
        super().__init__(code, message, segment)


class UpstreamFailed(InputError):
    """The other server failed or misbehaved (no answer, a bad status, not a JWK Set...): a 502."""

    def __init__(self, code: str, message: str, segment: str) -> None:
        super().__init__(code, message, segment, upstream=True)


def shown(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def shown_url(url: object) -> str:
    """scheme://host/path only: a query, fragment or user info may carry a secret, so none is ever shown."""
    text = re.split(r"[?#]", str(url), maxsplit=1)[0]
    return shown(_USERINFO.sub("", text))
