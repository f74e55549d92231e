"""The browser's part of a sign-in, played by the test client: start at jwtlens, sign in at the provider, come back."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.oauth.conftest import CALLBACK
from tests.oauth.provider import Callback, Provider, sign_in


def start(client: TestClient, provider: Provider, **fields: str) -> str:
    form = {"issuer": provider.issuer, "client_id": provider.client_id, "client_secret": provider.client_secret}
    response = client.post("/oauth/start", data={**form, **fields})
    assert response.status_code == 200, response.text
    url: str = response.context["authorization_url"]
    assert response.headers["hx-redirect"] == url  # htmx sends the browser on by itself
    return url


def deliver(client: TestClient, callback: Callback, provider: Provider) -> object:
    """The browser arriving at /callback: a GET (query), or the provider's auto-submitted form (form_post)."""
    if callback.method == "POST":
        posted = client.post("/callback", data=callback.form, headers={"Origin": provider.issuer})
        assert posted.status_code == 303 and posted.headers["location"] == "/callback", posted.text
        return client.get("/callback")
    parts = urlsplit(callback.url)
    return client.get(f"{parts.path}?{parts.query}")


def finish(client: TestClient, provider: Provider, **fields: str) -> dict:
    callback = sign_in(start(client, provider, **fields), CALLBACK)
    response = deliver(client, callback, provider)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/oauth/result"  # a clean URL: no code, no state
    page = client.get("/oauth/result")
    assert page.status_code == 200
    return page.context  # type: ignore[no-any-return]
