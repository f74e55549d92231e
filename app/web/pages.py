"""The page itself."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.core import ALGORITHMS

from .deps import SettingsDep, StoreDep
from .render import templates
from .view import Env, view_for_example

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(request: Request, settings: SettingsDep, store: StoreDep) -> HTMLResponse:
    # A newcomer sees the whole flow at once: an HS256 example with its secret.
    env = Env(settings, store)
    context = {
        "view": view_for_example("HS256", env),
        "algorithms": ALGORITHMS,
        "profiles": [p.name for p in store.profiles()],
    }
    return templates.TemplateResponse(request, "index.html", context)


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}
