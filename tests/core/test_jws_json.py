"""JWS JSON serialization and detached content: RFC 7515 A.6/A.7, RFC 7797 §4.2, the RFC 7520 cookbook, jwcrypto."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws
from jwtlens.core import InputError
from jwtlens.core.inspect import KeyText, inspect
from jwtlens.core.sign_json import sign_serialized

from tests.paths import VECTORS

if not VECTORS.exists():
    pytest.skip("test vectors not found next to the repository", allow_module_level=True)
RFC = json.loads((VECTORS / "rfc-examples" / "jose-json-detached-thumbprint-mldsa.json").read_text("utf-8"))
COOKBOOK = sorted((VECTORS / "rfc7520-cookbook" / "jws").glob("*.json"))
B64_FALSE = sorted((VECTORS / "rfc7520-cookbook" / "rfc7797").glob("*.json"))
NOW = {"now": 1_300_000_000}  # before RFC 7515's exp of 1300819380


def _keys(*keys: dict[str, Any]) -> KeyText:
    return KeyText(json.dumps({"keys": list(keys)}))


def _rfc7515_keys() -> KeyText:
    # A.6's signatures name their kids; A.2/A.3 print the keys without them
    rsa = {**RFC["rfc7515"]["A2_public"], "kid": "2010-12-29"}
    ec = {**RFC["rfc7515"]["A3_public"], "kid": "e9bc097a-ce51-4036-9562-d2ade882db0d"}
    return _keys(rsa, ec)


def _cookbook_forms() -> list[Any]:
    params = []
    for path in [*COOKBOOK, *B64_FALSE]:
        data = json.loads(path.read_text("utf-8"))
        for form in ("json", "json_flat"):
            if form in data["output"]:
                data = {**data, "name": path.stem}
                params.append(pytest.param(data, form, id=f"{path.stem}-{form}"))
    return params


#: cookbook files jwtlens refuses on purpose: their b64: false header lacks crit, which RFC 7797 §6 requires
NO_CRIT = {"4.2.hmac-sha2_b64_false"}


def _key_text(data: dict[str, Any]) -> KeyText:
    key = data["input"]["key"]
    return _keys(*key) if isinstance(key, list) else KeyText(json.dumps(key))


def _detached_content(data: dict[str, Any], form: str) -> bytes | None:
    value = data["output"][form]
    return None if "payload" in value else data["input"]["payload"].encode()


@pytest.mark.parametrize("name", ["A6_general", "A7_flattened"])
@pytest.mark.parametrize("spelling", ["as given", "pretty", "surrounded by whitespace"])
def test_rfc7515_json_examples_verify(name: str, spelling: str):
    text = RFC["rfc7515"][name]
    text = {
        "as given": text,
        "pretty": json.dumps(json.loads(text), indent=2),
        "surrounded by whitespace": f"\n {text}\t",
    }[spelling]
    result = inspect(text, _rfc7515_keys(), policy=None)
    assert result.serialization == ("general" if name == "A6_general" else "flattened")
    assert result.signatures is not None
    assert all(e.check.valid for e in result.signatures.entries)
    assert result.signed is not None and result.signed.token.payload == json.loads(RFC["rfc7515"]["payload_text"])


@pytest.mark.parametrize("name", ["A6_general", "A7_flattened"])
def test_rfc7515_json_tampered_payload_fails_every_signature(name: str):
    value = json.loads(RFC["rfc7515"][name])
    changed = RFC["rfc7515"]["payload_text"].replace('"joe"', '"eve"').encode()
    value["payload"] = base64.urlsafe_b64encode(changed).rstrip(b"=").decode()
    result = inspect(json.dumps(value), _rfc7515_keys())
    assert result.signatures is not None and not any(e.check.valid for e in result.signatures.entries)
    assert result.verdict.status == 401 and not result.verified


def test_general_one_key_of_two_verifies_and_names_which():
    rsa = {**RFC["rfc7515"]["A2_public"], "kid": "2010-12-29"}
    result = inspect(RFC["rfc7515"]["A6_general"], _keys(rsa))
    assert result.signatures is not None
    assert result.signatures.verified_indexes == (0,)
    assert [e.check.status for e in result.signatures.entries] == ["verified", "invalid"]
    assert "1 of 2 signatures verified (index 0)" in result.verdict.reason


@pytest.mark.parametrize(("data", "form"), _cookbook_forms())
def test_cookbook_json_forms_verify(data: dict[str, Any], form: str):
    content = _detached_content(data, form)
    text = json.dumps(data["output"][form])
    result = inspect(text, _key_text(data), payload=content)
    assert result.signatures is not None
    if data["name"] in NO_CRIT:
        assert [e.check.message for e in result.signatures.entries] == [
            "b64: false must be listed in crit (RFC 7797 §6)"
        ]
        assert result.verdict.status == 401
        return
    assert all(e.check.valid for e in result.signatures.entries), [e.check.message for e in result.signatures.entries]
    assert result.signed is not None and result.signed.token.payload_bytes == data["input"]["payload"].encode()


@pytest.mark.parametrize(("data", "form"), _cookbook_forms())
def test_cookbook_json_forms_changed_signature_never_verify(data: dict[str, Any], form: str):
    value = json.loads(json.dumps(data["output"][form]))
    for entry in value.get("signatures", [value]):
        sig = entry["signature"]
        entry["signature"] = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    result = inspect(json.dumps(value), _key_text(data), payload=_detached_content(data, form))
    assert result.signatures is not None and not result.signatures.verified_indexes
    assert not result.verified


def test_cookbook_detached_json_without_content_says_so():
    data = json.loads((VECTORS / "rfc7520-cookbook" / "jws" / "4_5.signature_with_detached_content.json").read_text())
    result = inspect(json.dumps(data["output"]["json"]), _key_text(data))
    assert result.signatures is not None and result.signatures.jws.detached
    assert "detached" in result.signatures.entries[0].check.message
    assert result.verdict.status == 401
    wrong = inspect(json.dumps(data["output"]["json"]), _key_text(data), payload=b"another payload")
    assert not wrong.verified and not wrong.signatures.verified_indexes  # type: ignore[union-attr]


@pytest.mark.parametrize("member", ["kid", "alg"])
def test_security_member_in_unprotected_header_is_a_finding(member: str):
    data = json.loads((VECTORS / "rfc7520-cookbook" / "jws" / "4_7.protecting_content_only.json").read_text())
    result = inspect(json.dumps(data["output"]["json"]), _key_text(data))
    codes = [f for f in result.findings if f.code == "unprotected_header"]
    assert codes and member in codes[0].message
    assert result.signatures is not None and result.signatures.entries[0].signature.header[member]


def test_fully_protected_header_has_no_unprotected_finding():
    data = json.loads((VECTORS / "rfc7520-cookbook" / "jws" / "4_1.rsa_v15_signature.json").read_text())
    result = inspect(json.dumps(data["output"]["json"]), _key_text(data))
    assert result.signatures is not None and not result.signatures.entries[0].signature.header
    assert not [f for f in result.findings if f.code == "unprotected_header"]


def _hs256_flattened(protected: dict[str, Any], header: dict[str, Any], secret: bytes) -> str:
    made = sign_serialized([protected], "content", [secret.decode()], "flattened")
    value = json.loads(made.token)
    if header:
        value["header"] = header
    return json.dumps(value)


SECRET = b"k" * 32


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "HS256"}, "both the protected and the unprotected"),
        ({"crit": ["b64"]}, "must be in the protected header"),
        ({"b64": True}, "must be in the protected header"),
    ],
)
def test_headers_must_be_disjoint_and_crit_b64_protected(header: dict[str, Any], reason: str):
    good = _hs256_flattened({"alg": "HS256"}, {}, SECRET)
    assert inspect(good, KeyText(SECRET.decode())).signatures.verified_indexes == (0,)  # type: ignore[union-attr]
    bad = _hs256_flattened({"alg": "HS256"}, header, SECRET)
    result = inspect(bad, KeyText(SECRET.decode()))
    assert result.signatures is not None and not result.signatures.entries[0].check.valid
    assert reason in result.signatures.entries[0].check.message


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ({"payload": "e30", "signatures": []}, "signatures_empty"),
        ({"payload": "e30", "signatures": [{"protected": "e30", "signature": ""}] * 17}, "too_many_signatures"),
        ({"payload": "e30", "signatures": [{"signature": "AA"}]}, "header_missing"),
        ({"payload": "e30", "signatures": [{"protected": 5, "signature": "AA"}]}, "member_not_string"),
        ({"payload": 5, "signature": "AA", "protected": "e30"}, "member_not_string"),
        ({"payload": "e30", "signatures": [{"header": [], "signature": "AA"}]}, "header_not_object"),
        ({"payload": "e30", "signature": "AA", "protected": "e30", "signatures": []}, "mixed_serialization"),
        ({"payload": "e30", "signature": "A*", "protected": "eyJhbGciOiJIUzI1NiJ9"}, "bad_base64url"),
    ],
)
def test_malformed_json_serialization_is_a_precise_input_error(value: dict[str, Any], code: str):
    with pytest.raises(InputError) as caught:
        inspect(json.dumps(value), KeyText(SECRET.decode()))
    assert caught.value.problem.code == code


def test_duplicate_member_is_refused():
    good = json.loads(_hs256_flattened({"alg": "HS256"}, {}, SECRET))
    text = json.dumps(good)[:-1] + ',"payload":"e30"}'
    with pytest.raises(InputError) as caught:
        inspect(text, KeyText(SECRET.decode()))
    assert caught.value.problem.code == "duplicate_member"


def test_rfc7797_detached_example_verifies_with_its_content():
    case = RFC["rfc7797"]
    key = KeyText(json.dumps(case["key"]))
    result = inspect(case["s4_2_detached"], key, payload=case["payload"].encode())
    assert result.signed is not None and result.signed.signature.valid
    assert result.signed.token.payload_text == "$.02"
    assert not inspect(case["s4_2_detached"], key, payload=b"$.03").signed.signature.valid  # type: ignore[union-attr]
    assert not inspect(case["s4_2_detached"], key).signed.signature.valid  # type: ignore[union-attr]


def test_content_given_for_an_attached_payload_is_refused():
    case = RFC["rfc7797"]
    with pytest.raises(InputError) as caught:
        inspect(case["s4_1_compact"], KeyText(json.dumps(case["key"])), payload=b"$.02")
    assert caught.value.problem.code == "payload_not_detached"


@pytest.mark.parametrize("b64", [True, False])
@pytest.mark.parametrize("detached", [False, True])
def test_general_signed_here_verifies_in_jwcrypto_and_here(b64: bool, detached: bool, rsa_pair, ec_pair):
    extra = {} if b64 else {"b64": False, "crit": ["b64"]}
    headers = [{"alg": "RS256", "kid": "r", **extra}, {"alg": "ES256", "kid": "e", **extra}]
    payload = "a.b.c content"
    made = sign_serialized(headers, payload, [rsa_pair.private_pem, ec_pair.private_pem], "general", detached=detached)
    public = _keys({**json.loads(rsa_pair.public_jwk), "kid": "r"}, {**json.loads(ec_pair.public_jwk), "kid": "e"})
    result = inspect(made.token, public, payload=payload.encode() if detached else None)
    assert result.signatures is not None and result.signatures.verified_indexes == (0, 1)
    if b64 and not detached:  # jwcrypto's own JSON reader
        for pair, kid in ((rsa_pair, "r"), (ec_pair, "e")):
            checker = jc_jws.JWS()
            checker.deserialize(made.token)
            checker.verify(jc_jwk.JWK.from_pem(pair.public_pem.encode()), alg=headers[0 if kid == "r" else 1]["alg"])
            assert checker.payload == payload.encode()


def test_general_made_by_jwcrypto_verifies_here(rsa_pair, ec_pair):
    token = jc_jws.JWS(b'{"sub":"alice"}')
    token.add_signature(jc_jwk.JWK.from_pem(rsa_pair.private_pem.encode()), None, {"alg": "RS256"}, {"kid": "r"})
    token.add_signature(jc_jwk.JWK.from_pem(ec_pair.private_pem.encode()), None, {"alg": "ES256"}, {"kid": "e"})
    text = token.serialize()
    rsa = {**json.loads(rsa_pair.public_jwk), "kid": "r"}
    result = inspect(text, _keys(rsa, {**json.loads(ec_pair.public_jwk), "kid": "e"}))
    assert result.signatures is not None and result.signatures.verified_indexes == (0, 1)
    assert result.verified and result.signed is not None and result.signed.token.payload == {"sub": "alice"}
    only_rsa = inspect(text, _keys(rsa))
    assert only_rsa.signatures is not None and only_rsa.signatures.verified_indexes == (0,)
    flat = jc_jws.JWS(b"plain")
    flat.add_signature(jc_jwk.JWK.from_pem(ec_pair.private_pem.encode()), None, {"alg": "ES256"})
    flattened = inspect(flat.serialize(), KeyText(ec_pair.public_pem))
    assert flattened.serialization == "flattened" and flattened.signatures.verified_indexes == (0,)  # type: ignore[union-attr]


def test_sign_serialized_refuses_none_and_mismatched_signers(rsa_pair):
    with pytest.raises(InputError) as caught:
        sign_serialized([{"alg": "none"}], "x", [None], "flattened")
    assert caught.value.problem.code == "alg_none_refused"
    with pytest.raises(InputError) as caught:
        sign_serialized([{"alg": "RS256"}] * 2, "x", [rsa_pair.private_pem] * 2, "flattened")
    assert caught.value.problem.code == "flattened_one_signature"
    with pytest.raises(InputError) as caught:
        sign_serialized(
            [{"alg": "RS256"}, {"alg": "RS256", "b64": False, "crit": ["b64"]}],
            "x",
            [rsa_pair.private_pem] * 2,
            "general",
        )
    assert caught.value.problem.code == "b64_differs"


@pytest.mark.parametrize("size", [10, 5_000, 60_000])
def test_large_protected_header_of_any_size_verifies(size: int):
    made = sign_serialized([{"alg": "HS256", "pad": "p" * size}], "content", [SECRET.decode()], "flattened")
    result = inspect(made.token, KeyText(SECRET.decode()))
    assert result.signatures is not None and result.signatures.verified_indexes == (0,)
