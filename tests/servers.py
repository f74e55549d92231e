"""Servers for tests: the app in-process, and real servers on 127.0.0.1 (a free port, waiting until one answers)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request

from fastapi.testclient import TestClient
from jwtlens.config import Settings
from jwtlens.main import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[str] | subprocess.Popen[bytes], timeout: float = 20) -> int:
    """The first HTTP status ``url`` answers with, failing if ``proc`` exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def local_client(settings: Settings) -> TestClient:
    """The app in-process, addressed as http://127.0.0.1 like a browser on this machine."""
    return TestClient(create_app(settings), base_url="http://127.0.0.1")
