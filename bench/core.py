"""1b. The core's in-process cost against joserfc's bare verify, for the same tokens.

``jwtlens.core.verify`` (decode + signature + claims + findings, from the token text and the key text, as the
app calls it) is timed against joserfc given the same tokens:

* joserfc, key in hand (the budget's baseline): ``jwt.decode(token, key)`` with the key imported once,
  then the same claims checked by ``JWTClaimsRegistry``: the same decode + verify + claims job;
* joserfc, signature only: ``jws.deserialize_compact(token, key)``, the barest verify;
* joserfc, key from text: the key imported from the same text on every call, then decode + claims.

Every contender cycles through the same pool of distinct tokens (more than any of the app's caches hold),
as an API client verifying many tokens does; "same token" figures show the keystroke case, one token
re-checked, where the app's per-token caches hit. Calls are timed in batches, contenders interleaved round
by round, garbage collection off during a batch; the median per-call time over the rounds is kept.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from .common import ALGS, AUDIENCE, ISSUER, POLICY, Budget, Section, make_keys, make_token, median

BUDGET_RATIO = 2.0
#: HS256 with the right secret on a new token: the weak-secret check is a lookup, not a scan of the list
HS256_BUDGET_RATIO = 3.0
#: more distinct tokens than the app caches per token (find_weak_secret keeps 512)
POOL = 1100


def per_call(fn: Callable[[], Any], calls: int) -> float:
    gc_was = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - started) / calls
    finally:
        if gc_was:
            gc.enable()


def calibrate(fn: Callable[[], Any], batch_seconds: float) -> int:
    fn()
    calls, elapsed = 1, 0.0
    while elapsed < batch_seconds / 4:
        calls *= 2
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - started
    return max(1, int(calls * batch_seconds / elapsed))


def compare(contenders: dict[str, Callable[[], Any]], rounds: int, batch_seconds: float) -> dict[str, float]:
    """Median seconds per call of each contender, measured interleaved."""
    sizes = {name: calibrate(fn, batch_seconds) for name, fn in contenders.items()}
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for number in range(rounds):
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order:
            samples[name].append(per_call(contenders[name], sizes[name]))
    return {name: median(values) for name, values in samples.items()}


def _key_class(alg: str) -> Any:
    from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

    return {"HS256": OctKey, "RS256": RSAKey, "ES256": ECKey, "EdDSA": OKPKey}[alg]


def _registry() -> Any:
    from joserfc import jwt

    return jwt.JWTClaimsRegistry(
        leeway=int(POLICY["leeway"]),
        iss={"essential": True, "values": [ISSUER]},
        aud={"essential": True, "values": [AUDIENCE]},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )


def _breakdown(token: str, key_text: str, policy: Any) -> dict[str, Callable[[], Any]]:
    """The core's stages, each callable alone, to show where its time goes."""
    from jwtlens.core.algorithms import SUPPORTED
    from jwtlens.core.claims import describe_claims
    from jwtlens.core.findings import key_findings, sort_findings, token_findings
    from jwtlens.core.keys import parse_key
    from jwtlens.core.policy import check_claims
    from jwtlens.core.tokens import decode_token
    from jwtlens.core.verify import check_signature

    decoded = decode_token(token)
    key_input = parse_key(key_text)
    now = time.time()
    secret = key_input.keys[0].key.raw_value if key_input.keys[0].kty == "oct" else None
    findings = token_findings(decoded, now, signed_with=secret)
    return {
        "decode_token": lambda: decode_token(token),
        "token_findings": lambda: token_findings(decoded, now, signed_with=secret),
        "parse_key": lambda: parse_key(key_text),
        "key_findings": lambda: key_findings(key_input, decoded.alg, "verify"),
        "check_signature": lambda: check_signature(decoded, key_input, SUPPORTED),
        "check_claims": lambda: check_claims(decoded.payload, policy, now, decoded.header),
        "describe_claims": lambda: describe_claims(decoded.payload, now),
        "sort_findings": lambda: sort_findings(list(findings)),
    }


def run(section: Section, quick: bool = False) -> None:
    import itertools

    from joserfc import jws, jwt
    from jwtlens.core import parse_policy, verify

    rounds, batch = (3, 0.04) if quick else (7, 0.08)
    keys = make_keys()
    policy = parse_policy(POLICY)
    registry = _registry()
    results: dict[str, Any] = {}
    now = int(time.time())
    for alg in ALGS:
        pair = keys[alg]
        # distinct iat/exp/jti per token: no cache of the app's sees the same token or time twice in a row
        pool = [make_token(pair, i, iat=now - i, exp=now - i + 4 * 3600) for i in range(POOL)]
        key_text = pair.verify_text
        key_class = _key_class(alg)
        prepared = key_class.import_key(key_text)
        cycles = {name: itertools.cycle(pool) for name in ("core", "text", "prepared", "jws")}

        def core(tokens: Any = cycles["core"], key_text: str = key_text) -> Any:
            result = verify(next(tokens), key_text, policy=policy)
            assert result.verified, result.verdict
            return result

        def bare_text(
            tokens: Any = cycles["text"], key_text: str = key_text, cls: Any = key_class, alg: str = alg
        ) -> Any:
            decoded = jwt.decode(next(tokens), cls.import_key(key_text), algorithms=[alg])
            registry.validate(decoded.claims)
            return decoded

        def bare_prepared(tokens: Any = cycles["prepared"], key: Any = prepared, alg: str = alg) -> Any:
            decoded = jwt.decode(next(tokens), key, algorithms=[alg])
            registry.validate(decoded.claims)
            return decoded

        def bare_jws(tokens: Any = cycles["jws"], key: Any = prepared, alg: str = alg) -> Any:
            return jws.deserialize_compact(next(tokens), key, algorithms=[alg])

        def core_same(token: str = pool[0], key_text: str = key_text) -> Any:
            return verify(token, key_text, policy=policy)

        contenders: dict[str, Callable[[], Any]] = {
            "core": core,
            "joserfc_key_in_hand": bare_prepared,
            "joserfc_signature_only": bare_jws,
            "joserfc_key_from_text": bare_text,
            "core_same_token": core_same,
        }
        timings = compare(contenders, rounds, batch)
        stages = compare(_breakdown(pool[1], key_text, policy), max(3, rounds // 2), batch / 2)
        base = timings["joserfc_key_in_hand"]
        entry = {
            "us_core": round(timings["core"] * 1e6, 1),
            "us_core_same_token": round(timings["core_same_token"] * 1e6, 1),
            "us_joserfc_key_in_hand": round(base * 1e6, 1),
            "us_joserfc_signature_only": round(timings["joserfc_signature_only"] * 1e6, 1),
            "us_joserfc_key_from_text": round(timings["joserfc_key_from_text"] * 1e6, 1),
            "ratio_vs_key_in_hand": round(timings["core"] / base, 2),
            "ratio_vs_signature_only": round(timings["core"] / timings["joserfc_signature_only"], 2),
            "ratio_vs_key_from_text": round(timings["core"] / timings["joserfc_key_from_text"], 2),
            "us_core_stages": {name: round(value * 1e6, 1) for name, value in stages.items()},
        }
        results[alg] = entry
        section.row(
            f"{alg} core verify vs joserfc",
            f"core {entry['us_core']:.0f} µs (same token again {entry['us_core_same_token']:.0f}); joserfc "
            f"{entry['us_joserfc_key_in_hand']:.0f} µs = {entry['ratio_vs_key_in_hand']:.2f}x "
            f"[signature only {entry['us_joserfc_signature_only']:.0f} µs = {entry['ratio_vs_signature_only']:.2f}x, "
            f"key from text {entry['us_joserfc_key_from_text']:.0f} µs = {entry['ratio_vs_key_from_text']:.2f}x]",
        )
        top = sorted(entry["us_core_stages"].items(), key=lambda item: -item[1])[:4]
        section.row(f"  {alg} core's largest stages", ", ".join(f"{n} {v:.0f} µs" for n, v in top))
    section.figures.update({"rounds": rounds, "distinct_tokens": POOL, "algorithms": results})
    hs = results["HS256"]
    section.budgets.append(
        Budget(
            "HS256 core, right secret, new token / joserfc (key in hand)",
            hs["ratio_vs_key_in_hand"],
            HS256_BUDGET_RATIO,
            "<=",
            unit="x",
            note=f"{hs['us_core']:.0f} vs {hs['us_joserfc_key_in_hand']:.0f} µs",
        )
    )
    rs = results["RS256"]
    section.budgets.append(
        Budget(
            "RS256 core / joserfc decode+verify+claims (key in hand)",
            rs["ratio_vs_key_in_hand"],
            BUDGET_RATIO,
            "<=",
            unit="x",
            note=f"{rs['us_core']:.0f} vs {rs['us_joserfc_key_in_hand']:.0f} µs; vs joserfc importing the key "
            f"text each call: {rs['ratio_vs_key_from_text']:.2f}x",
        )
    )
