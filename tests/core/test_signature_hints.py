"""A signature of the wrong length says the token looks truncated; a secret that verifies only once
base64-decoded says which encoding to pick. Both are core findings, so the API and the CLI carry them."""

from __future__ import annotations

import base64
import secrets

import pytest
from jwtlens.core import InputError, verify
from jwtlens.core.signature_hints import SIGNATURE_BYTES
from jwtlens.core.tokens import decode_token

from tests.makers import b64url, ec_key, hs_by_hand, okp_key, pair_of, rsa_key

SECRET = secrets.token_urlsafe(32)


def _codes(result) -> dict[str, str]:
    return {f.code: f.message for f in result.findings}


def _resigned(token: str, signature: bytes) -> str:
    head, payload, _ = token.split(".")
    return f"{head}.{payload}.{b64url(signature)}"


def _signed(alg: str) -> tuple[str, str]:
    """A token signed with ``alg`` and the key text that verifies it."""
    if alg.startswith("HS"):
        from jwtlens.core import sign

        return sign({"alg": alg}, {"sub": "x"}, SECRET + "x" * 40).token, SECRET + "x" * 40
    key = {"ES256": lambda: ec_key("P-256"), "ES384": lambda: ec_key("P-384"), "ES512": lambda: ec_key("P-521")}
    key |= {"EdDSA": lambda: okp_key("Ed25519"), "RS256": lambda: rsa_key(2048)}
    pair = pair_of(alg, key[alg]())
    from jwtlens.core import sign

    return sign({"alg": alg}, {"sub": "x"}, pair.private_pem).token, pair.public_pem


ALGS = ["HS256", "HS384", "HS512", "ES256", "ES384", "ES512", "EdDSA", "RS256"]


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("change", ["one byte short", "three bytes short", "half", "one byte more"])
def test_a_signature_of_the_wrong_length_is_called_out(alg: str, change: str) -> None:
    token, key = _signed(alg)
    signature = decode_token(token).signature
    cut = {
        "one byte short": signature[:-1],
        "three bytes short": signature[:-3],
        "half": signature[: len(signature) // 2],
    }
    altered = _resigned(token, cut.get(change, signature + b"\x00"))
    for key_text in (key, None):  # with the key, and without any
        result = verify(altered, key_text)
        message = _codes(result).get("signature_length")
        if alg == "RS256" and key_text is None:
            continue  # without the key, any usual modulus size is plausible (the next test)
        assert message is not None, (alg, change, key_text)
        longer = change == "one byte more"
        if alg == "EdDSA" and key_text is None:  # 64 or 114 bytes: 65 or 32 is simply the wrong length
            assert "looks truncated" in message or "wrong length" in message
        else:
            assert ("bytes after its signature's end" if longer else "looks truncated") in message
        assert result.verified is False
    assert "signature_length" not in _codes(verify(token, key))  # the whole token: no word about it


def test_rsa_without_a_key_is_only_called_short_below_every_usual_modulus() -> None:
    token, _ = _signed("RS256")
    signature = decode_token(token).signature
    assert "signature_length" in _codes(verify(_resigned(token, signature[:100]), None))
    assert "signature_length" not in _codes(verify(_resigned(token, signature[:128]), None))  # a 1024-bit size


@pytest.mark.parametrize("chars_cut", [1, 5, 9])
def test_a_signature_cut_mid_byte_is_an_error_that_says_truncated(chars_cut: int) -> None:
    token, key = _signed("HS256")
    cut = token[:-chars_cut]
    if len(cut.split(".")[2]) % 4 != 1:
        cut = cut[:-1] if len(cut.split(".")[2][:-1]) % 4 == 1 else cut[:-2]
    assert len(cut.split(".")[2]) % 4 == 1
    with pytest.raises(InputError) as caught:
        verify(cut, key)
    assert caught.value.problem.segment == "signature" and "looks truncated" in caught.value.problem.message


def test_every_listed_length_is_what_the_algorithm_makes() -> None:
    for alg in ("HS256", "HS384", "HS512", "ES256", "ES384", "ES512", "EdDSA"):
        token, _ = _signed(alg)
        assert len(decode_token(token).signature) in SIGNATURE_BYTES[alg]


@pytest.mark.parametrize("alphabet", ["base64", "base64url"])
@pytest.mark.parametrize("padded", [True, False])
def test_a_secret_that_verifies_only_decoded_names_its_encoding(alphabet: str, padded: bool) -> None:
    raw = secrets.token_bytes(32)
    while alphabet == "base64url" and "-" not in base64.urlsafe_b64encode(raw).decode():
        raw = secrets.token_bytes(32)  # a text only base64url reads
    text = (base64.b64encode if alphabet == "base64" else base64.urlsafe_b64encode)(raw).decode()
    text = text if padded else text.rstrip("=")
    token = hs_by_hand({"alg": "HS256"}, {"sub": "x"}, raw)
    result = verify(token, text)
    assert result.verified is False
    assert alphabet in _codes(result)["secret_encoding"]
    assert verify(token, text, secret_encoding=alphabet).verified is True
    assert "secret_encoding" not in _codes(verify(token, text, secret_encoding=alphabet))


def test_no_encoding_hint_for_a_right_or_simply_wrong_secret() -> None:
    raw = secrets.token_bytes(32)
    token = hs_by_hand({"alg": "HS256"}, {"sub": "x"}, raw)
    wrong = base64.b64encode(secrets.token_bytes(32)).decode()
    assert "secret_encoding" not in _codes(verify(token, wrong))  # base64-looking but wrong either way
    text_secret = secrets.token_urlsafe(32)
    right = hs_by_hand({"alg": "HS256"}, {"sub": "x"}, text_secret.encode())
    assert "secret_encoding" not in _codes(verify(right, text_secret))  # verifies as typed
    chosen = base64.b64encode(secrets.token_bytes(32)).decode()
    assert "secret_encoding" not in _codes(verify(token, chosen, secret_encoding="base64"))  # the user chose one
