"""One inspection, three surfaces: the page's fragments, /api/verify and the CLI agree on every verdict.

Each row is a token, a key and a policy; the same row goes through the htmx fragment, the JSON API and
`jwtlens verify` in-process, and the three verdicts (status and reason) must be the same, with no
internal name leaking into what the user reads.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from joserfc.jwk import OKPKey
from jwtlens import cli
from jwtlens.core import sign
from jwtlens.core.jwe import encrypt_jwe
from jwtlens.core.policy import oidc_hash
from jwtlens.web.policyform import fields_from_policy

from tests.makers import KeyPair, b64url, future

SECRET = "surface-secret-0123456789-abcdefghijkl"  # 38 bytes: long enough for HS256
SHARED = "A" * 43  # a 256-bit key, base64url: the JWE's dir key
NOW = int(time.time())  # one "check as of" for all three surfaces, so their messages match to the letter


@dataclass(frozen=True)
class Row:
    name: str
    token: Callable[[dict[str, KeyPair]], str]
    key: Callable[[dict[str, KeyPair]], str | None]
    status: int | None
    reason: str  # how the reason starts
    policy: dict[str, Any] = field(default_factory=dict)
    encoding: str = "utf8"
    inner_key: Callable[[dict[str, KeyPair]], str | None] = lambda keys: None


def _hs(claims: dict[str, Any] | None = None, secret: str = SECRET, alg: str = "HS256") -> str:
    return sign({"alg": alg}, {"sub": "ada", "exp": future(), **(claims or {})}, secret).token


def _hmac_attack(key_text: str) -> str:
    """The RS→HS attack: an HS256 token whose HMAC key is the public key's text (sign() refuses to make one)."""
    signing_input = f"{b64url(json.dumps({'alg': 'HS256'}).encode())}.{b64url(json.dumps({'sub': 'ada'}).encode())}"
    mac = hmac.new(key_text.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _signed(pair: str, claims: dict[str, Any] | None = None) -> Callable[[dict[str, KeyPair]], str]:
    def make(keys: dict[str, KeyPair]) -> str:
        kp = keys[pair]
        return sign({"alg": kp.alg}, {"sub": "ada", "exp": future(), **(claims or {})}, kp.private_pem).token

    return make


def _dir_jwe(plaintext: str) -> str:
    return encrypt_jwe({"alg": "dir", "enc": "A256GCM"}, plaintext, SHARED, secret_encoding="base64url")


ACCESS_TOKEN = "an-opaque-access-token"

ROWS = [
    Row("hs256 right secret", lambda k: _hs(), lambda k: SECRET, 200, "signature and every claim check passed"),
    Row("hs256 wrong secret", lambda k: _hs(), lambda k: "another-secret-of-sufficient-length!!", 401, "signature: "),
    Row(
        "hs256 with a public PEM",
        lambda k: _hmac_attack(k["rsa"].public_pem),
        lambda k: k["rsa"].public_pem,
        401,
        "signature: Refused",
    ),
    Row(
        "hs256 with a public JWK",
        lambda k: _hmac_attack(k["ec"].public_jwk),
        lambda k: k["ec"].public_jwk,
        401,
        "signature: Refused",
    ),
    Row("hs256 short secret", lambda k: _hs(secret="short"), lambda k: "short", 401, "signature: Not verified"),
    Row("rs256 public key", _signed("rsa"), lambda k: k["rsa"].public_pem, 200, "signature and every"),
    Row("rs256 1024-bit key", _signed("rsa1024"), lambda k: k["rsa1024"].public_pem, 401, "signature: Not verified"),
    Row("es256 jwk", _signed("ec"), lambda k: k["ec"].public_jwk, 200, "signature and every"),
    Row("eddsa", _signed("ed"), lambda k: k["ed"].public_pem, 200, "signature and every"),
    Row(
        "eddsa oidc at_hash follows the key's curve",
        _signed("ed", {"at_hash": oidc_hash(ACCESS_TOKEN, "EdDSA", "Ed25519"), "aud": "client"}),
        lambda k: k["ed"].public_pem,
        200,
        "signature and every",
        policy={"oidc": True, "access_token": ACCESS_TOKEN, "aud": ["client"]},
    ),
    Row("expired", lambda k: _hs({"exp": 1_000_000}), lambda k: SECRET, 401, "claim exp: expired"),
    Row(
        "rule fails",
        lambda k: _hs({"role": "notadmin"}),
        lambda k: SECRET,
        403,
        "rule role matches",
        policy={"rules": [{"claim": "role", "op": "matches", "value": "admin"}]},
    ),
    Row(
        "rule passes",
        lambda k: _hs({"role": "admin"}),
        lambda k: SECRET,
        200,
        "signature and every",
        policy={"rules": [{"claim": "role", "op": "matches", "value": "admin|root"}]},
    ),
    Row("policy: negative leeway", lambda k: _hs(), lambda k: SECRET, None, "policy invalid: leeway", {"leeway": -1}),
    Row("policy: absurd leeway", lambda k: _hs(), lambda k: SECRET, None, "policy invalid: leeway", {"leeway": 1e12}),
    Row(
        "policy: bad regex",
        lambda k: _hs(),
        lambda k: SECRET,
        None,
        "policy invalid: rules: rule 1",
        {"rules": [{"claim": "role", "op": "matches", "value": "(unclosed"}]},
    ),
    Row(
        "policy: unknown op",
        lambda k: _hs(),
        lambda k: SECRET,
        None,
        "policy invalid: rules: rule 1: op must be one of",
        {"rules": [{"claim": "role", "op": "like", "value": "x"}]},
    ),
    Row("policy: bad now", lambda k: _hs(), lambda k: SECRET, None, "policy invalid: now", {"now": "yesterday-ish"}),
    Row("policy: bad max_age", lambda k: _hs(), lambda k: SECRET, None, "policy invalid: max_age", {"max_age": "x"}),
    Row(
        "jwe dir claims",
        lambda k: _dir_jwe(json.dumps({"sub": "ada", "exp": future()})),
        lambda k: SHARED,
        200,
        "decrypted with the shared key",
        encoding="base64url",
    ),
    Row(
        "jwe dir expired claims",
        lambda k: _dir_jwe(json.dumps({"sub": "ada", "exp": 1_000})),
        lambda k: SHARED,
        401,
        "claim exp",
        encoding="base64url",
    ),
    Row(
        "jwe nested with its own inner key",
        lambda k: _dir_jwe(_signed("ec")(k)),
        lambda k: SHARED,
        200,
        "signature and every",
        encoding="base64url",
        inner_key=lambda k: k["ec"].public_pem,
    ),
    Row(
        "jwe nested, inner key wrong",
        lambda k: _dir_jwe(_signed("ec")(k)),
        lambda k: SHARED,
        401,
        "signature: ",
        encoding="base64url",
        inner_key=lambda k: k["rsa"].public_pem,
    ),
    Row("jwe without a key", lambda k: _dir_jwe("{}"), lambda k: None, 401, "encrypted: no key"),
    Row(
        "jwe wrong key",
        lambda k: _dir_jwe("{}"),
        lambda k: "B" * 43,
        401,
        "not decrypted",
        encoding="base64url",
    ),
    Row("unsigned", lambda k: sign({"alg": "none"}, {}, None, allow_none=True).token, lambda k: SECRET, 401, "sig"),
]
INTERNAL = re.compile(r"InputError|token_is_jwe|Traceback|ParsedKey|KeyInput|JoseError|\bNone\b|__|<[a-z]+ object")


@pytest.fixture(scope="module")
def keys(rsa_pair, ec_pair, ed_pair) -> dict[str, KeyPair]:
    small = rsa.generate_private_key(65537, 1024)  # joserfc refuses to make one; cryptography does
    private = small.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    public = small.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    weak = KeyPair("RS256", private, public, "")
    return {"rsa": rsa_pair, "ec": ec_pair, "ed": ed_pair, "rsa1024": weak, "okp": _okp()}


def _okp() -> KeyPair:
    key = OKPKey.generate_key("Ed25519")
    return KeyPair("EdDSA", key.as_pem(private=True).decode(), key.as_pem(private=False).decode(), "")


def _policy(row: Row) -> dict[str, Any]:
    return {"now": NOW, **row.policy}


def _page(client, token: str, key: str | None, row: Row, keys) -> tuple[int | None, str]:
    fields = {"mode": "verify", "token": token, "key": key or "", "secret_encoding": row.encoding}
    inner = row.inner_key(keys)
    if inner is not None:
        fields["inner_key"] = inner
    fields.update(fields_from_policy(_policy(row)))
    html = client.post("/fragments/settings", data=fields).text
    match = re.search(r'<p id="verdict"[^>]*>(.*?)</p>', html, re.DOTALL)
    assert match, f"no verdict on the page for {row.name}"
    text = unescape(re.sub(r"<[^>]+>", "", match.group(1)))
    if text.startswith("Policy invalid"):
        return None, text.split("(", 1)[1].rsplit(")", 1)[0]
    status, reason = re.match(r".*a gateway would answer (\d+), (.*)", text, re.DOTALL).groups()
    return int(status), reason.strip()


def _api(client, token: str, key: str | None, row: Row, keys) -> tuple[int | None, str]:
    body: dict[str, Any] = {"token": token, "key": key, "secret_encoding": row.encoding, "policy": _policy(row)}
    inner = row.inner_key(keys)
    if inner is not None:
        body["inner_key"] = inner
    answer = client.post("/api/verify", json=body)
    assert answer.status_code == 200, answer.text
    verdict = answer.json()["verdict"]
    return verdict["status"], verdict["reason"]


def _cli(capsys, token: str, key: str | None, row: Row, keys) -> tuple[int | None, str]:
    args = ["verify", token, "--json", "--secret-encoding", row.encoding, "--policy", json.dumps(_policy(row))]
    args += ["--key", key or ""]
    inner = row.inner_key(keys)
    if inner is not None:
        args += ["--inner-key", inner]
    capsys.readouterr()
    code = cli.main(args)
    out = capsys.readouterr()
    if row.status is None:  # an invalid policy is a usage error on the command line: exit 2, said on stderr
        assert code == 2 and not out.out
        return None, out.err.strip().removeprefix("jwtlens verify: ")
    verdict = json.loads(out.out)["verdict"]
    assert code == (0 if verdict["status"] == 200 else 1)
    return verdict["status"], verdict["reason"]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_the_page_the_api_and_the_cli_agree(row: Row, client, capsys, keys):
    token, key = row.token(keys), row.key(keys)
    seen = {"page": _page(client, token, key, row, keys), "api": _api(client, token, key, row, keys)}
    if key is not None:  # the CLI insists on a key (a usage error otherwise, checked below)
        seen["cli"] = _cli(capsys, token, key, row, keys)
    for surface, (status, reason) in seen.items():
        assert status == row.status, f"{surface}: {status} {reason}"
        assert reason.startswith(row.reason), f"{surface}: {reason}"
        assert not INTERNAL.search(reason), f"{surface} leaks an internal name: {reason}"
    assert len({reason for _, reason in seen.values()}) == 1, seen
    if row.status == 200:
        assert all(status == 200 for status, _ in seen.values())


def test_the_cli_without_a_key_is_a_usage_error(capsys):
    assert cli.main(["verify", _hs()]) == 2
    assert "--key" in capsys.readouterr().err
    assert cli.main(["decrypt", _dir_jwe("{}")]) == 2


def _bare_spki(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if "-----" not in line)


@pytest.mark.parametrize("kind", ["auto", "secret", "public"])
def test_a_stated_key_kind_never_overrides_a_confusion_refusal(kind, client, capsys, rsa_pair):
    bare = _bare_spki(rsa_pair.public_pem)  # Keycloak's realm key: bare base64 SPKI
    token = _hmac_attack(bare)
    api = client.post("/api/verify", json={"token": token, "key": bare, "key_kind": kind}).json()
    assert api["verdict"]["status"] == 401 and api["signature"]["status"] == "refused"
    assert "key confusion" in api["signature"]["message"]
    if kind == "secret":
        assert "you chose HMAC secret" in api["signature"]["message"]
    fields = {"mode": "verify", "token": token, "key": bare, "key_kind": kind}
    html = unescape(client.post("/fragments/settings", data=fields).text)
    assert "Refused" in html and "key confusion" in html and "Signature verified" not in html
    assert cli.main(["verify", token, "--key", bare, "--key-kind", kind, "--json"]) == 1
    assert "key confusion" in json.loads(capsys.readouterr().out)["signature"]["message"]


@pytest.mark.parametrize("kind", ["auto", "public"])
def test_bare_spki_verifies_an_rs256_token_whatever_the_stated_kind(kind, client, rsa_pair):
    token = sign({"alg": "RS256"}, {"sub": "ada", "exp": future()}, rsa_pair.private_pem).token
    body = {"token": token, "key": _bare_spki(rsa_pair.public_pem), "key_kind": kind}
    assert client.post("/api/verify", json=body).json()["verdict"]["status"] == 200


def test_public_kind_with_a_secret_is_a_precise_error_everywhere(client, capsys):
    token = _hs()
    answer = client.post("/api/verify", json={"token": token, "key": SECRET, "key_kind": "public"})
    assert answer.status_code == 400 and "public key" in answer.json()["error"]["message"]
    assert SECRET not in answer.text
    html = client.post(
        "/fragments/settings", data={"mode": "verify", "token": token, "key": SECRET, "key_kind": "public"}
    )
    assert 'id="key-error"' in html.text and "Signature verified" not in html.text
    assert cli.main(["verify", token, "--key", SECRET, "--key-kind", "public"]) == 1
    err = capsys.readouterr().err
    assert "public key" in err and SECRET not in err


SLOPPY = {
    "quoted": lambda t: f'"{t}"',
    "line breaks at the dots": lambda t: ".\n".join(t.split(".")),
    "spaces inside a part": lambda t: f"{t[:20]}  {t[20:]}",
    "token= prefix": lambda t: f"token={t}",
    "jwt: prefix, quoted, wrapped": lambda t: f"'jwt: {t[:30]}\r\n{t[30:]}'",
}


@pytest.mark.parametrize("case", list(SLOPPY))
def test_a_sloppy_paste_verifies_alike_on_every_surface(case: str, client, capsys) -> None:
    token = _hs()
    pasted = SLOPPY[case](token)
    api = client.post("/api/verify", json={"token": pasted, "key": SECRET}).json()
    assert api["verified"] is True and api["payload"]["sub"] == "ada"
    assert any(f["code"] == "token_source" for f in api["findings"])
    capsys.readouterr()
    assert cli.main(["verify", pasted, "--key", SECRET, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["payload"]["sub"] == "ada"
    page = client.post("/fragments/token", data={"token": pasted, "key": SECRET, "mode": "verify"}).text
    assert "Signature verified" in page
