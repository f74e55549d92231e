"""1. Server overhead: throughput and latency of the verify endpoints against the stack's ceiling (/healthz).

One ``jwtlens serve`` process; a load generator in two worker processes keeps a fixed number of keep-alive
connections busy for a fixed duration per run. Every target is run once per round, the order rotating and
reversing between rounds, so that the machine's noise hits the ceiling and the endpoints alike; each
endpoint's throughput is divided by the ceiling's throughput in the same round and the median of those
ratios is reported.

Then the budgeted API target runs again against its ceiling in a second server pinned to one CPU (Linux,
two CPUs or more): an informative row, not a budget, showing what the hand-off between the event loop and
the worker threads costs when they sit on different cores.
"""

from __future__ import annotations

import inspect
import json
import os
import time
from dataclasses import dataclass
from typing import Any

from .common import (
    ALGS,
    Budget,
    Section,
    Server,
    api_verify_body,
    fmt,
    fragment_settings_body,
    make_keys,
    make_token,
    median,
    percentile,
    request,
)
from .loadgen import LoadGenerator, build_request

#: distinct tokens per target: more than find_weak_secret's lru_cache (512), so the API pays the scan
POOL = 600
FORM = "application/x-www-form-urlencoded"
BUDGET_RATIO = 0.5
#: targets held to BUDGET_RATIO of the ceiling: what a keystroke posts, and an API client's HS256 verify
BUDGETED = {
    "fragment_settings_HS256": "HS256 fragment throughput / ceiling (/healthz)",
    "api_verify_HS256": "POST /api/verify HS256 throughput / ceiling (/healthz)",
}


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    requests: list[bytes]
    check: bytes | None = None  # a sanity request answered before the load
    expect: str = ""  # text the sanity answer must contain


def _targets(port: int) -> list[Target]:
    keys = make_keys()
    targets = [Target("ceiling", "GET /healthz (ceiling)", [build_request("GET", "/healthz", port)], expect='"ok"')]
    for alg in ALGS:
        pair = keys[alg]
        bodies = [api_verify_body(make_token(pair, i), pair.verify_text) for i in range(POOL)]
        targets.append(
            Target(
                f"api_verify_{alg}",
                f"POST /api/verify {alg} + policy",
                [build_request("POST", "/api/verify", port, b, "application/json") for b in bodies],
                expect='"verified": true',
            )
        )
    hs = keys["HS256"]
    one = make_token(hs, 0)
    targets.append(
        Target(
            "fragment_settings_HS256",
            "POST /fragments/settings HS256 + policy",
            [build_request("POST", "/fragments/settings", port, fragment_settings_body(one, hs.verify_text), FORM)],
            expect="Signature verified",
        )
    )
    fresh = [fragment_settings_body(make_token(hs, i), hs.verify_text) for i in range(POOL)]
    targets.append(
        Target(
            "fragment_token_HS256",
            "POST /fragments/token HS256, new token each",
            [build_request("POST", "/fragments/token", port, b, FORM) for b in fresh],
            expect="Signature verified",
        )
    )
    return targets


def _sanity(server: Server, target: Target) -> None:
    """The load must measure the success path: one request answered in full, checked."""
    raw = target.requests[0]
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ")
    headers = dict(
        line.split(": ", 1) for line in lines[1:] if not line.lower().startswith(("host:", "content-length"))
    )
    reply = request(server.port, method, path, body or None, headers)
    text = reply.body.decode("utf-8", "replace")
    if target.expect.startswith('"verified"'):
        ok = reply.status == 200 and json.loads(text).get("verified") is True
    else:
        ok = reply.status == 200 and target.expect in text
    if not ok:
        raise RuntimeError(f"{target.name}: the sanity request got {reply.status}: {text[:300]}")


Rounds = dict[str, list[dict[str, Any]]]
#: rounds, seconds per run, warm-up seconds; by quick
_ROUNDS = {False: (4, 2.0, 0.5), True: (2, 1.0, 0.3)}


def _measure(
    server: Server, load: LoadGenerator, targets: list[Target], connections: int, quick: bool
) -> tuple[Rounds, dict[str, list[float]]]:
    """Every target once per round, the order rotating and reversing; each run's rates and latencies."""
    rounds, duration, warmup = _ROUNDS[quick]
    for target in targets:
        _sanity(server, target)
        load.load(target.name, target.requests)
        load.run(target.name, connections, duration=warmup, catalog_size=len(target.requests))
    per_round: Rounds = {t.name: [] for t in targets}
    latencies: dict[str, list[float]] = {t.name: [] for t in targets}
    for number in range(rounds):
        order = targets[number % len(targets) :] + targets[: number % len(targets)]
        if number % 2:
            order.reverse()
        for target in order:
            cpu_before, wall_before = server.cpu_seconds(), time.perf_counter()
            result = load.run(target.name, connections, duration=duration, catalog_size=len(target.requests))
            server_cpu = (server.cpu_seconds() - cpu_before) / (time.perf_counter() - wall_before)
            if result.errors:
                raise RuntimeError(f"{target.name}: {result.errors} failed requests ({result.statuses})")
            per_round[target.name].append(
                {
                    "rps": result.rps,
                    "server_cpu": server_cpu,
                    "client_cpu": result.client_cpu / result.seconds,
                }
            )
            latencies[target.name].extend(result.latencies)
    return per_round, latencies


def _pinned(quick: bool, processes: int, connections: int) -> dict[str, Any] | None:
    """The budgeted API target again with the server pinned to one CPU: informative, not a budget.

    The process's Python work uses about one core either way; pinned, its event loop and worker threads
    hand the GIL to each other on one core instead of waking each other across cores (docs/benchmarks.md).
    """
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        return None
    cpu = max(os.sched_getaffinity(0))
    with Server("pinned", cpus=frozenset({cpu})) as server, LoadGenerator(server.port, processes) as load:
        wanted = ("ceiling", "api_verify_HS256")
        targets = [t for t in _targets(server.port) if t.name in wanted]
        per_round, _ = _measure(server, load, targets, connections, quick)
    ceiling = [r["rps"] for r in per_round["ceiling"]]
    api = [r["rps"] for r in per_round["api_verify_HS256"]]
    return {
        "cpu": cpu,
        "ceiling_rps_median": round(median(ceiling), 1),
        "api_verify_HS256_rps_median": round(median(api), 1),
        "ratio_to_ceiling": round(median([a / c for a, c in zip(api, ceiling, strict=True) if c]), 3),
    }


def run(section: Section, quick: bool = False, processes: int = 2, connections: int = 4) -> None:
    rounds, duration, _ = _ROUNDS[quick]
    with Server("throughput") as server, LoadGenerator(server.port, processes) as load:
        targets = _targets(server.port)
        per_round, latencies = _measure(server, load, targets, connections, quick)
        rss_kb = server.rss_kb()

    ceiling_rounds = [r["rps"] for r in per_round["ceiling"]]
    figures: dict[str, Any] = {
        "setup": {
            "server": "jwtlens serve (one uvicorn process)",
            "load_generator": f"{processes} processes, {connections} keep-alive connections in all",
            "rounds": rounds,
            "seconds_per_run": duration,
            "distinct_tokens_per_api_target": POOL,
        },
        "server_rss_mb_after": round(rss_kb / 1024, 1),
        "targets": {},
    }
    for target in targets:
        runs = per_round[target.name]
        ratios = [r["rps"] / c for r, c in zip(runs, ceiling_rounds, strict=True) if c]
        samples = latencies[target.name]
        entry = {
            "label": target.label,
            "rps_median": round(median([r["rps"] for r in runs]), 1),
            "rps_per_round": [round(r["rps"], 1) for r in runs],
            "ratio_to_ceiling": round(median(ratios), 3),
            "ratio_per_round": [round(x, 3) for x in ratios],
            "latency_ms_p50": round(percentile(samples, 50) * 1000, 2),
            "latency_ms_p99": round(percentile(samples, 99) * 1000, 2),
            "requests_measured": len(samples),
            "server_cpu_cores": round(median([r["server_cpu"] for r in runs]), 2),
            "client_cpu_cores": round(median([r["client_cpu"] for r in runs]), 2),
        }
        figures["targets"][target.name] = entry
        section.row(
            target.label,
            f"{fmt(entry['rps_median'])} req/s  ({entry['ratio_to_ceiling'] * 100:.0f} % of ceiling)  "
            f"p50 {entry['latency_ms_p50']:.1f} ms  p99 {entry['latency_ms_p99']:.1f} ms",
        )
    from jwtlens.web import pages

    # A plain `def` endpoint runs in the thread pool, a hop that costs about as much as the rest of the stack.
    kind = "async def (event loop)" if inspect.iscoroutinefunction(pages.healthz) else "def (runs in the thread pool)"
    figures["ceiling_handler"] = kind
    section.row("ceiling's handler (jwtlens.web.pages.healthz)", kind)
    busy = [t["server_cpu_cores"] for t in figures["targets"].values()]
    section.row(
        "server CPU during runs (cores)",
        f"{min(busy):.2f}-{max(busy):.2f}  (load generator <= "
        f"{max(t['client_cpu_cores'] for t in figures['targets'].values()):.2f})",
    )
    pinned = _pinned(quick, processes, connections)
    figures["pinned_one_cpu"] = pinned
    if pinned is not None:
        section.row(
            "POST /api/verify HS256, server pinned to 1 CPU",
            f"{fmt(pinned['api_verify_HS256_rps_median'])} req/s  ({pinned['ratio_to_ceiling'] * 100:.0f} % of its "
            f"ceiling, {fmt(pinned['ceiling_rps_median'])} req/s)  informative: jwtlens serve does not pin itself",
        )
    section.figures.update(figures)
    ceiling = figures["targets"]["ceiling"]["rps_median"]
    for key, name in BUDGETED.items():
        entry = figures["targets"][key]
        section.budgets.append(
            Budget(
                name,
                entry["ratio_to_ceiling"],
                BUDGET_RATIO,
                ">=",
                note=f"{fmt(entry['rps_median'])} vs {fmt(ceiling)} req/s, median of {rounds} interleaved rounds",
            )
        )
