"""The verdict in a real Chromium: an invalid policy fails closed, field by field, and recovers when fixed."""

from __future__ import annotations

import secrets
import time

import jwt
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SECRET = secrets.token_urlsafe(32)


def open_with_token(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#signature-status .sig-title")).to_have_text("Signature verified")
    now = int(time.time())
    token = jwt.encode({"sub": "policy-user", "role": "admin", "iat": now, "exp": now + 600}, SECRET, "HS256")
    page.locator("#token").fill(token)
    expect(page.locator("#token-layer .tok-payload")).to_have_text(token.split(".")[1])
    page.locator("#key").fill(SECRET)
    expect(page.locator("#verdict")).to_contain_text("200")
    page.locator("#policy summary").click()


@pytest.mark.parametrize(
    ("field", "value", "fixed", "message"),
    [
        ("#policy-leeway", "-5", "30", "Leeway must be a number of seconds"),
        ("#policy-leeway", "999999999999", "30", "Leeway must be a number of seconds"),
        ("#policy-now", "next tuesday", "", "Check as of must be epoch seconds"),
        ("#policy-max-age", "ten", "600", "Max age must be a number"),
        ("#policy-rules", "role matches (admin", "role matches admin", "not a valid regular expression"),
        ("#policy-rules", "role like admin", "role equals admin", "op must be one of"),
    ],
)
def test_an_invalid_policy_field_fails_closed_next_to_the_field(
    page: Page, field: str, value: str, fixed: str, message: str
) -> None:
    open_with_token(page)
    page.locator(field).fill(value)
    error = page.locator(f"{field}-error")
    expect(error).to_contain_text(message)
    expect(page.locator("#verdict")).to_contain_text("Policy invalid")
    expect(page.locator("#verdict")).not_to_contain_text("200")
    expect(page.locator("#policy-error")).to_contain_text("Nothing is accepted until it is fixed")
    page.locator(field).fill(fixed)
    expect(error).to_be_empty()
    expect(page.locator("#verdict")).to_contain_text("200")
    expect(page.locator("#policy-error")).to_have_count(0)


def test_a_full_match_rule_refuses_a_longer_value(page: Page) -> None:
    open_with_token(page)
    page.locator("#policy-rules").fill("role matches adm")
    expect(page.locator("#verdict")).to_contain_text("403")
    page.locator("#policy-rules").fill("role matches adm.*")
    expect(page.locator("#verdict")).to_contain_text("200")
