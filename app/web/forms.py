"""Reading htmx's url-encoded form posts without another dependency."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Request

from ..core.errors import InputError

__all__ = ["Form", "read_form"]


class Form:
    def __init__(self, fields: dict[str, list[str]]) -> None:
        self._fields = fields

    def get(self, name: str, default: str = "") -> str:
        values = self._fields.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return list(self._fields.get(name, []))

    def has(self, name: str) -> bool:
        return name in self._fields


async def read_form(request: Request) -> Form:
    body = await request.body()
    # Browsers send url-encoded forms as UTF-8; undecodable bytes become U+FFFD rather than an error.
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=200)
    except ValueError:
        raise InputError("form_fields", "The form has too many fields", "form") from None
    return Form(fields)
