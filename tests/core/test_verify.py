"""Verifying: signature statuses, key selection, the never-fooled cases, claims and verdict."""

from __future__ import annotations

import base64
import json
import math

import pytest
from jwtlens.core import SUPPORTED, InputError, Policy, sign, verify
from jwtlens.core.policy import check_claims

from tests.makers import NOW, b64url, future


def hs(secret: str, payload: dict | None = None, **header) -> str:
    return sign({"alg": "HS256", **header}, payload or {"sub": "ada", "exp": future()}, secret).token


def codes(result) -> set[str]:
    return {f.code for f in result.findings}


def test_hs256_verified(secret):
    result = verify(hs(secret), secret)
    assert result.verified and result.signature.valid
    assert result.signature.status == "verified"
    assert result.signature.key is not None and result.signature.key.source == "HMAC secret"
    assert result.verdict.status == 200


def test_wrong_secret_is_invalid(secret):
    result = verify(hs(secret), secret + "x")
    assert not result.verified and result.signature.status == "invalid"
    assert result.signature.message.startswith("Invalid signature")
    assert result.verdict.status == 401 and result.verdict.reason.startswith("signature")


def test_no_key_is_not_verified(secret):
    result = verify(hs(secret), None)
    assert result.signature.status == "no_key" and not result.verified


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_in_any_casing_is_never_verified(alg, secret):
    header = b64url(json.dumps({"alg": alg}))
    payload = b64url(json.dumps({"sub": "admin", "exp": future()}))
    for signature in ("", "c2ln"):
        result = verify(f"{header}.{payload}.{signature}", secret, algorithms=SUPPORTED)
        assert not result.verified
        assert result.signature.status in ("unsigned", "invalid")
        assert "alg_none" in codes(result) or "Unsupported" in result.signature.message


def test_stripped_signature_is_invalid(secret):
    token = hs(secret).rsplit(".", 1)[0] + "."
    result = verify(token, secret)
    assert not result.verified and "signature is empty" in result.signature.message
    assert "signature_empty" in codes(result)


def test_case_variant_alg_is_unsupported_with_hint(secret):
    header = b64url(json.dumps({"alg": "hs256"}))
    result = verify(f"{header}.{b64url('{}')}.c2ln", secret)
    assert not result.signature.valid and "did you mean HS256?" in result.signature.message


def test_allowlist_narrowing_refuses(secret):
    result = verify(hs(secret), secret, algorithms=["RS256"])
    assert result.signature.status == "refused" and "not in the allowed algorithms" in result.signature.message


def hmac_token(header: dict | str, payload: dict, secret: bytes) -> str:
    """HMAC-sign by hand, for tokens jwtlens itself refuses to make."""
    import hashlib
    import hmac

    head = header if isinstance(header, str) else json.dumps(header)
    unsigned = f"{b64url(head)}.{b64url(json.dumps(payload))}"
    return f"{unsigned}.{b64url(hmac.new(secret, unsigned.encode(), hashlib.sha256).digest())}"


def test_key_confusion_public_key_as_hmac_secret_is_refused(rsa_pair):
    # The classic attack: HMAC-sign with the server's public key text, hoping it is used as the secret.
    forged = hmac_token({"alg": "HS256"}, {"sub": "admin", "exp": future()}, rsa_pair.public_pem.encode())
    result = verify(forged, rsa_pair.public_pem)
    assert not result.verified and result.signature.status == "refused"
    assert "key-confusion" in result.signature.message
    assert "key_confusion" in codes(result)


def test_signing_hs256_with_a_public_key_is_refused(rsa_pair):
    with pytest.raises(InputError) as info:
        sign({"alg": "HS256"}, {"sub": "a"}, rsa_pair.public_pem)
    assert info.value.problem.code == "key_mismatch"


def test_public_jwk_as_hmac_secret_is_refused(rsa_pair, secret):
    result = verify(hs(secret), rsa_pair.public_jwk)
    assert result.signature.status == "refused"


@pytest.mark.parametrize(
    ("alg", "pair"),
    [("RS256", "rsa_pair"), ("PS384", "rsa_pair"), ("ES256", "ec_pair"), ("EdDSA", "ed_pair"), ("Ed25519", "ed_pair")],
)
def test_asymmetric_round_trip_pem_and_jwk(alg, pair, request):
    keys = request.getfixturevalue(pair)
    token = sign({"alg": alg}, {"sub": "ada", "exp": future()}, keys.private_pem).token
    for key_text in (keys.public_pem, keys.public_jwk, keys.private_pem):
        assert verify(token, key_text).verified
    assert "private_key_for_verify" in codes(verify(token, keys.private_pem))


def test_wrong_key_type_says_what_is_needed(rsa_pair, ec_pair):
    token = sign({"alg": "ES256"}, {"exp": future()}, ec_pair.private_pem).token
    result = verify(token, rsa_pair.public_pem)
    assert not result.verified and "ES256 needs an EC key; this is RSA 2048-bit" in result.signature.message


def test_wrong_curve(ec_pair):
    from joserfc.jwk import ECKey

    other = ECKey.generate_key("P-384").as_pem(private=False).decode()
    token = sign({"alg": "ES256"}, {"exp": future()}, ec_pair.private_pem).token
    assert "needs curve P-256" in verify(token, other).signature.message


def test_secret_given_for_rsa_token(rsa_pair):
    token = sign({"alg": "RS256"}, {"exp": future()}, rsa_pair.private_pem).token
    result = verify(token, "just-a-secret")
    assert "RS256 needs an RSA key" in result.signature.message


def jwks(*members: dict) -> str:
    return json.dumps({"keys": list(members)})


def test_jwks_selects_by_exact_kid(rsa_pair, ec_pair):
    rsa_jwk = {**json.loads(rsa_pair.public_jwk), "kid": "a"}
    ec_jwk = {**json.loads(ec_pair.public_jwk), "kid": "b"}
    token = sign({"alg": "ES256", "kid": "b"}, {"exp": future()}, ec_pair.private_pem).token
    result = verify(token, jwks(rsa_jwk, ec_jwk))
    assert result.verified and result.signature.key is not None and result.signature.key.kid == "b"
    assert "(kid 'b')" in result.signature.message


def test_jwks_without_matching_kid_lists_the_kids(ec_pair):
    ec_jwk = {**json.loads(ec_pair.public_jwk), "kid": "b"}
    token = sign({"alg": "ES256", "kid": "B"}, {"exp": future()}, ec_pair.private_pem).token  # case differs
    result = verify(token, jwks(ec_jwk))
    assert not result.verified and "No key in the JWKS has kid 'B'" in result.signature.message
    assert "'b'" in result.signature.message


def test_jwks_without_kid_tries_each_compatible_key(rsa_pair, ec_pair):
    from joserfc.jwk import ECKey

    decoy = ECKey.generate_key("P-256").as_dict(private=False)
    token = sign({"alg": "ES256"}, {"exp": future()}, ec_pair.private_pem).token
    result = verify(token, jwks(json.loads(rsa_pair.public_jwk), decoy, json.loads(ec_pair.public_jwk)))
    assert result.verified
    outcomes = [(a.index, a.outcome) for a in result.signature.attempts]
    assert outcomes == [(0, "skipped"), (1, "bad_signature"), (2, "verified")]


def test_jwk_use_enc_or_other_alg_is_not_used(ec_pair):
    token = sign({"alg": "ES256"}, {"exp": future()}, ec_pair.private_pem).token
    enc = {**json.loads(ec_pair.public_jwk), "use": "enc"}
    assert "use is 'enc'" in verify(token, json.dumps(enc)).signature.message
    other_alg = {**json.loads(ec_pair.public_jwk), "alg": "ES384"}
    assert "for alg 'ES384'" in verify(token, json.dumps(other_alg)).signature.message


@pytest.mark.parametrize(
    ("crit", "fragment"),
    [
        (["exp"], "does not understand"),
        ([], "non-empty array"),
        ("b64", "non-empty array"),
        (["b64"], "absent from the header"),
    ],
)
def test_crit(crit, fragment, secret):
    token = sign({"alg": "HS256", "crit": crit}, {"exp": future()}, secret).token
    result = verify(token, secret)
    assert not result.verified and fragment in result.signature.message


def test_b64_false_round_trip(secret):
    header = {"alg": "HS256", "b64": False, "crit": ["b64"]}
    token = sign(header, "$.02 is not allowed".replace(".", ","), secret).token
    result = verify(token, secret)
    assert result.signature.valid
    assert result.token.payload_text == "$,02 is not allowed"


def test_b64_false_without_crit_is_refused(secret):
    token = sign({"alg": "HS256", "b64": False}, "hello", secret).token
    assert "must be listed in crit" in verify(token, secret).signature.message


def test_b64_false_payload_with_dot_cannot_be_signed(secret):
    with pytest.raises(InputError) as info:
        sign({"alg": "HS256", "b64": False, "crit": ["b64"]}, "a.b", secret)
    assert info.value.problem.code == "payload_dot"


def _noncanonical(segment: str) -> str:
    """Another spelling of the same bytes: padding if there is room, else '+'/'/' for '-'/'_'."""
    if len(segment) % 4:
        return segment + "=" * (-len(segment) % 4)
    assert "-" in segment or "_" in segment
    return segment.replace("-", "+").replace("_", "/")


@pytest.mark.parametrize("index", [0, 1, 2])
def test_noncanonical_base64url_is_never_verified(index, secret):
    token = hs(secret, {"sub": "ada"}, kid="k")
    parts = token.split(".")
    assert all(len(p) % 4 for p in parts)  # every segment has room for padding
    parts[index] = _noncanonical(parts[index])
    result = verify(".".join(parts), secret)
    assert not result.verified and "not canonical" in result.signature.message
    assert "noncanonical_base64" in codes(result)


def test_changed_last_character_with_same_bytes_is_never_verified(secret):
    token = hs(secret)
    head, signature = token.rsplit(".", 1)
    # 43 characters carry 258 bits for 256: the last character's two low bits are spare.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = alphabet[alphabet.index(signature[-1]) ^ 1]
    result = verify(f"{head}.{signature[:-1]}{twin}", secret)
    assert not result.verified and "last character" in result.signature.message


def test_ecdsa_psychic_signature_is_invalid(ec_pair):
    token = sign({"alg": "ES256"}, {"exp": future()}, ec_pair.private_pem).token
    head = token.rsplit(".", 1)[0]
    for zero in (b"\x00" * 64, bytes.fromhex("3006020100020100")):
        assert not verify(f"{head}.{b64url(zero)}", ec_pair.public_pem).signature.valid


# --- claims: exp, nbf, iat ---------------------------------------------------


@pytest.mark.parametrize(
    ("exp", "leeway", "status"),
    [
        (NOW + 1, 0, "pass"),
        (NOW, 0, "fail"),  # "on or after" exp is rejected (RFC 7519 §4.1.4)
        (NOW - 1, 0, "fail"),
        (NOW - 59, 60, "warn"),
        (NOW - 60, 60, "fail"),
        (NOW - 61, 60, "fail"),
    ],
)
def test_exp_boundaries(exp, leeway, status):
    (check,) = check_claims({"exp": exp}, Policy(leeway=leeway), NOW)
    assert check.status == status


@pytest.mark.parametrize(
    ("nbf", "leeway", "status"),
    [(NOW, 0, "pass"), (NOW + 1, 0, "fail"), (NOW - 1, 0, "pass"), (NOW + 60, 60, "warn"), (NOW + 61, 60, "fail")],
)
def test_nbf_boundaries(nbf, leeway, status):
    (check,) = check_claims({"nbf": nbf}, Policy(leeway=leeway), NOW)
    assert check.status == status


@pytest.mark.parametrize(
    ("iat", "leeway", "status"),
    [(NOW, 0, "pass"), (NOW + 1, 0, "fail"), (NOW - 1, 0, "pass"), (NOW + 30, 30, "warn"), (NOW + 31, 30, "fail")],
)
def test_iat_boundaries(iat, leeway, status):
    (check,) = check_claims({"iat": iat}, Policy(leeway=leeway), NOW)
    assert check.status == status


def test_expired_message_is_concrete():
    (check,) = check_claims({"exp": NOW - 192}, Policy(leeway=60), NOW)
    assert check.message == "expired 3 min 12 s ago (exp 2027-01-15T07:56:48Z, now 2027-01-15T08:00:00Z, leeway 1 min)"


@pytest.mark.parametrize(
    ("value", "kind"), [("1800000000", "a string"), (True, "a boolean"), (math.nan, "NaN"), (math.inf, "an infinite")]
)
def test_time_claim_of_wrong_type_fails(value, kind):
    (check,) = check_claims({"exp": value}, Policy(), NOW)
    assert check.status == "fail" and kind in check.message and "NumericDate" in check.message


def test_every_failure_is_reported_not_only_the_first():
    checks = check_claims({"exp": NOW - 10, "nbf": NOW + 10, "iat": NOW + 10}, Policy(), NOW)
    assert [c.status for c in checks] == ["fail", "fail", "fail"]


def test_expired_token_with_good_signature_is_not_verified(secret):
    token = hs(secret, {"sub": "ada", "exp": NOW - 5})
    result = verify(token, secret, policy=Policy(now=NOW))
    assert result.signature.valid and not result.verified
    assert result.verdict.status == 401 and result.verdict.reason.startswith("claim exp: expired 5 s ago")


def test_nan_exp_in_token_fails_the_claim(secret):
    header = b64url(json.dumps({"alg": "HS256"}))
    payload = b64url('{"exp": NaN}')
    unsigned = f"{header}.{payload}"
    import hashlib
    import hmac

    signature = b64url(hmac.new(secret.encode(), unsigned.encode(), hashlib.sha256).digest())
    result = verify(f"{unsigned}.{signature}", secret)
    assert result.signature.valid and not result.verified
    assert "nonfinite_number" in codes(result)
    assert next(c for c in result.claims if c.name == "exp").status == "fail"


def test_garbage_key_is_an_input_error_not_a_verdict(secret):
    with pytest.raises(InputError) as info:
        verify(hs(secret), "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----")
    assert info.value.problem.segment == "key"


# --- findings ---------------------------------------------------------------


def test_findings_are_sorted_by_severity(secret):
    token = sign({"alg": "HS256", "jku": "https://evil.example/jwks"}, {"sub": "a"}, "short").token
    result = verify(token, "short")
    severities = [f.severity for f in result.findings]
    assert severities == sorted(severities, key=["danger", "warning", "info"].index)
    assert {"embedded_jku", "exp_missing", "secret_too_short"} <= codes(result)


@pytest.mark.parametrize("header_name", ["jwk", "x5c", "jku", "x5u"])
def test_embedded_key_headers_are_findings_and_never_used(header_name, rsa_pair):
    attacker = json.loads(rsa_pair.public_jwk)
    token = sign({"alg": "RS256", header_name: attacker}, {"exp": future()}, rsa_pair.private_pem).token
    result = verify(token, None)
    assert result.signature.status == "no_key" and not result.verified
    assert f"embedded_{header_name}" in codes(result)


def test_duplicate_alg_is_a_danger_finding(secret):
    token = hmac_token('{"alg":"none","alg":"HS256"}', {"exp": future()}, secret.encode())
    result = verify(token, secret)
    dup = next(f for f in result.findings if f.code == "duplicate_key")
    assert dup.severity == "danger" and '"none" then "HS256"' in dup.message


def base64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_an_okp_jwk_whose_x_is_not_its_d_is_refused_with_rfc_8037():
    from joserfc.jwk import OKPKey

    real, other = OKPKey.generate_key("Ed25519"), OKPKey.generate_key("Ed25519")
    lying = {**real.as_dict(private=True), "x": other.as_dict()["x"]}
    token = sign({"alg": "EdDSA"}, {"sub": "a"}, real.as_pem(private=True).decode()).token
    result = verify(token, json.dumps(lying))
    assert result.signature.status == "weak_key" and result.verdict.status == 401
    assert "RFC 8037" in result.signature.message
    assert verify(token, json.dumps(real.as_dict(private=True))).verified  # positive control


@pytest.mark.parametrize(("crv", "size"), [("P-256", 32), ("P-384", 48), ("P-521", 66)])
def test_ec_coordinates_of_the_wrong_length_are_refused_with_rfc_7518(crv, size):
    from joserfc.jwk import ECKey

    key = ECKey.generate_key(crv)
    alg = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[crv]
    token = sign({"alg": alg}, {"sub": "a"}, key.as_pem(private=True).decode()).token
    public = key.as_dict(private=False)
    x = base64url_decode(public["x"])
    assert len(x) == size
    if x[0] != 0:  # a leading zero can be dropped without changing the number: the RFC still forbids it
        x = b"\x00" + x  # one byte too many instead
        padded = {**public, "x": b64url(x)}
    else:
        padded = {**public, "x": b64url(x[1:])}
    result = verify(token, json.dumps(padded))
    assert not result.verified and result.verdict.status == 401
    assert verify(token, json.dumps(public)).verified
