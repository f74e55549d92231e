"""SD-JWT and DPoP in a real Chromium: the disclosure table fills in, and the DPoP section judges the request."""

from __future__ import annotations

import json
import time

import pytest
from joserfc.jwk import ECKey
from playwright.sync_api import Page, expect

from tests.sdjwt_tokens import dpop_proof, issue, key_binding

pytestmark = pytest.mark.browser

AUD, NONCE, URL = "https://verifier.example", "n-42", "https://api.example.com/items"


def test_disclosure_table_and_dpop_section(page: Page) -> None:
    issuer, holder = ECKey.generate_key("P-256"), ECKey.generate_key("P-256")
    now = int(time.time())
    sd_jwt, _ = issue(
        {"iss": "https://issuer.example", "exp": now + 600},
        {"given_name": "Ada", "email": "ada@example.com"},
        issuer,
        holder=holder,
        elements=("UK",),
        decoys=2,
    )
    presented = sd_jwt + key_binding(sd_jwt, holder, aud=AUD, nonce=NONCE, iat=now)
    page.goto("/")
    expect(page.locator("#signature-status .sig-title")).to_have_text("Signature verified")
    page.locator("#token").fill(presented)
    rows = page.locator("#disclosures tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator('#disclosures tr[data-status="disclosed"]')).to_have_count(3)
    expect(page.locator("#sdjwt")).to_contain_text("2 digests without one")
    expect(page.locator('#sdjwt-claims tr[data-claim="email"]')).to_contain_text("selectively disclosed")
    expect(page.locator('#sdjwt-claims tr[data-claim="iss"]')).to_contain_text("always visible")
    page.locator("#key").fill(json.dumps(issuer.as_dict(private=False)))
    page.locator("#kb-fields summary").click()
    page.locator("#kb-aud").fill(AUD)
    page.locator("#kb-nonce").fill(NONCE)
    expect(page.locator("#verdict")).to_contain_text("200")
    expect(page.locator("#kb-checks")).not_to_contain_text("fail")
    page.locator("#kb-nonce").fill("another")
    expect(page.locator("#verdict")).to_contain_text("401")
    page.locator("#kb-nonce").fill(NONCE)
    expect(page.locator("#verdict")).to_contain_text("200")

    page.locator("#dpop-fields summary").click()
    page.locator("#dpop-proof").fill(dpop_proof(holder, "POST", URL, now))
    page.locator("#dpop-htm").select_option("POST")
    page.locator("#dpop-htu").fill(URL + "?page=2")
    expect(page.locator("#dpop-status .sig-title")).to_have_text("DPoP proof valid")
    expect(page.locator("#dpop-status")).to_contain_text(holder.thumbprint())
    expect(page.locator("#verdict")).to_contain_text("200")
    page.locator("#dpop-htu").fill("https://elsewhere.example/items")
    expect(page.locator("#dpop-status .sig-title")).to_have_text("DPoP proof invalid")
    expect(page.locator("#dpop-checks")).to_contain_text("htu is not the request URL")
    expect(page.locator("#verdict")).to_contain_text("401")
