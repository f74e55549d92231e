"""Sign-ins under way: the PKCE verifier, state and nonce kept server-side, single use, for minutes only.

In memory on purpose: the client secret of a confidential client waits here for the code exchange, and
nothing secret is ever written to disk. Bounded: the oldest flow is dropped when the store is full.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..core.errors import InputError

__all__ = ["FLOW_TTL", "FlowStore", "PendingFlow", "pkce_challenge"]

#: how long a sign-in may take, start to callback
FLOW_TTL = 600.0


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class PendingFlow:
    """One authorization-code sign-in, from "Start sign-in" to the callback."""

    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str
    scope: str
    response_mode: str
    max_age: int | None
    state: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    #: a form_post answer, parked until the browser comes back with its cookie
    parked: dict[str, str] | None = None


@dataclass
class _Entry:
    flow: PendingFlow | None
    expires: float
    result: Any = None


class FlowStore:
    """Flows by an unguessable id (the browser's cookie); each taken once, each gone after ``ttl``."""

    def __init__(
        self, *, ttl: float = FLOW_TTL, max_flows: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._max = max_flows
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def _sweep(self, now: float) -> None:
        for flow_id in [k for k, e in self._entries.items() if e.expires <= now]:
            del self._entries[flow_id]
        while len(self._entries) >= self._max:
            self._entries.popitem(last=False)

    def start(self, flow: PendingFlow) -> str:
        flow_id = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            self._sweep(now)
            self._entries[flow_id] = _Entry(flow, now + self.ttl)
        return flow_id

    def _live(self, flow_id: str | None) -> _Entry | None:
        entry = self._entries.get(flow_id or "")
        if entry is not None and entry.expires <= self._clock():
            del self._entries[flow_id or ""]
            return None
        return entry

    def park(self, state: str, params: dict[str, str]) -> bool:
        """Keep a form_post answer for the pending flow with this ``state``; False when there is none."""
        given = state.encode("utf-8", "replace")  # compare_digest refuses non-ASCII text: compare bytes
        with self._lock:
            for entry in self._entries.values():
                flow = entry.flow
                if (
                    flow is not None
                    and entry.expires > self._clock()
                    and hmac.compare_digest(flow.state.encode(), given)
                ):
                    entry.flow = replace(flow, parked=params)
                    return True
        return False

    def take(self, flow_id: str | None, state: str | None) -> PendingFlow:
        """The flow this browser started, if ``state`` is its state; it cannot be taken again."""
        with self._lock:
            entry = self._live(flow_id)
            if entry is None:
                raise InputError(
                    "oauth_no_flow",
                    "No sign-in is pending in this browser: it expired (flows last "
                    f"{self.ttl / 60:g} minutes), was already completed, or was started elsewhere. Start it again",
                    "state",
                )
            if entry.flow is None:
                raise InputError(
                    "oauth_replayed",
                    "This sign-in was already completed: a callback is accepted once. Start a new sign-in",
                    "state",
                )
            flow, entry.flow = entry.flow, None  # single use, whatever the state says
            if state is None or not hmac.compare_digest(flow.state.encode(), state.encode("utf-8", "replace")):
                raise InputError(
                    "oauth_state_mismatch",
                    "The state the provider sent back is not the one this sign-in sent: the callback may be "
                    "forged or belong to another sign-in, so it is refused",
                    "state",
                )
            return flow

    def parked(self, flow_id: str | None) -> dict[str, str] | None:
        """The form_post answer parked for this browser's flow, if any."""
        with self._lock:
            entry = self._live(flow_id)
            return None if entry is None or entry.flow is None else entry.flow.parked

    def keep_result(self, flow_id: str, result: Any) -> None:
        with self._lock:
            entry = self._live(flow_id)
            if entry is not None:
                entry.result = result

    def result(self, flow_id: str | None) -> Any:
        with self._lock:
            entry = self._live(flow_id)
            return None if entry is None else entry.result
