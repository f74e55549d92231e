"""Every failure becomes a precise answer: 400/413/422 with a reason, never a traceback or the input.

API paths answer with the JSON error shape; htmx fragment paths with a message placed in the page's
``#request-error`` box (out of band, the form left as it was); anything unexpected with a clean 500.
"""

from __future__ import annotations

import logging
import re
from html import escape

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core import InputError

__all__ = ["REQUEST_ERROR_ID", "LastResort", "error_response", "install_error_handlers", "printable_path"]

log = logging.getLogger("jwtlens")
#: the element of the page where a refused htmx request's message appears
REQUEST_ERROR_ID = "request-error"
_UNPRINTABLE = re.compile(r'[\x00-\x1f\x7f-\x9f"\\\u2028\u2029]')
_PAGE_500 = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>jwtlens: unexpected error</title>"
    "<h1>Something went wrong</h1><p>jwtlens hit an unexpected error; the input was not logged. "
    '<a href="/">Back to the debugger</a></p></html>'
)


def printable_path(path: str) -> str:
    """The path with control characters, quotes and backslashes escaped: one log line stays one line."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii").replace('"', '\\"'), path)


def error_response(
    path: str, status: int, code: str, message: str, segment: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """The error shape for ``path``: JSON for the API, an out-of-band message for htmx fragments."""
    if path.startswith("/fragments/"):
        html = (
            f'<div id="{REQUEST_ERROR_ID}" class="request-error" hx-swap-oob="true" role="alert">'
            f'<p class="error">{escape(message)}</p></div>'
        )
        # Swap nothing into the request's own target (it may be the whole form): only the message.
        return HTMLResponse(html, status_code=status, headers={"HX-Reswap": "none", **(headers or {})})
    body = {"error": {"code": code, "message": message, "segment": segment}}
    return JSONResponse(body, status_code=status, headers=headers)


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


async def _input_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InputError)
    problem = exc.problem
    return error_response(request.url.path, problem.status, problem.code, problem.message, problem.segment)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # FastAPI's default echoes the input (tokens, keys): ours names the field and the rule only.
    problems = []
    for err in exc.errors()[:5]:
        where = _location(tuple(err.get("loc", ())))
        kind = err.get("type", "")
        if kind == "json_invalid":
            problems.append("the body is not valid JSON")
        elif kind == "missing":
            problems.append(f"{where} is required")
        elif kind in ("model_attributes_type", "dict_type") and where == "body":
            problems.append("the body must be a JSON object")
        else:
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
    first = _location(tuple(exc.errors()[0].get("loc", ()))) if exc.errors() else None
    message = "; ".join(problems) or "The request is not valid"
    return error_response(request.url.path, 422, "request_invalid", message, first)


async def _model_error(request: Request, exc: Exception) -> Response:
    # A model validated inside a handler (an imported profile...): name the fields, never the input.
    assert isinstance(exc, ValidationError)
    errors = exc.errors()
    where = ", ".join(sorted({_location(tuple(err.get("loc", ()))) for err in errors[:5]}))
    return error_response(request.url.path, 422, "request_invalid", f"Not valid: {where}", "body")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "Not found", 405: "Method not allowed"}
    message = messages.get(exc.status_code, str(exc.detail))
    return error_response(request.url.path, exc.status_code, f"http_{exc.status_code}", message)


class LastResort:
    """Anything unexpected becomes a clean 500 (a page, the JSON shape or a fragment), logged without input."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            # The exception's text may quote input; log its type and the route only.
            path = scope.get("path", "")
            log.error("unexpected %s on %s %s", type(exc).__name__, scope.get("method", ""), printable_path(path))
            if started:
                raise  # half an answer is out: the server can only close the connection
            response: Response
            if path.startswith(("/api/", "/fragments/")):
                message = "jwtlens hit an unexpected error; the input was not logged"
                response = error_response(path, 500, "internal", message)
            else:
                response = HTMLResponse(_PAGE_500, status_code=500)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ValidationError, _model_error)
