"""jwtlens.fetch.errors: which side failed (400 refused, 502 upstream), and no secret from a URL in messages or logs."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import httpx
import pytest
from jwtlens.core.errors import InputError
from jwtlens.fetch import FetchPolicy, FetchRefused, IssuerCache, UpstreamFailed, discover, fetch_jwks
from jwtlens.fetch.errors import shown_url

from tests.fetch.support import JWKS_A, LOCAL, METADATA_IP, fake_dns
from tests.idp_stub import IdPStub

CANARY = "CANARY"


def _raised(call: Callable[[], object]) -> InputError:
    with pytest.raises(InputError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://idp.example/jwks?token=CANARY", "https://idp.example/jwks"),
        ("https://idp.example/jwks#CANARY", "https://idp.example/jwks"),
        ("https://idp.example:8443/a/b?x=1&token=CANARY#f", "https://idp.example:8443/a/b"),
        ("https://user:CANARY@idp.example/jwks", "https://idp.example/jwks"),
        ("https://CANARY@idp.example/jwks", "https://idp.example/jwks"),
        ("https://a@b:CANARY@idp.example/jwks?CANARY", "https://idp.example/jwks"),
        ("http://[::1]:9000/jwks?token=CANARY", "http://[::1]:9000/jwks"),
        ("user:CANARY@idp.example/jwks", "idp.example/jwks"),
        ("http:\\\\user:CANARY@idp.example\\jwks", "http:\\\\idp.example\\jwks"),
        ("https://idp.example/jwks", "https://idp.example/jwks"),  # nothing to take away
    ],
)
def test_shown_url_keeps_scheme_host_and_path_only(url: str, shown: str) -> None:
    assert shown_url(url) == shown
    if "://" in url and "\\" not in url:  # the same URL parsed first reads the same
        assert shown_url(httpx.URL(url)) == shown


def test_shown_url_is_bounded() -> None:
    assert len(shown_url("https://idp.example/" + "p" * 5000)) == 200


# -- the side that failed is decided where the error is raised ------------------------------------


def _refused_cases(stub: IdPStub) -> list[Callable[[], object]]:
    return [
        lambda: fetch_jwks("file:///etc/passwd", LOCAL),
        lambda: fetch_jwks("http://user:pw@127.0.0.1/jwks", LOCAL),
        lambda: fetch_jwks(METADATA_IP, LOCAL),
        lambda: fetch_jwks("http://meta.test/jwks", LOCAL, resolver=fake_dns({"meta.test": ["169.254.169.254"]})),
        lambda: fetch_jwks(stub.url("/to-metadata"), LOCAL, cache=IssuerCache()),
        lambda: fetch_jwks(stub.url("/jwks"), FetchPolicy(bound_to_loopback=False), cache=IssuerCache()),
        lambda: discover("https://idp.example/?tenant=1", LOCAL),
    ]


def _upstream_cases(stub: IdPStub) -> list[Callable[[], object]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    return [
        lambda: fetch_jwks(stub.url("/missing"), LOCAL, cache=IssuerCache()),
        lambda: fetch_jwks(stub.url("/html"), LOCAL, cache=IssuerCache()),
        lambda: fetch_jwks(stub.url("/meta"), LOCAL, cache=IssuerCache()),
        lambda: fetch_jwks(stub.url("/loop"), LOCAL, cache=IssuerCache()),
        lambda: fetch_jwks(f"http://127.0.0.1:{closed}/jwks", LOCAL, cache=IssuerCache()),
        lambda: fetch_jwks("http://nowhere.test/jwks", LOCAL, resolver=fake_dns({})),
        lambda: discover(stub.url(), LOCAL, cache=IssuerCache()),
    ]


def test_refusals_are_400_and_upstream_failures_502(stub: IdPStub) -> None:
    stub.json("/jwks", JWKS_A)
    stub.redirect("/to-metadata", METADATA_IP)
    stub.body("/html", b"<html>", content_type="text/html")
    stub.json("/meta", {"issuer": "x", "jwks_uri": "http://x/jwks"})
    stub.redirect("/loop", "/loop")
    stub.json("/.well-known/openid-configuration", {"issuer": "https://elsewhere.example", "jwks_uri": "x"})
    for call in _refused_cases(stub):
        error = _raised(call)
        assert isinstance(error, FetchRefused), error.problem
        assert error.problem.status == 400 and not error.problem.upstream
    for call in _upstream_cases(stub):
        error = _raised(call)
        assert isinstance(error, UpstreamFailed), error.problem
        assert error.problem.status == 502
    assert fetch_jwks(stub.url("/jwks"), LOCAL, cache=IssuerCache()).jwks == JWKS_A  # the genuine thing works


# -- no query string or user info in messages or logs ---------------------------------------------


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "httpcore.connection", "httpcore.http11"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_the_log_capture_would_see_a_leak(stub: IdPStub, every_log: pytest.LogCaptureFixture) -> None:
    # Positive control: httpx used directly logs the query (INFO) and the headers (httpcore DEBUG).
    stub.redirect("/plain", f"/jwks?token={CANARY}")
    with httpx.Client(trust_env=False) as client:
        client.get(stub.url(f"/plain?token={CANARY}"))
    assert CANARY in every_log.text
    assert any(record.name.startswith("httpcore") and CANARY in record.getMessage() for record in every_log.records)


def test_a_secret_in_a_url_is_never_in_a_message_or_a_log(stub: IdPStub, every_log: pytest.LogCaptureFixture) -> None:
    secret_query = f"?token={CANARY}&x={CANARY}"
    stub.json("/jwks", JWKS_A)
    stub.redirect("/hop", f"/jwks{secret_query}")
    stub.redirect("/hop-to-metadata", f"http://169.254.169.254/latest{secret_query}")
    stub.redirect("/hop-with-user", f"http://user:{CANARY}@127.0.0.1:{stub.port}/jwks")
    stub.redirect("/loop", f"/loop{secret_query}")
    stub.json("/missing-status", {"error": "x"}, status=500)
    stub.body("/html", b"<html>", content_type="text/html")
    stub.huge("/huge", 64 * 1024)
    stub.json("/meta", {"issuer": "x", "jwks_uri": "http://x/jwks"})
    stub.json("/.well-known/openid-configuration", {"issuer": stub.url(), "jwks_uri": stub.url(f"/gone{secret_query}")})
    small = FetchPolicy(bound_to_loopback=True, max_bytes=4096)
    failing = [
        *(stub.url(f"{path}{secret_query}") for path in ("/missing-status", "/html", "/meta", "/loop", "/nothing")),
        stub.url(f"/hop-to-metadata{secret_query}"),
        stub.url("/hop-with-user"),
        f"http://user:{CANARY}@127.0.0.1:{stub.port}/jwks{secret_query}",
        f"http://{CANARY}@127.0.0.1:{stub.port}/jwks",
        f"ftp://user:{CANARY}@127.0.0.1/jwks{secret_query}",
        f"user:{CANARY}@127.0.0.1/jwks",
        f"http://169.254.169.254/latest{secret_query}",
        f"http://[::1/jwks{secret_query}",
    ]
    messages = [_raised(lambda url=url: fetch_jwks(url, LOCAL, cache=IssuerCache())).problem.message for url in failing]
    messages.append(_raised(lambda: fetch_jwks(stub.url(f"/huge{secret_query}"), small)).problem.message)
    messages.append(_raised(lambda: discover(stub.url(f"/{secret_query}"), LOCAL)).problem.message)
    messages.append(_raised(lambda: discover(stub.url(), LOCAL, cache=IssuerCache())).problem.message)
    # the genuine thing still works, through a redirect that carries the secret on
    fetched = fetch_jwks(stub.url(f"/hop{secret_query}"), LOCAL, cache=IssuerCache())
    assert fetched.jwks == JWKS_A and fetched.final_url.endswith(secret_query)
    assert len(messages) == len(failing) + 3
    for message in messages:
        assert CANARY not in message, message
    assert any("127.0.0.1" in message for message in messages)  # the URL is still named, without its secrets
    assert all(CANARY not in record.getMessage() for record in every_log.records)
    assert CANARY not in every_log.text
