"""JWE JSON serialization: RFC 7516 A.4/A.5, the RFC 7520 cookbook's JSON forms, jwcrypto both ways, the API."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from jwcrypto import jwe as jc_jwe
from jwcrypto import jwk as jc_jwk
from jwtlens.core import InputError
from jwtlens.core.inspect import KeyText, inspect
from jwtlens.core.jwe.jsonser import encrypt_jwe_json

from tests.paths import VECTORS

if not VECTORS.exists():
    pytest.skip("test vectors not found next to the repository", allow_module_level=True)
RFC = json.loads((VECTORS / "rfc-examples" / "jose-json-detached-thumbprint-mldsa.json").read_text("utf-8"))["rfc7516"]
COOKBOOK = sorted((VECTORS / "rfc7520-cookbook" / "jwe").glob("*.json"))


def _key(data: dict[str, Any]) -> KeyText:
    key = data["input"].get("key", data["input"].get("pwd"))
    if isinstance(key, list):
        return KeyText(json.dumps({"keys": key}))
    return KeyText(key if isinstance(key, str) else json.dumps(key))


def _forms() -> list[Any]:
    params = []
    for path in COOKBOOK:
        data = json.loads(path.read_text("utf-8"))
        for form in ("json", "json_flat"):
            if form in data["output"]:
                params.append(pytest.param(data, form, id=f"{path.stem}-{form}"))
    return params


@pytest.mark.parametrize(("name", "key", "index"), [("A4_general", "A2_private", 0), ("A4_general", "A3_key", 1)])
@pytest.mark.parametrize("spelling", ["text", "pretty"])
def test_rfc7516_a4_each_key_opens_its_recipient(name: str, key: str, index: int, spelling: str):
    text = RFC[name] if spelling == "text" else json.dumps(json.loads(RFC[name]), indent=1)
    result = inspect(text, KeyText(json.dumps(RFC[key])))
    assert result.serialization == "general" and result.recipients is not None
    assert result.recipients.index == index
    assert result.decrypted is not None and result.decrypted.plaintext == RFC["plaintext"]
    assert [r.ok for r in result.recipients.results] == [False] * index + [True]


def test_rfc7516_a5_flattened_and_the_wrong_key():
    ok = inspect(RFC["A5_flattened"], KeyText(json.dumps(RFC["A3_key"])))
    assert ok.serialization == "flattened" and ok.decrypted is not None and ok.decrypted.plaintext == RFC["plaintext"]
    wrong = inspect(RFC["A5_flattened"], KeyText(json.dumps({"kty": "oct", "k": "AAAAAAAAAAAAAAAAAAAAAA"})))
    assert wrong.recipients is not None and wrong.recipients.index is None
    assert wrong.verdict.status == 401 and not wrong.verified


@pytest.mark.parametrize(("data", "form"), _forms())
def test_cookbook_json_forms_decrypt(data: dict[str, Any], form: str):
    result = inspect(json.dumps(data["output"][form]), _key(data))
    assert result.decrypted is not None and result.decrypted.ok, result.decrypted and result.decrypted.message
    assert result.decrypted.plaintext == data["input"]["plaintext"]


@pytest.mark.parametrize(("data", "form"), _forms())
@pytest.mark.parametrize("member", ["ciphertext", "tag", "aad", "protected"])
def test_cookbook_json_forms_changed_member_never_decrypts(data: dict[str, Any], form: str, member: str):
    value = json.loads(json.dumps(data["output"][form]))
    if member not in value:
        if member != "aad":
            pytest.skip(f"no {member} in this case")
        value["aad"] = "YWRkZWQ"  # aad added after encryption: authenticated, so it must fail
    elif member == "protected":  # another valid header: the AAD changes
        header = json.loads(base64.urlsafe_b64decode(value["protected"] + "=" * (-len(value["protected"]) % 4)))
        header["x"] = 1
        value["protected"] = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    else:
        text = value[member]
        value[member] = text[:4] + ("A" if text[4] != "A" else "B") + text[5:]
    result = inspect(json.dumps(value), _key(data))
    assert result.decrypted is None or not result.decrypted.ok
    assert not result.verified


@pytest.mark.parametrize("which", [0, 1, 2])
def test_cookbook_multiple_recipients_names_the_one_each_key_opens(which: int):
    data = json.loads(
        (VECTORS / "rfc7520-cookbook" / "jwe" / "5_13.encrypting_to_multiple_recipients.json").read_text()
    )
    key = data["input"]["key"][which]
    result = inspect(json.dumps(data["output"]["json"]), KeyText(json.dumps(key)))
    assert result.recipients is not None and result.recipients.index == which
    assert result.decrypted is not None and result.decrypted.plaintext == data["input"]["plaintext"]


def test_header_in_two_places_is_refused():
    value = json.loads(RFC["A4_general"])
    value["recipients"][0]["header"]["enc"] = "A128CBC-HS256"  # enc is already protected
    with pytest.raises(InputError) as caught:
        inspect(json.dumps(value), KeyText(json.dumps(RFC["A3_key"])))
    assert caught.value.problem.code == "header_overlap"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"recipients": []}, "recipients_empty"),
        ({"ciphertext": 5}, "member_not_string"),
        ({"unprotected": []}, "header_not_object"),
        ({"recipients": [{"header": {}}] * 17}, "too_many_recipients"),
        ({"header": {"alg": "dir"}}, "mixed_serialization"),
    ],
)
def test_malformed_jwe_json_is_a_precise_input_error(change: dict[str, Any], code: str):
    value = {**json.loads(RFC["A4_general"]), **change}
    with pytest.raises(InputError) as caught:
        inspect(json.dumps(value), KeyText(json.dumps(RFC["A3_key"])))
    assert caught.value.problem.code == code


def test_general_made_here_opens_in_jwcrypto_with_each_key(rsa_pair, ec_pair):
    secret = json.dumps({"kty": "oct", "k": "GawgguFyGrWKav7AX4VKUg", "kid": "s"})
    token = encrypt_jwe_json(
        {"enc": "A256GCM"},
        "for both",
        [({"alg": "RSA-OAEP-256"}, rsa_pair.public_pem), ({"alg": "A128KW", "kid": "s"}, secret)],
        "general",
        unprotected={"cty": "text/plain"},
        aad=b"context",
    )
    for key in (jc_jwk.JWK.from_pem(rsa_pair.private_pem.encode()), jc_jwk.JWK(**json.loads(secret))):
        opened = jc_jwe.JWE()
        opened.deserialize(token, key)
        assert opened.payload == b"for both"
    here = inspect(token, KeyText(secret))
    assert here.recipients is not None and here.recipients.index == 1 and here.decrypted.plaintext == "for both"  # type: ignore[union-attr]


def test_general_made_by_jwcrypto_opens_here(rsa_pair, ec_pair):
    made = jc_jwe.JWE(b'{"sub":"alice"}', json.dumps({"enc": "A128GCM"}), aad=b"extra")
    made.add_recipient(jc_jwk.JWK.from_pem(rsa_pair.public_pem.encode()), json.dumps({"alg": "RSA-OAEP"}))
    made.add_recipient(jc_jwk.JWK.from_pem(ec_pair.public_pem.encode()), json.dumps({"alg": "ECDH-ES+A128KW"}))
    text = made.serialize()
    for pem, index in ((rsa_pair.private_pem, 0), (ec_pair.private_pem, 1)):
        result = inspect(text, KeyText(pem))
        assert result.recipients is not None and result.recipients.index == index
        assert result.decrypted is not None and result.decrypted.payload == {"sub": "alice"}


def test_api_decrypt_verify_and_encrypt_json(client):
    key = json.dumps(RFC["A3_key"])
    for route in ("/api/verify", "/api/decrypt"):
        body = client.post(route, json={"token": json.loads(RFC["A4_general"]), "key": key}).json()
        assert body["type"] == "JWE" and body["serialization"] == "general" and body["recipient"] == 1
        assert body["plaintext"] == RFC["plaintext"] and [r["ok"] for r in body["recipients"]] == [False, True]
        assert body["unprotected"] == {"jku": "https://server.example.com/keys.jwks"}
    made = client.post(
        "/api/encrypt",
        json={
            "header": {"enc": "A128GCM"},
            "plaintext": "hi",
            "serialization": "general",
            "recipients": [{"header": {"alg": "A128KW"}, "key": key}],
            "aad": "bound",
        },
    )
    assert made.status_code == 200, made.text
    opened = client.post("/api/decrypt", json={"token": made.json()["token"], "key": key}).json()
    assert opened["plaintext"] == "hi" and opened["aad"] == "Ym91bmQ"
    compact = client.post(
        "/api/encrypt", json={"header": {"alg": "A128KW", "enc": "A128GCM"}, "plaintext": "x", "key": key}
    )
    assert compact.json()["token"].count(".") == 4
    jws = {"payload": "e30", "protected": "eyJhbGciOiJIUzI1NiJ9", "signature": "AA"}
    refused = client.post("/api/decrypt", json={"token": jws, "key": key})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "not_jwe"
