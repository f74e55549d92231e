"""jwtlens.fetch.discovery: OpenID Connect and RFC 8414 discovery, the issuer check, and what a JWK Set must be."""

from __future__ import annotations

from jwtlens.fetch import ALLOWLIST_ENV, FetchPolicy, IssuerCache, discover, fetch_jwks, metadata_urls

from tests.fetch.support import JWKS_A, JWKS_B, LOCAL, METADATA_IP, problem
from tests.idp_stub import IdPStub


def test_an_object_without_keys_is_not_a_jwks(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/meta", {"issuer": "x", "jwks_uri": "http://x/jwks"})
    code, message, _ = problem(lambda: fetch_jwks(stub.url("/meta"), LOCAL, cache=cache))
    assert code == "fetch_not_jwks"
    assert '"keys"' in message and "discovery metadata" in message


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
