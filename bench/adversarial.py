"""7. Adversarial: 1 MB hostile pastes are linear, and worst-case requests cannot freeze the server.

Part one extracts a token from 1 MB of each hostile text in-process (median of three runs; the worst case is
the budget). Part two starts ``jwtlens serve`` and keeps four worst-case requests in flight (a 1 MB paste on
the page route, a 1 MB JSON paste on the API, a fresh 4096-bit RSA private key, PBES2 at the maximum p2c)
while ``GET /healthz`` and an ordinary HS256 verify are timed every 20 ms: both must stay fast because CPU
work runs in a bounded worker pool, never on the event loop.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import suppress
from urllib.parse import urlencode

from .common import Budget, Section, Server, median, percentile, request

#: 1 MB: the default largest request body
MEGABYTE = 1_000_000
BUDGET_EXTRACT_SECONDS = 0.5
BUDGET_HEALTH_P95_MS = 500.0
PASSWORD = "correct horse battery"
SECRET = "bench-adversarial-secret-0123456789abc"


def hostile_pastes() -> dict[str, str]:
    """1 MB texts built to make a backtracking or recursive scanner quadratic (or crash it)."""
    return {
        "Authorization: + 'ey' repeated": "Authorization: " + "ey" * (MEGABYTE // 2),
        "log line of 'eyJ+.'": "log " + "eyJ+." * (MEGABYTE // 5),
        "log line of 'ey.'": "log " + "ey." * (MEGABYTE // 3),
        "'a.a.a.'": "a." * (MEGABYTE // 2),
        "'eyJ=' chains": "x " + "eyJ=" * (MEGABYTE // 4) + " y",
        "nested escaped quotes": '{"a": "' + '\\"' * (MEGABYTE // 2) + '"}',
        "JSON with 70,000 keys": json.dumps({f"k{i}": "ey.a.b" for i in range(MEGABYTE // 14)}),
        "JSON nested 1,000,000 deep": "[" * MEGABYTE,
        "curl with 'http://?' repeated": "curl " + "http://?" * (MEGABYTE // 8),
        "URL with 140,000 pairs": "https://x.example/?" + "a=ey.b&" * (MEGABYTE // 7),
        "integer of a million digits": '{"a": ' + "9" * (MEGABYTE - 10) + "}",
    }


def worst_cases() -> list[tuple[str, str, dict[str, str], bytes]]:
    """(label, path, headers, body) of the four requests kept in flight."""
    from joserfc.jwk import RSAKey
    from jwtlens.core import sign
    from jwtlens.core.jwe import DEFAULT_MAX_P2C, encrypt_jwe

    paste = urlencode({"token": "log " + "ey." * 330_000, "mode": "verify"}).encode()
    # Under the 1 MB body limit once JSON-escaped, so it is scanned whole (then refused: no token, too long).
    many_keys = json.dumps({"token": json.dumps({f"k{i}": "eyJ+.a.b" for i in range(38_000)})}).encode()
    rsa_pem = RSAKey.generate_key(4096, private=True).as_pem(private=True).decode()
    rsa_token = sign({"alg": "RS256"}, {"sub": "a"}, rsa_pem).token
    header = {"alg": "PBES2-HS512+A256KW", "enc": "A256GCM", "p2c": DEFAULT_MAX_P2C}
    jwe = encrypt_jwe(header, "hello", PASSWORD)
    form = {"content-type": "application/x-www-form-urlencoded"}
    api = {"content-type": "application/json"}
    return [
        ("1 MB paste (page)", "/fragments/token", form, paste),
        ("1 MB JSON paste (API)", "/api/decode", api, many_keys),
        ("4096-bit RSA private key", "/api/verify", api, json.dumps({"token": rsa_token, "key": rsa_pem}).encode()),
        ("PBES2 at the max p2c", "/api/decrypt", api, json.dumps({"token": jwe, "key": PASSWORD}).encode()),
    ]


def _extraction(section: Section) -> None:
    from jwtlens.core import InputError
    from jwtlens.core.extract import extract_token

    timings: dict[str, float] = {}
    for name, text in hostile_pastes().items():
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            with suppress(InputError):  # deep JSON is refused, by design
                extract_token(text)
            runs.append(time.perf_counter() - started)
        timings[name] = median(runs)
        section.row(f"extract from 1 MB: {name}", f"{timings[name] * 1000:.0f} ms")
    worst = max(timings, key=timings.__getitem__)
    section.figures["extract_ms"] = {k: round(v * 1000, 1) for k, v in timings.items()}
    section.budgets.append(
        Budget(
            "1 MB adversarial paste, slowest extraction",
            round(timings[worst], 3),
            BUDGET_EXTRACT_SECONDS,
            "<=",
            unit=" s",
            note=worst,
        )
    )


def _under_load(section: Section, seconds: float) -> None:
    from jwtlens.core import sign

    cases = worst_cases()
    server = Server("adversarial").start()
    statuses: dict[str, list[int]] = {label: [] for label, *_ in cases}
    stop = threading.Event()

    def hammer(label: str, path: str, headers: dict[str, str], body: bytes) -> None:
        while not stop.is_set():
            statuses[label].append(request(server.port, "POST", path, body, headers, timeout=120).status)

    threads = [threading.Thread(target=hammer, args=case, daemon=True) for case in cases]
    token = sign({"alg": "HS256"}, {"sub": "a"}, SECRET).token
    verify_body = json.dumps({"token": token, "key": SECRET}).encode()
    health: list[float] = []
    verify: list[float] = []
    try:
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            request(server.port, "GET", "/healthz", timeout=30)
            health.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            reply = request(server.port, "POST", "/api/verify", verify_body, {"content-type": "application/json"})
            verify.append((time.perf_counter() - started) * 1000)
            if b'"verified":true' not in reply.body.replace(b" ", b""):
                raise RuntimeError("the ordinary verify under load did not verify")
            time.sleep(0.02)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        server.cleanup()
    done = {label: len(seen) for label, seen in statuses.items()}
    unexpected = {label: sorted(set(seen) - {200, 400, 413}) for label, seen in statuses.items()}
    if any(unexpected.values()):
        raise RuntimeError(f"worst-case requests were not all answered 200/400/413: {unexpected}")
    p50, p95 = percentile(health, 50), percentile(health, 95)
    v50, v95 = percentile(verify, 50), percentile(verify, 95)
    section.row("worst-case requests completed", ", ".join(f"{k}: {v}" for k, v in done.items()))
    section.row("GET /healthz under load", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(health):.0f} ms")
    section.row("ordinary HS256 verify under load", f"p50 {v50:.1f} ms, p95 {v95:.1f} ms, max {max(verify):.0f} ms")
    section.figures.update(
        {
            "health_ms": {"p50": round(p50, 1), "p95": round(p95, 1), "max": round(max(health), 1), "n": len(health)},
            "verify_ms": {"p50": round(v50, 1), "p95": round(v95, 1), "max": round(max(verify), 1)},
            "worst_cases_completed": done,
        }
    )
    section.budgets.append(
        Budget(
            "/healthz p95 with 4 worst-case requests in flight", round(p95, 1), BUDGET_HEALTH_P95_MS, "<=", unit=" ms"
        )
    )
    section.budgets.append(
        Budget(
            "ordinary verify p95 with 4 worst-case requests in flight",
            round(v95, 1),
            BUDGET_HEALTH_P95_MS,
            "<=",
            unit=" ms",
        )
    )


def run(section: Section, quick: bool = False) -> None:
    _extraction(section)
    _under_load(section, seconds=4.0 if quick else 10.0)
