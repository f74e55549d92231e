"""1. Server overhead: throughput and latency of the verify endpoints against the stack's ceiling (/healthz).

One ``jwtlens serve`` process; a load generator in two worker processes keeps a fixed number of keep-alive
connections busy for a fixed duration per run. Every target is run once per round, the order rotating and
reversing between rounds, so that the machine's noise hits the ceiling and the endpoints alike; each
endpoint's throughput is divided by the ceiling's throughput in the same round and the median of those
ratios is reported.
"""

from __future__ import annotations

import inspect
import json
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


def run(section: Section, quick: bool = False, processes: int = 2, connections: int = 4) -> None:
    rounds, duration, warmup = (2, 1.0, 0.3) if quick else (4, 2.0, 0.5)
    with Server("throughput") as server, LoadGenerator(server.port, processes) as load:
        targets = _targets(server.port)
        for target in targets:
            _sanity(server, target)
            load.load(target.name, target.requests)
            load.run(target.name, connections, duration=warmup, catalog_size=len(target.requests))
        per_round: dict[str, list[dict[str, Any]]] = {t.name: [] for t in targets}
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
