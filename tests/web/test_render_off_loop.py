"""Every HTML answer is rendered in a worker thread, never on the event loop: a fragment echoes the token
(up to 256 KB, its payload highlighted in three panes), which takes the loop long enough to stall every
other request. Each route is posted the fields it reads, with a large signed token where it takes one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jinja2
import pytest
from jwtlens.config import Settings
from jwtlens.core import sign

from tests.servers import local_client
from tests.web.pages import form

SECRET = "render-off-loop-secret-0123456789abcdef"
BIG = sign({"alg": "HS256"}, {"sub": "x", "items": [{"n": i, "v": "x" * 20} for i in range(1500)]}, SECRET).token

#: route -> the form it is posted (a large token wherever the route takes one)
ROUTES: dict[str, dict[str, str]] = {
    "/fragments/token": form(token=BIG, key=SECRET),
    "/fragments/edit": form(token=BIG, key=SECRET, header_json='{"alg": "HS256"}', payload_json='{"sub": "y"}'),
    "/fragments/settings": form(token=BIG, key=SECRET, policy_iss="https://idp.example"),
    "/fragments/record": form(token=BIG, key=SECRET),
    "/fragments/replay/clear": form(token=BIG, key=SECRET),
    "/fragments/example": form(example_alg="RS256"),
    "/fragments/profile/load": form(token=BIG, key=SECRET, profile_name="nobody"),
    "/fragments/profile/save": form(token=BIG, key=SECRET, profile_save_name="mine"),
    "/fragments/profile/delete": form(token=BIG, key=SECRET, profile_name="mine"),
    "/fragments/profile/import": form(token=BIG, key=SECRET, profile_import="not json"),
    "/fragments/compare": form(token=BIG, compare_token=BIG),
    "/fragments/fetch-keys": form(token=BIG, issuer_url=""),
    "/fragments/keygen": {"kind": "EC:P-256"},
    "/fragments/convert": {"key": SECRET, "to": "jwk"},
    "/fragments/encrypt": {"token": BIG, "encrypt_alg": "dir", "encrypt_enc": "A256GCM", "encrypt_key": "x" * 43},
    "/fragments/oauth": {"issuer": ""},
}


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """One entry per template rendered: True when it ran on a thread with a running event loop."""
    on_loop: list[bool] = []
    real = jinja2.Template.render

    def render(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", render)
    yield on_loop


@pytest.mark.parametrize("path", list(ROUTES))
def test_the_answer_is_rendered_off_the_event_loop(tmp_path, renders, path):
    with local_client(Settings(db_path=tmp_path / "db")) as client:
        answer = client.post(path, data=ROUTES[path], headers={"HX-Request": "true"})
    assert answer.status_code == 200, answer.text[:200]
    assert renders, "the route rendered no template: the check saw nothing"
    assert not any(renders), f"{path} rendered {sum(renders)} template(s) on the event loop"


def test_the_check_sees_a_render_on_the_loop(renders):
    """Positive control: a template rendered inside a coroutine counts as on the loop."""
    template = jinja2.Environment(autoescape=True).from_string("{{ x }}")

    async def on_loop() -> str:
        return template.render(x=1)

    with ThreadPoolExecutor(1) as runner:  # a thread of its own: the browser tests leave a loop running in this one
        assert runner.submit(asyncio.run, on_loop()).result() == "1"
    assert renders == [True]
