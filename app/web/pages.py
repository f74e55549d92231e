"""The page itself."""

from __future__ import annotations

import gzip

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..core import ALGORITHMS
from .answers import Health
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
    page = templates.TemplateResponse(request, "index.html", context)
    if "gzip" not in request.headers.get("accept-encoding", ""):
        return page
    # The page echoes no user input (only the example's throwaway secret), so compressing it is safe.
    body = gzip.compress(bytes(page.body), compresslevel=6)
    headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return HTMLResponse(body, headers=headers)


@router.get("/healthz", include_in_schema=False)
async def healthz() -> Health:
    # On the event loop itself: it answers even when every worker thread is busy.
    return Health(status="ok")
