"""Fetched documents kept for a TTL, refreshed on request, and re-checked against the current rules."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from .policy import FetchPolicy
from .rules import check_url
from .transport import FetchedDocument, Resolver, fetch_document

__all__ = ["SHARED_CACHE", "IssuerCache", "cached_document", "recheck"]


@dataclass(frozen=True)
class _CacheEntry:
    document: FetchedDocument
    expires: float


class IssuerCache:
    """Fetched documents by URL, each kept for the TTL it was put with; safe across threads."""

    def __init__(self, *, max_entries: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[str, _CacheEntry] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._clock = clock

    def get(self, url: str) -> FetchedDocument | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                return None
            if entry.expires <= self._clock():
                del self._entries[url]
                return None
            return entry.document

    def put(self, url: str, document: FetchedDocument, ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._entries.pop(url, None)
            while len(self._entries) >= self._max_entries:
                del self._entries[next(iter(self._entries))]  # the oldest put
            self._entries[url] = _CacheEntry(document, self._clock() + ttl)

    def refresh(self, url: str) -> bool:
        """Forget ``url`` so the next fetch goes to the network; True if it was cached."""
        with self._lock:
            return self._entries.pop(url, None) is not None

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


#: the process-wide cache fetch_jwks and discover use unless given another
SHARED_CACHE = IssuerCache()


def recheck(document: FetchedDocument, policy: FetchPolicy, segment: str) -> None:
    """A cached answer obeys the current policy (it may have changed since the fetch), DNS aside."""
    previous: httpx.URL | None = None
    for url in (document.url, *document.redirects):
        previous = check_url(url, policy, segment, via=previous)


def cached_document(
    url: str, policy: FetchPolicy, *, refresh: bool, cache: IssuerCache, resolver: Resolver, segment: str
) -> tuple[FetchedDocument, bool]:
    """(the document at ``url``, whether it came from the cache); ``refresh`` goes to the network."""
    if not refresh:
        cached = cache.get(url)
        if cached is not None:
            recheck(cached, policy, segment)
            return cached, True
    document = fetch_document(url, policy, resolver, segment)
    cache.put(url, document, policy.cache_ttl)
    return document, False
