"""Shared fixtures: the app in-process, and keys made once per session."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey
from jwtlens.config import Settings
from jwtlens.main import create_app

NOW = 1_800_000_000  # a fixed "now" for claim checks: 2027-01-15T08:00:00Z


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(db_path=tmp_path / "jwtlens.sqlite3")


def local_client(settings: Settings) -> TestClient:
    """The app in-process, addressed as http://127.0.0.1 like a browser on this machine."""
    return TestClient(create_app(settings), base_url="http://127.0.0.1")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with local_client(settings) as test_client:
        yield test_client


@dataclass(frozen=True)
class KeyPair:
    alg: str
    private_pem: str
    public_pem: str
    public_jwk: str


def _pair(alg: str, key: RSAKey | ECKey | OKPKey) -> KeyPair:
    return KeyPair(
        alg,
        key.as_pem(private=True).decode(),
        key.as_pem(private=False).decode(),
        json.dumps(key.as_dict(private=False)),
    )


@pytest.fixture(scope="session")
def rsa_pair() -> KeyPair:
    return _pair("RS256", RSAKey.generate_key(2048))


@pytest.fixture(scope="session")
def ec_pair() -> KeyPair:
    return _pair("ES256", ECKey.generate_key("P-256"))


@pytest.fixture(scope="session")
def ed_pair() -> KeyPair:
    return _pair("EdDSA", OKPKey.generate_key("Ed25519"))


@pytest.fixture(scope="session")
def secret() -> str:
    return OctKey.generate_key(256).as_dict(private=True)["k"]  # 43 url-safe characters


def future(seconds: int = 3600) -> int:
    return int(time.time()) + seconds
