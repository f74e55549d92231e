"""The debugger driven through a real Chromium: htmx posts, out-of-band swaps, CSS layout.

Every wait is one of Playwright's auto-retrying ``expect`` assertions: htmx debounces each edit by
150 ms and answers with out-of-band fragments, so the test waits for the fragment, never for a clock.
The ``page`` fixture fails any test whose page requested another origin, logged a console error,
hit the Content Security Policy or threw.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

import jwt
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.makers import rsa_key

pytestmark = pytest.mark.browser

SECRET = secrets.token_urlsafe(32)  # 43 characters, 256 bits: comfortably above HS256's 32-byte minimum
WRONG_SECRET = secrets.token_urlsafe(32)
RSA_PUBLIC_PEM = rsa_key(2048, which=1).as_pem(private=False).decode()
SUB = "browser-test-user-7f3a"


def hs256(**overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": SUB, "name": "Grace Hopper", "iat": now, "exp": now + 3600}
    claims.update(overrides)
    return jwt.encode(claims, SECRET, algorithm="HS256")


def open_debugger(page: Page) -> None:
    page.goto("/")
    # The page opens on an HS256 example that its own key verifies; htmx has run once "load" fired.
    expect(page.locator("#signature-status .sig-title")).to_have_text("Signature verified")


def paste_token(page: Page, token: str) -> None:
    """Fill the token box (fill fires input) and wait until the Encoded pane shows that very token."""
    page.locator("#token").fill(token)
    expect(page.locator("#token-layer .tok-payload")).to_have_text(token.split(".")[1])


def sig_title(page: Page) -> Locator:
    return page.locator("#signature-status .sig-title")


def choose_mode(page: Page, mode: str) -> None:
    """Click the mode's label, as a person does: the switch hides its radio buttons behind the labels."""
    page.locator(f"label[for='mode-{mode}']").click()
    expect(page.locator(f"#mode-{mode}")).to_be_checked()


def test_home_page_shows_three_panes_and_a_verified_example(page: Page) -> None:
    page.goto("/")
    for pane, title in (("#pane-encoded", "Encoded"), ("#pane-decoded", "Decoded"), ("#pane-verify", "Verify")):
        expect(page.locator(pane)).to_be_visible()
        expect(page.locator(f"{pane} h2")).to_have_text(title)
    expect(page.locator("#token")).to_have_value(re.compile(r"^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$"))
    expect(page.locator("#token-layer .tok-signature")).to_be_visible()
    expect(page.locator("#header-json")).to_have_value(re.compile(r'"alg": "HS256"'))
    expect(page.locator("#claims tr[data-claim='exp']")).to_be_visible()
    expect(sig_title(page)).to_have_text("Signature verified")
    expect(page.locator("#verdict")).to_contain_text("200")


def test_pasting_a_token_decodes_it_into_every_pane(page: Page) -> None:
    open_debugger(page)
    token = hs256()
    header_b64, payload_b64, signature_b64 = token.split(".")

    paste_token(page, token)

    expect(page.locator("#header-json")).to_have_value(re.compile(r'"alg": "HS256"'))
    expect(page.locator("#payload-json")).to_have_value(re.compile(rf'"sub": "{SUB}"'))
    exp_row = page.locator("#claims tr[data-claim='exp']")
    expect(exp_row).to_be_visible()
    expect(exp_row.locator(".relative")).to_contain_text("expires in")
    # app.js writes the local time into each swapped-in row.
    expect(exp_row.locator(".local-time")).to_have_text(re.compile(r"\d"))
    expect(page.locator("#claims tr[data-claim='sub']")).to_contain_text(SUB)
    view = page.locator("#token-layer")
    expect(view.locator(".tok-header")).to_have_text(header_b64)
    expect(view.locator(".tok-payload")).to_have_text(payload_b64)
    expect(view.locator(".tok-signature")).to_have_text(signature_b64)
    # The three parts are coloured apart.
    colours = {
        part: view.locator(f".tok-{part}").evaluate("e => getComputedStyle(e).color")
        for part in ("header", "payload", "signature")
    }
    assert len(set(colours.values())) == 3, colours


def test_right_secret_verifies_and_wrong_secret_does_not(page: Page) -> None:
    open_debugger(page)
    paste_token(page, hs256())
    # The key box still holds the example's secret, which did not sign this token.
    expect(sig_title(page)).to_have_text("Invalid signature")

    page.locator("#key").fill(SECRET)
    expect(sig_title(page)).to_have_text("Signature verified")
    expect(page.locator("#verdict")).to_contain_text("200")

    page.locator("#key").fill(WRONG_SECRET)
    expect(sig_title(page)).to_have_text("Invalid signature")
    expect(page.locator("#verdict")).to_contain_text("401")


def test_sign_mode_re_signs_edits_and_verify_mode_keeps_the_old_signature(page: Page) -> None:
    open_debugger(page)
    paste_token(page, hs256())
    token_box = page.locator("#token")
    page.locator("#key").fill(SECRET)
    expect(sig_title(page)).to_have_text("Signature verified")

    # Sign mode. Switching changes nothing: the pasted token stays as it was, still judged with the
    # Verify key, although the signing key box holds the example's other secret.
    pasted = token_box.input_value()
    choose_mode(page, "sign")
    expect(page.locator("#sign-key")).to_be_visible()
    expect(sig_title(page)).to_have_text("Signature verified")
    expect(token_box).to_have_value(pasted)
    expect(page.locator("#sign-note")).to_have_count(0)
    # A public key in the signing box: one refusal, never beside a green "Signature verified".
    page.locator("#sign-key").fill(RSA_PUBLIC_PEM)
    expect(sig_title(page)).to_have_text("Signing key refused")
    expect(page.locator("#sign-note")).to_contain_text("The signing key does not fit: HS256 needs an HMAC secret")
    expect(page.locator("#verify-result")).not_to_contain_text("Signature verified")
    expect(page.locator("#verdict")).to_have_count(0)
    expect(token_box).to_have_value(pasted)
    # A new signing key re-signs the current header and payload with it.
    page.locator("#sign-key").fill(SECRET)
    expect(page.locator("#sign-note")).to_contain_text("Re-signed with the signing key")
    expect(sig_title(page)).to_have_text("Signature verified")
    before_edit = token_box.input_value()
    assert jwt.decode(before_edit, SECRET, algorithms=["HS256"])["name"] == "Grace Hopper"

    payload = json.loads(page.locator("#payload-json").input_value())
    payload["name"] = "Signed In Browser"
    page.locator("#payload-json").fill(json.dumps(payload, indent=2))
    expect(token_box).not_to_have_value(before_edit)
    signed = token_box.input_value()
    claims = jwt.decode(signed, SECRET, algorithms=["HS256"])
    assert claims["name"] == "Signed In Browser"
    assert claims["sub"] == SUB
    expect(sig_title(page)).to_have_text("Signature verified")
    expect(page.locator("#token-layer .tok-signature")).to_have_text(signed.split(".")[2])

    # Back to verify mode: the key box holds our secret, so the re-signed token verifies...
    choose_mode(page, "verify")
    expect(page.locator("#key")).to_be_visible()
    # The sign note goes away when the verify-mode answer lands (it showed "verified" in sign mode too).
    expect(page.locator("#sign-note")).to_have_count(0)
    expect(sig_title(page)).to_have_text("Signature verified")
    # ...and from here on, no verify pane swapped in may ever show it verified again. Only swaps count:
    # app.js rewriting local times after the last answer settled also mutates the page.
    page.evaluate(
        """() => {
            window.__sigTitles = [];
            new MutationObserver((records) => {
                for (const record of records) {
                    for (const node of record.addedNodes) {
                        if (node.nodeType !== Node.ELEMENT_NODE) continue;
                        const title = node.matches('.sig-title') ? node : node.querySelector('.sig-title');
                        if (title) window.__sigTitles.push(title.textContent.trim());
                    }
                }
            }).observe(document.body, {subtree: true, childList: true});
        }"""
    )
    payload["name"] = "Edited Without Re-signing"
    page.locator("#payload-json").fill(json.dumps(payload, indent=2))
    expect(token_box).not_to_have_value(signed)
    expect(sig_title(page)).to_have_text("Invalid signature")
    expect(page.locator("#verdict")).to_contain_text("401")
    edited = token_box.input_value()
    assert edited.split(".")[2] == signed.split(".")[2], "verify mode must keep the old signature"
    assert edited.split(".")[1] != signed.split(".")[1]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(edited, SECRET, algorithms=["HS256"])
    seen = page.evaluate("window.__sigTitles")
    assert "Invalid signature" in seen, seen
    assert "Signature verified" not in seen, seen


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_loading_an_example_verifies_it(page: Page, alg: str) -> None:
    open_debugger(page)
    page.locator("#example-alg").select_option(alg)
    page.locator("#load-example").click()
    expect(page.locator("#header-json")).to_have_value(re.compile(rf'"alg": "{alg}"'))
    expect(page.locator("#header-json")).to_have_value(re.compile(rf'"kid": "example-{alg.lower()}"'))
    expect(sig_title(page)).to_have_text("Signature verified")
    expect(page.locator("#verdict")).to_contain_text("200")
    expect(page.locator("#key")).to_have_value(re.compile(r"-----BEGIN PUBLIC KEY-----"))


def test_malformed_token_shows_an_error_without_reloading(page: Page) -> None:
    open_debugger(page)
    page.evaluate("window.__marker = 1")
    url = page.url

    page.locator("#token").fill("abc.def")

    alert = page.locator("#encoded [role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Cannot decode")
    expect(alert).to_contain_text("three segments")
    expect(page.locator("#token-layer span")).to_have_count(0)
    expect(page.locator("#signature-status")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1, "the page reloaded"
    assert page.url == url
    expect(page.locator("#token")).to_have_value("abc.def")


def test_expired_token_fails_the_exp_claim_and_gets_a_401(page: Page) -> None:
    open_debugger(page)
    page.locator("#key").fill(SECRET)
    # The example was not signed with our secret.
    expect(sig_title(page)).to_have_text("Invalid signature")
    now = int(time.time())
    paste_token(page, hs256(iat=now - 7200, exp=now - 3600))

    exp_row = page.locator("#claims tr[data-claim='exp']")
    expect(exp_row).to_have_class(re.compile(r"\bstatus-fail\b"))
    expect(exp_row.locator(".relative")).to_contain_text("expired")
    expect(exp_row.locator(".badge")).to_have_text("fail")
    expect(sig_title(page)).to_have_text("Signature verified")
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("401")
    expect(verdict).to_contain_text("exp")
    expect(verdict).to_have_class(re.compile(r"\bverdict-401\b"))


def test_panes_stack_on_a_narrow_viewport_and_sit_side_by_side_on_a_wide_one(page: Page) -> None:
    page.set_viewport_size({"width": 600, "height": 900})
    open_debugger(page)
    encoded = page.locator("#pane-encoded").bounding_box()
    decoded = page.locator("#pane-decoded").bounding_box()
    assert encoded and decoded
    assert decoded["y"] >= encoded["y"] + encoded["height"] - 1, (encoded, decoded)
    assert abs(decoded["x"] - encoded["x"]) < 1, (encoded, decoded)
    assert encoded["x"] + encoded["width"] <= 600, "the Encoded pane overflows the narrow viewport"

    page.set_viewport_size({"width": 1400, "height": 900})
    encoded = page.locator("#pane-encoded").bounding_box()
    decoded = page.locator("#pane-decoded").bounding_box()
    assert encoded and decoded
    assert abs(decoded["y"] - encoded["y"]) < 1, (encoded, decoded)
    assert decoded["x"] >= encoded["x"] + encoded["width"] - 1, (encoded, decoded)
