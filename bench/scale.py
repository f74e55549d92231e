"""6. Scale: decode + verify time against token size, and the weak-secret scan's cost per token.

Tokens of 1, 16, 64 and 256 KB (256 KB is the default cap, JWTLENS_MAX_TOKEN_BYTES = 262,144 characters)
are made by padding a claim. ``jwtlens.core.verify`` is timed on each, RS256 (the signature check hashes the
whole signing input) and HS256 with the weak-secret cache cleared before every call (a new token pays the
scan). Growth is judged on the marginal cost per KB: going from 64 to 256 KB should cost no more per KB
than going from 16 to 64 KB, within a factor of 2 (a quadratic step would show as about 4).

The weak-secret scan (``find_weak_secret.__wrapped__``, bypassing its lru_cache) is timed on a token
signed with a strong secret, so it tries every well-known secret; past some size it stops at its own
time bound (SCAN_BUDGET_SECONDS), which is reported.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from typing import Any

from .common import POLICY, Budget, Section, claims, make_keys
from .core import compare

SIZES_KB = (1, 16, 64, 256)
BUDGET_GROWTH = 2.0


def _padded_token(keys: Any, target_chars: int) -> str:
    """A token of at most ``target_chars`` characters, within 8 of it."""
    from joserfc import jwt

    header = {"alg": keys.alg, "typ": "JWT"}
    pad = 0
    for _ in range(6):
        token = jwt.encode(header, claims(0, pad="x" * pad), keys.signing, algorithms=[keys.alg])
        short = target_chars - len(token)
        if 0 <= short <= 8:
            return token
        pad = max(0, pad + (short * 3) // 4)
    while len(token) > target_chars:
        pad -= 1
        token = jwt.encode(header, claims(0, pad="x" * pad), keys.signing, algorithms=[keys.alg])
    return token


def run(section: Section, quick: bool = False) -> None:
    from jwtlens.config import Settings
    from jwtlens.core import parse_policy, verify
    from jwtlens.core.weak_secrets import SCAN_BUDGET_SECONDS, WEAK_SECRETS, find_weak_secret

    cap = Settings().max_token_bytes
    rounds, batch = (3, 0.05) if quick else (5, 0.12)
    keys = make_keys()
    policy = parse_policy(POLICY)
    sizes = {kb: min(kb * 1024, cap) for kb in SIZES_KB}
    results: dict[str, Any] = {"cap_chars": cap, "sizes_chars": {}, "algorithms": {}}

    for alg in ("RS256", "HS256"):
        pair = keys[alg]
        tokens = {kb: _padded_token(pair, chars) for kb, chars in sizes.items()}
        results["sizes_chars"] = {f"{kb}KB": len(t) for kb, t in tokens.items()}

        def call(token: str, key_text: str = pair.verify_text, alg: str = alg) -> Any:
            if alg.startswith("HS"):
                find_weak_secret.cache_clear()
            result = verify(token, key_text, policy=policy)
            assert result.signature.valid, result.signature.message
            return result

        contenders = {kb: (lambda token=token: call(token)) for kb, token in tokens.items()}
        timings = compare({str(kb): fn for kb, fn in contenders.items()}, rounds, batch)
        us = {int(kb): t * 1e6 for kb, t in timings.items()}
        slopes = {}
        ordered = sorted(us)
        for low, high in itertools.pairwise(ordered):
            kb_low, kb_high = len(tokens[low]) / 1024, len(tokens[high]) / 1024
            slopes[f"{low}->{high}KB"] = (us[high] - us[low]) / (kb_high - kb_low)
        growth = slopes["64->256KB"] / slopes["16->64KB"] if slopes["16->64KB"] > 0 else float("nan")
        results["algorithms"][alg] = {
            "us_per_call": {f"{kb}KB": round(v, 1) for kb, v in us.items()},
            "us_per_kb": {f"{kb}KB": round(v / (len(tokens[kb]) / 1024), 2) for kb, v in us.items()},
            "marginal_us_per_kb": {k: round(v, 2) for k, v in slopes.items()},
            "growth_ratio_64_256_vs_16_64": round(growth, 2),
        }
        section.row(
            f"{alg} verify per call" + (" (new token: scan included)" if alg == "HS256" else ""),
            "  ".join(f"{kb} KB: {_ms(v)}" for kb, v in us.items()),
        )
        section.row(
            f"{alg} marginal cost",
            "  ".join(f"{k}: {v:.1f} µs/KB" for k, v in slopes.items()) + f"  (growth ratio {growth:.2f})",
        )

    # the weak-secret scan, cache bypassed
    pair = keys["HS256"]
    scan: dict[str, Any] = {"candidates": len(WEAK_SECRETS), "time_bound_ms": SCAN_BUDGET_SECONDS * 1000}
    scan_rows = []
    for kb, chars in sizes.items():
        token = _padded_token(pair, chars)
        head, body, signature = token.split(".")
        signing_input = f"{head}.{body}".encode()
        from joserfc.util import urlsafe_b64decode

        raw_sig = urlsafe_b64decode(signature.encode())
        timing = compare(
            {
                "scan": lambda s=signing_input, r=raw_sig: find_weak_secret.__wrapped__(s, r, "HS256"),
                "one_hmac": lambda s=signing_input: hmac.compare_digest(
                    hmac.digest(b"secret", s, hashlib.sha256), b"x" * 32
                ),
            },
            max(3, rounds // 2),
            batch / 2,
        )
        per_scan, per_hmac = timing["scan"], timing["one_hmac"]
        checked = min(len(WEAK_SECRETS), round(per_scan / per_hmac))
        bounded = per_scan >= SCAN_BUDGET_SECONDS * 0.95
        scan[f"{kb}KB"] = {
            "us_per_token": round(per_scan * 1e6, 1),
            "us_per_candidate": round(per_hmac * 1e6, 2),
            "stopped_at_time_bound": bounded,
            "candidates_checked_estimate": checked,
        }
        scan_rows.append(
            f"{kb} KB: {_ms(per_scan * 1e6)}" + (f" (time bound hit, ~{checked} tried)" if bounded else "")
        )
    results["weak_secret_scan"] = scan
    section.row(f"weak-secret scan per token ({len(WEAK_SECRETS)} secrets)", "  ".join(scan_rows))
    section.figures.update(results)
    rs = results["algorithms"]["RS256"]
    section.budgets.append(
        Budget(
            "RS256 verify growth: µs/KB 64->256 KB vs 16->64 KB",
            rs["growth_ratio_64_256_vs_16_64"],
            BUDGET_GROWTH,
            "<=",
            unit="x",
            note=f"{rs['marginal_us_per_kb']['64->256KB']:.1f} vs {rs['marginal_us_per_kb']['16->64KB']:.1f} µs/KB",
        )
    )


def _ms(us: float) -> str:
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"
