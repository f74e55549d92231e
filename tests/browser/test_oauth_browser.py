"""Get a token in a real Chromium: the code + PKCE flow through oidc-provider's login and consent screens."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import WIDE
from tests.oauth.provider import Provider, running_provider

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def idp(live_server: str) -> Iterator[Provider]:
    with running_provider([f"{live_server}/callback"]) as provider:
        yield provider


@pytest.fixture
def flow_page(browser: Browser, live_server: str, idp: Provider) -> Iterator[tuple[Page, list[str]]]:
    """A page allowed to visit the live server and the provider only; jwtlens's own pages must stay clean."""
    context = browser.new_context(base_url=live_server, viewport=WIDE, service_workers="block")
    context.set_default_timeout(10_000)
    allowed = {urlsplit(live_server).netloc, urlsplit(idp.issuer).netloc}
    problems: list[str] = []

    def gate(route: Route) -> None:
        if urlsplit(route.request.url).netloc in allowed:
            route.continue_()
        else:
            route.abort()  # the provider's dev screens load a web font; nothing else may leave

    context.route("**/*", gate)
    page = context.new_page()

    def on_console(message: object) -> None:
        if page.url.startswith(live_server) and getattr(message, "type", "") == "error":
            problems.append(f"console error on {page.url}: {getattr(message, 'text', '')}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        yield page, problems
    finally:
        context.close()


def sign_in_through_the_provider(page: Page, idp: Provider, *, response_mode: str = "query") -> None:
    page.goto("/")
    page.locator("#get-token > summary").click()
    page.get_by_label("Issuer", exact=True).fill(idp.issuer)
    page.get_by_label("Client ID").fill(idp.client_id)
    page.get_by_label("Client secret", exact=False).fill(idp.client_secret)
    page.get_by_label("Scope").fill("openid email offline_access")
    page.locator("#oauth-response-mode").select_option(response_mode)
    page.locator("#start-sign-in").click()
    # oidc-provider's development screens: any login, then consent.
    page.locator('input[name="login"]').fill("alice")
    page.locator('input[name="password"]').fill("any")
    page.locator('button[type="submit"]').click()
    page.locator('button[type="submit"]').click()


@pytest.mark.parametrize("response_mode", ["query", "form_post"])
def test_sign_in_lands_the_id_token_verified(
    flow_page: tuple[Page, list[str]], live_server: str, idp: Provider, response_mode: str
) -> None:
    page, problems = flow_page
    sign_in_through_the_provider(page, idp, response_mode=response_mode)
    expect(page).to_have_url(f"{live_server}/oauth/result")  # a clean URL: no code, no state
    expect(page.locator("#verdict")).to_contain_text("Verified")
    expect(page.locator("#verdict")).to_contain_text("200")
    for claim in ("nonce", "at_hash", "iss", "aud"):
        expect(page.locator(f'tr[data-claim="{claim}"] .badge')).to_have_text("pass")
    expect(page.locator("#policy-iss")).to_have_value(idp.issuer)
    expect(page.locator("#key")).to_contain_text('"keys"')
    # The access and refresh tokens beside it; opaque ones are said to be opaque.
    expect(page.locator("#oauth-access-token")).to_contain_text("Opaque")
    expect(page.locator("#oauth-refresh-token-text")).not_to_have_value("")
    assert not problems, problems


def test_a_replayed_callback_is_refused_clearly(flow_page: tuple[Page, list[str]], idp: Provider) -> None:
    page, _ = flow_page
    callbacks: list[str] = []
    page.on("request", lambda request: callbacks.append(request.url) if "/callback?" in request.url else None)
    sign_in_through_the_provider(page, idp)
    expect(page.locator("#verdict")).to_contain_text("Verified")
    page.goto(callbacks[0])
    expect(page.locator("#callback-problem")).to_contain_text("already completed")


def test_a_provider_error_is_shown(flow_page: tuple[Page, list[str]], idp: Provider) -> None:
    page, _ = flow_page
    page.goto("/")
    page.locator("#get-token > summary").click()
    page.get_by_label("Issuer", exact=True).fill(idp.issuer)
    page.get_by_label("Client ID").fill(idp.client_id)
    page.locator("#get-token .extra-params summary").click()
    page.locator("#oauth-prompt").fill("none")  # no session at the provider: login_required
    page.locator("#start-sign-in").click()
    expect(page.locator("#provider-error-code")).to_have_text("login_required")
    expect(page.locator("#provider-error")).to_contain_text("End-User authentication is required")
