"""htmx fragments in-process: which panes each edit updates, and what they say."""

from __future__ import annotations

import json
import re
import time

import pytest
from jwtlens.core import SUPPORTED, sign, verify

from tests.makers import future, hs_by_hand
from tests.web.pages import form, oob_ids, textarea, token_layer


def hs(secret: str, **claims) -> str:
    return sign({"alg": "HS256", "typ": "JWT"}, {"sub": "ada", "name": "Ada", "exp": future(), **claims}, secret).token


def test_page_has_three_panes_and_vendored_scripts_only(client):
    html = client.get("/").text
    for pane in ("pane-encoded", "pane-decoded", "pane-verify"):
        assert f'id="{pane}"' in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(s.startswith("/static/") for s in scripts)
    assert "<script>" not in html and "style=" not in html  # nothing inline: the CSP forbids it
    assert "Signature verified" in html  # the example on first load verifies


def test_static_files_are_versioned_and_cached(client):
    html = client.get("/").text
    url = re.search(r'src="(/static/htmx-[^"]+)"', html).group(1)
    assert "?v=" in url
    response = client.get(url)
    assert response.status_code == 200 and "immutable" in response.headers["cache-control"]


def test_token_fragment_updates_everything_but_the_token_box(client, secret):
    html = client.post("/fragments/token", data=form(token=hs(secret), key=secret)).text
    assert "<html" not in html
    ids = oob_ids(html)
    assert "token" not in ids
    assert {"encoded", "editors", "edit-error", "claims", "verify-result", "findings"} <= set(ids)
    assert '"alg": "HS256"' in textarea(html, "header-json")
    assert '"name": "Ada"' in textarea(html, "payload-json")
    assert "Signature verified" in html and 'data-claim="exp"' in html and "expires in" in html


def test_wrong_secret_shows_invalid_signature(client, secret):
    html = client.post("/fragments/token", data=form(token=hs(secret), key="not-it")).text
    assert "Invalid signature" in html and "Signature verified" not in html


def test_malformed_token_shows_the_reason(client):
    html = client.post("/fragments/token", data=form(token="abc.def")).text
    assert 'role="alert"' in html and "three segments" in html


def test_verify_mode_edit_keeps_the_old_signature_and_is_invalid(client, secret):
    token = hs(secret)
    fields = form(token=token, key=secret, header_json='{"alg": "HS256", "typ": "JWT"}')
    fields["payload_json"] = '{"sub": "mallory", "exp": 9999999999}'
    html = client.post("/fragments/edit", data=fields).text
    ids = oob_ids(html)
    assert "token" in ids and "editors" not in ids  # the editor being typed in is left alone
    new_token = textarea(html, "token")
    assert new_token != token and new_token.split(".")[2] == token.split(".")[2]
    assert "Invalid signature" in html and "Signature verified" not in html


def test_sign_mode_edit_resigns_with_the_signing_key(client, secret):
    fields = form(token=hs(secret), mode="sign", sign_key=secret, header_json='{"alg": "HS256"}')
    fields["payload_json"] = '{"sub": "grace", "exp": 9999999999}'
    html = client.post("/fragments/edit", data=fields).text
    new_token = textarea(html, "token")
    assert verify(new_token, secret).verified
    assert "Re-signed with the signing key (HS256)" in html and "Signature verified" in html


def test_sign_mode_without_a_key_never_shows_valid(client, secret):
    fields = form(token=hs(secret), mode="sign", header_json='{"alg": "HS256"}', payload_json='{"sub": "x"}')
    html = client.post("/fragments/edit", data=fields).text
    assert "Not re-signed: enter a signing key" in html and "Signature verified" not in html


def test_sign_mode_with_a_public_key_explains(client, rsa_pair):
    fields = form(mode="sign", sign_key=rsa_pair.public_pem, header_json='{"alg": "RS256"}', payload_json='{"a": 1}')
    fields["token"] = sign({"alg": "RS256"}, {}, rsa_pair.private_pem).token
    html = client.post("/fragments/edit", data=fields).text
    assert "signing needs its private key" in html and "Signature verified" not in html
    assert html.count("Not re-signed") == 1 and 'id="verdict"' not in html


@pytest.mark.parametrize("sign_key", ["", "another-signing-secret-0123456789abcdef", "PUBLIC"])
def test_switching_to_sign_mode_changes_nothing(client, secret, rsa_pair, sign_key):
    token = hs(secret)
    sign_key = rsa_pair.public_pem if sign_key == "PUBLIC" else sign_key
    verify_mode = client.post("/fragments/token", data=form(token=token, key=secret)).text
    fields = form(token=token, key=secret, mode="sign", sign_key=sign_key, changed="mode")
    fields.update(header_json='{"alg": "HS256", "typ": "JWT"}', payload_json=textarea(verify_mode, "payload-json"))
    html = client.post("/fragments/settings", data=fields).text
    assert "Signature verified" in html and "Not re-signed" not in html and 'id="sign-note"' not in html
    assert 'id="token"' not in oob_ids(html)  # the token box is left as it was


def test_a_public_key_in_the_signing_box_is_one_refusal_on_every_edit(client, secret, rsa_pair, ec_pair):
    token = sign({"alg": "RS256"}, {"sub": "x"}, rsa_pair.private_pem).token
    for sign_key in (rsa_pair.public_pem, rsa_pair.public_jwk, ec_pair.public_pem):
        fields = form(token=token, key=rsa_pair.public_pem, mode="sign", sign_key=sign_key)
        fields.update(header_json='{"alg": "RS256"}', payload_json='{"sub": "edited"}')
        html = client.post("/fragments/edit", data=fields).text
        assert html.count("Not re-signed") == 1 and "signing key" in html
        assert "Signature verified" not in html and 'id="verdict"' not in html


def test_broken_editor_json_only_reports_the_error(client, secret):
    fields = form(token=hs(secret), key=secret, header_json='{"alg": "HS256"', payload_json="{}")
    html = client.post("/fragments/edit", data=fields).text
    # the error, and the layers under the editors (the error marked at its line); nothing else changes
    assert oob_ids(html) == ["header-layer", "header-marks", "payload-layer", "payload-marks", "edit-error"]
    assert "Header JSON:" in html and "line 1, column 16" in html
    header_layer = re.search(r'<div id="header-layer".*?</div>', html, re.DOTALL).group(0)
    assert 'class="mark mark-error" data-line="0"' in header_layer and 'class="j-err-at"' in header_layer


def test_duplicate_key_in_editor_is_refused(client, secret):
    fields = form(token=hs(secret), header_json='{"alg": "HS256", "alg": "none"}', payload_json="{}")
    html = client.post("/fragments/edit", data=fields).text
    assert "more than once" in html


def test_settings_change_reverifies_without_touching_inputs(client, secret):
    html = client.post("/fragments/settings", data=form(token=hs(secret), key=secret)).text
    assert "Signature verified" in html
    assert not {"token", "editors"} & set(oob_ids(html))


def test_narrowed_allowlist_refuses(client, secret):
    fields = form(token=hs(secret), key=secret, algorithms_present="1")
    fields["algorithms"] = "RS256"
    html = client.post("/fragments/settings", data=fields).text
    assert "Refused" in html and "not in the allowed algorithms" in html


def test_garbage_key_is_shown_next_to_the_key_and_the_token_still_decodes(client, secret):
    fields = form(token=hs(secret), key="-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----")
    html = client.post("/fragments/settings", data=fields).text
    assert 'id="key-error"' in html and "could not be read" in html
    assert "Signature not checked" in html


@pytest.mark.parametrize("alg", SUPPORTED)
def test_example_for_every_algorithm_verifies(client, alg):
    html = client.post("/fragments/example", data={"example_alg": alg}).text
    assert html.lstrip().startswith('<form id="debugger"')
    assert "Signature verified" in html, alg
    assert textarea(html, "sign-key")  # the example fills the signing key too


def test_unknown_example_falls_back(client):
    assert "Signature verified" in client.post("/fragments/example", data={"example_alg": "XX"}).text


def test_token_content_is_escaped(client, secret):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    html = client.post("/fragments/token", data=form(token=hs(secret, name=evil), key=secret)).text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_oversized_form_is_413_fragment_the_page_can_place(client):
    html = client.post("/fragments/token", data=form(token="a" * 2_000_000))
    assert html.status_code == 413 and 'id="request-error"' in html.text and "larger than" in html.text
    assert html.headers["hx-reswap"] == "none"  # the form stays; only the message is placed
    assert 'id="request-error"' in client.get("/").text  # the target exists on the page


# --- validation policy in the Verify pane ---------------------------------------


def test_policy_fields_mark_each_claim(client, secret):
    token = hs(secret, iss="https://idp", aud="api", roles=["user"])
    fields = form(token=token, key=secret, policy_iss="https://idp/", policy_aud="api\nweb")
    fields["policy_rules"] = "roles contains admin"
    html = client.post("/fragments/settings", data=fields).text
    assert re.search(r'data-claim="iss" class="claim status-fail"', html)
    assert re.search(r'data-claim="aud" class="claim status-pass"', html)
    assert "roles contains &#39;admin&#39;" in html and "401" in html
    assert 'class="timeline"' in html and "marker-now" in html


def test_rule_failure_alone_is_a_403(client, secret):
    fields = form(token=hs(secret, roles=["user"]), key=secret, policy_rules="roles contains admin")
    html = client.post("/fragments/settings", data=fields).text
    assert "a gateway would answer <strong>403</strong>" in html


def test_check_as_of_moves_now(client, secret):
    token = hs(secret, exp=1_800_000_000)
    fields = form(token=token, key=secret, policy_now="2027-01-15T08:00:01Z")
    html = client.post("/fragments/settings", data=fields).text
    assert "expired 1 s ago" in html
    html = client.post("/fragments/settings", data={**fields, "policy_now": "tomorrow"}).text
    assert 'id="policy-error"' in html and "ISO 8601" in html
    assert 'id="policy-now-error"' in html and "Policy invalid" in html and "Verified" not in html


def test_record_button_is_the_only_writer_of_the_replay_log(client, secret):
    fields = form(token=hs(secret, jti="abc"), key=secret, policy_replay="on")
    for _ in range(2):  # keystrokes: checked, never recorded
        assert "first use of this jti" in client.post("/fragments/settings", data=fields).text
    recorded = client.post("/fragments/record", data=fields).text
    assert "Replay log: 1 jti recorded" in recorded
    replayed = client.post("/fragments/settings", data=fields).text
    assert "replay: this jti was already verified" in replayed
    cleared = client.post("/fragments/replay/clear", data=fields).text
    assert "Replay log: 0 jti recorded" in cleared


def test_profile_save_and_load_through_the_page(client, rsa_pair):
    token = sign({"alg": "RS256"}, {"iss": "https://idp", "exp": future()}, rsa_pair.private_pem).token
    fields = form(token=token, key=rsa_pair.public_pem, policy_iss="https://idp", profile_save_name="idp")
    saved = client.post("/fragments/profile/save", data=fields).text
    # the picker shows the profile just saved, and keeps a loaded one selected
    assert "Saved profile &#39;idp&#39;" in saved and '<option value="idp" selected>' in saved
    loaded = client.post("/fragments/profile/load", data=form(token=token, profile_name="idp")).text
    assert "Loaded profile" in loaded and "Signature verified" in loaded
    assert '<option value="idp" selected>' in loaded
    assert textarea(loaded, "policy-iss") == "https://idp"
    assert "BEGIN PUBLIC KEY" in textarea(loaded, "key")
    deleted = client.post("/fragments/profile/delete", data=form(token=token, profile_name="idp")).text
    assert "Deleted profile" in deleted and '<option value="idp"' not in deleted


def test_profile_secret_is_dropped_without_the_tick(client, secret):
    fields = form(token=hs(secret), key=secret, profile_save_name="hs")
    html = client.post("/fragments/profile/save", data=fields).text
    assert "was not stored" in html
    loaded = client.post("/fragments/profile/load", data=form(token=hs(secret), profile_name="hs")).text
    assert textarea(loaded, "key") == ""


def test_profile_import_rejects_garbage(client):
    html = client.post("/fragments/profile/import", data=form(profile_import="{nope")).text
    assert "Not imported" in html


def test_findings_mark_the_part_of_the_token_they_concern(client):
    token = hs_by_hand({"alg": "HS256"}, {"sub": "a"}, b"your-256-bit-secret")
    html = client.post("/fragments/token", data=form(token=token)).text
    assert 'class="tok-signature flagged"' in html and 'class="tok-header"' in html
    assert 'data-code="weak_secret" data-segment="signature"' in html
    severities = re.findall(r'class="finding finding-(\w+)"', html)
    assert severities == sorted(severities, key=["danger", "warning", "info"].index)


def test_jwks_table_lists_every_key_and_why_it_did_not_match(client, rsa_pair, ec_pair):
    import json as _json

    ec = {**_json.loads(ec_pair.public_jwk), "kid": "ec-1", "use": "sig", "alg": "ES256"}
    rsa_key = {**_json.loads(rsa_pair.public_jwk), "kid": "rsa-1"}
    enc = {**_json.loads(ec_pair.public_jwk), "kid": "ec-1", "use": "enc"}
    token = sign({"alg": "ES256", "kid": "ec-1"}, {"exp": future()}, ec_pair.private_pem).token
    html = client.post(
        "/fragments/settings", data=form(token=token, key=_json.dumps({"keys": [rsa_key, enc, ec]}))
    ).text
    assert "JWKS (3 keys): which key matched" in html
    rows = re.findall(r'<tr class="attempt-(\w+)"><td>(\d)</td><td class="mono">([\w-]+)</td>', html)
    assert rows == [("skipped", "1", "rsa-1"), ("skipped", "2", "ec-1"), ("verified", "3", "ec-1")]
    assert "kid &#39;rsa-1&#39; is not the token&#39;s &#39;ec-1&#39;" in html
    assert "the key&#39;s use is &#39;enc&#39;, not &#39;sig&#39;" in html
    assert "P-256" in html and "Signature verified" in html


# --- JWE, key tools, encryption in the page -----------------------------------------------------


def _jwe(client, plaintext: str, public_pem: str, alg: str = "RSA-OAEP-256") -> str:
    header = {"alg": alg, "enc": "A256GCM", "cty": "JWT"}
    return client.post("/api/encrypt", json={"header": header, "plaintext": plaintext, "key": public_pem}).json()[
        "token"
    ]


def test_jwe_is_colour_coded_and_its_header_shown_without_a_key(client, rsa_pair):
    jwe = _jwe(client, "hello", rsa_pair.public_pem)
    html = client.post("/fragments/token", data=form(token=jwe)).text
    assert "Encrypted token (JWE)" in html
    layer = token_layer(html)
    parts = dict(re.findall(r'<span class="tok-(\w+)">([^<]*)</span>', layer))
    assert list(parts) == ["header", "encrypted_key", "iv", "ciphertext", "tag"]
    assert list(parts.values()) == jwe.split(".")
    assert '"alg": "RSA-OAEP-256"' in textarea(html, "header-json")
    assert "enter the key to decrypt" in html


def test_nested_jwt_is_decrypted_and_verified_in_place(client, rsa_pair, ec_pair):
    inner = sign({"alg": "ES256"}, {"sub": "inside", "exp": future()}, ec_pair.private_pem).token
    jwe = _jwe(client, inner, rsa_pair.public_pem)
    fields = form(token=jwe, key=rsa_pair.private_pem, inner_key=ec_pair.public_pem)
    html = client.post("/fragments/token", data=fields).text
    assert "Decrypted" in html and "Inner signed token" in html and "Signature verified" in html
    assert textarea(html, "payload-json") == inner
    assert 'data-claim="sub"' in html
    wrong = client.post("/fragments/token", data=form(token=jwe, key=ec_pair.private_pem)).text
    assert "Not decrypted" in wrong and "Signature verified" not in wrong


def test_encrypt_the_token_in_sign_mode(client, rsa_pair, secret):
    token = hs(secret)
    fields = form(token=token, encrypt_alg="RSA-OAEP", encrypt_enc="A128GCM", encrypt_key=rsa_pair.public_pem)
    html = client.post("/fragments/encrypt", data=fields).text
    jwe = textarea(html, "encrypted-token")
    decrypted = client.post("/api/decrypt", json={"token": jwe, "key": rsa_pair.private_pem}).json()
    assert decrypted["plaintext"] == token and decrypted["header"]["cty"] == "JWT"
    refused = client.post("/fragments/encrypt", data={**fields, "encrypt_key": "not a key"}).text
    assert 'role="alert"' in refused


def test_keygen_and_convert_fragments(client):
    html = client.post("/fragments/keygen", data={"kind": "OKP:Ed25519", "kid": "my-key"}).text
    assert "BEGIN PRIVATE KEY" in textarea(html, "key-out-1") and '"kid": "my-key"' in textarea(html, "key-out-3")
    assert 'data-filename="jwks.json"' in html and "RFC 7638 thumbprint" in html
    public_pem = textarea(html, "key-out-2")
    converted = client.post("/fragments/convert", data={"key": public_pem, "to": "jwk"}).text
    assert '"crv": "Ed25519"' in textarea(converted, "key-out-1")
    secret = client.post("/fragments/keygen", data={"kind": "oct:256"}).text
    assert "Public JWK" not in secret and "BEGIN" not in secret
    bad = client.post("/fragments/keygen", data={"kind": "RSA:1024"}).text
    assert 'role="alert"' in bad and "2048" in bad


def test_first_load_is_light_and_compressed(client):
    page = client.get("/", headers={"accept-encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip" and page.headers["vary"] == "Accept-Encoding"
    total = int(page.headers["content-length"])
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        response = client.get(url, headers={"accept-encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip" and "immutable" in response.headers["cache-control"]
        total += int(response.headers["content-length"])
    assert total < 60 * 1024  # the page-weight budget; the bench measures it in a browser too
    plain = client.get("/static/app.css", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text.startswith(":root")


def test_fragments_are_never_compressed(client, secret):
    # Compressed answers that echo a secret next to attacker-influenced text would leak it by length (BREACH).
    response = client.post(
        "/fragments/token", data=form(token=hs(secret), key=secret), headers={"accept-encoding": "gzip"}
    )
    assert "content-encoding" not in response.headers


def test_store_secret_box_says_where_it_writes(client, settings):
    assert str(settings.database) in client.get("/").text


@pytest.mark.parametrize(
    "offsets",
    [
        {"iat": 0, "nbf": 0, "exp": 600},  # iat = nbf = now: three labels at one spot
        {"iat": -1, "nbf": 0, "exp": 1},
        {"iat": -86400 * 365, "nbf": -86400 * 365, "exp": -86400 * 365 + 1},  # all long ago, now far right
        {"exp": 5},
    ],
)
def test_timeline_labels_never_overlap(client, secret, offsets):
    now = int(time.time())
    token = sign({"alg": "HS256"}, {name: now + delta for name, delta in offsets.items()}, secret).token
    html = client.post("/fragments/token", data=form(token=token, key=secret)).text
    labels = re.findall(r'<text x="([\d.]+)" y="(\d+)" text-anchor="middle">(\w+)</text>', html)
    assert {name for _, _, name in labels} == {*offsets, "now"}
    boxes = [(float(x) - len(name) * 8, float(x) + len(name) * 8, y) for x, y, name in labels]
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[1] <= 1000
        for b in boxes[i + 1 :]:
            assert a[2] != b[2] or a[1] <= b[0] or b[1] <= a[0], (labels, a, b)


def test_a_token_or_editor_edit_leaves_the_policy_messages_alone(client, secret):
    """The policy's messages change only with the policy: the keystroke answers stay small."""
    fields = form(token=hs(secret), key=secret, policy_leeway="-5")
    token_answer = client.post("/fragments/token", data=fields).text
    edit_answer = client.post(
        "/fragments/edit", data={**fields, "header_json": '{"alg": "HS256"}', "payload_json": '{"sub": "b"}'}
    ).text
    settings_answer = client.post("/fragments/settings", data=fields).text
    for answer in (token_answer, edit_answer):
        assert "policy-leeway-error" not in oob_ids(answer)
        assert "Policy invalid" in answer  # the verdict still fails closed on the invalid policy
    assert "policy-leeway-error" in oob_ids(settings_answer) and "Leeway must be" in settings_answer


@pytest.mark.parametrize(
    "bad_key",
    [
        "-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----",
        '{"kty": "RSA", "n": "AQAB"}',
        '{"keys": [{"kty": "EC", "crv": "P-256", "x": "AA"}]}',
    ],
)
def test_a_key_that_cannot_be_read_gives_one_message(client, rsa_pair, bad_key):
    token = sign({"alg": "RS256"}, {"sub": "x"}, rsa_pair.private_pem).token
    html = client.post("/fragments/token", data=form(token=token, key=bad_key)).text
    assert html.count('id="key-error"') == 1
    assert "No key given" not in html and "Signature verified" not in html
    # positive control: the real key verifies and no key message is left
    good = client.post("/fragments/token", data=form(token=token, key=rsa_pair.public_pem)).text
    assert "Signature verified" in good and 'id="key-error"' not in good


def test_jwks_to_pem_labels_each_key_with_its_kid_and_thumbprint(client):
    from jwcrypto import jwk

    keys = [jwk.JWK.generate(kty="EC", crv="P-256", kid=f"kid-{n}") for n in range(3)]
    jwks = json.dumps({"keys": [json.loads(k.export_public()) for k in keys]})
    html = client.post("/fragments/convert", data={"key": jwks, "to": "pem"}).text
    labels = re.findall(r'<label for="key-out-\d+" class="field-label">([^<]*)</label>', html)
    assert len(labels) == 4 and labels[3] == "Public JWKS"
    for key, label in zip(keys, labels[:3], strict=True):
        assert f"kid {key['kid']}" in label and key.thumbprint() in label
    pems = [textarea(html, f"key-out-{n}") for n in (1, 2, 3)]
    assert [jwk.JWK.from_pem(p.encode()).thumbprint() for p in pems] == [k.thumbprint() for k in keys]


def test_generated_keys_offer_the_boxes_they_fit(client):
    ec = client.post("/fragments/keygen", data={"kind": "EC:P-256"}).text
    assert ec.count('data-use="verify"') == 3 and ec.count('data-use="sign"') == 2  # public PEM/JWK/JWKS; private
    hs = client.post("/fragments/keygen", data={"kind": "oct:256"}).text
    assert hs.count('data-use="verify"') == 1 and hs.count('data-use="sign"') == 1  # the secret, both ways
    x25519 = client.post("/fragments/keygen", data={"kind": "OKP:X25519"}).text
    assert "data-use=" not in x25519  # an encryption key signs nothing
