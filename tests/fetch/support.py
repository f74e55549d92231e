"""Helpers shared by the jwtlens.fetch tests: JWK Sets to serve, a loopback policy, fake DNS, and a failure's parts."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence

import pytest
from jwtlens.core.errors import InputError
from jwtlens.fetch import FetchPolicy

JWKS_A = {"keys": [{"kty": "oct", "kid": "A", "k": "c2VjcmV0LWE"}]}
JWKS_B = {"keys": [{"kty": "oct", "kid": "B", "k": "c2VjcmV0LWI"}]}
LOCAL = FetchPolicy(bound_to_loopback=True, connect_timeout=1.0, total_timeout=2.0)
METADATA_IP = "http://169.254.169.254/latest/meta-data"


def fake_dns(table: dict[str, Sequence[str]]) -> Callable[[str, int], Sequence[str]]:
    def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


def problem(call: Callable[[], object]) -> tuple[str, str, str | None]:
    with pytest.raises(InputError) as caught:
        call()
    found = caught.value.problem
    return found.code, found.message, found.segment
