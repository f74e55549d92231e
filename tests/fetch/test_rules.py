"""jwtlens.fetch.rules: the SSRF rules, for the first URL, each redirect and each resolved address."""

from __future__ import annotations

import socket

import pytest
from jwtlens.fetch import ALLOWLIST_ENV, FetchPolicy, IssuerCache, fetch_jwks, forbidden_reason

from tests.fetch.support import JWKS_A, LOCAL, METADATA_IP, fake_dns, problem
from tests.idp_stub import IdPStub

# -- SSRF rules: schemes and addresses --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://idp.example/jwks", "gopher://idp.example:70/_x", "data:,{}", "idp.example/jwks"],
)
def test_only_http_and_https(cache: IssuerCache, url: str) -> None:
    code, _, segment = problem(lambda: fetch_jwks(url, LOCAL, cache=cache))
    assert (code, segment) == ("fetch_scheme", "jwks_url")


def test_credentials_in_the_url_are_refused(cache: IssuerCache) -> None:
    code, message, _ = problem(lambda: fetch_jwks("http://user:hunter2@127.0.0.1/jwks", LOCAL, cache=cache))
    assert code == "fetch_url"
    assert "user name or password" in message


@pytest.mark.parametrize(
    "url",
    [
        METADATA_IP,
        "http://169.254.1.1/jwks",
        "http://[::ffff:169.254.169.254]/latest",
        "http://[::ffff:a9fe:a9fe]/latest",
        "http://[fe80::1]/jwks",
        "http://[fd00:ec2::254]/latest/meta-data",
        "http://100.100.100.200/latest/meta-data",
        "http://[::ffff:100.100.100.200]/latest/meta-data",
        "https://169.254.169.254/",
    ],
)
def test_metadata_and_link_local_addresses_are_refused(cache: IssuerCache, url: str) -> None:
    code, message, _ = problem(lambda: fetch_jwks(url, LOCAL, cache=cache))
    assert code == "fetch_forbidden_address"
    assert "never fetches" in message


def test_a_numeric_spelling_of_the_metadata_address_is_caught_after_resolution(cache: IssuerCache) -> None:
    # 2852039166 is 169.254.169.254 as one number; the system resolver turns it into the address.
    code, message, _ = problem(lambda: fetch_jwks("http://2852039166/latest", LOCAL, cache=cache))
    assert code == "fetch_forbidden_address"
    assert "resolves to 169.254.169.254" in message


@pytest.mark.parametrize(
    "answer",
    [["169.254.169.254"], ["127.0.0.1", "169.254.169.254"], ["::ffff:169.254.169.254"], ["fd00:ec2::254"]],
)
def test_a_host_resolving_to_a_forbidden_address_is_refused(cache: IssuerCache, answer: list[str]) -> None:
    dns = fake_dns({"metadata.google.internal": answer})
    code, message, _ = problem(lambda: fetch_jwks("http://metadata.google.internal/jwks", LOCAL, resolver=dns))
    assert code == "fetch_forbidden_address"
    assert "metadata.google.internal" in message


def test_connects_to_the_checked_address_not_a_second_lookup(stub: IdPStub, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name answers 127.0.0.1 when checked, then the metadata address."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: str, port: object, *args: object, **kwargs: object) -> object:
        if host == "rebind.test":
            lookups.append(host)
            address = "127.0.0.1" if len(lookups) == 1 else "169.254.169.254"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    stub.json("/jwks", JWKS_A)
    fetched = fetch_jwks(f"http://rebind.test:{stub.port}/jwks", LOCAL, cache=IssuerCache())
    assert fetched.jwks == JWKS_A
    assert lookups == ["rebind.test"]
    assert stub.seen[-1].host == f"rebind.test:{stub.port}"  # the original Host header


def test_forbidden_reason_covers_ipv6_spellings() -> None:
    assert forbidden_reason("2002:a9fe:a9fe::1") is not None  # 6to4
    assert forbidden_reason("64:ff9b::a9fe:a9fe") is not None  # NAT64
    assert forbidden_reason("::169.254.169.254") is not None  # IPv4-compatible
    assert forbidden_reason("fe80::1%eth0") is not None
    for allowed in ("127.0.0.1", "::1", "10.0.0.1", "::ffff:127.0.0.1", "8.8.8.8"):
        assert forbidden_reason(allowed) is None


# -- SSRF rules: the allowlist off loopback -------------------------------------------------------


def test_off_loopback_nothing_is_fetched_by_default(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", JWKS_A)
    policy = FetchPolicy(bound_to_loopback=False)
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), policy, cache=cache))
    assert code == "fetch_not_allowed"
    assert ALLOWLIST_ENV in message and f"127.0.0.1:{stub.port}" in message and "empty" in message
    assert stub.seen == []


def test_off_loopback_the_exact_host_and_port_is_allowed(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", JWKS_A)
    policy = FetchPolicy(bound_to_loopback=False, allowlist=(f"127.0.0.1:{stub.port}",))
    assert fetch_jwks(stub.url("/jwks"), policy, cache=cache).jwks == JWKS_A


def test_off_loopback_another_port_is_refused(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", JWKS_A)
    policy = FetchPolicy(bound_to_loopback=False, allowlist=(f"127.0.0.1:{stub.port + 1}", "127.0.0.1"))
    code, _, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), policy, cache=cache))
    assert code == "fetch_not_allowed"


def test_off_loopback_host_names_match_case_insensitively(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", JWKS_A)
    policy = FetchPolicy(bound_to_loopback=False, allowlist=(f"IdP.Test:{stub.port}",))
    dns = fake_dns({"idp.test": ["127.0.0.1"]})
    assert fetch_jwks(f"http://idp.test:{stub.port}/jwks", policy, cache=cache, resolver=dns).jwks == JWKS_A


def test_off_loopback_a_redirect_leaving_the_allowlist_is_refused(stub: IdPStub, cache: IssuerCache) -> None:
    stub.redirect("/jwks", f"http://elsewhere.test:{stub.port}/jwks")
    policy = FetchPolicy(bound_to_loopback=False, allowlist=(f"127.0.0.1:{stub.port}",))
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), policy, cache=cache))
    assert code == "fetch_not_allowed"
    assert "redirects to" in message and "elsewhere.test" in message


def test_an_allowlisted_host_still_may_not_resolve_to_metadata(cache: IssuerCache) -> None:
    policy = FetchPolicy(bound_to_loopback=False, allowlist=("idp.test",))
    dns = fake_dns({"idp.test": ["169.254.169.254"]})
    code, _, _ = problem(lambda: fetch_jwks("http://idp.test/jwks", policy, cache=cache, resolver=dns))
    assert code == "fetch_forbidden_address"
