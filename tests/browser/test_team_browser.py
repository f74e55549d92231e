"""What a team relies on, in a real Chromium: hostile token content stays text, share links, paste
anything, the keyboard, and the claims policy marking the one bad claim.

The ``page`` fixture already fails a test on any request to another origin, console error, CSP
violation or uncaught error; these tests add dialogs and unexpected same-origin requests.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageLog

pytestmark = pytest.mark.browser

SECRET = secrets.token_urlsafe(32)
XSS = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    '<div hx-get="/api/profiles" hx-trigger="load">hx</div>',
    '<a hx-post="/api/replay/clear" hx-trigger="load">x</a>',
    "javascript:window.__pwned = 3",
    '"><svg onload="window.__pwned = 4">',
    "{{ 7*7 }}",
    "</textarea><script>window.__pwned = 5</script>",
]


def token(header: dict[str, Any] | None = None, **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": "team-user", "aud": "api", "iat": now, "exp": now + 600, **claims}
    return jwt.encode(body, SECRET, algorithm="HS256", headers=header or {})


def open_page(page: Page, dialogs: list[str]) -> None:
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/")
    expect(page.locator("#signature-status .sig-title")).to_have_text("Signature verified")


def paste(page: Page, text: str, payload_segment: str) -> None:
    page.locator("#token").fill(text)
    expect(page.locator("#token-layer .tok-payload")).to_have_text(payload_segment)


@pytest.mark.parametrize("evil", XSS)
def test_hostile_header_and_claims_render_as_text(page: Page, page_log: PageLog, evil: str) -> None:
    dialogs: list[str] = []
    open_page(page, dialogs)
    hostile = token({"kid": evil, "typ": evil, "x-note": evil}, name=evil, nested={"deep": [evil]})
    paste(page, hostile, hostile.split(".")[1])
    page.locator("#key").fill(SECRET)
    expect(page.locator("#signature-status .sig-title")).to_have_text("Signature verified")
    expect(page.locator("tr[data-claim='name'] td.value")).to_contain_text(evil)
    assert json.loads(page.locator("#header-json").input_value())["kid"] == evil
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    own_calls = [url for url in page_log.requests if "/api/" in url]
    assert own_calls == [], f"markup in the token made the page call {own_calls}"


def test_share_link_round_trip_carries_token_and_public_key_only(page: Page, browser: Any) -> None:
    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-256")
    shared = jwt.encode({"sub": "shared", "exp": int(time.time()) + 600}, key.as_pem(private=True), algorithm="ES256")
    public_pem = key.as_pem().decode()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_page(page, [])
    paste(page, shared, shared.split(".")[1])
    page.locator("#key").fill(public_pem)
    expect(page.locator("#signature-status .sig-title")).to_have_text("Signature verified")
    page.locator("#share-key").check()
    page.locator("#share-link").click()
    expect(page.locator("#share-output")).to_contain_text("Share link copied")
    link = page.evaluate("navigator.clipboard.readText()")
    assert "#token=" in link and "key=" in link and "?" not in link.split("#")[0]

    other = page.context.new_page()
    other.goto(link)
    expect(other.locator("#token")).to_have_value(shared)
    expect(other.locator("#signature-status .sig-title")).to_have_text("Signature verified")
    # the key came from the link: someone else chose it, and the page says so next to the result
    expect(other.locator("#key-from-link-note")).to_contain_text("came from the share link")
    other.locator("#key").press_sequentially(" ")  # the user's own edit: no longer the link's key
    expect(other.locator("#key-from-link-note")).to_have_count(0)
    other.close()

    # A secret never goes into a link, even when asked; the decision is made at click time from the key
    # as it is then, so typing it and clicking at once (inside the debounce) cannot leak it.
    page.locator("#key").fill(SECRET)
    page.locator("#share-link").click()
    expect(page.locator("#share-output")).to_contain_text("left out")
    assert SECRET not in page.evaluate("navigator.clipboard.readText()")
    private_bundle = key.as_pem(private=True).decode() + public_pem
    page.locator("#key").fill(private_bundle)
    page.locator("#share-link").click()
    expect(page.locator("#share-output")).to_contain_text("left out")
    leaked = page.evaluate("navigator.clipboard.readText()")
    assert "PRIVATE" not in leaked and "key=" not in leaked


@pytest.mark.parametrize(
    ("template", "where"),
    [
        ("Authorization: Bearer {t}", "the Authorization header"),
        ("Cookie: theme=dark; session={t}; lang=en", "a Cookie"),
        ("Set-Cookie: id_token={t}; Path=/; HttpOnly", "a Set-Cookie"),
        ("curl -H 'Authorization: Bearer {t}' https://api.example/v1/me", "a curl command"),
        ("https://app.example/callback#id_token={t}&state=xyz", "the URL's fragment (id_token)"),
        ("https://app.example/callback?access_token={t}", "the URL's query (access_token)"),
        ('{{"access_token": "{t}", "token_type": "Bearer", "expires_in": 600}}', "the JSON (access_token)"),
        (
            '{{"log": {{"entries": [{{"request": {{"url": "https://api.example/x", '
            '"headers": [{{"name": "Authorization", "value": "Bearer {t}"}}]}}}}]}}}}',
            "a HAR request's Authorization header",
        ),
    ],
)
def test_paste_anything(page: Page, template: str, where: str) -> None:
    open_page(page, [])
    found = token()
    page.locator("#token").fill(template.format(t=found))
    expect(page.locator("#token-layer .tok-payload")).to_have_text(found.split(".")[1])
    expect(page.locator("#findings")).to_contain_text(f"Found the token in {where}")
    if "query" in where:
        expect(page.locator("#findings [data-code='token_in_url']")).to_be_visible()


def test_keyboard_flow(page: Page) -> None:
    open_page(page, [])
    page.keyboard.press("Alt+Shift+T")
    expect(page.locator("#token")).to_be_focused()
    page.keyboard.press("Alt+Shift+P")
    expect(page.locator("#payload-json")).to_be_focused()
    page.keyboard.press("Alt+Shift+K")
    expect(page.locator("#key")).to_be_focused()
    page.keyboard.press("Alt+Shift+M")
    expect(page.locator("#mode-sign")).to_be_checked()
    expect(page.locator("#sign-key")).to_be_visible()
    page.keyboard.press("Alt+Shift+K")
    expect(page.locator("#sign-key")).to_be_focused()
    page.keyboard.press("Alt+Shift+M")
    expect(page.locator("#mode-verify")).to_be_checked()
    # Tab reaches the key box from the token box, and every input has a label a screen reader announces.
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('textarea, input:not([type=hidden]), select')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.id || el.name)"""
    )
    assert unlabelled == []
    page.keyboard.press("Alt+Shift+E")
    expect(page.locator("#signature-status .sig-title")).to_have_text("Signature verified")


def test_one_bad_claim_fails_its_row_and_the_others_pass(page: Page) -> None:
    open_page(page, [])
    bad = token(iss="https://idp.example", aud="other-service")
    paste(page, bad, bad.split(".")[1])
    page.locator("#key").fill(SECRET)
    page.locator("#policy summary").click()
    page.locator("#policy-iss").fill("https://idp.example")
    page.locator("#policy-aud").fill("api")
    expect(page.locator("tr[data-claim='aud']")).to_have_class("claim status-fail")
    for name in ("iss", "exp", "iat"):
        expect(page.locator(f"tr[data-claim='{name}']")).to_have_class("claim status-pass")
    expect(page.locator("#verdict")).to_contain_text("401")
    expect(page.locator("#verdict")).to_contain_text("claim aud")
    expect(page.locator(".timeline-svg")).to_be_visible()


def test_compare_two_tokens(page: Page) -> None:
    open_page(page, [])
    first = token(role="user")
    paste(page, first, first.split(".")[1])
    page.locator("#compare-token").fill(token(role="admin", extra=quote("x")))
    expect(page.locator("#compare-result tr[data-name='role']")).to_contain_text("changed")
    expect(page.locator("#compare-result tr[data-name='extra']")).to_contain_text("added")
    expect(page.locator("#compare-result .lifetimes")).to_contain_text("10 min")


def test_dialog_listener_works(page: Page) -> None:
    # Guards the XSS test above: a dialog the page does open is seen by the listener.
    dialogs: list[str] = []
    open_page(page, dialogs)
    with page.expect_event("dialog"):
        page.evaluate("setTimeout(() => alert('seen'), 0)")
    assert dialogs == ["seen"]
