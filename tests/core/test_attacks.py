"""Known attacks on JWT verifiers, each with its exact malicious input: never verified, always explained.

Every case goes through the HTTP API, so each also shows that no endpoint answers 5xx.
"""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import ECKey, RSAKey
from jwtlens.core import decode_token, sign
from jwtlens.core.weak_secrets import WEAK_SECRETS

from tests.makers import b64url, future, hs_by_hand, rsa_key


def verify_api(client, token: str, key: str | None = None, **extra) -> dict:
    response = client.post("/api/verify", json={"token": token, "key": key, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def codes(body: dict) -> set[str]:
    return {f["code"] for f in body["findings"]}


CLAIMS = {"sub": "admin", "aud": "api", "exp": 4_000_000_000}


# 1. alg none, any casing; empty and stripped signatures ------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("signature", ["", "c2lnbmF0dXJl"])
def test_alg_none_is_never_verified(client, secret, alg, signature):
    token = f"{b64url(json.dumps({'alg': alg, 'typ': 'JWT'}))}.{b64url(json.dumps(CLAIMS))}.{signature}"
    for key in (None, secret):
        body = verify_api(client, token, key, algorithms=["HS256", "none", alg])
        assert body["verified"] is False and body["signature"]["valid"] is False
        assert "alg_none" in codes(body)


def test_stripped_signature_of_a_real_token(client, secret):
    token = sign({"alg": "HS256"}, CLAIMS, secret).token
    body = verify_api(client, token.rsplit(".", 1)[0] + ".", secret)
    assert body["verified"] is False and "signature_empty" in codes(body)


# 2. key confusion: public key material offered as the HMAC secret --------------------------------


@pytest.fixture(scope="module")
def server_key():
    return rsa.generate_private_key(65537, 2048)


def _confusion_keys(native) -> dict[str, str]:
    public = native.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    pkcs1 = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    ssh = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    jwk = json.dumps(RSAKey.import_key(public).as_dict())
    return {
        "pem": pem,
        "pem-crlf": pem.replace("\n", "\r\n"),
        "pem-bom": "\ufeff" + pem,
        "pem-padded": "\n  " + pem + "\n\n",
        "pem-no-final-newline": pem.rstrip("\n"),
        "pkcs1": pkcs1,
        "openssh": ssh,
        "openssh-comment": ssh + " deploy@server\n",
        "jwk": jwk,
        "jwk-pretty": json.dumps(json.loads(jwk), indent=2),
    }


@pytest.mark.parametrize(
    "variant",
    [
        "pem",
        "pem-crlf",
        "pem-bom",
        "pem-padded",
        "pem-no-final-newline",
        "pkcs1",
        "openssh",
        "openssh-comment",
        "jwk",
        "jwk-pretty",
    ],
)
def test_key_confusion_is_refused(client, server_key, variant):
    key_text = _confusion_keys(server_key)[variant]
    # The forgery: HMAC-SHA256 keyed with the exact bytes of the server's public key text.
    forged = hs_by_hand({"alg": "HS256"}, CLAIMS, key_text.encode())
    body = verify_api(client, forged, key_text)
    assert body["verified"] is False and body["signature"]["status"] == "refused"
    assert "key_confusion" in codes(body)


def test_key_confusion_with_a_certificate(client):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    body = verify_api(client, hs_by_hand({"alg": "HS256"}, CLAIMS, pem.encode()), pem)
    assert body["verified"] is False and "key_confusion" in codes(body)


# 3. weak HMAC secrets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weak", ["your-256-bit-secret", "secret", "changeme", "a-string-secret-at-least-256-bits-long"]
)
@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_well_known_secret_is_named(client, weak, alg):
    token = hs_by_hand({"alg": alg}, CLAIMS, weak.encode(), alg)
    body = client.post("/api/decode", json={"token": token}).json()  # found without any key
    finding = next(f for f in body["findings"] if f["code"] == "weak_secret")
    assert finding["severity"] == "danger" and repr(weak) in finding["message"]
    verified = verify_api(client, token, weak)
    assert "weak_secret" in codes(verified)


def test_token_macd_with_the_empty_key_is_named(client):
    token = hs_by_hand({"alg": "HS256"}, CLAIMS, b"")
    body = client.post("/api/decode", json={"token": token}).json()
    assert any(f["code"] == "weak_secret" and "empty secret" in f["message"] for f in body["findings"])


def test_empty_secret_is_refused(client, secret):
    token = sign({"alg": "HS256"}, CLAIMS, secret).token
    response = client.post("/api/verify", json={"token": token, "key": "", "secret_encoding": "hex"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "key_empty"


@pytest.mark.parametrize(("alg", "size"), [("HS256", 31), ("HS384", 47), ("HS512", 63), ("HS256", 1), ("HS512", 32)])
def test_short_secret_is_refused_with_rfc_7518_section_3_2(client, alg, size):
    token = sign({"alg": alg}, CLAIMS, "x" * size).token
    body = verify_api(client, token, "x" * size)
    assert not body["signature"]["valid"] and body["signature"]["status"] == "weak_key"
    assert "RFC 7518 §3.2" in body["signature"]["message"] and body["verdict"]["status"] == 401
    assert "secret_too_short" in codes(body)


@pytest.mark.parametrize(("alg", "size"), [("HS256", 32), ("HS384", 48), ("HS512", 64), ("HS256", 64)])
def test_a_secret_as_long_as_the_hash_verifies(client, alg, size):
    token = sign({"alg": alg}, CLAIMS, "x" * size).token
    assert verify_api(client, token, "x" * size)["signature"]["valid"]


def test_a_random_secret_is_not_flagged(client, secret):
    assert "weak_secret" not in codes(verify_api(client, sign({"alg": "HS256"}, CLAIMS, secret).token, secret))
    assert len(set(WEAK_SECRETS)) == len(WEAK_SECRETS)


# 4. ECDSA psychic signatures and malformed signatures ------------------------------------------------


@pytest.fixture(scope="module")
def ec_key():
    return ECKey.generate_key("P-256")


@pytest.mark.parametrize(
    ("name", "signature", "finding"),
    [
        ("raw-zero", b"\x00" * 64, "ecdsa_zero_signature"),
        ("der-zero", bytes.fromhex("3006020100020100"), "ecdsa_der_signature"),
        ("short", b"\x01" * 10, None),
        ("long", b"\x01" * 200, None),
        ("r-zero", b"\x00" * 32 + b"\x01" * 32, None),
    ],
)
def test_psychic_and_malformed_ecdsa_signatures(client, ec_key, name, signature, finding):
    token = sign({"alg": "ES256"}, CLAIMS, ec_key.as_pem(private=True).decode()).token
    forged = f"{token.rsplit('.', 1)[0]}.{b64url(signature)}"
    body = verify_api(client, forged, ec_key.as_pem().decode())
    assert body["verified"] is False and body["signature"]["valid"] is False
    if finding:
        assert finding in codes(body)


# 5. keys carried by the token are never used ----------------------------------------------------------


@pytest.mark.parametrize("header_name", ["jwk", "x5c", "jku", "x5u"])
def test_embedded_keys_are_never_trusted(client, header_name):
    attacker = rsa_key(2048, which=1)
    embedded = {
        "jwk": attacker.as_dict(),
        "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
    }[header_name]
    token = sign({"alg": "RS256", header_name: embedded}, CLAIMS, attacker.as_pem(private=True).decode()).token
    victim = rsa_key(2048, which=2).as_pem().decode()
    for key in (None, victim):
        body = verify_api(client, token, key)
        assert body["verified"] is False
        assert f"embedded_{header_name}" in codes(body)


# 6. kid injection -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kid", ["../../../../dev/null", "' OR '1'='1", "x'; DROP TABLE keys; --", "$(curl evil)", "`id`", "a|b", "k\x00"]
)
def test_suspicious_kid_is_a_warning_and_selects_nothing(client, secret, kid):
    token = sign({"alg": "HS256", "kid": kid}, CLAIMS, secret).token
    jwks = json.dumps({"keys": [{"kty": "oct", "k": b64url(secret.encode()), "kid": "real"}]})
    body = verify_api(client, token, jwks)
    assert body["verified"] is False and "kid_suspicious" in codes(body)
    assert "No key in the JWKS has kid" in body["signature"]["message"]


# 7. crit ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crit", "finding"),
    [(["x-custom"], None), ([], "crit_invalid"), (["alg"], "crit_registered"), (["b64", "b64"], "crit_malformed")],
)
def test_crit(client, secret, crit, finding):
    header = {"alg": "HS256", "crit": crit, "x-custom": 1, "b64": True}
    body = verify_api(client, sign(header, CLAIMS, secret).token, secret)
    assert body["verified"] is False
    if finding:
        assert finding in codes(body)


# 8. b64: false within the caps ---------------------------------------------------------------------------


def test_b64_false_is_verified_correctly_and_capped(client, secret):
    header = {"alg": "HS256", "b64": False, "crit": ["b64"]}
    token = sign(header, "unencoded payload $ with spaces", secret).token
    assert verify_api(client, token, secret)["signature"]["valid"] is True
    tampered = token.replace("spaces", "tabs")
    assert verify_api(client, tampered, secret)["signature"]["valid"] is False
    huge = sign(header, "x" * 300_000, secret).token
    assert client.post("/api/verify", json={"token": huge, "key": secret}).status_code == 413


# 9. duplicate names, non-numbers in numeric claims --------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "payload", "finding"),
    [
        ('{"alg":"HS256","alg":"none"}', '{"sub":"a"}', "duplicate_key"),
        ('{"alg":"HS256"}', '{"sub":"user","sub":"admin"}', "duplicate_key"),
        ('{"alg":"HS256"}', '{"exp": NaN}', "nonfinite_number"),
        ('{"alg":"HS256"}', '{"exp": Infinity}', "nonfinite_number"),
        ('{"alg":"HS256"}', '{"exp": 1e999}', "nonfinite_number"),
        ('{"alg":"HS256"}', '{"exp": true}', "claim_not_numeric"),
        ('{"alg":"HS256"}', '{"nbf": "0"}', "claim_not_numeric"),
    ],
)
def test_ambiguous_json(client, secret, header, payload, finding):
    body = verify_api(client, hs_by_hand(header, payload, secret.encode()), secret)
    assert finding in codes(body)
    if finding != "duplicate_key" or "none" in header:
        assert body["verified"] is False


def test_duplicate_finding_shows_both_values(client, secret):
    body = verify_api(client, hs_by_hand('{"alg":"HS256"}', '{"sub":"user","sub":"admin"}', secret.encode()), secret)
    message = next(f["message"] for f in body["findings"] if f["code"] == "duplicate_key")
    assert '"user" then "admin"' in message


# 10. hostile shapes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["header", "payload"])
def test_deep_nesting_is_refused_cleanly_and_quickly(client, where):
    deep = "[" * 100_000 + "]" * 100_000
    header = deep if where == "header" else '{"alg":"HS256"}'
    payload = deep if where == "payload" else "{}"
    token = f"{b64url(header)}.{b64url(payload)}.c2ln"
    started = time.perf_counter()
    response = client.post("/api/decode", json={"token": token})
    assert response.status_code in (400, 413)
    assert response.json()["error"]["code"] in ("json_too_deep", "token_too_large")
    with pytest.raises(Exception) as info:
        decode_token(token, max_size=len(token))
    assert info.value.problem.code == "json_too_deep"
    assert time.perf_counter() - started < 10  # generous: guards against runaway recursion, not slowness


def test_oversized_segments(client):
    assert client.post("/api/decode", json={"token": "e30." + "A" * 300_000 + ".c2ln"}).status_code == 413


# 11. non-canonical base64url -------------------------------------------------------------------------------


def test_noncanonical_signature_is_never_verified(client, secret):
    token = sign({"alg": "HS256", "kid": "k"}, {"sub": "ada"}, secret).token
    head, signature = token.rsplit(".", 1)
    for variant in (signature + "=", signature.replace("-", "+").replace("_", "/")):
        if variant == signature:
            continue
        body = verify_api(client, f"{head}.{variant}", secret)
        assert body["verified"] is False and "noncanonical_base64" in codes(body)


# 12. weak keys -----------------------------------------------------------------------------------------------


def test_small_rsa_key_and_small_exponent(client):
    for size, exponent, finding in ((1024, 65537, "rsa_key_small"), (2048, 3, "rsa_small_exponent")):
        native = rsa.generate_private_key(exponent, size)
        pem = native.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        token = sign({"alg": "RS256"}, CLAIMS, pem).token
        public = native.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert finding in codes(verify_api(client, token, public.decode()))


@pytest.mark.parametrize(("e", "fragment"), [("AQ", "e must be"), ("BA", "odd")])
def test_rsa_exponent_one_or_even_is_refused_with_the_reason(client, secret, e, fragment):
    jwk = {**rsa_key(2048, which=3).as_dict(), "e": e}
    token = sign({"alg": "RS256"}, CLAIMS, rsa_key(2048, which=4).as_pem(private=True).decode()).token
    response = client.post("/api/verify", json={"token": token, "key": json.dumps(jwk)})
    assert response.status_code == 400 and fragment in response.json()["error"]["message"]


def test_jwks_mixing_symmetric_and_asymmetric_keys(client, secret, ec_key):
    jwks = {"keys": [{"kty": "oct", "k": b64url(secret.encode()), "kid": "h"}, {**ec_key.as_dict(), "kid": "e"}]}
    token = sign({"alg": "HS256", "kid": "h"}, CLAIMS, secret).token
    body = verify_api(client, token, json.dumps(jwks))
    assert "jwks_mixed" in codes(body)


# 13. hygiene ----------------------------------------------------------------------------------------------------


def test_hygiene_findings(client, secret):
    now = int(time.time())
    cases = [
        ({"sub": "a", "aud": "x"}, "exp_missing"),
        ({"aud": "x", "iat": now, "exp": now + 2 * 86400}, "long_lifetime"),
        ({"aud": "x", "iat": now + 3600, "exp": now + 7200}, "iat_future"),
        ({"exp": future()}, "aud_missing"),
    ]
    for claims, finding in cases:
        assert finding in codes(verify_api(client, sign({"alg": "HS256"}, claims, secret).token, secret)), finding


def test_lifetime_threshold_is_configurable(tmp_path, secret):
    from jwtlens.config import Settings

    from tests.servers import local_client

    now = int(time.time())
    token = sign({"alg": "HS256"}, {"aud": "x", "iat": now, "exp": now + 7200}, secret).token
    with local_client(Settings(db_path=tmp_path / "db", long_lifetime_seconds=3600)) as strict:
        assert "long_lifetime" in codes(verify_api(strict, token, secret))


# 14. a token pasted inside a URL's query string -------------------------------------------------------------------


def test_token_in_a_query_string_is_a_warning(client, secret):
    token = sign({"alg": "HS256"}, {**CLAIMS, "exp": future()}, secret).token
    body = verify_api(client, f"https://app.example/callback?state=1&access_token={token}", secret)
    assert body["verified"] is True and "token_in_url" in codes(body)
    in_fragment = verify_api(client, f"https://app.example/callback#access_token={token}", secret)
    assert "token_in_url" not in codes(in_fragment)
