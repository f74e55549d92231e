"""Bounds on one request: its body size, and the worker threads its CPU work may use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from functools import partial
from typing import ParamSpec, TypeVar

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response

__all__ = ["BodySizeLimit", "cpu_pool", "off_loop"]

P = ParamSpec("P")
T = TypeVar("T")


def cpu_pool(workers: int) -> ThreadPoolExecutor:
    """The app's worker threads for CPU work: at most ``workers`` run at once, later requests queue."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jwtlens-cpu")


async def off_loop(request: Request, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func`` in the app's bounded worker pool, so /healthz and other requests keep being answered.

    asyncio's executor hand-off, not anyio's ``to_thread``: measured in one process, the round trip costs
    about a fifth as much (docs/benchmarks.md). A request cancelled while queued never runs.
    """
    pool: ThreadPoolExecutor = request.app.state.cpu_pool
    call = partial(copy_context().run, func, *args, **kwargs)  # context variables follow, as with to_thread
    return await asyncio.get_running_loop().run_in_executor(pool, call)


class BodySizeLimit:
    """Pure ASGI middleware: reads at most ``max_bytes`` of a body (``larger[path]`` for a few), 413 beyond."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = f"The request body is larger than {limit:,} bytes; jwtlens refused it"
        response = error_response(scope.get("path", ""), 413, "body_too_large", message)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.max_bytes)
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await self._reject(scope, receive, send, limit)
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._reject(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
