"""4. Cold start: ``jwtlens serve`` to the first 200 on ``/``, and ``jwtlens decode`` against importing joserfc.

The console script is started as a user starts it (a new process, imports, app creation, uvicorn binding)
and ``/`` is polled every 5 ms over fresh connections until it answers 200; the first page render is
included. Median of several runs; each run uses a fresh port and a fresh SQLite file.

``jwtlens decode TOKEN`` (and ``verify``) is timed as a script calls it, wall clock from spawn to exit,
interleaved run by run with ``python -c "import joserfc.jws, joserfc.jwt"``: the least any Python tool
that decodes with joserfc pays. The budget is the ratio of the medians.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from .common import BIN, Budget, Section, Server, make_keys, make_token, median

BUDGET_SECONDS = 1.5
CLI_BUDGET_RATIO = 1.5


def _wall(command: list[str], server: Server) -> float:
    started = time.perf_counter()
    subprocess.run(
        command,
        env=server.env(),  # no JWTLENS_* variables, no proxies, this checkout on the path
        cwd=server.workdir,  # so no .env is read
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=60,
    )
    return time.perf_counter() - started


def _cli(section: Section, quick: bool) -> None:
    server = Server("cli")  # only for its environment and working directory
    try:
        _time_cli(section, quick, server)
    finally:
        server.cleanup()


def _time_cli(section: Section, quick: bool, server: Server) -> None:
    script = BIN / "jwtlens"
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "jwtlens"]
    pair = make_keys()["HS256"]
    token = make_token(pair)
    commands = {
        "joserfc_import": [sys.executable, "-c", "import joserfc.jws, joserfc.jwt"],
        "decode": [*prefix, "decode", token],
        "verify": [*prefix, "verify", token, "--key", pair.verify_text],
    }
    runs = 7 if quick else 15
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the file cache and the bytecode
        _wall(command, server)
    for number in range(runs):
        names = list(commands)[number % 3 :] + list(commands)[: number % 3]
        for name in names:
            samples[name].append(_wall(commands[name], server))
    ms = {name: median(values) * 1000 for name, values in samples.items()}
    ratio = ms["decode"] / ms["joserfc_import"]
    section.figures["cli"] = {
        "runs": runs,
        "ms_median": {name: round(value, 1) for name, value in ms.items()},
        "ratio_decode_to_joserfc_import": round(ratio, 2),
        "ratio_verify_to_joserfc_import": round(ms["verify"] / ms["joserfc_import"], 2),
        "command": f"{Path(prefix[-1]).name} decode TOKEN",
    }
    section.row(
        "jwtlens decode / import joserfc",
        f"{ms['decode']:.0f} vs {ms['joserfc_import']:.0f} ms = {ratio:.2f}x  "
        f"(verify {ms['verify']:.0f} ms = {ms['verify'] / ms['joserfc_import']:.2f}x; medians of {runs})",
    )
    section.budgets.append(
        Budget(
            "jwtlens decode / python -c 'import joserfc.jws, joserfc.jwt' (wall)",
            round(ratio, 2),
            CLI_BUDGET_RATIO,
            "<=",
            unit="x",
            note=f"{ms['decode']:.0f} vs {ms['joserfc_import']:.0f} ms, medians of {runs} interleaved runs",
        )
    )


def run(section: Section, quick: bool = False) -> None:
    runs = 3 if quick else 5
    timings: list[float] = []
    warm = Server("cold-warm-up")  # compiles the bytecode a user's first start would, and warms the file cache
    try:
        warm.launch()
        warm.wait_ready("/", timeout=60, poll=0.05)
    finally:
        warm.cleanup()
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
    _cli(section, quick)
