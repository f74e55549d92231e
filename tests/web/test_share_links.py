"""A share link carries a key only when the key, as parsed now, has no secret part; and then its public form only."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc.jwk import OctKey
from jwtlens.core import parse_key

from tests.makers import ec_key, rsa_key

RSA = rsa_key(2048, which=1)
EC = ec_key("P-256", which=1)


def _bare(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if "-----" not in line)


PUBLIC_FORMS = {
    "spki pem": RSA.as_pem(private=False).decode(),
    "bare spki": _bare(RSA.as_pem(private=False).decode()),
    "public jwk": json.dumps(EC.as_dict(private=False)),
    "public jwks": json.dumps({"keys": [EC.as_dict(private=False), RSA.as_dict(private=False)]}),
    "jwk in a bare array": json.dumps([EC.as_dict(private=False)]),
    "ec pem with a BOM": "\ufeff" + EC.as_pem(private=False).decode(),
}
SECRET_FORMS = {
    "hmac secret": "a-shared-hmac-secret-that-is-long-enough",
    "oct jwk": json.dumps(OctKey.generate_key(256).as_dict(private=True)),
    "private jwk": json.dumps(EC.as_dict(private=True)),
    "jwks with one private member": json.dumps({"keys": [RSA.as_dict(private=False), EC.as_dict(private=True)]}),
    "private pem": RSA.as_pem(private=True).decode(),
    "public then private pem": RSA.as_pem(private=False).decode() + EC.as_pem(private=True).decode(),
    "private then public pem": EC.as_pem(private=True).decode() + RSA.as_pem(private=False).decode(),
}


@pytest.mark.parametrize("form", PUBLIC_FORMS)
def test_a_public_key_goes_as_its_public_form(client, form):
    text = PUBLIC_FORMS[form]
    answer = client.post("/api/keys/shareable", json={"key": text}).json()
    assert answer["shareable"] is True
    shared = answer["key"]
    assert "PRIVATE" not in shared and '"d"' not in shared
    before = {k.thumbprint for k in parse_key(text).keys}
    after = {k.thumbprint for k in parse_key(shared).keys}
    assert before == after  # the same keys, re-serialised


@pytest.mark.parametrize("form", SECRET_FORMS)
def test_anything_with_a_secret_part_never_goes(client, form):
    text = SECRET_FORMS[form]
    answer = client.post("/api/keys/shareable", json={"key": text})
    assert answer.status_code == 200 and answer.json() == {
        "shareable": False,
        "key": None,
        "reason": "only a public key can go into a link, never a secret or a key with a private part",
    }


@pytest.mark.parametrize("encoding", ["base64", "hex"])
def test_an_encoded_secret_is_judged_after_decoding(client, encoding):
    raw = b"binary-hmac-secret-\x00\x01\x02-long-enough-for-hs256"
    text = raw.hex() if encoding == "hex" else base64.b64encode(raw).decode()
    answer = client.post("/api/keys/shareable", json={"key": text, "secret_encoding": encoding}).json()
    assert answer["shareable"] is False


def test_an_unreadable_key_is_a_400_without_echo(client):
    broken = (
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuNRWORTHY\n-----END PUBLIC KEY-----"
    )
    answer = client.post("/api/keys/shareable", json={"key": broken})
    assert answer.status_code == 400 and "uNRWORTHY" not in answer.text
