"""Fixtures for jwtlens.fetch: a real HTTP server on 127.0.0.1, a fresh cache, and a guard against any other address."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest
from jwtlens.fetch import IssuerCache

from tests.idp_stub import IdPStub, running_stub


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
