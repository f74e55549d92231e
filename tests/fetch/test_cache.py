"""jwtlens.fetch.cache: a TTL per document, refresh on request, and the current rules over a cached answer."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from jwtlens.fetch import FetchPolicy, IssuerCache, fetch_jwks

from tests.fetch.support import JWKS_A, JWKS_B, LOCAL, problem
from tests.idp_stub import IdPStub


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rotation_shows_only_after_refresh(stub: IdPStub) -> None:
    current = {"jwks": JWKS_A}
    stub.json("/jwks", lambda: current["jwks"])
    cache = IssuerCache()
    assert fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache).jwks == JWKS_A
    current["jwks"] = JWKS_B
    again = fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache)
    assert (again.jwks, again.from_cache) == (JWKS_A, True)
    assert stub.hits("/jwks") == 1
    refreshed = fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache, refresh=True)
    assert (refreshed.jwks, refreshed.from_cache) == (JWKS_B, False)
    assert fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache).jwks == JWKS_B  # the refresh was stored


def test_rotation_shows_after_the_ttl(stub: IdPStub) -> None:
    served = 0

    def rotating() -> object:
        nonlocal served
        served += 1
        return JWKS_A if served <= 1 else JWKS_B

    stub.json("/jwks", rotating)
    clock = Clock()
    cache = IssuerCache(clock=clock)
    policy = FetchPolicy(bound_to_loopback=True, cache_ttl=60)
    assert fetch_jwks(stub.url("/jwks"), policy, cache=cache).jwks == JWKS_A
    clock.now += 59
    assert fetch_jwks(stub.url("/jwks"), policy, cache=cache).jwks == JWKS_A
    clock.now += 2
    fetched = fetch_jwks(stub.url("/jwks"), policy, cache=cache)
    assert (fetched.jwks, fetched.from_cache) == (JWKS_B, False)


def test_a_zero_ttl_never_caches(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", JWKS_A)
    policy = FetchPolicy(bound_to_loopback=True, cache_ttl=0)
    fetch_jwks(stub.url("/jwks"), policy, cache=cache)
    assert not fetch_jwks(stub.url("/jwks"), policy, cache=cache).from_cache
    assert len(cache) == 0


def test_a_cached_answer_obeys_the_current_policy(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", JWKS_A)
    fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache)
    code, _, _ = problem(lambda: fetch_jwks(stub.url("/jwks"), FetchPolicy(bound_to_loopback=False), cache=cache))
    assert code == "fetch_not_allowed"


def test_failures_are_not_cached(stub: IdPStub, cache: IssuerCache) -> None:
    stub.json("/jwks", {"error": "later"}, status=503)
    problem(lambda: fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache))
    stub.json("/jwks", JWKS_A)
    assert fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache).jwks == JWKS_A


def test_cache_refresh_clear_and_bound(stub: IdPStub) -> None:
    stub.json("/jwks", JWKS_A)
    cache = IssuerCache(max_entries=2)
    fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache)
    assert cache.get(stub.url("/jwks")) is not None
    assert cache.refresh(stub.url("/jwks")) is True
    assert cache.refresh(stub.url("/jwks")) is False
    assert not fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache).from_cache
    document = cache.get(stub.url("/jwks"))
    assert document is not None
    cache.put("http://b/", document, 60)
    cache.put("http://c/", document, 60)
    assert len(cache) == 2 and cache.get(stub.url("/jwks")) is None  # the oldest went
    assert cache.clear() == 2 and len(cache) == 0


def test_the_cache_is_safe_across_threads(stub: IdPStub) -> None:
    stub.json("/jwks", JWKS_A)
    cache = IssuerCache()
    results: list[bool] = []

    def fetch() -> None:
        results.append(fetch_jwks(stub.url("/jwks"), LOCAL, cache=cache).jwks == JWKS_A)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 8 and len(cache) == 1
