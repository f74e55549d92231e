"""/api/verify with an x5c header: the chain shown and validated; its key used only when asked and trusted."""

from __future__ import annotations

import datetime
import json

import pytest
from cryptography.hazmat.primitives import serialization
from jwtlens.core import sign

from tests.pki import make, x5c


@pytest.fixture(scope="module")
def chain():
    root = make("Root", None)
    inter = make("Intermediate", root, path_length=0)
    leaf = make("leaf", inter, ca=False)
    pem = leaf.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    token = sign({"alg": "ES256", "x5c": x5c(leaf, inter)}, {"sub": "cert"}, pem).token
    return {"root": root, "token": token, "other": make("Other", None)}


def post(client, **body):
    response = client.post("/api/verify", json={"policy": {"now": 1_800_000_000}, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_trusted_chain_and_use_x5c_verifies(client, chain):
    body = post(client, token=chain["token"], trust_anchors=chain["root"].pem, use_x5c=True)
    assert body["x5c"]["valid"] is True and body["verdict"]["status"] == 200
    assert [c["subject"] for c in body["x5c"]["certificates"]] == ["CN=leaf", "CN=Intermediate"]
    assert "x5t#S256" in body["x5c"]


def test_embedded_key_unused_without_use_x5c(client, chain):
    body = post(client, token=chain["token"], trust_anchors=chain["root"].pem)
    assert body["x5c"]["valid"] is True
    assert body["signature"]["status"] == "no_key" and body["verdict"]["status"] == 401


@pytest.mark.parametrize("anchor", ["none", "other"])
def test_use_x5c_without_a_trusted_chain_never_verifies(client, chain, anchor):
    anchors = None if anchor == "none" else chain["other"].pem
    body = post(client, token=chain["token"], trust_anchors=anchors, use_x5c=True)
    assert body["x5c"]["valid"] is (None if anchor == "none" else False)
    assert body["verdict"]["status"] == 401 and not body["verified"]


def test_token_without_x5c_has_no_x5c_member(client):
    token = sign({"alg": "HS256"}, {"sub": "x"}, "s" * 32).token
    body = post(client, token=token, key="s" * 32, trust_anchors="ignored", use_x5c=True)
    assert "x5c" not in body and body["verified"]


def test_bad_anchor_is_a_400_and_junk_x5c_is_untrusted(client, chain):
    bad = client.post("/api/verify", json={"token": chain["token"], "trust_anchors": "nope", "use_x5c": True})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "anchor_invalid"
    junk = sign({"alg": "HS256", "x5c": ["!!"]}, {"sub": "x"}, "s" * 32).token
    body = post(client, token=junk, key="s" * 32, trust_anchors=chain["root"].pem)
    assert body["x5c"]["valid"] is False and "standard base64" in body["x5c"]["reason"]
    assert json.dumps(body).count("!!") <= 1  # the header itself echoes it; the reason does not


def _jwk_with_chain(leaf, *chain) -> str:
    from joserfc.jwk import ECKey

    public = leaf.key.public_key()
    return json.dumps({**ECKey(public, public).as_dict(), "x5c": x5c(*chain)})


@pytest.mark.parametrize("anchored", [False, True])
def test_convert_jwk_with_x5c_describes_and_validates(client, anchored):
    # a conversion checks validity at the real time, so these certificates are valid around it
    now = datetime.datetime.now(datetime.UTC)
    around = {"not_before": now - datetime.timedelta(days=1), "not_after": now + datetime.timedelta(days=1)}
    root = make("Root", None, **around)
    leaf = make("leaf", root, ca=False, **around)
    body = {"key": _jwk_with_chain(leaf, leaf), "to": "pem"}
    if anchored:
        body["trust_anchors"] = root.pem
    answer = client.post("/api/keys/convert", json=body).json()
    chain = answer["keys"][0]["x5c"]
    assert chain["key_matches"] is True and chain["certificates"][0]["subject"] == "CN=leaf"
    assert chain["valid"] is (True if anchored else None)


def test_convert_jwk_whose_x5c_holds_another_key(client):
    root = make("Root", None)
    leaf, other = make("leaf", root, ca=False), make("other", root, ca=False)
    answer = client.post(
        "/api/keys/convert", json={"key": _jwk_with_chain(leaf, other), "to": "jwk", "trust_anchors": root.pem}
    ).json()
    chain = answer["keys"][0]["x5c"]
    assert chain["key_matches"] is False and chain["valid"] is False and "RFC 7517" in chain["reason"]


def test_convert_without_x5c_has_no_x5c_member(client):
    answer = client.post("/api/keys/convert", json={"key": json.dumps({"kty": "oct", "k": "AAAA"}), "to": "jwk"})
    assert "x5c" not in answer.json()["keys"][0]
