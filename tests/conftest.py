"""Shared fixtures: the app in-process, and keys made once per session (from tests/makers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import routing
from fastapi.testclient import TestClient
from jwtlens.config import Settings

from tests.makers import KeyPair, ec_key, new_secret, okp_key, pair_of, rsa_key
from tests.servers import local_client


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(db_path=tmp_path / "jwtlens.sqlite3")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with local_client(settings) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def rsa_pair() -> KeyPair:
    return pair_of("RS256", rsa_key(2048))


@pytest.fixture(scope="session")
def ec_pair() -> KeyPair:
    return pair_of("ES256", ec_key("P-256"))


@pytest.fixture(scope="session")
def ed_pair() -> KeyPair:
    return pair_of("EdDSA", okp_key("Ed25519"))


@pytest.fixture(scope="session")
def secret() -> str:
    return new_secret()


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the handlers returned, before FastAPI validated and serialized it against the declared model."""
    seen: list[Any] = []
    original = routing.serialize_response

    async def spy(**kwargs: Any) -> Any:
        seen.append(kwargs["response_content"])
        return await original(**kwargs)

    monkeypatch.setattr(routing, "serialize_response", spy)
    return seen
