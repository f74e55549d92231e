"""Secrets stay secret: canary keys sent everywhere a key goes never show up where they must not.

A real uvicorn server on 127.0.0.1 with a real SQLite file, its loggers (uvicorn, uvicorn.access, jwtlens)
captured at DEBUG. Each canary (an HMAC secret, a private key in a PEM bundle, a JWK with d, a JWKS with
one private member) goes through profile save (without store_secret), import, export and every /api
endpoint that takes a key, with good and bad companions; then the SQLite file's bytes, the export, every
log record and every error body are searched for the canary's secret parts.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from jwtlens.config import Settings
from jwtlens.main import create_app

from tests.keyforms import b64, genuine_token, hs256_token, material, pem

_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "jwtlens", "jwtlens.access")


@dataclass(frozen=True)
class Canary:
    name: str
    key: str
    #: strings that must never leave the request that carried them
    secret_parts: tuple[str, ...]
    token: str  # a token to verify with the key


def _pem_lines(text: str) -> tuple[str, ...]:
    return tuple(line for line in text.splitlines() if len(line) >= 40 and not line.startswith("-----"))


def _canaries() -> list[Canary]:
    hmac_secret = "canary-" + secrets.token_hex(24)
    rsa, ec, ed = material("rsa"), material("ec"), material("ed")
    private_block = pem("PRIVATE KEY", rsa.der("pkcs8"))
    rsa_jwk = rsa.jwk(private=True, kid="r")
    ed_jwk = ed.jwk(private=True, kid="e")
    return [
        Canary("hmac", hmac_secret, (hmac_secret,), hs256_token(hmac_secret.encode())),
        Canary(
            "pem_bundle",
            pem("CERTIFICATE", rsa.cert_der) + private_block,
            (*_pem_lines(private_block), b64(rsa.der("pkcs8"))),
            genuine_token(rsa),
        ),
        Canary("jwk_with_d", json.dumps(rsa_jwk), tuple(rsa_jwk[m] for m in ("d", "p", "q")), genuine_token(rsa)),
        Canary(
            "jwks_one_private",
            json.dumps({"keys": [ec.jwk(kid="c"), ed_jwk]}),
            (ed_jwk["d"],),
            genuine_token(ed, "e"),
        ),
    ]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.getMessage(), repr(record.args), record.exc_text or "", str(record.exc_info or "")]
        self.texts.append("\n".join(parts))


@dataclass
class _Server:
    origin: str
    db: Path
    records: _Records


@pytest.fixture
def server(tmp_path) -> Iterator[_Server]:
    """The real app under uvicorn on a free loopback port; every log record of its loggers kept."""
    records = _Records()
    saved_levels = {}
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        saved_levels[name] = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(records)
    db = tmp_path / "canary.sqlite3"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # log_config=None: uvicorn keeps the loggers as they are, so every record reaches our handler.
    config = uvicorn.Config(
        create_app(Settings(db_path=db)), host="127.0.0.1", port=port, log_config=None, log_level="debug"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while not uv.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        yield _Server(origin, db, records)
    finally:
        uv.should_exit = True
        thread.join(10)
        sock.close()
        for name in _LOGGERS:
            logging.getLogger(name).removeHandler(records)
            logging.getLogger(name).setLevel(saved_levels[name])


def _requests(canary: Canary) -> list[tuple[str, str, dict[str, object]]]:
    """Every /api call that takes a key, with good and bad companions (method, path, JSON body)."""
    key = canary.key
    export_item = {"name": "imported", "key": key, "secret_encoding": "utf8", "secret_stored": False}
    return [
        ("PUT", "/api/profiles/canary", {"policy": {"iss": "https://idp"}, "key": key}),
        ("PUT", "/api/profiles/canary-enc", {"key": key, "secret_encoding": "rot13"}),
        ("PUT", "/api/profiles/" + "n" * 90, {"key": key}),
        ("POST", "/api/profiles/import", {"format": "jwtlens-profiles/1", "profiles": [export_item]}),
        ("POST", "/api/profiles/import", {"profiles": [{**export_item, "secret_encoding": "rot13"}]}),
        ("POST", "/api/profiles/import", {"profiles": [{**export_item, "policy": {"leeway": -1}}]}),
        ("POST", "/api/verify", {"token": canary.token, "key": key}),
        ("POST", "/api/verify", {"token": hs256_token(key.encode()), "key": key}),
        ("POST", "/api/verify", {"token": "not.a.token", "key": key}),
        ("POST", "/api/verify", {"token": canary.token, "key": key, "secret_encoding": "hex"}),
        ("POST", "/api/verify", {"token": canary.token, "key": key, "algorithms": "RS256"}),
        ("POST", "/api/verify", {"token": canary.token, "profile": "canary"}),
        ("POST", "/api/sign", {"header": {"alg": "HS256"}, "payload": {"sub": "x"}, "key": key}),
        ("POST", "/api/sign", {"header": {"alg": "RS256"}, "payload": {"sub": "x"}, "key": key}),
        ("POST", "/api/sign", {"header": {"alg": "ES256", "kid": "e"}, "payload": "x", "key": key}),
        ("POST", "/api/sign", {"header": {"alg": "EdDSA", "kid": "e"}, "payload": {"sub": "x"}, "key": key}),
        ("POST", "/api/decrypt", {"token": "a.b.c.d.e", "key": key}),
        ("POST", "/api/decrypt", {"token": canary.token, "key": key, "inner_key": key}),
        ("POST", "/api/encrypt", {"header": {"alg": "dir", "enc": "A256GCM"}, "plaintext": "hi", "key": key}),
        ("POST", "/api/encrypt", {"header": {"alg": "RSA-OAEP-256", "enc": "A256GCM"}, "plaintext": "hi", "key": key}),
        ("POST", "/api/encrypt", {"header": {"alg": "ECDH-ES", "enc": "A128GCM"}, "plaintext": "hi", "key": key}),
        ("POST", "/api/keys/convert", {"key": key, "to": "pem", "private": False}),
        ("POST", "/api/keys/convert", {"key": key, "to": "jwk", "private": False}),
        ("POST", "/api/keys/convert", {"key": key, "to": "xml"}),
    ]


def _leaks(text: str, canary: Canary) -> list[str]:
    return [part[:12] + "…" for part in canary.secret_parts if part in text]


@pytest.mark.parametrize("canary", _canaries(), ids=lambda c: c.name)
def test_canary_never_leaves_its_request(server: _Server, canary: Canary, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    answered: list[tuple[str, int]] = []
    with httpx.Client(base_url=server.origin, trust_env=False, timeout=30) as client:
        for method, path, body in _requests(canary):
            response = client.request(method, path, json=body)
            answered.append((path, response.status_code))
            assert response.status_code < 500, (path, response.text[:200])
            # Converting a private key on purpose returns it; every other answer, and every error, must not.
            if response.status_code >= 400 or not path.startswith("/api/keys/convert"):
                assert not _leaks(response.text, canary), (method, path, response.status_code)
        exported = client.get("/api/profiles/export")
        listed = client.get("/api/profiles")
    assert exported.status_code == 200 and not _leaks(exported.text, canary)
    assert not _leaks(listed.text, canary)
    document = exported.json()
    for profile in document["profiles"]:
        assert profile["secret_stored"] is False
    stored = b"".join(p.read_bytes() for p in server.db.parent.glob(server.db.name + "*"))
    assert stored and not _leaks(stored.decode("latin-1"), canary)
    assert server.records.texts, "the loggers recorded nothing: the capture is broken"
    assert not _leaks("\n".join(server.records.texts), canary)
    assert caplog.records and not _leaks(caplog.text, canary)
    assert {status for _, status in answered} >= {200, 400}  # both the good and the bad paths were taken


def test_the_search_finds_a_secret_stored_on_purpose(server: _Server):
    """Positive control: with store_secret the canary is in the file, so the search above can fail."""
    canary = _canaries()[0]
    with httpx.Client(base_url=server.origin, trust_env=False, timeout=30) as client:
        saved = client.put("/api/profiles/kept", json={"key": canary.key, "store_secret": True})
        assert saved.status_code == 200 and saved.json()["profile"]["secret_stored"] is True
        exported = client.get("/api/profiles/export").json()
    stored = b"".join(p.read_bytes() for p in server.db.parent.glob(server.db.name + "*"))
    assert _leaks(stored.decode("latin-1"), canary)
    # Export drops it even then, and says so.
    (profile,) = exported["profiles"]
    assert profile["key"] is None and "left out" in profile["note"] and not _leaks(json.dumps(exported), canary)


@pytest.mark.parametrize("canary", _canaries()[1:], ids=lambda c: c.name)
def test_export_of_a_stored_private_key_keeps_only_its_public_key(server: _Server, canary: Canary):
    with httpx.Client(base_url=server.origin, trust_env=False, timeout=30) as client:
        client.put("/api/profiles/kept", json={"key": canary.key, "store_secret": True})
        (profile,) = client.get("/api/profiles/export").json()["profiles"]
        assert profile["key"] and "public key is included" in profile["note"]
        assert not _leaks(profile["key"], canary)
        verified = client.post("/api/verify", json={"token": canary.token, "key": profile["key"]}).json()
    assert verified["verdict"]["status"] == 200


@pytest.mark.parametrize("canary", _canaries()[1:], ids=lambda c: c.name)
def test_a_public_key_is_stored_as_its_public_form(server: _Server, canary: Canary):
    from jwtlens.core import parse_key

    public = parse_key(canary.key).public_text()
    assert public is not None
    with httpx.Client(base_url=server.origin, trust_env=False, timeout=30) as client:
        # Re-indented and wrapped in invisible characters: stored as the clean public form.
        messy = "\ufeff\u200b" + public.replace("\n", "\r\n") + "\u2060"
        saved = client.put("/api/profiles/pub", json={"key": messy}).json()
        assert saved["profile"]["key"] == public and saved["note"] is None
        verified = client.post("/api/verify", json={"token": canary.token, "profile": "pub"}).json()
    assert verified["verdict"]["status"] == 200
