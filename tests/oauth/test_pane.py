"""The Get a token pane: its labelled fields, and the fragment that runs the grants needing no browser."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.oauth.provider import Provider


def test_pane_has_labelled_fields_and_the_redirect_uri(app_client: TestClient) -> None:
    page = app_client.get("/").text
    for label in ("Issuer", "Client ID", "Client secret", "Scope", "Flow", "Redirect URI to register"):
        assert re.search(rf"<label for=\"[a-z-]+\" class=\"field-label\">{label}", page), label
    assert 'id="redirect-uri" type="text" class="mono" readonly value="http://127.0.0.1/callback"' in page
    assert 'data-copy="#redirect-uri"' in page
    assert 'name="scope" type="text" class="mono" value="openid"' in page
    for name in ("audience", "resource", "prompt", "acr_values", "extra"):
        assert f'name="{name}"' in page


def test_fragment_client_credentials(app_client: TestClient, provider: Provider) -> None:
    form = {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "flow": "client_credentials",
        "resource": "urn:jwtlens:pane",
    }
    response = app_client.post("/fragments/oauth", data=form)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="oauth-result"') and "<html" not in response.text
    assert "Verified:" in response.text and 'id="oauth-access-token"' in response.text


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"issuer": "http://169.254.169.254/"}, "link-local"),
        ({"flow": "introspect"}, "Paste the token"),
        ({"extra": "no equals sign"}, "line 1: write name=value"),
        ({"flow": "code"}, "press Start sign-in"),
    ],
)
def test_fragment_failures_are_clear(app_client: TestClient, provider: Provider, fields: dict, needle: str) -> None:
    form = {"issuer": provider.issuer, "client_id": provider.client_id, "client_secret": provider.client_secret}
    form["flow"] = "client_credentials"
    response = app_client.post("/fragments/oauth", data={**form, **fields})
    assert response.status_code == 200
    assert needle in response.text
    assert provider.client_secret not in response.text
