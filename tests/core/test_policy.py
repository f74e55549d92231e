"""The validation policy: every claim's result, rules, OIDC, verdicts; boundaries and properties."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc.jwk import OKPKey
from jwtlens.core import InvalidPolicy, Policy, parse_policy, sign, verify
from jwtlens.core.policy import REGEX_BUDGET, Rule, check_claims, oidc_hash

from tests.makers import NOW


def rows(payload: dict, header: dict | None = None, **policy) -> dict[str, tuple[str, str]]:
    checks = check_claims(payload, Policy(**policy), NOW, header or {"alg": "HS256"})
    return {c.name: (c.status, c.message) for c in checks}


def status(payload: dict, name: str, **policy) -> str:
    return rows(payload, **policy)[name][0]


# --- registered claims -------------------------------------------------------


@pytest.mark.parametrize(
    ("iss", "accepted", "expected"),
    [
        ("https://idp.example", ("https://idp.example",), "pass"),
        ("https://idp.example", ("https://idp.example/",), "fail"),
        ("https://idp.example/realms/a", ("https://idp.example",), "fail"),  # a prefix never matches
        ("https://idp.exampl", ("https://idp.example",), "fail"),
        ("https://b", ("https://a", "https://b"), "pass"),
        (["https://a"], ("https://a",), "fail"),
        ("https://a", (), "skip"),
    ],
)
def test_iss_exact_match(iss, accepted, expected):
    assert status({"iss": iss}, "iss", iss=accepted) == expected


@pytest.mark.parametrize(
    ("aud", "accepted", "expected"),
    [
        ("api", ("api",), "pass"),
        (["web", "api"], ("api",), "pass"),
        (["web"], ("api", "mobile"), "fail"),
        ("api-v2", ("api",), "fail"),
        ([], ("api",), "fail"),
        ([1], ("api",), "fail"),
        ({"a": 1}, ("api",), "fail"),
        ("api", (), "skip"),
    ],
)
def test_aud_string_or_list(aud, accepted, expected):
    assert status({"aud": aud}, "aud", aud=accepted) == expected


def test_sub_exact():
    assert status({"sub": "ada"}, "sub", sub="ada") == "pass"
    assert status({"sub": "ada2"}, "sub", sub="ada") == "fail"
    assert status({"sub": "ada"}, "sub") == "skip"


@pytest.mark.parametrize(
    ("typ", "expected", "outcome"),
    [
        ("JWT", "JWT", "pass"),
        ("jwt", "JWT", "pass"),  # media types compare case-insensitively
        ("application/at+jwt", "at+jwt", "pass"),  # the application/ prefix may be omitted
        ("JWT", "at+jwt", "fail"),
        (None, "JWT", "fail"),
    ],
)
def test_header_typ(typ, expected, outcome):
    header = {"alg": "HS256", **({"typ": typ} if typ else {})}
    assert rows({}, header, typ=expected)["typ"][0] == outcome


def test_required_claims_including_nested_paths():
    result = rows({"sub": "a", "realm_access": {"roles": []}}, required=("sub", "jti", "realm_access.roles", "tenant"))
    assert result["sub"][0] == "skip"
    assert result["jti"] == ("fail", "required claim jti is missing")
    assert result["realm_access.roles"][0] == "pass"
    assert result["tenant"][0] == "fail"


def test_max_age_and_max_lifetime():
    assert status({"iat": NOW - 301}, "iat", max_age=300) == "fail"
    assert status({"iat": NOW - 300}, "iat", max_age=300) == "pass"
    assert status({"iat": NOW - 301}, "iat", max_age=300, leeway=5) == "pass"
    assert rows({}, max_age=300)["iat"] == ("fail", "required claim iat is missing")
    assert status({"iat": NOW, "exp": NOW + 3601}, "exp", max_lifetime=3600) == "fail"
    assert status({"iat": NOW, "exp": NOW + 3600}, "exp", max_lifetime=3600) == "pass"
    assert "needs a numeric iat" in rows({"exp": NOW + 10}, max_lifetime=60)["exp"][1]


def test_jti_deny_list():
    assert status({"jti": "t-1"}, "jti", jti_denylist=("t-1",)) == "fail"
    assert status({"jti": "t-2"}, "jti", jti_denylist=("t-1",)) == "pass"
    assert status({"jti": 5}, "jti") == "fail"


def test_every_failure_is_reported():
    result = rows(
        {"iss": "x", "aud": "y", "sub": "z", "exp": NOW - 1, "nbf": NOW + 10},
        iss=("a",),
        aud=("b",),
        sub="c",
    )
    assert {name: s for name, (s, _) in result.items()} == {
        "iss": "fail",
        "aud": "fail",
        "sub": "fail",
        "exp": "fail",
        "nbf": "fail",
    }


# --- rules ---------------------------------------------------------------------

PAYLOAD = {
    "realm_access": {"roles": ["user", "admin"]},
    "scope": "read write",
    "email": "ada@example.com",
    "level": 3,
    "active": True,
    "https://example.com/tenant": "acme",
}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (Rule(claim="realm_access.roles", op="contains", value="admin"), "pass"),
        (Rule(claim="realm_access.roles", op="contains", value="root"), "fail"),
        (Rule(claim="scope", op="contains", value="write"), "pass"),  # space-separated scope strings count as lists
        (Rule(claim="email", op="matches", value=r".*@example\.com"), "pass"),
        (Rule(claim="email", op="matches", value=r"@example\.com"), "fail"),  # a full match, not a search
        (Rule(claim="email", op="matches", value=r"^admin@"), "fail"),
        (Rule(claim="level", op="gte", value=3), "pass"),
        (Rule(claim="level", op="gte", value=4), "fail"),
        (Rule(claim="level", op="lte", value=3), "pass"),
        (Rule(claim="level", op="equals", value=3), "pass"),
        (Rule(claim="active", op="equals", value=True), "pass"),
        (Rule(claim="active", op="equals", value=1), "fail"),  # JSON true is not the number 1
        (Rule(claim="level", op="equals", value=True), "fail"),
        (Rule(claim="level", op="one_of", value=[1, 2, 3]), "pass"),
        (Rule(claim="level", op="one_of", value=["3"]), "fail"),
        (Rule(claim="email", op="present"), "pass"),
        (Rule(claim="phone", op="present"), "fail"),
        (Rule(claim="phone", op="absent"), "pass"),
        (Rule(claim="email", op="absent"), "fail"),
        (Rule(claim="https://example.com/tenant", op="equals", value="acme"), "pass"),  # a name holding dots
        (Rule(claim="missing.path", op="equals", value=1), "fail"),
        (Rule(claim="active", op="gte", value=1), "fail"),  # booleans are not numbers
        (Rule(claim="email", op="contains", value="a"), "fail"),  # a one-word string is a list of one
    ],
)
def test_rule_ops(rule, expected):
    (check,) = check_claims(PAYLOAD, Policy(rules=(rule,)), NOW, {})
    assert check.status == expected and check.rule


def test_catastrophic_regex_is_cut_off_and_fails():
    rule = Rule(claim="email", op="matches", value="(a|aa)+")
    (check,) = check_claims({"email": "a" * 40 + "!"}, Policy(rules=(rule,)), NOW, {})
    assert check.status == "fail" and "took over" in check.message


def test_all_patterns_of_a_policy_share_one_time_budget():
    # fifty catastrophic patterns: each alone may run up to the budget, together they must not
    rules = tuple(Rule(claim="email", op="matches", value=f"(a|aa)+{i}") for i in range(50))
    started = time.perf_counter()
    checks = check_claims({"email": "a" * 40 + "!"}, Policy(rules=rules), NOW, {})
    elapsed = time.perf_counter() - started
    assert all(c.status == "fail" for c in checks)
    assert elapsed < REGEX_BUDGET * 10  # generous: the budget is shared, not per pattern (50x would be 5 s)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("admin", "admin", "pass"),
        ("admin", "notadmin", "fail"),
        ("admin", "admin2", "fail"),
        ("admin", "ADMIN", "fail"),
        ("admin|root", "root", "pass"),
        ("admin|root", "rootkit", "fail"),  # alternation is anchored as a whole
        ("a.*", "abc", "pass"),
        ("^admin$", "admin", "pass"),
        ("admin", "admin\n", "fail"),  # no trailing-newline leniency as with $
        ("", "", "pass"),
        ("", "x", "fail"),
    ],
)
def test_matches_is_a_full_match_of_the_whole_value(pattern, value, expected):
    (check,) = check_claims({"role": value}, Policy(rules=(Rule(claim="role", op="matches", value=pattern),)), NOW, {})
    assert check.status == expected


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"claim": "", "op": "equals"}, "'claim' must be"),
        ({"claim": "a", "op": "like"}, "op must be one of"),
        ({"claim": "a", "op": "one_of", "value": "x"}, "needs an array"),
        ({"claim": "a", "op": "gte", "value": "ten"}, "needs a number"),
        ({"claim": "a", "op": "matches", "value": "("}, "not a valid regular expression"),
        ({"claim": "a", "op": "matches", "value": "x" * 1001}, "at most 1000"),
    ],
)
def test_bad_rules_name_the_rule(data, fragment):
    good = {"claim": "x", "op": "present"}
    parsed = parse_policy({"rules": [good, good, data]})
    assert isinstance(parsed, InvalidPolicy)
    (problem,) = parsed.problems
    assert problem.field == "rules" and problem.message.startswith("rule 3:") and fragment in problem.message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"iss": 5}, "policy.iss"),
        ({"leeway": -1}, "policy.leeway"),
        ({"leeway": "soon"}, "policy.leeway"),
        ({"rules": {"claim": "a"}}, "policy.rules"),
        ({"rules": [{"claim": "a", "op": "present"}] * 51}, "the limit is 50"),
        ({"nonce": 5}, "policy.nonce"),
    ],
)
def test_bad_policy_fields(data, fragment):
    parsed = parse_policy(data)
    assert isinstance(parsed, InvalidPolicy)
    assert fragment == f"policy.{parsed.problems[0].field}" or fragment in parsed.message


# --- verdicts --------------------------------------------------------------------


def _token(secret: str, **claims) -> str:
    return sign({"alg": "HS256"}, {"exp": NOW + 60, **claims}, secret).token


def test_verdict_200_401_403(secret):
    roles = Rule(claim="roles", op="contains", value="admin")
    ok = verify(_token(secret, roles=["admin"]), secret, policy=Policy(now=NOW, rules=(roles,)))
    assert ok.verdict.status == 200 and ok.verified
    forbidden = verify(_token(secret, roles=["user"]), secret, policy=Policy(now=NOW, rules=(roles,)))
    assert forbidden.verdict.status == 403 and not forbidden.verified
    assert forbidden.verdict.reason.startswith("rule roles contains 'admin'")
    # authentication failures come first: a bad issuer is 401 even when a rule fails too
    both = verify(_token(secret, roles=["user"], iss="x"), secret, policy=Policy(now=NOW, iss=("y",), rules=(roles,)))
    assert both.verdict.status == 401 and both.verdict.reason.startswith("claim iss")
    bad_sig = verify(_token(secret, roles=["admin"]), "other", policy=Policy(now=NOW, rules=(roles,)))
    assert bad_sig.verdict.status == 401 and bad_sig.verdict.reason.startswith("signature")


# --- OpenID Connect -------------------------------------------------------------

# OpenID Connect Core 1.0, Appendix A.4 (RS256): the access token, the code and their hashes.
OIDC_ACCESS_TOKEN = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
OIDC_AT_HASH = "77QmUPtjPfzWtF2AnpK9RQ"
OIDC_CODE = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
OIDC_C_HASH = "LDktKdoQak3Pk0cnXxCltA"


def test_oidc_hash_matches_the_spec_example():
    assert oidc_hash(OIDC_ACCESS_TOKEN, "RS256") == OIDC_AT_HASH
    assert oidc_hash(OIDC_CODE, "RS256") == OIDC_C_HASH
    assert oidc_hash("x", "XX999") is None


def test_oidc_rows():
    header = {"alg": "RS256"}
    payload = {
        "aud": ["client-a", "api"],
        "azp": "client-a",
        "nonce": "n-0S6_WzA2Mj",
        "auth_time": NOW - 100,
        "at_hash": OIDC_AT_HASH,
        "c_hash": "wrong",
    }
    policy = Policy(
        oidc=True, aud=("client-a",), nonce="n-0S6_WzA2Mj", max_age=60, access_token=OIDC_ACCESS_TOKEN, code=OIDC_CODE
    )
    result = {c.name: c.status for c in check_claims(payload, policy, NOW, header)}
    assert result["nonce"] == "pass"
    assert result["azp"] == "pass"
    assert result["auth_time"] == "fail"  # logged in 100 s ago, max_age 60
    assert result["at_hash"] == "pass"
    assert result["c_hash"] == "fail"


def test_oidc_azp_required_with_several_audiences_and_nonce_mismatch():
    policy = Policy(oidc=True, nonce="expected")
    result = {c.name: c for c in check_claims({"aud": ["a", "b"], "nonce": "other"}, policy, NOW, {"alg": "RS256"})}
    assert result["azp"].status == "fail" and "several audiences" in result["azp"].message
    assert result["nonce"].status == "fail"


def test_oidc_missing_hashes_fail_when_the_token_or_code_is_given():
    policy = Policy(oidc=True, access_token="abc", code="def")
    result = {c.name: c.status for c in check_claims({"aud": "a"}, policy, NOW, {"alg": "ES256"})}
    assert result["at_hash"] == "fail" and result["c_hash"] == "fail"


# --- properties -------------------------------------------------------------------

ISSUERS = st.sampled_from(["https://a", "https://b", "https://a/", "https://ab", "A"])
AUDS = st.sampled_from(["api", "web", "API", "api2"])


@settings(max_examples=200, deadline=None)
@given(
    iss=ISSUERS,
    accepted_iss=st.lists(ISSUERS, min_size=1, max_size=3, unique=True),
    aud=st.one_of(AUDS, st.lists(AUDS, max_size=3)),
    accepted_aud=st.lists(AUDS, min_size=1, max_size=3, unique=True),
    exp_offset=st.integers(-5, 5),
    nbf_offset=st.integers(-5, 5),
    leeway=st.integers(0, 3),
    level=st.integers(-3, 3),
    minimum=st.integers(-3, 3),
)
def test_a_claim_fails_exactly_when_its_rule_is_broken(
    iss, accepted_iss, aud, accepted_aud, exp_offset, nbf_offset, leeway, level, minimum
):
    payload = {"iss": iss, "aud": aud, "exp": NOW + exp_offset, "nbf": NOW + nbf_offset, "level": level}
    policy = Policy(
        iss=tuple(accepted_iss),
        aud=tuple(accepted_aud),
        leeway=leeway,
        rules=(Rule(claim="level", op="gte", value=minimum),),
    )
    result = {c.name: c.status for c in check_claims(payload, policy, NOW, {})}
    auds = [aud] if isinstance(aud, str) else aud
    assert (result["iss"] == "fail") == (iss not in accepted_iss)
    assert (result["aud"] == "fail") == (not set(auds) & set(accepted_aud))
    assert (result["exp"] == "fail") == (exp_offset + leeway <= 0)  # "on or after" exp
    assert (result["nbf"] == "fail") == (leeway < nbf_offset)
    assert (result[f"level gte {minimum}"] == "fail") == (level < minimum)


@settings(max_examples=100, deadline=None)
@given(
    payload=st.dictionaries(
        st.sampled_from(["iss", "aud", "exp", "nbf", "iat", "jti", "sub", "x"]),
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=5)
        | st.lists(st.text(max_size=3), max_size=2),
    )
)
def test_any_claim_values_give_a_row_and_never_raise(payload):
    policy = Policy(iss=("a",), aud=("b",), sub="c", max_age=10, max_lifetime=10, jti_denylist=("j",))
    checks = check_claims(payload, policy, NOW, {})
    assert all(c.status in ("pass", "fail", "warn", "skip") and c.message for c in checks)
    json.dumps([c.message for c in checks])


def test_expected_iss_aud_sub_make_the_claim_required():
    result = rows({}, iss=("https://idp",), aud=("api",), sub="ada")
    assert result == {
        "iss": ("fail", "required claim iss is missing"),
        "sub": ("fail", "required claim sub is missing"),
        "aud": ("fail", "required claim aud is missing"),
    }


# OpenID's token hash algorithms: EdDSA hashes with the verifying key's curve.
@pytest.mark.parametrize(
    ("alg", "curve", "digest"),
    [
        ("EdDSA", "Ed25519", lambda d: hashlib.sha512(d).digest()),
        ("EdDSA", "Ed448", lambda d: hashlib.shake_256(d).digest(114)),
        ("Ed25519", None, lambda d: hashlib.sha512(d).digest()),
        ("Ed448", None, lambda d: hashlib.shake_256(d).digest(114)),
        ("RS256", None, lambda d: hashlib.sha256(d).digest()),
        ("PS384", None, lambda d: hashlib.sha384(d).digest()),
        ("ES512", None, lambda d: hashlib.sha512(d).digest()),
        ("ES256K", None, lambda d: hashlib.sha256(d).digest()),
    ],
)
@pytest.mark.parametrize("value", ["plain-ascii-token", "tøken-with-ünïcode", "a" * 500])
def test_oidc_hash_follows_the_key_and_hashes_the_exact_bytes(alg, curve, digest, value):
    full = digest(value.encode("utf-8"))
    expected = base64.urlsafe_b64encode(full[: len(full) // 2]).rstrip(b"=").decode()
    assert oidc_hash(value, alg, curve) == expected


def test_eddsa_hash_needs_the_verifying_key():
    assert oidc_hash("x", "EdDSA", None) is None
    payload = {"at_hash": oidc_hash("x", "EdDSA", "Ed25519"), "aud": "a"}
    policy = Policy(oidc=True, access_token="x")
    keyless = {c.name: c for c in check_claims(payload, policy, NOW, {"alg": "EdDSA"})}
    assert keyless["at_hash"].status == "fail" and "verifying key" in keyless["at_hash"].message
    with_key = {c.name: c for c in check_claims(payload, policy, NOW, {"alg": "EdDSA"}, key_curve="Ed25519")}
    assert with_key["at_hash"].status == "pass"
    ed448 = {c.name: c for c in check_claims(payload, policy, NOW, {"alg": "EdDSA"}, key_curve="Ed448")}
    assert ed448["at_hash"].status == "fail"  # SHA-512's half is not SHAKE256's


def test_eddsa_at_hash_verified_end_to_end_with_an_ed448_key():
    key = OKPKey.generate_key("Ed448")
    access = "access-token-for-ed448"
    payload = {"aud": "client", "at_hash": oidc_hash(access, "EdDSA", "Ed448"), "exp": NOW + 60}
    token = sign({"alg": "EdDSA"}, payload, key.as_pem(private=True).decode()).token
    policy = Policy(now=NOW, oidc=True, access_token=access, aud=("client",))
    result = verify(token, key.as_pem(private=False).decode(), policy=policy)
    assert result.verified, result.verdict.reason
