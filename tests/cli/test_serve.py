"""The console script and `python -m jwtlens` start a real server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.servers import free_port, wait_for

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
# Servers started here keep their SQLite file out of the user's data directory.
SCRATCH_DB = str(Path(tempfile.gettempdir()) / f"jwtlens-test-{os.getpid()}.sqlite3")


def serve(args: list[str], url_path: str = "/") -> tuple[int, str]:
    port = free_port()
    proc = subprocess.Popen(
        [*args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "JWTLENS_DB_PATH": SCRATCH_DB},
    )
    try:
        status = wait_for(f"http://127.0.0.1:{port}{url_path}", proc)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f":{port}/" in out
    return status, out


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "jwtlens"), "serve", "--host", "127.0.0.1"],
        [str(BIN / "jwtlens")],
        [sys.executable, "-m", "jwtlens", "serve"],
    ],
    ids=["jwtlens serve", "bare jwtlens", "python -m jwtlens"],
)
def test_serves_the_page(command):
    if not Path(command[0]).exists() and shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} is not installed: run make test, which installs the console script")
    status, _ = serve(command)
    assert status == 200


def test_version_and_help():
    done = subprocess.run([sys.executable, "-m", "jwtlens", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("jwtlens ")
    done = subprocess.run(
        [sys.executable, "-m", "jwtlens", "serve", "--help"], capture_output=True, text=True, check=True
    )
    assert "--host" in done.stdout and "loopback" in done.stdout and "--open" in done.stdout


def test_network_binding_demands_the_printed_token():
    status, out = serve([str(BIN / "jwtlens"), "serve", "--host", "0.0.0.0"])
    assert status == 401
    assert "WARNING: bound to a network address" in out and "?access_token=" in out


def test_network_binding_with_no_auth_warns_and_serves():
    status, out = serve([str(BIN / "jwtlens"), "serve", "--host", "0.0.0.0", "--no-auth"])
    assert status == 200 and "WITHOUT an access token" in out


# --- decode, verify, sign ------------------------------------------------------------------------

SECRET = "cli-secret-0123456789abcdefghijklmnopq"


def jwtlens(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "jwtlens"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "JWTLENS_DB_PATH": SCRATCH_DB},
    )


def make_token(**claims) -> str:
    from jwtlens.core import sign

    return sign({"alg": "HS256"}, {"sub": "ada", "exp": 4_000_000_000, **claims}, SECRET).token


def test_decode_from_argument_and_stdin():
    token = make_token()
    done = jwtlens("decode", token)
    assert done.returncode == 0 and '"sub": "ada"' in done.stdout and "exp:" in done.stdout
    piped = jwtlens("decode", "--json", stdin=f"Bearer {token}\n")
    assert piped.returncode == 0
    assert json.loads(piped.stdout)["payload"]["sub"] == "ada"


def test_decode_malformed_is_exit_1_with_the_reason():
    done = jwtlens("decode", "not-a-token")
    assert done.returncode == 1 and "three segments" in done.stderr and "not-a-token" not in done.stderr


def test_verify_exit_codes(tmp_path):
    token = make_token()
    assert jwtlens("verify", token, "--key", SECRET).returncode == 0
    assert jwtlens("verify", token, "--key", "wrong").returncode == 1
    key_file = tmp_path / "secret.txt"
    key_file.write_text(SECRET)
    done = jwtlens("verify", "--key", f"@{key_file}", "--json", stdin=token)
    assert done.returncode == 0 and json.loads(done.stdout)["verified"] is True
    policy = jwtlens("verify", token, "--key", SECRET, "--iss", "https://idp", "--json")
    assert policy.returncode == 1 and json.loads(policy.stdout)["verdict"]["reason"].startswith("claim iss")


def test_verify_usage_errors_are_exit_2(tmp_path):
    assert jwtlens("verify", make_token(), "--key", f"@{tmp_path / 'missing'}").returncode == 2
    assert jwtlens("verify", make_token(), "--bogus-flag").returncode == 2
    assert jwtlens("verify", "--key", SECRET, stdin="").returncode == 1  # an empty token is an invalid token


def test_sign_round_trip():
    done = jwtlens("sign", "--header", '{"alg": "HS256"}', "--payload", '{"sub": "cli"}', "--key", SECRET)
    assert done.returncode == 0
    token = done.stdout.strip()
    check = jwtlens("verify", token, "--key", SECRET, "--json")
    payload = json.loads(check.stdout)["payload"]
    assert payload["sub"] == "cli" and abs(payload["iat"] - time.time()) < 60  # iat: now, by default
    refused = jwtlens("sign", "--header", '{"alg": "none"}')
    assert refused.returncode == 1 and "allow" in refused.stderr
    assert jwtlens("sign", "--header", "{broken").returncode == 2


def test_colour_only_on_a_terminal():
    done = jwtlens("verify", make_token(), "--key", SECRET)
    assert "\033[" not in done.stdout


def test_keygen_forms():
    pem = jwtlens("keygen", "--kty", "OKP", "--crv", "Ed25519")
    assert pem.returncode == 0 and "BEGIN PRIVATE KEY" in pem.stdout and "BEGIN PUBLIC KEY" in pem.stdout
    as_json = json.loads(jwtlens("keygen", "--kty", "RSA", "--size", "2048", "--json").stdout)
    assert {"private_pem", "public_jwk", "jwks", "thumbprint"} <= set(as_json)
    secret = json.loads(jwtlens("keygen", "--kty", "oct", "--format", "jwk").stdout)
    assert secret["kty"] == "oct"
    refused = jwtlens("keygen", "--kty", "EC", "--crv", "P-999")
    assert refused.returncode == 2 and "P-256" in refused.stderr
