"""A paste over the body limit: the user reads why, and the form stays as it was (real Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageLog

pytestmark = pytest.mark.browser


def test_an_oversized_paste_shows_a_message_and_keeps_the_form(page: Page, page_log: PageLog) -> None:
    page.goto("/")
    expect(page.locator("#signature-status .sig-title")).to_have_text("Signature verified")
    message = page.locator("#request-error")
    expect(message).to_be_empty()

    page.locator("#token").fill("a" * 1_200_000)  # over the 1 MB body limit once form-encoded

    expect(message).to_contain_text("larger than 1,048,576 bytes")
    expect(page.locator("#debugger")).to_have_count(1)  # not replaced by the error answer
    expect(page.locator("#load-example")).to_be_visible()
    # Chromium logs every 4xx as a console error: this one is the point of the test.
    expected = [e for e in page_log.console_errors if "413" in e]
    assert expected, page_log.console_errors
    page_log.reported.update(f"console error: {e}" for e in expected)
