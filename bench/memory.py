"""5. Memory: the server's resident set after 20,000 mixed requests against after the first 1,000.

A fresh ``jwtlens serve`` gets a cycle of every kind of request the page and the API make (verify with
each algorithm, both fragments, the page, decode, a malformed token, a static file, /healthz), with a new
token for most requests, so caches that never stop growing would show. RSS is read from /proc between
batches (the load pauses while it is read).
"""

from __future__ import annotations

import json
import time
from typing import Any

from .common import (
    Budget,
    Section,
    Server,
    api_verify_body,
    fragment_settings_body,
    make_keys,
    make_token,
    request,
)
from .loadgen import LoadGenerator, build_request

FORM = "application/x-www-form-urlencoded"
BUDGET_RATIO = 1.2
CHECKPOINTS = (1_000, 2_500, 5_000, 10_000, 15_000, 20_000)


def _catalog(port: int, total: int) -> list[bytes]:
    keys = make_keys()
    hs, rs, es, ed = keys["HS256"], keys["RS256"], keys["ES256"], keys["EdDSA"]
    static = _static_path(port)
    fixed = make_token(hs, 0)
    kinds = 11
    rounds = total // kinds + 1
    rsa_tokens = [make_token(rs, i) for i in range(min(rounds, 400))]  # RSA signing is the slow part of setup
    catalog: list[bytes] = []
    for i in range(rounds):
        hs_token = make_token(hs, i)
        catalog += [
            build_request("GET", "/healthz", port),
            build_request("POST", "/api/verify", port, api_verify_body(hs_token, hs.verify_text), "application/json"),
            build_request(
                "POST",
                "/api/verify",
                port,
                api_verify_body(rsa_tokens[i % len(rsa_tokens)], rs.verify_text),
                "application/json",
            ),
            build_request(
                "POST", "/api/verify", port, api_verify_body(make_token(es, i), es.verify_text), "application/json"
            ),
            build_request(
                "POST", "/api/verify", port, api_verify_body(make_token(ed, i), ed.verify_text), "application/json"
            ),
            build_request("POST", "/fragments/settings", port, fragment_settings_body(fixed, hs.verify_text), FORM),
            build_request("POST", "/fragments/token", port, fragment_settings_body(hs_token, hs.verify_text), FORM),
            build_request("GET", "/", port),
            build_request(
                "POST", "/api/decode", port, json.dumps({"token": make_token(es, i)}).encode(), "application/json"
            ),
            build_request(
                "POST", "/api/decode", port, json.dumps({"token": f"not.a-token.{i}"}).encode(), "application/json"
            ),
            build_request("GET", static, port),
        ]
    return catalog


def _static_path(port: int) -> str:
    html = request(port, "GET", "/").body.decode()
    start = html.find("/static/")
    return html[start : html.index('"', start)] if start >= 0 else "/healthz"


def run(section: Section, quick: bool = False, processes: int = 2, connections: int = 4) -> None:
    checkpoints = tuple(c // 4 for c in CHECKPOINTS) if quick else CHECKPOINTS
    with Server("memory") as server:
        catalog = _catalog(server.port, checkpoints[-1])
        rss_start = server.rss_kb()
        samples: list[dict[str, Any]] = []
        done = 0
        statuses: dict[int, int] = {}
        started = time.perf_counter()
        with LoadGenerator(server.port, processes) as load:
            for checkpoint in checkpoints:
                # each batch continues the cycle where the last one stopped
                load.load("mixed", catalog[done:] + catalog[:done])
                result = load.run("mixed", connections, max_requests=checkpoint - done, expect=(200, 400))
                if result.errors:
                    raise RuntimeError(f"{result.errors} failed requests ({result.statuses})")
                for status, count in result.statuses.items():
                    statuses[status] = statuses.get(status, 0) + count
                done = checkpoint
                samples.append(
                    {"requests": done, "rss_mb": round(server.rss_kb() / 1024, 1), "threads": server.threads()}
                )
        seconds = time.perf_counter() - started
    first, last = samples[0], samples[-1]
    ratio = last["rss_mb"] / first["rss_mb"]
    section.figures.update(
        {
            "rss_mb_at_start": round(rss_start / 1024, 1),
            "samples": samples,
            "ratio_last_to_first": round(ratio, 3),
            "statuses": statuses,
            "seconds": round(seconds, 1),
            "kinds_of_request": 11,
        }
    )
    section.row("RSS after start", f"{rss_start / 1024:.1f} MB")
    section.row(
        "RSS after N requests",
        "  ".join(f"{s['requests']:,}: {s['rss_mb']:.1f} MB" for s in samples),
    )
    section.row("threads in the server at the end", str(last["threads"]))
    section.budgets.append(
        Budget(
            f"RSS after {last['requests']:,} / after {first['requests']:,} requests",
            round(ratio, 3),
            BUDGET_RATIO,
            "<=",
            unit="x",
            note=f"{last['rss_mb']:.1f} vs {first['rss_mb']:.1f} MB",
        )
    )
