"""Keys from an issuer, against a real HTTP(S) server on 127.0.0.1; nothing else is ever dialled."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.core.errors import InputError
from app.issuers import (
    ALLOWLIST_ENV,
    FetchPolicy,
    IssuerCache,
    discover,
    fetch_jwks,
    forbidden_reason,
    metadata_urls,
    parse_allowlist,
    resolve_host,
)
from tests.idp_stub import IdPStub, running_stub

JWKS_A = {"keys": [{"kty": "oct", "kid": "A", "k": "c2VjcmV0LWE"}]}
JWKS_B = {"keys": [{"kty": "oct", "kid": "B", "k": "c2VjcmV0LWI"}]}
LOCAL = FetchPolicy(bound_to_loopback=True, connect_timeout=1.0, total_timeout=2.0)
METADATA_IP = "http://169.254.169.254/latest/meta-data"


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test whose code would open a connection beyond 127.0.0.1."""
    real = socket.create_connection

    def guarded(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        try:
            ip = ipaddress.ip_address(address[0])
        except ValueError:
            pytest.fail(f"connected by name ({address[0]}): the system would resolve it a second time")
        assert ip.is_loopback, f"tried to connect to {address[0]}"
        return real(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "create_connection", guarded)


@pytest.fixture
def stub() -> Iterator[IdPStub]:
    with running_stub() as server:
        yield server


@pytest.fixture
def cache() -> IssuerCache:
    return IssuerCache()


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


# -- fetching a JWKS ------------------------------------------------------------------------------


def test_fetches_a_jwks(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", JWKS_A)
    fetched = fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache)
    assert fetched.jwks == JWKS_A
    assert '"kid": "A"' in fetched.raw_text
    assert fetched.url == fetched.final_url == stub.url("/jwks")
    assert not fetched.from_cache
    assert fetched.redirects == ()
    assert abs(fetched.fetched_at - time.time()) < 5
    assert stub.seen[0].accept_encoding == "identity"


@pytest.mark.parametrize("status", [404, 500])
def test_an_error_status_is_named(stub: IdPStub, cache: IssuerCache, status: int) -> None:
    stub.json("/jwks", {"error": "nope"}, status=status)
    code, message, segment = problem(lambda: fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache))
    assert (code, segment) == ("fetch_status", "jwks_url")
    assert f"HTTP {status}" in message


def test_html_is_not_json(stub: IdPStub, cache: IssuerCache) -> None:
    stub.body("/jwks", b"<!doctype html><p>Sign in", content_type="text/html")
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache))
    assert code == "fetch_not_json"
    assert "not valid JSON" in message and "text/html" in message


@pytest.mark.parametrize(
    ("body", "words"),
    [(b"[1, 2]", "an array, not an object"), (b"\xff\xfe{}", "not UTF-8"), (b"[" * 100 + b"]" * 100, "deeper")],
)
def test_a_body_must_be_a_json_object(stub: IdPStub, cache: IssuerCache, body: bytes, words: str) -> None:
    stub.body("/jwks", body)
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache))
    assert code == "fetch_not_json"
    assert words in message


def test_an_object_without_keys_is_not_a_jwks(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/meta", {"issuer": "x", "jwks_uri": "http://x/jwks"})
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/meta"), LOCAL, cache=cache))
    assert code == "fetch_not_jwks"
    assert '"keys"' in message and "discovery metadata" in message


def test_a_streamed_body_is_cut_at_the_cap(stub: IdPStub, cache: IssuerCache) -> None:
    stub.huge("/jwks", 8 * 1024 * 1024)
    policy = FetchPolicy(bound_to_loopback=True, max_bytes=4096, total_timeout=2.0)
    started = time.monotonic()
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), policy, cache=cache))
    assert code == "fetch_too_large"
    assert "larger than 4 KB" in message
    assert time.monotonic() - started < 1.5


def test_a_declared_length_over_the_cap_is_refused_unread(stub: IdPStub, cache: IssuerCache) -> None:
    stub.huge("/jwks", 600 * 1024, declare_length=True)
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache))
    assert code == "fetch_too_large"
    assert "larger than 512 KB" in message


def test_a_slow_answer_times_out_on_time(stub: IdPStub, cache: IssuerCache) -> None:
    stub.slow("/jwks", 5.0, JWKS_A)
    policy = FetchPolicy(bound_to_loopback=True, total_timeout=0.5)
    started = time.monotonic()
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), policy, cache=cache))
    assert code == "fetch_timeout"
    assert f"127.0.0.1:{stub.port}" in message and "0.5 s" in message
    assert time.monotonic() - started < 0.5 + 0.4


def test_a_slow_drip_cannot_stretch_the_total_timeout(stub: IdPStub, cache: IssuerCache) -> None:
    stub.drip("/jwks", every=0.1, count=50)
    policy = FetchPolicy(bound_to_loopback=True, connect_timeout=3.0, total_timeout=0.5)
    started = time.monotonic()
    code, _, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), policy, cache=cache))
    assert code == "fetch_timeout"
    assert time.monotonic() - started < 0.5 + 0.4


def test_a_refused_connection_names_the_host(cache: IssuerCache) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, message, _ = problem(lambda: fetch_jwks(f"http://127.0.0.1:{port}/jwks", LOCAL, cache=cache))
    assert code == "fetch_connect"
    assert f"127.0.0.1:{port}" in message


def test_an_unknown_host_names_the_host(cache: IssuerCache) -> None:
    code, message, _ = problem(lambda: fetch_jwks("http://idp.invalid/jwks", LOCAL, cache=cache, resolver=fake_dns({})))
    assert code == "fetch_connect"
    assert "idp.invalid" in message


def test_a_hanging_resolver_times_out(cache: IssuerCache) -> None:
    release = threading.Event()

    def hanging(host: str, port: int) -> Sequence[str]:
        release.wait(5)
        return ["127.0.0.1"]

    policy = FetchPolicy(bound_to_loopback=True, connect_timeout=0.3, total_timeout=2.0)
    started = time.monotonic()
    try:
        code, message, _ = problem(lambda: fetch_jwks("http://slow-dns.test/jwks", policy, resolver=hanging))
    finally:
        release.set()
    assert code == "fetch_timeout"
    assert "slow-dns.test" in message
    assert time.monotonic() - started < 0.3 + 0.4


# -- redirects ------------------------------------------------------------------------------------


def test_follows_redirects_to_allowed_urls(stub: IdPStub, cache: IssuerCache) -> None:
    stub.redirect("/old", "/middle", 301)
    stub.redirect("/middle", stub.url("/jwks"), 307)
    stub.json("/jwks", JWKS_A)
    fetched = fetch_jwks(stub.url("/old"), LOCAL, cache=cache)
    assert fetched.jwks == JWKS_A
    assert fetched.url == stub.url("/old")
    assert fetched.redirects == (stub.url("/middle"), stub.url("/jwks"))
    assert fetched.final_url == stub.url("/jwks")


def test_a_redirect_to_cloud_metadata_is_refused(stub: IdPStub, cache: IssuerCache) -> None:
    stub.redirect("/jwks", METADATA_IP)
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache))
    assert code == "fetch_forbidden_address"
    assert "redirects to" in message and "169.254.169.254" in message and "link-local" in message


def test_a_redirect_to_a_file_is_refused(stub: IdPStub, cache: IssuerCache) -> None:
    stub.redirect("/jwks", "file:///etc/passwd")
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache))
    assert code == "fetch_scheme"
    assert "file:///etc/passwd" in message and "only http:// and https://" in message


def test_a_redirect_to_a_name_resolving_to_metadata_is_refused(stub: IdPStub, cache: IssuerCache) -> None:
    stub.redirect("/jwks", f"http://metadata.test:{stub.port}/computeMetadata")
    dns = fake_dns({"metadata.test": ["169.254.169.254"]})
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache, resolver=dns))
    assert code == "fetch_forbidden_address"
    assert "metadata.test" in message and "resolves to 169.254.169.254" in message


def test_a_redirect_loop_is_named(stub: IdPStub, cache: IssuerCache) -> None:
    stub.redirect("/a", "/b")
    stub.redirect("/b", "/a")
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/a"), LOCAL, cache=cache))
    assert code == "fetch_redirects"
    assert "loop" in message


def test_too_many_redirects(stub: IdPStub, cache: IssuerCache) -> None:
    for hop in range(5):
        stub.redirect(f"/r{hop}", f"/r{hop + 1}")
    stub.json("/r5", JWKS_A)
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/r0"), LOCAL, cache=cache))
    assert code == "fetch_redirects"
    assert "more than 3 times" in message
    assert stub.hits("/r4") == 0  # the fourth redirect is not followed
    generous = FetchPolicy(bound_to_loopback=True, max_redirects=5)
    assert fetch_jwks(stub.url("/r0"), generous, cache=cache).jwks == JWKS_A


def test_a_redirect_without_location_is_a_status_problem(stub: IdPStub, cache: IssuerCache) -> None:
    stub.body("/jwks", b"", status=302)
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache))
    assert code == "fetch_status"
    assert "302" in message and "Location" in message


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


# -- the cache ------------------------------------------------------------------------------------


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rotation_shows_only_after_refresh(stub: IdPStub) -> None:
    current = {"jwks": JWKS_A}
    stub.json("/jwks", lambda: current["jwks"])
    cache = IssuerCache()
    assert fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache).jwks == JWKS_A
    current["jwks"] = JWKS_B
    again = fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache)
    assert (again.jwks, again.from_cache) == (JWKS_A, True)
    assert stub.hits("/jwks") == 1
    refreshed = fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache, refresh=True)
    assert (refreshed.jwks, refreshed.from_cache) == (JWKS_B, False)
    assert fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache).jwks == JWKS_B  # the refresh was stored


def test_rotation_shows_after_the_ttl(stub: IdPStub) -> None:
    served = 0

    def rotating() -> object:
        nonlocal served
        served += 1
        return JWKS_A if served <= 1 else JWKS_B

    stub.json("/jwks", rotating)
    clock = Clock()
    cache = IssuerCache(clock=clock)
    policy = FetchPolicy(bound_to_loopback=True, cache_ttl=60)
    assert fetch_jwks(stub.url("/jwks"), policy, cache=cache).jwks == JWKS_A
    clock.now += 59
    assert fetch_jwks(stub.url("/jwks"), policy, cache=cache).jwks == JWKS_A
    clock.now += 2
    fetched = fetch_jwks(stub.url("/jwks"), policy, cache=cache)
    assert (fetched.jwks, fetched.from_cache) == (JWKS_B, False)


def test_a_zero_ttl_never_caches(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", JWKS_A)
    policy = FetchPolicy(bound_to_loopback=True, cache_ttl=0)
    fetch_jwks(stub.url("/jwks"), policy, cache=cache)
    assert not fetch_jwks(stub.url("/jwks"), policy, cache=cache).from_cache
    assert len(cache) == 0


def test_a_cached_answer_obeys_the_current_policy(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", JWKS_A)
    fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache)
    code, _, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), FetchPolicy(bound_to_loopback=False), cache=cache))
    assert code == "fetch_not_allowed"


def test_failures_are_not_cached(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", {"error": "later"}, status=503)
    problem(lambda: fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache))
    stub.json("/jwks", JWKS_A)
    assert fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache).jwks == JWKS_A


def test_cache_refresh_clear_and_bound(stub: IdPStub) -> None:
    stub.json("/jwks", JWKS_A)
    cache = IssuerCache(max_entries=2)
    fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache)
    assert cache.get(stub.url("/jwks")) is not None
    assert cache.refresh(stub.url("/jwks")) is True
    assert cache.refresh(stub.url("/jwks")) is False
    assert not fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache).from_cache
    document = cache.get(stub.url("/jwks"))
    assert document is not None
    cache.put("http://b/", document, 60)
    cache.put("http://c/", document, 60)
    assert len(cache) == 2 and cache.get(stub.url("/jwks")) is None  # the oldest went
    assert cache.clear() == 2 and len(cache) == 0


def test_the_cache_is_safe_across_threads(stub: IdPStub) -> None:
    stub.json("/jwks", JWKS_A)
    cache = IssuerCache()
    results: list[bool] = []

    def fetch() -> None:
        results.append(fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache).jwks == JWKS_A)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 8 and len(cache) == 1


# -- discovery ------------------------------------------------------------------------------------


def test_metadata_urls_for_issuers_with_and_without_a_path() -> None:
    assert metadata_urls("https://h") == (
        "https://h/.well-known/openid-configuration",
        "https://h/.well-known/oauth-authorization-server",
    )
    assert metadata_urls("https://h/realms/x/") == (
        "https://h/realms/x/.well-known/openid-configuration",
        "https://h/.well-known/oauth-authorization-server/realms/x",
    )


def test_discovers_an_issuer_without_a_path(stub: IdPStub, cache: IssuerCache) -> None:
    issuer = stub.url()
    stub.json("/.well-known/openid-configuration", {"issuer": issuer, "jwks_uri": stub.url("/certs")})
    stub.json("/certs", JWKS_A)
    found = discover(issuer, LOCAL, cache=cache)
    assert found.issuer == issuer
    assert found.metadata_url == stub.url("/.well-known/openid-configuration")
    assert found.metadata["jwks_uri"] == stub.url("/certs")
    assert '"issuer"' in found.raw_text
    assert found.jwks.jwks == JWKS_A and found.jwks.url == stub.url("/certs")
    assert not found.from_cache


def test_discovers_an_issuer_with_a_path_oidc_style(stub: IdPStub, cache: IssuerCache) -> None:
    issuer = stub.url("/realms/x")
    stub.json("/realms/x/.well-known/openid-configuration", {"issuer": issuer, "jwks_uri": stub.url("/realms/x/certs")})
    stub.json("/realms/x/certs", JWKS_A)
    found = discover(issuer, LOCAL, cache=cache)
    assert found.metadata_url == stub.url("/realms/x/.well-known/openid-configuration")
    assert stub.hits("/.well-known/oauth-authorization-server/realms/x") == 0


def test_falls_back_to_rfc8414_for_an_issuer_with_a_path(stub: IdPStub, cache: IssuerCache) -> None:
    issuer = stub.url("/realms/x")
    stub.json("/.well-known/oauth-authorization-server/realms/x", {"issuer": issuer, "jwks_uri": stub.url("/k")})
    stub.json("/k", JWKS_A)
    found = discover(issuer, LOCAL, cache=cache)
    assert found.metadata_url == stub.url("/.well-known/oauth-authorization-server/realms/x")
    assert found.jwks.jwks == JWKS_A
    again = discover(issuer, LOCAL, cache=cache)
    assert again.from_cache and again.jwks.from_cache
    assert stub.hits("/realms/x/.well-known/openid-configuration") == 1  # the cached second location answers


def test_falls_back_past_an_html_catch_all(stub: IdPStub, cache: IssuerCache) -> None:
    issuer = stub.url()
    stub.body("/.well-known/openid-configuration", b"<html>app shell</html>", content_type="text/html")
    stub.json("/.well-known/oauth-authorization-server", {"issuer": issuer, "jwks_uri": stub.url("/k")})
    stub.json("/k", JWKS_A)
    assert discover(issuer, LOCAL, cache=cache).metadata_url.endswith("/oauth-authorization-server")


def test_no_metadata_anywhere_lists_both_locations(stub: IdPStub, cache: IssuerCache) -> None:
    issuer = stub.url("/realms/x")
    code, message, segment = problem(lambda: discover(issuer, LOCAL, cache=cache))
    assert (code, segment) == ("fetch_status", "issuer")
    assert "/realms/x/.well-known/openid-configuration" in message
    assert "/.well-known/oauth-authorization-server/realms/x" in message
    assert "HTTP 404" in message


def test_a_trailing_slash_difference_is_a_mismatch_said_precisely(stub: IdPStub, cache: IssuerCache) -> None:
    issuer = stub.url("/realms/x")
    stub.json("/realms/x/.well-known/openid-configuration", {"issuer": issuer + "/", "jwks_uri": stub.url("/k")})
    code, message, segment = problem(lambda: discover(issuer, LOCAL, cache=cache))
    assert (code, segment) == ("issuer_mismatch", "issuer")
    assert "only by a trailing slash" in message
    assert f'"{issuer}/"' in message and f'not "{issuer}"' in message


def test_another_issuer_is_a_mismatch(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/.well-known/openid-configuration", {"issuer": "https://evil.example", "jwks_uri": stub.url("/k")})
    code, message, _ = problem(lambda: discover(stub.url(), LOCAL, cache=cache))
    assert code == "issuer_mismatch"
    assert "https://evil.example" in message
    assert stub.hits("/k") == 0


def test_metadata_without_jwks_uri(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/.well-known/openid-configuration", {"issuer": stub.url()})
    code, _, _ = problem(lambda: discover(stub.url(), LOCAL, cache=cache))
    assert code == "fetch_no_jwks_uri"


def test_a_jwks_uri_pointing_at_metadata_is_refused(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/.well-known/openid-configuration", {"issuer": stub.url(), "jwks_uri": METADATA_IP})
    code, _, segment = problem(lambda: discover(stub.url(), LOCAL, cache=cache))
    assert (code, segment) == ("fetch_forbidden_address", "issuer")


def test_an_issuer_with_a_query_is_refused(cache: IssuerCache) -> None:
    code, _, _ = problem(lambda: discover("https://idp.example/?tenant=1", LOCAL, cache=cache))
    assert code == "fetch_url"


def test_discovery_off_loopback_needs_the_allowlist(stub: IdPStub, cache: IssuerCache) -> None:
    code, message, segment = problem(lambda: discover(stub.url(), FetchPolicy(bound_to_loopback=False), cache=cache))
    assert (code, segment) == ("fetch_not_allowed", "issuer")
    assert ALLOWLIST_ENV in message


def test_discovery_refresh_sees_rotated_keys(stub: IdPStub, cache: IssuerCache) -> None:
    current = {"jwks": JWKS_A}
    stub.json("/.well-known/openid-configuration", {"issuer": stub.url(), "jwks_uri": stub.url("/k")})
    stub.json("/k", lambda: current["jwks"])
    assert discover(stub.url(), LOCAL, cache=cache).jwks.jwks == JWKS_A
    current["jwks"] = JWKS_B
    assert discover(stub.url(), LOCAL, cache=cache).jwks.jwks == JWKS_A
    refreshed = discover(stub.url(), LOCAL, cache=cache, refresh=True)
    assert refreshed.jwks.jwks == JWKS_B and not refreshed.from_cache


# -- https: the checked address, the original name for TLS ----------------------------------------


@dataclass(frozen=True)
class TLSFiles:
    ca: Path
    server: ssl.SSLContext


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A private CA and a certificate for idp.test signed by it."""
    directory = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jwtlens test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.test")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("idp.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_path)
    return TLSFiles(ca_path, server)


@pytest.fixture
def tls_stub(tls_files: TLSFiles) -> Iterator[IdPStub]:
    with running_stub(tls_files.server) as server:
        yield server


def test_https_verifies_the_original_name_on_the_pinned_address(
    tls_stub: IdPStub, tls_files: TLSFiles, cache: IssuerCache
) -> None:
    tls_stub.json("/jwks", JWKS_A)
    policy = FetchPolicy(bound_to_loopback=True, ca_bundle=str(tls_files.ca))
    dns = fake_dns({"idp.test": ["127.0.0.1"]})
    fetched = fetch_jwks(tls_stub.url("/jwks", host="idp.test"), policy, cache=cache, resolver=dns)
    assert fetched.jwks == JWKS_A
    assert tls_stub.seen[-1].host == f"idp.test:{tls_stub.port}"


def test_https_with_an_unknown_ca_is_a_tls_problem(tls_stub: IdPStub, cache: IssuerCache) -> None:
    tls_stub.json("/jwks", JWKS_A)
    dns = fake_dns({"idp.test": ["127.0.0.1"]})
    code, message, _ = problem(lambda: fetch_jwks(tls_stub.url("/jwks", host="idp.test"), LOCAL, resolver=dns))
    assert code == "fetch_tls"
    assert "idp.test" in message and "JWTLENS_FETCH_CA_BUNDLE" in message


def test_https_to_a_name_the_certificate_lacks_is_a_tls_problem(
    tls_stub: IdPStub, tls_files: TLSFiles, cache: IssuerCache
) -> None:
    policy = FetchPolicy(bound_to_loopback=True, ca_bundle=str(tls_files.ca))
    dns = fake_dns({"other.test": ["127.0.0.1"]})
    code, _, _ = problem(
        lambda: fetch_jwks(tls_stub.url("/jwks", host="other.test"), policy, cache=cache, resolver=dns)
    )
    assert code == "fetch_tls"


def test_a_missing_ca_bundle_is_a_tls_problem(stub: IdPStub, tmp_path: Path, cache: IssuerCache) -> None:
    policy = FetchPolicy(bound_to_loopback=True, ca_bundle=str(tmp_path / "nowhere.pem"))
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), policy, cache=cache))
    assert code == "fetch_tls"
    assert "nowhere.pem" in message


def test_a_redirect_from_https_to_http_is_refused(
    tls_stub: IdPStub, stub: IdPStub, tls_files: TLSFiles, cache: IssuerCache
) -> None:
    stub.json("/jwks", JWKS_A)
    tls_stub.redirect("/jwks", stub.url("/jwks"))
    policy = FetchPolicy(bound_to_loopback=True, ca_bundle=str(tls_files.ca))
    dns = fake_dns({"idp.test": ["127.0.0.1"]})
    code, message, _ = problem(
        lambda: fetch_jwks(tls_stub.url("/jwks", host="idp.test"), policy, cache=cache, resolver=dns)
    )
    assert code == "fetch_scheme"
    assert "https to plain http" in message
    assert stub.hits("/jwks") == 0


def test_the_system_resolver_gives_addresses() -> None:
    assert "127.0.0.1" in resolve_host("127.0.0.1", 80)
