"""htmx endpoints: each returns out-of-band fragments for every pane the edit changes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.core import ALGORITHMS

from .deps import SettingsDep
from .forms import read_form
from .render import templates
from .view import DebuggerView, view_for_edit, view_for_example, view_for_settings, view_for_token

router = APIRouter(prefix="/fragments", include_in_schema=False)


def _panes(request: Request, view: DebuggerView, skip: tuple[str, ...]) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "_panes.html", {"view": view, "oob": True, "skip": skip, "algorithms": ALGORITHMS}
    )


@router.post("/token", response_class=HTMLResponse)
async def token_changed(request: Request, settings: SettingsDep) -> HTMLResponse:
    form = await read_form(request)
    return _panes(request, view_for_token(form, settings), skip=("token",))


@router.post("/edit", response_class=HTMLResponse)
async def editors_changed(request: Request, settings: SettingsDep) -> HTMLResponse:
    form = await read_form(request)
    view = view_for_edit(form, settings)
    if view.edit_error is not None:
        return _panes(request, view, skip=("token", "encoded", "editors", "decoded", "verify"))
    return _panes(request, view, skip=("editors",))


@router.post("/settings", response_class=HTMLResponse)
async def settings_changed(request: Request, settings: SettingsDep) -> HTMLResponse:
    form = await read_form(request)
    view = view_for_settings(form, settings)
    if view.edit_error is not None:
        return _panes(request, view, skip=("token", "encoded", "editors", "decoded", "verify"))
    return _panes(request, view, skip=("editors",) if view.sign_note else ("token", "editors"))


@router.post("/example", response_class=HTMLResponse)
async def load_example(request: Request, settings: SettingsDep) -> HTMLResponse:
    form = await read_form(request)
    view = view_for_example(form.get("example_alg", "HS256"), settings)
    return templates.TemplateResponse(request, "_debugger.html", {"view": view, "algorithms": ALGORITHMS})
