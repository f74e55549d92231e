"""The access guard lets the provider's redirect reach /callback, and nothing else, on a guarded instance."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from jwtlens.config import Settings
from jwtlens.main import create_app

from tests.oauth.conftest import CALLBACK
from tests.oauth.flows import deliver
from tests.oauth.provider import Provider, sign_in

TOKEN = "guard-test-access-token-5d1f"


@pytest.fixture
def guarded(tmp_path) -> Iterator[TestClient]:
    settings = Settings(db_path=tmp_path / "jwtlens.sqlite3")
    app = create_app(settings, access_token=TOKEN)
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        yield client


def test_strangers_cannot_start_a_sign_in(guarded: TestClient, provider: Provider) -> None:
    response = guarded.post("/oauth/start", data={"issuer": provider.issuer, "client_id": provider.client_id})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/callback", "/oauth/result"])
def test_sign_in_paths_answer_only_for_a_pending_flow(guarded: TestClient, path: str) -> None:
    response = guarded.get(path, params={"state": "forged", "code": "c"})
    assert response.status_code in (400, 404)  # the handler's refusal, not the guard's 401
    assert response.context["problem"].code in ("oauth_no_flow", "oauth_no_result")


def test_only_the_callback_takes_a_cross_site_post(guarded: TestClient, provider: Provider) -> None:
    origin = {"Origin": provider.issuer}
    callback = guarded.post("/callback", data={"state": "s" * 43}, headers=origin)
    assert callback.status_code == 403 and callback.context["problem"].code == "oauth_state_unknown"
    for path in ("/oauth/result", "/oauth/start", "/api/oauth/token", "/fragments/oauth"):
        refused = guarded.post(path, data={}, headers=origin)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "cross_site", path


def test_the_whole_flow_works_on_a_guarded_instance(guarded: TestClient, provider: Provider) -> None:
    assert guarded.get("/", params={"access_token": TOKEN}).status_code == 303  # the login link sets the session
    form = {"issuer": provider.issuer, "client_id": provider.client_id, "client_secret": provider.client_secret}
    location = guarded.post("/oauth/start", data=form).context["authorization_url"]
    callback = sign_in(location, CALLBACK)
    guarded.cookies.delete("jwtlens_access")  # a cross-site redirect back carries no SameSite=Strict session
    response = deliver(guarded, callback, provider)
    assert response.status_code == 303 and response.headers["location"] == "/oauth/result"
    page = guarded.get("/oauth/result")
    assert page.status_code == 200
    assert page.context["oauth"]["tokens"]["id_token"]["verified"] is True
