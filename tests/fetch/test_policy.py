"""jwtlens.fetch.policy: the fetch allowlist as written in the settings, and what it admits."""

from __future__ import annotations

import pytest
from jwtlens.fetch import FetchPolicy, parse_allowlist


def test_a_port_less_entry_means_the_default_port() -> None:
    policy = FetchPolicy(bound_to_loopback=False, allowlist=("idp.example.com",))
    assert policy.allows("idp.example.com", 443, "https")
    assert policy.allows("IDP.example.com", 80, "http")
    assert not policy.allows("idp.example.com", 8443, "https")
    assert not policy.allows("other.example.com", 443, "https")


def test_parse_allowlist() -> None:
    assert parse_allowlist([" A.example:8443", "b.example", "[::1]:9000", "::1", ""]) == (
        ("a.example", 8443),
        ("b.example", None),
        ("::1", 9000),
        ("::1", None),
    )
    for bad in ("https://a.example", "a.example:http", "a.example:70000", "[::1", ":443"):
        with pytest.raises(ValueError):
            parse_allowlist([bad])
    with pytest.raises(ValueError):
        FetchPolicy(bound_to_loopback=False, allowlist=("idp.example:port",))
