"""SD-JWT (RFC 9901): the RFC's examples, the reference implementation both ways, and every rule broken once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc.jwk import ECKey
from jwcrypto.jwk import JWK
from jwtlens.core.errors import InputError
from jwtlens.core.inspect import Inspection, KeyText, inspect
from jwtlens.core.policy import Policy
from jwtlens.core.sdjwt import KB_MAX_AGE, issue_sd_jwt, split_sd_jwt
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from tests.paths import VECTORS
from tests.sdjwt_tokens import digest, disclosure, issue, key_binding, signed

VECTORS = json.loads((VECTORS / "rfc-examples" / "sdjwt-dpop.json").read_text())
RFC = VECTORS["rfc9901"]
NOW = 1_800_000_000
AUD, NONCE = "https://verifier.example", "n-0S6_WzA2Mj"


@pytest.fixture(scope="module")
def issuer() -> ECKey:
    return ECKey.generate_key("P-256")


@pytest.fixture(scope="module")
def holder() -> ECKey:
    return ECKey.generate_key("P-256")


def _public(key: ECKey) -> KeyText:
    return KeyText(json.dumps(key.as_dict(private=False)))


def _run(text: str, key: ECKey | KeyText | None, **options: Any) -> Inspection:
    key_text = _public(key) if isinstance(key, ECKey) else key
    return inspect(text, key_text, policy=options.pop("policy", Policy(now=NOW)), **options)


def _check(result: Inspection, name: str) -> str:
    assert result.sd_jwt is not None
    return next(c.status for c in (*result.sd_jwt.checks, *result.sd_jwt.key_binding.checks) if c.name == name)


# --- the RFC's own examples ------------------------------------------------------------------------------------


def test_rfc_issuance_decodes_and_verifies() -> None:
    result = _run(RFC["issuance"], KeyText(json.dumps(RFC["issuer_public_jwk"])), policy=Policy(now=RFC["kb"]["iat"]))
    assert result.verified, result.verdict
    sd = result.sd_jwt
    assert sd is not None and sd.reconstruction.claims == RFC["processed_issuance"]
    rows = {r.disclosure.digest: r for r in sd.reconstruction.rows}
    for expected in RFC["disclosures"]:
        row = rows[expected["digest"]]
        assert (row.disclosure.salt, row.disclosure.name, row.disclosure.value) == (
            expected["salt"],
            expected["name"],
            expected["value"],
        )
        assert row.status == "disclosed"
        assert row.path == ("$._sd" if expected["name"] else row.path) and row.path.startswith("$.")
    assert {r.path for r in sd.reconstruction.rows if r.disclosure.name is None} == {
        "$.nationalities[0]",
        "$.nationalities[1]",
    }
    assert sd.reconstruction.decoys == 0
    assert {name for name, _, disclosed in sd.claim_rows if disclosed} == {
        d["name"] for d in RFC["disclosures"] if d["name"]
    }


def test_rfc_presentation_with_key_binding_verifies() -> None:
    kb = RFC["kb"]
    result = _run(
        RFC["presentation"],
        KeyText(json.dumps(RFC["issuer_public_jwk"])),
        policy=Policy(now=kb["iat"]),
        kb_aud=kb["aud"],
        kb_nonce=kb["nonce"],
    )
    assert result.verified, result.verdict
    sd = result.sd_jwt
    assert sd is not None and sd.key_binding.valid
    assert sd.reconstruction.claims == RFC["processed_presentation_5_2"]
    # The issuer made 10 digests; 4 are disclosed here, the rest read as decoys (counted, not errors).
    assert sd.reconstruction.decoys == len(RFC["disclosures"]) - len(sd.reconstruction.rows)
    assert sd.key_binding.payload is not None and sd.key_binding.payload["sd_hash"] == kb["sd_hash"]
    # The same presentation read against a different aud, nonce, moment or holder key fails the key binding.
    for changed in ({"kb_aud": "https://other.example"}, {"kb_nonce": "0987654321"}):
        other = _run(
            RFC["presentation"],
            KeyText(json.dumps(RFC["issuer_public_jwk"])),
            policy=Policy(now=kb["iat"]),
            **{"kb_aud": kb["aud"], "kb_nonce": kb["nonce"], **changed},
        )
        assert other.verdict.status == 401 and "key binding" in other.verdict.reason
    stale = _run(
        RFC["presentation"],
        KeyText(json.dumps(RFC["issuer_public_jwk"])),
        policy=Policy(now=kb["iat"] + 2 * KB_MAX_AGE),
    )
    assert _check(stale, "iat") == "fail" and not stale.verified


def test_rfc_example_with_another_issuer_key_is_401(issuer: ECKey) -> None:
    result = _run(RFC["issuance"], issuer, policy=Policy(now=RFC["kb"]["iat"]))
    assert result.verdict.status == 401 and result.verdict.reason.startswith("signature")
    assert result.sd_jwt is not None and result.sd_jwt.reconstruction.claims == RFC["processed_issuance"]


def test_not_an_sd_jwt_is_left_alone(issuer: ECKey) -> None:
    jwt = signed({}, {"sub": "a"}, issuer)
    assert split_sd_jwt(jwt) is None
    assert split_sd_jwt("not~a~token") is None
    assert split_sd_jwt(jwt + "~ with spaces~") is None
    for spelling in (f"Bearer {jwt}~", f"  DPoP {jwt}~\n", f"Authorization: bearer {jwt}~"):
        found = split_sd_jwt(spelling)
        assert found is not None and found.issuer_jwt == jwt and found.presented == jwt + "~"
    result = _run(jwt, issuer)
    assert result.verified and result.sd_jwt is None


# --- the reference implementation (sd-jwt on PyPI), both ways ---------------------------------------------------


def _jwcrypto(key: ECKey) -> JWK:
    return JWK(**key.as_dict(private=True))


def test_reference_issuance_and_presentation_verify_here(issuer: ECKey, holder: ECKey) -> None:
    claims = {
        "iss": "https://issuer.example",
        SDObj("given_name"): "Ada",
        SDObj("address"): {SDObj("street"): "1 Loop", "country": "UK"},
        "nationalities": [SDObj("UK"), "FR", SDObj("DE")],
    }
    made = SDJWTIssuer(claims, _jwcrypto(issuer), _jwcrypto(holder), add_decoy_claims=True)
    full = _run(made.sd_jwt_issuance, issuer)
    assert full.verified, full.verdict
    assert full.sd_jwt is not None
    expected = {
        "iss": "https://issuer.example",
        "given_name": "Ada",
        "address": {"street": "1 Loop", "country": "UK"},
        "nationalities": ["UK", "FR", "DE"],
    }
    rebuilt = dict(full.sd_jwt.reconstruction.claims or {})
    assert rebuilt.pop("cnf") == {"jwk": holder.as_dict(private=False)} or "cnf" not in rebuilt
    assert rebuilt == expected
    assert full.sd_jwt.reconstruction.decoys > 0
    holding = SDJWTHolder(made.sd_jwt_issuance)
    holding.create_presentation({"given_name": True}, NONCE, AUD, _jwcrypto(holder), "ES256")
    presented = holding.sd_jwt_presentation
    result = _run(presented, issuer, policy=Policy(now=None), kb_aud=AUD, kb_nonce=NONCE)
    assert result.verified, result.verdict
    assert result.sd_jwt is not None and result.sd_jwt.key_binding.valid
    assert result.sd_jwt.reconstruction.claims is not None
    assert "given_name" in result.sd_jwt.reconstruction.claims
    assert "address" not in result.sd_jwt.reconstruction.claims
    # A presentation cut short (its last disclosure dropped) breaks the reference's sd_hash and ours.
    head, *middle, kb = presented.split("~")
    assert middle
    cut = "~".join([head, *middle[:-1], kb])
    assert _check(_run(cut, issuer, policy=Policy(now=None), kb_aud=AUD, kb_nonce=NONCE), "sd_hash") == "fail"
    with pytest.raises(ValueError):
        SDJWTVerifier(cut, lambda *_: _jwcrypto(issuer), AUD, NONCE)


def test_our_tokens_verify_with_the_reference_and_agree_on_claims(issuer: ECKey, holder: ECKey) -> None:
    sd_jwt, _ = issue(
        {"iss": "https://i.example", "sub": "u1"},
        {"email": "a@b.example", "age": 42},
        issuer,
        holder=holder,
        elements=("x", {"n": 1}),
        decoys=3,
    )
    presented = sd_jwt + key_binding(sd_jwt, holder, aud=AUD, nonce=NONCE, iat=NOW)
    ours = _run(presented, issuer, kb_aud=AUD, kb_nonce=NONCE)
    assert ours.verified, ours.verdict
    theirs = SDJWTVerifier(presented, lambda *_: _jwcrypto(issuer), AUD, NONCE).get_verified_payload()
    assert ours.sd_jwt is not None and ours.sd_jwt.reconstruction.claims == theirs


# --- every rule broken once, each with its positive control beside it -------------------------------------------


def test_tampered_disclosure_is_refused_by_both(issuer: ECKey, holder: ECKey) -> None:
    sd_jwt, texts = issue({"sub": "u"}, {"role": "user"}, issuer)
    forged = disclosure("salt-role", "role", "admin")
    tampered = sd_jwt.replace(texts[0], forged)
    assert _run(sd_jwt, issuer).verified
    result = _run(tampered, issuer)
    assert result.verdict.status == 401 and _check(result, "digests") == "fail"
    assert result.sd_jwt is not None and result.sd_jwt.reconstruction.rows[0].status == "unreferenced"
    assert "role" not in (result.sd_jwt.reconstruction.claims or {})
    # The reference (0.10.4) drops an unreferenced disclosure instead of rejecting (RFC 9901 §7.1 step 5 says
    # reject); on the claims it yields we agree: the forged value is nowhere.
    theirs = SDJWTVerifier(tampered, lambda *_: _jwcrypto(issuer)).get_verified_payload()
    assert theirs == result.sd_jwt.reconstruction.claims == {"sub": "u"}


def _token(issuer: ECKey, payload: dict[str, Any], texts: list[str], header: dict[str, Any] | None = None) -> str:
    return "~".join([signed({"typ": "example+sd-jwt", **(header or {})}, payload, issuer), *texts, ""])


@pytest.mark.parametrize(
    ("case", "check"),
    [
        ("missing_digest", "digests"),
        ("digest_twice_in_sd", "digests"),
        ("digest_in_two_places", "digests"),
        ("disclosure_twice", "duplicates"),
        ("clash", "claim names"),
        ("reserved_sd", "claim names"),
        ("reserved_dots", "claim names"),
        ("element_in_sd", "structure"),
        ("claim_in_array", "structure"),
        ("sd_not_array", "structure"),
        ("unknown_alg", "_sd_alg"),
    ],
)
def test_each_rule(issuer: ECKey, case: str, check: str) -> None:
    named, element = disclosure("s1", "email", "a@b.example"), disclosure("s2", "x")
    payload: dict[str, Any] = {"sub": "u", "_sd": [digest(named)], "list": [{"...": digest(element)}]}
    texts = [named, element]
    good = _run(_token(issuer, payload, texts), issuer)
    assert good.verified and _check(good, check) == "pass"
    if case == "missing_digest":
        payload["_sd"] = []
    elif case == "digest_twice_in_sd":
        payload["_sd"] = [digest(named), digest(named)]
    elif case == "digest_in_two_places":
        payload["nested"] = {"_sd": [digest(named)]}
    elif case == "disclosure_twice":
        texts = [named, element, named]
    elif case == "clash":
        payload["email"] = "plain@b.example"
    elif case in ("reserved_sd", "reserved_dots"):
        bad = disclosure("s3", "_sd" if case == "reserved_sd" else "...", "v")
        payload["_sd"].append(digest(bad))
        texts.append(bad)
    elif case == "element_in_sd":
        payload["_sd"].append(digest(element))
        payload["list"] = []
    elif case == "claim_in_array":
        payload["list"] = [{"...": digest(named)}]
        payload["_sd"] = []
    elif case == "sd_not_array":
        payload["_sd"] = digest(named)
    elif case == "unknown_alg":
        payload["_sd_alg"] = "md5"
    result = _run(_token(issuer, payload, texts), issuer)
    assert result.verdict.status == 401 and result.verdict.reason.startswith("sd-jwt"), result.verdict
    assert _check(result, check) == "fail"


@pytest.mark.parametrize(
    "text",
    [
        disclosure("s", "a", 1, "extra"),
        disclosure("s"),
        disclosure(7, "a", 1),
        disclosure("s", 5, 1),
        "eyJub3QiOiJhcnJheSJ9",  # {"not":"array"}
        "!!",
        "",
        disclosure("s", "a", 1) + "==",
    ],
    ids=["four", "one", "salt_number", "name_number", "object", "not_base64", "empty", "padded"],
)
def test_malformed_disclosures_are_rows_not_errors(issuer: ECKey, text: str) -> None:
    good = disclosure("s", "a", 1)
    payload = {"sub": "u", "_sd": [digest(good), digest(text)]}
    result = _run(_token(issuer, payload, [good, text]), issuer)
    assert result.verdict.status == 401 and _check(result, "disclosures") == "fail"
    assert result.sd_jwt is not None
    row = result.sd_jwt.reconstruction.rows[1]
    assert row.status == "malformed" and row.message
    assert text not in row.message or not text  # never echoed
    assert result.sd_jwt.reconstruction.claims == {"sub": "u", "a": 1}


@pytest.mark.parametrize("alg", ["sha-256", "sha-384", "sha-512"])
def test_sd_alg_spellings(issuer: ECKey, alg: str) -> None:
    text = disclosure("s", "email", "e@x.example")
    payload = {"_sd_alg": alg, "_sd": [digest(text, alg.replace("-", ""))]}
    result = _run(_token(issuer, payload, [text]), issuer)
    assert result.verified and result.sd_jwt is not None
    assert result.sd_jwt.reconstruction.claims == {"email": "e@x.example"}


def test_key_binding_rules(issuer: ECKey, holder: ECKey) -> None:
    sd_jwt, _ = issue({"sub": "u"}, {"email": "a@b.example"}, issuer, holder=holder)
    good = sd_jwt + key_binding(sd_jwt, holder, aud=AUD, nonce=NONCE, iat=NOW)
    assert _run(good, issuer, kb_aud=AUD, kb_nonce=NONCE).verified
    other = ECKey.generate_key("P-256")
    cases = {
        "signature": sd_jwt + key_binding(sd_jwt, other, aud=AUD, nonce=NONCE, iat=NOW),
        "sd_hash": sd_jwt + key_binding(sd_jwt + "x~", holder, aud=AUD, nonce=NONCE, iat=NOW),
        "typ": sd_jwt + key_binding(sd_jwt, holder, aud=AUD, nonce=NONCE, iat=NOW, typ="JWT"),
        "aud": sd_jwt + key_binding(sd_jwt, holder, aud="https://evil.example", nonce=NONCE, iat=NOW),
        "nonce": sd_jwt + key_binding(sd_jwt, holder, aud=AUD, nonce="other", iat=NOW),
        "iat": sd_jwt + key_binding(sd_jwt, holder, aud=AUD, nonce=NONCE, iat=NOW + 3600),
    }
    for name, text in cases.items():
        result = _run(text, issuer, kb_aud=AUD, kb_nonce=NONCE)
        assert not result.verified and result.verdict.status == 401, name
        assert _check(result, name) == "fail", name
    # A non-ASCII character in a disclosure: a malformed row and a failed sd_hash, never a crash.
    odd = sd_jwt.replace("~", "~Wy\u00e9~", 1) + key_binding(sd_jwt, holder, aud=AUD, nonce=NONCE, iat=NOW)
    assert _check(_run(odd, issuer, kb_aud=AUD, kb_nonce=NONCE), "sd_hash") == "fail"
    # A KB-JWT asked for but absent; a holder key given that is not cnf.jwk.
    assert _check(_run(sd_jwt, issuer, kb_nonce=NONCE), "kb_jwt") == "fail"
    assert _run(sd_jwt, issuer).verified
    wrong_holder = _run(good, issuer, kb_aud=AUD, kb_nonce=NONCE, holder_key=_public(other))
    assert _check(wrong_holder, "cnf") == "fail" and not wrong_holder.verified
    right_holder = _run(good, issuer, kb_aud=AUD, kb_nonce=NONCE, holder_key=_public(holder))
    assert right_holder.verified
    # Without cnf in the issuer-signed JWT, a KB-JWT cannot be bound to anything.
    unbound, _ = issue({"sub": "u"}, {"email": "a@b.example"}, issuer)
    result = _run(unbound + key_binding(unbound, holder, aud=AUD, nonce=NONCE, iat=NOW), issuer)
    assert _check(result, "cnf") == "fail" and not result.verified


def test_policy_runs_on_reconstructed_claims(issuer: ECKey) -> None:
    sd_jwt, _ = issue({"iss": "https://i.example"}, {"sub": "user-7"}, issuer)
    assert _run(sd_jwt, issuer, policy=Policy(now=NOW, sub="user-7")).verified
    withheld = sd_jwt.split("~")[0] + "~"
    result = _run(withheld, issuer, policy=Policy(now=NOW, sub="user-7"))
    assert result.verdict.status == 401 and "sub" in result.verdict.reason


def test_sd_jwt_vc_types(issuer: ECKey) -> None:
    for typ, finding in (("dc+sd-jwt", False), ("vc+sd-jwt", True), ("application/dc+sd-jwt", False)):
        with_vct, _ = issue({"vct": "https://credentials.example/id"}, {"name": "A"}, issuer, header={"typ": typ})
        result = _run(with_vct, issuer)
        assert result.verified and _check(result, "vct") == "pass"
        assert result.sd_jwt is not None and result.sd_jwt.vct == "https://credentials.example/id"
        assert any(f.code == "sd_jwt_vc_old_typ" for f in result.findings) is finding
        without, _ = issue({}, {"name": "A"}, issuer, header={"typ": typ})
        assert _check(_run(without, issuer), "vct") == "fail"


def test_deep_chains_of_disclosures_are_bounded(issuer: ECKey) -> None:
    texts: list[str] = []
    inner: dict[str, Any] = {"leaf": 1}
    for level in range(300):
        text = disclosure(f"s{level}", "c", inner)
        texts.append(text)
        inner = {"_sd": [digest(text)]}
    result = _run(_token(issuer, inner, texts[::-1]), issuer)
    assert result.verdict.status == 401 and _check(result, "structure") == "fail"


def test_an_sd_jwt_over_the_limit_is_refused_not_cut_to_its_jwt(issuer: ECKey) -> None:
    sd_jwt, _ = issue({"sub": "u"}, {"email": "a@b.example"}, issuer)
    padded = sd_jwt + "~".join(disclosure(f"s{i}", f"c{i}", "x" * 64) for i in range(40)) + "~"
    assert _run(sd_jwt, issuer, max_token=len(sd_jwt)).verified
    with pytest.raises(InputError) as caught:
        _run(padded, issuer, max_token=len(padded) - 1)
    assert caught.value.problem.too_large and caught.value.problem.status == 413


_FUZZ_KEY = ECKey.generate_key("P-256")  # hypothesis runs a test many times; one key serves them all
_PIECES = st.sampled_from(
    [
        disclosure("s", "a", 1),
        disclosure("s", "b", {"_sd": ["x"]}),
        disclosure("s", [1]),
        disclosure("s", "_sd", 1),
        "WyJzIiwgImEiXQ",
        "e30",
        "!!",
        "",
        "é",
        "eyJhbGciOiJFUzI1NiJ9.e30.AA",
    ]
)


@given(
    pieces=st.lists(_PIECES, max_size=8),
    payload=st.dictionaries(
        st.sampled_from(["_sd", "a", "list", "_sd_alg"]),
        st.one_of(
            st.lists(st.one_of(st.text(max_size=5), st.dictionaries(st.just("..."), st.text(max_size=5))), max_size=4),
            st.text(max_size=5),
            st.integers(),
        ),
        max_size=4,
    ),
)
@settings(max_examples=150, deadline=None)
def test_any_mix_of_disclosures_is_a_result_never_a_crash(pieces: list[str], payload: dict[str, Any]) -> None:
    text = "~".join([_token(_FUZZ_KEY, payload, []).rstrip("~"), *pieces, ""])
    result = _run(text, _FUZZ_KEY, kb_nonce="n")
    assert result.sd_jwt is not None and not result.verified  # a KB-JWT was asked for and none is valid
    assert all(c.status in ("pass", "fail", "warn", "skip") for c in result.sd_jwt.checks)


# --- issuing (sign mode) ----------------------------------------------------------------------------------------


def test_issued_sd_jwts_verify_here_and_with_the_reference(issuer: ECKey, holder: ECKey) -> None:
    payload = {
        "iss": "https://i.example",
        "sub": "u9",
        "email": "e@x.example",
        "age": 40,
        "cnf": {"jwk": holder.as_dict(private=False)},
    }
    private = json.dumps(issuer.as_dict(private=True))
    issued = issue_sd_jwt({"alg": "ES256"}, payload, private, ["email", "age", "sub"], decoys=3)
    assert len(issued.disclosures) == 3 and issued.token.endswith("~")
    ours = _run(issued.token, issuer)
    assert ours.verified and ours.sd_jwt is not None
    assert ours.sd_jwt.reconstruction.claims == payload and ours.sd_jwt.reconstruction.decoys == 3
    assert ours.sd_jwt.reconstruction.disclosed_names == {"email", "age", "sub"}
    theirs = SDJWTVerifier(issued.token, lambda *_: _jwcrypto(issuer)).get_verified_payload()
    assert theirs == payload
    # The reference holder presents a subset with a KB-JWT; both verifiers accept it.
    holding = SDJWTHolder(issued.token)
    holding.create_presentation({"age": True}, NONCE, AUD, _jwcrypto(holder), "ES256")
    presented = holding.sd_jwt_presentation
    result = _run(presented, issuer, policy=Policy(now=None), kb_aud=AUD, kb_nonce=NONCE)
    assert result.verified and result.sd_jwt is not None
    assert set(result.sd_jwt.reconstruction.claims or {}) == {"iss", "age", "cnf"}
    assert SDJWTVerifier(presented, lambda *_: _jwcrypto(issuer), AUD, NONCE).get_verified_payload()["age"] == 40
    # Salts are fresh each time: the same claims never give the same digests.
    again = issue_sd_jwt({"alg": "ES256"}, payload, private, ["email"])
    assert set(again.disclosures).isdisjoint(issued.disclosures)


@pytest.mark.parametrize(
    ("disclose", "decoys", "code"),
    [
        (["nope"], 0, "sd_claim_missing"),
        (["iss"], 0, "sd_claim_reserved"),
        (["cnf"], 0, "sd_claim_reserved"),
        (["sub"], -1, "sd_decoys"),
        (["sub"], 10_000, "sd_decoys"),
    ],
)
def test_issuing_refuses_what_cannot_work(issuer: ECKey, disclose: list[str], decoys: int, code: str) -> None:
    private = json.dumps(issuer.as_dict(private=True))
    with pytest.raises(InputError) as caught:
        issue_sd_jwt({"alg": "ES256"}, {"iss": "i", "sub": "s", "cnf": {}}, private, disclose, decoys=decoys)
    assert caught.value.problem.code == code
