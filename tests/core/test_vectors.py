"""Outside oracles: the RFC 7520 JOSE cookbook and Wycheproof's JWS and JWK vectors, run through verify().

The vectors live next to the repository in ../shared/vectors (see its SOURCES.md), read-only. Without them
the module is skipped, except under CI=true, where their absence is an error.

Compact JWS here; the JSON serializations and detached content are in tests/core/test_jws_json.py.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jwtlens.core import InputError, VerifyResult, verify
from jwtlens.core.inspect import KeyText, inspect

from tests.makers import b64url
from tests.paths import VECTORS

COOKBOOK = VECTORS / "rfc7520-cookbook"
WYCHEPROOF = VECTORS / "wycheproof"


def _require(path: Path) -> Path:
    """Skip the module when the vectors are absent; under CI=true, fail instead."""
    if not path.exists():
        reason = f"test vectors not found at {path} (expected ../shared/vectors next to the repository)"
        if os.environ.get("CI", "").strip().lower() in ("true", "1"):
            pytest.fail(f"{reason}; CI=true, so missing vectors are an error, not a skip", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return path


def _load(path: Path) -> Any:
    return json.loads(_require(path).read_text(encoding="utf-8"))


def _tamper(token: str, index: int) -> str:
    """Change one character in the middle of segment ``index`` (0 header, 1 payload, 2 signature)."""
    parts = token.split(".")
    segment = parts[index]
    assert segment, f"segment {index} is empty: nothing to change"
    i = len(segment) // 2
    parts[index] = segment[:i] + ("A" if segment[i] != "A" else "B") + segment[i + 1 :]
    changed = ".".join(parts)
    assert changed != token
    return changed


def _verify_or_none(token: str, key_text: str) -> VerifyResult | None:
    """verify(), or None when jwtlens refuses to read the input at all (InputError)."""
    try:
        return verify(token, key_text)
    except InputError:
        return None


_require(VECTORS)  # first, so that a missing checkout is reported as such rather than as a missing file

SEGMENTS = pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])

# ---------------------------------------------------------------------------------------------------------------
# RFC 7520 cookbook (plus RFC 7797 b64:false, RFC 8037 Ed25519 and the signed half of §6 nesting)
# ---------------------------------------------------------------------------------------------------------------

#: JWK members that only a private key has; dropping them gives the public JWK (an oct key stays whole).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})

#: Cookbook JWS files with no compact serialization, so nothing for jwtlens to verify. Pinned so that a change in
#: the vectors is noticed (test_cookbook_cases_without_compact_form).
NO_COMPACT = {
    "4_6.protecting_specific_header_fields": "kid sits in the unprotected header: JSON serialization only",
    "4_7.protecting_content_only": "no protected header at all: JSON serialization only",
    "4_8.multiple_signatures": "three signatures over one payload: general JSON serialization only",
    "4.2.hmac-sha2_b64_false": "RFC 7797 §4.2 example ('$.02') is given in JSON serialization only",
}

#: Cookbook cases where jwtlens is expected to disagree, with why (none since detached content can be given).
COOKBOOK_DISAGREE: dict[str, str] = {}


@dataclass(frozen=True)
class CookbookCase:
    name: str
    compact: str
    jwk: dict[str, Any]
    payload: str

    @property
    def detached(self) -> bool:
        return self.compact.split(".")[1] == "" and self.payload != ""

    @property
    def attached(self) -> str:
        """The compact token with its payload in place (the same token unless the content is detached)."""
        if not self.detached:
            return self.compact
        header, _, signature = self.compact.split(".")
        return f"{header}.{b64url(self.payload.encode())}.{signature}"

    def key_forms(self) -> dict[str, str]:
        public = {k: v for k, v in self.jwk.items() if k not in _PRIVATE_MEMBERS}
        forms = {"private-jwk": json.dumps(self.jwk)}
        if public != self.jwk:
            forms["public-jwk"] = json.dumps(public)
        return forms


def _cookbook() -> tuple[list[CookbookCase], set[str]]:
    files = [
        *sorted(_require(COOKBOOK / "jws").glob("*.json")),
        *sorted(_require(COOKBOOK / "rfc7797").glob("*.json")),
        _require(COOKBOOK / "curve25519" / "jws.json"),
    ]
    cases, without_compact = [], set()
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        name = path.stem if path.parent.name != "curve25519" else "rfc8037.ed25519"
        compact = data["output"].get("compact")
        if compact is None:
            without_compact.add(name)
            continue
        cases.append(CookbookCase(name, compact, data["input"]["key"], data["input"]["payload"]))
    # §6 nests a signed JWT inside a JWE; its inner JWS (PS256) is an ordinary compact token.
    nesting = _load(COOKBOOK / "6.nesting_signatures_and_encryption.json")["sign"]
    cases.append(
        CookbookCase(
            "6.nesting_signatures_and_encryption.sign",
            nesting["output"]["compact"],
            nesting["input"]["key"],
            nesting["input"]["payload"],
        )
    )
    return cases, without_compact


COOKBOOK_CASES, COOKBOOK_WITHOUT_COMPACT = _cookbook()


def _cookbook_params() -> list[Any]:
    params = []
    for case in COOKBOOK_CASES:
        for form, key_text in case.key_forms().items():
            reason = COOKBOOK_DISAGREE.get(case.name)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(case, key_text, id=f"{case.name}-{form}", marks=marks))
    return params


def test_cookbook_cases_without_compact_form():
    assert set(NO_COMPACT) == COOKBOOK_WITHOUT_COMPACT
    assert len(COOKBOOK_CASES) == 8  # 4_1..4_5, RFC 7797 compact, RFC 8037 Ed25519, §6 inner JWS


@pytest.mark.parametrize(("case", "key_text"), _cookbook_params())
def test_cookbook_compact_verifies(case: CookbookCase, key_text: str):
    # Several payloads are plain text (or carry an exp from 2011), so only the signature is asserted.
    # 4_5's content is detached (RFC 7515 App. F): it verifies when the content is given beside the token.
    content = case.payload.encode() if case.detached else None
    result = inspect(case.compact, KeyText(key_text), payload=content).signed
    assert result is not None
    assert result.signature.valid, result.signature.message
    assert result.signature.status == "verified"
    assert result.token.payload_bytes == case.payload.encode()


def test_cookbook_detached_content_reattached():
    (case,) = [c for c in COOKBOOK_CASES if c.detached]
    assert not verify(case.compact, json.dumps(case.jwk)).signature.valid  # as shipped: detached, see above
    result = verify(case.attached, json.dumps(case.jwk))
    assert result.signature.valid, result.signature.message
    assert result.token.payload_text == case.payload


@SEGMENTS
@pytest.mark.parametrize("case", COOKBOOK_CASES, ids=lambda c: c.name)
def test_cookbook_changed_segment_is_never_valid(case: CookbookCase, segment: int):
    key_text = json.dumps(case.jwk)
    assert verify(case.attached, key_text).signature.valid  # the unchanged token does verify
    result = _verify_or_none(_tamper(case.attached, segment), key_text)
    assert result is None or not result.signature.valid


# ---------------------------------------------------------------------------------------------------------------
# Wycheproof json_web_signature_test.json
# ---------------------------------------------------------------------------------------------------------------

WYCHEPROOF_SIG = _load(WYCHEPROOF / "json_web_signature_test.json")

#: Wycheproof verdicts jwtlens deliberately does not follow (tcId -> why). SOURCES.md lists the first three kinds.
DISAGREE = {
    346: (
        "RFC 7520 Figure 20: a PS384 token checked with a JWK whose alg is 'PS256'; jwtlens honours the JWK's alg "
        "(RFC 7517 §4.4) and will not use the key for PS384, Wycheproof expects 'valid'"
    ),
    350: (
        "RFC 7520 Figure 20 (key_ops variant): a PS384 token checked with a JWK whose alg is 'PS256'; jwtlens "
        "honours the JWK's alg and will not use the key for PS384"
    ),
    347: (
        "RFC 7520 Figure 27: an ES512 token checked with a JWK whose alg is the misspelt 'ES521' (no such JWA "
        "name); jwtlens honours the JWK's alg and will not use the key for ES512"
    ),
    351: (
        "RFC 7520 Figure 27 (key_ops variant): JWK alg is the misspelt 'ES521'; jwtlens honours the JWK's alg "
        "and will not use the key for ES512"
    ),
    367: (
        "'invalidBase64Padding' holds no padding: its jws is character for character tcId 357 (ValidMac), a "
        "correct HS256 token, so jwtlens verifies it"
    ),
    370: (
        "'invalidBase64PaddingInPayload' holds no padding: its jws is character for character tcId 357 "
        "(ValidMac), a correct HS256 token, so jwtlens verifies it"
    ),
    372: (
        "labelled valid, but the header holds '?', which is not base64url (RFC 7515 §2), so jwtlens refuses to "
        "decode it (InputError); the MAC is tcId 357's, computed over the text without the '?', so the token's "
        "own signing input does not match it either"
    ),
    373: (
        "labelled valid, but the payload holds '?', which is not base64url (RFC 7515 §2), so jwtlens refuses to "
        "decode it (InputError); the MAC is tcId 357's, computed over the text without the '?'"
    ),
}


def _is_json_serialization(jws: Any) -> bool:
    return isinstance(jws, dict) or (isinstance(jws, str) and jws.lstrip().startswith("{"))


def _key_text(group: dict[str, Any]) -> str:
    """The group's public key (or key set); HMAC groups only have the secret, under 'private'."""
    for name in ("public", "jwks", "private"):
        if name in group:
            return json.dumps(group[name])
    raise AssertionError(f"group {group.get('comment')!r} has no key")


def _wycheproof_params(data: dict[str, Any], disagree: dict[int, str]) -> tuple[list[Any], list[Any]]:
    """(compact cases as params, JSON-serialization cases: not applicable to jwtlens)."""
    compact, json_serialized = [], []
    for group in data["testGroups"]:
        key_text = _key_text(group)
        for test in group["tests"]:
            tc_id = test["tcId"]
            item = (tc_id, test["jws"], key_text, test["result"])
            if _is_json_serialization(test["jws"]):
                json_serialized.append(item)
                continue
            marks = [pytest.mark.xfail(strict=True, reason=disagree[tc_id])] if tc_id in disagree else []
            compact.append(pytest.param(*item, id=f"{tc_id}-{group['comment']}-{test['comment']}", marks=marks))
    return compact, json_serialized


SIG_CASES, SIG_JSON_CASES = _wycheproof_params(WYCHEPROOF_SIG, DISAGREE)


def _check_verdict(jws: str, key_text: str, expected: str) -> None:
    assert expected in ("valid", "invalid", "acceptable"), expected
    try:
        result = verify(jws, key_text)
    except InputError as exc:
        # Unreadable input is a rejection: fine for "invalid" and "acceptable", wrong for "valid".
        assert expected != "valid", f"valid token refused as input: {exc.problem}"
        return
    if expected == "valid":
        assert result.signature.valid, result.signature.message
    elif expected == "invalid":
        assert not result.signature.valid, "an invalid token was reported verified"
        assert not result.verified


def test_wycheproof_signature_file_is_complete():
    assert len(SIG_CASES) + len(SIG_JSON_CASES) == WYCHEPROOF_SIG["numberOfTests"] == 401
    known = {p.values[0] for p in SIG_CASES}
    assert set(DISAGREE) <= known, f"stale DISAGREE entries: {set(DISAGREE) - known}"


@pytest.mark.parametrize(("tc_id", "jws", "key_text", "expected"), SIG_CASES)
def test_wycheproof_signature(tc_id: int, jws: str, key_text: str, expected: str):
    _check_verdict(jws, key_text, expected)


def test_wycheproof_json_serialization_not_applicable():
    # jwtlens reads compact JWS only; the JSON-serialized cases (flag JsonSerialization: tcId 17, a valid JSON JWS
    # that Wycheproof wants rejected by compact-only verifiers) are not applicable. What jwtlens must never do is
    # call one verified: it refuses to read it as a token.
    assert [tc_id for tc_id, *_ in SIG_JSON_CASES] == [17]
    for _, jws, key_text, _ in SIG_JSON_CASES:
        text = jws if isinstance(jws, str) else json.dumps(jws)
        with pytest.raises(InputError):
            verify(text, key_text)


# ---------------------------------------------------------------------------------------------------------------
# Wycheproof json_web_key_test.json: all 26 cases are compact HS/RS/ES JWS checked against a JWKS
# ---------------------------------------------------------------------------------------------------------------

WYCHEPROOF_KEY = _load(WYCHEPROOF / "json_web_key_test.json")

#: Key-validation verdicts jwtlens does not follow (tcId in json_web_key_test.json -> why). jwtlens is a debugger:
#: it verifies the signature and reports a weak key as a finding (KEY_FINDINGS) rather than refusing it.
KEY_DISAGREE = {
    1: (
        "MixedKeySet/Ambiguous: the JWKS mixes an HMAC secret with an EC public key and Wycheproof's best practice "
        "is to refuse the whole set; jwtlens picks the key by kid and checks its kty against alg (so no HS/ES "
        "confusion is possible) and verifies"
    ),
    7: (
        "ROCA-weak RSA modulus (CVE-2017-15361): the signature is mathematically valid and jwtlens does not "
        "fingerprint ROCA moduli, so it verifies (no finding either)"
    ),
}
#: RFC 7518 forbids these keys, so jwtlens refuses them as Wycheproof expects (status weak_key, verdict 401);
#: with "allow weak keys" (testing only) they verify and the weakness stays named as a finding.
KEY_FINDINGS = {8: "rsa_key_small", 10: "secret_too_short", 11: "secret_too_short", 12: "secret_too_short"}
# Note tcId 4 (DuplicateKid) passes for another reason than the one it tests: its second key's "k" is not
# canonical base64url, so the JWKS is refused as input. Two *readable* keys with one kid are tried in turn.

KEY_CASES, KEY_JSON_CASES = _wycheproof_params(WYCHEPROOF_KEY, KEY_DISAGREE)


def test_wycheproof_key_file_is_complete():
    assert not KEY_JSON_CASES
    assert len(KEY_CASES) == WYCHEPROOF_KEY["numberOfTests"] == 26
    known = {p.values[0] for p in KEY_CASES}
    assert set(KEY_DISAGREE) <= known and set(KEY_FINDINGS) <= known


@pytest.mark.parametrize(("tc_id", "jws", "key_text", "expected"), KEY_CASES)
def test_wycheproof_key(tc_id: int, jws: str, key_text: str, expected: str):
    _check_verdict(jws, key_text, expected)


@pytest.mark.parametrize(
    ("tc_id", "jws", "key_text", "expected"),
    [pytest.param(*p.values, id=p.id) for p in KEY_CASES if p.values[0] in KEY_FINDINGS],
)
def test_wycheproof_weak_key_is_refused_with_the_rfc_reason(tc_id: int, jws: str, key_text: str, expected: str):
    assert expected == "invalid"
    refused = verify(jws, key_text)
    assert refused.signature.status == "weak_key" and refused.verdict.status == 401
    assert "RFC 7518 §3." in refused.signature.message
    assert KEY_FINDINGS[tc_id] in {f.code for f in refused.findings}
    allowed = verify(jws, key_text, allow_weak_keys=True)  # some payloads are not claims ("foo"): 401 for that
    assert allowed.signature.valid and allowed.signature.weak_allowed is not None
    assert "testing only" in allowed.signature.message and not allowed.verdict.reason.startswith("signature")


# ---------------------------------------------------------------------------------------------------------------
# Right verdict and the right reason: regressions found while checking the vectors above.
# ---------------------------------------------------------------------------------------------------------------


def _case(data: dict[str, Any], tc_id: int) -> tuple[str, dict[str, Any]]:
    for group in data["testGroups"]:
        for test in group["tests"]:
            if test["tcId"] == tc_id:
                return test["jws"], group
    raise AssertionError(f"tcId {tc_id} not found")


@pytest.mark.parametrize("tc_id", [355, 356], ids=["rsa", "ec"])
def test_key_ops_without_verify_is_named(tc_id: int):
    jws, group = _case(WYCHEPROOF_SIG, tc_id)
    public = group["public"]
    assert public["key_ops"] == ["encrypt"]
    # The signature itself is good: the same key without key_ops verifies it.
    unrestricted = {k: v for k, v in public.items() if k != "key_ops"}
    assert verify(jws, json.dumps(unrestricted)).signature.valid
    result = verify(jws, json.dumps(public))
    assert not result.signature.valid
    # The key was never usable for verifying; saying the token "was changed after signing" misleads.
    assert [a.outcome for a in result.signature.attempts] == ["skipped"]
    assert "does not match" not in result.signature.message


@pytest.mark.parametrize("tc_id", [16, 17, 18], ids=["HS256", "HS384", "HS512"])
def test_empty_jwk_secret_is_refused_like_an_empty_secret(tc_id: int):
    jws, group = _case(WYCHEPROOF_KEY, tc_id)
    assert group["private"]["keys"][0]["k"] == ""
    try:
        result = verify(jws, json.dumps(group["private"]))
    except InputError as exc:
        assert exc.problem.segment == "key"  # refused like a pasted empty secret (key_empty): fine
        return
    assert not result.signature.valid
    assert "does not match" not in result.signature.message


@pytest.mark.parametrize("tc_id", [9, 22, 23], ids=["rsa-exponent-1", "ec-point-off-curve", "ec-wrong-curve"])
def test_unusable_jwk_numbers_are_named(tc_id: int):
    jws, group = _case(WYCHEPROOF_KEY, tc_id)
    with pytest.raises(InputError) as caught:
        verify(jws, json.dumps(group["public"]))
    assert caught.value.problem.code == "jwk_invalid"
    assert "missing or not valid base64url" not in caught.value.problem.message
