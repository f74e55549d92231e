"""Checking a JSON answer against its route's declared model, and against what the handler built.

A spy on FastAPI's response step records what each handler returned, so a member the model lacks (dropped) or
reshapes (1 -> 1.0) fails the test that asked.
"""

from __future__ import annotations

import json
from typing import Any, get_type_hints

from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from jwtlens.web import api, grants, keys_api, pages, profiles, signin
from pydantic import BaseModel, TypeAdapter

ROUTERS = (api.router, keys_api.router, profiles.router, pages.router, grants.router, signin.router)


def json_routes() -> list[APIRoute]:
    """The routes of the routers that answer JSON (the fragments router answers HTML only)."""
    routes = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    return [r for r in routes if getattr(r.response_class, "value", r.response_class) is not HTMLResponse]


def _route(method: str, path: str) -> APIRoute:
    (route,) = [r for r in json_routes() if r.path == path and method in r.methods]
    return route


def _returns_a_response(route: APIRoute) -> bool:
    returned = get_type_hints(route.endpoint).get("return")
    return isinstance(returned, type) and issubclass(returned, Response)


def _text(data: Any) -> str:
    return json.dumps(data, sort_keys=True)


def answer(client: TestClient, handed: list[Any], method: str, path: str, body: Any = None, **params: str) -> Any:
    """The 200 answer, checked against the route's declared model and against what the handler built."""
    handed.clear()
    response = client.request(method, path.format(**params), json=body)
    assert response.status_code == 200, response.text
    wire = response.json()
    route = _route(method, path)
    adapter: TypeAdapter[Any] = TypeAdapter(route.response_model)
    again = adapter.dump_python(
        adapter.validate_python(wire), mode="json", exclude_unset=route.response_model_exclude_unset
    )
    assert _text(again) == _text(wire)  # the answer fits its model, member for member
    if _returns_a_response(route):  # the export: FastAPI sends it as built, without the response step
        assert handed == []
        return wire
    (built,) = handed
    built = built.model_dump(mode="json") if isinstance(built, BaseModel) else built
    assert _text(built) == _text(wire)  # nothing dropped, added or reshaped on the way out
    return wire
