"""Every failure becomes a precise answer: 400/413 with a reason, never a traceback or the input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import InputError

__all__ = ["install_error_handlers"]

log = logging.getLogger("jwtlens")


def _error(status: int, code: str, message: str, segment: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "segment": segment}}, status_code=status)


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


async def _input_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    problem = exc.problem
    return _error(problem.status, problem.code, problem.message, problem.segment)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
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
    return _error(422, "request_invalid", "; ".join(problems) or "The request is not valid", first)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "Not found", 405: "Method not allowed"}
    return _error(exc.status_code, f"http_{exc.status_code}", messages.get(exc.status_code, str(exc.detail)))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The exception's text may quote input; log its type and the route only.
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return _error(500, "internal", "jwtlens hit an unexpected error; the input was not logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
