"""The worker pool that CPU work runs in: bounded by cpu_workers, off the event loop, context following."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from jwtlens.config import Settings
from jwtlens.main import create_app
from jwtlens.web.limits import off_loop

T = TypeVar("T")
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: the browser tests leave an event loop running in this one."""
    with ThreadPoolExecutor(1) as runner:
        return runner.submit(asyncio.run, coroutine).result()


def _request(workers: int) -> Any:
    app = create_app(Settings(cpu_workers=workers))
    return SimpleNamespace(app=app)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_no_more_than_cpu_workers_run_at_once_and_the_rest_queue(workers):
    running, peak, lock = 0, 0, threading.Lock()

    def work(n: int) -> tuple[int, str, str]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.03)
        with lock:
            running -= 1
        return n, threading.current_thread().name, REQUEST_ID.get()

    async def main() -> list[tuple[int, str, str]]:
        request = _request(workers)
        loop_thread = threading.current_thread().name

        async def one(n: int) -> tuple[int, str, str]:
            REQUEST_ID.set(f"r{n}")  # each task's own context reaches its worker
            return await off_loop(request, work, n)

        ticks = 0

        async def ticker() -> None:  # the loop stays free while the pool works
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        beat = asyncio.create_task(ticker())
        done = await asyncio.gather(*(one(n) for n in range(3 * workers + 1)))
        beat.cancel()
        assert ticks >= 5
        assert all(name != loop_thread and name.startswith("jwtlens-cpu") for _, name, _ in done)
        return done

    done = _run(main())
    assert peak == workers
    assert [(n, rid) for n, _, rid in done] == [(n, f"r{n}") for n in range(3 * workers + 1)]


def test_an_error_in_the_worker_reaches_the_caller():
    def broken() -> None:
        raise ValueError("from the worker")

    async def main() -> None:
        with pytest.raises(ValueError, match="from the worker"):
            await off_loop(_request(1), broken)

    _run(main())
