"""The CLI's JOSE extras in-process: --payload for detached content, JSON serializations from sign."""

from __future__ import annotations

import json

import pytest
from jwtlens.cli import main

from tests.paths import VECTORS

if not VECTORS.exists():
    pytest.skip("test vectors not found next to the repository", allow_module_level=True)
RFC7797 = json.loads((VECTORS / "rfc-examples" / "jose-json-detached-thumbprint-mldsa.json").read_text())["rfc7797"]
SECRET = "cli-secret-0123456789abcdefghijklmnopq"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("spelling", ["value", "file"])
def test_verify_detached_rfc7797_with_payload(capsys, tmp_path, spelling: str):
    content = tmp_path / "content.bin"
    content.write_bytes(RFC7797["payload"].encode())
    payload = RFC7797["payload"] if spelling == "value" else f"@{content}"
    key = json.dumps(RFC7797["key"])
    code, out, _ = run(capsys, "verify", RFC7797["s4_2_detached"], "--key", key, "--payload", payload, "--json")
    assert json.loads(out)["signature"]["valid"] is True
    code, out, _ = run(capsys, "verify", RFC7797["s4_2_detached"], "--key", key, "--json")
    assert code == 1 and json.loads(out)["signature"]["valid"] is False


def test_verify_payload_file_missing_is_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, "verify", RFC7797["s4_2_detached"], "--key", "k", "--payload", f"@{tmp_path / 'no'}")
    assert code == 2 and "detached content" in err


def test_sign_general_two_signers_then_verify(capsys, tmp_path):
    other = "another-secret-0123456789abcdefghijkl"
    code, token, _ = run(
        capsys,
        "sign",
        "--header",
        '{"alg": "HS256", "kid": "a"}',
        "--payload",
        '{"sub": "cli"}',
        "--key",
        SECRET,
        "--serialization",
        "general",
        "--signer",
        '{"alg": "HS256", "kid": "b"}',
        other,
    )
    assert code == 0 and len(json.loads(token)["signatures"]) == 2
    code, out, _ = run(capsys, "verify", token.strip(), "--key", other)
    assert code == 0 and "signature 1 VALID" in out and "signature 0 INVALID" in out
    code, _, err = run(capsys, "sign", "--header", '{"alg": "HS256"}', "--key", SECRET, "--signer", "{}", SECRET)
    assert code == 2 and "general" in err


def test_verify_x5c_with_trust_anchors_and_use_x5c(capsys, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from jwtlens.core import sign

    from tests.pki import make, x5c

    root = make("Root", None)
    leaf = make("leaf", root, ca=False)
    pem = leaf.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    token = sign({"alg": "ES256", "x5c": x5c(leaf)}, {"sub": "c"}, pem).token
    anchors = tmp_path / "ca.pem"
    anchors.write_text(root.pem)
    policy = ["--now", "1800000000"]
    code, out, _ = run(capsys, "verify", token, "--trust-anchors", f"@{anchors}", "--use-x5c", *policy)
    assert code == 0 and "x5c CN=leaf: validated" in out
    code, out, _ = run(capsys, "verify", token, "--use-x5c", *policy)
    assert code == 1 and "no trust anchor" in out
