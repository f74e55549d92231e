"""The console script and `python -m app` start a real server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.status
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def serve(args: list[str]) -> tuple[int, str]:
    port = free_port()
    proc = subprocess.Popen(
        [*args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        status = wait_for(f"http://127.0.0.1:{port}/", proc)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in out
    return status, out


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "jwtlens"), "serve", "--host", "127.0.0.1"],
        [str(BIN / "jwtlens")],
        [sys.executable, "-m", "app", "serve"],
    ],
    ids=["jwtlens serve", "bare jwtlens", "python -m app"],
)
def test_serves_the_page(command):
    if not Path(command[0]).exists() and shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} is not installed: run make test, which installs the console script")
    status, _ = serve(command)
    assert status == 200


def test_version_and_help():
    done = subprocess.run([sys.executable, "-m", "app", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("jwtlens ")
    done = subprocess.run([sys.executable, "-m", "app", "serve", "--help"], capture_output=True, text=True, check=True)
    assert "--host" in done.stdout and "loopback" in done.stdout and "--open" in done.stdout
