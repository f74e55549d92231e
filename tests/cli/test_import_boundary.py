"""The CLI sits beside the web layer: importing it, or running a command but serve, loads no web framework.

Each check runs in a fresh interpreter, since this test process has FastAPI loaded already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import jwt
import pytest
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk

from tests.makers import future
from tests.paths import ROOT

WEB = ("fastapi", "starlette", "uvicorn")
_REPORT = """
import json, sys
print(json.dumps(sorted({n.split(".")[0] for n in sys.modules} & set(WEB))), file=sys.stderr)
"""


def loaded_by(code: str) -> tuple[list[str], str]:
    """The web frameworks in sys.modules after ``code`` ran in a fresh interpreter, and what it printed."""
    script = f"WEB = {WEB!r}\n{code}\n{_REPORT}"
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stderr.strip().splitlines()[-1]), run.stdout


def test_importing_the_cli_loads_no_web_framework():
    assert loaded_by("import jwtlens.cli") == ([], "")


def test_the_detection_sees_a_web_framework_when_one_is_loaded():
    # positive control: the application itself does load them
    loaded, _ = loaded_by("import jwtlens.main")
    assert set(loaded) >= {"fastapi", "starlette"}


def _hs256(secret: str) -> str:
    return jwt.encode({"sub": "boundary", "exp": future()}, secret, algorithm="HS256")


def _jwe() -> str:
    token = jwcrypto_jwe.JWE(b"hidden", protected=json.dumps({"alg": "dir", "enc": "A256GCM", "kid": "boundary"}))
    token.add_recipient(jwcrypto_jwk.JWK.generate(kty="oct", size=256))
    return str(token.serialize(compact=True))


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (lambda s: ["decode", _hs256(s)], "boundary"),
        (lambda s: ["decode", "--json", _hs256(s)], '"sub": "boundary"'),
        (lambda s: ["decode", f"Bearer {_hs256(s)}"], "boundary"),
        (lambda s: ["decode", _jwe()], '"kid": "boundary"'),
        (lambda s: ["verify", _hs256(s), "--key", s], "Signature verified"),
        (lambda s: ["keygen", "--kty", "OKP", "--json"], "Ed25519"),
    ],
    ids=["decode", "decode-json", "decode-bearer", "decode-jwe", "verify", "keygen"],
)
def test_cli_commands_run_without_the_web_layer(secret, args, shown):
    argv = args(secret)
    loaded, printed = loaded_by(f"from jwtlens.cli import main\nassert main({argv!r}) == 0, 'exit code'")
    assert loaded == []
    assert shown in printed  # the command really ran
