"""A bad JWTLENS_* variable or .env line: one line naming it and what it expects, exit 2, no traceback.

Commands that need no settings (decode, verify, sign, keygen, --help) keep working; the serve banner
never prints a configured access token.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from jwtlens.core import sign

SECRET = "settings-secret-0123456789abcdefghijk"
TOKEN = sign({"alg": "HS256"}, {"sub": "a"}, SECRET).token
CONFIGURED = "configured-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123"


def run(args: list[str], cwd: Path, timeout: float = 30, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JWTLENS_")}
    return subprocess.run(
        [sys.executable, "-m", "jwtlens", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**clean, "JWTLENS_DB_PATH": str(cwd / "db.sqlite3"), **env},
    )


BAD = [
    ("JWTLENS_PORT", "eighty", "valid integer"),
    ("JWTLENS_PORT", "70000", "less than or equal to 65535"),
    ("JWTLENS_MAX_BODY_BYTES", "12", "greater than or equal to 4096"),
    ("JWTLENS_FETCH_TIMEOUT", "-1", "greater than 0"),
    ("JWTLENS_NO_AUTH", "perhaps", "valid boolean"),
    ("JWTLENS_FETCH_ALLOWLIST", "https://idp.example/path", "not a URL"),
    ("JWTLENS_ACCESS_TOKEN", "too-short", "at least 32 characters"),
    ("JWTLENS_CPU_WORKERS", "0", "greater than or equal to 1"),
]


@pytest.mark.parametrize(("name", "value", "expects"), BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
@pytest.mark.parametrize("where", ["environment", ".env"])
def test_a_bad_setting_is_one_line_and_exit_2(tmp_path, name, value, expects, where):
    if where == ".env":
        (tmp_path / ".env").write_text(f"# team settings\n{name}={value}\n")
        done = run(["serve"], tmp_path)
    else:
        done = run(["serve"], tmp_path, **{name: value})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith(f"jwtlens serve: {name}: ") and expects in lines[0]
    if name == "JWTLENS_ACCESS_TOKEN":
        assert value not in done.stderr + done.stdout  # a secret, even a bad one, is not echoed


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["serve", "--help"],
        ["decode", TOKEN],
        ["verify", TOKEN, "--key", SECRET],
        ["sign", "--header", '{"alg": "HS256"}', "--key", SECRET],
        ["keygen", "--kty", "EC"],
    ],
    ids=lambda a: " ".join(a[:1]) if a[0] != "serve" else "serve --help",
)
def test_commands_without_settings_ignore_a_bad_one(tmp_path, args):
    done = run(args, tmp_path, JWTLENS_PORT="eighty", JWTLENS_ACCESS_TOKEN="short")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def _banner(tmp_path: Path, **env: str) -> str:
    """What `jwtlens serve --host 0.0.0.0` prints before serving (the server is stopped once it has)."""
    lines = []
    with subprocess.Popen(
        [sys.executable, "-m", "jwtlens", "serve", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "JWTLENS_DB_PATH": str(tmp_path / "db.sqlite3"), **env},
    ) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                lines.append(line)
                if "JWTLENS_ALLOWED_HOSTS" in line or "WITHOUT" in line:
                    break
        finally:
            process.terminate()
            process.communicate(timeout=10)
    return "".join(lines)


def test_the_banner_never_prints_a_configured_token(tmp_path):
    out = _banner(tmp_path, JWTLENS_ACCESS_TOKEN=CONFIGURED)
    assert "?access_token=<JWTLENS_ACCESS_TOKEN>" in out and CONFIGURED not in out


def test_the_banner_shows_a_generated_token_once(tmp_path):
    out = _banner(tmp_path)
    assert out.count("?access_token=") == 1 and "<JWTLENS_ACCESS_TOKEN>" not in out
