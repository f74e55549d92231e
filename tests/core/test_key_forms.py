"""Keys are classified by what they are, not how they are spelled: every form, three ways.

For each form a user may paste: parse_key names it precisely; an HS256 token whose HMAC key is the
text's bytes (the RS→HS key-confusion attack) is refused; a token signed with the real private key by
PyJWT verifies with the same text (the positive control).
"""

from __future__ import annotations

import json
import time

import jwt
import pytest
from jwtlens.core import parse_key, verify
from jwtlens.core.errors import InputError
from jwtlens.core.keys import KEY_KINDS, decode_secret

from tests.keyforms import FORMS, Form, genuine_token, hs256_token, material, pem

_IDS = [f.name for f in FORMS]


def _attack_key(text: str, encoding: str) -> bytes:
    """What a naive verifier would use as the HMAC key: what the encoding decodes to, else the text's bytes."""
    try:
        return decode_secret(text, encoding)
    except InputError:
        return text.encode()


def test_the_table_covers_many_forms():
    assert len(FORMS) >= 30
    assert len(set(_IDS)) == len(_IDS)
    assert {f.encoding for f in FORMS} == {"utf8", "base64", "base64url", "hex"}


@pytest.mark.parametrize("form", FORMS, ids=_IDS)
def test_classified_and_named(form: Form):
    parsed = parse_key(form.text(), form.encoding)
    assert (parsed.form, parsed.label) == (form.form, form.label)
    assert parsed.is_material and not parsed.has_secret_key
    assert parsed.is_secret is form.secret
    family = {"rsa": "RSA", "ec": "EC", "ed": "OKP"}[form.family]
    assert family in {k.kty for k in parsed.keys}


@pytest.mark.parametrize("form", FORMS, ids=_IDS)
def test_hs256_with_the_text_as_secret_is_refused(form: Form):
    text = form.text()
    result = verify(hs256_token(_attack_key(text, form.encoding)), text, secret_encoding=form.encoding)
    assert result.signature.status == "refused"
    assert result.verdict.status == 401
    assert "key-confusion attack" in result.signature.message
    assert "key_confusion" in {f.code for f in result.findings}


@pytest.mark.parametrize("form", FORMS, ids=_IDS)
def test_genuine_token_verifies_with_the_same_text(form: Form):
    token = genuine_token(material(form.family), form.kid)
    result = verify(token, form.text(), secret_encoding=form.encoding)
    assert result.signature.status == "verified", result.signature.message
    assert result.verdict.status == 200


@pytest.mark.parametrize(
    "form", [f for f in FORMS if f.family == "rsa"], ids=[f.name for f in FORMS if f.family == "rsa"]
)
def test_rsa_forms_verify_ps256_too(form: Form):
    m = material("rsa")
    headers = {"kid": form.kid} if form.kid else None
    token = jwt.encode({"sub": "alice", "exp": int(time.time()) + 60}, m.private, algorithm="PS256", headers=headers)
    assert verify(token, form.text(), secret_encoding=form.encoding).verified


@pytest.mark.parametrize("form", FORMS, ids=_IDS)
def test_choosing_secret_never_overrides_what_the_text_is(form: Form):
    text = form.text()
    parsed = parse_key(text, form.encoding, "secret")
    assert parsed.requested == "secret" and parsed.is_material
    assert parsed.kind_conflict is not None and parsed.kind_conflict.startswith("you chose HMAC secret, but this is an")
    result = verify(hs256_token(_attack_key(text, form.encoding)), text, secret_encoding=form.encoding)
    assert result.signature.status == "refused"


@pytest.mark.parametrize("form", FORMS, ids=_IDS)
def test_choosing_public_gives_public_keys_only(form: Form):
    parsed = parse_key(form.text(), form.encoding, "public")
    assert parsed.requested == "public"
    assert not any(k.private for k in parsed.keys)
    assert parsed.is_secret is form.secret  # the text still holds what it holds


@pytest.mark.parametrize("form", FORMS, ids=_IDS)
def test_public_text_is_the_same_keys_without_secrets(form: Form):
    parsed = parse_key(form.text(), form.encoding)
    public = parsed.public_text()
    assert public is not None
    again = parse_key(public)
    assert not again.is_secret
    assert {k.thumbprint for k in again.keys} >= {k.thumbprint for k in parsed.keys}
    for private in ("PRIVATE KEY", '"d"', '"p"', '"q"', '"k"'):
        assert private not in public


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("my-little-secret", "utf8"),
        (" spaces count ", "utf8"),
        ("c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2gtZm9yLUhTMjU2", "base64"),
        ("c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2gtZm9yLUhTMjU2", "utf8"),
        ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "hex"),
        ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "utf8"),
        ("-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_", "base64url"),
        ('"quoted secret"', "utf8"),
        ("[1, 2, 3]", "utf8"),
        ("'single quoted'", "utf8"),
        ("eyJmb28iOiAx", "utf8"),  # base64 of broken JSON
        ("eyJhbGciOiJIUzI1NiJ9", "base64url"),  # base64url of JSON that is no key (a JWS header)
        ('"{\\"a\\": 1}"', "utf8"),  # a JSON string holding JSON that is no key
        ("my ssh-rsa key passphrase", "utf8"),
        ("I moved to ssh-ed25519 last year", "utf8"),
    ],
)
def test_plain_secrets_stay_secrets(text, encoding):
    parsed = parse_key(text, encoding)
    assert parsed.form == "secret" and parsed.has_secret_key and parsed.is_secret
    assert parsed.public_text() is None
    assert parsed.keys[0].key.get_op_key("verify") == decode_secret(text, encoding)
    token = hs256_token(decode_secret(text, encoding))
    # classification is the point here: short secrets are verified with the RFC 7518 §3.2 rule lifted
    assert verify(token, text, secret_encoding=encoding, allow_weak_keys=True).signature.status == "verified"


def test_an_oct_jwk_is_a_secret_and_has_no_public_text():
    parsed = parse_key(json.dumps({"kty": "oct", "k": "c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2gtZm9yLUhTMjU2"}))
    assert parsed.form == "jwk" and parsed.is_secret and parsed.public_text() is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("secret", "reads as an HMAC secret"),
        (json.dumps({"kty": "oct", "k": "c2VjcmV0"}), "is an HMAC secret"),
        (json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "s"}]}), "is an HMAC secret"),
    ],
)
def test_choosing_public_for_a_secret_is_a_precise_error(text, fragment):
    with pytest.raises(InputError) as info:
        parse_key(text, "utf8", "public")
    assert info.value.problem.code == "key_kind" and fragment in info.value.problem.message
    assert "c2VjcmV0" not in info.value.problem.message and "secret" in info.value.problem.message


def test_choosing_public_keeps_only_the_public_half():
    m = material("ec")
    text = pem("PRIVATE KEY", m.der("pkcs8"))
    auto = parse_key(text).keys[0]
    public = parse_key(text, "utf8", "public").keys[0]
    assert auto.private and auto.key.is_private
    assert not public.private and not public.key.is_private
    assert public.thumbprint == auto.thumbprint and "d" not in public.key.as_dict()


def test_unknown_key_kind():
    with pytest.raises(InputError) as info:
        parse_key("secret", "utf8", "private")
    assert info.value.problem.code == "key_kind" and all(k in info.value.problem.message for k in KEY_KINDS)


def test_refusal_names_the_choice_when_secret_was_chosen():
    m = material("rsa")
    text = pem("PUBLIC KEY", m.der("spki"))
    result = verify(hs256_token(text.encode()), text)
    finding = next(f for f in result.findings if f.code == "key_confusion")
    assert "you chose" not in finding.message
    key_input = parse_key(text, "utf8", "secret")
    assert key_input.kind_conflict == (
        "you chose HMAC secret, but this is an RSA 2048-bit public key (PEM public key (SPKI))"
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
            "key_pem",
        ),
        ("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC", "key_pem"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDamaged", "key_ssh"),
        ("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----", "key_ssh"),
        ('{"kty": "EC", "crv": "P-256", "x": "AAAA"}', "jwk_invalid"),
    ],
)
def test_damaged_key_material_is_an_error_not_a_secret(text, code):
    with pytest.raises(InputError) as info:
        parse_key(text)
    assert info.value.problem.code == code and info.value.problem.segment == "key"


def test_truncated_bare_der_is_an_error_not_a_secret():
    der = material("rsa").der("spki")
    import base64

    # The DER header still says 294 bytes; a cut-off copy is damaged key material, not a secret.
    shaped = der[:4] + der[4:60] + bytes(len(der) - 60)
    with pytest.raises(InputError) as info:
        parse_key(base64.b64encode(shaped).decode())
    assert info.value.problem.code == "key_der"
