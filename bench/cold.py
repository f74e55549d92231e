"""4. Cold start: from spawning ``jwtlens serve --port N`` to the first 200 on ``/``.

The console script is started as a user starts it (a new process, imports, app creation, uvicorn binding)
and ``/`` is polled every 5 ms over fresh connections until it answers 200; the first page render is
included. Median of several runs; each run uses a fresh port and a fresh SQLite file.
"""

from __future__ import annotations

from .common import Budget, Section, Server, median

BUDGET_SECONDS = 1.5


def run(section: Section, quick: bool = False) -> None:
    runs = 3 if quick else 5
    timings: list[float] = []
    for number in range(runs):
        server = Server(f"cold{number}")
        try:
            spawned = server.launch()
            ready = server.wait_ready("/", timeout=30, poll=0.005)
            timings.append(ready - spawned)
        finally:
            server.cleanup()
    value = median(timings)
    section.figures.update(
        {
            "seconds_median": round(value, 3),
            "seconds_runs": [round(t, 3) for t in timings],
            "command": "jwtlens serve --host 127.0.0.1 --port N",
        }
    )
    section.row("spawn -> first 200 on /", f"median {value:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in timings)})")
    section.budgets.append(Budget("cold start to first 200 on /", round(value, 3), BUDGET_SECONDS, "<=", unit=" s"))
