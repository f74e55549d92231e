"""The OpenID Provider (node's oidc-provider, real, on 127.0.0.1) and jwtlens in-process beside it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from jwtlens.config import Settings
from jwtlens.main import create_app

from tests.oauth.provider import Provider, running_provider

#: where the in-process app (TestClient's base URL) tells the provider to send the browser back
CALLBACK = "http://127.0.0.1/callback"


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    with running_provider([CALLBACK]) as running:
        yield running


@pytest.fixture
def app_client(tmp_path) -> Iterator[TestClient]:
    settings = Settings(db_path=tmp_path / "jwtlens.sqlite3")
    with TestClient(create_app(settings), base_url="http://127.0.0.1", follow_redirects=False) as client:
        yield client
