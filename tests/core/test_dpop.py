"""DPoP proofs (RFC 9449): the RFC's figures, each §4.3 check broken once, and the findings rule for header keys."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from joserfc.jwk import ECKey, OKPKey
from jwcrypto.jwk import JWK
from jwtlens.core.dpop import DpopRequest, ath_of, check_dpop, normal_htu, record_proof
from jwtlens.core.errors import InputError
from jwtlens.core.inspect import KeyText, inspect
from jwtlens.core.policy import Policy, ReplayGuard

from tests.paths import VECTORS
from tests.sdjwt_tokens import dpop_proof, signed

VECTORS = json.loads((VECTORS / "rfc-examples" / "sdjwt-dpop.json").read_text())
RFC = VECTORS["rfc9449"]
NOW = 1_800_000_000
URL = "https://api.example.com/v1/items"


class MemoryReplay(ReplayGuard):
    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], float] = {}

    def first_seen(self, issuer: str, jti: str) -> float | None:
        return self.seen.get((issuer, jti))

    def record(self, issuer: str, jti: str, keep_until: float) -> float | None:
        if (issuer, jti) in self.seen:
            return self.seen[(issuer, jti)]
        self.seen[(issuer, jti)] = time.time()
        return None


@pytest.fixture(scope="module")
def key() -> ECKey:
    return ECKey.generate_key("P-256")


def _status(result: Any, name: str) -> str:
    return next(c.status for c in result.checks if c.name == name)


def test_rfc_figures_verify_and_thumbprint_matches_jwcrypto() -> None:
    token = check_dpop(
        DpopRequest(RFC["token_request_proof"], "POST", RFC["token_request"]["htu"]), now=RFC["token_request"]["iat"]
    )
    assert token.valid and token.jkt == RFC["jkt"]
    assert token.jkt == JWK(**RFC["proof_public_jwk"]).thumbprint()
    resource = check_dpop(
        DpopRequest(RFC["resource_proof"], "GET", RFC["resource_request"]["htu"], RFC["access_token"]),
        now=RFC["resource_request"]["iat"],
    )
    assert resource.valid and _status(resource, "ath") == "pass"
    assert ath_of(RFC["access_token"]) == RFC["ath"]
    assert _status(resource, "cnf.jkt") == "skip"  # the RFC's access token is opaque
    # The same figure against another method, URL, access token or moment fails that one row.
    for request, row in (
        (DpopRequest(RFC["resource_proof"], "POST", RFC["resource_request"]["htu"]), "htm"),
        (DpopRequest(RFC["resource_proof"], "GET", "https://resource.example.org/other"), "htu"),
        (DpopRequest(RFC["resource_proof"], "GET", RFC["resource_request"]["htu"], "another-token"), "ath"),
    ):
        result = check_dpop(request, now=RFC["resource_request"]["iat"])
        assert not result.valid and _status(result, row) == "fail"
    late = DpopRequest(RFC["resource_proof"], "GET", RFC["resource_request"]["htu"])
    assert _status(check_dpop(late, now=RFC["resource_request"]["iat"] + 3600), "iat") == "fail"


@pytest.mark.parametrize(
    "given",
    [
        URL,
        "HTTPS://API.EXAMPLE.COM/v1/items",
        "https://api.example.com:443/v1/items",
        "https://api.example.com/v1/items?page=2",
        "https://api.example.com/v1/items#frag",
        " https://api.example.com/v1/items?x=1#y ",
    ],
)
def test_htu_spellings_of_the_same_url_match(key: ECKey, given: str) -> None:
    result = check_dpop(DpopRequest(dpop_proof(key, "GET", URL, NOW), "GET", given), now=NOW)
    assert result.valid, result.checks


@pytest.mark.parametrize(
    "given",
    [
        "https://api.example.com/v1/Items",
        "http://api.example.com/v1/items",
        "https://api.example.com:8443/v1/items",
        "https://api.example.org/v1/items",
        "https://api.example.com/v1/items/",
        "/v1/items",
        "ftp://api.example.com/v1/items",
    ],
)
def test_htu_of_another_url_fails(key: ECKey, given: str) -> None:
    result = check_dpop(DpopRequest(dpop_proof(key, "GET", URL, NOW), "GET", given), now=NOW)
    assert _status(result, "htu") == "fail" and not result.valid


def test_normal_htu_default_ports() -> None:
    assert normal_htu("http://A.example:80") == "http://a.example/"
    assert normal_htu("https://[::1]:443/x") == "https://[::1]/x"
    assert normal_htu("https://a.example:99999/") is None


def test_access_token_binding(key: ECKey) -> None:
    issuer = ECKey.generate_key("P-256")
    proof_jkt = check_dpop(DpopRequest(dpop_proof(key, "GET", URL, NOW), "GET", URL), now=NOW).jkt
    assert proof_jkt == key.thumbprint()
    bound = signed({}, {"sub": "u", "cnf": {"jkt": proof_jkt}}, issuer)
    other = signed({}, {"sub": "u", "cnf": {"jkt": ECKey.generate_key("P-256").thumbprint()}}, issuer)
    unbound = signed({}, {"sub": "u"}, issuer)
    for access, jkt_status in ((bound, "pass"), (other, "fail"), (unbound, "fail")):
        proof = dpop_proof(key, "GET", URL, NOW, ath=ath_of(access))
        result = check_dpop(DpopRequest(proof, "GET", URL, access), now=NOW)
        assert _status(result, "ath") == "pass" and _status(result, "cnf.jkt") == jkt_status
        assert result.valid is (jkt_status == "pass")
    missing_ath = check_dpop(DpopRequest(dpop_proof(key, "GET", URL, NOW), "GET", URL, bound), now=NOW)
    assert _status(missing_ath, "ath") == "fail" and not missing_ath.valid


def test_private_key_in_the_header_is_refused_and_a_danger(key: ECKey) -> None:
    leaked = dpop_proof(key, "GET", URL, NOW, header={"jwk": key.as_dict(private=True)})
    result = check_dpop(DpopRequest(leaked, "GET", URL), now=NOW)
    assert _status(result, "jwk") == "fail" and not result.valid
    inspected = inspect(leaked, None, policy=Policy(now=NOW))
    codes = {f.code: f.severity for f in inspected.findings}
    assert codes.get("dpop_private_key") == "danger" and "embedded_jwk" not in codes
    # The public proof: no embedded-key warning for DPoP; any other token with a header jwk keeps it.
    public = inspect(dpop_proof(key, "GET", URL, NOW), None, policy=Policy(now=NOW))
    assert {f.code for f in public.findings}.isdisjoint({"embedded_jwk", "dpop_private_key"})
    plain = signed({"jwk": key.as_dict(private=False), "typ": "JWT"}, {"sub": "u"}, key)
    assert "embedded_jwk" in {f.code for f in inspect(plain, None, policy=Policy(now=NOW)).findings}


def test_proof_structure_rows(key: ECKey) -> None:
    cases = {
        "typ": dpop_proof(key, "GET", URL, NOW, header={"typ": "JWT"}),
        "jwk": signed({"typ": "dpop+jwt"}, {"jti": "j", "htm": "GET", "htu": URL, "iat": NOW}, key),
        "signature": dpop_proof(
            key, "GET", URL, NOW, header={"jwk": ECKey.generate_key("P-256").as_dict(private=False)}
        ),
        "jti": dpop_proof(key, "GET", URL, NOW, jti=None),
        "iat": dpop_proof(key, "GET", URL, NOW + 600),
    }
    for name, proof in cases.items():
        result = check_dpop(DpopRequest(proof, "GET", URL), now=NOW)
        assert _status(result, name) == "fail" and not result.valid, name
    ed = OKPKey.generate_key("Ed25519")
    proof = signed(
        {"alg": "Ed25519", "typ": "dpop+jwt", "jwk": ed.as_dict(private=False)},
        {"jti": "j", "htm": "GET", "htu": URL, "iat": NOW},
        ed,
    )
    assert check_dpop(DpopRequest(proof, "GET", URL), now=NOW).valid


def test_nonce_and_replay(key: ECKey) -> None:
    proof = dpop_proof(key, "GET", URL, NOW, nonce="server-nonce")
    assert check_dpop(DpopRequest(proof, "GET", URL, nonce="server-nonce"), now=NOW).valid
    assert _status(check_dpop(DpopRequest(proof, "GET", URL, nonce="newer"), now=NOW), "nonce") == "fail"
    no_nonce = dpop_proof(key, "GET", URL, NOW)
    assert _status(check_dpop(DpopRequest(no_nonce, "GET", URL, nonce="n"), now=NOW), "nonce") == "fail"
    replay = MemoryReplay()
    first = check_dpop(DpopRequest(no_nonce, "GET", URL), now=NOW, replay=replay)
    assert first.valid and _status(first, "replay") == "pass" and not replay.seen
    recorded = record_proof(first, replay, NOW)
    assert recorded.valid and len(replay.seen) == 1
    again = check_dpop(DpopRequest(no_nonce, "GET", URL), now=NOW, replay=replay)
    assert _status(again, "replay") == "fail" and not again.valid
    # Two requests racing with one proof: the one that records second is the replay.
    assert not record_proof(first, replay, NOW).valid


def test_dpop_beside_a_token_in_inspect(key: ECKey) -> None:
    issuer = ECKey.generate_key("P-256")
    access = signed({}, {"sub": "u", "cnf": {"jkt": key.thumbprint()}}, issuer)
    issuer_key = KeyText(json.dumps(issuer.as_dict(private=False)))
    good = dpop_proof(key, "GET", URL, NOW, ath=ath_of(access))
    result = inspect(access, issuer_key, policy=Policy(now=NOW), dpop=DpopRequest(good, "GET", URL))
    assert result.verified and result.dpop is not None and result.dpop.valid
    wrong = inspect(access, issuer_key, policy=Policy(now=NOW), dpop=DpopRequest(good, "GET", URL + "/x"))
    assert wrong.verdict.status == 401 and wrong.verdict.reason.startswith("dpop htu")
    with pytest.raises(InputError) as caught:
        inspect(access, issuer_key, policy=Policy(now=NOW), dpop=DpopRequest("eyJhbGciOi.x", "GET", URL))
    assert caught.value.problem.segment == "dpop.proof" and "eyJhbGciOi" not in caught.value.problem.message


def test_a_failing_proof_records_neither_jti(key: ECKey) -> None:
    issuer = ECKey.generate_key("P-256")
    access = signed({}, {"sub": "u", "jti": "at-1", "cnf": {"jkt": key.thumbprint()}}, issuer)
    issuer_key = KeyText(json.dumps(issuer.as_dict(private=False)))
    proof = dpop_proof(key, "GET", URL, NOW, ath=ath_of(access))
    replay, policy = MemoryReplay(), Policy(now=NOW, replay=True)
    options: dict[str, Any] = {"policy": policy, "replay": replay, "record_jti": True}
    wrong = inspect(access, issuer_key, dpop=DpopRequest(proof, "GET", URL + "/x"), **options)
    assert wrong.verdict.status == 401 and not replay.seen
    good = inspect(access, issuer_key, dpop=DpopRequest(proof, "GET", URL), **options)
    assert good.verified and len(replay.seen) == 2  # the access token's jti and the proof's
    again = inspect(access, issuer_key, dpop=DpopRequest(proof, "GET", URL), **options)
    assert again.verdict.status == 401
