"""x5c chains built here: each certificate described, x5t checked, validated only to a given anchor, with reasons."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from jwtlens.core import InputError
from jwtlens.core.x5c import check_x5c

from tests.pki import DAY, NOW, Node, make, x5c


@pytest.fixture(scope="module")
def pki() -> dict[str, Node]:
    root = make("Root", None)
    inter = make("Intermediate", root, path_length=0)
    leaf = make("leaf", inter, ca=False)
    return {"root": root, "inter": inter, "leaf": leaf, "other": make("Other Root", None)}


def check(header: dict[str, Any], anchors: str | None) -> Any:
    return check_x5c(header, anchors, now=NOW.timestamp())


def test_valid_chain_validates_and_describes_each_certificate(pki):
    header = {"x5c": x5c(pki["leaf"], pki["inter"])}
    result = check(header, pki["root"].pem)
    assert result.valid is True and result.leaf_public_pem is not None
    leaf, inter = result.certificates
    assert leaf.subject == "CN=leaf" and leaf.issuer == "CN=Intermediate" and leaf.san == ("leaf.example",)
    assert inter.basic_constraints == "CA, path length 0" and "key_cert_sign" in inter.key_usage
    assert leaf.sha256.replace(":", "").lower() == hashlib.sha256(pki["leaf"].der).hexdigest()
    assert leaf.not_after.startswith("2027-02-14")


def test_chain_that_includes_its_anchor_validates(pki):
    assert check({"x5c": x5c(pki["leaf"], pki["inter"], pki["root"])}, pki["root"].pem).valid is True


def test_without_anchor_nothing_is_validated(pki):
    result = check({"x5c": x5c(pki["leaf"], pki["inter"])}, None)
    assert result.valid is None and result.leaf_public_pem is None and "no trust anchor" in result.reason


def test_wrong_anchor(pki):
    result = check({"x5c": x5c(pki["leaf"], pki["inter"])}, pki["other"].pem)
    assert result.valid is False and "issuer/subject mismatch" in result.reason and result.leaf_public_pem is None


def test_anchor_with_the_same_name_but_another_key(pki):
    impostor = make("Root", None)
    result = check({"x5c": x5c(pki["leaf"], pki["inter"])}, impostor.pem)
    assert result.valid is False and "bad signature" in result.reason


@pytest.mark.parametrize(
    ("when", "words"),
    [({"not_after": NOW - DAY}, "expired"), ({"not_before": NOW + DAY}, "not yet valid")],
)
def test_leaf_out_of_its_validity(pki, when, words):
    leaf = make("leaf", pki["inter"], ca=False, **when)
    result = check({"x5c": x5c(leaf, pki["inter"])}, pki["root"].pem)
    assert result.valid is False and words in result.reason and "certificate 0" in result.reason


@pytest.mark.parametrize("ca", [False, None])
def test_issuer_without_ca_flag(pki, ca):
    not_ca = make("Intermediate", pki["root"], ca=ca)
    leaf = make("leaf", not_ca, ca=False)
    result = check({"x5c": x5c(leaf, not_ca)}, pki["root"].pem)
    assert result.valid is False and "no CA flag" in result.reason


def test_path_too_long(pki):
    lower = make("Lower CA", pki["inter"])  # the intermediate allows no CA below it
    leaf = make("leaf", lower, ca=False)
    result = check({"x5c": x5c(leaf, lower, pki["inter"])}, pki["root"].pem)
    assert result.valid is False and "too long" in result.reason


def test_tampered_signature(pki):
    der = bytearray(pki["leaf"].der)
    der[-5] ^= 0x01  # inside the signature value
    header = {"x5c": [base64.b64encode(bytes(der)).decode(), *x5c(pki["inter"])]}
    result = check(header, pki["root"].pem)
    assert result.valid is False and "bad signature" in result.reason


def test_issuer_subject_mismatch_inside_the_chain(pki):
    leaf = make("leaf", pki["inter"], ca=False, issuer_name="Somebody Else")
    result = check({"x5c": x5c(leaf, pki["inter"])}, pki["root"].pem)
    assert result.valid is False and "issuer/subject mismatch" in result.reason


@pytest.mark.parametrize(("member", "digest"), [("x5t", "sha1"), ("x5t#S256", "sha256")])
def test_x5t_checked_against_the_leaf(pki, member, digest):
    good = base64.urlsafe_b64encode(hashlib.new(digest, pki["leaf"].der).digest()).rstrip(b"=").decode()
    header = {"x5c": x5c(pki["leaf"], pki["inter"]), member: good}
    result = check(header, pki["root"].pem)
    assert (result.x5t if member == "x5t" else result.x5t_s256) == "match" and result.valid
    other = base64.urlsafe_b64encode(hashlib.new(digest, pki["inter"].der).digest()).rstrip(b"=").decode()
    bad = check({**header, member: other}, pki["root"].pem)
    assert (bad.x5t if member == "x5t" else bad.x5t_s256) == "mismatch" and bad.valid is False


@pytest.mark.parametrize(
    "value", [[], "MIIB", ["not base64!"], ["AAAA"], [base64.urlsafe_b64encode(b"\xfb\xff" * 40).decode()]]
)
def test_unreadable_x5c_is_a_precise_error(value):
    with pytest.raises(InputError) as caught:
        check_x5c({"x5c": value})
    assert caught.value.problem.code == "x5c_invalid" and caught.value.problem.segment == "x5c"


def test_unreadable_anchor_is_a_precise_error(pki):
    with pytest.raises(InputError) as caught:
        check({"x5c": x5c(pki["leaf"])}, "not a certificate")
    assert caught.value.problem.code == "anchor_invalid"
