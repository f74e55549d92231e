"""jwtlens.fetch.transport: one document over HTTP(S) from a real server on 127.0.0.1, within time and size limits."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jwtlens.fetch import FetchPolicy, IssuerCache, fetch_jwks, resolve_host

from tests.fetch.support import JWKS_A, LOCAL, METADATA_IP, fake_dns, problem
from tests.idp_stub import IdPStub, running_stub

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
